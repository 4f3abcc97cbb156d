"""The shipped questionnaire as seed 001 has it, on the phone and on the web, and the contact
phone a web or field respondent leaves for a call-back (stored like a sample phone).

Phone interviews go through the services an interviewer's window uses (claim, open, the engine
with the interview's context, save, record the outcome); web ones through the real pages (Flask's
test client on the real app and store).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.errors import StorageDenied
from cati.questionnaire.engine import InterviewEngine
from cati.reporting.export import export_data
from cati.services.aapor_report import aapor_report
from cati.services.contact_phones import contact_phone_check, contact_phone_of
from cati.services.interviews import load_interview, open_interview, save_answers
from cati.storage.db import Database
from cati.storage.models import Answer, AnswerEvent, Case, ContactPhone, Interview, Project
from cati.web.links import point_link
from tests.forms import form_answers
from tests.test_pg_security import Centre
from tests.test_web_links import answer_through, current_item, web_client

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in Beijing
CENTRE = "上栗县社情民意调查中心"
WEB_DONE = {"age": "52", "residence": "1", "occupation": "2", "township": "4",
            "urban_rural": "2", "safety": "2", "trend": "1", "sat_police": "1",
            "sat_procuratorate": "1", "sat_court": "1", "sat_justice": "1",
            "suggestion": "村口的路灯坏了半年,晚上不敢出门", "campaign_aware": "2",
            "gang_exists": "2", "campaign_sat": "2", "pingan_aware": "2", "pingan_join": "2",
            "gender": "1", "follow_up_ok": "1", "contact_phone": "0396-5012345"}


def _set_centre(database, project_id: int) -> None:
    with database.unit() as session:
        project = session.get(Project, project_id)
        project.settings = {**project.settings, "centre_name": CENTRE}


def _phone_interview(database, project_id: int, answers: dict[str, str]):
    """Claim the case and walk the form as the interviewer's window does; returns the engine
    (at its end, or at the first question ``answers`` has nothing for) and the case id."""
    claimed = claim_next_case(database, project_id, "ws1", now=NOW)
    info = open_interview(database, project_id, case_id=claimed.case_id, workstation="ws1",
                          now=NOW)
    engine = InterviewEngine.start(form_of_project(database, project_id), seed=info.seed,
                                   clock=lambda: NOW, context=info.context)
    shown = [engine.current().label]
    while not engine.finished and (item := engine.current_item) is not None:
        if item.is_question and item.name not in answers:
            break
        assert engine.answer(answers.get(item.name)) is None, item.name
        if engine.current() is not None:
            shown.append(engine.current().label)
    save_answers(database, info.id, engine.take_changes(),
                 current_item=engine.current_item.name if engine.current_item else None,
                 workstation="ws1", now=NOW)
    return engine, claimed.case_id, info.id, shown


def form_of_project(database, project_id: int):
    from cati.services.questionnaires import form_of

    with database.unit(immediate=False) as session:
        return form_of(session, session.get(Project, project_id).questionnaire_id)


def test_the_phone_introduction_names_the_projects_centre_and_asks_the_campaign_of_everyone(
        database, one_case_project):
    _set_centre(database, one_case_project)
    answers = {"phone_kind": "3", "age": "45", "residence": "1", "occupation": "2",
               "township": "2", "urban_rural": "2", "safety": "1", "trend": "1",
               "sat_police": "1", "sat_procuratorate": "1", "sat_court": "1",
               "sat_justice": "8", "suggestion": "没有", "campaign_aware": "2",
               "gang_exists": "8", "campaign_sat": "8", "pingan_aware": "1", "pingan_join": "1",
               "gender": "2"}
    engine, case_id, interview_id, shown = _phone_interview(database, one_case_project, answers)
    assert shown[0].startswith(f"您好!我是{CENTRE}的访问员")
    assert "省社情民意调查中心" not in shown[0]
    # Seed 001 asks the three 扫黑除恶 questions of everyone, in its words.
    assert engine.path[engine.path.index("campaign_aware"):] == [
        "campaign_aware", "gang_exists", "campaign_sat", "pingan_aware", "pingan_join",
        "gender", "end_thanks"]  # no suggestion, all satisfied: no call-back question
    assert "扫黑除恶专项斗争" in shown[engine.path.index("campaign_aware")]
    urban_rural = engine.form.item("urban_rural")
    assert [engine.form.text(c.labels) for c in engine.form.choices_of(urban_rural)] == \
        ["城镇", "乡村"]
    assert engine.outcome.disposition == "1.1"
    record_outcome(database, case_id, "ws1", "1.1", now=NOW, interview_id=interview_id)
    with database.unit(immediate=False) as session:
        stored = dict(session.execute(select(Answer.question, Answer.value)
                                      .where(Answer.interview_id == interview_id)).all())
    assert (stored["interview_mode"], stored["centre_name"]) == ("phone", CENTRE)


def test_someone_outside_the_county_is_screened_out_as_out_of_sample(database,
                                                                    one_case_project):
    answers = {"phone_kind": "3", "age": "38", "residence": "1", "occupation": "2",
               "township": "90"}
    engine, case_id, interview_id, shown = _phone_interview(database, one_case_project, answers)
    assert engine.outcome.state == "screened_out" and engine.outcome.disposition == "4.10"
    assert "只访问住在本县的居民" in shown[-1]
    record_outcome(database, case_id, "ws1", engine.outcome.disposition, now=NOW,
                   interview_id=interview_id)
    with database.unit(immediate=False) as session:
        interview = session.get(Interview, interview_id)
        assert (interview.state, interview.disposition) == ("screened_out", "4.10")
        [overall] = aapor_report(session, "ONE")
    assert overall.counts == {"NE": 1}  # ineligible: out of the rates' denominators


def test_the_web_shows_no_phone_only_question_and_no_unread_choice(database, one_case_project):
    _set_centre(database, one_case_project)
    link = point_link(database, "ONE", "东门超市", now=NOW)
    client = web_client(database, one_case_project)
    client.post(link.path, data={"action": "start"})
    first = client.get(link.path).get_data(as_text=True)
    assert current_item(first) == "intro_web"
    assert f"{CENTRE}正在开展" in first and "访问员" not in first
    page = answer_through(client, link.path, {"age": "52", "residence": "1", "occupation": "2",
                                              "township": "4", "urban_rural": "2"})
    assert current_item(page) == "safety"
    assert "说不清" not in page and "拒答" not in page and "不读出" not in page
    refused = client.post(link.path, data={"action": "next", "item": "safety", "value": "9"})
    assert "请选择列出的选项之一" in refused.get_data(as_text=True)
    with database.unit(immediate=False) as session:
        [interview] = session.scalars(select(Interview).where(Interview.mode == "web")).all()
        asked = set(session.scalars(select(Answer.question)
                                    .where(Answer.interview_id == interview.id)))
    assert "safety" not in asked
    assert not asked & {"phone_kind", "other_adult", "age_adult"}


def test_a_web_respondent_leaves_a_phone_kept_out_of_the_answers(database, one_case_project,
                                                                 tmp_path):
    link = point_link(database, "ONE", "东门超市", now=NOW)
    client = web_client(database, one_case_project)
    bad = answer_through(client, link.path, {**WEB_DONE, "contact_phone": "12345"})
    assert current_item(bad) == "contact_phone"
    assert "请填写11位手机号码" in bad  # the respondent sees why
    page = answer_through(client, link.path, WEB_DONE)
    assert "问卷已提交" in page
    with database.unit(immediate=False) as session:
        [interview] = session.scalars(select(Interview).where(Interview.mode == "web")).all()
        stored = dict(session.execute(select(Answer.question, Answer.value)
                                      .where(Answer.interview_id == interview.id)).all())
        history = [value for row in session.execute(
            select(AnswerEvent.old_value, AnswerEvent.new_value)
            .where(AnswerEvent.interview_id == interview.id)) for value in row]
        assert contact_phone_of(session, interview.id) == "+863965012345"
        kept = session.get(ContactPhone, interview.id)
        assert kept.phone_raw == "0396-5012345"
    assert (interview.state, stored["follow_up_ok"]) == ("complete", "1")
    assert stored["contact_phone"] == "039****2345"
    assert not any("5012345" in (value or "") for value in history)
    plain = tmp_path / "plain.csv"
    export_data(database, "ONE", plain)
    text = plain.read_text(encoding="utf-8-sig")
    assert "039****2345" in text and "5012345" not in text
    from cati.services.users import add_user

    with database.unit() as session:
        add_user(session, "lin", "password-123", "supervisor", "林督导")
    full = tmp_path / "full.csv"
    export_data(database, "ONE", full, with_phone=True, username="lin")
    header, row = full.read_text(encoding="utf-8-sig").splitlines()[:2]
    assert row.split(",")[header.split(",").index("phone")] == "+863965012345"


def test_every_suggestion_is_asked_for_consent_and_the_phone_is_the_number_called(
        database, one_case_project):
    """A satisfied respondent with a suggestion is asked too; on the phone no number is
    asked (the case's is the contact)."""
    answers = {"phone_kind": "3", "age": "61", "residence": "1", "occupation": "2",
               "township": "7", "urban_rural": "1", "safety": "1", "trend": "1",
               "sat_police": "1", "sat_procuratorate": "1", "sat_court": "1",
               "sat_justice": "1", "suggestion": "学校门口早上车太多,希望交警来疏导",
               "campaign_aware": "1", "gang_exists": "2", "campaign_sat": "1",
               "pingan_aware": "1", "pingan_join": "2", "gender": "1", "follow_up_ok": "1"}
    engine, case_id, interview_id, _ = _phone_interview(database, one_case_project, answers)
    assert engine.path[-3:] == ["gender", "follow_up_ok", "end_thanks"]
    assert engine.final_answers()["has_suggestion"] == "1"
    with database.unit(immediate=False) as session:
        assert contact_phone_of(session, interview_id) is None
        phone = session.scalar(select(Case.phone_e164).where(Case.id == case_id))
    assert phone  # the call-back dials the case's number


def test_a_field_respondent_takes_the_number_back(database, one_case_project):
    """A field interview resumed from the store gets the mask back; it passes the form's check,
    and clearing the answer removes the number."""
    form = form_of_project(database, one_case_project)
    info = open_interview(database, one_case_project, mode="field", now=NOW)
    walked = form_answers(form, {"suggestion": "菜市场门口乱停车", "follow_up_ok": "1",
                                 "contact_phone": "138 1234 5678"}, mode="field")
    save_answers(database, info.id, walked, current_item=None, now=NOW)
    with database.unit(immediate=False) as session:
        assert contact_phone_of(session, info.id) == "+8613812345678"
    stored = load_interview(database, info.id)
    assert stored.answers["contact_phone"] == "138****5678"
    engine = InterviewEngine.resume(form, stored.answers, seed=info.seed, clock=lambda: NOW,
                                    context=stored.context)
    assert engine.finished  # the mask replays as a valid answer
    assert engine.jump("contact_phone") and engine.answer("") is None
    save_answers(database, info.id, engine.take_changes(), current_item=None, now=NOW)
    with database.unit(immediate=False) as session:
        assert contact_phone_of(session, info.id) is None
        assert session.scalar(select(Answer.value).where(
            Answer.interview_id == info.id, Answer.question == "contact_phone")) == ""


@pytest.fixture
def centre(pg_url, run_cli):
    made = Centre(pg_url, run_cli)
    yield made
    made.drop()


@pytest.mark.postgres
def test_on_postgresql_the_web_writes_the_number_and_only_a_supervisor_reads_it(centre,
                                                                               tmp_path):
    """The web server's login stores the number through the pages; neither it nor an
    interviewer's login can read it back; the supervisor's export has it with --with-phone."""
    from cati.web.links import point_link as make_point

    lin = Database(centre.url("lin"))
    try:
        point = make_point(lin, "SAFE", "城关镇便民服务中心")
    finally:
        lin.dispose()
    web = Database(centre.url(centre.web))
    try:
        project = _project_id(web)
        page = answer_through(web_client(web, project, now=NOW), point.path, WEB_DONE)
        assert "问卷已提交" in page
        with pytest.raises(StorageDenied), web.unit() as session:
            session.execute(text("SELECT phone_e164 FROM contact_phones"))
    finally:
        web.dispose()
    ivan = Database(centre.url("ivan"))
    try:
        for statement in ("SELECT phone_raw FROM contact_phones",
                          "SELECT * FROM contact_phones"):
            with pytest.raises(StorageDenied), ivan.unit() as session:
                session.execute(text(statement))
        with ivan.unit(immediate=False) as session:
            masked = session.execute(text(
                "SELECT value FROM answers WHERE question = 'contact_phone'")).scalar()
        assert masked == "039****2345"
    finally:
        ivan.dispose()
    lin = Database(centre.url("lin"))
    try:
        with lin.unit(immediate=False) as session:
            interview_id = session.execute(text(
                "SELECT interview_id FROM contact_phones")).scalar()
            assert contact_phone_of(session, interview_id) == "+863965012345"
        export_data(lin, "SAFE", tmp_path / "full.csv", with_phone=True, username="lin")
    finally:
        lin.dispose()
    header, row = (tmp_path / "full.csv").read_text(encoding="utf-8-sig").splitlines()[:2]
    assert row.split(",")[header.split(",").index("phone")] == "+863965012345"


def _project_id(database: Database) -> int:
    with database.unit(immediate=False) as session:
        return session.execute(text("SELECT id FROM projects WHERE code = 'SAFE'")).scalar()


def test_the_left_number_is_described_like_a_sample_phone(database, one_case_project):
    """What a follow-up case of a web or field suggestion is made from."""
    form = form_of_project(database, one_case_project)
    info = open_interview(database, one_case_project, mode="field", now=NOW)
    walked = form_answers(form, {"suggestion": "夜里货车太多,噪音大", "follow_up_ok": "1",
                                 "contact_phone": "+86 139 1234 5678"}, mode="field")
    save_answers(database, info.id, walked, current_item=None, now=NOW)
    with database.unit(immediate=False) as session:
        checked = contact_phone_check(session, info.id)
    assert (checked.e164, checked.number_type) == ("+8613912345678", "mobile")
    assert checked.time_zone == "Asia/Shanghai"


def test_the_centre_is_named_at_creation_and_changed_by_a_supervisor(run_cli, db_url,
                                                                     database):
    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.admin import update_project_settings
    from cati.services.users import add_user
    from cati.storage.models import AuditEntry

    form = QUESTIONNAIRE_DIR / "public_safety.xlsx"
    bad = run_cli("--db", db_url, "project", "create", "BAD", "--form", form,
                  "--centre-name", "  ")
    assert bad.returncode == 1 and "1 to 64" in bad.stderr and "Traceback" not in bad.stderr
    made = run_cli("--db", db_url, "project", "create", "PY12", "--form", form,
                   "--centre-name", "平舆县 民情调查服务中心")
    assert made.returncode == 0, made.stderr
    with database.unit() as session:
        project = session.scalar(select(Project).where(Project.code == "PY12"))
        assert project.settings["centre_name"] == "平舆县 民情调查服务中心"
        assert session.scalar(select(Project).where(Project.code == "BAD")) is None
        chen = add_user(session, "chen", "password-123", "supervisor", "陈督导").id
    update_project_settings(database, chen, project.id, centre_name=CENTRE)
    info = open_interview(database, project.id, mode="field", now=NOW)
    engine = InterviewEngine.start(form_of_project(database, project.id), seed=info.seed,
                                   clock=lambda: NOW, context=info.context)
    assert engine.current().label.startswith(f"您好!我是{CENTRE}的访问员")
    with database.unit(immediate=False) as session:
        changed = session.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "project_settings_changed")).one()
    assert changed["new"] == {"centre_name": CENTRE}

"""A survey centre's month, end to end, on the shipped questionnaire and both databases.

October is called and closed; November is called on the phone (the queue, the engine, the
interviewer's services), answered on the web through a standing QR link and in the field, and
opinions come in by the 12345 hotline, letters, the suggestion box and 110 records. Every
suggestion is routed to its unit, reviewed and assigned; one deadline passes; the units reply;
the residents are called back on the follow-up form and each call's result sets the
suggestion's state. November is closed; a late web answer is refused; its indices, workbook and
Word report regenerate byte-identical; the Word report's ranking table agrees with
``cati report indices --json``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from fractions import Fraction

from docx import Document
from sqlalchemy import select
from test_bulletin import composite, percent, table_of, texts
from test_web_links import COMPLETE, answer_through, current_item, web_client

from cati.config import QUESTIONNAIRE_DIR
from cati.reporting.bulletin import NOT_RANKED, RANK_HEADINGS
from cati.reporting.indices import competition_ranks
from cati.services.admin import update_project_settings
from cati.services.demo import _demo_numbers
from cati.services.demo_month import Mood, Respondent, play_wave
from cati.services.interviews import close_interview, open_interview, save_answers
from cati.services.questionnaires import form_of
from cati.services.quotas import set_quota
from cati.services.sample_cases import add_cases
from cati.services.series import close_wave, create_series, set_rule, start_wave
from cati.services.suggestions import (
    check_follow_ups,
    collect_suggestions,
    create_follow_up,
    list_suggestions,
    update_suggestion,
)
from cati.services.units import intake_file, overdue, seed_units, unit_figures
from cati.services.users import add_user
from cati.storage.models import Case, Project
from cati.web.links import point_link

FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
UTC = dt.UTC
OCTOBER = dt.datetime(2026, 10, 1, tzinfo=UTC)
NOVEMBER = dt.datetime(2026, 11, 1, tzinfo=UTC)
REVIEWED = dt.datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Beijing
CLOSED = dt.datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
WEB_TRAFFIC = "学校门口上下学时车太多,希望交警来疏导"
FIELD_LIGHTS = "村里路灯坏了好几个月,晚上不敢出门"
INTAKE = """日期,渠道,内容,乡镇,姓名,电话,同意回访
2026-11-05,12345,路口红绿灯时间太短老人过不去,古槐街道,李女士,13800138001,是
2026-11-06,信件,办身份证排队太久希望周末也能办,清河街道,王先生,13800138002,是
2026-11-07,意见箱,夜市烧烤摊喝酒闹事噪音扰民,东皇街道,,,否
2026-11-08,110,老人接到诈骗电话差点转账,庙湾镇,赵先生,0396-5012345,是
"""


def _project_id(database, code: str) -> int:
    with database.unit(immediate=False) as session:
        return session.scalar(select(Project.id).where(Project.code == code))


def _wave(database, period: str, code: str, start: dt.datetime, cases: int, seed: str) -> int:
    with database.unit() as session:
        start_wave(session, "PS", period, code, form_path=FORM if period == "2026-10" else None,
                   now=start)
        project_id = session.scalar(select(Project.id).where(Project.code == code))
        add_cases(session, project_id, _demo_numbers(cases, _townships(session, project_id),
                                                     random.Random(seed)))
    return project_id


def _townships(session, project_id: int) -> list[str]:
    project = session.get(Project, project_id)
    form = form_of(session, project.questionnaire_id)
    return [form.text(choice.labels) for choice in form.strata()]


def _field_interview(database, project_id: int, user: int, suggestion: str) -> None:
    """An interviewer's field interview (no case), played on the engine by a resident who
    leaves a suggestion, agrees to a call-back and gives a phone."""
    from cati.questionnaire.engine import InterviewEngine

    info = open_interview(database, project_id, interviewer_id=user, mode="field", now=REVIEWED)
    with database.unit(immediate=False) as session:
        form = form_of(session, info.questionnaire_id)
    engine = InterviewEngine.start(form, seed=info.seed, clock=lambda: REVIEWED,
                                   context=info.context)
    person = Respondent(form, "万冢镇", Mood(0, 0, 0), random.Random(7))
    script = {"suggestion": suggestion, "follow_up_ok": "1", "contact_phone": "13900139009",
              "township": "14"}
    while not engine.finished:
        item = engine.current_item
        value = script.get(item.name, person.answer(engine, item)) if item.is_question else None
        assert engine.answer(value) is None, item.name
    save_answers(database, info.id, engine.take_changes(), current_item=None, user_id=user,
                 now=REVIEWED)
    close_interview(database, info.id, engine.outcome.disposition or "1.1", user_id=user,
                    now=REVIEWED)


def test_a_month_of_the_county_centre(database, db_url, run_cli, tmp_path):
    with database.unit() as session:
        boss = add_user(session, "chen", "K7-nehc-2026!", "supervisor", "陈督导").id
        staff = [(add_user(session, name, f"K7-{name[::-1]}-2026!", "interviewer").id,
                  f"{name}-ws") for name in ("wang", "liu")]
        create_series(session, "PS", "公众安全感月度测评", now=OCTOBER)
        # The centre's rule: townships with 2 interviews are ranked (a small test month).
        set_rule(session, {"min_n": 2}, series_code="PS", now=OCTOBER)

    # October: called, then closed.
    _wave(database, "2026-10", "PS2610", OCTOBER, 200, "oct")
    play_wave(database, "PS2610", start=OCTOBER, days=20, per_township=2, seed=1, wave=0,
              interviewers=staff)
    with database.unit() as session:
        close_wave(session, "PS2610", now=NOVEMBER)

    # November on the phone, on the web, in the field; opinions by every channel.
    november = _wave(database, "2026-11", "PS2611", NOVEMBER, 200, "nov")
    phone = play_wave(database, "PS2611", start=NOVEMBER, days=20, per_township=2, seed=2,
                      wave=1, interviewers=staff)
    assert min(phone.completes_by_township.values()) >= 2
    for township in phone.completes_by_township:  # room for the web and the field
        set_quota(database, november, township, 50)
    poster = point_link(database, "PS2611", "县政务大厅", series=True, now=REVIEWED)
    for n, text in enumerate((WEB_TRAFFIC, "没有")):  # the first leaves a number to call
        page = answer_through(web_client(database, november, address=f"10.0.1.{n}",
                                         now=REVIEWED),
                              poster.path, {**COMPLETE, "suggestion": text, "follow_up_ok": "1",
                                            "contact_phone": "13700137007"})
        assert "问卷已提交" in page
    _field_interview(database, november, staff[0][0], FIELD_LIGHTS)
    opinions = tmp_path / "来信来电.csv"
    opinions.write_text(INTAKE, encoding="utf-8-sig")
    assert intake_file(database, november, opinions, user_id=boss, now=REVIEWED).added == 4

    # Routing: the county's units, each suggestion proposed to the unit its rules name.
    seed_units(database, november, user_id=boss, now=REVIEWED)
    collect_suggestions(database, november, user_id=boss, now=REVIEWED)
    collected = list_suggestions(database, november)
    rows = {row.text: row for row in collected}  # the web's, the field's and the intake's
    channels = {row.channel or "interview" for row in collected}
    assert channels == {"interview", "hotline", "letter", "box", "110"}, channels
    assert rows[WEB_TRAFFIC].category == "交通管理"
    assert rows[WEB_TRAFFIC].responsible_unit and "交警" in rows[WEB_TRAFFIC].responsible_unit
    assert rows[FIELD_LIGHTS].category == "治安管理"

    # Review: every suggestion assigned to its unit; one deadline passes unanswered.
    late = rows["夜市烧烤摊喝酒闹事噪音扰民"].id  # the suggestion box's: its unit never answers
    for row in collected:
        update_suggestion(database, row.id, user_id=boss, valid=True,
                          category=row.category or "治安管理",
                          responsible_unit=row.responsible_unit or "治安大队",
                          status="assigned", now=REVIEWED)
    for row in collected:
        if row.id != late:
            update_suggestion(database, row.id, user_id=boss, status="resolved",
                              reply="已安排专人处理并答复", now=REVIEWED + dt.timedelta(days=2))
    past = overdue(database, november, now=REVIEWED + dt.timedelta(days=40))
    assert [(entry.id, entry.days_overdue > 0) for entry in past] == [(late, True)]

    # Call-backs on the follow-up form: whoever agreed, phone, web, field and intake alike.
    follow_up = create_follow_up(database, november, user_id=boss, now=REVIEWED)
    with database.unit(immediate=False) as session:
        called = dict(session.execute(
            select(Case.phone_e164, Case.attributes)
            .where(Case.project_id == follow_up.project_id)).all())
    # The web and the field respondents on the numbers they left, the 110 caller on the
    # landline given, the letter writer on theirs; the suggestion box left no number.
    assert called["+8613700137007"]["suggestion_text"] == WEB_TRAFFIC
    assert called["+8613900139009"]["suggestion_text"] == FIELD_LIGHTS
    assert {"+8613800138001", "+8613800138002", "+863965012345"} <= set(called)
    update_project_settings(database, boss, follow_up.project_id, max_attempts=2)
    play_wave(database, follow_up.code, start=REVIEWED, days=10, per_township=0, seed=3,
              wave=0, interviewers=staff)
    check_follow_ups(database, november, user_id=boss, now=REVIEWED + dt.timedelta(days=10))
    followed = [row for row in list_suggestions(database, november) if row.follow_up_outcome]
    assert followed, "nobody was called back"
    for row in followed:  # each call's result sets the state
        solved = row.follow_up_outcome == "solved" and \
            row.follow_up_satisfaction in ("satisfied", "basically")
        expected = ("checked" if solved else row.follow_up_outcome
                    if row.follow_up_outcome in ("unreachable", "refused") else "reopened")
        assert row.status == expected, row
    states = {row.status for row in list_suggestions(database, november)}
    assert {"checked", "reopened", "assigned"} <= states, states
    assert states & {"unreachable", "refused"}, states

    # Each unit is held to account for what it received.
    with database.unit(immediate=False) as session:
        figures = unit_figures(session, november, now=REVIEWED + dt.timedelta(days=40))
    final = list_suggestions(database, november)
    assert sum(f.received for f in figures) == len(final)
    assert sum(f.solved for f in figures) == sum(row.status == "checked" for row in final)
    # Overdue: the one never answered, and any reopened one past its new deadline.
    still_late = overdue(database, november, now=REVIEWED + dt.timedelta(days=40))
    assert late in {entry.id for entry in still_late}
    assert {entry.status for entry in still_late} <= {"assigned", "reopened"}
    assert sum(f.overdue for f in figures) == len(still_late)

    # November closes; a late web answer is refused; its reports come out the same bytes.
    late_browser = web_client(database, november, address="10.0.2.1", now=REVIEWED)
    begun = answer_through(late_browser, poster.path, {"age": "50"})
    assert current_item(begun) == "residence"
    with database.unit() as session:
        close_wave(session, "PS2611", now=CLOSED)

    def reports(tag: str) -> list[bytes]:
        indices = run_cli("--db", db_url, "report", "indices", "--project", "PS2611", "--json")
        assert indices.returncode == 0, indices.stderr
        made = []
        for suffix in ("xlsx", "docx"):
            out = tmp_path / f"{tag}.{suffix}"
            done = run_cli("--db", db_url, "report", "monthly", "--project", "PS2611",
                           "--out", out)
            assert done.returncode == 0, done.stderr
            made.append(out.read_bytes())
        return [indices.stdout.encode(), *made]

    before = reports("before")
    refused = late_browser.post(poster.path, data={"action": "next", "item": "residence",
                                                   "value": "1"})
    assert refused.status_code == 410
    assert reports("after") == before

    # The Word report's ranking table is the indices report's composite, ranked.
    rows_json = json.loads(before[0])["rows"]
    earlier_json = json.loads(run_cli("--db", db_url, "report", "indices", "--project",
                                      "PS2610", "--json").stdout)["rows"]

    now, then = composite(rows_json), composite(earlier_json)
    ranks = competition_ranks({name: Fraction(str(value)) for name, (n, value) in now.items()
                               if n >= 2 and value is not None})
    earlier_ranks = competition_ranks({name: Fraction(str(value))
                                       for name, (n, value) in then.items()
                                       if n >= 2 and value is not None})
    (tmp_path / "check.docx").write_bytes(before[2])
    table = texts(table_of(Document(str(tmp_path / "check.docx")), RANK_HEADINGS[0]))
    shown = {row[1]: row for row in table[1:]}
    assert len(shown) == 19
    for name, (n, value) in now.items():
        rank, _, shown_value, _, shown_n, last, _, _ = shown[name]
        assert (shown_n, shown_value) == (str(n), percent(value)), name
        assert rank == (str(ranks[name]) if name in ranks else NOT_RANKED), name
        assert last == (str(earlier_ranks[name]) if name in earlier_ranks else "—"), name

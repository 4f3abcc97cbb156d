"""Suggestions, on SQLite and PostgreSQL: collected from completed interviews (once; "no
suggestion" answers skipped), a category proposed by keyword rules, reviewed through the status
rules, followed up by a callback project of exactly the resolved respondents who agreed, checked
when the callback completes; the command line lists, exports, reviews and creates follow-ups."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass

import openpyxl
import pytest
from sqlalchemy import insert, select

from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError, PermissionDenied
from cati.questionnaire.loader import load_form
from cati.services.interviews import open_interview, save_answers
from cati.services.projects import create_project
from cati.services.suggestions import (
    DEFAULT_CATEGORIES,
    STATUSES,
    SuggestionService,
    SuggestionSettings,
    check_follow_ups,
    collect_suggestions,
    create_follow_up,
    csv_text,
    is_no_suggestion,
    list_suggestions,
    propose_category,
    suggestion_settings,
    update_suggestion,
    update_suggestion_settings,
)
from cati.services.users import add_user
from cati.storage.models import (
    Answer,
    AuditEntry,
    Case,
    DoNotCall,
    Interview,
    Project,
    Suggestion,
)
from tests.forms import form_answers

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
CODE = "PY2026_11"

# Respondent -> what they answer in a completed phone interview (township 1..: 古槐街道, 清河街道
# …); the rest of each path is filled by walking the shipped form (tests.forms.form_answers), so
# every stored answer is one the form asks. B has no suggestion and is satisfied: never asked
# for a call-back.
RESPONDENTS = {
    "A": {"township": "1", "sat_police": "4", "suggestion": "路口红绿灯时间太短,希望调整",
          "unsat_reason": "去派出所办户口,民警态度不好", "follow_up_ok": "1"},
    "B": {"township": "2", "suggestion": "无"},
    "C": {"township": "3", "sat_court": "3", "suggestion": "无",
          "unsat_reason": "晚上多巡逻,加装摄像头", "follow_up_ok": "2"},
    "D": {"township": "4", "suggestion": '=HYPERLINK("http://x.cn","电信诈骗太多")',
          "follow_up_ok": "1"},
    "G": {"township": "5", "suggestion": "小区经常有人偷东西", "follow_up_ok": "1"},
    "H": {"township": "6", "suggestion": "希望多帮助困难群众", "follow_up_ok": "1"},
}
BROKEN_OFF = {"township": "7", "suggestion": "希望多巡逻", "follow_up_ok": "1"}
FIELD = {"suggestion": "邻居纠纷需要调解", "follow_up_ok": "1"}  # no case; left no number
FORM = load_form(QUESTIONNAIRE_DIR / "public_safety.xlsx")


@dataclass
class Survey:
    project_id: int
    supervisor: int
    interviewer: int
    phones: dict[str, str]  # respondent -> E.164
    interviews: dict[str, int]  # respondent -> interview id


def complete_call(database, project_id: int, answers: dict[str, str], *, workstation: str,
                  interviewer: int | None, code: str = "1.1") -> tuple[int, int, str]:
    """Claim the next case, interview, record the outcome: (case id, interview id, phone)."""
    claimed = claim_next_case(database, project_id, workstation, interviewer_id=interviewer,
                              now=NOW)
    assert claimed is not None
    interview = open_interview(database, project_id, case_id=claimed.case_id,
                               interviewer_id=interviewer, workstation=workstation, now=NOW)
    save_answers(database, interview.id, answers, current_item=None, user_id=interviewer,
                 workstation=workstation, now=NOW)
    record_outcome(database, claimed.case_id, workstation, code, interviewer_id=interviewer,
                   now=NOW, interview_id=interview.id)
    return claimed.case_id, interview.id, claimed.phone_e164


def build_survey(database) -> Survey:
    """A project with the respondents above interviewed to the end; one more interview broken
    off (not collected); one field interview without a case; G's number later on the
    do-not-call list."""
    with database.unit() as session:
        supervisor = add_user(session, "chen", "password-123", "supervisor", "陈督导").id
        interviewer = add_user(session, "wang", "password-123", "interviewer", "王芳").id
        project = create_project(session, CODE, QUESTIONNAIRE_DIR / "public_safety.xlsx",
                                 name="平舆县11月测评")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380000{n:04d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "样本", "attributes": {},
             "time_zone": "Asia/Shanghai", "number_type": "mobile", "draw": n,
             "phone_raw": f"1380000{n:04d}"}
            for n in range(len(RESPONDENTS) + 1)])
    phones, interviews = {}, {}
    for name, answers in RESPONDENTS.items():
        _case, interview_id, phone = complete_call(database, project.id,
                                                   form_answers(FORM, answers),
                                                   workstation="ws1", interviewer=interviewer)
        phones[name], interviews[name] = phone, interview_id
    complete_call(database, project.id, form_answers(FORM, BROKEN_OFF, until="follow_up_ok"),
                  workstation="ws1", interviewer=interviewer, code="2.12")
    with database.unit() as session:
        field = Interview(project_id=project.id, questionnaire_id=project.questionnaire_id,
                          state="complete", mode="field", stratum="古槐街道", seed=1,
                          started_at=NOW, ended_at=NOW, disposition="1.1")
        session.add(field)
        session.flush()
        session.add_all(Answer(interview_id=field.id, question=q, value=v, answered_at=NOW,
                               sequence=i)
                        for i, (q, v) in enumerate(form_answers(FORM, FIELD, mode="field").items()))
        interviews["F"] = field.id
        session.add(DoNotCall(phone_e164=phones["G"], reason="asked not to be called",
                              added_at=NOW))
    return Survey(project.id, supervisor, interviewer, phones, interviews)


@pytest.fixture
def survey(database) -> Survey:
    return build_survey(database)


def by_text(rows):
    return {row.text: row for row in rows}


def suggestion_of(rows, respondent_interview: int, question: str = "suggestion"):
    [row] = [r for r in rows if r.interview_id == respondent_interview and r.question == question]
    return row


def audit_actions(database) -> list[tuple[str, int | None]]:
    with database.unit(immediate=False) as session:
        return [tuple(row) for row in session.execute(
            select(AuditEntry.action, AuditEntry.user_id).order_by(AuditEntry.id))]


# -- the rules on their own ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "无", " 无 ", "没有。", "没有!", "不知道", "不知道…",
                                  "NONE", "n/a", "没有意见", "暂时没有", "说不清", "。。", "-"])
def test_no_suggestion_answers(text):
    assert is_no_suggestion(text, SuggestionSettings())


@pytest.mark.parametrize("text", ["没有路灯", "无人巡逻", "不知道派出所电话", "希望多巡逻", "=1+1"])
def test_real_suggestions_are_kept(text):
    assert not is_no_suggestion(text, SuggestionSettings())


@pytest.mark.parametrize(("text", "category"), [
    ("路口红绿灯时间太短", "交通管理"),
    ("到处违停,停车难", "交通管理"),
    ("晚上多巡逻,加装摄像头", "治安管理"),
    ("路灯坏了没人修", "治安管理"),
    ("电信诈骗太多", "违法犯罪"),
    ("小区经常有人偷东西", "违法犯罪"),
    ("办身份证要排很久的队", "公安服务"),
    ("派出所民警态度不好", "公安服务"),
    ("邻居纠纷需要调解", "群众求助"),
    ("希望多帮助困难群众", "群众求助"),
    ("挺好的,继续努力", None),
])
def test_keyword_rules_propose_a_category(text, category):
    assert propose_category(text, SuggestionSettings())[0] == category


def test_keyword_rules_count_matches_and_break_ties_by_the_category_list():
    config = suggestion_settings({
        "suggestion_categories": ["甲", "乙"],
        "suggestion_keywords": {"乙": ["路", "灯"], "甲": ["路灯"], "丙": ["路灯", "坏", "修"]}})
    # 乙 matches two keywords; 丙 three but is not a category of the project.
    assert propose_category("路灯坏了没人修", config) == ("乙", ("路", "灯"))
    tie = suggestion_settings({"suggestion_categories": ["甲", "乙"],
                               "suggestion_keywords": {"乙": ["ab"], "甲": ["cd"]}})
    assert propose_category("AB CD", tie)[0] == "甲"  # NFKC + case folding; list order wins


def test_malformed_settings_are_one_line_errors():
    with pytest.raises(CatiError, match="suggestion_categories"):
        suggestion_settings({"suggestion_categories": "交通管理"})
    with pytest.raises(CatiError, match="suggestion_keywords"):
        suggestion_settings({"suggestion_keywords": ["红绿灯"]})
    with pytest.raises(CatiError, match="suggestion_categories"):
        suggestion_settings({"suggestion_categories": []})
    defaults = suggestion_settings({})
    assert defaults.categories == DEFAULT_CATEGORIES
    assert defaults.questions == ("suggestion", "unsat_reason")


def test_the_command_line_offers_the_service_statuses():
    from cati import cli_suggestions

    assert cli_suggestions.STATUSES == STATUSES


def test_csv_cells_that_look_like_formulas_become_text():
    assert [csv_text(v) for v in ("=1+1", "+86", "-3", "@SUM(A1)", "好", 7)] == [
        "'=1+1", "'+86", "'-3", "'@SUM(A1)", "好", 7]


# -- collect ----------------------------------------------------------------------------------


def test_collect_is_idempotent_and_skips_empty_and_no_suggestion_answers(database, survey):
    first = collect_suggestions(database, survey.project_id, user_id=survey.supervisor, now=NOW)
    # A: 2, C: unsat_reason, D, G, H, the field interview; B's and C's 无 skipped;
    # the broken-off interview is not complete.
    assert (first.added, first.skipped, first.checked) == (7, 2, 0)
    again = collect_suggestions(database, survey.project_id, now=NOW)
    assert (again.added, again.checked) == (0, 0)
    rows = list_suggestions(database, survey.project_id)
    assert len(rows) == 7
    texts = {(r.interview_id, r.question): r.text for r in rows}
    assert texts[(survey.interviews["A"], "unsat_reason")] == "去派出所办户口,民警态度不好"
    assert texts[(survey.interviews["F"], "suggestion")] == "邻居纠纷需要调解"
    assert "希望多巡逻" not in texts.values() and "无" not in texts.values()
    assert all(r.status == "new" and r.valid is None for r in rows)
    a = suggestion_of(rows, survey.interviews["A"])
    assert (a.stratum, a.follow_up_ok) == ("古槐街道", True)
    assert not suggestion_of(rows, survey.interviews["C"], "unsat_reason").follow_up_ok
    assert audit_actions(database) == [("suggestions_collected", survey.supervisor)]
    with database.unit(immediate=False) as session:
        assert session.scalar(select(Suggestion.id).order_by(Suggestion.id.desc())
                              .limit(1)) == max(r.id for r in rows)


def test_collect_proposes_a_category_until_the_supervisor_confirms(database, survey):
    result = collect_suggestions(database, survey.project_id, now=NOW)
    rows = list_suggestions(database, survey.project_id)
    proposals = {r.text: r.category for r in rows}
    assert proposals == {
        "路口红绿灯时间太短,希望调整": "交通管理",
        "去派出所办户口,民警态度不好": "公安服务",
        "晚上多巡逻,加装摄像头": "治安管理",
        '=HYPERLINK("http://x.cn","电信诈骗太多")': "违法犯罪",
        "小区经常有人偷东西": "违法犯罪",
        "希望多帮助困难群众": "群众求助",
        "邻居纠纷需要调解": "群众求助",
    }
    assert result.proposed == 7 and all(r.proposed for r in rows)
    row = by_text(rows)["晚上多巡逻,加装摄像头"]
    confirmed = update_suggestion(database, row.id, user_id=survey.supervisor, valid=True)
    assert (confirmed.category, confirmed.proposed, confirmed.reviewed) == ("治安管理", False, True)
    rejected = update_suggestion(database, by_text(rows)["希望多帮助困难群众"].id, valid=False,
                                 category=None)
    assert (rejected.category, rejected.proposed) == (None, False)


def test_the_project_edits_questions_none_answers_categories_and_keywords(database, survey):
    update_suggestion_settings(database, survey.project_id, {
        "suggestion_questions": ["suggestion"],
        "suggestion_none_answers": ["无", "小区经常有人偷东西"],
        "suggestion_categories": ["交通", "其他"],
        "suggestion_keywords": {"其他": ["派出所", "困难"], "交通": ["红绿灯"]},
    }, user_id=survey.supervisor, now=NOW)
    collect_suggestions(database, survey.project_id, now=NOW)
    rows = list_suggestions(database, survey.project_id)
    assert {r.question for r in rows} == {"suggestion"}
    assert {r.text: r.category for r in rows} == {
        "路口红绿灯时间太短,希望调整": "交通", '=HYPERLINK("http://x.cn","电信诈骗太多")': None,
        "希望多帮助困难群众": "其他", "邻居纠纷需要调解": None}
    assert [r.id for r in list_suggestions(database, survey.project_id, category="")] == [
        r.id for r in rows if r.category is None]
    with pytest.raises(CatiError, match="not a suggestion category"):
        update_suggestion(database, rows[0].id, category="交通管理")
    with pytest.raises(CatiError, match="not a suggestion setting"):
        update_suggestion_settings(database, survey.project_id, {"categories": ["x"]})
    with database.unit(immediate=False) as session:
        settings = session.get(Project, survey.project_id).settings
    assert settings["suggestion_categories"] == ["交通", "其他"]
    assert settings["max_attempts"] == 6  # the other settings are kept
    assert ("suggestion_settings_changed", survey.supervisor) in audit_actions(database)


# -- review --------------------------------------------------------------------------------------


def test_status_transitions_are_checked_and_every_change_audited(database, survey):
    collect_suggestions(database, survey.project_id, now=NOW)
    row = by_text(list_suggestions(database, survey.project_id))["路口红绿灯时间太短,希望调整"]
    boss = survey.supervisor
    with pytest.raises(CatiError, match="cannot go from new to resolved"):
        update_suggestion(database, row.id, user_id=boss, status="resolved")
    with pytest.raises(CatiError, match="only a valid suggestion"):
        update_suggestion(database, row.id, user_id=boss, status="assigned")
    with pytest.raises(CatiError, match="needs a category and a responsible unit"):
        update_suggestion(database, row.id, user_id=boss, valid=True, status="assigned")
    with pytest.raises(CatiError, match="not a suggestion status"):
        update_suggestion(database, row.id, user_id=boss, status="done")
    with pytest.raises(PermissionDenied):
        update_suggestion(database, row.id, user_id=survey.interviewer, valid=True)
    unchanged = list_suggestions(database, survey.project_id)
    assert by_text(unchanged)[row.text] == row  # a refused change changes nothing

    assigned = update_suggestion(database, row.id, user_id=boss, valid=True,
                                 responsible_unit=" 交警大队 ", status="assigned",
                                 notes="已转交警大队")
    assert (assigned.status, assigned.responsible_unit, assigned.category, assigned.notes) == (
        "assigned", "交警大队", "交通管理", "已转交警大队")
    with pytest.raises(CatiError, match="cannot go from assigned to checked"):
        update_suggestion(database, row.id, user_id=boss, status="checked")
    with pytest.raises(CatiError, match="only a valid suggestion"):
        update_suggestion(database, row.id, user_id=boss, valid=False)
    resolved = update_suggestion(database, row.id, user_id=boss, status="resolved")
    reopened = update_suggestion(database, row.id, user_id=boss, status="assigned")
    assert (resolved.status, reopened.status) == ("resolved", "assigned")
    update_suggestion(database, row.id, user_id=boss, status="resolved")
    checked = update_suggestion(database, row.id, user_id=boss, status="checked")
    assert checked.status == "checked"  # no follow-up call: checked some other way
    with pytest.raises(CatiError, match="allowed: none"):
        update_suggestion(database, row.id, user_id=boss, status="resolved")
    same = update_suggestion(database, row.id, user_id=boss, status="checked")
    assert same == checked
    with database.unit(immediate=False) as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "suggestion_updated").order_by(AuditEntry.id)).all()
    assert [e.user_id for e in entries] == [boss] * 5
    assert entries[0].details["changes"] == {
        "valid": [None, True], "responsible_unit": [None, "交警大队"],
        "status": ["new", "assigned"], "notes": ["", "已转交警大队"]}
    assert [e.details["changes"]["status"] for e in entries[1:]] == [
        ["assigned", "resolved"], ["resolved", "assigned"], ["assigned", "resolved"],
        ["resolved", "checked"]]


# -- follow-up calls --------------------------------------------------------------------------


def resolve(database, survey, row, unit="派出所"):
    update_suggestion(database, row.id, user_id=survey.supervisor, valid=True,
                      responsible_unit=unit, status="assigned")
    return update_suggestion(database, row.id, user_id=survey.supervisor, status="resolved")


def test_follow_up_project_has_exactly_the_resolved_respondents_who_agreed(database, survey):
    collect_suggestions(database, survey.project_id, now=NOW)
    rows = list_suggestions(database, survey.project_id)
    iv = survey.interviews
    for name, question in (("A", "suggestion"), ("A", "unsat_reason"), ("C", "unsat_reason"),
                           ("D", "suggestion"), ("G", "suggestion"), ("F", "suggestion")):
        resolve(database, survey, suggestion_of(rows, iv[name], question))
    # H agreed too but is not resolved yet; C declined; G's number is on the do-not-call list;
    # F was a field interview without a number.
    with pytest.raises(CatiError, match="no project"):
        create_follow_up(database, 999_999)
    result = create_follow_up(database, survey.project_id, user_id=survey.supervisor, now=NOW)
    assert (result.code, result.cases, result.suggestions) == (f"{CODE}_FU1", 2, 3)
    assert (result.skipped_no_phone, result.skipped_dnc) == (1, 1)
    with database.unit(immediate=False) as session:
        project = session.get(Project, result.project_id)
        cases = {c.phone_e164: c for c in session.scalars(
            select(Case).where(Case.project_id == result.project_id))}
        linked = dict(session.execute(select(Suggestion.id, Suggestion.follow_up_case_id)
                                      .where(Suggestion.follow_up_case_id.is_not(None))).all())
        no_interview_yet = session.scalar(
            select(Interview.id).where(Interview.project_id == result.project_id))
    assert project.name == "平舆县11月测评(回访1)"
    assert project.settings["follow_up_of"] == {"project_id": survey.project_id, "code": CODE}
    assert set(cases) == {survey.phones["A"], survey.phones["D"]}
    a_case, d_case = cases[survey.phones["A"]], cases[survey.phones["D"]]
    assert (a_case.stratum, d_case.stratum) == ("古槐街道", "庙湾镇")
    assert (a_case.state, a_case.time_zone, a_case.number_type) == (
        "fresh", "Asia/Shanghai", "mobile")
    a_rows = sorted([suggestion_of(rows, iv["A"]), suggestion_of(rows, iv["A"], "unsat_reason")],
                    key=lambda row: row.id)  # collected in the interview's answer order
    d_row = suggestion_of(rows, iv["D"])
    assert a_case.attributes["suggestion_ids"] == [r.id for r in a_rows]
    assert a_case.attributes["suggestion_text"] == "；".join(r.text for r in a_rows)
    assert a_case.attributes["source_project"] == CODE
    assert a_case.attributes["source_interview_id"] == iv["A"]
    assert d_case.attributes["suggestions"][0]["text"] == d_row.text
    assert linked == {a_rows[0].id: a_case.id, a_rows[1].id: a_case.id, d_row.id: d_case.id}
    assert no_interview_yet is None
    listed = {r.id: r for r in list_suggestions(database, survey.project_id)}
    assert listed[d_row.id].follow_up_project == f"{CODE}_FU1"

    # Nothing new to call back: refused, nothing created.
    with pytest.raises(CatiError, match="no resolved suggestion"):
        create_follow_up(database, survey.project_id, now=NOW)
    # A linked suggestion is checked by its call, not by hand.
    with pytest.raises(CatiError, match="checked by its follow-up call"):
        update_suggestion(database, d_row.id, status="checked")

    # H resolved later: a second follow-up project with H alone.
    resolve(database, survey, suggestion_of(rows, iv["H"]))
    second = create_follow_up(database, survey.project_id, now=NOW)
    assert (second.code, second.cases, second.suggestions) == (f"{CODE}_FU2", 1, 1)
    with database.unit(immediate=False) as session:
        phones = session.scalars(select(Case.phone_e164)
                                 .where(Case.project_id == second.project_id)).all()
    assert phones == [survey.phones["H"]]
    actions = audit_actions(database)
    assert actions.count(("suggestion_follow_up_created", survey.supervisor)) == 1
    assert actions.count(("suggestion_follow_up_created", None)) == 1


def test_statuses_become_checked_when_the_follow_up_call_completes(database, survey):
    collect_suggestions(database, survey.project_id, now=NOW)
    rows = list_suggestions(database, survey.project_id)
    iv = survey.interviews
    for name, question in (("A", "suggestion"), ("A", "unsat_reason"), ("D", "suggestion")):
        resolve(database, survey, suggestion_of(rows, iv[name], question))
    follow_up = create_follow_up(database, survey.project_id, now=NOW)
    assert check_follow_ups(database, survey.project_id, now=NOW) == 0

    # The first call: the interviewer gets one of the two numbers and completes the callback.
    case_id, _interview, phone = complete_call(
        database, follow_up.project_id,
        {"problem_fixed": "1", "handling_sat": "2"}, workstation="ws9",
        interviewer=survey.interviewer)
    # The other number refuses: its suggestion stays resolved.
    complete_call(database, follow_up.project_id, {}, workstation="ws9",
                  interviewer=survey.interviewer, code="2.112")
    collected = collect_suggestions(database, survey.project_id, user_id=survey.supervisor,
                                    now=NOW)
    assert (collected.added, collected.checked) == (0, 1 if phone == survey.phones["D"] else 2)
    after = {r.id: r for r in list_suggestions(database, survey.project_id)}
    for row in after.values():
        if row.follow_up_case_id == case_id:
            assert row.status == "checked"
            assert "problem_fixed=已解决" in row.notes and "handling_sat=基本满意" in row.notes
        elif row.follow_up_case_id is not None:
            assert row.status == "resolved"
    assert check_follow_ups(database, survey.project_id, now=NOW) == 0  # once only
    checked = [r for r in after.values() if r.status == "checked"]
    with database.unit(immediate=False) as session:
        entries = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "suggestion_checked")).all()
    assert sorted(e.details["suggestion_id"] for e in entries) == sorted(r.id for r in checked)
    assert {e.user_id for e in entries} == {survey.supervisor}


def test_the_service_facade(database, survey):
    service = SuggestionService(database)
    assert service.collect(survey.project_id, survey.supervisor).added == 7
    rows = service.list(survey.project_id, category="违法犯罪")
    assert {r.text for r in rows} == {'=HYPERLINK("http://x.cn","电信诈骗太多")',
                                      "小区经常有人偷东西"}
    saved = service.update(rows[0].id, survey.supervisor, valid=True, responsible_unit="反诈中心",
                           status="assigned")
    assert service.list(survey.project_id, status="assigned") == [saved]
    assert service.settings(survey.project_id).units[0] == "交警大队"
    with pytest.raises(PermissionDenied):
        service.list(survey.project_id, user_id=survey.interviewer)


# -- the command line -----------------------------------------------------------------------------


def test_cli_collect_list_set_export_and_follow_up(run_cli, db_url, database, survey, tmp_path):
    result = run_cli("--db", db_url, "suggestions", "collect", "--project", CODE,
                     "--user", "chen")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("collected 7 new suggestions")
    again = run_cli("--db", db_url, "suggestions", "collect", "--project", CODE)
    assert again.stdout.startswith("collected 0 new suggestions")
    plain = run_cli("--db", db_url, "suggestions", "list", "--project", CODE).stdout
    assert len(plain.splitlines()) == 7 and "交通管理 (proposed)" in plain

    listed = json.loads(run_cli("--db", db_url, "suggestions", "list", "--project", CODE,
                                "--json").stdout)
    assert len(listed) == 7
    rows = {r["text"]: r for r in listed}
    first = rows["路口红绿灯时间太短,希望调整"]
    assert (first["category"], first["proposed"], first["valid"], first["status"],
            first["stratum"], first["follow_up_ok"]) == ("交通管理", True, None, "new",
                                                         "古槐街道", True)
    assert set(first) >= {"id", "interview_id", "question", "responsible_unit", "notes",
                          "follow_up_case_id", "follow_up_project"}
    traffic = json.loads(run_cli("--db", db_url, "suggestions", "list", "--project", CODE,
                                 "--category", "交通管理", "--json").stdout)
    assert [r["id"] for r in traffic] == [first["id"]]

    refused = run_cli("--db", db_url, "suggestions", "set", str(first["id"]),
                      "--status", "resolved", "--user", "chen")
    assert refused.returncode == 1
    assert refused.stderr.startswith("cati: a suggestion cannot go from new to resolved")
    assert len(refused.stderr.strip().splitlines()) == 1
    nobody = run_cli("--db", db_url, "suggestions", "set", str(first["id"]), "--valid", "yes",
                     "--user", "nobody")
    assert nobody.returncode == 1 and nobody.stderr.strip() == "cati: no user 'nobody'"
    for step in (["--valid", "yes", "--unit", "交警大队", "--status", "assigned"],
                 ["--status", "resolved", "--notes", "已调整配时"]):
        done = run_cli("--db", db_url, "suggestions", "set", str(first["id"]), *step,
                       "--user", "chen")
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "resolved"
    resolved = json.loads(run_cli("--db", db_url, "suggestions", "list", "--project", CODE,
                                  "--status", "resolved", "--json").stdout)
    assert [(r["id"], r["notes"], r["proposed"]) for r in resolved] == [
        (first["id"], "已调整配时", False)]

    out = tmp_path / "suggestions.xlsx"
    exported = run_cli("--db", db_url, "suggestions", "export", "--project", CODE,
                       "--out", out)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"wrote 7 suggestions to {out}"
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:5] == ("编号 id", "访问编号 interview_id", "样本层 stratum",
                             "题目 question", "内容 text")
    assert len(values) == 8
    formula = next(row for row in sheet.iter_rows(min_row=2) if row[4].value.startswith("="))
    assert formula[4].value == '=HYPERLINK("http://x.cn","电信诈骗太多")'
    assert formula[4].data_type == "s"  # text, not a formula
    by_id = {row[0]: row for row in values[1:]}
    assert by_id[first["id"]][5:10] == ("是", "交通管理", None, "交警大队", "resolved")

    out_csv = tmp_path / "suggestions.csv"
    assert run_cli("--db", db_url, "suggestions", "export", "--project", CODE, "--out",
                   out_csv).returncode == 0
    raw = out_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert len(lines) == 8
    assert '\'=HYPERLINK("http://x.cn","电信诈骗太多")' in [line[4] for line in lines]
    bad = run_cli("--db", db_url, "suggestions", "export", "--project", CODE,
                  "--out", tmp_path / "x.pdf")
    assert bad.returncode == 1 and bad.stderr.startswith("cati: x.pdf: ")

    follow = run_cli("--db", db_url, "suggestions", "follow-up", "--project", CODE,
                     "--user", "chen")
    assert follow.returncode == 0, follow.stderr
    assert follow.stdout.strip() == (f"created follow-up project {CODE}_FU1: 1 cases for "
                                     "1 suggestions")
    projects = json.loads(run_cli("--db", db_url, "project", "list", "--json").stdout)
    assert {(p["code"], p["form_id"], p["cases"]) for p in projects} == {
        (CODE, "public_safety", 7), (f"{CODE}_FU1", "follow_up", 1)}
    nothing = run_cli("--db", db_url, "suggestions", "follow-up", "--project", CODE)
    assert nothing.returncode == 1
    assert nothing.stderr.startswith("cati: no resolved suggestion")
    with database.unit(immediate=False) as session:
        users = {e.action: e.user_id for e in session.scalars(select(AuditEntry))}
    assert users["suggestion_follow_up_created"] == survey.supervisor
    assert users["suggestions_exported"] is None


def test_cli_settings_show_and_set(run_cli, db_url, database, survey, tmp_path):
    shown = json.loads(run_cli("--db", db_url, "suggestions", "settings", "--project",
                               CODE).stdout)
    assert shown["suggestion_questions"] == ["suggestion", "unsat_reason"]
    assert shown["suggestion_keywords"]["交通管理"][:3] == ["红绿灯", "信号灯", "交通"]
    assert "不知道" in shown["suggestion_none_answers"]
    changes = tmp_path / "s.json"
    changes.write_text(json.dumps({"suggestion_categories": ["交通管理", "其他"]}),
                       encoding="utf-8")
    done = run_cli("--db", db_url, "suggestions", "settings", "--project", CODE,
                   "--set", changes)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["suggestion_categories"] == ["交通管理", "其他"]
    changes.write_text(json.dumps({"suggestion_categories": "x"}), encoding="utf-8")
    bad = run_cli("--db", db_url, "suggestions", "settings", "--project", CODE,
                  "--set", changes)
    assert bad.returncode == 1
    assert bad.stderr.startswith("cati: project setting suggestion_categories must be")
    unknown = run_cli("--db", db_url, "suggestions", "list", "--project", "NOPE")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "cati: no project 'NOPE'"

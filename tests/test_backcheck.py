"""Back-checks (复核) end to end, both backends: interviewers complete interviews on the shipped
survey (claim, interview, outcome), a supervisor voids one the existing way, draws a share of
every interviewer's completes, the back-check calls are made on the shipped back-check form
through the interviewer's path, and the results and per-interviewer figures follow."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, insert, select

from cati.calling.outcomes import record_outcome
from cati.config import QUESTIONNAIRE_DIR
from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.loader import load_form
from cati.services.admin import update_project_settings
from cati.services.backcheck import (
    backcheck_figures,
    draw_backchecks,
    list_backchecks,
)
from cati.services.interviews import open_interview, save_answers
from cati.services.projects import create_project
from cati.services.questionnaires import form_of
from cati.services.sample_browser import SampleBrowser
from cati.services.users import add_user
from cati.services.workstation import next_call
from cati.storage.models import AuditEntry, Backcheck, Case, Interview, Project
from tests.forms import form_answers

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
LATER = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # the back-check calls, a week on
CODE = "PY2026_11"
FORM = load_form(QUESTIONNAIRE_DIR / "public_safety.xlsx")
ORIGINAL = {"age": "46", "township": "1"}  # every respondent: 46, 古槐街道
COMPLETES = {"wang": 20, "li": 12, "zhao": 3}


def complete_call(database, project_id: int, interviewer: int, workstation: str,
                  answers: dict[str, str], now: dt.datetime = NOW) -> tuple[int, int]:
    call = next_call(database, project_id, interviewer, workstation, now=now)
    assert call is not None
    info = open_interview(database, project_id, case_id=call.case_id,
                          interviewer_id=interviewer, workstation=workstation, now=now)
    save_answers(database, info.id, answers, current_item=None, user_id=interviewer,
                 workstation=workstation, now=now)
    record_outcome(database, call.case_id, workstation, "1.1", interviewer_id=interviewer,
                   now=now + dt.timedelta(minutes=12), interview_id=info.id)
    return call.case_id, info.id


@pytest.fixture
def survey(database):
    return build_survey(database)


def build_survey(database):
    """Three interviewers' completes (20, 12, 3); one of zhao's voided by reopening its case."""
    with database.unit() as session:
        admin = add_user(session, "admin", "password-123", "admin", "管理员").id
        boss = add_user(session, "chen", "password-123", "supervisor", "陈督导").id
        people = {name: add_user(session, name, "password-123", "interviewer", name.title()).id
                  for name in COMPLETES}
        project = create_project(session, CODE, QUESTIONNAIRE_DIR / "public_safety.xlsx",
                                 name="平舆县11月测评")
        total = sum(COMPLETES.values())
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861390000{n:04d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "", "attributes": {},
             "time_zone": "Asia/Shanghai", "number_type": "mobile", "draw": n,
             "phone_raw": f"1390000{n:04d}"} for n in range(total)])
    update_project_settings(database, admin, project.id, max_attempts=2)
    answers = form_answers(FORM, ORIGINAL)
    interviews: dict[str, list[tuple[int, int]]] = {}
    for name, count in COMPLETES.items():
        for _ in range(count):
            interviews.setdefault(name, []).append(
                complete_call(database, project.id, people[name], f"ws-{name}", answers))
    void_case, void_interview = interviews["zhao"][0]
    SampleBrowser(database, boss).reopen([void_case], boss, reason="录音核查:访问未完成",
                                         now=NOW)
    return database, project.id, boss, people, void_interview


def test_a_draw_takes_each_interviewers_share_never_twice_never_a_void_one(survey):
    database, project_id, boss, _people, void_interview = survey
    result = draw_backchecks(database, project_id, rate="5%", seed=7, user_id=boss, now=LATER)
    # 5% of 20, 12 and the 2 left of zhao's 3, rounded up, at least one each.
    assert result.as_json() == {"project": f"{CODE}-FH", "drawn": 3,
                                "per_interviewer": {"wang": 1, "li": 1, "zhao": 1}}
    again = draw_backchecks(database, project_id, rate="5%", seed=7, user_id=boss, now=LATER)
    assert (again.drawn, again.project, again.created) == (0, f"{CODE}-FH", False)
    more = draw_backchecks(database, project_id, rate="50%", seed=8, user_id=boss, now=LATER)
    assert more.per_interviewer == {"wang": 9, "li": 5, "zhao": 0}  # topped up to 10, 6, 1
    with database.unit(immediate=False) as session:
        drawn = session.execute(select(Backcheck.interview_id, Interview.state,
                                       Interview.interviewer_id)
                                .join(Interview, Interview.id == Backcheck.interview_id)).all()
        checks = session.scalar(select(Project).where(Project.code == f"{CODE}-FH"))
        cases = session.scalars(select(Case).where(Case.project_id == checks.id)).all()
        audit = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "backcheck_drawn").order_by(AuditEntry.id)).all()
    ids = [interview_id for interview_id, _state, _who in drawn]
    assert len(ids) == len(set(ids)) == 17
    assert void_interview not in ids and {state for _i, state, _w in drawn} == {"complete"}
    assert len(cases) == 17 and checks.settings["backcheck_of"]["code"] == CODE
    # The checker's case names the centre and the original call's day, never its answers.
    assert {tuple(sorted(c.attributes)) for c in cases} == {
        ("call_date", "centre_name", "checked_interviewer_id", "source_project")}
    assert {c.attributes["call_date"] for c in cases} == {"2026年11月23日"}
    assert {c.attributes["centre_name"] for c in cases} == {"平舆县民情调查服务中心"}
    assert [a.details["per_interviewer"] for a in audit] == [
        {"wang": 1, "li": 1, "zhao": 1}, {"wang": 9, "li": 5, "zhao": 0}]
    assert all(a.user_id == boss for a in audit)


def test_an_interviewer_never_gets_the_call_that_checks_their_own_interview(survey):
    """zhao's draw is zhao's one remaining complete: zhao's Ready on the back-check project
    finds nothing, while wang, claiming for the same project, is handed that very call."""
    database, project_id, boss, people, _void = survey
    result = draw_backchecks(database, project_id, rate="5%", seed=7, user_id=boss, now=LATER)
    with database.unit(immediate=False) as session:
        checks = session.scalar(select(Project.id).where(Project.code == result.project))
        zhaos = set(session.scalars(select(Backcheck.case_id)
                                    .where(Backcheck.interviewer_id == people["zhao"])))
    claimed_by_zhao = []
    while (call := next_call(database, checks, people["zhao"], "ws-zhao", now=LATER)):
        claimed_by_zhao.append(call.case_id)
        record_outcome(database, call.case_id, "ws-zhao", "4.51",  # held back, out of the way
                       interviewer_id=people["zhao"], now=LATER)
    assert len(claimed_by_zhao) == 2 and not zhaos & set(claimed_by_zhao)
    call = next_call(database, checks, people["wang"], "ws-wang", now=LATER)
    assert call is not None and call.case_id in zhaos


# The back-check answers of each scenario; None: no interview, the call's codes instead.
CALLS = {
    "confirmed": {"took_part": "1", "topic": "1", "duration": "3", "age_band": "3",
                  "township": "1"},
    "denied": {"took_part": "2"},
    "other_person": {"took_part": "1", "topic": "1", "duration": "1", "age_band": "1",
                     "township": "5"},
}


def play_call(database, project_id: int, call, answers: dict[str, str], user: int,
              workstation: str) -> dict[str, str]:
    """The back-check interview as the interviewer window runs it (case data in the engine,
    every change saved, the outcome recorded); returns what was shown, by item."""
    info = open_interview(database, project_id, case_id=call.case_id, interviewer_id=user,
                          workstation=workstation, now=LATER)
    with database.unit(immediate=False) as session:
        form = form_of(session, info.questionnaire_id)
    engine = InterviewEngine.start(form, seed=info.seed, clock=lambda: LATER,
                                   case_data=call.case_data, context=info.context)
    shown = {}
    while not engine.finished:
        presented = engine.current()
        shown[presented.item.name] = presented.label
        value = answers[presented.item.name] if presented.item.is_question else None
        assert engine.answer(value) is None, presented.item.name
        save_answers(database, info.id, engine.take_changes(),
                     current_item=engine.current_item.name if engine.current_item else None,
                     user_id=user, workstation=workstation, now=LATER)
    assert engine.outcome.state == "complete"
    record_outcome(database, call.case_id, workstation, "1.1", interviewer_id=user, now=LATER,
                   interview_id=info.id)
    return shown


def test_back_check_calls_confirm_or_not_and_the_figures_follow(survey, run_cli, db_url):
    database, project_id, boss, _people, _void = survey
    draw = draw_backchecks(database, project_id, rate="10%", seed=3, user_id=boss, now=LATER)
    assert draw.per_interviewer == {"wang": 2, "li": 2, "zhao": 1}
    with database.unit() as session:  # a checker whose own work is not among the drawn
        checker = add_user(session, "sun", "K7-nus-2026!", "interviewer", "孙").id
    scenarios = ["confirmed", "denied", "other_person", "unreachable", "refused"]
    by_case: dict[int, str] = {}
    for scenario in scenarios:
        call = next_call(database, draw.project_id, checker, "ws-check", now=LATER)
        assert call is not None
        by_case[call.case_id] = scenario
        if scenario in CALLS:
            shown = play_call(database, draw.project_id, call, CALLS[scenario], checker,
                              "ws-check")
            assert "平舆县民情调查服务中心" in shown["intro"] and "2026年11月23日" in shown["intro"]
            assert set(shown) - {"intro", "end_thanks", "centre", "call_date"} == set(
                CALLS[scenario])
        else:
            code = {"unreachable": "3.13", "refused": "2.112"}[scenario]
            record_outcome(database, call.case_id, "ws-check", code, interviewer_id=checker,
                           now=LATER)
    # Before the second attempts, the calls not answered are still pending.
    pending = {r.result for r in list_backchecks(database, project_id, user_id=boss, now=LATER)}
    assert None in pending
    later = LATER + dt.timedelta(days=8)  # a refusal is tried again after a week
    for _ in range(2):
        call = next_call(database, draw.project_id, checker, "ws-check", now=later)
        code = {"unreachable": "3.13", "refused": "2.112"}[by_case[call.case_id]]
        record_outcome(database, call.case_id, "ws-check", code, interviewer_id=checker,
                       now=later)
    rows = list_backchecks(database, project_id, user_id=boss, now=later)
    with database.unit(immediate=False) as session:
        cases = dict(session.execute(select(Backcheck.interview_id, Backcheck.case_id)).all())
    got = {by_case[cases[r.interview_id]]: r for r in rows}
    assert {name: row.result for name, row in got.items()} == {
        "confirmed": "confirmed", "denied": "not_confirmed", "other_person": "not_confirmed",
        "unreachable": "unreachable", "refused": "refused"}
    assert got["confirmed"].discrepancies == ()
    assert got["denied"].discrepancies == ("受访者说没有接受过调查 (did not take part)",)
    assert got["other_person"].discrepancies == (
        "年龄段不符 (age band differs): 原 46, 复核 18-29岁",
        "乡镇不符 (township differs): 原 古槐街道, 复核 射桥镇")
    assert any("记录12分钟" in note for note in got["confirmed"].notes)
    with database.unit(immediate=False) as session:
        results = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "backcheck_result")).all()
    assert sorted(a.details["result"] for a in results) == sorted(
        ["confirmed", "not_confirmed", "not_confirmed", "unreachable", "refused"])

    figures = {f.interviewer: f for f in backcheck_figures(database, project_id, user_id=boss)}
    assert {name: (f.completes, f.drawn, f.checked) for name, f in figures.items()} == {
        "wang": (20, 2, 2), "li": (12, 2, 2), "zhao": (2, 1, 1)}
    assert sum(f.confirmed for f in figures.values()) == 1
    assert sum(f.not_confirmed for f in figures.values()) == 2
    confirmed_by = next(f for f in figures.values() if f.confirmed)
    assert confirmed_by.rate == 1 / (confirmed_by.confirmed + confirmed_by.not_confirmed)

    # The same through the command line, as JSON.
    done = run_cli("--db", db_url, "backcheck", "figures", CODE, "--json")
    assert done.returncode == 0, done.stderr
    assert {f["interviewer"]: f["drawn"] for f in json.loads(done.stdout)} == {
        "wang": 2, "li": 2, "zhao": 1}
    listed = run_cli("--db", db_url, "backcheck", "list", CODE, "--json")
    assert sorted(r["result"] for r in json.loads(listed.stdout)) == sorted(
        ["confirmed", "not_confirmed", "not_confirmed", "unreachable", "refused"])


def test_the_command_line_draws_and_refuses_bad_input_in_one_line(survey, run_cli, db_url):
    database, _project_id, _boss, _people, _void = survey

    def audit_and_rows():
        with database.unit(immediate=False) as session:
            return (session.scalar(select(func.count()).select_from(AuditEntry)),
                    session.scalar(select(func.count()).select_from(Backcheck)),
                    session.scalar(select(func.count()).select_from(Project)))

    before = audit_and_rows()
    for args, words in ((("NOPE", "--rate", "5%"), "no project 'NOPE'"),
                        ((CODE, "--rate", "abc"), "not a share"),
                        ((CODE, "--rate", "150%"), "at most 100%"),
                        ((CODE, "--rate", "0"), "above 0"),
                        ((CODE, "--rate", "5"), "write 5%")):
        done = run_cli("--db", db_url, "backcheck", "draw", *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.count("\n") == 1 and words in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert run_cli("--db", db_url, "backcheck", "list", "NOPE").returncode == 1
    refused = run_cli("--db", db_url, "backcheck", "draw", CODE, "--rate", "5%",
                      "--user", "wang")  # an interviewer
    assert refused.returncode == 1 and "仅督导或管理员" in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert audit_and_rows() == before

    done = run_cli("--db", db_url, "backcheck", "draw", CODE, "--rate", "5%",
                   "--min-per-interviewer", "2", "--seed", "11", "--user", "chen", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"project": f"{CODE}-FH", "drawn": 6,
                                       "per_interviewer": {"wang": 2, "li": 2, "zhao": 2}}
    listed = run_cli("--db", db_url, "backcheck", "list", CODE)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 6
    assert all("pending" in line for line in listed.stdout.splitlines())
    # The back-check project is not drawn from itself.
    itself = run_cli("--db", db_url, "backcheck", "draw", f"{CODE}-FH", "--rate", "5%")
    assert itself.returncode == 1 and "back-check project" in itself.stderr


def test_the_shipped_back_check_form_is_built_from_its_source():
    source = load_form(QUESTIONNAIRE_DIR / "backcheck.md")
    built = load_form(QUESTIONNAIRE_DIR / "backcheck.xlsx")
    assert [i.name for i in source.items] == [i.name for i in built.items]
    # A respondent who never took part is thanked at once; the others are asked the checks.
    assert set(form_answers(built, {"took_part": "2"})) == {"centre", "call_date",
                                                            "took_part"}

"""Call-backs that tell the truth: residents interviewed on the shipped survey, their suggestions
resolved with the unit's reply, called back on the shipped follow-up form (the interviewer's
path: claim, call screen, engine, saved answers, outcome), and each call's result sets the
suggestion's state. Both backends."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import openpyxl
import pytest
from sqlalchemy import insert, select

from cati.calling.outcomes import record_outcome
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError
from cati.questionnaire.engine import InterviewEngine
from cati.reporting.monthly import STATUS_LABELS, write_monthly_report
from cati.services.admin import update_project_settings
from cati.services.interviews import open_interview, save_answers
from cati.services.projects import create_project
from cati.services.questionnaires import form_of
from cati.services.suggestions import (
    check_follow_ups,
    collect_suggestions,
    create_follow_up,
    list_suggestions,
    update_suggestion,
)
from cati.services.users import add_user
from cati.services.workstation import CallInfo, next_call
from cati.storage.models import AuditEntry, Case

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
REPLIED = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)  # 11:00 in Beijing
CALLED = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # the call-backs: Monday 10:00
CODE = "PY2026_11"
WS = "callback-ws"

# The original survey's answers that matter; the player answers whatever else the form asks
# (first choice, an age, "没有") — only questions the form asks are answered.
BASE = {"phone_kind": "1", "age": "46", "residence": "1", "occupation": "2", "township": "1",
        "urban_rural": "1", "safety": "2", "trend": "1", "sat_police": "4",
        "sat_procuratorate": "2", "sat_court": "2", "sat_justice": "2",
        "unsat_reason": "说不上来", "campaign_aware": "1", "gang_exists": "2",
        "campaign_sat": "2", "gender": "1", "follow_up_ok": "1"}


@dataclass(frozen=True)
class Scenario:
    complaint: str
    category: str
    unit: str
    reply: str
    call: dict[str, str] | None  # the follow-up form's answers; None: no interview
    codes: tuple[str, ...]  # the call outcomes recorded, day by day (after the interview: 1.1)
    status: str
    outcome: str
    satisfaction: str | None


SCENARIOS = {
    "solved": Scenario("村口路灯坏了三个月没人修", "治安管理", "古槐派出所",
                       "已联系供电所更换路灯", {"problem_fixed": "1", "handling_sat": "1"},
                       (), "checked", "solved", "satisfied"),
    "solved_unhappy": Scenario("路口红绿灯时间太短", "交通管理", "交警大队",
                               "已调整信号灯配时", {"problem_fixed": "1", "handling_sat": "4",
                                                    "still_issue": "拖了两个月才改"},
                               (), "reopened", "solved", "dissatisfied"),
    "partly": Scenario("小区经常有人偷电动车", "违法犯罪", "清河派出所",
                       "已加强夜间巡逻", {"problem_fixed": "2", "handling_sat": "2",
                                          "still_issue": "白天还是有人偷"},
                       (), "reopened", "partly", "basically"),
    "not_solved": Scenario("菜市场门口违停堵路", "交通管理", "交警大队",
                           "已安排民警劝离", {"problem_fixed": "3", "handling_sat": "3",
                                              "still_issue": "一点没变,车照样停"},
                           (), "reopened", "not_solved", "not_very"),
    "unreachable": Scenario("派出所办户口排队太久", "公安服务", "户政大厅",
                            "已增开一个窗口", None, ("3.13", "3.13"), "unreachable",
                            "unreachable", None),
    "refused": Scenario("邻居装修噪音扰民", "群众求助", "东皇派出所",
                        "已上门调解", None, ("2.112", "2.112"), "refused", "refused", None),
}


def play(database, info, call: CallInfo | None, answers: dict[str, str], *, user: int,
         now: dt.datetime, fallback: bool) -> dict[str, str]:
    """Play an interview through the engine as the interviewer window does (the case's data
    handed to the engine, every change saved); returns {item: label shown} of what was asked."""
    with database.unit(immediate=False) as session:
        form = form_of(session, info.questionnaire_id)
    engine = InterviewEngine.start(form, seed=info.seed, clock=lambda: now,
                                   case_data=call.case_data if call else None)
    shown: dict[str, str] = {}
    while not engine.finished:
        presented = engine.current()
        assert presented is not None
        item = presented.item
        shown[item.name] = presented.label
        value = None
        if item.is_question:
            if item.name in answers:
                value = answers[item.name]
            else:
                assert fallback, f"the form asks {item.name}, not in the script"
                value = {"integer": "40", "text": "没有"}.get(
                    item.kind, presented.choices[0].name if presented.choices else "")
        assert engine.answer(value) is None, item.name
        save_answers(database, info.id, engine.take_changes(),
                     current_item=engine.current_item.name if engine.current_item else None,
                     user_id=user, workstation=WS, now=now)
    assert engine.outcome.state == "complete"
    return shown


def claim(database, project_id: int, user: int, now: dt.datetime) -> CallInfo:
    call = next_call(database, project_id, user, WS, now=now)
    assert call is not None
    return call


@pytest.fixture
def month(database):
    """Six residents interviewed on the shipped survey, each leaving one suggestion and agreeing
    to a call-back; each suggestion reviewed, assigned and resolved with the unit's reply."""
    with database.unit() as session:
        admin = add_user(session, "admin", "password-123", "admin", "管理员").id
        boss = add_user(session, "chen", "password-123", "supervisor", "陈督导").id
        wang = add_user(session, "wang", "password-123", "interviewer", "王芳").id
        project = create_project(session, CODE, QUESTIONNAIRE_DIR / "public_safety.xlsx",
                                 name="平舆县11月测评")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861390000{n:04d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "样本", "attributes": {},
             "time_zone": "Asia/Shanghai", "number_type": "mobile", "draw": n,
             "phone_raw": f"1390000{n:04d}"} for n in range(len(SCENARIOS))])
    update_project_settings(database, admin, project.id, max_attempts=2)
    for name in SCENARIOS:  # the queue order decides who answers what; the text says who
        call = claim(database, project.id, wang, NOW)
        info = open_interview(database, project.id, case_id=call.case_id, interviewer_id=wang,
                              workstation=WS, now=NOW)
        play(database, info, call, {**BASE, "suggestion": SCENARIOS[name].complaint},
             user=wang, now=NOW, fallback=True)
        record_outcome(database, call.case_id, WS, "1.1", interviewer_id=wang, now=NOW,
                       interview_id=info.id)
    assert collect_suggestions(database, project.id, user_id=boss, now=NOW).added == 6
    for row in list_suggestions(database, project.id):
        scenario = next(s for s in SCENARIOS.values() if s.complaint == row.text)
        update_suggestion(database, row.id, user_id=boss, valid=True,
                          category=scenario.category, responsible_unit=scenario.unit,
                          status="assigned", now=NOW)
        update_suggestion(database, row.id, user_id=boss, reply=scenario.reply,
                          status="resolved", now=REPLIED)
    return database, project.id, boss, wang


def by_scenario(database, project_id: int) -> dict[str, object]:
    rows = list_suggestions(database, project_id)
    return {name: next(r for r in rows if r.text == s.complaint)
            for name, s in SCENARIOS.items()}


def test_each_call_back_outcome_sets_the_suggestion_state(month, tmp_path):
    database, project_id, boss, wang = month
    follow_up = create_follow_up(database, project_id, user_id=boss, now=CALLED)
    assert (follow_up.cases, follow_up.suggestions) == (6, 6)

    # Day one: every number is called once.
    for _ in SCENARIOS:
        call = claim(database, follow_up.project_id, wang, CALLED)
        data = call.case_data
        name, scenario = next((n, s) for n, s in SCENARIOS.items()
                              if s.complaint == data["suggestion_text"])
        assert (data["suggestion_category"], data["suggestion_unit"],
                data["suggestion_reply"], data["suggestion_reply_date"]) == (
            scenario.category, scenario.unit, scenario.reply, "2026年11月30日")
        if scenario.call is None:
            record_outcome(database, call.case_id, WS, scenario.codes[0], interviewer_id=wang,
                           now=CALLED)
            continue
        info = open_interview(database, follow_up.project_id, case_id=call.case_id,
                              interviewer_id=wang, workstation=WS, now=CALLED)
        shown = play(database, info, call, scenario.call, user=wang, now=CALLED,
                     fallback=False)
        # The interviewer reads the complaint, its category, the unit and its dated reply.
        intro = shown["intro"]
        for piece in (scenario.complaint, scenario.category, scenario.unit, scenario.reply,
                      "2026年11月30日"):
            assert piece in intro, (piece, intro)
        assert "${" not in intro
        asked = set(shown) - {"intro", "end_thanks"}
        assert asked == set(scenario.call), name  # still_issue only when something is wrong
        record_outcome(database, call.case_id, WS, "1.1", interviewer_id=wang, now=CALLED,
                       interview_id=info.id)

    changed = collect_suggestions(database, project_id, user_id=boss, now=CALLED)
    assert (changed.checked, changed.reopened, changed.unreachable, changed.refused) == (
        1, 3, 0, 0)
    rows = by_scenario(database, project_id)
    assert rows["unreachable"].status == rows["refused"].status == "resolved"  # still calling

    # Day two: the unanswered number reaches its two attempts; a week on, the second refusal.
    for day, name in ((CALLED + dt.timedelta(days=1), "unreachable"),
                      (CALLED + dt.timedelta(days=8), "refused")):
        call = claim(database, follow_up.project_id, wang, day)
        assert call.case_data["suggestion_text"] == SCENARIOS[name].complaint
        record_outcome(database, call.case_id, WS, SCENARIOS[name].codes[1],
                       interviewer_id=wang, now=day)
    assert check_follow_ups(database, project_id, user_id=boss,
                            now=CALLED + dt.timedelta(days=8)) == 2
    assert check_follow_ups(database, project_id, now=CALLED + dt.timedelta(days=8)) == 0

    rows = by_scenario(database, project_id)
    for name, scenario in SCENARIOS.items():
        row = rows[name]
        assert (row.status, row.follow_up_outcome, row.follow_up_satisfaction) == (
            scenario.status, scenario.outcome, scenario.satisfaction), name
        assert row.followed_up_at is not None
    # The unit sees why its suggestion came back: the resident's words in the notes.
    assert "still_issue=一点没变,车照样停" in rows["not_solved"].notes
    assert "problem_fixed=没有解决" in rows["not_solved"].notes
    assert "回访未解决" in rows["solved_unhappy"].notes
    assert "complaint=" not in rows["partly"].notes  # the case data is not an answer
    assert "3.90" in rows["unreachable"].notes and "2.112" in rows["refused"].notes
    with database.unit(immediate=False) as session:
        actions = sorted(session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.in_(["suggestion_checked", "suggestion_reopened",
                                   "suggestion_unreachable", "suggestion_refused"]))))
    assert actions == ["suggestion_checked", "suggestion_refused", "suggestion_reopened",
                       "suggestion_reopened", "suggestion_reopened", "suggestion_unreachable"]

    # Final states stay final; a reopened one goes back through its unit.
    with pytest.raises(CatiError, match="cannot go from unreachable"):
        update_suggestion(database, rows["unreachable"].id, status="assigned")
    with pytest.raises(CatiError, match="cannot go from reopened to checked"):
        update_suggestion(database, rows["not_solved"].id, status="checked")
    again = update_suggestion(database, rows["not_solved"].id, user_id=boss,
                              reply="已设置禁停标志并每天巡查", status="resolved",
                              now=CALLED + dt.timedelta(days=9))
    assert again.status == "resolved" and again.replied_at is not None
    second = create_follow_up(database, project_id, user_id=boss,
                              now=CALLED + dt.timedelta(days=9))
    assert (second.code, second.suggestions) == (f"{CODE}_FU2", 1)
    with database.unit(immediate=False) as session:
        attributes = session.scalar(select(Case.attributes).where(
            Case.project_id == second.project_id))
    assert attributes["suggestion_reply"] == "已设置禁停标志并每天巡查"
    assert attributes["suggestion_reply_date"] == "2026年12月16日"
    row = by_scenario(database, project_id)["not_solved"]
    assert (row.follow_up_project, row.follow_up_outcome) == (f"{CODE}_FU2", None)

    # The monthly report counts each state; 已回访核实 only the call that found it solved.
    book = openpyxl.load_workbook(write_monthly_report(database, CODE, tmp_path / "m.xlsx"))
    counts = {row[0]: row[1] for row in book["意见建议"].iter_rows(values_only=True)
              if row[0] in STATUS_LABELS.values()}
    assert counts == {"待处理": 0, "已分派": 0, "已办结(待回访)": 1, "回访未解决(已退回)": 2,
                      "已回访核实": 1, "回访未联系上": 1, "回访拒访": 1}

def test_cli_reply_and_the_json_list(month, run_cli, db_url):
    database, project_id, _boss, _wang = month
    row = by_scenario(database, project_id)["partly"]
    result = run_cli("--db", db_url, "suggestions", "update", str(row.id), "--reply",
                     "已在小区加装监控", "--user", "chen")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reply"] == "已在小区加装监控"
    listed = run_cli("--db", db_url, "suggestions", "list", "--project", CODE, "--status",
                     "resolved", "--json")
    assert listed.returncode == 0, listed.stderr
    entry = next(e for e in json.loads(listed.stdout) if e["id"] == row.id)
    assert {key: entry[key] for key in ("status", "status_label", "reply", "follow_up_outcome",
                                        "follow_up_satisfaction", "followed_up_at")} == {
        "status": "resolved", "status_label": "已办结", "reply": "已在小区加装监控",
        "follow_up_outcome": None, "follow_up_satisfaction": None, "followed_up_at": None}
    assert entry["replied_at"].startswith("20")
    long = run_cli("--db", db_url, "suggestions", "set", str(row.id), "--reply", "长" * 2001)
    assert long.returncode == 1 and len(long.stderr.strip().splitlines()) == 1
    assert "2000" in long.stderr
    assert by_scenario(database, project_id)["partly"].reply == "已在小区加装监控"
    bad = run_cli("--db", db_url, "suggestions", "set", str(row.id), "--status", "refused")
    assert bad.returncode == 1 and "cannot go from resolved to refused" in bad.stderr


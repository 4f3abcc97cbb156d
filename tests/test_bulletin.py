"""The Word monthly report (通报), on SQLite and PostgreSQL, built from interviews played on the
shipped questionnaire through the services (claim, interview, outcome, suggestions collected and
handled), opened with python-docx and checked against ``cati report indices --json``."""

from __future__ import annotations

import datetime as dt
import json
from fractions import Fraction

import pytest
from docx import Document
from sqlalchemy import insert, select

from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError
from cati.questionnaire.engine import InterviewEngine
from cati.reporting.bulletin import NOT_RANKED, RANK_HEADINGS, write_bulletin
from cati.reporting.indices import competition_ranks
from cati.services.bulletin import update_bulletin_settings
from cati.services.interviews import open_interview, save_answers
from cati.services.projects import create_project
from cati.services.questionnaires import form_of
from cati.services.suggestions import collect_suggestions, list_suggestions, update_suggestion
from cati.storage.models import AuditEntry, Case, Project

FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
OCTOBER = dt.datetime(2026, 10, 12, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
NOVEMBER = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
TOWNS = {"古槐街道": "1", "清河街道": "2", "东皇街道": "3", "庙湾镇": "4", "射桥镇": "5"}
# What a respondent says to the questions the profile does not name (an eligible adult).
DEFAULTS = {"phone_kind": "3", "age": "45", "residence": "1", "occupation": "2",
            "urban_rural": "1", "trend": "1", "campaign_aware": "1", "gang_exists": "2",
            "campaign_sat": "1", "gender": "1", "follow_up_ok": "1", "safety_worry": ["1"],
            "suggestion": "没有", "unsat_reason": "办事太慢"}


def respondents(town: str, safe: int, unsafe: int, satisfied: int, unsatisfied: int,
                unknown: int = 0, suggestion: str | None = None) -> list[dict]:
    """Profiles of one township: ``safe + unsafe`` respondents; the agencies' answers spread
    over them as satisfied (1), not satisfied (4) and 不了解 (8)."""
    total = safe + unsafe
    sat = ["1"] * satisfied + ["4"] * unsatisfied + ["8"] * unknown
    assert len(sat) == total
    people = []
    for i in range(total):
        person = {"township": TOWNS[town], "safety": "1" if i < safe else "3",
                  "sat_police": sat[i], "sat_procuratorate": sat[(i + 1) % total],
                  "sat_court": sat[i], "sat_justice": sat[(i + 2) % total]}
        if suggestion and i == 0:
            person["suggestion"] = suggestion
        people.append(person)
    return people


# October (last month): 清河 first, 古槐 second, 东皇 third, 庙湾 fourth
OCTOBER_PEOPLE = [
    *respondents("古槐街道", 5, 1, 5, 1),
    *respondents("清河街道", 6, 0, 6, 0),
    *respondents("东皇街道", 4, 2, 4, 2),
    *respondents("庙湾镇", 3, 3, 3, 3),
]
# November: 东皇 climbs to first, 清河 drops to last; 射桥 has two interviews only (not ranked)
NOVEMBER_PEOPLE = [
    *respondents("古槐街道", 5, 1, 4, 1, 1, "路口红绿灯时间太短,希望调整"),
    *respondents("清河街道", 3, 3, 2, 3, 1, "晚上多巡逻,加装摄像头"),
    *respondents("东皇街道", 6, 0, 6, 0, 0, "小区经常有人偷东西"),
    *respondents("庙湾镇", 4, 2, 4, 1, 1, "派出所民警态度不好"),
    *respondents("射桥镇", 2, 0, 2, 0),
]


def play(database, project_id: int, people: list[dict], when: dt.datetime) -> None:
    """One phone interview per profile: claim a case, walk the shipped form answering as the
    profile (or the defaults) says, save, record the outcome."""
    with database.unit() as session:
        form = form_of(session, session.get(Project, project_id).questionnaire_id)
    for number, person in enumerate(people):
        now = when + dt.timedelta(minutes=number)
        claimed = claim_next_case(database, project_id, "ws1", now=now)
        interview = open_interview(database, project_id, case_id=claimed.case_id,
                                   workstation="ws1", now=now)
        engine = InterviewEngine.start(form, seed=interview.seed, clock=lambda now=now: now)
        while not engine.finished and (item := engine.current_item) is not None:
            if not item.is_question:
                assert engine.answer() is None, item.name
                continue
            value = person.get(item.name, DEFAULTS.get(item.name))
            if value is None:
                value = engine.offered_choices(item)[0].name if item.kind.startswith(
                    "select") else "没有"
            error = engine.answer(value)
            assert error is None, (item.name, value, error)
        save_answers(database, interview.id, engine.take_changes(), current_item=None,
                     workstation="ws1", now=now)
        record_outcome(database, claimed.case_id, "ws1", engine.outcome.disposition or "1.1",
                       now=now, interview_id=interview.id)


def new_wave(database, code: str, name: str, cases: int) -> int:
    with database.unit() as session:
        project = create_project(session, code, FORM, name=name)
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+86139{project.id:02d}00{n:04d}",
             "state": "fresh", "attempts": 0, "priority": 0, "stratum": "", "attributes": {},
             "time_zone": "Asia/Shanghai", "number_type": "mobile"} for n in range(cases)])
        return project.id


@pytest.fixture
def month(database):
    """Two waves; November's suggestions collected, one solved and checked, one assigned."""
    october = new_wave(database, "PY2026_10", "平舆县10月测评", len(OCTOBER_PEOPLE))
    play(database, october, OCTOBER_PEOPLE, OCTOBER)
    november = new_wave(database, "PY2026_11", "平舆县11月测评", len(NOVEMBER_PEOPLE) + 3)
    play(database, november, NOVEMBER_PEOPLE, NOVEMBER)
    collect_suggestions(database, november, now=NOVEMBER + dt.timedelta(hours=2))
    rows = {row.text: row for row in list_suggestions(database, november)}
    later = NOVEMBER + dt.timedelta(days=1)
    solved = rows["路口红绿灯时间太短,希望调整"].id
    for status in ("assigned", "resolved", "checked"):
        update_suggestion(database, solved, status=status, responsible_unit="县交警大队", valid=True,
                          now=later)
    update_suggestion(database, rows["晚上多巡逻,加装摄像头"].id, status="assigned", valid=True,
                      responsible_unit="清河派出所", now=later)
    update_bulletin_settings(database, "PY2026_11", {
        "centre_name": "平舆县民情调查服务中心", "min_n": 5,
        "earlier_projects": ["PY2026_10"],
        "targets": {"composite": 0.8, "safety_rate": {"古槐街道": 0.9}}})
    return database


def table_of(document, first_heading: str):
    return next(table for table in document.tables
                if table.rows[0].cells[0].text == first_heading)


def texts(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def percent(value: float | None) -> str:
    from cati.reporting.indices import round_half_up

    return "—" if value is None else f"{round_half_up(Fraction(str(value)) * 100, 1)}%"


def composite(report_rows):
    """From `cati report indices --json` rows: stratum -> (n, the mean of safety_rate and
    law_enforcement_sat), the report's default composite."""
    safety = {r["stratum"]: r for r in report_rows if r["index"] == "safety_rate"}
    law = {r["stratum"]: r for r in report_rows if r["index"] == "law_enforcement_sat"}
    return {name: (row["n"], None if row["value"] is None or law[name]["value"] is None
                   else (row["value"] + law[name]["value"]) / 2)
            for name, row in safety.items() if name != "ALL" and row["n"] > 0}


def test_the_ranking_table_matches_the_indices_report(run_cli, month, db_url, tmp_path):
    out = tmp_path / "通报.docx"
    made = run_cli("--db", db_url, "report", "monthly", "--project", "PY2026_11", "--out", out)
    assert made.returncode == 0, made.stderr
    rows = json.loads(run_cli("--db", db_url, "report", "indices", "--project", "PY2026_11",
                              "--json").stdout)["rows"]
    before = json.loads(run_cli("--db", db_url, "report", "indices", "--project", "PY2026_10",
                                "--json").stdout)["rows"]

    now, then = composite(rows), composite(before)
    ranks = competition_ranks({name: Fraction(str(value)) for name, (n, value) in now.items()
                               if n >= 5})
    earlier_ranks = competition_ranks({name: Fraction(str(value))
                                       for name, (n, value) in then.items() if n >= 5})
    document = Document(str(out))
    table = texts(table_of(document, RANK_HEADINGS[0]))
    assert tuple(table[0]) == RANK_HEADINGS
    shown = {row[1]: row for row in table[1:]}
    assert len(shown) == 19  # every township of the form, also those without interviews
    for name, (n, value) in now.items():
        rank, _, shown_value, _, shown_n, last, _, _ = shown[name]
        assert shown_n == str(n)
        assert shown_value == percent(value)
        assert rank == (NOT_RANKED if n < 5 else str(ranks[name]))
        assert last == (str(earlier_ranks[name]) if name in earlier_ranks else "—")
    assert shown["射桥镇"][0] == NOT_RANKED and shown["射桥镇"][4] == "2"
    assert shown["东皇街道"][0] == "1" and shown["东皇街道"][6] == "↑2"
    assert shown["清河街道"][5] == "1" and shown["清河街道"][6] == "↓3"
    # ranked first, by rank; the not-ranked after them
    listed = [row[0] for row in table[1:]]
    assert listed[:4] == ["1", "2", "3", "4"] and listed[4] == NOT_RANKED

    agencies = texts(table_of(document, "部门"))
    police = next(row for row in agencies if row[0] == "公安机关满意率")
    # 不了解: one answer each in 古槐, 清河 and 庙湾 of 26 interviews
    assert police[4] == percent(3 / 26)
    body = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "东皇街道以" in body and "位居第一" in body  # the analysis names the top …
    assert "清河街道以" in body and "排名最后" in body  # … and the bottom township
    assert "东皇街道上升最多" in body and "清河街道下降最多" in body
    assert "射桥镇本期样本量不足5" in body
    assert body.startswith("平舆县民情调查服务中心")
    # one page per township, each its own bulletin
    for name in shown:
        assert f"{name}公众安全感和满意度测评通报" in body
    assert "古槐街道共访问6人" in body
    targets = texts(table_of(document, "乡镇(街道)"))
    assert targets[0][1] == "综合指数目标" and targets[0][4] == "公众安全感目标"
    (gu,) = [row for row in targets if row[0] == "古槐街道"]
    assert gu[1] == "80.0%" and gu[4:] == ["90.0%", "83.3%", "未达到"]  # 5 of 6 safe
    (dong,) = [row for row in targets if row[0] == "东皇街道"]
    assert dong[1:4] == ["80.0%", "100.0%", "达到"] and dong[4:] == ["—", "—", "—"]
    units = texts(table_of(document, "责任单位"))
    assert ["县交警大队", "1", "1", "0", "100.0%"] in units
    categories = texts(table_of(document, "类别"))
    with month.unit() as session:
        november = session.scalar(select(Project.id).where(Project.code == "PY2026_11"))
    collected = list_suggestions(month, november)  # the suggestions and the reasons given
    assert categories[-1][:3] == ["合计", str(len(collected)), "1"]


def test_the_same_data_gives_the_same_bytes(run_cli, month, db_url, tmp_path):
    """Made twice, in this process and by the command line in another (a minute later): the
    same file (its dates are the data's, the zip's times fixed, the charts without metadata)."""
    first = write_bulletin(month, "PY2026_11", tmp_path / "a.docx")
    second = tmp_path / "b.docx"
    made = run_cli("--db", db_url, "report", "monthly", "--project", "PY2026_11",
                   "--out", second)
    assert made.returncode == 0, made.stderr
    assert first.read_bytes() == second.read_bytes()
    core = Document(str(first)).core_properties
    assert core.created == core.modified == dt.datetime(2026, 11, 23, 2, 25, tzinfo=dt.UTC)
    assert core.author == "平舆县民情调查服务中心"


def test_a_wrong_extension_is_one_line(run_cli, database, db_url, tmp_path):
    new_wave(database, "PY2026_11", "平舆县11月测评", 1)
    folder = tmp_path / "out"
    folder.mkdir()
    wrong = run_cli("--db", db_url, "report", "monthly", "--project", "PY2026_11",
                    "--out", folder / "report.pdf")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1 and ".docx" in wrong.stderr
    assert not list(folder.iterdir())


def test_settings_are_checked_and_audited(database):
    new_wave(database, "PY2026_11", "平舆县11月测评", 1)
    update_bulletin_settings(database, "PY2026_11", {"min_n": 5})
    with pytest.raises(CatiError, match="no index 'nope'"):
        update_bulletin_settings(database, "PY2026_11", {"composite": "nope"})
    with pytest.raises(CatiError, match="not a report setting"):
        update_bulletin_settings(database, "PY2026_11", {"colour": "red"})
    with pytest.raises(CatiError, match="no township '北京'"):
        update_bulletin_settings(database, "PY2026_11", {"targets": {"safety_rate": {"北京": 90}}})
    with pytest.raises(CatiError, match="no project 'NOPE'"):
        update_bulletin_settings(database, "PY2026_11", {"earlier_projects": ["NOPE"]})
    with database.unit() as session:
        settings = session.scalar(select(Project.settings).where(Project.code == "PY2026_11"))
        assert "composite" not in settings and settings["min_n"] == 5
        actions = session.scalars(select(AuditEntry.action)).all()
    assert actions.count("report_settings_changed") == 1


def test_the_console_button_writes_the_word_report(qtbot, sqlite_url, tmp_path):
    """The console's 月度报告 button, its file dialog answered with a name without extension:
    the Word report is the default, written off the GUI thread."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    from cati.backend import Backend
    from cati.services.demo import create_demo
    from cati.services.users import add_user
    from cati.storage.db import Database
    from ui.console_window import ConsoleWindow
    from ui.tasks import TaskRunner

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_demo(session, cases=20)
        boss = add_user(session, "boss", "supervise-2026", "supervisor", "督导")
    database.dispose()
    backend, tasks = Backend(sqlite_url, "ws-boss"), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: console.project is not None, timeout=10_000)
    console.report_action.trigger()
    dialog = console.report_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.nameFilters()[0].endswith("(*.docx)")
    dialog.setDirectory(str(tmp_path))
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    name.selectAll()
    qtbot.keyClicks(name, "monthly-report")  # no extension: the chosen type's is added
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已保存" in console.statusBar().currentMessage(), timeout=60_000)
    document = Document(str(tmp_path / "monthly-report.docx"))
    ranking = texts(table_of(document, RANK_HEADINGS[0]))
    assert len(ranking) == 20 and all(row[0] == NOT_RANKED for row in ranking[1:])
    console.close()
    tasks.shutdown()
    backend.close()


def test_report_settings_on_the_command_line(run_cli, database, db_url, tmp_path):
    new_wave(database, "PY2026_11", "平舆县11月测评", 1)
    shown = json.loads(run_cli("--db", db_url, "report", "settings", "--project",
                               "PY2026_11").stdout)
    assert shown == {"centre_name": "社情民意调查中心", "min_n": 30, "targets": {},
                     "earlier_projects": [],
                     "composite": {"label": "综合指数(公众安全感与执法满意度)",
                                   "parts": {"safety_rate": 1, "law_enforcement_sat": 1}}}
    changes = tmp_path / "settings.json"
    changes.write_text(json.dumps({"centre_name": "平舆县民情调查服务中心",
                                   "composite": "law_enforcement_sat"}), encoding="utf-8")
    changed = run_cli("--db", db_url, "report", "settings", "--project", "PY2026_11",
                      "--set", changes)
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["composite"] == "law_enforcement_sat"
    changes.write_text(json.dumps({"min_n": 0}), encoding="utf-8")
    refused = run_cli("--db", db_url, "report", "settings", "--project", "PY2026_11",
                      "--set", changes)
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "min_n" in refused.stderr
    again = json.loads(run_cli("--db", db_url, "report", "settings", "--project",
                               "PY2026_11").stdout)
    assert again["min_n"] == 30 and again["centre_name"] == "平舆县民情调查服务中心"

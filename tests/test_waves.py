"""Survey series and waves on both databases: a series' standing QR link feeds its open wave; a
closed wave is frozen — a late web answer (through the real web app) is refused with a clear
page, the database itself refuses a raw answer, and the wave's indices JSON and monthly
workbook regenerate byte-identical; a paused project takes no web answers; reports by date
range across waves; the rule in force is shown, set, checked and frozen; ``cati simulate``
refuses a project with real interviews.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from sqlalchemy import func, select, text, update
from test_web_links import COMPLETE, answer_through, current_item, web_client

from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError
from cati.services.series import (
    close_wave,
    create_series,
    earlier_waves,
    open_wave,
    series_rule,
    set_rule,
    start_wave,
    waves,
)
from cati.services.suggestions import collect_suggestions, update_suggestion
from cati.storage.models import Answer, Interview, Project, Suggestion
from cati.web.links import point_link

FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


def cli_ok(run_cli, db_url, *args):
    done = run_cli("--db", db_url, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def refused(run_cli, db_url, *args) -> str:
    done = run_cli("--db", db_url, *args)
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cati: "), done.stderr
    return lines[0]


def project_id(database, code: str) -> int:
    with database.unit(immediate=False) as session:
        return session.scalar(select(Project.id).where(Project.code == code))


def counts(database) -> tuple[int, int]:
    with database.unit(immediate=False) as session:
        return (session.scalar(select(func.count()).select_from(Interview)),
                session.scalar(select(func.count()).select_from(Answer)))


@pytest.fixture
def november(database, db_url, run_cli):
    cli_ok(run_cli, db_url, "series", "create", "PS", "--name", "公众安全感月度测评")
    cli_ok(run_cli, db_url, "wave", "open", "PS", "--period", "2026-11", "--project", "PS2611",
           "--form", FORM)
    return project_id(database, "PS2611")


def test_a_closed_wave_refuses_a_late_web_answer_and_its_reports_stay_byte_identical(
        database, db_url, run_cli, november, tmp_path):
    printed = cli_ok(run_cli, db_url, "web", "link", "--project", "PS2611", "--point",
                     "县政务大厅", "--series-wide", "--base-url", "https://wj.example.cn",
                     "--qr", tmp_path / "poster.png")
    standing = point_link(database, "PS2611", "县政务大厅", series=True, now=NOW)
    assert printed.splitlines()[0] == "https://wj.example.cn" + standing.path  # the same link
    own = point_link(database, "PS2611", "派出所门口", now=NOW)
    assert own.path != standing.path
    for n in range(2):  # two respondents answer through the poster's QR code
        page = answer_through(web_client(database, november, address=f"10.0.1.{n}"),
                              standing.path, COMPLETE)
        assert "问卷已提交" in page
    late = web_client(database, november, address="10.0.2.1")  # begins, finishes after close
    assert current_item(answer_through(late, standing.path, {"phone_kind": "3"})) == "age"

    assert collect_suggestions(database, november, now=NOW).added == 2  # 多装路灯 ×2
    closed = json.loads(cli_ok(run_cli, db_url, "wave", "close", "PS2611", "--json"))
    assert (closed["status"], closed["completes"]) == ("closed", 2)
    report = cli_ok(run_cli, db_url, "report", "indices", "--project", "PS2611", "--json")
    rule = json.loads(report)["rule"]
    assert (rule["rule_source"], rule["min_n"]) == ("frozen", 30)
    assert rule["frozen_at"] == closed["closed_at"]
    first = tmp_path / "11月.xlsx"
    cli_ok(run_cli, db_url, "report", "monthly", "--project", "PS2611", "--out", first)
    before = counts(database)

    # The late respondent presses Next: a clear page, nothing stored.
    answer = late.post(standing.path, data={"action": "next", "item": "age", "value": "40"})
    assert answer.status_code == 410
    assert "本次调查已经结束" in answer.get_data(as_text=True)
    # The wave's own collection point shows the same page to a newcomer.
    newcomer = web_client(database, november, address="10.0.3.1").get(own.path)
    assert newcomer.status_code == 410 and "本次调查已经结束" in newcomer.get_data(as_text=True)
    # Whoever goes round the services (psql, an old client) is refused by the database.
    with database.unit(immediate=False) as session:
        open_one = session.scalar(select(Interview.id).where(
            Interview.project_id == november, Interview.state == "in_progress"))
        done_one = session.scalar(select(Interview.id).where(
            Interview.project_id == november, Interview.state == "complete"))
    for statement, values in (
            ("INSERT INTO answers (interview_id, question, value, answered_at, sequence) "
             "VALUES (:i, 'age', '40', :at, 99)", {"i": open_one, "at": NOW}),
            ("UPDATE answers SET value = '4' WHERE interview_id = :i AND question = 'safety'",
             {"i": done_one}),
            ("UPDATE interviews SET state = 'complete' WHERE id = :i", {"i": open_one}),
            ("UPDATE projects SET status = 'active' WHERE id = :i", {"i": november})):
        with pytest.raises(Exception, match=r"冻结|重新打开"), database.unit() as session:
            session.execute(text(statement), values)
    assert counts(database) == before

    # The suggestions' handling goes on after the close; the published report keeps its words.
    with database.unit(immediate=False) as session:
        first_suggestion = session.scalar(select(func.min(Suggestion.id)))
    update_suggestion(database, first_suggestion, valid=True, category="治安管理",
                      responsible_unit="城关派出所", status="assigned")
    time.sleep(2.1)  # a zip entry's time has a 2-second step: a later run must not show
    second = tmp_path / "11月-again.xlsx"
    cli_ok(run_cli, db_url, "report", "monthly", "--project", "PS2611", "--out", second)
    assert second.read_bytes() == first.read_bytes()
    assert cli_ok(run_cli, db_url, "report", "indices", "--project", "PS2611",
                  "--json") == report

    # December opens on November's questionnaire; the same poster now feeds December, also
    # through a web server started for November.
    cli_ok(run_cli, db_url, "wave", "open", "PS", "--period", "2026-12", "--project", "PS2612")
    december = project_id(database, "PS2612")
    page = answer_through(web_client(database, november, address="10.0.4.1",
                                     now=NOW + dt.timedelta(seconds=10)),
                          standing.path, COMPLETE)
    assert "问卷已提交" in page
    with database.unit(immediate=False) as session:
        newest = session.scalar(select(Interview).order_by(Interview.id.desc()).limit(1))
        assert (newest.project_id, newest.state) == (december, "complete")
        assert open_wave(session, "PS").code == "PS2612"
        assert [(w.code, w.period, w.status) for w in earlier_waves(session, december)] == \
            [("PS2611", "2026-11", "closed")]
        assert [w.completes for w in waves(session, "PS")] == [2, 1]
    assert second.read_bytes() == first.read_bytes()
    listed = json.loads(cli_ok(run_cli, db_url, "wave", "list", "PS", "--json"))
    assert [(w["project"], w["status"]) for w in listed] == [("PS2611", "closed"),
                                                           ("PS2612", "active")]

    # By date range, across the waves: all three completes, or none before the fieldwork.
    across = json.loads(cli_ok(run_cli, db_url, "report", "indices", "--series", "PS",
                               "--from", "2026-11-01", "--to", "2026-12-31", "--json"))
    assert next(r["n"] for r in across["rows"] if r["stratum"] == "ALL") == 3
    assert (across["rule"]["from"], across["rule"]["to"]) == ("2026-11-01", "2026-12-31")
    empty = json.loads(cli_ok(run_cli, db_url, "report", "indices", "--series", "PS",
                              "--from", "2026-10-01", "--to", "2026-10-31", "--json"))
    assert next(r["n"] for r in empty["rows"] if r["stratum"] == "ALL") == 0


def test_a_paused_project_takes_no_web_answers_until_resumed(database, november):
    link = point_link(database, "PS2611", "县政务大厅", series=True, now=NOW)
    browser = web_client(database, november)
    assert current_item(answer_through(browser, link.path, {"phone_kind": "3"})) == "age"
    before = counts(database)
    with database.unit() as session:
        session.execute(update(Project).where(Project.id == november).values(status="paused"))
    time.sleep(0.01)
    page = browser.post(link.path, data={"action": "next", "item": "age", "value": "40"})
    assert page.status_code == 503 and "暂停" in page.get_data(as_text=True)
    assert counts(database) == before
    with database.unit() as session:
        session.execute(update(Project).where(Project.id == november).values(status="active"))
    assert "问卷已提交" in answer_through(browser, link.path, COMPLETE)


def test_wave_commands_refuse_mistakes_in_one_line(database, db_url, run_cli, november):
    assert "has an open wave PS2611" in refused(
        run_cli, db_url, "wave", "open", "PS", "--period", "2026-12", "--project", "PS2612")
    assert "not a month" in refused(run_cli, db_url, "wave", "open", "PS", "--period",
                                    "2026-13", "--project", "PS2613")
    cli_ok(run_cli, db_url, "wave", "close", "PS2611")
    with database.unit() as session:  # the services behind the commands
        for attempt, words in (
                (lambda: close_wave(session, "PS2611"), "closed already"),
                (lambda: start_wave(session, "PS", "2026-10", "PS2610"),
                 "before the series' latest wave"),
                (lambda: start_wave(session, "PS", "2026-11", "PS2611b"),
                 "already has a wave for 2026-11"),
                (lambda: start_wave(session, "PS", "2026-12", "PS2611"),
                 "a closed project cannot become an open wave"),
                (lambda: waves(session, "XX"), "no series 'XX'"),
                (lambda: create_series(session, "PS", "again"), "already exists")):
            with pytest.raises(CatiError, match=words):
                attempt()
    with database.unit(immediate=False) as session:
        assert [(w.code, w.status) for w in waves(session, "PS")] == [("PS2611", "closed")]


def test_the_rule_is_shown_set_checked_and_frozen_with_the_wave(database, db_url, run_cli,
                                                                november, tmp_path):
    shown = json.loads(cli_ok(run_cli, db_url, "report", "rule", "show", "--project", "PS2611",
                              "--json"))
    assert shown == {"project": "PS2611", "source": "questionnaire", "frozen_at": None,
                     "index_policy": {}, "min_n": 30}
    cli_ok(run_cli, db_url, "report", "rule", "set", "--series", "PS", "--min-n", "20",
           "--positive", "sat_police_rate=1", "--weights", "law_enforcement_sat=2,1,1,1")
    text_report = cli_ok(run_cli, db_url, "report", "indices", "--project", "PS2611")
    assert "最低样本量:20" in text_report and "规则来源:所属测评系列的规则" in text_report
    for args, words in ((("--positive", "nosuch=1"), "no index 'nosuch'"),
                        (("--positive", "sat_police_rate"), "write INDEX=A,B")):
        assert words in refused(run_cli, db_url, "report", "rule", "set", "--series", "PS",
                                *args)
    with database.unit() as session:  # the service behind the command checks every part
        for policy, words in (({"positive": {"sat_police_rate": ["7"]}}, "'7' is not a choice"),
                              ({"weights": {"law_enforcement_sat": [1, 1]}},
                               "2 weights for 4 parts"),
                              ({"min_n": 0}, "min_n must be a whole number")):
            with pytest.raises(CatiError, match=words):
                set_rule(session, policy, series_code="PS")
        assert series_rule(session, "PS") == {
            "min_n": 20, "positive": {"sat_police_rate": ["1"]},
            "weights": {"law_enforcement_sat": [2, 1, 1, 1]}}
    bad = tmp_path / "rule.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert "must be a JSON object" in refused(run_cli, db_url, "report", "rule", "set",
                                              "--project", "PS2611", bad)
    cli_ok(run_cli, db_url, "report", "rule", "set", "--project", "PS2611", "--dont-know",
           "excluded")
    own = json.loads(cli_ok(run_cli, db_url, "report", "rule", "show", "--project", "PS2611",
                            "--json"))
    assert own["source"] == "project" and own["index_policy"]["excluded"]["sat_police_rate"] \
        == ["8"]
    with database.unit() as session:
        close_wave(session, "PS2611")
        set_rule(session, {"min_n": 50}, series_code="PS")
    frozen = json.loads(cli_ok(run_cli, db_url, "report", "rule", "show", "--project",
                               "PS2611", "--json"))
    assert frozen["source"] == "frozen" and frozen["min_n"] == 20
    assert frozen["index_policy"] == own["index_policy"]
    assert "its rule was frozen" in refused(run_cli, db_url, "report", "rule", "set",
                                            "--project", "PS2611", "--min-n", "10")


def test_simulate_refuses_a_project_with_real_interviews(database, db_url, run_cli, november):
    link = point_link(database, "PS2611", "县政务大厅", now=NOW)
    answer_through(web_client(database, november), link.path, COMPLETE)
    line = refused(run_cli, db_url, "simulate", "--project", "PS2611", "--minutes", "1")
    assert "holds 1 real interviews" in line and "--force" in line


@pytest.mark.postgres
def test_on_postgresql_each_login_does_its_part_and_nobody_reopens_a_wave(pg_url, run_cli):
    from test_pg_security import Centre

    from cati.storage.db import Database

    centre = Centre(pg_url, run_cli)
    try:
        admin = Database(centre.url("boss"))
        with admin.unit() as session:  # an admin makes the series and its wave (a project)
            create_series(session, "PS", "公众安全感月度测评")
            start_wave(session, "PS", "2026-11", "SAFE")
        admin.dispose()
        supervisor = Database(centre.url("lin"))
        with supervisor.unit() as session:  # a supervisor sets the rule and closes the wave
            set_rule(session, {"min_n": 25}, series_code="PS")
            closed = close_wave(session, "SAFE")
        supervisor.dispose()
        assert closed.status == "closed"
        for login, statement in (
                ("ivan", "UPDATE projects SET status = 'active' WHERE code = 'SAFE'"),
                ("ivan", "INSERT INTO series (code, name, settings, quotas, created_at) "
                         "VALUES ('X', 'x', '{}', '[]', now())"),
                ("lin", "UPDATE projects SET status = 'active' WHERE code = 'SAFE'"),
                ("lin", "UPDATE projects SET frozen_rule = '{}' WHERE code = 'SAFE'"),
                (centre.web, "INSERT INTO interviews (project_id, questionnaire_id, mode, "
                             "language, state, seed, stratum, started_at) SELECT id, "
                             "questionnaire_id, 'web', '', 'in_progress', 1, '', now() "
                             "FROM projects WHERE code = 'SAFE'")):
            with centre.raw(login) as connection, pytest.raises(Exception) as refusal:
                connection.execute(statement)
            assert refusal.value.sqlstate == "42501", (login, statement)
        with centre.raw(centre.owner) as connection:
            status, rule = connection.execute(
                "SELECT status, frozen_rule FROM projects WHERE code = 'SAFE'").fetchone()
            logged = [row[0] for row in connection.execute(
                "SELECT action FROM audit_log WHERE action LIKE 'db_series%' "
                "OR action IN ('wave_closed', 'series_created') ORDER BY chain_seq")]
        assert (status, rule["index_policy"], rule["source"]) == \
            ("closed", {"min_n": 25}, "series")
        assert logged[:2] == ["db_series_insert", "series_created"]
        assert "wave_closed" in logged
    finally:
        centre.drop()

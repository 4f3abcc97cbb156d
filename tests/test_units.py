"""Units held to account, on SQLite and PostgreSQL: default units and routing rules seeded from
the project's townships; collected and taken-in suggestions routed (subcategory before
township, inactive units skipped); the deadline stamped on assignment and the overdue list as
the clock passes it; per-unit figures; the intake of hotline, letter, box and 110 opinions from
a file, all or nothing; the contact phones out of an interviewer's reach on PostgreSQL; the
command line."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cati.errors import CatiError
from cati.services.suggestions import (
    check_follow_ups,
    collect_suggestions,
    create_follow_up,
    list_suggestions,
    update_suggestion,
)
from cati.services.units import (
    IntakeItem,
    add_intake,
    add_unit,
    intake_file,
    list_rules,
    list_units,
    overdue,
    remove_unit,
    seed_units,
    set_rule,
    set_subcategory,
    unit_figures,
    update_unit,
)
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import AuditEntry, Case, Suggestion
from tests.test_suggestions import CODE, NOW, build_survey, complete_call

DAY = dt.timedelta(days=1)
INTAKE_CSV = (
    "日期,渠道,内容,乡镇,姓名,电话,同意回访,分类,子类\n"
    "2026-11-20,12345,晚上路口没有路灯太黑,古槐街道,张先生,13800138000,是,,\n"
    "2026-11-21,来信,接到电话说是公安局要转账,清河街道,,,否,违法犯罪,电信诈骗\n"
    "2026/11/22,意见箱,学校门口早上太乱,,李女士,0396-5021234,否,,\n"
    "2026-11-22,110,邻居装修吵闹多次报警,东皇街道,,,,,\n"
)


@pytest.fixture
def survey(database):
    made = build_survey(database)
    seed_units(database, made.project_id)
    return made


def _rows(database, project_id):
    return {row.text: row for row in list_suggestions(database, project_id)}


def _snapshot(database) -> tuple[int, int]:
    with database.unit(immediate=False) as session:
        return (session.scalar(select(func.count()).select_from(Suggestion)),
                session.scalar(select(func.count()).select_from(AuditEntry)))


def test_seed_makes_units_per_township_and_adds_only_what_is_missing(database, survey):
    units = {row.name: row for row in list_units(database, survey.project_id)}
    assert units["古槐街道派出所"].kind == "派出所" and units["古槐街道派出所"].township == "古槐街道"
    assert units["清河街道综治中心"].kind == "综治中心"
    assert {"交警大队", "反诈中心", "住建局", "城管局", "教育局", "卫健委", "人社局"} <= set(units)
    again = seed_units(database, survey.project_id)
    assert (again.units_added, again.rules_added) == (0, 0)
    assert len(again.townships) == 19


def test_collected_suggestions_are_routed_and_the_supervisor_can_change_the_unit(database,
                                                                                 survey):
    collect_suggestions(database, survey.project_id, now=NOW)
    rows = _rows(database, survey.project_id)
    assert rows["路口红绿灯时间太短,希望调整"].responsible_unit == "交警大队"
    police = rows["去派出所办户口,民警态度不好"]  # 公安服务 in A's township (古槐街道)
    assert (police.stratum, police.responsible_unit) == ("古槐街道", "古槐街道派出所")
    fraud = rows['=HYPERLINK("http://x.cn","电信诈骗太多")']
    assert fraud.category == "违法犯罪" and fraud.responsible_unit.endswith("派出所")
    # The subcategory counts before the township: fraud goes to the 反诈中心.
    assert set_subcategory(database, fraud.id, "电信诈骗") == "反诈中心"
    with pytest.raises(CatiError, match="not a subcategory"):
        set_subcategory(database, fraud.id, "犬类管理")
    # A reviewer's unit stands.
    changed = update_suggestion(database, police.id, responsible_unit="治安大队", valid=True)
    assert changed.responsible_unit == "治安大队"


def test_rules_prefer_the_township_and_skip_inactive_units(database, survey):
    pid = survey.project_id
    rule = set_rule(database, pid, "交通管理", "古槐街道", "古槐街道派出所")
    assert rule.unit == "古槐街道派出所"
    with pytest.raises(CatiError, match="not a township"):
        set_rule(database, pid, "交通管理", "火星镇", "交警大队")
    with pytest.raises(CatiError, match="not a suggestion category"):
        set_rule(database, pid, "天气", "*", "交警大队")
    first = add_intake(database, pid, IntakeItem(dt.date(2026, 11, 20), "12345", "路口堵车严重",
                                                 township="古槐街道"), now=NOW)
    other = add_intake(database, pid, IntakeItem(dt.date(2026, 11, 20), "12345", "路口堵车严重 ",
                                                 township="清河街道"), now=NOW)
    units = {row.id: row.responsible_unit for row in list_suggestions(database, pid)}
    assert (units[first], units[other]) == ("古槐街道派出所", "交警大队")
    # The township's unit deactivated (it is named: not deleted): the county rule applies.
    [station] = [u for u in list_units(database, pid) if u.name == "古槐街道派出所"]
    assert remove_unit(database, pid, station.id) is False
    third = add_intake(database, pid, IntakeItem(dt.date(2026, 11, 21), "来信", "路口堵车",
                                                 township="古槐街道"), now=NOW)
    assert {row.id: row.responsible_unit for row in list_suggestions(database, pid)}[third] \
        == "交警大队"
    # A unit nobody names is deleted; a renamed unit is renamed on its suggestions.
    spare = add_unit(database, pid, "信访局", "其他")
    assert remove_unit(database, pid, spare.id) is True
    [traffic] = [u for u in list_units(database, pid) if u.name == "交警大队"]
    update_unit(database, pid, traffic.id, name="公安交警大队")
    assert {row.responsible_unit for row in list_suggestions(database, pid)
            if row.category == "交通管理"} == {"古槐街道派出所", "公安交警大队"}
    assert any(r.unit == "公安交警大队" for r in list_rules(database, pid))


def test_a_deadline_passing_puts_the_suggestion_on_the_overdue_list(database, survey):
    pid = survey.project_id
    collect_suggestions(database, pid, now=NOW)
    rows = _rows(database, pid)
    police = rows["去派出所办户口,民警态度不好"]  # 公安服务: 7 days
    patrol = rows["晚上多巡逻,加装摄像头"]  # 治安管理: 10 days
    for row in (police, patrol):
        update_suggestion(database, row.id, valid=True, status="assigned", now=NOW)
    assigned = _rows(database, pid)["去派出所办户口,民警态度不好"]
    assert assigned.due_at == NOW + 7 * DAY
    assert overdue(database, pid, now=NOW + 7 * DAY) == []
    late = overdue(database, pid, now=NOW + 7 * DAY + dt.timedelta(hours=1))
    assert [(r.id, r.days_overdue) for r in late] == [(police.id, 1)]
    late = overdue(database, pid, now=NOW + 12 * DAY)
    assert [(r.id, r.days_overdue) for r in late] == [(police.id, 5), (patrol.id, 2)]
    # Answered late: off the list, counted as answered but not in time.
    update_suggestion(database, police.id, status="resolved", now=NOW + 9 * DAY)
    assert [r.id for r in overdue(database, pid, now=NOW + 12 * DAY)] == [patrol.id]
    with database.unit(immediate=False) as session:
        figures = {f.unit: f for f in unit_figures(session, pid, now=NOW + 12 * DAY)}
    station = figures["古槐街道派出所"]
    assert (station.received, station.answered, station.in_time, station.overdue) == (1, 1, 0, 0)
    assert figures[patrol.responsible_unit].overdue == 1


def test_unit_figures_count_in_time_solved_and_satisfaction(database, survey):
    pid = survey.project_id
    for text, township in (("路口红绿灯坏了", "古槐街道"), ("电动车乱停占道", "清河街道"),
                           ("货车超速", "东皇街道")):
        add_intake(database, pid, IntakeItem(dt.date(2026, 11, 20), "12345", text,
                                             township=township), now=NOW)
    ids = sorted(row.id for row in list_suggestions(database, pid))
    for sid in ids:
        update_suggestion(database, sid, valid=True, status="assigned", now=NOW)
    update_suggestion(database, ids[0], status="resolved", now=NOW + 3 * DAY)  # in time
    update_suggestion(database, ids[0], status="checked", now=NOW + 5 * DAY)  # solved
    update_suggestion(database, ids[1], status="resolved", now=NOW + 20 * DAY)  # late
    with database.unit(immediate=False) as session:
        figures = {f.unit: f for f in unit_figures(session, pid, now=NOW + 30 * DAY)}
    traffic = figures["交警大队"]
    assert (traffic.received, traffic.answered, traffic.in_time, traffic.overdue,
            traffic.solved, traffic.called_back) == (3, 2, 1, 1, 1, 1)
    assert traffic.in_time_rate == pytest.approx(1 / 3)
    assert traffic.solved_rate == pytest.approx(1 / 3) and traffic.satisfaction_rate == 1.0
    assert figures["古槐街道派出所"].received == 0 and figures["古槐街道派出所"].solved_rate is None
    assert traffic.as_json()["in_time"] == 1


def test_intake_from_csv_and_xlsx_is_routed_and_a_bad_file_changes_nothing(database, survey,
                                                                          tmp_path):
    pid = survey.project_id
    good = tmp_path / "hotline.csv"
    good.write_text(INTAKE_CSV, encoding="utf-8")
    result = intake_file(database, pid, good, now=NOW)
    assert (result.added, result.routed) == (4, 4)
    rows = {row.text: row for row in list_suggestions(database, pid)}
    lamp = rows["晚上路口没有路灯太黑"]
    assert (lamp.channel, lamp.stratum, lamp.interview_id, lamp.follow_up_ok) == \
        ("hotline", "古槐街道", None, True)
    fraud = rows["接到电话说是公安局要转账"]
    assert (fraud.category, fraud.subcategory, fraud.responsible_unit) == \
        ("违法犯罪", "电信诈骗", "反诈中心")
    assert rows["学校门口早上太乱"].responsible_unit == "教育局"
    assert rows["邻居装修吵闹多次报警"].channel == "110"
    with database.unit(immediate=False) as session:
        stored = dict(session.execute(select(Suggestion.text, Suggestion.contact_phone)
                                      .where(Suggestion.channel != "")).all())
    assert stored["晚上路口没有路灯太黑"] == "+8613800138000"
    assert stored["学校门口早上太乱"] == "+863965021234"

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "渠道", "内容", "乡镇", "电话"])
    sheet.append([dt.datetime(2026, 11, 22), "12345", "小区门口垃圾没人清", "古槐街道", None])
    sheet.append([dt.datetime(2026, 11, 22), "letter", "希望多巡逻", "清河街道", 13900001111])
    book.save(tmp_path / "box.xlsx")
    assert intake_file(database, pid, tmp_path / "box.xlsx", now=NOW).added == 2

    before = _snapshot(database)
    bad = tmp_path / "bad.csv"
    for body, message in (
            ("2026-11-20,12345,很好,古槐街道,123\n", "row 3, column 电话 phone"),
            ("2026-11-31,12345,很好,古槐街道,\n", "row 3, column 日期 date"),
            ("2026-11-20,微信,很好,古槐街道,\n", "row 3, column 渠道 channel"),
            ("2026-11-20,12345,很好,火星镇,\n", "row 3, column 乡镇 township"),
            ("2026-11-20,12345,  ,古槐街道,\n", "row 3, column 内容 text")):
        bad.write_text("日期,渠道,内容,乡镇,电话\n2026-11-20,12345,路灯坏了,古槐街道,\n" + body,
                       encoding="utf-8")
        with pytest.raises(CatiError) as refused:
            intake_file(database, pid, bad, now=NOW)
        assert str(refused.value).startswith(f"bad.csv: {message}:"), str(refused.value)
    assert _snapshot(database) == before


def test_a_taken_in_opinion_with_phone_and_consent_is_called_back(database, survey):
    pid = survey.project_id
    agreed = add_intake(database, pid, IntakeItem(dt.date(2026, 11, 20), "12345", "路口红绿灯坏了",
                                                  township="清河街道", phone="13800138000",
                                                  consent=True), now=NOW)
    declined = add_intake(database, pid, IntakeItem(dt.date(2026, 11, 20), "来信", "货车超速",
                                                    township="清河街道", phone="13900001111"),
                          now=NOW)
    for sid in (agreed, declined):
        update_suggestion(database, sid, valid=True, status="assigned", now=NOW)
        update_suggestion(database, sid, status="resolved", now=NOW + DAY)
    follow_up = create_follow_up(database, pid, now=NOW + DAY)
    assert (follow_up.cases, follow_up.suggestions) == (1, 1)
    with database.unit(immediate=False) as session:
        [case] = session.scalars(select(Case).where(Case.project_id == follow_up.project_id))
        assert (case.phone_e164, case.stratum) == ("+8613800138000", "清河街道")
        assert case.attributes["suggestion_ids"] == [agreed]
        assert case.attributes["source_interview_id"] is None
    complete_call(database, follow_up.project_id, {"problem_fixed": "1", "handling_sat": "2"},
                  workstation="ws9", interviewer=survey.interviewer)
    assert check_follow_ups(database, pid, now=NOW + 2 * DAY) == 1
    with database.unit(immediate=False) as session:
        traffic = {f.unit: f for f in unit_figures(session, pid, now=NOW + 2 * DAY)}["交警大队"]
    assert (traffic.received, traffic.in_time, traffic.solved, traffic.called_back) == \
        (2, 2, 1, 1)


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)  # column privileges are PostgreSQL's
def test_intake_contact_phones_are_out_of_an_interviewers_reach(db_url, database, survey):
    pid = survey.project_id
    add_intake(database, pid, IntakeItem(dt.date(2026, 11, 20), "12345", "路灯坏了",
                                         township="古槐街道", contact_name="张先生",
                                         phone="13800138000", consent=True), now=NOW)
    with database.unit() as session:
        add_user(session, "ivan", "K7-navi-2026!", "interviewer")
        add_user(session, "lin", "K7-nil-2026!", "supervisor")
    url = make_url(db_url).set(drivername="postgresql")

    def connect(login: str, password: str):
        return psycopg.connect(url.set(username=login, password=password)
                               .render_as_string(hide_password=False), autocommit=True)

    with connect("ivan", "K7-navi-2026!") as connection:
        assert connection.execute("SELECT text, township FROM suggestions WHERE channel = "
                                  "'hotline'").fetchall() == [("路灯坏了", "古槐街道")]
        for statement in ("SELECT contact_phone FROM suggestions",
                          "SELECT contact_name FROM suggestions", "SELECT * FROM suggestions",
                          "SELECT * FROM responsible_units",
                          "UPDATE routing_rules SET township = '*'"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
    with connect("lin", "K7-nil-2026!") as connection:
        assert connection.execute("SELECT contact_phone FROM suggestions WHERE channel = "
                                  "'hotline'").fetchall() == [("+8613800138000",)]
    # The supervisor's services work under its own login.
    lin = Database(url.set(drivername="postgresql+psycopg", username="lin",
                           password="K7-nil-2026!").render_as_string(hide_password=False))
    try:
        lin_id = lin_user(lin)
        seed_units(lin, pid, user_id=lin_id)
        assert overdue(lin, pid, now=NOW) == []
        assert len(list_suggestions(lin, pid, user_id=lin_id)) >= 1
    finally:
        lin.dispose()


def lin_user(database) -> int:
    from sqlalchemy import text

    with database.unit(immediate=False) as session:
        return session.execute(text("SELECT cati_user_id()")).scalar_one()


def test_the_command_line(run_cli, db_url, database, survey, tmp_path):
    def cli(*args: str, expect: int = 0):
        result = run_cli("--db", db_url, *args)
        assert result.returncode == expect, (result.stdout, result.stderr)
        return result

    listed = json.loads(cli("units", "list", "--project", CODE, "--json").stdout)
    assert {"name": "交警大队", "kind": "交警", "township": ""}.items() <= listed[-1].items() \
        or any(u["name"] == "交警大队" for u in listed)
    added = json.loads(cli("units", "add", "--project", CODE, "信访局", "--kind", "其他").stdout)
    rule = json.loads(cli("units", "route", "set", "--project", CODE, "群众求助", "*",
                          "信访局").stdout)
    assert (rule["unit"], rule["township"]) == ("信访局", "*")
    assert any(r["id"] == rule["id"] for r in
               json.loads(cli("units", "route", "list", "--project", CODE, "--json").stdout))
    refused = cli("units", "route", "set", "--project", CODE, "天气", "*", "信访局", expect=1)
    assert refused.stderr.count("\n") == 1 and "天气" in refused.stderr
    cli("units", "route", "remove", "--project", CODE, str(rule["id"]))
    assert "removed" in cli("units", "remove", "--project", CODE, str(added["id"])).stdout

    (tmp_path / "in.csv").write_text(INTAKE_CSV, encoding="utf-8")
    assert "took in 4 opinions" in cli("suggestions", "intake", "--project", CODE,
                                      str(tmp_path / "in.csv")).stdout
    (tmp_path / "bad.csv").write_text("日期,渠道,内容\n2026-11-20,微信,太吵\n", encoding="utf-8")
    before = _snapshot(database)
    refused = cli("suggestions", "intake", "--project", CODE, str(tmp_path / "bad.csv"),
                  expect=1)
    assert refused.stderr.startswith("cati: bad.csv: row 2, column 渠道 channel:")
    assert refused.stderr.count("\n") == 1 and _snapshot(database) == before

    assert json.loads(cli("suggestions", "overdue", "--project", CODE, "--json").stdout) == []
    figures = json.loads(cli("units", "figures", "--project", CODE, "--json").stdout)
    assert set(figures[0]) == {"unit", "kind", "township", "received", "answered", "in_time",
                               "overdue", "solved", "called_back", "unreachable", "refused",
                               "in_time_rate", "solved_rate", "satisfaction_rate"}

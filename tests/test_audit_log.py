"""The audit log records logins, failed logins, password and account changes, role changes,
exports (what, by whom, with or without phone numbers), imports and every correction of a
closed interview's answer (old value, new value, who, when); a supervisor reads it with
filters and pages and exports it (formulas neutralised), in the app and on the command line.
On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import insert, select

from cati import cli
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import AuthenticationFailed, CatiError, PermissionDenied
from cati.reporting.export import export_data
from cati.services import admin, audit, users
from cati.services.import_session import ImportService
from cati.services.interviews import correct_answer, load_interview
from cati.services.projects import create_project
from cati.storage.models import AnswerEvent, AuditEntry, Case, Interview

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
PASSWORD = "password-123"
FORMULA_NAME = "=SUM(A1:A9)"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """argon2id with small costs: the same code paths, a hundredth of the time."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def centre(database, tmp_path):
    with database.unit() as session:
        ids = {role: users.add_user(session, role, PASSWORD, role).id
               for role in ("admin", "supervisor", "interviewer")}
        project = create_project(session, "A", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": "+8613800138000", "state": "closed",
             "disposition": "1.1", "attempts": 1, "priority": 0, "stratum": "古槐街道",
             "attributes": {}, "time_zone": "Asia/Shanghai", "draw": 0}])
        closed = Interview(project_id=project.id, questionnaire_id=project.questionnaire_id,
                           interviewer_id=ids["interviewer"], mode="field", state="complete",
                           disposition="1.1", started_at=NOW, ended_at=NOW, seed=1)
        session.add(closed)
    ids["project"], ids["closed"], ids["dir"] = project.id, closed.id, tmp_path
    return ids


def entries(database, action: str) -> list[tuple[int | None, dict]]:
    with database.unit(immediate=False) as session:
        return [(e.user_id, e.details) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def test_logins_accounts_and_roles_are_audited(database, centre):
    users.log_in(database, "interviewer", PASSWORD)
    with pytest.raises(AuthenticationFailed):
        users.log_in(database, "interviewer", "wrong-password")
    with pytest.raises(AuthenticationFailed):
        users.log_in(database, "nobody", "wrong-password")
    root, ivan = centre["admin"], centre["interviewer"]
    users.change_password(database, ivan, PASSWORD, "new-password-1")
    new = admin.add_user(database, root, "zhou", PASSWORD, "interviewer", "周")
    admin.change_role(database, root, new.id, "supervisor")
    admin.reset_password(database, root, new.id, "reset-password")
    admin.deactivate_user(database, root, new.id)
    assert entries(database, "login") == [(ivan, {"username": "interviewer"})]
    assert entries(database, "login_failed") == [(None, {"username": "interviewer"}),
                                                 (None, {"username": "nobody"})]
    assert entries(database, "password_changed") == [(ivan, {"username": "interviewer"})]
    assert entries(database, "user_added") == [
        (root, {"user_id": new.id, "username": "zhou", "role": "interviewer"})]
    assert entries(database, "role_changed") == [
        (root, {"user_id": new.id, "username": "zhou", "old_role": "interviewer",
                "new_role": "supervisor"})]
    assert entries(database, "password_reset") == [(root, {"user_id": new.id,
                                                           "username": "zhou"})]
    assert entries(database, "user_deactivated") == [(root, {"user_id": new.id,
                                                             "username": "zhou"})]
    for _user, details in entries(database, "password_changed") + entries(
            database, "password_reset"):
        assert not any("password" in str(value) for value in details.values())


def test_exports_imports_and_corrections_are_audited(database, centre):
    boss, folder = centre["supervisor"], centre["dir"]
    export_data(database, "A", folder / "plain.csv", user_id=boss)
    export_data(database, "A", folder / "phones.csv", user_id=boss, with_phone=True)
    [(who1, plain), (who2, phones)] = entries(database, "export")
    assert (who1, who2) == (boss, boss)
    assert plain["with_phone"] is False and phones["with_phone"] is True
    assert plain["project"] == "A" and plain["file"].endswith("plain.csv")

    listing = folder / "list.csv"
    listing.write_text("电话\n13900139001\n13900139002\nnot a number\n", encoding="utf-8")
    result = ImportService(database).run("A", listing, user_id=boss).result
    [(who, imported)] = entries(database, "sample_imported")
    assert who == boss
    assert (imported["file"], imported["imported"], imported["rows"]) == ("list.csv", 2, 3)
    assert imported["batch_id"] == result.batch_id and imported["sha256"] == result.sha256
    ImportService(database).run("A", listing, user_id=boss, dry_run=True)
    assert len(entries(database, "sample_imported")) == 1  # a dry run imports nothing

    at = NOW + dt.timedelta(days=1)
    correct_answer(database, centre["closed"], "age", "31", user_id=boss, now=at,
                   reason="回访核实")
    correct_answer(database, centre["closed"], "age", "32", user_id=centre["admin"], now=at)
    assert [details for _who, details in entries(database, "answer_corrected")] == [
        {"interview_id": centre["closed"], "project_id": centre["project"], "question": "age",
         "old_value": None, "new_value": "31", "reason": "回访核实"},
        {"interview_id": centre["closed"], "project_id": centre["project"], "question": "age",
         "old_value": "31", "new_value": "32", "reason": ""}]
    with database.unit(immediate=False) as session:
        events = session.execute(select(AnswerEvent.action, AnswerEvent.old_value,
                                        AnswerEvent.new_value, AnswerEvent.user_id,
                                        AnswerEvent.at).order_by(AnswerEvent.id)).all()
    assert events == [("set", None, "31", boss, at), ("change", "31", "32", centre["admin"], at)]
    assert load_interview(database, centre["closed"]).answers == {"age": "32"}
    with pytest.raises(CatiError, match="no question"):
        correct_answer(database, centre["closed"], "no_such", "1", user_id=boss)
    with pytest.raises(PermissionDenied):
        correct_answer(database, centre["closed"], "age", "1", user_id=centre["interviewer"])
    assert len(entries(database, "answer_corrected")) == 2


def test_a_supervisor_reads_filters_pages_and_exports_the_log(database, centre):
    boss = centre["supervisor"]
    start = NOW - dt.timedelta(hours=1)
    with database.unit() as session:
        odd = users.add_user(session, FORMULA_NAME, PASSWORD, "interviewer").id
        session.add_all([AuditEntry(user_id=odd, at=start + dt.timedelta(minutes=n),
                                    action="login", details={"username": FORMULA_NAME})
                         for n in range(4)])
        session.add(AuditEntry(user_id=None, at=start + dt.timedelta(minutes=4),
                               action="login_failed", details={"username": FORMULA_NAME}))
        session.add(AuditEntry(user_id=boss, at=NOW, action="export",
                               details={"project": "A", "with_phone": True}))
    first = audit.list_entries(database, boss, limit=4)
    assert first.total == 6 and first.rows[0].action == "export"
    second = audit.list_entries(database, boss, offset=4, limit=4)
    shown = [row.id for row in first.rows + second.rows]
    assert len(second.rows) == 2 and shown == sorted(set(shown), reverse=True)
    # the account's own entries, and failed logins tried with its name
    by_name = audit.AuditFilters(username=FORMULA_NAME)
    assert audit.list_entries(database, boss, by_name).total == 5
    failed = audit.AuditFilters(action="login_failed", username=FORMULA_NAME)
    assert audit.list_entries(database, boss, failed).total == 1
    window = audit.AuditFilters(since=start + dt.timedelta(minutes=1),
                                until=start + dt.timedelta(minutes=3))
    assert [row.at for row in audit.list_entries(database, boss, window).rows] == [
        start + dt.timedelta(minutes=2), start + dt.timedelta(minutes=1)]
    mine = audit.list_entries(database, boss, audit.AuditFilters(username="supervisor"))
    assert mine.rows[0].detail("with_phone") is True
    assert audit.list_actions(database, boss) == ["export", "login", "login_failed"]

    out_csv, out_xlsx = centre["dir"] / "audit.csv", centre["dir"] / "audit.xlsx"
    logins = audit.AuditFilters(action="login")
    assert audit.export_entries(database, boss, out_csv, logins) == 4
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(audit.EXPORT_HEADER) and len(rows) == 5
    assert {row[2] for row in rows[1:]} == {"'" + FORMULA_NAME}  # Excel shows it as text
    assert all(json.loads(row[4]) == {"username": FORMULA_NAME} for row in rows[1:])
    assert audit.export_entries(database, boss, out_xlsx) == 7  # 6, and the csv export
    sheet = load_workbook(out_xlsx).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
    assert sum(cell.value == FORMULA_NAME for cell in cells) == 4
    [(who, details)] = entries(database, "audit_exported")[:1]
    assert who == boss and details["rows"] == 4 and details["filters"]["action"] == "login"
    with pytest.raises(CatiError, match=r"\.csv or \.xlsx"):
        audit.export_entries(database, boss, centre["dir"] / "audit.txt")
    with pytest.raises(PermissionDenied):
        audit.list_entries(database, centre["interviewer"])


def test_the_audit_command(database, centre, db_url, capsys):
    """``cati audit`` (run in this process: the same main() as the installed command)."""
    users.log_in(database, "admin", PASSWORD)
    capsys.readouterr()
    assert cli.main(["--db", db_url, "audit", "list", "--as", "supervisor", "--json",
                     "--action", "login"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["total"] == 1 and shown["entries"][0]["user"] == "admin"
    out = centre["dir"] / "log.csv"
    assert cli.main(["--db", db_url, "audit", "export", "--user", "interviewer", "--out",
                     str(out)]) == 1
    refused = capsys.readouterr().err
    assert not out.exists() and entries(database, "audit_exported") == []
    assert len(refused.strip().splitlines()) == 1 and "supervisor" in refused
    assert cli.main(["--db", db_url, "audit", "export", "--user", "admin", "--out", str(out),
                     "--since", "2000-01-01"]) == 0
    assert "exported 1 audit entries" in capsys.readouterr().out
    assert entries(database, "audit_exported")[0][0] == centre["admin"]


def test_changes_made_on_the_command_line_are_audited_as_the_file_owner(sqlite_url, capsys):
    """SQLite: the operating-system account that owns the file is who acted; each command that
    changes the calling set-up is an entry with its arguments, and the chain verifies."""
    import getpass

    from cati import cli
    from cati.config import QUESTIONNAIRE_DIR
    from cati.storage.db import Database

    form = str(QUESTIONNAIRE_DIR / "public_safety.xlsx")
    assert cli.main(["--db", sqlite_url, "project", "create", "P1", "--form", form]) == 0
    assert cli.main(["--db", sqlite_url, "quota", "set", "--project", "P1", "--stratum",
                     "城关镇", "--target", "30"]) == 0
    assert cli.main(["--db", sqlite_url, "dnc", "add", "13900000001"]) == 0
    database = Database(sqlite_url)
    with database.unit(immediate=False) as session:
        entries = [(e.actor, e.details["command"], e.details["arguments"].get("target"))
                   for e in session.scalars(select(AuditEntry).where(AuditEntry.action ==
                                                                     "command")
                                            .order_by(AuditEntry.chain_seq))]
    database.dispose()
    me = f"os:{getpass.getuser()}"
    assert entries == [(me, "project create", None), (me, "quota set", 30), (me, "dnc add", None)]
    with database.unit(immediate=False) as session:  # the arguments, never the database's URL
        arguments = [e.details["arguments"] for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "command"))]
    database.dispose()
    assert not any(key in args for args in arguments for key in ("db", "opened_url"))
    capsys.readouterr()
    assert cli.main(["--db", sqlite_url, "audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith("audit log intact: 3 entries")

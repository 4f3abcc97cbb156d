"""PostgreSQL itself enforces who may do what: each test connects as a person's own login (an
interviewer, a supervisor, an admin) and tries, with raw SQL and with the `cati` command, what
an attacker at a workstation would; the database refuses it or it changes nothing, and the
owner's view of the guarded tables is byte-identical afterwards.

The centre: an owner role (LOGIN CREATEROLE) owning a fresh database, migrated by `cati db
upgrade`; the accounts made by the owner with `cati users add` (each a SCRAM login in its
group). The suite's server checks their passwords (scripts/pg_tmp.sh) and delays failures
(auth_delay).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cati.backend import Backend
from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import AuthenticationFailed, PermissionDenied, StorageDenied
from cati.reporting.export import export_data
from cati.services.interviews import load_interview, open_interview, save_answers
from cati.services.monitor import snapshot
from cati.services.projects import create_project
from cati.services.sample_import import import_sample
from cati.services.users import add_user, audit_user_added, connect_as, whoami
from cati.storage.db import Database
from cati.storage.migrate import grant_statements
from tests.conftest import drop_cati_logins

NOW = dt.datetime.now(dt.UTC)
PASSWORDS = {"boss": "K7-ssob-2026!", "lin": "K7-nil-2026!", "ivan": "K7-navi-2026!",
             "olga": "K7-aglo-2026!"}
ROLES = {"boss": "admin", "lin": "supervisor", "ivan": "interviewer", "olga": "interviewer"}
GUARDED = ("users", "audit_log", "quotas", "dnc", "dispositions", "projects", "web_keys")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Centre:
    def __init__(self, server_url: str, run_cli) -> None:
        tag = uuid.uuid4().hex[:10]
        self.server_url, self.run_cli = server_url, run_cli
        self.owner, self.name, self.owner_password = f"own_{tag}", f"db_{tag}", f"pw-{tag}"
        with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                sql.Identifier(self.owner), sql.Literal(self.owner_password)))
            connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(self.name), sql.Identifier(self.owner)))
        # What the owner does with `cati db upgrade`, `cati users add`, `cati project create`
        # and `cati db grant` (those commands are run as such in the tests that need them; here
        # in-process, which is the same code without a Python start-up each).
        self.web, self.web_password = f"web_{tag}", f"webpw-{tag}"
        with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(self.web), sql.Literal(self.web_password)))
        owner = Database(self.url())
        try:
            owner.upgrade()
            with owner.unit() as session:
                for name, role in ROLES.items():
                    audit_user_added(session, add_user(session, name, PASSWORDS[name], role),
                                     None)
                create_project(session, "SAFE", QUESTIONNAIRE_DIR / "public_safety.xlsx")
                # Calls at any hour: these tests run on the server's clock (leases, phones),
                # not on a fixed test time, whenever the suite runs.
                session.execute(text(
                    "UPDATE projects SET settings = settings || CAST(:hours AS jsonb)"),
                    {"hours": json.dumps({"calling_hours": [[["00:00", "24:00"]]] * 7})})
                for statement in grant_statements(self.web, group="web", database=self.name):
                    session.execute(text(statement))
        finally:
            owner.dispose()

    def url(self, login: str | None = None, password: str | None = None) -> str:
        login = login or self.owner
        password = password or {self.owner: self.owner_password,
                                self.web: self.web_password}.get(login) or PASSWORDS[login]
        return (make_url(self.server_url).set(username=login, password=password,
                                              database=self.name)
                .render_as_string(hide_password=False))

    def bare_url(self, login: str) -> str:
        """The URL a workstation is given: no password (it comes from PGPASSWORD here)."""
        return (make_url(self.server_url).set(username=login, password=None, database=self.name)
                .render_as_string(hide_password=False))

    def cli(self, *args: str, login: str | None = None, input: str | None = None,
            expect: int = 0):
        login = login or self.owner
        password = self.owner_password if login == self.owner else PASSWORDS[login]
        env = {**os.environ, "PGPASSWORD": password}
        result = self.run_cli("--db", self.bare_url(login), *args, input=input, env=env)
        assert result.returncode == expect, (result.stdout, result.stderr)
        return result

    def raw(self, login: str):
        return psycopg.connect(_libpq(self.url(login)), autocommit=True)

    def owner_view(self) -> dict[str, list]:
        with psycopg.connect(_libpq(self.server_url).rsplit("/", 1)[0] + "/" + self.name,
                             autocommit=True) as connection:
            view = {}
            for table in GUARDED:
                view[table] = connection.execute(
                    sql.SQL("SELECT to_jsonb(t)::text FROM {} t ORDER BY 1").format(
                        sql.Identifier(table))).fetchall()
            view["roles"] = connection.execute(
                "SELECT rolname, rolsuper, rolcreaterole, rolcanlogin, rolpassword, "
                "array(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b "
                "ON b.oid = m.roleid WHERE m.member = a.oid ORDER BY 1) "
                "FROM pg_authid a WHERE shobj_description(oid, 'pg_authid') LIKE %s ORDER BY 1",
                (f"cati:{self.name}:%",)).fetchall()
            return view

    def drop(self) -> None:
        with psycopg.connect(_libpq(self.server_url), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(self.name)))
            drop_cati_logins(connection, self.name)
            for role in (self.web, self.owner):
                connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(
                    sql.Identifier(role)))


@pytest.fixture
def centre(pg_url, run_cli):
    made = Centre(pg_url, run_cli)
    yield made
    made.drop()


def _sample(centre: Centre, tmp_path, rows: int = 30) -> None:
    phones = "".join(f"1390000{i:04d},城关镇\n" for i in range(rows))
    (tmp_path / "list.csv").write_text("电话,乡镇\n" + phones, encoding="utf-8")
    supervisor = Database(centre.url("lin"))
    try:
        assert import_sample(supervisor, "SAFE", tmp_path / "list.csv").imported == rows
    finally:
        supervisor.dispose()


def _ids(database: Database) -> tuple[int, int]:
    with database.unit(immediate=False) as session:
        project = session.execute(text("SELECT id FROM projects WHERE code = 'SAFE'")).scalar()
        me = session.execute(text("SELECT cati_user_id()")).scalar()
    return project, me


def test_each_account_is_a_scram_login_in_exactly_one_group(centre):
    roles = {name: (can_login, password.split("$")[0], groups)
             for name, _su, _cr, can_login, password, groups in centre.owner_view()["roles"]}
    assert roles == {name: (True, "SCRAM-SHA-256", [f"cati_{role}"])
                     for name, role in ROLES.items()}
    with centre.raw("boss") as connection:  # no password material in users
        assert connection.execute("SELECT count(*) FROM users WHERE password_hash <> ''"
                                  ).fetchone() == (0,)


def test_the_interviewer_loop_runs_under_the_interviewers_own_login(centre, tmp_path):
    _sample(centre, tmp_path)
    ivan = Database(centre.url("ivan"))
    try:
        ivan.upgrade()  # at the newest schema: nothing to do, no DDL tried
        project, me = _ids(ivan)
        claimed = claim_next_case(ivan, project, "ws-ivan", interviewer_id=me, now=NOW)
        assert claimed.phone_e164.startswith("+86139")  # the number of the case it holds
        interview = open_interview(ivan, project, case_id=claimed.case_id, interviewer_id=me,
                                   workstation="ws-ivan", now=NOW)
        save_answers(ivan, interview.id, {"age": "40"}, current_item="residence",
                     workstation="ws-ivan", now=NOW)
        assert load_interview(ivan, interview.id).answers == {"age": "40"}
        with ivan.unit() as session:  # who holds the lease is the login, not the workstation
            assert session.execute(text("SELECT lease_login FROM cases WHERE id = :id"),
                                   {"id": claimed.case_id}).scalar() == "ivan"
        record_outcome(ivan, claimed.case_id, "ws-ivan", "2.12", interviewer_id=me, now=NOW,
                       interview_id=interview.id)
        with ivan.unit() as session:  # the case is no longer its: its phone is gone again
            assert session.execute(text("SELECT count(*) FROM cati_case_phone(:id)"),
                                   {"id": claimed.case_id}).scalar() == 0
    finally:
        ivan.dispose()
    lin = Database(centre.url("lin"))
    try:
        project, lin_id = _ids(lin)
        assert snapshot(lin, project, now=NOW, user_id=lin_id).overall.calls == 1
        out = tmp_path / "with_phone.csv"
        export_data(lin, "SAFE", out, with_phone=True, user_id=lin_id, include_partial=True)
        with lin.unit(immediate=False) as session:  # the sample's phones, and the export audited
            assert session.execute(text("SELECT count(*) FROM cases WHERE phone_e164 LIKE "
                                        "'+86139%'")).scalar() == 30
            assert session.execute(text("SELECT actor FROM audit_log WHERE action = 'export'"
                                        )).scalars().all() == ["lin"]
    finally:
        lin.dispose()


def test_an_interviewer_login_cannot_read_or_change_what_is_not_its(centre, tmp_path):
    _sample(centre, tmp_path)
    olga = Database(centre.url("olga"))  # a colleague holds one case
    project, olga_id = _ids(olga)
    held = claim_next_case(olga, project, "ws-olga", interviewer_id=olga_id, now=NOW)
    olga.dispose()
    before = centre.owner_view()
    refused = [
        "SELECT phone_e164 FROM cases",
        "SELECT phone_raw FROM cases LIMIT 1",
        "SELECT password_hash FROM users",
        "SELECT * FROM users",
        "SELECT secret FROM web_keys",
        "SELECT * FROM dnc",
        "UPDATE users SET role = 'admin' WHERE username = 'ivan'",
        "INSERT INTO users (username, display_name, role, password_hash, active, created_at) "
        "VALUES ('mallory', 'm', 'admin', '', true, now())",
        "SELECT cati_add_user('mallory', 'admin', '', "
        "'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2VydmVy')",
        "SELECT cati_set_user(1, 'interviewer', NULL, NULL)",
        "UPDATE audit_log SET action = 'nothing'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "UPDATE quotas SET target = 1",
        "INSERT INTO quotas (project_id, stratum, target) VALUES (1, 'x', 1)",
        "INSERT INTO dnc (phone_e164, reason, added_at) VALUES ('+8613900000000', '', now())",
        "UPDATE dispositions SET final = false",
        "UPDATE projects SET settings = '{}'::jsonb",
        "UPDATE projects SET status = 'paused'",
        "CREATE TABLE intruder (id integer)",
        "ALTER ROLE ivan CREATEROLE",
        "GRANT cati_admin TO ivan",
    ]
    with centre.raw("ivan") as connection:
        for statement in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
        # A case another login holds: neither its phone nor its lease.
        assert connection.execute("SELECT * FROM cati_case_phone(%s)",
                                  (held.case_id,)).fetchall() == []
        taken = connection.execute(
            "UPDATE cases SET lease_holder = 'ws-ivan', lease_expires_at = now() + "
            "interval '1 hour' WHERE id = %s", (held.case_id,))
        assert taken.rowcount == 0
        # Answers of an interview that is not its own.
        connection.execute("SET application_name = 'attacker'")
        assert connection.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)
        # An entry it may write is stamped with its login and the server's clock.
        connection.execute("INSERT INTO audit_log (user_id, at, action, details, actor, "
                           "recorded_at) VALUES (1, '2000-01-01', 'fake', '{}', 'boss', "
                           "'2000-01-01')")
        stamped = connection.execute("SELECT actor, recorded_at > now() - interval '1 minute', "
                                     "at FROM audit_log WHERE action = 'fake'").fetchone()
        assert stamped[:2] == ("ivan", True)
    after = centre.owner_view()
    after["audit_log"] = [row for row in after["audit_log"] if '"fake"' not in row[0]]
    assert after == before
    # The command line acts as the login it connects with, whatever --user says.
    result = centre.cli("users", "add", "mallory", "--role", "admin", "--password-stdin",
                        login="ivan", input="K7-yrollam-2026!\n", expect=1)
    assert result.stderr.count("\n") == 1 and "cati_add_user" in result.stderr
    result = centre.cli("export", "--project", "SAFE", "--format", "csv", "--out",
                        str(tmp_path / "x.csv"), "--with-phone", "--user", "lin",
                        login="ivan", expect=1)
    assert "cannot act as 'lin'" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()
    assert centre.owner_view()["roles"] == before["roles"]
    with psycopg.connect(_libpq(centre.url()), autocommit=True) as connection:  # the attempt
        assert connection.execute(
            "SELECT actor, details->>'command' FROM audit_log WHERE action = 'refused'"
        ).fetchall() == [("ivan", "users add")]


def test_a_supervisor_login_reads_phones_but_manages_no_accounts_or_audit(centre):
    before = centre.owner_view()
    with centre.raw("lin") as connection:
        connection.execute("SELECT phone_e164 FROM cases")  # allowed
        for statement in ("UPDATE users SET role = 'admin' WHERE username = 'lin'",
                          "SELECT cati_set_user(3, 'admin', NULL, NULL)",
                          "UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log",
                          "TRUNCATE audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
    assert centre.owner_view() == before
    # What it may change, the database logs as its doing: by hand and by the command line.
    with centre.raw("lin") as connection:
        connection.execute("INSERT INTO dnc (phone_e164, reason, added_at) "
                           "VALUES ('+8613900000099', '本人要求', now())")
    centre.cli("quota", "set", "--project", "SAFE", "--stratum", "城关镇", "--target", "5",
               login="lin")
    with psycopg.connect(_libpq(centre.url()), autocommit=True) as connection:
        logged = connection.execute(
            "SELECT actor, action, details->'new'->>'phone_e164', details->'new'->>'target' "
            "FROM audit_log WHERE action LIKE 'db\\_%' ORDER BY chain_seq").fetchall()
    assert logged == [("lin", "db_dnc_insert", "+8613900000099", None),
                      ("lin", "db_quotas_insert", None, "5")]


def test_an_admin_manages_accounts_only_through_the_definer_functions(centre):
    boss = Database(centre.url("boss"))
    try:
        from cati.services import admin

        _project, boss_id = _ids(boss)
        added = admin.add_user(boss, boss_id, "zhou", "K7-uohz-2026!", "interviewer")
        with boss.unit() as session:  # its login exists, in its group, with a SCRAM verifier
            assert session.execute(text(
                "SELECT pg_has_role('zhou', 'cati_interviewer', 'MEMBER')")).scalar()
        zhou = connect_as(centre.url(), "zhou", "K7-uohz-2026!")
        assert whoami(zhou).id == added.id
        zhou.dispose()
        admin.deactivate_user(boss, boss_id, added.id)
        with pytest.raises(AuthenticationFailed):  # NOLOGIN now: the server refuses it
            connect_as(centre.url(), "zhou", "K7-uohz-2026!")
        with pytest.raises(StorageDenied), boss.unit() as session:  # not by hand, though
            session.execute(text("UPDATE users SET role = 'admin' WHERE username = 'ivan'"))
    finally:
        boss.dispose()


def test_a_wrong_password_is_refused_by_the_server_and_slowed_down(centre):
    started = time.monotonic()
    with pytest.raises(AuthenticationFailed):
        connect_as(centre.url(), "ivan", "not-the-password")
    assert time.monotonic() - started >= 0.25  # auth_delay (scripts/pg_tmp.sh)


def test_the_desktop_logs_in_as_the_persons_own_login(centre, tmp_path):
    _sample(centre, tmp_path, rows=3)
    backend = Backend(centre.bare_url("x").replace("x@", ""), "ws-desk")
    try:
        assert backend.per_person
        with pytest.raises(AuthenticationFailed):
            backend.login("ivan", "wrong password")
        user = backend.login("ivan", PASSWORDS["ivan"])
        assert (user.username, user.role) == ("ivan", "interviewer")
        project = backend.active_projects()[0].id
        call = backend.next_call(project, user.id)
        assert call.phone_e164.startswith("+86139")
        with pytest.raises(PermissionDenied):  # the window's buttons are no guard
            backend.monitor_snapshot(project)
    finally:
        backend.close()


def test_audit_verify_names_the_first_entry_the_owner_changed(centre):
    result = centre.cli("audit", "verify")
    assert result.stdout.startswith("audit log intact:")
    with psycopg.connect(_libpq(centre.url()), autocommit=True) as connection:
        entry = connection.execute("SELECT id FROM audit_log ORDER BY chain_seq "
                                   "OFFSET 1 LIMIT 1").fetchone()[0]
        connection.execute("UPDATE audit_log SET details = '{\"username\": \"x\"}' "
                           "WHERE id = %s", (entry,))
    result = centre.cli("audit", "verify", expect=1)
    assert result.stderr.splitlines() == [
        f"cati: audit entry {entry} breaks the chain: its contents were changed after it was "
        f"written (审计日志第 {entry} 条被改动)"]
    result = centre.cli("audit", "verify", login="ivan", expect=1)  # not an interviewer's
    assert "supervisor" in result.stderr


def test_the_login_window_logs_a_person_in_with_their_own_database_login(qtbot, centre):
    from PySide6.QtCore import Qt

    from ui.app import CatiApp

    app = CatiApp(centre.bare_url("x").replace("x@", ""))
    qtbot.addWidget(app.login)
    app.login.show()
    try:
        login = app.login
        assert login.button.isEnabled() and not login.db_password.isVisible()
        qtbot.keyClicks(login.username, "ivan")
        qtbot.keyClicks(login.password, "wrong password")
        qtbot.mouseClick(login.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "wrong username or password" in login.status.text(),
                        timeout=10_000)
        qtbot.keyClicks(login.password, PASSWORDS["ivan"])
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: app.main_window is not None, timeout=15_000)
        assert app.backend.database.engine.url.username == "ivan"
        # The project opens through the person's login (the window's first calls).
        qtbot.waitUntil(lambda: getattr(app.main_window, "form", None) is not None,
                        timeout=15_000)
    finally:
        if app.main_window is not None:
            app.main_window.close()
        app.shutdown()


def test_the_web_pages_and_the_hand_over_run_under_their_own_logins(centre, tmp_path):
    """A collection point's link made by the supervisor, an invitation made mid-call by the
    interviewer's login (F11: it may not read the signing key), both answered through the pages
    served by the web server's login, which reads no phone, account or audit entry."""
    from cati.web.links import hand_over_to_web, point_link
    from tests.test_web_links import COMPLETE, SCREEN_OUT, answer_through, web_client

    _sample(centre, tmp_path, rows=3)
    lin = Database(centre.url("lin"))
    point = point_link(lin, "SAFE", "城关镇便民服务中心")
    lin.dispose()
    ivan = Database(centre.url("ivan"))
    try:
        project, me = _ids(ivan)
        claimed = claim_next_case(ivan, project, "ws-ivan", interviewer_id=me, now=NOW)
        handover = hand_over_to_web(ivan, claimed.case_id, "ws-ivan", interviewer_id=me,
                                    base_url="https://web.example")
        assert handover.url == "https://web.example" + handover.invitation.path
        with pytest.raises(StorageDenied), ivan.unit() as session:
            session.execute(text("SELECT secret FROM web_keys"))
    finally:
        ivan.dispose()
    web = Database(centre.url(centre.web))
    try:
        client = web_client(web, project, now=NOW)
        answer_through(client, point.path, COMPLETE)
        invited = web_client(web, project, address="10.0.0.2", now=NOW)
        answer_through(invited, handover.invitation.path, {})  # begun
        # The web interview holds the case under the web server's login: a workstation that
        # calls itself after it (CATI_WORKSTATION=web:LINK) takes nothing.
        with web.unit() as session:
            holder = session.execute(text("SELECT lease_holder, lease_login FROM cases "
                                          "WHERE id = :id"), {"id": claimed.case_id}).one()
        assert holder == (f"web:{handover.invitation.id}", centre.web)
        ivan = Database(centre.url("ivan"))
        try:
            from cati.calling.outcomes import LeaseLost
            from cati.calling.queue import release_case

            assert not release_case(ivan, claimed.case_id, holder[0])
            with pytest.raises(LeaseLost):
                record_outcome(ivan, claimed.case_id, holder[0], "2.12", interviewer_id=me,
                               now=NOW)
        finally:
            ivan.dispose()
        page = answer_through(invited, handover.invitation.path, SCREEN_OUT)
        assert "只访问年满18岁的居民" in page
        for statement in ("SELECT phone_e164 FROM cases", "SELECT password_hash FROM users",
                          "UPDATE cases SET phone_e164 = '+8613900000000'",
                          "DELETE FROM audit_log", "SELECT * FROM dnc"):
            with pytest.raises(StorageDenied), web.unit() as session:
                session.execute(text(statement))
        with web.unit() as session:  # row-level security: not one entry of the log
            assert session.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
    finally:
        web.dispose()
    with psycopg.connect(_libpq(centre.url()), autocommit=True) as connection:
        done = connection.execute("SELECT mode, state, case_id IS NOT NULL FROM interviews "
                                  "WHERE mode = 'web' ORDER BY id").fetchall()
    assert done == [("web", "complete", False), ("web", "screened_out", True)]


def test_the_console_runs_under_the_admins_own_login(qtbot, centre, tmp_path):
    """Every panel of the console loads through the admin's login: the monitor, the sample
    with its phones, the audit log, the accounts."""
    from PySide6.QtCore import Qt

    from ui.app import CatiApp

    _sample(centre, tmp_path, rows=5)
    app = CatiApp(centre.bare_url("x").replace("x@", ""))
    qtbot.addWidget(app.login)
    app.login.show()
    try:
        qtbot.keyClicks(app.login.username, "boss")
        qtbot.keyClicks(app.login.password, PASSWORDS["boss"])
        qtbot.keyClick(app.login.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: app.console is not None, timeout=15_000)
        console = app.console
        qtbot.waitUntil(lambda: {"sample", "audit", "users"} <= set(console.panels)
                        and console.monitor is not None
                        and console.monitor.snapshot is not None, timeout=20_000)
        sample = console.panels["sample"].model
        qtbot.waitUntil(lambda: sample.rowCount() == 5, timeout=15_000)
        shown = {sample.data(sample.index(row, column))
                 for row in range(5) for column in range(sample.columnCount())}
        assert any(isinstance(value, str) and "139" in value for value in shown)
        audit = console.panels["audit"]
        audit.refresh()
        qtbot.waitUntil(lambda: audit.model.rowCount() > 0, timeout=15_000)
        users = console.panels["users"]
        qtbot.waitUntil(lambda: users.model.rowCount() == len(ROLES), timeout=15_000)
        assert app.backend.database.engine.url.username == "boss"
    finally:
        if app.console is not None:
            app.console.close()
        app.shutdown()


def test_accounts_from_the_command_line_as_the_owner_and_refused_to_an_interviewer(centre):
    centre.cli("users", "reset", "olga", "--password-stdin", input="K7-aglo-New-2026!\n")
    with pytest.raises(AuthenticationFailed):
        connect_as(centre.url(), "olga", PASSWORDS["olga"])
    connect_as(centre.url(), "olga", "K7-aglo-New-2026!").dispose()
    result = centre.cli("users", "role", "ivan", "--role", "admin", login="ivan", expect=1)
    assert result.stderr.count("\n") == 1 and "only an admin" in result.stderr
    centre.cli("users", "deactivate", "olga")
    with pytest.raises(AuthenticationFailed):
        connect_as(centre.url(), "olga", "K7-aglo-New-2026!")
    assert [row[:4] for row in centre.owner_view()["roles"] if row[0] in ("ivan", "olga")] == [
        ("ivan", False, False, True), ("olga", False, False, False)]


def test_a_login_name_is_one_per_server_until_its_database_is_gone(pg_url):
    """PostgreSQL roles are server-wide: a name used by a live cati database is refused to
    another; once that database is dropped its logins are taken over by the next one."""
    from cati.errors import AlreadyExists

    names = [f"a_{uuid.uuid4().hex[:8]}", f"b_{uuid.uuid4().hex[:8]}"]
    with psycopg.connect(_libpq(pg_url), autocommit=True) as connection:
        for name in names:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    first, second = (Database(make_url(pg_url).set(database=name)
                              .render_as_string(hide_password=False)) for name in names)
    try:
        for database in (first, second):
            database.upgrade()
        with first.unit() as session:
            add_user(session, "wu_shared", "K7-uw-2026!", "interviewer")
        with pytest.raises(AlreadyExists, match="exists on this server"), \
                second.unit() as session:
            add_user(session, "wu_shared", "K7-uw-2026!", "admin")
        # The groups are server-wide, but a login opens its own database only.
        with pytest.raises(AuthenticationFailed, match="not one of this database's"):
            connect_as(second.url, "wu_shared", "K7-uw-2026!")
        connect_as(first.url, "wu_shared", "K7-uw-2026!").dispose()
        first.dispose()
        with psycopg.connect(_libpq(pg_url), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                sql.Identifier(names[0])))
        with second.unit() as session:
            add_user(session, "wu_shared", "K7-uw-new-2026!", "admin")
        person = connect_as(second.url, "wu_shared", "K7-uw-new-2026!")
        assert whoami(person).role == "admin"
        person.dispose()
    finally:
        first.dispose()
        second.dispose()
        with psycopg.connect(_libpq(pg_url), autocommit=True) as connection:
            for name in names:
                connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
                drop_cati_logins(connection, name)

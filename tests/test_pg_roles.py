"""PostgreSQL least privilege: an owner migrates, the workstations' application role only reads
and writes rows — and the whole interviewer and supervisor loop works as that role.

Roles and databases get unique names on the suite's server and are dropped afterwards. The
server trusts loopback connections, so the roles' passwords are not checked here (the password
travelling to the connection is tested in test_ui_db_password.py).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cati import cli
from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR, REPO_ROOT
from cati.errors import SchemaOutOfDate, StorageDenied
from cati.services.interviews import load_interview, open_interview, save_answers
from cati.services.monitor import snapshot
from cati.services.projects import create_project
from cati.services.sample_import import import_sample
from cati.services.users import add_user, log_in
from cati.storage.db import Database
from cati.storage.migrate import alembic_config, grant_statements, head_revision

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Roles:
    """An owner role owning a fresh database, and an application role that may only log in."""

    def __init__(self, server_url: str) -> None:
        tag = uuid.uuid4().hex[:10]
        self.server_url = server_url
        self.owner, self.app, self.name = f"own_{tag}", f"app_{tag}", f"db_{tag}"
        with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
            for role in (self.owner, self.app):
                connection.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(f"pw-{tag}")))
            connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(self.name), sql.Identifier(self.owner)))

    def url(self, role: str) -> str:
        return (make_url(self.server_url).set(username=role, password=None, database=self.name)
                .render_as_string(hide_password=False))

    def drop(self) -> None:
        with psycopg.connect(_libpq(self.server_url), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(self.name)))
            for role in (self.app, self.owner):
                connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def roles(pg_url):
    made = Roles(pg_url)
    yield made
    made.drop()


def _grant(roles: Roles, capsys) -> None:
    assert cli.main(["--db", roles.url(roles.owner), "db", "grant", roles.app, "--apply"]) == 0
    assert f"granted {roles.app}" in capsys.readouterr().out


def test_the_application_role_runs_the_loop_without_ddl_rights(roles, capsys, tmp_path):
    assert cli.main(["--db", roles.url(roles.owner), "db", "upgrade"]) == 0
    _grant(roles, capsys)
    app = Database(roles.url(roles.app))
    try:
        app.upgrade()  # at the newest schema: no DDL is tried
        with app.unit() as session:
            admin = add_user(session, "admin", "a long enough password", "admin")
            project = create_project(session, "ROLES", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        assert log_in(app, "admin", "a long enough password").id == admin.id
        phones = "".join(f"1390000{i:04d},城关镇\n" for i in range(40))
        (tmp_path / "list.csv").write_text("电话,乡镇\n" + phones, encoding="utf-8")
        assert import_sample(app, "ROLES", tmp_path / "list.csv").imported == 40

        claimed = claim_next_case(app, project.id, "ws1", interviewer_id=admin.id, now=NOW)
        interview = open_interview(app, project.id, case_id=claimed.case_id,
                                   interviewer_id=admin.id, workstation="ws1", now=NOW)
        save_answers(app, interview.id, {"age": "40"}, current_item="residence",
                     workstation="ws1", now=NOW)
        assert load_interview(app, interview.id).answers == {"age": "40"}
        record_outcome(app, claimed.case_id, "ws1", "1.2", interviewer_id=admin.id, now=NOW,
                       interview_id=interview.id)
        assert snapshot(app, project.id, now=NOW).overall.calls == 1

        for statement in ("CREATE TABLE intruder (id integer)", "DROP TABLE cases",
                          "ALTER TABLE cases ADD COLUMN intruder integer",
                          "TRUNCATE answers"):
            with pytest.raises(StorageDenied, match="refused"), app.unit() as session:
                session.execute(text(statement))
    finally:
        app.dispose()


def test_default_privileges_cover_tables_a_later_migration_adds(roles, capsys):
    owner = Database(roles.url(roles.owner))
    app = Database(roles.url(roles.app))
    try:
        owner.upgrade()
        _grant(roles, capsys)
        with owner.unit() as session:  # what a later migration, run by the owner, would do
            session.execute(text("CREATE TABLE later (id serial PRIMARY KEY, note text)"))
        with app.unit() as session:
            session.execute(text("INSERT INTO later (note) VALUES ('x')"))
            assert session.execute(text("SELECT count(*) FROM later")).scalar() == 1
    finally:
        owner.dispose()
        app.dispose()


@pytest.mark.parametrize("revision", [None, "0006"])
def test_a_schema_behind_says_the_owner_must_upgrade(roles, capsys, revision, run_cli):
    if revision is not None:
        from alembic import command

        owner = Database(roles.url(roles.owner))
        command.upgrade(alembic_config(owner.engine), revision)
        owner.dispose()
    _grant(roles, capsys)
    app = Database(roles.url(roles.app))
    try:
        with pytest.raises(SchemaOutOfDate) as raised:
            app.upgrade()
        message = str(raised.value)
        assert "`cati db upgrade`" in message and head_revision() in message
        assert (revision or "none") in message
    finally:
        app.dispose()
    result = run_cli("--db", roles.url(roles.app), "project", "list")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"cati: {message}"]


def test_grant_prints_the_readme_statements(capsys):
    """The README's least-privilege SQL is what `cati db grant` prints for its example names."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    url = "postgresql+psycopg://cati_owner@db.example/cati"
    assert cli.main(["--db", url, "db", "grant", "cati_app"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == "\n".join(grant_statements("cati_app", owner="cati_owner",
                                                 database="cati"))
    assert printed in readme
    assert cli.main(["--db", "sqlite:///" + str(Path("x.db")), "db", "grant", "cati_app"]) == 1
    assert re.fullmatch(r"cati: .*PostgreSQL.*\n", capsys.readouterr().err)

"""PostgreSQL least privilege: an owner migrates, the workstations' application role only reads
and writes rows — and the whole interviewer and supervisor loop works as that role.

Roles and databases get unique names on the suite's server and are dropped afterwards. The
suite's server checks their SCRAM passwords (scripts/pg_tmp.sh).
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
from cati.config import REPO_ROOT
from cati.errors import SchemaOutOfDate, StorageDenied
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
        self.password = f"pw-{tag}"
        with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
            for role, extra in ((self.owner, "CREATEROLE"), (self.app, "")):
                connection.execute(sql.SQL("CREATE ROLE {} LOGIN {} PASSWORD {}").format(
                    sql.Identifier(role), sql.SQL(extra), sql.Literal(f"pw-{tag}")))
            connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(self.name), sql.Identifier(self.owner)))

    def url(self, role: str) -> str:
        return (make_url(self.server_url).set(username=role, password=self.password,
                                              database=self.name)
                .render_as_string(hide_password=False))

    def bare(self, role: str) -> str:
        """For the command line: no password in the URL (it comes from PGPASSWORD)."""
        return (make_url(self.server_url).set(username=role, database=self.name)
                .render_as_string(hide_password=False))

    def drop(self) -> None:
        with psycopg.connect(_libpq(self.server_url), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(self.name)))
            for role in (self.app, self.owner):
                connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def roles(pg_url, monkeypatch):
    made = Roles(pg_url)
    monkeypatch.setenv("PGPASSWORD", made.password)  # owner and app share it
    yield made
    made.drop()


def _grant(roles: Roles, capsys) -> None:
    assert cli.main(["--db", roles.bare(roles.owner), "db", "grant", roles.app, "--apply"]) == 0
    assert f"granted {roles.app}" in capsys.readouterr().out


def test_a_login_granted_the_web_group_runs_no_ddl(roles, capsys):
    assert cli.main(["--db", roles.bare(roles.owner), "db", "upgrade"]) == 0
    _grant(roles, capsys)
    app = Database(roles.url(roles.app))
    try:
        app.upgrade()  # at the newest schema: no DDL is tried
        for statement in ("CREATE TABLE intruder (id integer)", "DROP TABLE cases",
                          "ALTER TABLE cases ADD COLUMN intruder integer",
                          "TRUNCATE answers", "SELECT phone_e164 FROM cases",
                          "SELECT password_hash FROM users", "DELETE FROM audit_log"):
            with pytest.raises(StorageDenied, match="refused"), app.unit() as session:
                session.execute(text(statement))
    finally:
        app.dispose()


@pytest.mark.parametrize("revision", [None, "0006"])
def test_a_schema_behind_says_the_owner_must_upgrade(roles, capsys, revision, run_cli):
    if revision is not None:
        from alembic import command

        owner = Database(roles.url(roles.owner))
        command.upgrade(alembic_config(owner.engine), revision)
        owner.dispose()
    app = Database(roles.url(roles.app))  # behind 0010 the database is open to any login
    try:
        with pytest.raises(SchemaOutOfDate) as raised:
            app.upgrade()
        message = str(raised.value)
        assert "`cati db upgrade`" in message and head_revision() in message
        assert (revision or "none") in message or "unknown to this login" in message
    finally:
        app.dispose()
    result = run_cli("--db", roles.bare(roles.app), "project", "list")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"cati: {message}"]


def test_grant_prints_the_readme_statement(capsys):
    """The README's membership statement is what `cati db grant` prints for its example names."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    url = "postgresql+psycopg://cati_owner@db.example/cati"
    assert cli.main(["--db", url, "db", "grant", "cati_webserver"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == "\n".join(grant_statements("cati_webserver", group="web"))
    assert printed in readme
    assert cli.main(["--db", "sqlite:///" + str(Path("x.db")), "db", "grant", "cati_app"]) == 1
    assert re.fullmatch(r"cati: .*PostgreSQL.*\n", capsys.readouterr().err)


def test_a_password_on_the_command_line_is_refused(run_cli):
    """`ps` shows every process's arguments to every user: --db with a password is one line,
    exit 1, the password not repeated."""
    result = run_cli("--db", "postgresql://ivan:s3cret-pw@127.0.0.1:1/cati", "project", "list")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert "--db carries a password" in line and "s3cret-pw" not in line

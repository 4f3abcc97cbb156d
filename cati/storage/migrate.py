"""Alembic, driven from code: the migrations ship inside the package.

On PostgreSQL the workstations connect as the people's own logins, without DDL rights
(README, "PostgreSQL"): the database's owner runs ``cati db upgrade``. So opening a database at the newest schema does no DDL at all (not
even Alembic's check-and-create of its version table), and a schema that is behind, opened by a
role that may not migrate it, is one line saying who must run what — never a traceback.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql

from cati.errors import SchemaOutOfDate, StorageDenied

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Migrate to the newest schema; nothing is written when the database is already there."""
    head = head_revision()
    try:
        current = current_revision(engine)
    except StorageDenied:  # a login of a store before 0010 may not even read the revision
        current = "unknown to this login"
    if current == head:
        return
    try:
        _run_upgrade(engine)
    except StorageDenied:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current or 'none (empty database)'}, this "
            f"program needs {head}, and the role {engine.url.username or ''} may not change it: "
            "the database's owner must run `cati db upgrade` (数据库结构需由所有者升级)") from None


def _run_upgrade(engine: Engine) -> None:
    with warnings.catch_warnings():
        # SQLite batch migrations reflect tables; SQLAlchemy cannot reflect our expression
        # indexes (the queue's ix_cases_claim) and says so. Nothing is lost: the migration
        # does not rebuild that table. A user must not see it on every command.
        warnings.filterwarnings("ignore", message=".*expression-based index",
                                category=sa_exc.SAWarning)
        command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def grant_statements(role: str, *, group: str = "web", database: str = "cati") -> list[str]:
    """The SQL that makes a login a member of one of cati's groups (cati.storage.pg_security:
    what each group may do is granted there, by the migrations) and lets it into this database
    (CONNECT is granted per login: the groups are server-wide). People's accounts are made with
    ``cati users add``; this is for the web server's login and other tools."""
    quote = postgresql.dialect().identifier_preparer.quote
    return [f"GRANT cati_{group} TO {quote(role)};",
            f"GRANT CONNECT, TEMPORARY ON DATABASE {quote(database)} TO {quote(role)};"]

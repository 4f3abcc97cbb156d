"""Alembic, driven from code: the migrations ship inside the package.

On PostgreSQL a room of workstations should connect as an application role without DDL rights
(README, "PostgreSQL: least-privilege set-up"): the database's owner runs ``cati db upgrade``
and ``cati db grant ROLE``. So opening a database at the newest schema does no DDL at all (not
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
    current = current_revision(engine)
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


APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APP_SEQUENCE_PRIVILEGES = "USAGE, SELECT"


def grant_statements(role: str, *, owner: str, database: str, schema: str = "public") -> list[str]:
    """The SQL that gives an application role what the app needs and no DDL: run by ``owner``
    (who owns the database and runs the migrations) in ``database``. TEMPORARY is for the
    phone-list import's private staging table; the default privileges cover the tables and
    sequences later migrations (run by ``owner``) create."""
    quote = postgresql.dialect().identifier_preparer.quote
    role_q, owner_q, schema_q = quote(role), quote(owner), quote(schema)
    return [
        f"REVOKE CREATE ON SCHEMA {schema_q} FROM PUBLIC;",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {quote(database)} TO {role_q};",
        f"GRANT USAGE ON SCHEMA {schema_q} TO {role_q};",
        f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {schema_q} TO {role_q};",
        f"GRANT {APP_SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA {schema_q} TO {role_q};",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA {schema_q}\n"
        f"    GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {role_q};",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner_q} IN SCHEMA {schema_q}\n"
        f"    GRANT {APP_SEQUENCE_PRIVILEGES} ON SEQUENCES TO {role_q};",
    ]

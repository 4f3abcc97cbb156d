"""Alembic, driven from code: the migrations ship inside the package.

On PostgreSQL the workstations connect as the people's own logins, without DDL rights
(README, "PostgreSQL"): the database's owner runs ``cati db upgrade``. So opening a database at the newest schema does no DDL at all (not
even Alembic's check-and-create of its version table), and a schema that is behind, opened by a
role that may not migrate it, is one line saying who must run what — never a traceback.

Many workstations may open a new (or older) database at the same moment: the migration is
serialized, and whoever gets it second finds the schema at the newest revision and does
nothing. PostgreSQL: a session advisory lock (``pg_advisory_lock``, released with the
connection should the process die) held around the whole upgrade. SQLite: the whole upgrade
is one ``BEGIN IMMEDIATE`` transaction (Alembic reads the revision inside it), so the second
waits for the write lock and then reads the newest revision; a wait longer than the busy
timeout (a slow machine) starts over rather than failing.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql

from cati.errors import SchemaOutOfDate, StorageDenied, StorageReadOnly

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
        with _migration_lock(engine) as migrating:
            _run_upgrade(migrating)
    except StorageReadOnly:  # a read-only store (mount, file mode) behind this program
        raise SchemaOutOfDate(
            f"the database schema is at revision {current or 'none (empty database)'}, this "
            f"program needs {head}, and the database is read-only here: open it once where it "
            "can be written to bring it up to date (数据库只读且结构过旧)") from None
    except StorageDenied:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current or 'none (empty database)'}, this "
            f"program needs {head}, and the role {engine.url.username or ''} may not change it: "
            "the database's owner must run `cati db upgrade` (数据库结构需由所有者升级)") from None


MIGRATION_LOCK_KEY = 0x63617469_6D696772  # "cati" "migr": one advisory lock per database
SQLITE_LOCK_PATIENCE = 120.0  # seconds of "database is locked" before giving up


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[Engine]:
    """The engine to migrate with, while no other process migrates this database."""
    if engine.dialect.name != "postgresql":
        yield _OneImmediateTransaction(engine)  # type: ignore[misc]
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            yield engine
        finally:
            with contextlib.suppress(sa_exc.DBAPIError):  # a lost connection released it
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": MIGRATION_LOCK_KEY})
                connection.commit()


class _OneImmediateTransaction:
    """What env.py takes for the engine on SQLite: its connection is already inside ``BEGIN
    IMMEDIATE``, so Alembic runs every migration in that one transaction (it would otherwise
    commit after each, SQLite's DDL not counting as transactional to it, and a second process
    could slip in between and run the same migration again)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        self.dialect = engine.dialect

    @contextlib.contextmanager
    def connect(self) -> Iterator[object]:
        with self._engine.connect() as connection:
            connection.begin()
            yield connection


def _run_upgrade(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        _alembic_upgrade(engine)
        return
    give_up = time.monotonic() + SQLITE_LOCK_PATIENCE
    while True:
        try:
            _alembic_upgrade(engine)
            return
        except sa_exc.OperationalError as exc:
            if "locked" not in str(exc.orig) or time.monotonic() > give_up:
                raise


def _alembic_upgrade(engine: Engine) -> None:
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

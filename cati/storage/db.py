"""Opening a database and running one unit of work.

SQLite gets WAL, foreign keys and a busy timeout; its transactions are begun explicitly so that a
write unit can take the write lock at once (``BEGIN IMMEDIATE``) instead of failing half way.
PostgreSQL is reached through psycopg 3.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from cati.errors import CatiError

SQLITE_BUSY_TIMEOUT_MS = 10_000


class Database:
    """One database: an engine and a session factory. Thread-safe; one session per thread."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = _create_engine(url, echo=echo)
        from cati.calling import project_cache  # a new store: nothing known about its projects

        project_cache.forget(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def unit(self, *, immediate: bool = True) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls back if it raises.

        On SQLite a unit takes the write lock at its start (``BEGIN IMMEDIATE``): a unit that
        reads and then writes would otherwise fail at once with "database is locked" when another
        connection wrote in between (WAL cannot upgrade an old snapshot). Units that only read
        pass ``immediate=False`` and run beside writers. PostgreSQL ignores the flag.
        """
        with self._sessions() as session:
            if immediate and self.is_sqlite:
                session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})
            with session.begin() if not session.in_transaction() else _joined(session):
                yield session

    def upgrade(self) -> None:
        """Migrate this database to the newest schema."""
        from cati.storage.migrate import upgrade_to_head

        upgrade_to_head(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


@contextlib.contextmanager
def _joined(session: Session) -> Iterator[None]:
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    else:
        session.commit()


def _create_engine(url: str, *, echo: bool) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CatiError(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, parsed.database, echo=echo)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    raise CatiError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


def _create_sqlite_engine(url: str, database: str | None, *, echo: bool) -> Engine:
    if database and database != ":memory:":
        folder = Path(database).expanduser().resolve().parent
        if not folder.is_dir():
            raise CatiError(f"the folder of the database file does not exist: {folder}")
    engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

    return engine

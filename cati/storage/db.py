"""Opening a database and running one unit of work.

SQLite gets WAL, foreign keys and a busy timeout; its transactions are begun explicitly so that a
write unit can take the write lock at once (``BEGIN IMMEDIATE``) instead of failing half way.
PostgreSQL is reached through psycopg 3.

A database that refuses to store — a full disk (SQLite SQLITE_FULL, which ``PRAGMA
max_page_count`` also raises; PostgreSQL 53100), a read-only file or server (SQLITE_READONLY,
PostgreSQL 25006) or a missing privilege (PostgreSQL 42501) — raises the project's own
StorageFull, StorageReadOnly or StorageDenied, one line naming the database. The mapping sits
in the engine's ``handle_error`` hook, so every statement and every commit is covered, including
the long import that runs on its own connection; SQLAlchemy has already rolled the transaction
back when the error reaches the caller, so nothing of the unit is stored.

A file that is no store of ours — not SQLite at all, damaged, or empty (0 bytes: a store
truncated by accident must not pass for a new one and be migrated empty) — is StorageDamaged's
one line naming the file, for every command and the app's log-in; a new store is made whole
under a temporary name and linked into place, so no process ever sees an empty file there. A
store this process may not write (a read-only mount, a 0444 file, a folder it may not write)
is opened for reading only and reads as usual; a write says it is read-only. SQLITE_FULL from
the temporary folder (on another disk than the database, which has room) names that folder.

A URL's query parameters are libpq's connection parameters, passed through as they are: a
server reached over TLS is verified with ``?sslmode=verify-full&sslrootcert=/etc/cati/ca.crt``
(the password comes from the keyring, a prompt or libpq's PGPASSFILE, not the URL). A connection
that cannot be made — a server down, a certificate that fails verification, a refused password —
is ``connection_error``'s one line for the command line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import tempfile
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from cati.errors import (
    CannotConnect,
    CatiError,
    StorageDamaged,
    StorageDenied,
    StorageFull,
    StorageReadOnly,
    TempFolderFull,
    printable,
)
from cati.storage import audit_chain  # noqa: F401  (stamps audit entries on SQLite)

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


def upsert_insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's ``insert`` with ``on_conflict_do_nothing``/``on_conflict_do_update``
    (SQLite and PostgreSQL spell INSERT … ON CONFLICT alike): a row created on first use by
    concurrent workstations is made by one statement, never look-then-insert, which breaks
    the unique key (or, under REPEATABLE READ, the snapshot) of the later one."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


@contextlib.contextmanager
def _joined(session: Session) -> Iterator[None]:
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    else:
        session.commit()


# libpq connection parameters (a URL's own query parameters take precedence).
NETWORK_TIMEOUTS = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10,
                    "keepalives_interval": 3, "keepalives_count": 3, "tcp_user_timeout": 15_000}


def _create_engine(url: str, *, echo: bool) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CatiError(f"not a database URL: {url!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        engine = _create_sqlite_engine(url, _sqlite_path(url), echo=echo)
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # A server that vanished from the network is noticed within seconds, not at the
        # operating system's TCP timeout (minutes): the window's journal takes over meanwhile.
        network = {key: value for key, value in NETWORK_TIMEOUTS.items()
                   if key not in parsed.query}
        engine = create_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=network)
    else:
        raise CatiError(f"unsupported database {parsed.get_backend_name()!r}: "
                        "use sqlite or postgresql")
    label = database_label(url)

    @event.listens_for(engine, "handle_error")
    def _refused_to_store(context) -> None:  # type: ignore[no-untyped-def]
        mapped = storage_error(context.original_exception, label,
                               reading=_is_read(context.statement),
                               at_page_limit=_at_page_limit(context))
        if mapped is not None:
            raise mapped

    return engine


def database_label(url: str) -> str:
    """The database as messages name it, never with a password: the SQLite file's path, or
    ``user@host:port/database`` for PostgreSQL (also the keyring key, cati.credentials)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_path(url) or ":memory:"
    return (f"{parsed.username or ''}@{parsed.host or 'localhost'}:{parsed.port or 5432}/"
            f"{parsed.database or ''}")


def _sqlite_path(url: str) -> str | None:
    """The file of an SQLite URL; a ``file:`` URI (``sqlite:///file:PATH?mode=ro&uri=true``,
    SQLite's read-only open) names its file after the scheme."""
    parsed = make_url(url)
    database = parsed.database
    if database and parsed.query.get("uri") == "true" and database.startswith("file:"):
        return urllib.parse.urlsplit(database).path or None
    return database


# Primary result codes (the low byte of extended ones).
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_NOTADB = 13, 8, 11, 26
_SQLITE_KINDS = {_SQLITE_FULL: StorageFull, _SQLITE_READONLY: StorageReadOnly,
                 _SQLITE_CORRUPT: StorageDamaged, _SQLITE_NOTADB: StorageDamaged}
_POSTGRES_KINDS = {"53100": StorageFull, "25006": StorageReadOnly, "42501": StorageDenied,
                   "XX001": StorageDamaged, "XX002": StorageDamaged}


def damaged(label: str, why: str = "the database file is ",
            hint: str = "restore it from a backup") -> StorageDamaged:
    return StorageDamaged(f"{why}not a cati database or is damaged: {label}; {hint} "
                          "(不是 cati 数据库或已损坏)")


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "COMMIT")


def _is_read(statement: str | None) -> bool:
    """Whether a statement only reads (a query, a pragma, BEGIN): a read-only store's error
    for it must not speak of a change that was not saved."""
    return bool(statement) and not statement.lstrip().upper().startswith(_WRITES)


def _at_page_limit(context) -> bool:  # type: ignore[no-untyped-def]
    """Whether an SQLite database is at its ``max_page_count`` (full without a full disk)."""
    code = getattr(context.original_exception, "sqlite_errorcode", None)
    if code is None or code & 0xFF != _SQLITE_FULL:
        return False
    try:
        raw = context.connection.connection.dbapi_connection
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
        return pages >= raw.execute("PRAGMA max_page_count").fetchone()[0]
    except Exception:  # no connection, or it broke: judge by the disks alone
        return False


def storage_error(original: BaseException | None, label: str, *, reading: bool = False,
                  at_page_limit: bool = False) -> CatiError | None:
    """The project's error for a driver error that means "this database takes no writes" or
    "this is no database of ours", or None for anything else (which keeps SQLAlchemy's own
    exception). ``reading``: the statement only read."""
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if sqlite_code is not None:
        kind = _SQLITE_KINDS.get(sqlite_code & 0xFF)
        if kind is StorageFull and not at_page_limit:
            folder = _full_temp_folder(label)
            if folder is not None:
                # No word on what was saved: the statement that hit it may be a clean-up
                # after a commit (an import's temporary staging table).
                return TempFolderFull(f"the temporary folder {folder} is full (SQLite sorts "
                                      "and keeps temporary tables there): free space there, "
                                      "or point SQLITE_TMPDIR at a folder with room "
                                      "(临时文件夹已满)")
    else:
        kind = _POSTGRES_KINDS.get(getattr(original, "sqlstate", None) or "")
    if kind is None:
        return None
    if kind is StorageDamaged:
        return damaged(label, "the database file is " if sqlite_code is not None
                       else "the database is ")
    if kind is StorageFull:
        return StorageFull(f"the database {label} is full: nothing of this change was saved; "
                           "free disk space and try again (数据库已满,本次更改未保存)")
    if kind is StorageReadOnly and reading:
        return StorageReadOnly(f"the database {label} is read-only here and could not be read: "
                               f"{printable(str(original).strip())} (数据库只读)")
    if kind is StorageReadOnly:
        return StorageReadOnly(f"the database {label} is read-only: nothing of this change was "
                               "saved (数据库只读,本次更改未保存)")
    detail = str(original).strip().splitlines()[0] if str(original).strip() else "no privilege"
    return StorageDenied(f"the database {label} refused: {detail} (数据库权限不足)")


def sqlite_temp_folder() -> str | None:
    """The folder SQLite writes its temporary files to (sorts, large statements, temporary
    tables): on Unix the first writable folder of $SQLITE_TMPDIR, $TMPDIR, /var/tmp,
    /usr/tmp, /tmp, the current folder (os_unix.c); elsewhere the system's temp folder."""
    if os.name != "posix":
        return tempfile.gettempdir()
    for folder in (os.environ.get("SQLITE_TMPDIR"), os.environ.get("TMPDIR"), "/var/tmp",
                   "/usr/tmp", "/tmp", "."):
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK):
            return folder
    return None


_ROOM = 1 << 20  # a folder with less free space than this is taken to be full


def _full_temp_folder(label: str) -> str | None:
    """The temporary folder, when SQLite's SQLITE_FULL came from it and not from the database:
    the two are on different disks and the database's has room. (SQLite deletes its temporary
    files when the statement fails, so the temp folder's own free space says little.) On one
    disk the database's message stands: freeing that disk helps either way."""
    folder = sqlite_temp_folder()
    if folder is None or label == ":memory:":
        return None
    try:
        database_folder = Path(label).expanduser().resolve().parent
        if os.stat(folder).st_dev == os.stat(database_folder).st_dev:
            return None
        if shutil.disk_usage(database_folder).free < _ROOM:
            return None
    except OSError:
        return None
    return str(Path(folder).resolve())


_PSYCOPG_PREFIX = re.compile(r"^connection failed: ")
_SEVERITY = re.compile(r"\b(?:FATAL|ERROR):\s+")


def connection_error(error: BaseException, label: str) -> CannotConnect | None:
    """The project's one-line error for a connection to the database that could not be made
    (or was lost), naming the database by ``label`` (never with a password); None for any
    other error. libpq's message says why, one line per address tried (``localhost`` may be
    ::1 and 127.0.0.1): those lines are kept, its indented hints dropped."""
    from sqlalchemy.exc import DBAPIError

    from cati.storage.retry import is_disconnect

    if isinstance(error, DBAPIError):
        connecting = error.statement is None and _is_operational(error.orig)
        original: BaseException = error.orig
    else:
        connecting, original = _is_operational(error), error
    if not connecting and not is_disconnect(error):
        return None
    lines = [_SEVERITY.sub("", _PSYCOPG_PREFIX.sub("", line.strip()))
             for line in str(original).splitlines() if line.strip() and line[0] not in " \t"]
    detail = "; ".join(dict.fromkeys(lines)) or type(original).__name__
    doing = "cannot open" if connecting else "lost the connection to"
    return CannotConnect(f"{doing} the database {label}: {printable(detail)}")


def _is_operational(error: BaseException | None) -> bool:
    """A driver's OperationalError (psycopg, sqlite3): the database, not the statement."""
    import sqlite3

    import psycopg

    return isinstance(error, (psycopg.OperationalError, sqlite3.OperationalError))


def _writable(path: Path) -> bool:
    """Whether this process may write the store: the file, and its folder (SQLite makes its
    -wal and -shm files there). A read-only mount says no even to root."""
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK | os.X_OK)


def _read_only_url(path: Path) -> str:
    """The store opened for reading only, as SQLite can on read-only media: ``mode=ro``, and
    ``immutable=1`` unless its -wal file holds pages (SQLite cannot make the -wal and -shm
    files a WAL store is read through in a folder it may not write; immutable needs none, and
    without a writer's -wal nothing can change under it). A -wal with pages means a writer
    may be at work: plain ``mode=ro`` reads through it."""
    wal = path.with_name(path.name + "-wal")
    live = wal.is_file() and wal.stat().st_size > 0
    uri = urllib.parse.quote(str(path.resolve()))
    return f"sqlite:///file:{uri}?mode=ro{'' if live else '&immutable=1'}&uri=true"


def _refuse_empty(path: Path) -> None:
    """An existing 0-byte database file is refused: it is no store of ours (a new one is made
    whole, below), most likely one truncated by accident, and migrating it would make it pass
    for a fresh, empty store. (A store whose first pages are still only in its -wal file is
    not empty.)"""
    try:
        if path.stat().st_size > 0:
            return
    except OSError:  # missing (a new store) or unreadable (SQLite says so when it opens)
        return
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        return
    raise damaged(str(path), "the database file is empty (0 bytes), so it is ",
                  "delete the empty file to start a new store, or restore it from a backup")


def _create_store(path: Path) -> None:
    """Make a new SQLite store at ``path`` when there is none, whole: it is written (header,
    WAL mode) under a temporary name beside it and linked into place only then, so no other
    process ever sees a 0-byte file there (which _refuse_empty refuses). Owner-only (0600):
    the store holds phone numbers and answers, and on one machine the operating-system
    account is the guard; SQLite gives its -wal and -shm files the same permissions."""
    if path.exists():
        return
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    try:
        os.close(os.open(scratch, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        connection = sqlite3.connect(scratch, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # writes the header: never 0 bytes
        finally:
            connection.close()
        try:
            os.link(scratch, path)
        except FileExistsError:  # made meanwhile by another process: that one is the store
            pass
        except OSError:  # a file system without hard links: the rename may replace a store
            if not path.exists():   # made this instant, which holds no data yet
                os.replace(scratch, path)
    except OSError as exc:
        raise CatiError(f"cannot create the database file {path}: {exc.strerror or exc}") from None
    finally:
        for leftover in (scratch, scratch.with_name(scratch.name + "-wal"),
                         scratch.with_name(scratch.name + "-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _create_sqlite_engine(url: str, database: str | None, *, echo: bool) -> Engine:
    read_only = make_url(url).query.get("mode") == "ro"
    if database and database != ":memory:":
        path = Path(database).expanduser()
        folder = path.resolve().parent
        if not folder.is_dir():
            raise CatiError(f"the folder of the database file does not exist: {folder}")
        _refuse_empty(path)
        if make_url(url).query.get("uri") != "true":  # a file: URI opens as it says (e.g. ro)
            if path.exists() and not _writable(path):
                url, read_only = _read_only_url(path), True
            else:
                _create_store(path)
    engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        if not read_only:  # a read-only store keeps its journal mode (and needs no syncing)
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not read_only:
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # A read-only store takes no write lock: BEGIN IMMEDIATE would fail even a unit that
        # only reads; a unit that writes fails at its first write instead (one line).
        begin = conn.get_execution_options().get("sqlite_begin", "BEGIN")
        conn.exec_driver_sql("BEGIN" if read_only else begin)

    return engine

"""Importing a phone list into a project's sample: exact, all-or-nothing, in bounded memory, and
never holding SQLite's write lock for more than a moment (the room keeps calling meanwhile).

1. Imports of one database run one at a time (an advisory lock on PostgreSQL, a lock on a file
   beside the SQLite database; both go with the process, also a killed one). Holding it, an import
   first finishes what a stopped one left (``finish_unfinished``): a batch stopped while
   ``importing`` is deleted, one stopped while ``publishing`` is published. Concurrent imports of
   one list therefore import it once: the later ones find its numbers already in the project.
2. The file streams through the reader; numbers are checked by the phone rule in chunks, on
   worker processes for large files (phonenumbers costs ~17 µs a number: both cores help).
3. Every row goes into a connection-private staging table (TEMP), so memory stays flat whatever
   the number of rows; the rows are classified there in SQL by the precedence
   invalid → duplicate_in_file → duplicate_existing → dnc → imported. Nothing of this writes to
   the database's own file.
4. A batch is made in state ``importing``; its cases are written to ``import_pending`` in short
   transactions (no query of cases reads that table). The rejects workbook is written next, outside
   any transaction. Then one short transaction decides the import: the batch becomes
   ``publishing``. A failure, a cancel or a kill before that point leaves no case: the batch
   and its pending rows are deleted (by this import, else by the next one or ``cati sample
   cleanup``). After it the pending rows move into ``cases``: on SQLite a bounded number per
   transaction, each held under a second, with a pause between them so waiting writers get
   the lock within their busy timeout; on PostgreSQL in one transaction (it blocks no other row).
   A kill meanwhile is finished by the next import or ``cati sample cleanup``; a publish that
   fails for good before any case is stored (a full disk) deletes the batch. Then the batch is
   ``complete`` and the "sample_imported" audit entry (who, project, file, sha256, batch,
   counts) is written, in one transaction. A dry run writes no batch at all.
5. ``ImportOptions.imported_by`` must be an active supervisor or admin (None is the command line,
   acting for the database's operator).

This operation manages its own connections and transactions (it is long), unlike the services
that take a session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from cati.config import user_data_dir
from cati.errors import CatiError, NotFound
from cati.sample.checking import STAGED_COLUMNS, check_chunk
from cati.sample.faults import fault_point
from cati.sample.phones import PhoneRule, reason_text
from cati.sample.readers import SampleLayout, SourceRow, open_sample
from cati.sample.rejects import write_rejects
from cati.services.clock import utc_now
from cati.services.interviews import stratum_label
from cati.services.questionnaires import form_of
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import (
    AuditEntry,
    Case,
    DoNotCall,
    ImportPending,
    JsonDoc,
    Project,
    SampleBatch,
)
from cati.storage.retry import is_disconnect

CHUNK_ROWS = 5_000
POOL_THRESHOLD_BYTES = 1_000_000  # smaller files are parsed in-process (no start-up cost)
PHONE_RAW_CHARS = 64  # cases.phone_raw; the rejects report keeps the cell's first 500
OUTCOMES = ("imported", "invalid", "duplicate_in_file", "duplicate_existing", "dnc")

_staging_metadata = MetaData()
STAGING = Table(
    "import_staging", _staging_metadata,
    Column("row_number", Integer, nullable=False),
    Column("phone_text", Text, nullable=False),
    Column("e164", String(20)),
    Column("outcome", String(24)),
    Column("detail", Text),
    Column("number_type", String(24)),
    Column("region", String(128)),
    Column("carrier", String(64)),
    Column("time_zone", String(64)),
    Column("stratum", String(128)),
    Column("attributes", Text),  # JSON text, made by the workers
    prefixes=["TEMPORARY"],
)


class ImportCancelled(CatiError):
    """The user cancelled the import; nothing was changed."""


@dataclass(frozen=True, slots=True)
class ImportProgress:
    rows: int
    seconds: float
    phase: str  # reading | writing | done

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    imported: int
    invalid: int
    duplicate_in_file: int
    duplicate_existing: int
    dnc: int
    rejects_file: str | None
    batch_id: int | None
    dry_run: bool
    layout: SampleLayout
    sha256: str
    seconds: float
    finished: tuple[FinishedBatch, ...] = ()  # what stopped imports left, cleaned up first
    # Imported numbers whose stratum the questionnaire's stratum question does not list
    # (a misspelt or unknown township): (stratum, numbers), most first. Imported all the same.
    unknown_strata: tuple[tuple[str, int], ...] = ()

    def counts(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported, "invalid": self.invalid,
                "duplicate_in_file": self.duplicate_in_file,
                "duplicate_existing": self.duplicate_existing, "dnc": self.dnc,
                "rejects_file": self.rejects_file,
                "unknown_strata": dict(self.unknown_strata)}

    def unknown_strata_warning(self) -> str | None:
        """One line for the numbers whose stratum the questionnaire does not know, or None."""
        if not self.unknown_strata:
            return None
        numbers = sum(n for _, n in self.unknown_strata)
        named = ", ".join(f"{stratum} ({n})" for stratum, n in self.unknown_strata[:5])
        more = f", … {len(self.unknown_strata) - 5} more" if len(self.unknown_strata) > 5 else ""
        return (f"warning: {numbers} numbers name a stratum the questionnaire's stratum question "
                f"does not list: {named}{more}; they are imported as they are — check the "
                "spelling (样本层与问卷中的乡镇不符)")


@dataclass(frozen=True, slots=True)
class ImportOptions:
    sheet: str | int | None = None
    header_row: int | None = None
    phone_column: str | None = None
    stratum_column: str | None = None
    default_area_code: str | None = None
    dry_run: bool = False
    rejects_path: str | Path | None = None
    imported_by: int | None = None


Progress = Callable[[ImportProgress], None]
ShouldCancel = Callable[[], bool]


def import_sample(database: Database, project_code: str, path: str | Path,
                  options: ImportOptions = ImportOptions(), *,
                  progress: Progress | None = None,
                  should_cancel: ShouldCancel | None = None) -> ImportResult:
    """Import the phone list at ``path`` into the project; see the module docstring."""
    started = time.perf_counter()
    path = Path(path)
    report = _Reporter(progress, should_cancel, started)
    try:
        project_id, rule = _project_rule(database, project_code, options.default_area_code,
                                         options.imported_by)
        digest = _sha256(path)
        with open_sample(path, sheet=options.sheet, header_row=options.header_row,
                         phone_column=options.phone_column,
                         stratum_column=options.stratum_column) as reader, \
                import_lock(database, report):
            finished = _finish_unfinished(database)
            layout = reader.layout
            with database.engine.connect() as connection:
                STAGING.create(connection, checkfirst=False)
                connection.commit()
                try:
                    rows = _stage(connection, reader.rows(), rule, path, report)
                    counts, batch_id, rejects = _classify_and_store(
                        database, connection, project_id, path, digest, rows, options, report)
                    unknown = _unknown_strata(connection, _known_strata(database, project_id))
                finally:
                    _drop_staging(connection)
    except CatiError:
        raise
    except Exception as exc:
        if is_disconnect(exc):
            raise CatiError(f"the connection to the database was lost during the import of "
                            f"{path.name}: {_first_line(exc)}; no case of it was added (the next "
                            "import or `cati sample cleanup` removes what it left)") from None
        raise
    report.step(rows, "done")
    return ImportResult(rows=rows, **counts, rejects_file=rejects, batch_id=batch_id,
                        dry_run=options.dry_run, layout=layout, sha256=digest,
                        seconds=time.perf_counter() - started, finished=tuple(finished),
                        unknown_strata=unknown)


def _known_strata(database: Database, project_id: int) -> frozenset[str] | None:
    """The strata the project's questionnaire names (the labels of its stratum question's
    choices, as interviews store them); None when it names no stratum question."""
    with database.unit(immediate=False) as session:
        project = session.get(Project, project_id)
        form = form_of(session, project.questionnaire_id)
        question = form.stratum_question
        if not question:
            return None
        return frozenset(stratum_label(form, question, choice.name)
                         for choice in form.strata())


def _unknown_strata(connection: Connection,
                    known: frozenset[str] | None) -> tuple[tuple[str, int], ...]:
    if not known:
        return ()
    staged = STAGING.c
    found = connection.execute(
        select(staged.stratum, func.count()).where(staged.outcome.is_(None),
                                                   staged.stratum.is_not(None),
                                                   staged.stratum != "",
                                                   staged.stratum.not_in(sorted(known)))
        .group_by(staged.stratum)).all()
    return tuple(sorted(((stratum, int(n)) for stratum, n in found), key=lambda s: (-s[1], s[0])))


def _drop_staging(connection: Connection) -> None:
    try:
        connection.rollback()
        STAGING.drop(connection, checkfirst=True)
        connection.commit()
    except Exception as exc:  # a lost connection takes its TEMP table with it
        if not is_disconnect(exc):
            raise


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _Reporter:
    def __init__(self, progress: Progress | None, should_cancel: ShouldCancel | None,
                 started: float) -> None:
        self._progress = progress
        self._should_cancel = should_cancel
        self._started = started

    def step(self, rows: int, phase: str) -> None:
        if self._should_cancel is not None and phase != "done" and self._should_cancel():
            raise ImportCancelled("import cancelled; nothing was changed (导入已取消,未做任何更改)")
        if self._progress is not None:
            self._progress(ImportProgress(rows, time.perf_counter() - self._started, phase))


# -- one import at a time ----------------------------------------------------------------------
_PG_LOCK_KEY = 0x636174695F696D70  # "cati_imp": pg_advisory_lock's key of imports
LOCK_POLL_SECONDS = 0.2


@contextlib.contextmanager
def import_lock(database: Database, report: _Reporter | None) -> Iterator[None]:
    """Hold the database's import lock (waiting for a running import to end; a cancel is heeded
    meanwhile). It goes with its process: a killed import's lock is free at once."""
    if database.is_sqlite:
        with _file_lock(database, report):
            yield
        return
    with database.engine.connect() as connection:
        while not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                    {"key": _PG_LOCK_KEY}):
            connection.commit()
            _wait(report)
        connection.commit()
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY})
                connection.commit()
            except Exception as exc:  # a lost connection has let go of it already
                if not is_disconnect(exc):
                    raise
                connection.invalidate()


@contextlib.contextmanager
def _file_lock(database: Database, report: _Reporter | None) -> Iterator[None]:
    name = database.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        yield  # a private database: nothing else imports into it
        return
    lock_path = Path(f"{name}.import-lock")
    try:
        handle = lock_path.open("a+b")
    except OSError as error:
        raise CatiError(f"cannot open {lock_path}: {error.strerror or error}") from None
    with handle:
        while not _try_lock(handle):
            _wait(report)
        yield  # closing the file lets go of the lock


def _try_lock(handle) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _wait(report: _Reporter | None) -> None:
    if report is not None:
        report.step(0, "reading")  # heeds a cancel
    time.sleep(LOCK_POLL_SECONDS)


def _project_rule(database: Database, code: str, area_code: str | None,
                  imported_by: int | None = None) -> tuple[int, PhoneRule]:
    with database.unit() as session:
        if imported_by is not None:
            require_supervisor(session, imported_by, "import phone lists")
        project = session.scalar(select(Project).where(Project.code == code))
        if project is None:
            raise NotFound(f"no project '{code}'")
        if project.status == "closed":
            raise CatiError(f"project {code} is closed: a closed wave takes no new numbers "
                            "(本期调查已结束)")
        settings = project.settings or {}
        rule = PhoneRule(region=settings.get("region") or "CN",
                         default_area_code=area_code or settings.get("default_area_code"),
                         allowed_types=frozenset(settings.get("allowed_number_types") or
                                                 PhoneRule().allowed_types))
        return project.id, rule


def _sha256(path: Path) -> str:
    """The file's sha256 (the audit entry's, and the duplicate-list check's). A path that is
    not a readable file is one line naming it."""
    if not path.exists():
        raise CatiError(f"{path}: no such file (找不到文件)")
    if path.is_dir():
        raise CatiError(f"{path}: is a folder, not a phone list (这是文件夹,不是号码文件)")
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError as exc:
        raise CatiError(f"{path}: cannot be read: {exc.strerror or exc} (无法读取文件)") from None
    return digest.hexdigest()


# -- phase 1: parse and stage -----------------------------------------------------------------
def _chunks(rows: Iterable[SourceRow]) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append((row.row_number, row.phone, row.phone_text, row.stratum, row.attributes))
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _checked_chunks(rows: Iterable[SourceRow], rule: PhoneRule, path: Path):
    chunks = _chunks(rows)
    if path.stat().st_size < POOL_THRESHOLD_BYTES or (os.cpu_count() or 1) < 2:
        for chunk in chunks:
            yield check_chunk(chunk, rule)
        return
    workers = min(os.cpu_count() or 2, 4)
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pending: deque = deque()
        try:
            for chunk in chunks:  # a bounded window of chunks in flight keeps memory flat
                pending.append(pool.apply_async(check_chunk, (chunk, rule)))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
        finally:
            # Stopped early (a cancel, an error) or not: let the live workers take what is
            # queued before the pool goes. Pool.terminate() (what leaving ``with`` calls) can
            # hang for ever while its task thread is blocked sending a chunk to workers it has
            # just killed — the import dialog's cancel hung that way. At most 2 × workers
            # chunks are in flight, so this waits a chunk's time or two.
            pool.close()
            pool.join()


def _stage(connection: Connection, rows: Iterable[SourceRow], rule: PhoneRule, path: Path,
           report: _Reporter) -> int:
    count = 0
    with connection.begin():
        write = _bulk_writer(connection)
        for staged in _checked_chunks(rows, rule, path):
            write(staged)
            count += len(staged)
            fault_point("staging")
            report.step(count, "reading")
        connection.exec_driver_sql(
            "CREATE INDEX ix_import_staging_e164 ON import_staging (e164, row_number)")
    return count


def _bulk_writer(connection: Connection) -> Callable[[list[tuple]], None]:
    """The fastest way each driver takes many rows: COPY for PostgreSQL, executemany for SQLite."""
    columns = ", ".join(STAGED_COLUMNS)
    cursor = connection.connection.driver_connection.cursor()
    if connection.dialect.name == "postgresql":
        def copy(rows: list[tuple]) -> None:
            with cursor.copy(f"COPY import_staging ({columns}) FROM STDIN") as stream:
                for row in rows:
                    stream.write_row(row)
        return copy
    marks = ", ".join("?" * len(STAGED_COLUMNS))
    statement = f"INSERT INTO import_staging ({columns}) VALUES ({marks})"
    return lambda rows: cursor.executemany(statement, rows)


# -- phase 2: classify, store, report, publish --------------------------------------------------
# SQLite: a write transaction of the import moves about this many rows (adapted to take about
# HOLD_SECONDS), then the import pauses PAUSE_SECONDS. SQLite's busy handler retries a waiting
# writer every 100 ms at most: a longer pause lets every waiting writer in, so no writer waits
# much more than HOLD_SECONDS. (Shorter holds cost more pauses: 0.8 s keeps an import of 200k
# rows within a few percent of one long transaction.)
FIRST_ROWS = 5_000
HOLD_SECONDS = 0.8
PAUSE_SECONDS = 0.11
MIN_ROWS, MAX_ROWS = 500, 50_000


def _classify_and_store(database: Database, connection: Connection, project_id: int, path: Path,
                        digest: str, rows: int, options: ImportOptions, report: _Reporter):
    with connection.begin():  # reads the database, writes only the TEMP table
        _mark_duplicates(connection, project_id)
        counts = _counts(connection, rows)
        # The rows to import in file order: each chunk copied is one short walk of this index.
        connection.exec_driver_sql(
            "CREATE INDEX ix_import_staging_new ON import_staging (row_number) "
            "WHERE outcome IS NULL AND e164 IS NOT NULL")
    report.step(rows, "writing")
    if options.dry_run:
        return counts, None, _write_rejects(connection, path, project_id, None, options)
    writes = _Writes(connection, database.is_sqlite)
    batch_id = writes.one(lambda: _create_batch(connection, project_id, path, digest, counts,
                                                options))
    rejects: str | None = None
    try:
        writes.chunked(lambda last, limit: _copy_pending(connection, project_id, batch_id,
                                                         last, limit),
                       lambda done: report.step(rows, "writing"))
        fault_point("pending")
        rejects = _write_rejects(connection, path, project_id, batch_id, options)
        report.step(rows, "writing")  # the last moment a cancel is heeded

        writes.one(lambda: connection.execute(
            update(SampleBatch).where(SampleBatch.id == batch_id)
            .values(state="publishing", rejects_file=rejects)))
    except BaseException:
        _discard_quietly(writes, batch_id)
        if rejects is not None:
            Path(rejects).unlink(missing_ok=True)
        raise
    try:
        _publish(writes, batch_id)
    except Exception as exc:
        if is_disconnect(exc):
            raise CatiError(f"the connection to the database was lost while the cases of "
                            f"{path.name} were being added: {_first_line(exc)}; the import is "
                            f"decided (batch {batch_id}), the next import or `cati sample "
                            "cleanup` adds the rest") from None
        if _discard_unpublished(writes, batch_id):  # e.g. a full disk: the import fails whole
            if rejects is not None:
                Path(rejects).unlink(missing_ok=True)
            raise
        raise CatiError(f"{_first_line(exc)} — while the cases of {path.name} were being "
                        f"added: the import is decided (batch {batch_id}); the next import or "
                        "`cati sample cleanup` adds the rest once the cause is gone") from None
    return counts, batch_id, rejects


class _Writes:
    """The import's write transactions on its own connection: each short, and on SQLite begun
    with the write lock (``BEGIN IMMEDIATE``: a writer waits in the busy handler, never fails half
    way) and followed by a pause that lets the room's writers in."""

    def __init__(self, connection: Connection, is_sqlite: bool) -> None:
        self.connection = connection
        self.is_sqlite = is_sqlite

    def one(self, work: Callable[[], Any]) -> Any:
        connection = self.connection
        if connection.in_transaction():
            connection.commit()
        if self.is_sqlite:
            connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        try:
            with connection.begin():
                result = work()
        finally:
            if self.is_sqlite:
                connection.execution_options(sqlite_begin="BEGIN")
        if self.is_sqlite:
            time.sleep(PAUSE_SECONDS)
        return result

    def chunked(self, step: Callable[[Any, int | None], tuple[Any, int]],
                done: Callable[[int], None] | None = None) -> int:
        """Run ``step(last, limit)`` until it moves no row; each call is one transaction that
        moves at most ``limit`` rows after ``last`` (no limit on PostgreSQL: one transaction)
        and returns (its new ``last``, rows moved)."""
        last, total, limit = None, 0, FIRST_ROWS if self.is_sqlite else None
        while True:
            began = time.perf_counter()
            last, moved = self.one(functools.partial(step, last, limit))
            total += moved
            if done is not None:
                done(total)
            if limit is None or moved < limit:
                return total
            took = time.perf_counter() - began - PAUSE_SECONDS
            limit = int(min(MAX_ROWS, max(MIN_ROWS, limit * HOLD_SECONDS / max(took, 0.01))))


def _create_batch(connection: Connection, project_id: int, path: Path, digest: str,
                  counts: dict[str, int], options: ImportOptions) -> int:
    result = connection.execute(insert(SampleBatch).values(
        project_id=project_id, file_name=path.name, sha256=digest,
        imported_by=options.imported_by, imported_at=utc_now(), state="importing",
        counts={"rows": sum(counts.values()), **counts}))
    return int(result.inserted_primary_key[0])


# Each new number's place in the random calling order of fresh numbers (0 .. 2**31-1).
_RANDOM_DRAW = {"postgresql": "CAST(floor(random() * 2147483647) AS INTEGER)",
                "sqlite": "(random() & 2147483647)"}
_PENDING_COLUMNS = ["batch_id", "project_id", "phone_e164", "phone_raw", "number_type", "region",
                    "carrier", "time_zone", "stratum", "attributes", "draw"]


def _copy_pending(connection: Connection, project_id: int, batch_id: int,
                  last: int | None, limit: int | None) -> tuple[int | None, int]:
    """The next imported staged rows after row ``last``, at most ``limit`` of them, into
    import_pending (in the file's order)."""
    staged = STAGING.c
    wanted = [staged.outcome.is_(None), staged.e164.is_not(None)]
    if last is not None:
        wanted.append(staged.row_number > last)
    upper = None
    if limit is not None:
        upper = connection.scalar(select(staged.row_number).where(*wanted)
                                  .order_by(staged.row_number).offset(limit - 1).limit(1))
        if upper is not None:
            wanted.append(staged.row_number <= upper)
    source = select(
        literal(batch_id), literal(project_id), staged.e164,
        func.substr(staged.phone_text, 1, PHONE_RAW_CHARS),  # a valid number spaced out wide
        staged.number_type, staged.region, staged.carrier, staged.time_zone, staged.stratum,
        cast(staged.attributes, JsonDoc) if connection.dialect.name == "postgresql"
        else staged.attributes,
        literal_column(_RANDOM_DRAW[connection.dialect.name]),
    ).where(*wanted).order_by(staged.row_number)
    moved = connection.execute(insert(ImportPending).from_select(_PENDING_COLUMNS, source)).rowcount
    return upper, moved


def _publish_step(connection: Connection, batch_id: int, last: int | None,
                  limit: int | None) -> tuple[int | None, int]:
    """Move the batch's next pending rows (at most ``limit``) into cases, as fresh cases."""
    if last is not None:
        fault_point("publishing")  # a step has moved rows already
    pending = ImportPending.__table__.c
    wanted = [pending.batch_id == batch_id]
    if limit is not None:
        upper = connection.scalar(select(pending.id).where(*wanted).order_by(pending.id)
                                  .offset(limit - 1).limit(1))
        if upper is not None:
            wanted.append(pending.id <= upper)
    source = select(*(pending[name] for name in _PENDING_COLUMNS if name != "draw"),
                    pending.draw, literal("fresh"), literal(0), literal(0)
                    ).where(*wanted).order_by(pending.id)
    columns = [name for name in _PENDING_COLUMNS if name != "draw"] + [
        "draw", "state", "attempts", "priority"]
    connection.execute(insert(Case).from_select(columns, source))
    moved = connection.execute(delete(ImportPending).where(*wanted)).rowcount
    return moved, moved


def _publish(writes: _Writes, batch_id: int) -> int:
    """Make the decided batch's cases callable, then mark it complete and write its
    "sample_imported" audit entry (who, project, file, sha256, batch, counts): the log records
    imports that are whole."""
    moved = writes.chunked(lambda last, limit: _publish_step(writes.connection, batch_id,
                                                             last, limit))
    writes.one(lambda: _complete(writes.connection, batch_id))
    return moved


def _complete(connection: Connection, batch_id: int) -> None:
    batch = connection.execute(select(SampleBatch.project_id, SampleBatch.file_name,
                                      SampleBatch.sha256, SampleBatch.imported_by,
                                      SampleBatch.counts)
                               .where(SampleBatch.id == batch_id)).one()
    connection.execute(update(SampleBatch).where(SampleBatch.id == batch_id)
                       .values(state="complete"))
    # The batch's cases in the quota cells that read only sample columns (the claim skips a
    # full cell's cases); in the unit that makes the batch complete.
    from cati.services.quotas import stamp_batch

    stamp_batch(connection, batch.project_id, batch_id)
    counts = dict(batch.counts or {})
    connection.execute(insert(AuditEntry).values(
        user_id=batch.imported_by, at=utc_now(), action="sample_imported",
        details={"project_id": batch.project_id, "file": batch.file_name,
                 "sha256": batch.sha256, "batch_id": batch_id,
                 "rows": counts.pop("rows", 0), **counts}))


def _discard_unpublished(writes: _Writes, batch_id: int) -> bool:
    """After a publish that failed for good: when none of the batch's cases is stored (always
    on PostgreSQL, where the publish is one transaction), delete the batch; True if done."""
    try:
        if writes.connection.in_transaction():
            writes.connection.rollback()
        if writes.connection.scalar(select(Case.id).where(Case.batch_id == batch_id).limit(1)):
            return False
        writes.one(lambda: writes.connection.execute(
            update(SampleBatch).where(SampleBatch.id == batch_id).values(state="importing")))
        _discard(writes, batch_id)
    except Exception:  # the first failure is the one reported; the next import finishes it
        return False
    return True


def _discard_step(connection: Connection, batch_id: int, last: int | None,
                  limit: int | None) -> tuple[int | None, int]:
    pending = ImportPending.__table__.c
    wanted = [pending.batch_id == batch_id]
    if limit is not None:
        wanted.append(pending.id.in_(select(pending.id).where(pending.batch_id == batch_id)
                                     .order_by(pending.id).limit(limit)))
    return None, connection.execute(delete(ImportPending).where(*wanted)).rowcount


def _discard(writes: _Writes, batch_id: int) -> int:
    """Delete a batch that was not decided and its pending rows (no case holds them)."""
    removed = writes.chunked(lambda last, limit: _discard_step(writes.connection, batch_id,
                                                               last, limit))
    writes.one(lambda: writes.connection.execute(
        delete(SampleBatch).where(SampleBatch.id == batch_id,
                                  SampleBatch.state == "importing")))
    return removed


def _discard_quietly(writes: _Writes, batch_id: int) -> None:
    """Best effort after a failure: a database that is gone leaves the batch to the next import
    (it is in state importing, so none of its numbers is seen meanwhile)."""
    try:
        if writes.connection.in_transaction():
            writes.connection.rollback()
        _discard(writes, batch_id)
    except Exception:  # the first failure is the one reported
        pass


@dataclass(frozen=True, slots=True)
class FinishedBatch:
    """A batch that a stopped import left and that was cleaned up."""

    batch_id: int
    project_id: int
    file_name: str
    was: str        # importing (deleted) | publishing (published)
    rows: int       # pending rows deleted, or cases published

    def describe(self) -> str:
        if self.was == "publishing":
            return (f"finished an earlier import of {self.file_name} (batch {self.batch_id}) "
                    f"that was stopped while its cases were being added: {self.rows} more cases")
        return (f"removed an unfinished earlier import of {self.file_name} (batch "
                f"{self.batch_id}, stopped before it was complete): {self.rows} rows, none of "
                "them had been callable")


def finish_unfinished(database: Database) -> list[FinishedBatch]:
    """Clean up after imports that were stopped (killed, or their database went away): holds
    the import lock, so no import is running meanwhile."""
    with import_lock(database, None):
        return _finish_unfinished(database)


def _finish_unfinished(database: Database) -> list[FinishedBatch]:
    with database.unit(immediate=False) as session:
        stopped = session.execute(select(SampleBatch.id, SampleBatch.project_id,
                                         SampleBatch.file_name, SampleBatch.state)
                                  .where(SampleBatch.state != "complete")
                                  .order_by(SampleBatch.id)).all()
    if not stopped:
        return []
    finished = []
    with database.engine.connect() as connection:
        writes = _Writes(connection, database.is_sqlite)
        for batch_id, project_id, file_name, state in stopped:
            if state == "publishing":
                rows = _publish(writes, batch_id)
            else:
                rows = _discard(writes, batch_id)
            finished.append(FinishedBatch(batch_id, project_id, file_name, state, rows))
    return finished


def _mark_duplicates(connection: Connection, project_id: int) -> None:
    staged = STAGING.c
    ranked = (select(staged.row_number,
                     func.row_number().over(partition_by=staged.e164,
                                            order_by=staged.row_number).label("rank"))
              .where(staged.e164.is_not(None)).subquery())
    later = select(ranked.c.row_number).where(ranked.c.rank > 1)
    connection.execute(update(STAGING).where(staged.row_number.in_(later))
                       .values(outcome="duplicate_in_file"))
    existing = select(Case.phone_e164).where(Case.project_id == project_id)
    connection.execute(update(STAGING).where(staged.outcome.is_(None), staged.e164.in_(existing))
                       .values(outcome="duplicate_existing"))
    blocked = select(DoNotCall.phone_e164).where(
        or_(DoNotCall.expires_at.is_(None), DoNotCall.expires_at > utc_now()))
    connection.execute(update(STAGING).where(staged.outcome.is_(None), staged.e164.in_(blocked))
                       .values(outcome="dnc"))


def _counts(connection: Connection, rows: int) -> dict[str, int]:
    found = dict(connection.execute(
        select(STAGING.c.outcome, func.count()).group_by(STAGING.c.outcome)).all())
    counts = {outcome: int(found.get(outcome, 0)) for outcome in OUTCOMES if outcome != "imported"}
    counts["imported"] = int(found.get(None, 0))
    assert sum(counts.values()) == rows
    return counts


def _write_rejects(connection: Connection, path: Path, project_id: int, batch_id: int | None,
                   options: ImportOptions) -> str | None:
    staged = STAGING.c
    query = (select(staged.row_number, staged.phone_text, staged.outcome, staged.detail,
                    staged.number_type)
             .where(staged.outcome.is_not(None)).order_by(staged.row_number))
    first = connection.execute(query.limit(1)).first()
    if first is None:
        return None
    target = Path(options.rejects_path) if options.rejects_path else _default_rejects_path(
        path, project_id, batch_id)
    rows = ((row.row_number, row.phone_text, _reason(row.outcome, row.detail, row.number_type))
            for row in connection.execute(query.execution_options(yield_per=10_000)))
    try:
        write_rejects(target, path.name, rows)
    except OSError as error:  # a folder that is a file, a full disk, no permission
        raise CatiError(f"cannot write the rejects report {target}: "
                        f"{error.strerror or error}; nothing was imported") from None
    return str(target)


def _reason(outcome: str, detail: str | None, number_type: str | None) -> str:
    if outcome != "invalid":
        return reason_text(outcome)
    return reason_text(detail or "invalid",
                       number_type or "" if detail == "type_not_allowed" else "")


def _default_rejects_path(path: Path, project_id: int, batch_id: int | None) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    label = f"batch{batch_id}" if batch_id is not None else "dry-run"
    folder = user_data_dir() / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{path.stem}-project{project_id}-{label}-{stamp}-rejects.xlsx"

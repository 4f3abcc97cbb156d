"""Importing a phone list into a project's sample: exact, all-or-nothing, in bounded memory.

1. The file streams through the reader; numbers are checked by the phone rule in chunks, on
   worker processes for large files (phonenumbers costs ~17 µs a number: both cores help).
2. Every row goes into a connection-private staging table (TEMP), so memory stays flat whatever
   the number of rows, and SQLite's write lock is not held while numbers are parsed.
3. One short write transaction then classifies the staged rows in SQL by the precedence
   invalid → duplicate_in_file → duplicate_existing → dnc → imported, inserts the imported rows as
   cases of one new batch, and writes the rejects report. A failure or a kill before its commit
   leaves the project exactly as it was; a dry run rolls it back.
4. A real import writes a "sample_imported" audit entry (who, project, file, sha256, batch,
   counts) in that same transaction. ``ImportOptions.imported_by`` must be an active supervisor
   or admin (None is the command line, acting for the database's operator).

This operation manages its own connection and transactions (it is long), unlike the services
that take a session.
"""

from __future__ import annotations

import datetime as dt
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
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

from cati.config import user_data_dir
from cati.errors import CatiError, NotFound
from cati.sample.checking import STAGED_COLUMNS, check_chunk
from cati.sample.phones import PhoneRule, reason_text
from cati.sample.readers import SampleLayout, SourceRow, open_sample
from cati.sample.rejects import write_rejects
from cati.services.clock import utc_now
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import AuditEntry, Case, DoNotCall, JsonDoc, Project, SampleBatch

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

    def counts(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported, "invalid": self.invalid,
                "duplicate_in_file": self.duplicate_in_file,
                "duplicate_existing": self.duplicate_existing, "dnc": self.dnc,
                "rejects_file": self.rejects_file}


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
    project_id, rule = _project_rule(database, project_code, options.default_area_code,
                                     options.imported_by)
    digest = _sha256(path)
    report = _Reporter(progress, should_cancel, started)
    with open_sample(path, sheet=options.sheet, header_row=options.header_row,
                     phone_column=options.phone_column,
                     stratum_column=options.stratum_column) as reader, \
            database.engine.connect() as connection:
        layout = reader.layout
        STAGING.create(connection, checkfirst=False)
        connection.commit()
        try:
            rows = _stage(connection, reader.rows(), rule, path, report)
            counts, batch_id, rejects = _classify_and_insert(
                connection, database.is_sqlite, project_id, path, digest, rows, options, report)
        finally:
            connection.rollback()
            STAGING.drop(connection, checkfirst=True)
            connection.commit()
    report.step(rows, "done")
    return ImportResult(rows=rows, **counts, rejects_file=rejects, batch_id=batch_id,
                        dry_run=options.dry_run, layout=layout, sha256=digest,
                        seconds=time.perf_counter() - started)


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


def _project_rule(database: Database, code: str, area_code: str | None,
                  imported_by: int | None = None) -> tuple[int, PhoneRule]:
    with database.unit() as session:
        if imported_by is not None:
            require_supervisor(session, imported_by, "import phone lists")
        project = session.scalar(select(Project).where(Project.code == code))
        if project is None:
            raise NotFound(f"no project '{code}'")
        settings = project.settings or {}
        rule = PhoneRule(region=settings.get("region") or "CN",
                         default_area_code=area_code or settings.get("default_area_code"),
                         allowed_types=frozenset(settings.get("allowed_number_types") or
                                                 PhoneRule().allowed_types))
        return project.id, rule


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
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
        for chunk in chunks:  # a bounded window of chunks in flight keeps memory flat
            pending.append(pool.apply_async(check_chunk, (chunk, rule)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _stage(connection: Connection, rows: Iterable[SourceRow], rule: PhoneRule, path: Path,
           report: _Reporter) -> int:
    count = 0
    with connection.begin():
        write = _bulk_writer(connection)
        for staged in _checked_chunks(rows, rule, path):
            write(staged)
            count += len(staged)
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


# -- phase 2: classify, insert, report ---------------------------------------------------------
def _classify_and_insert(connection: Connection, is_sqlite: bool, project_id: int, path: Path,
                         digest: str, rows: int, options: ImportOptions, report: _Reporter):
    if is_sqlite:
        connection.execution_options(sqlite_begin="BEGIN IMMEDIATE")
    transaction = connection.begin()
    try:
        _mark_duplicates(connection, project_id)
        report.step(rows, "writing")
        counts = _counts(connection, rows)
        batch_id = None if options.dry_run else _create_batch(
            connection, project_id, path, digest, counts, options)
        if batch_id is not None:
            _insert_cases(connection, project_id, batch_id)
            connection.execute(insert(AuditEntry).values(
                user_id=options.imported_by, at=utc_now(), action="sample_imported",
                details={"project_id": project_id, "file": path.name, "sha256": digest,
                         "batch_id": batch_id, "rows": sum(counts.values()), **counts}))
        rejects = _write_rejects(connection, path, project_id, batch_id, options)
        if batch_id is not None:
            connection.execute(update(SampleBatch).where(SampleBatch.id == batch_id)
                               .values(rejects_file=rejects))
        report.step(rows, "writing")
        if options.dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    except BaseException:
        transaction.rollback()
        raise
    finally:
        if is_sqlite:
            connection.execution_options(sqlite_begin="BEGIN")
    return counts, batch_id, rejects


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


def _create_batch(connection: Connection, project_id: int, path: Path, digest: str,
                  counts: dict[str, int], options: ImportOptions) -> int:
    result = connection.execute(insert(SampleBatch).values(
        project_id=project_id, file_name=path.name, sha256=digest,
        imported_by=options.imported_by, imported_at=utc_now(),
        counts={"rows": sum(counts.values()), **counts}))
    return int(result.inserted_primary_key[0])


# Each new number's place in the random calling order of fresh numbers (0 .. 2**31-1).
_RANDOM_DRAW = {"postgresql": "CAST(floor(random() * 2147483647) AS INTEGER)",
                "sqlite": "(random() & 2147483647)"}


def _insert_cases(connection: Connection, project_id: int, batch_id: int) -> None:
    staged = STAGING.c
    source = select(
        literal(project_id), literal(batch_id), staged.e164,
        func.substr(staged.phone_text, 1, PHONE_RAW_CHARS),  # a valid number spaced out wide
        staged.number_type, staged.region, staged.carrier, staged.time_zone, staged.stratum,
        cast(staged.attributes, JsonDoc) if connection.dialect.name == "postgresql"
        else staged.attributes, literal("fresh"), literal(0), literal(0),
        literal_column(_RANDOM_DRAW[connection.dialect.name]),
    ).where(staged.outcome.is_(None), staged.e164.is_not(None)).order_by(staged.row_number)
    columns = ["project_id", "batch_id", "phone_e164", "phone_raw", "number_type", "region",
               "carrier", "time_zone", "stratum", "attributes", "state", "attempts", "priority",
               "draw"]
    connection.execute(insert(Case).from_select(columns, source))


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

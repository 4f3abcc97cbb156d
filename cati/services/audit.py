"""The audit log for supervisors and admins: read it with filters and pages, export it.

What is written there (each by the service that does the thing, in the same transaction):
``login`` and ``login_failed`` (users.log_in; a failed login has no account, its details name
the username tried), ``password_changed`` and ``password_reset``, ``user_added``,
``user_deactivated``, ``user_reactivated``, ``role_changed`` (admin), ``export`` (what, by
whom, ``with_phone``), ``sample_imported``, ``answer_corrected`` (interview, question, old and
new value, who, when), the supervisor's sample, quota, settings, appointment and suggestion
actions, and ``audit_exported`` (this module).

Decisions:
- Reading needs an active supervisor or admin, checked in every unit of work; interviewers
  never read the log (it names phone numbers' cases and colleagues' failed logins).
- Newest first (time, then id, both descending), so a page is stable while entries arrive.
- The user filter matches the acting account, and also failed logins tried with that username
  (they have no account), so "what happened to ivan's account" is one filter.
- The details are shown and exported as compact JSON text (keys sorted, Chinese kept).
- Exports go to .csv (UTF-8 with BOM, for Excel) or .xlsx, through a temporary file renamed at
  the end (no half-written file); text a spreadsheet would run as a formula (= + - @ …) is
  neutralised as in the data export (cati.reporting.export_columns). The export is itself
  audited, with the filters and the number of rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from cati.errors import CatiError
from cati.reporting.export_columns import iso_utc, neutralise_csv
from cati.services.clock import utc_now
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import AuditEntry, User

DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1_000
EXPORT_CHUNK = 1_000
EXPORT_HEADER = ("id", "at_utc", "user", "action", "details")
EXPORTED = "audit_exported"


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: dt.datetime  # UTC, aware
    user_id: int | None
    username: str  # the acting account; "" when none (a failed login, the command line)
    action: str
    details: str  # compact JSON text

    def detail(self, key: str) -> Any:
        """One value of the details (None when absent)."""
        return json.loads(self.details).get(key)


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """Which entries to show; None means any. ``since`` is inclusive, ``until`` exclusive."""

    action: str | None = None
    username: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    total: int  # entries passing the filters
    offset: int


def list_entries(database: Database, acting_user_id: int,
                 filters: AuditFilters | None = None, *, offset: int = 0,
                 limit: int = DEFAULT_PAGE_SIZE) -> AuditPage:
    """One page of the log, newest first, and how many entries pass the filters."""
    if not 0 < limit <= MAX_PAGE_SIZE:
        raise CatiError(f"a page holds 1 to {MAX_PAGE_SIZE} entries, not {limit}")
    if offset < 0:
        raise CatiError(f"a page cannot start at entry {offset}")
    conditions = _conditions(filters or AuditFilters())
    with database.unit(immediate=False) as session:
        _reader(session, acting_user_id)
        total = session.scalar(select(func.count()).select_from(AuditEntry)
                               .outerjoin(User, User.id == AuditEntry.user_id)
                               .where(*conditions)) or 0
        rows = tuple(_rows(session, conditions, offset, limit))
    return AuditPage(rows, total, offset)


def list_actions(database: Database, acting_user_id: int) -> list[str]:
    """The actions the log holds, for a filter list."""
    with database.unit(immediate=False) as session:
        _reader(session, acting_user_id)
        return sorted(session.scalars(select(AuditEntry.action).distinct()))


def export_entries(database: Database, acting_user_id: int, path: str | Path,
                   filters: AuditFilters | None = None) -> int:
    """Write every entry passing the filters (newest first) to a .csv or .xlsx file; returns
    the number of entries. Audited as ``audit_exported``."""
    from cati.reporting.export import AtomicOutput

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CatiError(f"{path.name}: export the audit log to a .csv or .xlsx file "
                        "(只能导出为 .csv 或 .xlsx)")
    if not path.parent.is_dir():
        raise CatiError(f"{path.name}: the folder {path.parent} does not exist (文件夹不存在)")
    filters = filters or AuditFilters()
    conditions = _conditions(filters)
    output = AtomicOutput(path)
    try:
        with database.unit(immediate=False) as session:
            _reader(session, acting_user_id)
            temp = output.create()
            rows = _all_rows(session, conditions)
            try:
                count = (_write_csv if suffix == ".csv" else _write_xlsx)(temp, rows)
            except OSError as exc:
                raise CatiError(f"cannot write {path}: {exc.strerror or exc}") from None
        with database.unit() as session:
            _reader(session, acting_user_id)
            session.add(AuditEntry(user_id=acting_user_id, at=utc_now(), action=EXPORTED,
                                   details={"file": str(path), "rows": count,
                                            "filters": _filters_json(filters)}))
        output.commit()
    finally:
        output.discard()
    return count


class AuditService:
    """The functions above for one database and one reading account (the console's tab)."""

    def __init__(self, database: Database, acting_user_id: int) -> None:
        self.database = database
        self.acting_user_id = acting_user_id

    def page(self, filters: AuditFilters | None = None, offset: int = 0,
             limit: int = DEFAULT_PAGE_SIZE) -> AuditPage:
        return list_entries(self.database, self.acting_user_id, filters, offset=offset,
                            limit=limit)

    def actions(self) -> list[str]:
        return list_actions(self.database, self.acting_user_id)

    def export(self, path: str | Path, filters: AuditFilters | None = None) -> int:
        return export_entries(self.database, self.acting_user_id, path, filters)


# -- queries ---------------------------------------------------------------------------------


def _reader(session: Session, user_id: int) -> None:
    require_supervisor(session, user_id, "read the audit log")


def _conditions(filters: AuditFilters) -> list:
    conditions: list = []
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    name = (filters.username or "").strip()
    if name:
        conditions.append(or_(User.username == name, and_(
            AuditEntry.user_id.is_(None), AuditEntry.details["username"].as_string() == name)))
    for moment in (filters.since, filters.until):
        if moment is not None and moment.tzinfo is None:
            raise CatiError(f"{moment} has no time zone (时间缺少时区)")
    if filters.since is not None and filters.until is not None \
            and filters.until <= filters.since:
        raise CatiError("the end of the period is not after its start (结束时间须晚于开始时间)")
    if filters.since is not None:
        conditions.append(AuditEntry.at >= filters.since)
    if filters.until is not None:
        conditions.append(AuditEntry.at < filters.until)
    return conditions


def _rows(session: Session, conditions: list, offset: int, limit: int) -> Iterator[AuditRow]:
    query = (select(AuditEntry.id, AuditEntry.at, AuditEntry.user_id, User.username,
                    AuditEntry.action, AuditEntry.details)
             .outerjoin(User, User.id == AuditEntry.user_id).where(*conditions)
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit))
    for entry_id, at, user_id, username, action, details in session.execute(query):
        yield AuditRow(entry_id, at, user_id, username or "", action,
                       json.dumps(details or {}, ensure_ascii=False, sort_keys=True,
                                  separators=(",", ":"), default=str))


def _all_rows(session: Session, conditions: list) -> Iterator[AuditRow]:
    offset = 0
    while True:
        chunk = list(_rows(session, conditions, offset, EXPORT_CHUNK))
        yield from chunk
        if len(chunk) < EXPORT_CHUNK:
            return
        offset += EXPORT_CHUNK


def _filters_json(filters: AuditFilters) -> dict[str, Any]:
    return {"action": filters.action, "username": filters.username,
            "since": iso_utc(filters.since), "until": iso_utc(filters.until)}


def _values(row: AuditRow) -> list[Any]:
    return [row.id, iso_utc(row.at), row.username, row.action, row.details]


# -- writers ---------------------------------------------------------------------------------


def _write_csv(path: Path, rows: Iterator[AuditRow]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_HEADER)
        for row in rows:
            writer.writerow([neutralise_csv(v) if isinstance(v, str) else v
                             for v in _values(row)])
            count += 1
    return count


def _write_xlsx(path: Path, rows: Iterator[AuditRow]) -> int:
    from openpyxl import Workbook

    from cati.reporting.export import _xlsx_cell
    from cati.sample.xlsx_temp import use_private_temp_dir

    use_private_temp_dir()  # openpyxl's temp files: none left behind by a kill
    book = Workbook(write_only=True)
    sheet = book.create_sheet("audit")
    for letter, width in zip("ABCDE", (8, 22, 16, 24, 100), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.append(list(EXPORT_HEADER))
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in _values(row)])
        count += 1
    book.save(path)
    return count

"""Data exports: one row per interview, as CSV, .xlsx or SPSS .sav.

Rows: the completed interviews of a project (state ``complete``, AAPOR 1.1), in interview id
order; with ``include_partial`` also the partials — interviews closed as partial, and phone
interviews left open whose case's last outcome was 1.2 (their disposition column says 1.2); with
``include_void`` also the completes voided when a supervisor reopened their case (disposition
``void``). The
columns and their names are described in ``cati.reporting.export_columns``; a form's repeats
get one long table each (``cati.reporting.export_repeats``: an .xlsx sheet, or a CSV or .sav
file beside the main one).

Times: ``started`` and ``ended`` are ISO 8601 in UTC to the second (``2026-11-24T01:30:00Z``) —
one zone for every case whatever its own; in .sav they are SPSS DATETIME values in UTC.
``duration_s`` is ended − started in whole seconds (empty while an interview is still open).

Formats:
- CSV: UTF-8 with a byte-order mark (so Excel in a Chinese locale reads it right), comma
  separated, CRLF line ends, quoted where needed (csv module, Excel dialect). Answers exactly as
  stored, except that text Excel could run as a formula — starting with = + - @, a tab or a
  carriage return, or their full-width forms — gets a single quote in front (OWASP's advice on
  CSV injection; plain numbers such as -12 are left alone).
- .xlsx (openpyxl, write-only, streamed): a ``data`` sheet and a ``columns`` sheet (each column's
  source question, choice, kind and label). Numbers are number cells; text is always a string
  cell, never a formula (openpyxl would make "=…" a formula: those cells are forced to strings),
  and formula-like text carries Excel's quotePrefix, so editing the cell keeps it text.
  Characters XML cannot hold (C0 controls but tab and line feed; a carriage return, which XML
  would turn into a line feed) are written as Excel's ``_xHHHH_`` escapes, and a literal
  ``_xHHHH_`` in an answer as ``_x005F_xHHHH_``: Excel shows the text exactly as typed.
- .sav (pyreadstat): variable labels (question labels, first language of the questionnaire;
  SPSS keeps 255 bytes), value labels (choice labels, 120 bytes); a select whose choice names
  are all numbers (1, 2, 8) is a numeric variable, else a string variable with string value
  labels; 0/1 choice columns are numeric with 0 = 未选, 1 = 选中; measure levels nominal for
  codes and text, scale for numbers, times and durations. With labels="text" select columns hold
  the label text (string variables, no value labels). The file's notes list renamed columns.

CSV and .xlsx stream rows from two ordered queries (interviews, and answers ordered by
interview) merged as they come; .sav needs the whole table in memory (pyreadstat writes a
DataFrame). A file is written under a temporary name beside the target and renamed into place
only at the end, after the export is recorded in the audit log: a failure leaves nothing behind.

Phone numbers are personal data: the ``phone`` column is there only with ``with_phone``, and only
for a supervisor or an admin. It holds the case's number, or for a web, QR or field interview the
number its respondent left for a call-back (contact_phones; its answer column shows a mask). An interviewer account cannot export at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, null, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cati.errors import CatiError, NotFound, PermissionDenied
from cati.questionnaire.model import Form
from cati.reporting.export_columns import (
    CHOICE_NOT_SELECTED,
    CHOICE_SELECTED,
    COMPUTED_KINDS,
    NUMERIC_KINDS,
    SPSS_VALUE_LABEL_BYTES,
    SPSS_VARIABLE_LABEL_BYTES,
    Cell,
    Column,
    InterviewRow,
    cells,
    column_sources,
    csv_cell,
    dialable_in_china,
    neutralise_csv,
    plan_columns,
    starts_like_formula,
)
from cati.reporting.export_repeats import (
    RepeatTable,
    beside,
    plan_repeat_tables,
    repeat_rows,
)
from cati.services.clock import utc_now
from cati.services.questionnaires import form_of
from cati.storage.db import Database
from cati.storage.models import (
    VOID_STATE,
    Answer,
    AuditEntry,
    Case,
    ContactPhone,
    Interview,
    Project,
    User,
)

FORMATS = ("csv", "xlsx", "sav")
LABEL_MODES = ("codes", "text")
EXPORT_ROLES = frozenset({"supervisor", "admin"})
AUDIT_ACTION = "export"
STREAM_ROWS = 2000
PARTIAL_CODE = "1.2"


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    format: str
    rows: int
    columns: tuple[Column, ...]
    with_phone: bool
    # A table per repeat: (repeat name, where it went: its file, or the .xlsx sheet's name,
    # how many instance rows).
    repeats: tuple[tuple[str, str, int], ...] = ()


def export_data(database: Database, project_code: str, out: str | os.PathLike[str], *,
                fmt: str | None = None, labels: str = "codes", include_partial: bool = False,
                include_void: bool = False, with_phone: bool = False, username: str | None = None,
                user_id: int | None = None) -> ExportResult:
    """Write the project's interviews to ``out`` and record the export in the audit log.

    ``fmt`` defaults to the file's extension. ``username`` (or ``user_id``) names the acting
    account: required, and a supervisor or admin, for ``with_phone``."""
    out = Path(out)
    fmt = export_format(fmt, out)
    if labels not in LABEL_MODES:
        raise CatiError(f"--labels must be codes or text, not '{labels}'")
    output = AtomicOutput(out)
    extra_outputs: list[AtomicOutput] = []
    repeats: list[tuple[str, str, int]] = []
    try:
        with database.unit(immediate=False) as session:
            consistent_snapshot(session, database)
            project = find_project(session, project_code)
            actor = acting_user(session, username=username, user_id=user_id,
                                with_phone=with_phone)
            selection = _selection(project.id, include_partial, include_void)
            forms = _forms(session, project, selection)
            columns = plan_columns(forms, with_phone=with_phone)
            tables = plan_repeat_tables(forms)
            temp = output.create()
            rows = _rows(session, columns, selection, with_phone=with_phone,
                         labels=labels == "text")
            try:
                if fmt == "xlsx" and tables:
                    sheets = _repeat_sheets(session, tables, selection, labels == "text",
                                            repeats)
                    count = write_xlsx(temp, columns, rows, project.code, labels == "text",
                                       sheets)
                else:
                    count = WRITERS[fmt](temp, columns, rows, project.code, labels == "text")
                    for table in tables if fmt != "xlsx" else ():
                        target = beside(out, table.name)
                        extra = AtomicOutput(target)
                        extra_outputs.append(extra)
                        written = WRITERS[fmt](
                            extra.create(), table.columns,
                            repeat_rows(session, table, selection, labels=labels == "text"),
                            f"{project.code} {table.name}", labels == "text")
                        repeats.append((table.name, str(target), written))
            except OSError as exc:  # the disk filled up, the share went away …
                raise CatiError(f"cannot write {out}: {exc.strerror or exc}") from None
        details: dict[str, Any] = {
            "project": project.code, "format": fmt, "rows": count, "with_phone": with_phone,
            "labels": labels, "include_partial": include_partial,
            "include_void": include_void, "file": str(out)}
        if repeats:
            details["repeats"] = {name: {"where": where, "rows": written}
                                  for name, where, written in repeats}
        record_export(database, actor, details)
        output.commit()
        for extra in extra_outputs:
            extra.commit()
    finally:
        output.discard()
        for extra in extra_outputs:
            extra.discard()
    return ExportResult(out, fmt, count, columns, with_phone, tuple(repeats))


def _repeat_sheets(session: Session, tables: Sequence[RepeatTable],
                   selection: ColumnElement[bool], labels: bool,
                   written: list[tuple[str, str, int]]):
    """(sheet name, columns, rows, a callback given the row count) per repeat, for
    write_xlsx."""
    taken = {"data", "columns"}
    sheets = []
    for table in tables:
        name = table.sheet_name(taken)
        sheets.append((name, table.columns,
                       repeat_rows(session, table, selection, labels=labels),
                       lambda count, table=table, name=name: written.append(
                           (table.name, name, count))))
    return sheets


def export_format(fmt: str | None, out: Path) -> str:
    if fmt is None:
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            raise CatiError(f"say --format csv, xlsx or sav (cannot tell from '{out.name}')")
    if fmt not in FORMATS:
        raise CatiError(f"--format must be csv, xlsx or sav, not '{fmt}'")
    return fmt


# -- shared by the exports ------------------------------------------------------------------


class AtomicOutput:
    """A file written under a temporary name in the target's folder, renamed at the end.

    The temporary file is created readable by its owner only (exports hold personal data) and
    keeps that mode when renamed."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.temp: Path | None = None

    def create(self) -> Path:
        if self.out.is_dir():
            raise CatiError(f"cannot write {self.out}: it is a folder")
        try:
            handle, name = tempfile.mkstemp(prefix=f".{self.out.name}.", suffix=".part",
                                            dir=self.out.parent)
        except OSError as exc:
            raise CatiError(f"cannot write {self.out}: {exc.strerror or exc}") from None
        os.close(handle)
        self.temp = Path(name)
        return self.temp

    def commit(self) -> None:
        assert self.temp is not None
        try:
            os.replace(self.temp, self.out)
        except OSError as exc:
            raise CatiError(f"cannot write {self.out}: {exc.strerror or exc}") from None
        self.temp = None

    def discard(self) -> None:
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


def consistent_snapshot(session: Session, database: Database) -> None:
    """Every query of this unit sees the same data (the first statement of the unit).

    SQLite's read transaction is a snapshot already; PostgreSQL needs REPEATABLE READ."""
    if not database.is_sqlite:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def find_project(session: Session, code: str) -> Project:
    project = session.scalar(select(Project).where(Project.code == code))
    if project is None:
        raise NotFound(f"no project '{code}'")
    return project


def acting_user(session: Session, *, username: str | None = None, user_id: int | None = None,
                with_phone: bool = False) -> User | None:
    """The account doing the export (None when not named), checked for its role."""
    if username is None and user_id is None:
        if with_phone:
            raise PermissionDenied("--with-phone needs --user NAME of a supervisor or an admin "
                                   "(导出电话号码须由督导或管理员操作)")
        return None
    if user_id is not None:
        user = session.get(User, user_id)
        name = username or str(user_id)
    else:
        assert username is not None
        name = username.strip()
        user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound(f"no user '{name}'")
    if not user.active:
        raise PermissionDenied(f"user '{name}' is inactive")
    if user.role not in EXPORT_ROLES:
        if with_phone:
            raise PermissionDenied("only a supervisor or an admin can export phone numbers "
                                   "(仅督导或管理员可以导出电话号码)")
        raise PermissionDenied("only a supervisor or an admin can export data "
                               "(仅督导或管理员可以导出数据)")
    return user


def record_export(database: Database, actor: User | None, details: dict[str, Any]) -> None:
    with database.unit() as session:
        session.add(AuditEntry(user_id=actor.id if actor is not None else None, at=utc_now(),
                               action=AUDIT_ACTION, details=details))


def csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_csv(value)
    return str(value)


def open_csv(path: Path):
    """A text file for CSV: UTF-8 with a byte-order mark; the csv module writes the CRLFs."""
    return path.open("w", encoding="utf-8-sig", newline="")


# -- which interviews -----------------------------------------------------------------------


def _selection(project_id: int, include_partial: bool,
               include_void: bool = False) -> ColumnElement[bool]:
    chosen = [Interview.state == "complete"]
    if include_partial:
        chosen.append(or_(Interview.state == "partial",
                          and_(Interview.state == "in_progress",
                               Case.disposition == PARTIAL_CODE)))
    if include_void:
        chosen.append(Interview.state == VOID_STATE)
    return and_(Interview.project_id == project_id, or_(*chosen))


def _forms(session: Session, project: Project, selection: ColumnElement[bool]) -> list[Form]:
    """The project's questionnaire version first, then any other version an exported
    interview ran."""
    used = set(session.scalars(select(Interview.questionnaire_id).distinct()
                               .outerjoin(Case, Case.id == Interview.case_id).where(selection)))
    ids = [project.questionnaire_id, *sorted(used - {project.questionnaire_id})]
    return [form_of(session, questionnaire_id) for questionnaire_id in ids]


def _rows(session: Session, columns: Sequence[Column], selection: ColumnElement[bool], *,
          with_phone: bool, labels: bool) -> Iterator[list[Cell]]:
    """Each exported interview's cells, streamed: the interviews and their answers come from
    two queries in interview order, merged as they arrive."""
    # The case's phone, else the number a web or field respondent left for a call-back.
    phone = (func.coalesce(Case.phone_e164, ContactPhone.phone_e164, ContactPhone.phone_raw)
             if with_phone else null()).label("phone")
    connection = session.connection()  # Core rows: no ORM loading on the way
    query = (
        select(Interview.id, Interview.case_id, phone, Interview.stratum, Interview.mode,
               User.username, Interview.state, Interview.disposition, Interview.started_at,
               Interview.ended_at)
        .select_from(Interview)
        .outerjoin(Case, Case.id == Interview.case_id))
    if with_phone:
        query = query.outerjoin(ContactPhone, ContactPhone.interview_id == Interview.id)
    interviews = connection.execute(
        query
        .outerjoin(User, User.id == Interview.interviewer_id)
        .where(selection).order_by(Interview.id)
        .execution_options(yield_per=STREAM_ROWS))
    answers = iter(connection.execute(
        select(Answer.interview_id, Answer.question, Answer.value)
        .join(Interview, Interview.id == Answer.interview_id)
        .outerjoin(Case, Case.id == Interview.case_id)
        .where(selection).order_by(Answer.interview_id)
        .execution_options(yield_per=STREAM_ROWS * 20)))
    pending = next(answers, None)
    for (interview_id, case_id, phone_e164, stratum, mode, interviewer, state, disposition,
         started, ended) in interviews:
        values: dict[str, str] = {}
        while pending is not None and pending[0] < interview_id:
            pending = next(answers, None)
        while pending is not None and pending[0] == interview_id:
            values[pending[1]] = pending[2] or ""
            pending = next(answers, None)
        if state == VOID_STATE:
            disposition = VOID_STATE  # a complete voided when its case was reopened
        elif disposition is None and state != "complete":
            disposition = PARTIAL_CODE
        row = InterviewRow(interview_id, case_id, phone_e164, stratum or "", mode, interviewer,
                           disposition, started, ended, dialable_in_china(phone_e164))
        yield cells(columns, row, values, labels=labels)


# -- CSV ------------------------------------------------------------------------------------


def write_csv(path: Path, columns: Sequence[Column], rows: Iterable[list[Cell]],
              title: str, labels: bool = False) -> int:
    count = 0
    with open_csv(path) as handle:
        writer = csv.writer(handle)
        writer.writerow([column.name for column in columns])
        for row in rows:
            writer.writerow([csv_cell(column, value) for column, value in zip(columns, row,
                                                                                strict=True)])
            count += 1
    return count


# -- .xlsx ----------------------------------------------------------------------------------

# Characters an XML text node cannot hold, or (CR) would not give back as written.
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
EXCEL_DIGITS = 15  # Excel keeps 15 significant digits of a number
EXCEL_CELL_CHARS = 32_767  # Excel's longest cell text


def excel_escape(text: str) -> str:
    """Text as Excel stores it: a literal ``_xHHHH_`` gets its underscore escaped, and
    characters XML cannot carry become ``_xHHHH_``."""
    text = _EXCEL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def _xlsx_cell(sheet, value: Cell):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, Decimal):
        if len(value.as_tuple().digits) > EXCEL_DIGITS:
            value = str(value)  # Excel would round it: kept as text
        elif value == value.to_integral_value():
            return int(value)
        else:
            return value
    if not isinstance(value, str):
        return value
    text = excel_escape(value)
    formula_like = starts_like_formula(value)  # as typed: "\r=1" escapes to "_x000D_=1"
    if not formula_like and len(text) <= EXCEL_CELL_CHARS:
        return text
    cell = WriteOnlyCell(sheet, value="")
    cell.data_type = "s"  # never a formula, whatever the text starts with
    # Set past openpyxl's setter, which cuts text at 32,767 characters: Excel's limit counts
    # the characters it shows, and each _xHHHH_ escape shows as one.
    cell._value = text
    if formula_like:
        cell.quotePrefix = True
    return cell


def write_xlsx(path: Path, columns: Sequence[Column], rows: Iterable[list[Cell]],
               title: str, labels: bool = False, sheets: Sequence = ()) -> int:
    """The ``data`` sheet, then a sheet per repeat (``sheets``: name, columns, rows and a
    callback told the row count), then the ``columns`` sheet listing every sheet's columns."""
    from openpyxl import Workbook

    from cati.sample.xlsx_temp import use_private_temp_dir

    use_private_temp_dir()  # openpyxl's temp files: none left behind by a kill
    book = Workbook(write_only=True)
    data = book.create_sheet("data")
    data.freeze_panes = "A2"
    data.append([column.name for column in columns])
    count = 0
    for row in rows:
        data.append([_xlsx_cell(data, value) for value in row])
        count += 1
    for name, sheet_columns, sheet_rows, told in sheets:
        table = book.create_sheet(name)
        table.freeze_panes = "A2"
        table.append([column.name for column in sheet_columns])
        written = 0
        for row in sheet_rows:
            table.append([_xlsx_cell(table, value) for value in row])
            written += 1
        told(written)
    sheet = book.create_sheet("columns")
    sheet.append(["column 列名", "source 来源", "choice 选项", "kind 类型", "label 标签"])
    for entry in column_sources(columns):
        sheet.append([_xlsx_cell(sheet, value) for value in entry])
    for name, sheet_columns, _, _ in sheets:
        for column, source, choice, kind, label in column_sources(sheet_columns):
            sheet.append([_xlsx_cell(sheet, value) for value in
                          (column, f"{name}/{source}", choice, kind, label)])
    book.save(path)
    return count


# -- SPSS .sav ------------------------------------------------------------------------------


def _bytes_cut(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


@dataclass(slots=True)
class _SavColumn:
    values: list[Any]
    numeric: bool = False
    measure: str = "nominal"
    spss_format: str | None = None
    value_labels: dict[Any, str] | None = None


def _decimals(values: Iterable[Decimal]) -> tuple[int, int]:
    places, width = 0, 1
    for value in values:
        exponent = value.as_tuple().exponent
        places = max(places, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
        width = max(width, len(str(value)))
    return min(places, 16), min(width, 40)


def _numeric(values: list[Cell], measure: str) -> _SavColumn:
    numbers = [value for value in values if value is not None]
    places, width = _decimals(Decimal(v) for v in numbers)
    return _SavColumn([float("nan") if v is None else float(v) for v in values], True, measure,
                      f"F{max(width + 1, 8)}.{places}")


def _sav_column(column: Column, values: list[Cell], labels: bool) -> _SavColumn:
    kind = column.kind
    present = [value for value in values if value is not None]
    if kind in {"id", "seconds"}:
        return _numeric(values, "scale" if kind == "seconds" else "nominal")
    if kind == "datetime":
        moments = [None if v is None else dt.datetime.fromisoformat(str(v).removesuffix("Z"))
                   for v in values]
        return _SavColumn(moments, measure="scale", spss_format="DATETIME20")
    if kind == "choice":
        result = _numeric(values, "nominal")
        result.spss_format = "F1.0"
        result.value_labels = {0.0: CHOICE_NOT_SELECTED, 1.0: CHOICE_SELECTED}
        return result
    if kind == "select_one" and not labels:
        value_labels = {name: _bytes_cut(label, SPSS_VALUE_LABEL_BYTES)
                        for name, label in column.choices}
        if column.numeric_codes and all(isinstance(v, str) and v in value_labels
                                        for v in present):
            result = _numeric([None if v is None else Decimal(str(v)) for v in values],
                              "nominal")
            result.value_labels = {float(Decimal(name)): label
                                   for name, label in value_labels.items()}
            return result
        return _SavColumn(values, value_labels=value_labels)
    all_numbers = all(isinstance(v, Decimal) for v in present)
    if (kind in NUMERIC_KINDS and all_numbers) or (kind in COMPUTED_KINDS and present and
                                                   all_numbers):
        return _numeric(values, "scale")
    return _SavColumn([None if v is None else str(v) for v in values])


def write_sav(path: Path, columns: Sequence[Column], rows: Iterable[list[Cell]],
              title: str, labels: bool = False) -> int:
    try:
        import pandas as pd
        import pyreadstat
    except ImportError:
        raise CatiError("SPSS export needs pyreadstat and pandas "
                        "(pip install pyreadstat pandas)") from None
    table: list[list[Cell]] = [[] for _ in columns]
    count = 0
    for row in rows:
        for values, value in zip(table, row, strict=True):
            values.append(value)
        count += 1
    frame: dict[str, Any] = {}
    measures: dict[str, str] = {}
    formats: dict[str, str] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    for column, values in zip(columns, table, strict=True):
        sav = _sav_column(column, values, labels)
        if sav.numeric:
            frame[column.name] = pd.Series(sav.values, dtype="float64")
        elif column.kind == "datetime":
            frame[column.name] = pd.Series(sav.values, dtype="datetime64[us]")
        else:
            frame[column.name] = pd.Series(sav.values, dtype="object")
        measures[column.name] = sav.measure
        if sav.spss_format:
            formats[column.name] = sav.spss_format
        if sav.value_labels:
            value_labels[column.name] = sav.value_labels
    notes = ["Exported by cati; times in UTC.",
             *(f"{c.name} = {c.wanted_name}" for c in columns if c.renamed)]
    pyreadstat.write_sav(
        pd.DataFrame(frame), str(path), file_label=_bytes_cut(title, 64),
        column_labels={c.name: _bytes_cut(c.label, SPSS_VARIABLE_LABEL_BYTES) or None
                       for c in columns},
        variable_value_labels=value_labels, variable_measure=measures,
        variable_format=formats, note=[_bytes_cut(note, 80) for note in notes])
    return count


WRITERS: dict[str, Callable[..., int]] = {
    "csv": write_csv, "xlsx": write_xlsx, "sav": write_sav}

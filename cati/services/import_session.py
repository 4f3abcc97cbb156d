"""The phone-list import as the supervisor's import dialog drives it: plain dataclasses in and out.

A thin, Qt-free facade over ``cati.sample.readers`` and ``cati.services.sample_import``: the
preview of a file (its layout, its sheets, the first rows as table cells), the import or dry run
(``import_sample`` unchanged) together with the first rejected rows read back from the rejects
workbook, and a copy of that workbook where the user wants it. Every method reads the disk or
the database: callers with a window run them off its GUI thread.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from cati.errors import CatiError
from cati.sample.readers import (
    SampleFileError,
    SampleLayout,
    SourceRow,
    excel_unescape,
    open_sample,
)
from cati.services.sample_import import (
    ImportOptions,
    ImportResult,
    Progress,
    ShouldCancel,
    import_sample,
)
from cati.storage.db import Database

PREVIEW_ROWS = 20
REJECTS_SHOWN = 1_000
REJECTS_FIRST_ROW = 3  # rejects.py writes a source-file line and a header above the rows


@dataclass(frozen=True, slots=True)
class LayoutChoice:
    """What the user chose of a file's layout; None is "detect it"."""

    sheet: str | int | None = None
    header_row: int | None = None
    phone_column: str | None = None
    stratum_column: str | None = None

    @classmethod
    def pinned(cls, layout: SampleLayout) -> LayoutChoice:
        """Exactly the layout that was previewed, so the import reads what the user saw."""
        return cls(sheet=layout.sheet, header_row=layout.header_row,
                   phone_column=layout.phone_column, stratum_column=layout.stratum_column)


@dataclass(frozen=True, slots=True)
class PreviewRow:
    row_number: int                 # as Excel (or a text editor) numbers it
    cells: tuple[str, ...]          # one text per column of ImportPreview.columns


@dataclass(frozen=True, slots=True)
class ImportPreview:
    path: str
    layout: SampleLayout
    sheets: tuple[str, ...]         # every sheet of a workbook; () for a text file
    columns: tuple[str, ...]        # layout.columns, and any unnamed column found further right
    rows: tuple[PreviewRow, ...]

    @property
    def choice(self) -> LayoutChoice:
        return LayoutChoice.pinned(self.layout)


@dataclass(frozen=True, slots=True)
class RejectRow:
    row_number: int
    phone_text: str
    reason: str                     # Chinese and English, as in the rejects workbook


@dataclass(frozen=True, slots=True)
class ImportReport:
    result: ImportResult
    rejects: tuple[RejectRow, ...]  # the first ones, at most ``rejects_shown`` of run()
    rejects_total: int              # every rejected row (rows - imported)


class ImportService:
    """Preview, dry-run, import, and keep the rejects of phone lists for one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def preview(self, path: str | Path, choice: LayoutChoice = LayoutChoice(), *,
                limit: int = PREVIEW_ROWS) -> ImportPreview:
        """The layout found with ``choice`` and the first ``limit`` data rows.

        A file that cannot be read raises SampleFileError (one line)."""
        path = Path(path)
        with open_sample(path, sheet=choice.sheet, header_row=choice.header_row,
                         phone_column=choice.phone_column,
                         stratum_column=choice.stratum_column) as reader:
            layout = reader.layout
            rows = list(itertools.islice(reader.rows(), limit))
            # The reader knows the workbook's sheets but its layout does not carry them.
            sheets = tuple(getattr(reader._source, "sheet_names", None) or ())
        columns = list(layout.columns)
        for row in rows:  # cells right of the header's last name come as "column N"
            columns.extend(name for name in row.attributes if name not in columns)
        return ImportPreview(path=str(path), layout=layout, sheets=sheets,
                             columns=tuple(columns),
                             rows=tuple(_preview_row(row, layout, columns) for row in rows))

    def sheets(self, path: str | Path) -> tuple[str, ...]:
        """The sheets of a workbook, also when no layout can be found on the one read by
        default (so the user can pick another); () for a text file or an unreadable one."""
        from cati.sample.readers import _open_source  # the file without its layout

        try:
            source = _open_source(Path(path), None)
        except SampleFileError:
            return ()
        try:
            return tuple(getattr(source, "sheet_names", None) or ())
        finally:
            source.close()

    def run(self, project_code: str, path: str | Path, choice: LayoutChoice = LayoutChoice(),
            *, dry_run: bool = False, user_id: int | None = None,
            default_area_code: str | None = None, rejects_path: str | Path | None = None,
            progress: Progress | None = None, should_cancel: ShouldCancel | None = None,
            rejects_shown: int = REJECTS_SHOWN) -> ImportReport:
        """``import_sample`` with ``choice``, and the first rejected rows read back.

        Raises ImportCancelled when ``should_cancel`` said so (nothing was changed)."""
        options = ImportOptions(sheet=choice.sheet, header_row=choice.header_row,
                                phone_column=choice.phone_column,
                                stratum_column=choice.stratum_column,
                                default_area_code=default_area_code, dry_run=dry_run,
                                rejects_path=rejects_path, imported_by=user_id)
        result = import_sample(self.database, project_code, path, options, progress=progress,
                               should_cancel=should_cancel)
        rejects: tuple[RejectRow, ...] = ()
        if result.rejects_file is not None and rejects_shown > 0:
            rejects = read_rejects(result.rejects_file, rejects_shown)
        return ImportReport(result=result, rejects=rejects,
                            rejects_total=result.rows - result.imported)

    def read_rejects(self, path: str | Path, limit: int = REJECTS_SHOWN) -> tuple[RejectRow, ...]:
        return read_rejects(path, limit)

    def save_rejects(self, source: str | Path, target: str | Path) -> Path:
        return save_rejects(source, target)


def _preview_row(row: SourceRow, layout: SampleLayout, columns: list[str]) -> PreviewRow:
    cells = dict(row.attributes)
    cells[layout.phone_column] = row.phone_text
    if layout.stratum_column is not None:
        cells[layout.stratum_column] = row.stratum
    return PreviewRow(row.row_number, tuple(cells.get(name, "") for name in columns))


def read_rejects(path: str | Path, limit: int = REJECTS_SHOWN) -> tuple[RejectRow, ...]:
    """The first ``limit`` rows of a rejects workbook written by an import."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = book["rejects"] if "rejects" in book.sheetnames else book.worksheets[0]
        found: list[RejectRow] = []
        for values in sheet.iter_rows(min_row=REJECTS_FIRST_ROW, max_col=3, values_only=True):
            if len(found) >= limit:
                break
            number, phone, reason = (*values, None, None, None)[:3]
            if number is None and phone is None and reason is None:
                continue
            found.append(RejectRow(int(number) if number is not None else 0,
                                   "" if phone is None else excel_unescape(str(phone)),
                                   "" if reason is None else str(reason)))
        return tuple(found)
    finally:
        book.close()


def save_rejects(source: str | Path, target: str | Path) -> Path:
    """Copy a rejects workbook to ``target`` (".xlsx" is added when missing); whole or not at all."""
    source, target = Path(source), Path(target)
    if target.suffix.lower() != ".xlsx":
        target = target.with_name(target.name + ".xlsx")
    if not source.is_file():
        raise CatiError(f"the rejects file {source} is gone (moved or deleted?)")
    if target.exists() and target.resolve() == source.resolve():
        return target
    partial = target.with_name(target.name + ".part")
    try:
        shutil.copyfile(source, partial)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise CatiError(f"cannot save {target}: {error.strerror or error}") from None
    return target

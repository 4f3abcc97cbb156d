"""The rejects report of an import: every rejected row, its row number in the source file, the
cell as given and the reason, as an .xlsx workbook that streams (any number of rows).

Cells are written as text: a phone cell such as ``=HYPERLINK(...)`` must not become a formula.
Characters an XML text node cannot carry (control characters, U+FFFE, U+FFFF) are written as
Excel writes them, ``_xHHHH_`` (and a literal ``_xHHHH_`` gets its underscore escaped as
``_x005F_``), so a hostile cell is reported as given instead of failing the import.

The workbook is saved as ``NAME.part`` and renamed: a reader never sees half a workbook, and a
failed save (a full folder) removes its ``.part``. openpyxl's temporary sheet files go to a folder
of this process's own (cati.sample.xlsx_temp), so a killed import leaves none behind for long.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from cati.sample.faults import fault_point
from cati.sample.readers import excel_text
from cati.sample.xlsx_temp import save_whole, use_private_temp_dir

HEADER = ("行号 Row", "原始号码 As given", "原因 Reason")


def write_rejects(target: str | Path, source_name: str,
                  rows: Iterable[tuple[int, str, str]]) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    use_private_temp_dir()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("rejects")
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 60
    sheet.freeze_panes = "A3"
    sheet.append([_text(sheet, f"来源文件 Source file: {source_name}", bold=True)])
    sheet.append([_text(sheet, title, bold=True) for title in HEADER])
    for row_number, phone_text, reason in rows:
        sheet.append([row_number, _text(sheet, phone_text), _text(sheet, reason)])
    fault_point("rejects")
    save_whole(book, target)
    return target


def _text(sheet, value: str, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=excel_text(value))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if bold:
        cell.font = Font(bold=True)
    return cell

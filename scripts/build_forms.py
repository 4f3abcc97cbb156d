#!/usr/bin/env python3
"""Build the shipped questionnaires: every data/questionnaires/*.md becomes the .xlsx next to it.

The markdown file is the source (pyxform's markdown table format: a line ``| survey |`` names a
sheet, the rows below it are ``| | cell | cell |``, the first row of a sheet is its header). The
workbook is what projects load. Each cell is written as text — disposition codes such as 4.70
and choice names such as 1 stay the strings "4.70" and "1" — the header row is bold and frozen,
and the file is byte-for-byte the same every time it is rebuilt from the same source.

    scripts/build_forms.py            write every workbook (the same as --all)
    scripts/build_forms.py --check    exit 1 when a workbook is missing or differs from its source
    scripts/build_forms.py FILE.md    build (or with --check, check) only the files named
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter
from pyxform.xls2json_backends import _md_table_to_ss_structure  # the parser pyxform reads .md with

ROOT = Path(__file__).resolve().parent.parent
FORMS_DIR = ROOT / "data" / "questionnaires"

FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)  # workbook created/modified, and zip entry times
MIN_WIDTH, MAX_WIDTH = 6, 60
TEXT_FORMAT = "@"

Sheets = list[tuple[str, list[list[str | None]]]]


class SourceError(Exception):
    """The markdown source cannot be turned into a workbook."""


# -- reading ----------------------------------------------------------------------------------
def read_markdown(path: Path) -> Sheets:
    """The sheets of a markdown XLSForm, in order, as rows of text cells padded to the header."""
    tables = _md_table_to_ss_structure(path.read_text(encoding="utf-8"))
    sheets: Sheets = []
    for name, rows in tables.items():
        if not name:
            raise SourceError(f"{path.name}: table rows before the first '| sheet |' line")
        if not rows:
            raise SourceError(f"{path.name}: sheet '{name}' has no header row")
        width = len(rows[0])
        table: list[list[str | None]] = []
        for number, row in enumerate(rows, start=1):
            cells = [cell if cell not in (None, "") else None for cell in row]
            extra = [cell for cell in cells[width:] if cell is not None]
            if extra:
                raise SourceError(f"{path.name}: sheet '{name}' row {number} has more cells "
                                  f"than its header ({len(cells)} > {width})")
            cells = cells[:width] + [None] * (width - len(cells))
            table.append(cells)
        sheets.append((name, table))
    if not sheets:
        raise SourceError(f"{path.name}: no '| sheet |' table found")
    return sheets


def read_workbook(path: Path) -> Sheets:
    """The sheets of a built workbook, as rows of cell values (no type conversion)."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        sheets: Sheets = []
        for name in book.sheetnames:
            rows = [list(row) for row in book[name].iter_rows(values_only=True)]
            sheets.append((name, rows))
        return sheets
    finally:
        book.close()


# -- writing ----------------------------------------------------------------------------------
def display_width(text: str) -> int:
    """Columns the text takes on screen: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def build_workbook(sheets: Sheets) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for name, rows in sheets:
        sheet = book.create_sheet(title=name)
        widths: dict[int, int] = {}
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                cell.data_type = "s"  # always text, even "=..." or "4.70"
                cell.number_format = TEXT_FORMAT
                if r == 1:
                    cell.font = bold
                longest = max(display_width(line) for line in value.splitlines() or [""])
                widths[c] = max(widths.get(c, 0), longest)
                if r > 1:
                    cell.alignment = wrap if longest > MAX_WIDTH else top
        for c in range(1, (len(rows[0]) if rows else 0) + 1):
            width = min(max(widths.get(c, 0) + 2, MIN_WIDTH), MAX_WIDTH)
            sheet.column_dimensions[get_column_letter(c)].width = width
        sheet.freeze_panes = "A2"
    properties = book.properties
    properties.creator = "cati"
    properties.lastModifiedBy = "cati"
    properties.created = FIXED_TIME
    properties.modified = FIXED_TIME
    return book


def workbook_bytes(book: openpyxl.Workbook) -> bytes:
    """The .xlsx bytes, with fixed document times and zip entry times so rebuilds are identical."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()  # unlike Workbook.save, keeps properties.modified
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            out.writestr(entry, source.read(info.filename))
    return fixed.getvalue()


def target_of(source: Path) -> Path:
    return source.with_suffix(".xlsx")


def build(source: Path) -> bool:
    """Write the workbook for ``source``; True when the file changed."""
    content = workbook_bytes(build_workbook(read_markdown(source)))
    target = target_of(source)
    if target.exists() and target.read_bytes() == content:
        return False
    target.write_bytes(content)
    return True


# -- checking ---------------------------------------------------------------------------------
def _trimmed(rows: list[list]) -> list[list]:
    """Rows without trailing empty cells, and without trailing empty rows."""
    result = []
    for row in rows:
        cells = list(row)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        result.append(cells)
    while result and not result[-1]:
        result.pop()
    return result


def differences(source: Path) -> list[str]:
    """What differs between ``source`` and its workbook, compared cell value by cell value."""
    target = target_of(source)
    if not target.exists():
        return [f"{target.name} is missing"]
    expected = read_markdown(source)
    try:
        actual = read_workbook(target)
    except Exception as exc:  # any workbook openpyxl cannot read is out of date
        return [f"{target.name} cannot be read: {exc}"]
    found: list[str] = []
    expected_names = [name for name, _ in expected]
    actual_names = [name for name, _ in actual]
    if expected_names != actual_names:
        found.append(f"{target.name}: sheets {actual_names}, source has {expected_names}")
    actual_by_name = dict(actual)
    for name, rows in expected:
        if name not in actual_by_name:
            continue
        want, have = _trimmed(rows), _trimmed(actual_by_name[name])
        header = want[0] if want else []
        for number in range(max(len(want), len(have))):
            a = want[number] if number < len(want) else []
            b = have[number] if number < len(have) else []
            if a == b:
                continue
            for column in range(max(len(a), len(b))):
                x = a[column] if column < len(a) else None
                y = b[column] if column < len(b) else None
                if x != y:
                    title = header[column] if column < len(header) and header[column] else ""
                    where = f"{get_column_letter(column + 1)}{number + 1}"
                    found.append(f"{target.name}: sheet '{name}' cell {where}"
                                 f"{f' ({title})' if title else ''}: "
                                 f"workbook has {y!r}, source has {x!r}")
                    break
            break  # the first difference of each sheet is enough to say it is out of date
    return found


# -- command line -----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", type=Path,
                        help="markdown sources (default: every data/questionnaires/*.md)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--all", action="store_true",
                      help="write every workbook (the default)")
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 when a workbook is out of date")
    args = parser.parse_args(argv)
    sources = args.sources or sorted(FORMS_DIR.glob("*.md"))
    if not sources:
        print(f"no questionnaire sources in {FORMS_DIR}", file=sys.stderr)
        return 1
    try:
        if args.check:
            stale = [line for source in sources for line in differences(source)]
            for line in stale:
                print(f"out of date: {line}", file=sys.stderr)
            if stale:
                print("run scripts/build_forms.py to rebuild", file=sys.stderr)
                return 1
            print(f"{len(sources)} workbook(s) up to date")
            return 0
        for source in sources:
            changed = build(source)
            print(f"{'wrote' if changed else 'unchanged'}: {target_of(source)}")
        return 0
    except (OSError, SourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""Reading an XLSForm into rows: pyxform's backends do the survey, choices and settings sheets.

A source is a path (.xlsx, .xls, .md, .csv), the bytes of a workbook, or a markdown string
written as pyxform writes its test forms. Rows keep their spreadsheet row number (header = 1).
The extra ``indices`` sheet, which pyxform does not read, is read here from .xlsx and markdown.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import (
    _md_table_to_ss_structure,
    get_xlsform,
)

from cati import zip_limits
from cati.questionnaire.problems import FormError, FormProblem

Row = dict[str, str]
Source = str | Path | bytes

EXTRA_SHEETS = ("indices",)
# Sheets pyxform reads that cati has no use for: named in a warning, never dropped silently.
IGNORED_SHEETS = ("entities",)
# The shipped questionnaire is 70 KB inflated; a form with thousands of rows a few megabytes.
FORM_MAX_MEMBER_BYTES = 32 << 20
FORM_MAX_TOTAL_BYTES = 64 << 20


@dataclass(slots=True)
class RawForm:
    """The sheets as rows of text cells, with the data pyxform needs to check them again."""

    file_name: str
    content: bytes  # the exact bytes (a markdown source is stored as UTF-8 text)
    survey: list[tuple[int, Row]]
    choices: list[tuple[int, Row]]
    settings: Row
    extra: dict[str, list[tuple[int, Row]]] = field(default_factory=dict)
    definition: Any = None  # pyxform's DefinitionData, for its own validation
    ignored_sheets: tuple[str, ...] = ()  # sheets pyxform reads that cati does not (entities)


def read_source(source: Source, file_name: str | None = None) -> RawForm:
    """Read the sheets of ``source``; a file that is not a form raises FormError with one line."""
    content, name, kind = _content_of(source, file_name)
    if kind == "xlsx":
        _check_inflated_sizes(content, name)
    try:
        definition = get_xlsform(io.BytesIO(content), file_type=f".{kind}" if kind else None)
    except PyXFormError as exc:
        raise FormError([FormProblem("file", None, _unreadable(kind, exc))], name) from None
    except (UnicodeError, ValueError, LookupError, TypeError, EOFError, OSError,
            zipfile.BadZipFile) as exc:
        # pyxform's backends (openpyxl, xlrd, csv, its markdown reader) let these through for
        # a damaged file or bytes that are not text: the file is unreadable, not a bug.
        raise FormError([FormProblem("file", None, _unreadable(kind, exc))], name) from None
    survey = _numbered(definition.survey)
    if not any(row for _, row in survey):
        raise FormError([FormProblem("survey", None, "the survey sheet is missing or empty")], name)
    settings_rows = definition.settings or []
    return RawForm(
        file_name=name,
        content=content,
        survey=survey,
        choices=_numbered(definition.choices or []),
        settings={k: v for k, v in (settings_rows[0] if settings_rows else {}).items() if v},
        extra=_extra_sheets(content, kind),
        definition=definition,
        ignored_sheets=tuple(sheet for sheet in IGNORED_SHEETS if getattr(definition, sheet, None)),
    )


def _check_inflated_sizes(content: bytes, name: str) -> None:
    """Refuse a zip bomb before openpyxl (which holds a whole sheet) parses the workbook: a
    form's parts are kilobytes, the limits here are far above any real form."""
    try:
        zip_limits.check_zip(io.BytesIO(content), max_member=FORM_MAX_MEMBER_BYTES,
                             max_total=FORM_MAX_TOTAL_BYTES, what="a form")
    except zip_limits.ZipTooLarge as exc:
        raise FormError([FormProblem("file", None, str(exc))], name) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        pass  # not a zip, or a damaged one: reading it says so, as before


def _content_of(source: Source, file_name: str | None) -> tuple[bytes, str, str | None]:
    if isinstance(source, bytes):
        kind = _kind_of_bytes(source)
        if kind is None and file_name:  # stored text forms (.md, .csv) keep their file name
            kind = {".md": "md", ".csv": "csv"}.get(Path(file_name).suffix.lower())
        return source, file_name or "form.xlsx", kind
    if isinstance(source, str) and "\n" in source:  # no path has a line break: markdown
        return source.encode("utf-8", "surrogatepass"), file_name or "form.md", "md"
    path = Path(source)
    try:
        content = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise FormError([FormProblem("file", None, f"cannot read: {reason}")], str(path)) from None
    suffix = path.suffix.lower()
    kind = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".md": "md", ".csv": "csv"}.get(suffix)
    if kind is None:
        kind = _kind_of_bytes(content)
    return content, file_name or path.name, kind


def _kind_of_bytes(content: bytes) -> str | None:
    if content.startswith(b"PK"):
        return "xlsx"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return None


def _unreadable(kind: str | None, exc: Exception) -> str:
    if kind == "xlsx":
        return f"not a readable .xlsx workbook ({_short(exc)})"
    if kind == "xls":
        return f"not a readable .xls workbook, or it is password-protected ({_short(exc)})"
    if kind in ("md", "csv"):
        return f"not a readable XLSForm {kind} file ({_short(exc)})"
    return "not an XLSForm workbook (.xlsx, .xls, or an XLSForm in markdown or CSV)"


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 160 else text[:157] + "…"


def _numbered(rows: list[dict[str, Any]]) -> list[tuple[int, Row]]:
    """pyxform keeps blank rows inside a sheet, so row i is spreadsheet row i + 2."""
    return [
        (index + 2, {str(k).strip(): str(v).strip() for k, v in row.items() if v not in (None, "")})
        for index, row in enumerate(rows)
    ]


def _extra_sheets(content: bytes, kind: str | None) -> dict[str, list[tuple[int, Row]]]:
    if kind == "md":
        tables = _md_table_to_ss_structure(content.decode("utf-8"))
        return {
            name.lower(): _table_rows(rows)
            for name, rows in tables.items()
            if name and name.lower() in EXTRA_SHEETS
        }
    if kind == "xlsx":
        return _xlsx_extra_sheets(content)
    return {}


def _xlsx_extra_sheets(content: bytes) -> dict[str, list[tuple[int, Row]]]:
    import openpyxl  # only needed for workbooks with extra sheets

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return {}
    try:
        found = {}
        for sheet_name in book.sheetnames:
            if sheet_name.lower() in EXTRA_SHEETS:
                rows = [tuple(_cell_text(v) for v in r) for r in book[sheet_name].iter_rows(values_only=True)]
                found[sheet_name.lower()] = _table_rows(rows, keep_blank=True)
        return found
    finally:
        book.close()


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None


def _table_rows(rows: list[tuple[str | None, ...]], keep_blank: bool = False) -> list[tuple[int, Row]]:
    if not rows:
        return []
    header = [str(h).strip() if h else "" for h in rows[0]]
    result = []
    for index, cells in enumerate(rows[1:]):
        row = {header[i]: str(c).strip() for i, c in enumerate(cells) if i < len(header) and header[i] and c}
        if row or keep_blank:
            result.append((index + 2, row))
    return [(n, r) for n, r in result if r]

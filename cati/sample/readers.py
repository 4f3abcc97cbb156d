"""Reading phone lists: Excel workbooks and CSV files as rows of phone, stratum and attributes.

``open_sample`` decides the file kind by its content (a zip workbook, an OLE2 .xls, or text),
picks the sheet, finds the header row (the first of the first 20 rows with a phone-like column
whose next rows hold phone-like values; title rows above it are skipped), the phone column and
the stratum column, and streams the data rows below the header. Fully blank rows are skipped;
row numbers are those of the source (Excel's row, a text editor's line). Phone cells are given
raw — str, or float for an Excel number — for the phone rule in ``cati.sample.phones``.
Every problem with the file is a SampleFileError: one line naming the file, sheet, row, column.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cati.errors import CatiError, printable

MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
HEADER_SCAN_ROWS = 20
LOOKAHEAD_ROWS = 5
PHONE_WORDS = ("手机号码", "手机号", "手机", "移动电话", "电话号码", "联系电话", "电话", "联系方式",
               "联系号码", "号码")
PHONE_WORDS_EN = ("mobile", "mobile phone", "mobile number", "mobile no", "cellphone",
                  "cell phone", "cell", "phone", "phone number", "phone no", "telephone",
                  "telephone number", "tel", "tel no", "contact number", "number", "msisdn")
NOT_PHONE = ("身份证", "证件", "qq", "微信", "车牌", "邮编", "邮政", "银行", "卡号", "账号", "帐号",
             "工号", "学号", "编号", "序号", "门牌", "区号", "分机")
STRATUM_WORDS = (  # (group: lower is preferred, words matched inside a cell, whole-cell words)
    (0, ("分层",), ("stratum", "strata", "层")),
    (1, ("乡镇街道", "乡镇", "街道", "镇街"), ("乡", "镇", "街", "township", "town", "street",
                                            "subdistrict")),
    (2, ("区县", "县区", "县"), ("区", "county", "district")),
    (3, ("区域", "地区"), ("area", "region")),
    (4, ("村", "社区"), ("village", "community")),
)
NOT_STRATUM = ("代码", "编码", "编号", "区号", "id", "号码", "电话")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OTHER_FILES = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
               (b"GIF8", "a GIF image"), (b"%PDF", "a PDF document"), (b"Rar!", "a RAR archive"),
               (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x1f\x8b", "a gzip archive"),
               (b"\x7fELF", "a program"))


class SampleFileError(CatiError):
    """A phone list that cannot be read, as one line: "list.xlsx: sheet 'Sheet1': row 7,
    column '电话': …" (only the parts that apply)."""

    def __init__(self, detail: str, *, file_name: str, sheet: str | None = None,
                 row: int | None = None, column: str | None = None, row_word: str = "row") -> None:
        self.detail, self.file_name, self.sheet = detail, file_name, sheet
        self.row, self.column, self._row_word = row, column, row_word
        where = [file_name]
        if sheet is not None:
            where.append(f"sheet '{sheet}'")
        place = []
        if row is not None:
            place.append(f"{row_word} {row}")
        if column is not None:
            place.append(f"column '{column}'")
        if place:
            where.append(", ".join(place))
        super().__init__(_one_line(": ".join([*where, detail])))

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild_error, (self.detail, self.file_name, self.sheet, self.row, self.column,
                                self._row_word)


class LongField(Exception):
    """A cell over Excel's limit: ``size`` is exact, or a lower bound when ``exact`` is false."""

    def __init__(self, line: int, column: int | None, size: int, exact: bool) -> None:
        super().__init__(line, column, size, exact)
        self.line, self.column, self.size, self.exact = line, column, size, exact


@dataclass(frozen=True, slots=True)
class SampleLayout:
    file_name: str
    sheet: str | None            # sheet name for workbooks, None for CSV
    header_row: int              # 1-based row (line, for CSV) of the header in the source
    columns: tuple[str, ...]     # header texts: blank ones "column N", duplicates "X (2)"
    phone_column: str
    stratum_column: str | None
    encoding: str | None         # CSV only ("gb18030", "utf-8-sig", "utf-16" …)
    delimiter: str | None        # CSV only


@dataclass(frozen=True, slots=True)
class SourceRow:
    row_number: int              # 1-based row (line, for CSV) in the source, as Excel shows it
    phone: object                # the raw phone cell: str, int or float as read; None if empty
    phone_text: str              # the cell as the user sees it in the file
    stratum: str
    attributes: dict[str, str]   # every other non-empty column: header -> text


def _rebuild_error(detail: str, file_name: str, sheet: str | None, row: int | None,
                   column: str | None, row_word: str) -> SampleFileError:
    return SampleFileError(detail, file_name=file_name, sheet=sheet, row=row, column=column,
                           row_word=row_word)


def open_sample(path: str | Path, *, sheet: str | int | None = None,
                header_row: int | None = None, phone_column: str | None = None,
                stratum_column: str | None = None) -> SampleReader:
    """Open a phone list and work out its layout; see the module docstring."""
    path = Path(path)
    source = _open_source(path, sheet)
    try:
        return SampleReader(source, header_row, phone_column, stratum_column)
    except BaseException:
        source.close()
        raise


def preview(path: str | Path, *, limit: int = 20,
            **options: Any) -> tuple[SampleLayout, list[SourceRow]]:
    """The layout and the first ``limit`` data rows, for the import dialog."""
    with open_sample(path, **options) as reader:
        return reader.layout, list(itertools.islice(reader.rows(), limit))


class SampleReader:
    """A phone list opened for reading; a context manager that closes the file."""

    def __init__(self, source: Any, header_row: int | None, phone_column: str | None,
                 stratum_column: str | None) -> None:
        self._source = source
        self._is_csv = source.encoding is not None
        self._row_word = "line" if self._is_csv else "row"
        self._error = lambda detail, **where: SampleFileError(
            detail, file_name=source.file_name, sheet=source.sheet, row_word=self._row_word,
            **where)
        number, names, phone, stratum = self._find_layout(header_row, phone_column,
                                                          stratum_column)
        self._names, self._phone, self._stratum = names, phone, stratum
        self.layout = SampleLayout(
            file_name=source.file_name, sheet=source.sheet, header_row=number,
            columns=tuple(names), phone_column=names[phone],
            stratum_column=names[stratum] if stratum is not None else None,
            encoding=source.encoding, delimiter=source.delimiter)

    def __enter__(self) -> SampleReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._source.close()

    def rows(self) -> Iterator[SourceRow]:
        """The data rows below the header, streamed; fully blank rows are skipped."""
        names, width = self._names, len(self._names)
        phone_index, stratum_index = self._phone, self._stratum
        header, unwrap = self.layout.header_row, self._is_csv
        for number, cells in self._records():
            if number <= header:
                continue
            phone: object = None
            phone_text = stratum = ""
            attributes: dict[str, str] = {}
            for index, value in enumerate(cells):
                if value is None:
                    continue
                if value.__class__ is str:
                    if len(value) > MAX_CELL_CHARS:
                        raise self._too_long(number, index, len(value), exact=True)
                    text = value.strip()
                    if not text:
                        continue
                    if unwrap and text.startswith('="') and text.endswith('"'):
                        value = text = text[2:-1]  # Excel's ="0123", kept as text
                else:
                    text = display_text(value)
                if index == phone_index:
                    phone, phone_text = value, value if value.__class__ is str else text
                elif index == stratum_index:
                    stratum = text
                else:
                    attributes[names[index] if index < width else f"column {index + 1}"] = text
            if phone is not None or stratum or attributes:
                yield SourceRow(number, phone, phone_text, stratum, attributes)

    # -- layout ----------------------------------------------------------------------------
    def _records(self) -> Iterator[tuple[int, list[object]]]:
        try:
            yield from self._source.records()
        except LongField as long:
            raise self._too_long(long.line, long.column, long.size, exact=long.exact) from None

    def _too_long(self, row: int, index: int | None, size: int, *, exact: bool) -> SampleFileError:
        column = None
        if index is not None:
            column = self._names[index] if index < len(self._names) else f"column {index + 1}"
        amount = f"{size:,} characters" if exact else f"more than {size:,} characters"
        return self._error(f"a cell of {amount}; a cell holds at most {MAX_CELL_CHARS:,} "
                           "(Excel's limit): is this the right file?", row=row, column=column)

    def _scan(self, header_row: int | None) -> tuple[list[tuple[int, list[object]]], int]:
        """The first non-blank rows (from ``header_row`` when given): enough to find the
        header and look below it; and the number of the last row seen."""
        scanned: list[tuple[int, list[object]]] = []
        wanted = HEADER_SCAN_ROWS + LOOKAHEAD_ROWS if header_row is None else 1 + LOOKAHEAD_ROWS
        last = 0
        records = self._source.records()
        try:
            for number, cells in records:
                last = number
                if (header_row is not None and number < header_row) or _is_blank(cells):
                    continue
                scanned.append((number, cells))
                if len(scanned) >= wanted:
                    break
        except LongField as long:  # reported once the column names are known
            self._long = long
        finally:
            records.close()
        return scanned, last

    def _find_layout(self, header_row: int | None, phone_column: str | None,
                     stratum_column: str | None) -> tuple[int, list[str], int, int | None]:
        """The header row number, the column names, the phone and stratum column indexes."""
        self._names: list[str] = []
        self._long: LongField | None = None
        try:
            found = self._detect(header_row, phone_column, stratum_column)
        except SampleFileError:
            if self._long is None:
                raise
            raise self._long_error() from None  # the over-long cell explains it better
        if self._long is not None and self._long.line <= found[0]:
            raise self._long_error()
        return found

    def _long_error(self) -> SampleFileError:
        long = self._long
        assert long is not None
        return self._too_long(long.line, long.column, long.size, exact=long.exact)

    def _detect(self, header_row: int | None, phone_column: str | None,
                stratum_column: str | None) -> tuple[int, list[str], int, int | None]:
        if header_row is not None and header_row < 1:
            raise self._error(f"the header row must be 1 or more, not {header_row}")
        scanned, last = self._scan(header_row)
        if header_row is not None:
            if last < header_row:
                raise self._error(f"there is no {self._row_word} {header_row}: the last one "
                                  f"is {last}")
            position = 0
            if not scanned or scanned[0][0] != header_row:
                raise self._error("the header row is empty; give the one that holds the "
                                  "column names", row=header_row)
        elif not scanned:
            raise self._error("the sheet is empty" if self._source.sheet is not None
                              else "the file holds no rows")
        elif phone_column is not None:
            key = name_key(phone_column)
            position = next((i for i, (_, cells) in enumerate(scanned[:HEADER_SCAN_ROWS])
                             if any(name_key(_header_text(cell)) == key for cell in cells)), None)
            if position is None:
                raise self._error(f"no column named '{phone_column}' in the first "
                                  f"{HEADER_SCAN_ROWS} rows ({self._seen(scanned)}); "
                                  "give the header row with --header-row")
        else:
            position = _header_position(scanned)
            if position is None:
                raise self._error(f"no phone column found in the first {HEADER_SCAN_ROWS} rows "
                                  f"({self._seen(scanned)}); name it with --phone-column, or give "
                                  "the header row with --header-row")
        number, header_cells = scanned[position]
        names = column_names(header_cells)
        self._names = names
        for index, cell in enumerate(header_cells):
            if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
                raise self._too_long(number, index, len(cell), exact=True)
        below = _rows_below(scanned, position)
        if phone_column is not None:
            phone = self._resolve(phone_column, names, "phone", number)
        else:
            phone = _best_phone(header_cells, below)
            if phone is None:
                raise self._error(f"no phone column among {listing(names)}; name it with "
                                  "--phone-column", row=number)
        if stratum_column is not None:
            stratum: int | None = self._resolve(stratum_column, names, "stratum", number)
            if stratum == phone:
                raise self._error(f"'{names[phone]}' cannot be both the phone and the stratum "
                                  "column", row=number)
        else:
            stratum = _best_stratum(names, phone)
        return number, names, phone, stratum

    def _seen(self, scanned: list[tuple[int, list[object]]]) -> str:
        rows = []
        for number, cells in scanned[:3]:
            texts = [text for cell in cells if (text := _header_text(cell))]
            rows.append(f"{self._row_word} {number}: {listing(texts, 8)}")
        return "saw " + "; ".join(rows)

    def _resolve(self, wanted: str, names: list[str], what: str, row: int) -> int:
        if wanted in names:
            return names.index(wanted)
        key = name_key(wanted)
        for index, name in enumerate(names):
            if name_key(name) == key:
                return index
        raise self._error(f"no {what} column '{wanted}'; the columns are {listing(names)}",
                          row=row)


# -- opening by content ------------------------------------------------------------------------
def _open_source(path: Path, sheet: str | int | None) -> Any:
    from cati.sample import csv_reader, xlsx_reader

    file_name = path.name
    try:
        with path.open("rb") as handle:
            prefix = handle.read(csv_reader.PREFIX_BYTES)
    except FileNotFoundError:
        raise SampleFileError("no such file", file_name=str(path)) from None
    except IsADirectoryError:
        raise SampleFileError("is a folder, not a file", file_name=str(path)) from None
    except OSError as error:
        raise SampleFileError(f"cannot be read ({error.strerror})", file_name=str(path)) from None
    workbook_name = path.suffix.lower() in WORKBOOK_SUFFIXES
    if not prefix:
        raise SampleFileError("the file is empty", file_name=file_name)
    if prefix.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        kind = xlsx_reader.zip_kind(path, file_name)
        xlsx_reader.check_inflated_sizes(path, file_name)
        if kind == "xlsx":
            return xlsx_reader.XlsxSource(path, file_name, sheet)
        return xlsx_reader.CalamineSource(path, file_name, sheet)
    if prefix.startswith(CFB_MAGIC):
        if xlsx_reader.has_encrypted_package(path):
            raise SampleFileError("the workbook is password-protected; remove the password in "
                                  "Excel (File > Info > Protect Workbook) and save it again",
                                  file_name=file_name)
        try:
            return xlsx_reader.CalamineSource(path, file_name, sheet)
        except SampleFileError as error:
            if path.suffix.lower() in (".xlsx", ".xlsm"):  # how Excel saves an encrypted .xlsx
                raise SampleFileError("the workbook is password-protected (or damaged); remove "
                                      "the password in Excel and save it again",
                                      file_name=file_name) from None
            raise error from None
    kind = "not a spreadsheet" if workbook_name else "not a text file"
    for magic, what in OTHER_FILES:
        if prefix.startswith(magic):
            raise SampleFileError(f"{kind}: it is {what}", file_name=file_name)
    if sheet not in (None, 1):
        raise SampleFileError(f"a text file has no sheet '{sheet}'", file_name=file_name)
    try:
        return csv_reader.CsvSource(path, file_name, prefix)
    except SampleFileError as error:
        if workbook_name and error.detail.startswith("not a text file"):  # named .xlsx …
            raise SampleFileError("not a spreadsheet (neither a workbook nor text)",
                                  file_name=file_name) from None
        raise


# -- header and column detection ---------------------------------------------------------------
def name_key(text: str) -> str:
    """A header or sheet name for matching: NFKC, case-folded, without white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).casefold())


def _english(text: str) -> str:
    return " ".join(re.split(r"[^0-9a-z]+", unicodedata.normalize("NFKC", text).casefold())).strip()


def phone_score(text: str) -> tuple[int, int] | None:
    """How phone-like a header is (lower is better), or None if it is not."""
    key = name_key(text)
    if not key:
        return None
    if key in PHONE_WORDS:
        return 0, PHONE_WORDS.index(key)
    english = _english(text)
    if english in PHONE_WORDS_EN:
        return 0, len(PHONE_WORDS) + PHONE_WORDS_EN.index(english)
    if any(word in key for word in NOT_PHONE):
        return None
    return next(((1, rank) for rank, word in enumerate(PHONE_WORDS) if word in key), None)


def is_phone_header_text(line: str) -> bool:
    """Whether a raw line of text names a phone column somewhere (for delimiter counting)."""
    key = name_key(line)
    return any(word in key for word in PHONE_WORDS) or any(
        word in {"phone", "tel", "telephone", "mobile"} for word in _english(line).split())


def stratum_score(text: str) -> tuple[int, int] | None:
    key, english = name_key(text), _english(text)
    if not key:
        return None
    for group, inside, whole in STRATUM_WORDS:
        if key in inside or key in whole or english in whole:
            return group, 0
    if any(word in key for word in NOT_STRATUM):
        return None
    for group, inside, _whole in STRATUM_WORDS:
        if any(word in key for word in inside):
            return group, 1
    return None


def _header_position(scanned: list[tuple[int, list[object]]]) -> int | None:
    """The first candidate header row whose rows below (up to the next candidate) hold a
    phone-like value under one of its phone-like columns; else the last candidate."""
    candidates = [i for i, (_, cells) in enumerate(scanned[:HEADER_SCAN_ROWS])
                  if any(phone_score(_header_text(cell)) for cell in cells)]
    for number, position in enumerate(candidates):
        following = candidates[number + 1] if number + 1 < len(candidates) else len(scanned)
        below = [cells for _, cells in scanned[position + 1:following][:LOOKAHEAD_ROWS]]
        cells = scanned[position][1]
        if any(phone_score(_header_text(cell)) and _phone_like_below(below, index)
               for index, cell in enumerate(cells)):
            return position
    return candidates[-1] if candidates else None


def _rows_below(scanned: list[tuple[int, list[object]]], position: int) -> list[list[object]]:
    return [cells for _, cells in scanned[position + 1:position + 1 + LOOKAHEAD_ROWS]]


def _phone_like_below(below: list[list[object]], index: int) -> bool:
    return any(index < len(cells) and _phone_like(cells[index]) for cells in below)


def _phone_like(value: object) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return abs(value) >= 10_000
    text = unicodedata.normalize("NFKC", str(value))
    return sum(ch.isdigit() for ch in text) >= 5


def _best_phone(cells: list[object], below: list[list[object]]) -> int | None:
    ranked = []
    for index, cell in enumerate(cells):
        score = phone_score(_header_text(cell))
        if score is not None:
            ranked.append((not _phone_like_below(below, index), score, index))
    return min(ranked)[2] if ranked else None


def _best_stratum(names: list[str], phone: int) -> int | None:
    ranked = [(score, index) for index, name in enumerate(names)
              if index != phone and (score := stratum_score(name)) is not None]
    return min(ranked)[1] if ranked else None


def column_names(cells: list[object]) -> list[str]:
    """Header texts: blank ones become "column N", repeated ones get " (2)", " (3)" …"""
    texts = [_header_text(cell) for cell in cells]
    while texts and not texts[-1]:
        texts.pop()
    names: list[str] = []
    taken: set[str] = set()
    for index, text in enumerate(texts):
        name = text or f"column {index + 1}"
        count = 1
        while name in taken:
            count += 1
            name = f"{text or f'column {index + 1}'} ({count})"
        taken.add(name)
        names.append(name)
    return names


# -- cell text ---------------------------------------------------------------------------------
def display_text(value: object) -> str:
    """A non-text cell as Excel shows it (13800138000.0 -> "13800138000", True -> "TRUE")."""
    if value.__class__ is float:
        if value.is_integer() and abs(value) < 1e16:  # type: ignore[union-attr]
            return str(int(value))  # type: ignore[call-overload]
        return f"{value:.15g}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(" ", "seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_EXCEL_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def excel_text(text: str) -> str:
    """``text`` as Excel stores it in a cell's XML: characters XML cannot carry (control
    characters, U+FFFE, U+FFFF) as ``_xHHHH_``, and a literal ``_xHHHH_`` with its underscore
    escaped (``_x005F_xHHHH_``)."""
    text = _EXCEL_ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def excel_unescape(text: str) -> str:
    """Cell text from a workbook's XML as Excel shows it: the inverse of ``excel_text`` (one
    pass from the left, so ``_x005F_x0041_`` is ``_x0041_``)."""
    return _EXCEL_ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _header_text(cell: object) -> str:
    if cell is None:
        return ""
    text = cell if isinstance(cell, str) else display_text(cell)
    return " ".join(text.split())


def _is_blank(cells: list[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _short(text: str, limit: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def listing(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(f"'{_short(name)}'" for name in names[:limit])
    return shown + (f" … ({len(names)} in all)" if len(names) > limit else "") if names else "none"


def _one_line(text: str) -> str:
    return printable(" ".join(text.split()))

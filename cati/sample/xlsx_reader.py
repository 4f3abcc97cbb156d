"""Workbook phone lists: .xlsx/.xlsm, .xls, .xlsb and .ods.

calamine (python-calamine) reads a whole sheet into memory, about 2.2 bytes per byte of sheet
XML, and is fast; .xls, .xlsb and .ods always go through it (an .xls holds at most 65,536 rows).
An .xlsx sheet whose XML is over CALAMINE_MAX_SHEET_BYTES is instead parsed with expat as it is
decompressed, so memory stays flat whatever the row count (only the shared-string table is
held). Both yield (row number, cells), cells indexed from column A with None for an empty cell
or an error value such as #N/A; numbers come as floats, as Excel stores them, and
date-formatted numbers as date, time or datetime. Text comes as Excel shows it: both paths turn
Excel's ``_xHHHH_`` escapes (how a control character is stored) back into the character.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree
from xml.parsers import expat

from cati import zip_limits
from cati.sample.readers import SampleFileError, excel_unescape, listing, name_key

_ROW, _CELL, _VALUE, _TEXT, _PHONETIC, _ITEM = range(6)
_LOCAL_TAGS = {"row": _ROW, "c": _CELL, "v": _VALUE, "t": _TEXT, "rPh": _PHONETIC, "si": _ITEM}
DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])
CHUNK = 1 << 16
CALAMINE_MAX_SHEET_BYTES = 32 << 20  # calamine holds about 2.2 bytes per byte of sheet XML
# Members read whole into memory, whatever the path: their inflated limit (zip_limits). A column
# of 1,048,576 distinct phone numbers stored as text is 28 MB of shared strings
# (<si><t>13812345678</t></si>); 256 MB leaves room for several such columns.
HELD_WHOLE = {"sharedstrings.xml": 256 << 20, "sharedstrings.bin": 256 << 20}
Rows = Iterator[tuple[int, list[object]]]


def zip_kind(path: Path, file_name: str) -> str:
    """'xlsx', 'xlsb' or 'ods' for a zip file; anything else is not a spreadsheet."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {name.lower() for name in archive.namelist()}
            mimetype = archive.read("mimetype")[:200] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as error:
        raise SampleFileError(f"a damaged workbook or zip file ({error})",
                              file_name=file_name) from None
    if b"opendocument.spreadsheet" in mimetype:
        return "ods"
    if any(name.endswith("workbook.bin") for name in names):
        return "xlsb"
    if "[content_types].xml" in names and any(name.endswith("workbook.xml") for name in names):
        return "xlsx"
    what = ("a Word document" if "word/document.xml" in names else "a PowerPoint file"
            if "ppt/presentation.xml" in names else "a zip archive")
    raise SampleFileError(f"not a spreadsheet: it is {what}", file_name=file_name)


def check_inflated_sizes(path: Path, file_name: str) -> None:
    """Refuse a zip bomb before anything parses the workbook: a member that inflates past the
    limits of :mod:`cati.zip_limits` (or past the size its header declares) is one line naming
    the file and the member."""
    try:
        zip_limits.check_zip(path, held=HELD_WHOLE, what="a phone list")
    except zip_limits.ZipTooLarge as error:
        raise SampleFileError(str(error), file_name=file_name) from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError) as error:
        raise SampleFileError(f"a damaged workbook or zip file ({error})",
                              file_name=file_name) from None


class XlsxSource:
    """One sheet of an .xlsx/.xlsm workbook: read by calamine when its XML is at most
    ``CALAMINE_MAX_SHEET_BYTES`` (faster), else streamed (flat memory)."""

    encoding = delimiter = None

    def __init__(self, path: Path, file_name: str, sheet: str | int | None) -> None:
        self.path, self.file_name = path, file_name
        self._calamine: CalamineSource | None = None
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as error:
            raise self._damaged(error) from None
        try:
            self._members = {name.lower(): name for name in self._zip.namelist()}
            self._load_workbook()
            index = choose_sheet(file_name, self.sheet_names, sheet, self._kinds, self._has_data)
            self.sheet = self.sheet_names[index]
            self._index, self._part = index, self._parts[index]
            size = self._zip.getinfo(self._members[self._part.lower()]).file_size
        except KeyError as error:
            self._zip.close()
            raise self._damaged(error) from None
        except BaseException:
            self._zip.close()
            raise
        self.streamed = size > CALAMINE_MAX_SHEET_BYTES

    def close(self) -> None:
        self._zip.close()
        if self._calamine is not None:
            self._calamine.close()

    def records(self) -> Rows:
        if not self.streamed and self._calamine is None:
            try:
                self._calamine = CalamineSource(self.path, self.file_name, self._index + 1)
                self._calamine.load()
            except SampleFileError:  # something calamine cannot read: stream it instead
                if self._calamine is not None:
                    self._calamine.close()
                    self._calamine = None
                self.streamed = True
        if self._calamine is None:
            return self._guarded(self._rows(self._part))
        return self._calamine.records()

    def _guarded(self, rows: Rows) -> Rows:
        try:
            yield from rows
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error, expat.ExpatError,
                ValueError, IndexError) as error:
            raise self._damaged(error) from None

    def _damaged(self, error: BaseException) -> SampleFileError:
        return SampleFileError(f"a damaged workbook ({type(error).__name__}: {error})",
                               file_name=self.file_name, sheet=getattr(self, "sheet", None))

    # -- workbook structure -----------------------------------------------------------------
    def _open(self, part: str) -> IO[bytes]:
        return self._zip.open(self._members.get(part.lower(), part))

    def _xml(self, part: str) -> ElementTree.Element:
        with self._open(part) as stream:
            return ElementTree.parse(stream).getroot()

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", name + ".rels")
        if rels.lower() not in self._members:
            return {}
        found = {}
        for node in self._xml(rels):
            target = node.get("Target", "")
            if node.get("TargetMode") == "External":
                continue
            path = target[1:] if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
            found[node.get("Id", "")] = (node.get("Type", "").rsplit("/", 1)[-1], path)
        return found

    def _load_workbook(self) -> None:
        try:
            package = self._relationships("")
            workbook = next((path for kind, path in package.values() if kind == "officeDocument"),
                            "xl/workbook.xml")
            rels = self._relationships(workbook)
            root = self._xml(workbook)
        except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError, zlib.error) as error:
            raise self._damaged(error) from None
        self._date1904 = any(_local(node.tag) == "workbookPr" and
                             node.get("date1904", "0").lower() in ("1", "true") for node in root)
        self.sheet_names: list[str] = []
        self._parts: list[str | None] = []
        self._kinds: list[str] = []
        for node in root.iter():
            if _local(node.tag) != "sheet":
                continue
            relation = next((value for key, value in node.attrib.items()
                             if _local(key) == "id"), "")
            kind, path = rels.get(relation, ("", ""))
            self.sheet_names.append(node.get("name", ""))
            self._parts.append(path if kind == "worksheet" else None)
            self._kinds.append("other" if kind != "worksheet" else "visible"
                               if node.get("state", "visible") == "visible" else "hidden")
        self._shared_part = next((path for kind, path in rels.values() if kind == "sharedStrings"),
                                 None)
        styles = next((path for kind, path in rels.values() if kind == "styles"), None)
        self._date_styles = self._read_date_styles(styles) if styles else frozenset()
        self._shared: list[str] | None = None

    def _has_data(self, index: int) -> bool:
        part = self._parts[index]
        if part is None:
            return False
        rows = self._guarded(self._rows(part, _AnyString()))
        try:
            return next(rows, None) is not None
        finally:
            rows.close()

    def _read_date_styles(self, part: str) -> frozenset[str]:
        try:
            root = self._xml(part)
        except (KeyError, ElementTree.ParseError):
            return frozenset()
        codes = {node.get("numFmtId"): node.get("formatCode", "")
                 for node in root.iter() if _local(node.tag) == "numFmt"}
        cell_formats = next((node for node in root if _local(node.tag) == "cellXfs"), [])
        dates = set()
        for index, node in enumerate(cell_formats):
            number_format = node.get("numFmtId", "0")
            if number_format in codes:
                is_date = _is_date_code(codes[number_format])
            else:
                is_date = number_format.isdigit() and int(number_format) in DATE_FORMAT_IDS
            if is_date:
                dates.add(str(index))
        return frozenset(dates)

    def _shared_strings(self) -> list[str]:
        if self._shared is None:
            self._shared = []
            if self._shared_part and self._shared_part.lower() in self._members:
                with self._open(self._shared_part) as stream:
                    self._shared = _read_shared_strings(stream)
        return self._shared

    # -- the sheet ------------------------------------------------------------------------------
    def _rows(self, part: str, shared: Any = None) -> Rows:
        """The sheet's rows; ``shared`` stands in for the shared strings (to look for data)."""
        if shared is None:
            shared = self._shared_strings()
        date_styles, date1904 = self._date_styles, self._date1904
        done: list[tuple[int, list[object]]] = []
        row_number, column, kind, style, kept, phonetic = 0, -1, "n", None, 0, 0
        cells: list[object] = []
        parts: list[str] = []  # the text of the current cell: parts[:kept] is inside <v>/<t>
        tags: dict[str, int] = {}
        columns = _COLUMNS

        def start(name: str, attributes: dict[str, str]) -> None:
            nonlocal row_number, column, kind, style, cells, kept, phonetic
            tag = tags.get(name)
            if tag == _CELL:
                ref = attributes.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    column = columns.get(letters)
                    if column is None:
                        column = _column_index(letters)
                else:
                    column += 1
                kind = attributes.get("t", "n")
                style = attributes.get("s")
                parts.clear()
                kept = 0
            elif tag == _VALUE:
                parts.clear()
            elif tag == _ROW:
                number = attributes.get("r")
                row_number = int(number) if number else row_number + 1
                cells, column = [], -1
            elif tag == _TEXT:
                del parts[kept:]
            elif tag == _PHONETIC:
                phonetic = kept

        def end(name: str) -> None:
            nonlocal kept
            tag = tags.get(name)
            if tag == _CELL:
                if len(parts) > kept:
                    del parts[kept:]
                raw = "".join(parts)
                if not raw:
                    return
                if kind == "n":
                    value: object = float(raw)
                    if style in date_styles:
                        value = _from_serial(value, date1904)
                elif kind == "s":
                    value = shared[int(raw)]
                    if not value:
                        return
                elif kind == "b":
                    value = raw.strip() in ("1", "true")
                elif kind == "e":  # an error such as #N/A: empty, as calamine reads it
                    return
                else:  # str, inlineStr, d (ISO 8601 text)
                    value = excel_unescape(raw) if "_x" in raw else raw
                width = len(cells)
                if column == width:
                    cells.append(value)
                elif column > width:
                    cells.extend([None] * (column - width))
                    cells.append(value)
                else:
                    cells[column] = value
            elif tag in (_VALUE, _TEXT):
                kept = len(parts)
            elif tag == _ROW:
                if cells:
                    done.append((row_number, cells))
            elif tag == _PHONETIC:
                del parts[phonetic:]
                kept = phonetic

        parser = _parser(start, end, parts.append)
        with self._open(part) as stream:
            first = True
            while True:
                chunk = stream.read(CHUNK)
                if first:
                    tags.update(_tags_for(chunk, b"worksheet"))
                    first = False
                parser.Parse(chunk, not chunk)
                if done:
                    yield from done
                    done.clear()
                if not chunk:
                    return


def _parser(start: Callable[[str, dict[str, str]], None], end: Callable[[str], None],
            text: Callable[[str], None]) -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    return parser


def _tags_for(head: bytes, root: bytes) -> dict[str, int]:
    """Element names as written (no namespace processing, which is slower): with the prefix
    the root element uses, if any ("x:c")."""
    found = re.search(rb"<([A-Za-z_][\w.-]*:)?" + root + rb"[\s>/]", head)
    prefix = found.group(1).decode() if found and found.group(1) else ""
    return {prefix + local: code for local, code in _LOCAL_TAGS.items()}


def _read_shared_strings(stream: IO[bytes]) -> list[str]:
    strings: list[str] = []
    parts: list[str] = []
    tags: dict[str, int] = {}
    state = {"kept": 0, "phonetic": 0}

    def start(name: str, _attributes: dict[str, str]) -> None:
        tag = tags.get(name)
        if tag == _ITEM:
            parts.clear()
            state["kept"] = 0
        elif tag == _TEXT:
            del parts[state["kept"]:]
        elif tag == _PHONETIC:
            state["phonetic"] = state["kept"]

    def end(name: str) -> None:
        tag = tags.get(name)
        if tag == _ITEM:
            del parts[state["kept"]:]
            text = "".join(parts)
            strings.append(excel_unescape(text) if "_x" in text else text)
        elif tag == _TEXT:
            state["kept"] = len(parts)
        elif tag == _PHONETIC:
            del parts[state["phonetic"]:]
            state["kept"] = state["phonetic"]

    parser = _parser(start, end, parts.append)
    head = stream.read(CHUNK)
    tags.update(_tags_for(head, b"sst"))
    parser.Parse(head, False)
    parser.ParseFile(stream)
    return strings


_COLUMNS: dict[str, int] = {}


def _column_index(letters: str) -> int:
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for letter in letters.upper():
            index = index * 26 + ord(letter) - 64
        index = _COLUMNS[letters] = index - 1
    return index


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_LITERALS = re.compile(r'"[^"]*"|\\.|\[(?!h\]|m\]|s\]|hh\]|mm\]|ss\])[^\]]*\]|_.|\*.', re.I)


def _is_date_code(code: str) -> bool:
    """Whether a number format shows a date or time (y, m, d, h or s outside literal text)."""
    body = _LITERALS.sub("", code.split(";", 1)[0]).lower()
    return bool(re.search(r"[ymdhs]", body.replace("general", "")))


def _from_serial(serial: float, date1904: bool) -> object:
    if not 0 <= serial < 2958466:
        return serial
    if date1904:
        base = dt.datetime(1904, 1, 1)
    else:  # Excel counts the 29th of February 1900, which did not exist
        base = dt.datetime(1899, 12, 30 if serial >= 61 else 31)
    moment = base + dt.timedelta(seconds=round(serial * 86400))
    if serial < 1 and not date1904:
        return moment.time()
    if moment.time() == dt.time():
        return moment.date()
    return moment


def has_encrypted_package(path: Path) -> bool:
    """Whether a compound (OLE2) file holds an EncryptedPackage stream: an encrypted .xlsx."""
    needle = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            if needle in tail + block:
                return True
            tail = block[-len(needle):]
    return False


class _AnyString:
    def __getitem__(self, _index: int) -> str:
        return "?"


def choose_sheet(file_name: str, names: list[str], wanted: str | int | None, kinds: list[str],
                 has_data: Callable[[int], bool]) -> int:
    """The index of the sheet named or numbered (from 1) by ``wanted``; by default the first
    visible worksheet holding data, else the first hidden one. ``kinds`` says of each sheet
    "visible", "hidden" or "other" (a chart)."""
    sheets = listing(names)
    if wanted is None:
        for kind in ("visible", "hidden"):
            for index in range(len(names)):
                if kinds[index] == kind and has_data(index):
                    return index
        raise SampleFileError(f"no sheet holds any data (sheets: {sheets})",
                              file_name=file_name)
    if isinstance(wanted, str) and wanted not in names and wanted.strip().isdigit():
        wanted = int(wanted)
    if isinstance(wanted, int) and not isinstance(wanted, bool):
        if 1 <= wanted <= len(names):
            index = wanted - 1
        elif str(wanted) in names:
            index = names.index(str(wanted))
        else:
            raise SampleFileError(f"no sheet number {wanted}; the workbook has "
                                  f"{len(names)}: {sheets}", file_name=file_name)
    elif wanted in names:
        index = names.index(wanted)
    else:
        matches = [i for i, name in enumerate(names) if name_key(name) == name_key(str(wanted))]
        if not matches:
            raise SampleFileError(f"no sheet '{wanted}'; the sheets are {sheets}",
                                  file_name=file_name)
        index = matches[0]
    if kinds[index] == "other":
        raise SampleFileError(f"sheet '{names[index]}' is a chart, not a worksheet",
                              file_name=file_name)
    return index


# -- calamine: .xls, .xlsb, .ods --------------------------------------------------------------
class CalamineSource:
    """One sheet of an .xls, .xlsb or .ods workbook, read whole by calamine."""

    encoding = delimiter = None

    def __init__(self, path: Path, file_name: str, sheet: str | int | None) -> None:
        from python_calamine import (
            CalamineWorkbook,
            PasswordError,
            SheetTypeEnum,
            SheetVisibleEnum,
        )

        self.file_name = file_name
        self._file = path.open("rb")
        try:
            self._book = CalamineWorkbook.from_filelike(self._file)
            kinds = ["other" if meta.typ != SheetTypeEnum.WorkSheet else "visible"
                     if meta.visible == SheetVisibleEnum.Visible else "hidden"
                     for meta in self._book.sheets_metadata]
            self.sheet_names = list(self._book.sheet_names)
            self._loaded: dict[int, object] = {}
            index = choose_sheet(file_name, self.sheet_names, sheet, kinds, self._has_data)
        except PasswordError:
            self.close()
            raise SampleFileError("the workbook is password-protected; remove the password in "
                                  "Excel (File > Info > Protect Workbook) and save it again",
                                  file_name=file_name) from None
        except SampleFileError:
            self.close()
            raise
        except Exception as error:  # calamine reports a broken file in several ways
            self.close()
            raise SampleFileError(f"not a readable workbook ({_first_line(error)})",
                                  file_name=file_name) from None
        self.sheet = self.sheet_names[index]
        self._index = index

    def close(self) -> None:
        self._file.close()

    def _sheet(self, index: int) -> Any:
        if index not in self._loaded:
            self._loaded.clear()
            self._loaded[index] = self._book.get_sheet_by_index(index)
        return self._loaded[index]

    def load(self) -> None:
        """Read the chosen sheet now (``records()`` would read it on its first row)."""
        try:
            self._sheet(self._index)
        except Exception as error:
            raise SampleFileError(f"not a readable workbook ({_first_line(error)})",
                                  file_name=self.file_name, sheet=self.sheet) from None

    def _has_data(self, index: int) -> bool:
        return self._sheet(index).start is not None

    def records(self) -> Rows:
        try:
            sheet = self._sheet(self._index)
            start = sheet.start
            if start is None:
                return
            first_row, first_column = start
            pad = [None] * first_column
            number = 0
            for values in sheet.iter_rows():
                cells = [None if value == "" else value for value in values]
                if number == 0 and first_row and any(value is not None for value in cells):
                    number = first_row  # rows counted from the first with data
                number += 1
                if pad:
                    cells = pad + cells
                yield number, cells
        except SampleFileError:
            raise
        except Exception as error:
            raise SampleFileError(f"not a readable workbook ({_first_line(error)})",
                                  file_name=self.file_name, sheet=self.sheet) from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__

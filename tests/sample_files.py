"""Small phone-list files for the reader tests: workbooks, CSVs in any encoding, bad files."""

from __future__ import annotations

import random
import struct
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import openpyxl

Rows = Iterable[Sequence[object]]


def write_xlsx(path: Path, sheets: Mapping[str, Rows] | Rows) -> Path:
    """A workbook with one sheet per entry (or one sheet 'Sheet1'); ``None`` leaves a cell empty.

    Rows are written from A1 down; an empty sequence is a blank row.
    """
    if not isinstance(sheets, Mapping):
        sheets = {"Sheet1": sheets}
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row_index, row in enumerate(rows, start=1):
            for column_index, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=row_index, column=column_index, value=value)
    book.save(path)
    return path


def write_csv(path: Path, rows: Rows, *, encoding: str = "utf-8", delimiter: str = ",",
              line_end: str = "\r\n") -> Path:
    """A delimited text file; fields holding the delimiter, quotes or line breaks are quoted.

    ``encoding`` is any Python codec: "gbk", "utf-8-sig" (with a BOM), "utf-16" (with a BOM).
    """
    lines = []
    for row in rows:
        fields = []
        for value in row:
            text = "" if value is None else str(value)
            if any(ch in text for ch in (delimiter, '"', "\n", "\r")):
                text = '"' + text.replace('"', '""') + '"'
            fields.append(text)
        lines.append(delimiter.join(fields) + line_end)
    path.write_bytes("".join(lines).encode(encoding))
    return path


# -- bad files ----------------------------------------------------------------------------
PNG_BYTES = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
             b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\x00\x01\x00\x00\x05\x00"
             b"\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82")

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FREE, _END_OF_CHAIN, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def write_encrypted_workbook(path: Path) -> Path:
    """The shape of a password-protected Office file: a compound file (OLE2) whose directory
    holds the EncryptionInfo and EncryptedPackage streams (both empty here)."""
    header = bytearray(512)
    header[0:8] = CFB_MAGIC
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)  # v3, 512-byte sectors
    struct.pack_into("<I", header, 0x2C, 1)          # one FAT sector
    struct.pack_into("<I", header, 0x30, 1)          # the directory starts at sector 1
    struct.pack_into("<I", header, 0x38, 4096)       # mini stream cutoff
    struct.pack_into("<IIII", header, 0x3C, _END_OF_CHAIN, 0, _END_OF_CHAIN, 0)
    header[0x4C:0x200] = b"\xff" * (0x200 - 0x4C)
    struct.pack_into("<I", header, 0x4C, 0)          # the FAT is sector 0
    fat = struct.pack("<128I", _FAT_SECTOR, _END_OF_CHAIN, *([_FREE] * 126))
    directory = b"".join([
        _directory_entry("Root Entry", 5, child=1),
        _directory_entry("EncryptionInfo", 2, right=2),
        _directory_entry("EncryptedPackage", 2),
        _directory_entry("", 0),
    ])
    path.write_bytes(bytes(header) + fat + directory)
    return path


def _directory_entry(name: str, kind: int, *, left: int = _NO_STREAM, right: int = _NO_STREAM,
                     child: int = _NO_STREAM) -> bytes:
    entry = bytearray(128)
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    entry[0:len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 0x40, len(encoded), kind, 1)
    struct.pack_into("<III", entry, 0x44, left, right, child)
    struct.pack_into("<II", entry, 0x74, _END_OF_CHAIN, 0)  # first sector, size
    return bytes(entry)


# -- large lists for measurements ---------------------------------------------------------
TOWNSHIPS = ["古槐街道", "清河街道", "东皇街道", "庙湾镇", "射桥镇", "西洋店镇", "阳城镇"]
SURNAMES = "王李张刘陈杨黄赵周吴"


def big_rows(count: int, seed: int = 1) -> Iterable[list[object]]:
    """Rows of 电话, 乡镇, 姓名, 备注 with phone cells as ints, integral floats and text."""
    rng = random.Random(seed)
    for n in range(count):
        digits = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        kind = n % 4
        spaced = f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
        phone: object = (int(digits) if kind == 0 else float(digits) if kind == 1
                         else digits if kind == 2 else spaced)
        yield [phone, rng.choice(TOWNSHIPS), rng.choice(SURNAMES) + "先生",
               "" if n % 3 else "晚上再打"]


def write_big_xlsx(path: Path, count: int) -> Path:
    """A one-sheet workbook with a title row, the header on row 2 and ``count`` data rows."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("样本")
    sheet.append(["平舆县电话样本"])
    sheet.append(["电话", "乡镇", "姓名", "备注"])
    for row in big_rows(count):
        sheet.append(row)
    book.save(path)
    return path


def write_ods(path: Path, rows: Rows, sheet: str = "Sheet1") -> Path:
    """A minimal OpenDocument spreadsheet; numbers become float cells, the rest text."""
    from xml.sax.saxutils import escape, quoteattr

    body = []
    for row in rows:
        cells = []
        for value in row:
            if value is None:
                cells.append("<table:table-cell/>")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(f'<table:table-cell office:value-type="float" office:value="{value}">'
                             f"<text:p>{value}</text:p></table:table-cell>")
            else:
                cells.append('<table:table-cell office:value-type="string">'
                             f"<text:p>{escape(str(value))}</text:p></table:table-cell>")
        body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet><table:table table:name={quoteattr(sheet)}>"
        + "".join(body) + "</table:table></office:spreadsheet></office:body>"
        "</office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path='
        '"content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def replace_in_workbook(path: Path, old: str, new: str) -> Path:
    """Replace text in every XML part of a workbook: how to get a cell past openpyxl's
    32,767-character cut."""
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            if info.filename.endswith(".xml"):
                data = data.replace(old.encode(), new.encode())
            archive.writestr(info.filename, data)
    return path

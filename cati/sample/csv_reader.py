"""Delimited text phone lists (.csv, .txt): encoding and delimiter detection, streamed records.

The encoding is detected by charset-normalizer on a bounded prefix, among the encodings Chinese
lists come in (UTF-8 with or without a BOM, GB18030 — the superset of GBK and GB2312 — and
UTF-16/32 with a BOM); the delimiter is one of comma, tab and semicolon. Records are streamed
with the csv module, each with the line on which it starts, as a text editor numbers lines.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import charset_normalizer

from cati.sample.readers import (
    MAX_CELL_CHARS,
    LongField,
    SampleFileError,
    is_phone_header_text,
)

PREFIX_BYTES = 64 * 1024         # what the encoding and delimiter are detected on
HEAD_BYTES = 4 * 1024            # retried alone when the prefix fits no encoding
FIELD_LIMIT = 1 << 20            # csv.field_size_limit while reading: bounds a runaway cell
LINE_LIMIT = 4 * FIELD_LIMIT     # characters read at most for one physical line
DELIMITERS = ",\t;"
SNIFF_LINES = 50
CANDIDATES = ["utf_8", "gb18030", "utf_16", "utf_32"]
GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936", "ms936"}


class _LineTooLong(Exception):
    pass


class CsvSource:
    """A delimited text file: ``records()`` yields (line number, fields) for every record."""

    sheet = None

    def __init__(self, path: Path, file_name: str, prefix: bytes) -> None:
        self.path = path
        self.file_name = file_name
        complete = len(prefix) < PREFIX_BYTES
        self.encoding, text = _detect_encoding(prefix, file_name, complete=complete)
        self.delimiter = _detect_delimiter(text)

    def close(self) -> None:
        """Nothing stays open: each ``records()`` pass opens and closes the file."""

    def records(self) -> Iterator[tuple[int, list[str]]]:
        previous = csv.field_size_limit(FIELD_LIMIT)
        reader = csv.reader(self._lines(), delimiter=self.delimiter, quotechar='"',
                            doublequote=True, strict=False)
        start = 1
        try:
            for fields in reader:
                yield start, fields
                start = reader.line_num + 1
        except _LineTooLong:
            raise self._long_field(start) from None
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise self._long_field(start) from None
            raise SampleFileError(f"not a readable CSV file: {error}", file_name=self.file_name,
                                  row=start, row_word="line") from None
        finally:
            csv.field_size_limit(previous)

    def _lines(self) -> Iterator[str]:
        number = 0
        with self.path.open("rb") as binary:
            text = io.TextIOWrapper(binary, encoding=self.encoding, errors="strict", newline="")
            while True:
                try:
                    line = text.readline(LINE_LIMIT)
                except UnicodeDecodeError as error:
                    raise self._undecodable(number, error) from None
                if not line:
                    return
                number += 1
                if len(line) == LINE_LIMIT and not line.endswith(("\n", "\r")):
                    raise _LineTooLong
                yield line

    def _undecodable(self, lines_read: int, error: UnicodeDecodeError) -> SampleFileError:
        good = error.object[:error.start].decode(self.encoding, "replace")
        line = lines_read + 1 + good.count("\n") + good.count("\r") - good.count("\r\n")
        return SampleFileError(
            f"bytes that are not {self.encoding} text (the encoding found at the start of the "
            "file); save the whole file in one encoding, such as UTF-8",
            file_name=self.file_name, row=line, row_word="line")

    def _long_field(self, start_line: int) -> LongField:
        """Find the field over the limit in the record starting on ``start_line`` (error path),
        looking at no more than LINE_LIMIT characters of it."""
        with self.path.open("rb") as binary:
            text = io.TextIOWrapper(binary, encoding=self.encoding, errors="replace", newline="")
            for _ in range(start_line - 1):
                if not text.readline(LINE_LIMIT):
                    break
            chunk = text.read(LINE_LIMIT)
        found = _long_field_in(chunk, self.delimiter)
        if found is None:
            return LongField(start_line, None, FIELD_LIMIT, exact=False)
        column, size, ended = found
        return LongField(start_line, column, size, exact=ended or len(chunk) < LINE_LIMIT)


def _long_field_in(record: str, delimiter: str) -> tuple[int, int, bool] | None:
    """(column, length, whether the field ended) of the first field over Excel's limit in the
    record at the start of ``record``; jumps between quotes and delimiters at C speed."""
    special = re.compile(f'["\\r\\n{re.escape(delimiter)}]')
    column, start, position, quoted = 0, 0, 0, False
    while True:
        if quoted:
            position = record.find('"', position) + 1
            if position == 0:
                break
            quoted = False
            continue
        match = special.search(record, position)
        if match is None:
            break
        position = match.end()
        if match.group() == '"':
            quoted = True
            continue
        length = match.start() - start
        if record.startswith('"', start):  # less the quotes, and one of each doubled quote
            length -= 2 + record.count('""', start + 1, match.start() - 1)
        if length > MAX_CELL_CHARS:
            return column, length, True
        if match.group() != delimiter:
            return None
        column, start = column + 1, position
    length = len(record) - start - (1 if record.startswith('"', start) else 0)
    return (column, length, False) if length > MAX_CELL_CHARS else None


def _detect_encoding(prefix: bytes, file_name: str, *, complete: bool) -> tuple[str, str]:
    """The codec to read the file with, and the sample decoded with it.

    When the prefix fits no candidate, its first few KiB are tried alone: a file that changes
    encoding further down is then read in the first one and the line that differs is named.
    """
    sample = prefix if complete else _trim(prefix)
    if _is_utf8(sample, complete=complete):
        encoding = "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"
        text = sample.decode(encoding, errors="replace")
        _check_text(text, file_name)
        return encoding, text
    best = charset_normalizer.from_bytes(sample, cp_isolation=CANDIDATES).best()
    if best is None and len(sample) > HEAD_BYTES:
        sample = _trim(sample[:HEAD_BYTES])
        best = charset_normalizer.from_bytes(sample, cp_isolation=CANDIDATES).best()
    if best is None and _decodes(sample, "gb18030", complete=complete):
        text = sample.decode("gb18030", errors="replace")  # too short for charset-normalizer
        _check_text(text, file_name)
        return "gb18030", text
    if best is None:
        raise SampleFileError("not a text file in UTF-8, GB18030 (GBK) or UTF-16, and not a "
                              "spreadsheet", file_name=file_name)
    name = codecs.lookup(best.encoding).name
    if best.encoding in GB_FAMILY or name in GB_FAMILY:
        encoding = "gb18030"
    elif name in {"ascii", "utf-8"}:
        encoding = "utf-8-sig" if best.bom else "utf-8"
    else:
        encoding = name
    text = sample.decode(encoding, errors="replace")
    _check_text(text, file_name)
    return encoding, text


def _is_utf8(sample: bytes, *, complete: bool) -> bool:
    """Whether the sample is UTF-8 (its last character may be cut when it is not the whole
    file). Asked before charset-normalizer, which takes a short UTF-8 list (a header 电话 and a
    few numbers) for GB18030: Chinese text in GB18030 is almost never valid UTF-8, while the
    reverse is common. NUL bytes are not taken as UTF-8: they are UTF-16 without a BOM."""
    return _decodes(sample, "utf-8", complete=complete)


def _decodes(sample: bytes, encoding: str, *, complete: bool) -> bool:
    """Whether the sample, without NUL bytes, is text in ``encoding`` (its last character may
    be cut when it is not the whole file)."""
    if b"\x00" in sample:
        return False
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _trim(prefix: bytes) -> bytes:
    """Cut the prefix so that no character is cut in half: after its last line break, or at
    whole code units for UTF-16/32 (where a 0x0A byte can be half of a character)."""
    if prefix.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return prefix[:len(prefix) - len(prefix) % 4]
    if prefix.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        end = len(prefix) - len(prefix) % 2
        high = prefix[end - 1] if prefix.startswith(codecs.BOM_UTF16_LE) else prefix[end - 2]
        return prefix[:end - 2 if 0xD8 <= high <= 0xDB else end]  # not after a lead surrogate
    cut = prefix.rfind(b"\n")
    return prefix[:cut + 1] if cut > 0 else prefix


def _check_text(text: str, file_name: str) -> None:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    replaced = text.count("\ufffd")
    if "\x00" in text or (controls + replaced) > max(8, len(text) // 20):
        raise SampleFileError("not a text file, and not a spreadsheet", file_name=file_name)


def _detect_delimiter(text: str) -> str:
    lines = text.splitlines(keepends=True)[:SNIFF_LINES]
    sample = "".join(lines)
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ""
    if delimiter in DELIMITERS and delimiter:
        return delimiter
    return _count_delimiter(lines)


def _count_delimiter(lines: list[str]) -> str:
    """The candidate most frequent in the header line (the first line naming a phone column
    and holding a candidate, else the first such line); a comma when there is none."""
    split = [line for line in lines if any(candidate in line for candidate in DELIMITERS)]
    header = next((line for line in split if is_phone_header_text(line)),
                  split[0] if split else "")
    counts = {candidate: header.count(candidate) for candidate in DELIMITERS}
    best = max(DELIMITERS, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","

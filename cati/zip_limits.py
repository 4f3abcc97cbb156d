"""Zip bombs: how far the members of a workbook inflate, checked before anything parses them.

An .xlsx, .xlsm, .xlsb or .ods file is a zip archive. A small one can inflate to gigabytes (a
135 KB phone list took 1.79 GB of memory), and a member's header can state a small size and
inflate far past it. :func:`check_zip` reads each member's compressed bytes through zlib with a
counter — never holding more than a megabyte of output — and stops at the first member that

* declares or inflates to more than ``max_member`` bytes (or than its entry in ``held``: the
  parts a reader keeps whole in memory, such as the shared-string table), or all together to
  more than ``max_total`` bytes;
* inflates more than :data:`MAX_RATIO` times its compressed size once past
  :data:`RATIO_FLOOR` bytes. A real sheet inflates about 10 times (each ``<row>`` and cell
  names its own number, and phone numbers hardly repeat: 9.2 times for the sheet below); a run
  of one repeated row inflates 150 to 350 times, a run of zeros 1000 times;
* inflates past the size its header declares (a forged header: the reader that trusts it may
  not stop there).

The limits for a phone list are generous for Excel's largest sheet: 1,048,576 rows of a phone
number and three short texts are 245 MB of sheet XML (inflating 9.2 times) as openpyxl writes
them (measured with tests/sample_files.py write_big_xlsx); the checker goes through them in
about a second (0.9 to 1.2 s on 2 busy cores) with 13 MB of memory. Nothing is parsed while checking, so the check itself needs a few
megabytes, whatever the file.
"""

from __future__ import annotations

import posixpath
import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from cati.errors import printable

MB = 1 << 20
MAX_MEMBER_BYTES = 1024 * MB  # one part inflated: 4 times Excel's last row with 4 columns
MAX_TOTAL_BYTES = 1536 * MB  # all the parts together
MAX_RATIO = 100
RATIO_FLOOR = 16 * MB  # below this, any ratio: a small part of one repeated thing is harmless
CHUNK = 1 << 16
OUTPUT_STEP = 1 << 20  # at most this much inflated output is held at once

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader


class ZipTooLarge(Exception):
    """A member inflates too far: ``member`` is its name in the archive, ``detail`` the rest of
    the line ("inflates to more than 1,024 MB, …")."""

    def __init__(self, member: str, detail: str) -> None:
        super().__init__(member, detail)
        self.member, self.detail = member, detail

    def __str__(self) -> str:
        return f"member '{printable(self.member)}' {self.detail}"


def check_zip(source: str | Path | IO[bytes], *, max_member: int = MAX_MEMBER_BYTES,
              max_total: int = MAX_TOTAL_BYTES, held: Mapping[str, int] | None = None,
              what: str = "a workbook") -> None:
    """Raise ZipTooLarge when a member of the zip ``source`` (a path or a seekable binary file)
    inflates too far (see the module doc); zipfile.BadZipFile when it is not a zip.

    ``held`` maps a member's file name (its last path part, lower case: "sharedstrings.xml") to
    a lower limit for it; ``what`` names the kind of file in the message ("a phone list"). A
    damaged member is counted as far as it inflates: saying that it is damaged is left to the
    reader that needs it."""
    with zipfile.ZipFile(source) as archive:
        limits = _Limits(max_member, max_total, held or {}, what)
        infos = archive.infolist()
        for info in infos:  # what the headers declare, before inflating anything
            limits.count(info, info.file_size, consumed=info.compress_size)
        limits.total = 0
        for info in infos:
            limits.total += _inflate(archive, info, limits)


class _Limits:
    def __init__(self, max_member: int, max_total: int, held: Mapping[str, int],
                 what: str) -> None:
        self.max_member, self.max_total, self.held, self.what = max_member, max_total, held, what
        self.total = 0

    def count(self, info: zipfile.ZipInfo, size: int, *, consumed: int,
              declared: int | None = None) -> None:
        """Check one member that has inflated to ``size`` bytes from ``consumed`` compressed
        ones (adding it to the total once done: the caller adds what it returns)."""
        name = info.filename
        limit = min(self.max_member, self.held.get(posixpath.basename(name).lower(),
                                                   self.max_member))
        if size > limit:
            raise ZipTooLarge(name, f"inflates to more than {_mb(limit)}, over the limit for "
                                    f"{self.what} (a zip bomb?)")
        if declared is None:  # the declared sizes: one member after the other
            self.total += size
        if (self.total if declared is None else self.total + size) > self.max_total:
            raise ZipTooLarge(name, f"takes the inflated parts past {_mb(self.max_total)} in "
                                    f"all, over the limit for {self.what} (a zip bomb?)")
        if declared is not None and size > declared:
            raise ZipTooLarge(name, f"inflates past the {declared:,} bytes its header declares "
                                    "(a forged or damaged zip)")
        if size > RATIO_FLOOR and size > MAX_RATIO * max(consumed, 1):
            raise ZipTooLarge(name, f"inflates more than {MAX_RATIO} times its compressed size "
                                    "(a zip bomb?)")


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: _Limits) -> int:
    """The bytes ``info`` really inflates to, counted chunk by chunk from its compressed data
    whatever its header declares; ZipTooLarge as soon as a limit is passed."""
    if info.flag_bits & 0x1:  # encrypted: nothing reads it without the password
        return 0
    if info.compress_type == zipfile.ZIP_STORED:
        limits.count(info, info.compress_size, consumed=info.compress_size,
                     declared=info.file_size)
        return info.compress_size
    if info.compress_type != zipfile.ZIP_DEFLATED:  # rare in a workbook: zipfile's own reader
        return _inflate_by_zipfile(archive, info, limits)
    raw = archive.fp
    assert raw is not None  # a ZipFile opened for reading keeps its file
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        return 0  # damaged: no reader gets anything out of it (they say so if they need it)
    fields = _LOCAL_HEADER.unpack(header)
    raw.seek(fields[10] + fields[11], 1)  # the name and the extra field
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, size, read = info.compress_size, 0, 0
    while left > 0 and not inflater.eof:
        chunk = raw.read(min(CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)
        read += len(chunk)
        try:
            size += len(inflater.decompress(chunk, OUTPUT_STEP))
            while inflater.unconsumed_tail and not inflater.eof:
                limits.count(info, size, consumed=read - len(inflater.unconsumed_tail),
                             declared=info.file_size)
                size += len(inflater.decompress(inflater.unconsumed_tail, OUTPUT_STEP))
        except zlib.error:  # damaged from here on: what inflated so far is all there is
            return size
        limits.count(info, size, consumed=read - len(inflater.unconsumed_tail),
                     declared=info.file_size)
    return size


def _inflate_by_zipfile(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
                        limits: _Limits) -> int:
    """bzip2, lzma: zipfile reads no further than the declared size (a forged one is a CRC
    error there rather than a flood)."""
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                limits.count(info, size, consumed=info.compress_size, declared=info.file_size)
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError, zlib.error,
            RuntimeError):
        pass  # damaged, or a method zipfile cannot read
    return size


def _mb(size: int) -> str:
    return f"{size // MB:,} MB" if size >= MB else f"{size:,} bytes"

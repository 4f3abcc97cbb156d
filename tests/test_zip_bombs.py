"""Zip bombs: a small workbook that inflates to hundreds of megabytes, or whose header lies
about the size of a member, is refused before it is parsed: one line naming the file and the
member, exit 1, nothing imported, and the refusing process stays small (a 135 KB list took
1.79 GB of memory before the check).

The bombs are built here: a real openpyxl workbook whose sheet or shared-string table is
replaced by a long run of one repeated row (it deflates about 300:1), and the same with the
sizes in its zip headers forged small. cati.zip_limits has the limits.
"""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from sample_files import write_xlsx
from sqlalchemy import func, select

from cati import zip_limits
from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.storage.models import Case, SampleBatch

FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
SHEET = "xl/worksheets/sheet1.xml"
SHARED = "xl/sharedStrings.xml"
MAX_RSS_MB = 300
TIMEOUT = 120  # seconds; refusing takes under 5
ROOT = Path(__file__).resolve().parent.parent

# Run a command and write the peak resident size of that one child, in kB, to a file.
MEASURE = textwrap.dedent("""
    import resource, subprocess, sys
    done = subprocess.run(sys.argv[2:])
    with open(sys.argv[1], "w") as out:
        out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
    sys.exit(done.returncode)
""")


@pytest.fixture
def database(database):
    with database.unit() as session:
        create_project(session, "P1", FORM, default_area_code="0396")
    return database


def stored(database) -> tuple[int, int]:
    with database.unit() as session:
        return (session.scalar(select(func.count(Case.id))),
                session.scalar(select(func.count(SampleBatch.id))))


def rewrite_member(source: Path, target: Path, member: str, head: bytes, row: bytes,
                   size: int, tail: bytes, edits: dict[str, tuple[bytes, bytes]] | None = None
                   ) -> Path:
    """``source`` with ``member`` (added when it is not there) replaced by ``head``, ``row``
    repeated to ``size`` bytes and ``tail``, deflated as it is written (never held whole);
    ``edits`` replaces text in other members: {name: (old, new)}."""
    block = row * max(1, (1 << 20) // len(row))
    edits = edits or {}
    with (zipfile.ZipFile(source) as original,
          zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb):
        for info in original.infolist():
            if info.filename != member:
                data = original.read(info)
                if info.filename in edits:
                    data = data.replace(*edits[info.filename])
                bomb.writestr(info.filename, data)
        with bomb.open(member, "w") as stream:
            stream.write(head)
            written = len(head)
            while written < size:
                stream.write(block)
                written += len(block)
            stream.write(tail)
    return target


def forge_size(path: Path, member: str, declared: int) -> Path:
    """Write ``declared`` as the inflated size of ``member`` in both its local header and the
    central directory: a header that lies."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(member)
    assert data[info.header_offset:info.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<L", data, info.header_offset + 22, declared)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + length] == name:
            struct.pack_into("<L", data, central + 24, declared)
            break
        central = data.find(b"PK\x01\x02", central + 46)
    else:
        raise AssertionError(f"{member} not in the central directory")
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(member).file_size == declared
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    base = write_xlsx(folder / "base.xlsx", [["电话", "乡镇"], ["13800138000", "古槐街道"]])
    with zipfile.ZipFile(base) as archive:
        head, tail = archive.read(SHEET).split(b"</sheetData>")
    rows = rewrite_member(base, folder / "rows.xlsx", SHEET, head,
                          b'<row><c t="inlineStr"><is><t>13900139000</t></is></c></row>',
                          200 << 20, b"</sheetData>" + tail)
    strings = rewrite_member(  # the table calamine reads whole, whatever the sheet
        base, folder / "strings.xlsx", SHARED,
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
        b"<si><t>13900139000</t></si>", 200 << 20, b"</sst>", {
            "xl/_rels/workbook.xml.rels": (b"</Relationships>", (
                b'<Relationship Id="rIdS" Target="sharedStrings.xml" Type="http://schemas.'
                b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
                b"</Relationships>")),
            "[Content_Types].xml": (b"</Types>", (
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'))})
    forged = forge_size(rewrite_member(base, folder / "forged.xlsx", SHEET, head,
                                       b'<row><c t="inlineStr"><is><t>1</t></is></c></row>',
                                       200 << 20, b"</sheetData>" + tail), SHEET, 20_000)
    return {"rows": rows, "strings": strings, "forged": forged}


def import_measured(db_url: str, path: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess,
                                                                      float]:
    """``cati sample import`` in a child process; its result and its peak memory in MB."""
    rss = tmp_path / "rss"
    env = dict(os.environ, CATI_DATA_DIR=str(tmp_path / "data"), QT_QPA_PLATFORM="offscreen")
    command = [sys.executable, "-c", MEASURE, rss, sys.executable, "-m", "cati", "--db", db_url,
               "sample", "import", path, "--project", "P1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                          start_new_session=True) as child:
        try:
            stdout, stderr = child.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)  # the wrapper and the import under it
            child.communicate()
            pytest.fail(f"the import of {path.name} ran over {TIMEOUT} s")
    result = subprocess.CompletedProcess(command, child.returncode, stdout, stderr)
    return result, int(rss.read_text()) / 1024


@pytest.mark.parametrize(("bomb", "member", "says"), [
    ("rows", SHEET, "inflates more than 100 times its compressed size (a zip bomb?)"),
    ("strings", SHARED, "inflates more than 100 times its compressed size (a zip bomb?)"),
    ("forged", SHEET, "inflates past the 20,000 bytes its header declares (a forged or damaged zip)"),
])
def test_a_zip_bomb_is_one_line_and_imports_nothing(database, db_url, tmp_path, bombs, bomb,
                                                    member, says):
    path = bombs[bomb]
    assert path.stat().st_size < 2 << 20  # a small file …
    with zipfile.ZipFile(path) as archive:  # … of 200 MB of XML
        assert archive.getinfo(member).compress_size * 100 < 200 << 20
    result, peak_mb = import_measured(db_url, path, tmp_path)
    print(f"{bomb}: {path.stat().st_size:,} bytes, exit {result.returncode}, "
          f"peak RSS {peak_mb:.0f} MB: {result.stderr.strip()}")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and result.stdout == "", result.stderr
    assert lines[0] == f"cati: {path.name}: member '{member}' {says}", lines[0]
    assert stored(database) == (0, 0)
    assert peak_mb < MAX_RSS_MB


def test_declared_sizes_are_checked_before_inflating(tmp_path):
    """A header that declares a member over the limit is refused at once (nothing inflated);
    so is one that declares too much in all."""
    path = write_xlsx(tmp_path / "big.xlsx", [["电话"], ["13800138000"]])
    forge_size(path, SHEET, zip_limits.MAX_MEMBER_BYTES + 1)
    with pytest.raises(zip_limits.ZipTooLarge) as caught:
        zip_limits.check_zip(path)
    assert str(caught.value) == (f"member '{SHEET}' inflates to more than 1,024 MB, over the "
                                 "limit for a workbook (a zip bomb?)")
    forge_size(path, SHEET, 1000)
    with zipfile.ZipFile(path) as archive:
        total = sum(info.file_size for info in archive.infolist())
    with pytest.raises(zip_limits.ZipTooLarge, match=f"past {total - 1:,} bytes in all"):
        zip_limits.check_zip(path, max_total=total - 1)


def test_inflated_sizes_are_counted_whatever_the_header_says(tmp_path):
    """Past the member limit while inflating (the header declares more than it holds, so only
    the counting reader sees it), and past a lower limit for what a reader keeps whole."""
    base = write_xlsx(tmp_path / "base.xlsx", [["电话"], ["13800138000"]])
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>138%08d</v></c></row>' % (n, n, n)
                    for n in range(3, 60_000))
    with zipfile.ZipFile(base) as archive:
        head, tail = archive.read(SHEET).split(b"</sheetData>")
    path = rewrite_member(base, tmp_path / "list.xlsx", SHEET, head, rows, len(rows),
                          b"</sheetData>" + tail)
    zip_limits.check_zip(path)  # 2.9 MB of real-looking rows: fine
    with pytest.raises(zip_limits.ZipTooLarge, match="inflates to more than 1 MB"):
        zip_limits.check_zip(path, max_member=1 << 20)
    with pytest.raises(zip_limits.ZipTooLarge, match="inflates to more than 1,000 bytes"):
        zip_limits.check_zip(path, held={"sheet1.xml": 1000})


def test_a_zip_bomb_form_is_one_line(run_cli, tmp_path):
    """`cati form check` on an XLSForm workbook whose survey sheet is a bomb."""
    with zipfile.ZipFile(FORM) as archive:
        survey = next(name for name in archive.namelist()
                      if name.startswith("xl/worksheets/sheet"))
        head, tail = archive.read(survey).split(b"</sheetData>")
    path = rewrite_member(FORM, tmp_path / "form.xlsx", survey, head,
                          b'<row><c t="inlineStr"><is><t>note</t></is></c></row>', 100 << 20,
                          b"</sheetData>" + tail)
    result = run_cli("form", "check", path)
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, lines
    assert f"member '{survey}'" in lines[0] and "a zip bomb?" in lines[0], lines[0]

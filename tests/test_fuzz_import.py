"""Hostile and broken phone lists: property-based tests of the whole import (issue 8).

Every file either imports what is importable and reports the rest (the counts add up to the
rows, the rejects workbook holds every rejected row), or fails with one SampleFileError line
naming the file, and then the database holds exactly what it held before: no partial batch.
Files: random bytes; valid-looking CSV in UTF-8 (with and without a BOM), GB18030 and UTF-16
with control characters, right-to-left marks and emoji in its cells; .xlsx workbooks with
formulas, merged cells, hidden sheets, a sheet 16,384 columns wide and rows down to Excel's
last row, 1,048,576. The workbooks are assembled here as XML, so a cell can hold what openpyxl
refuses to write (control characters, escaped as Excel escapes them: ``_x0001_``).

The full-size cases (a dense 1,048,576-row sheet, thousands of examples) run in scripts/fuzz.py,
which imports the builders below.
"""

from __future__ import annotations

import random
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError
from cati.sample.readers import SampleFileError
from cati.services.import_session import read_rejects
from cati.services.projects import create_project
from cati.services.sample_import import ImportOptions, import_sample
from cati.storage.models import Case, SampleBatch

FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
DENSE_ROWS = 5_000  # the suite's dense block; scripts/fuzz.py fills all 1,048,576 rows
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16")
FUZZ = settings(max_examples=12, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# -- cell text that lists really hold -------------------------------------------------------
RTL_AND_FORMAT = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2069\u200b\ufeff"
EMOJI = "😀📞🇨🇳👨‍👩‍👧‍👦☎️🀄"
CONTROL = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r") + "\x7f"
PHONES = ("13800138000", "+86 139 0013 9000", "0396-6543210", "6543210", "１３７００１３７０００",
          "4008123123", "95588", "12345", "=1+1", "13800138000转123", "(010) 6552 9988")


def cell_texts(*, controls: bool) -> st.SearchStrategy[str]:
    """Text of any Unicode plane (no surrogates), with extra weight on the hostile parts."""
    hostile = RTL_AND_FORMAT + EMOJI + (CONTROL if controls else "") + "=+-@\"',;\t 乡镇电话"
    return st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",),
                              blacklist_characters="\x00" if not controls else ""), max_size=12),
        st.text(st.sampled_from(hostile), max_size=8),
        st.sampled_from(PHONES),
    )


def phone_cells(*, controls: bool) -> st.SearchStrategy[str]:
    """A phone cell: a real-looking number, sometimes wrapped in invisible marks or emoji."""
    marks = st.text(st.sampled_from(RTL_AND_FORMAT + EMOJI + " \u3000"), max_size=2)
    wrapped = st.builds(lambda a, p, b: a + p + b, marks, st.sampled_from(PHONES), marks)
    return st.one_of(wrapped, cell_texts(controls=controls))


# -- files --------------------------------------------------------------------------------
def write_delimited(path: Path, rows: Iterable[Sequence[str]], *, encoding: str,
                    delimiter: str = ",") -> Path:
    """A delimited text file, quoting what needs it; ``encoding`` any Python codec (what it
    cannot encode, such as emoji in GBK, becomes "?")."""
    lines = []
    for row in rows:
        fields = []
        for text in row:
            if any(ch in text for ch in (delimiter, '"', "\n", "\r")):
                text = '"' + text.replace('"', '""') + '"'
            fields.append(text)
        lines.append(delimiter.join(fields) + "\r\n")
    path.write_bytes("".join(lines).encode(encoding, errors="replace"))
    return path


def column_letters(index: int) -> str:
    """0 -> A, 16383 -> XFD."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_text(text: str) -> str:
    """Text as Excel writes it into XML: characters XML cannot carry become _xHHHH_."""
    text = text.replace("_x", "_x005F_x")
    return "".join(f"_x{ord(ch):04X}_" if (ord(ch) < 32 and ch not in "\t\n") or
                   ch in "\ufffe\uffff" else ch for ch in text)


def cell_xml(row: int, column: int, value: object) -> str:
    """One <c>: str as inline text, int/float as a number, ("=", formula, cached) a formula."""
    ref = f"{column_letters(column)}{row}"
    if isinstance(value, tuple):
        _, formula, cached = value
        cached_xml = "" if cached is None else f"<v>{cached}</v>"
        return f'<c r="{ref}"><f>{escape(formula)}</f>{cached_xml}</c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return (f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">'
            f"{escape(excel_text(str(value)))}</t></is></c>")


def rows_xml(rows: Iterable[tuple[int, Sequence[object]]]) -> Iterable[str]:
    for number, cells in rows:
        body = "".join(cell_xml(number, column, value) for column, value in enumerate(cells)
                       if value is not None)
        yield f'<row r="{number}">{body}</row>'


def write_workbook(path: Path, sheets: Sequence[dict]) -> Path:
    """An .xlsx assembled from XML. Each sheet: {"name", "rows": [(row number, cells)],
    "state": "visible"|"hidden"|"veryHidden", "merged": ["A1:C1", ...]}. Rows are streamed
    into the zip, so a sheet of a million rows needs no memory to speak of."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application'
                      '/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for n in range(1, len(sheets) + 1)) + "</Types>"))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            + "".join(f'<sheet name={quoteattr(sheet["name"])} sheetId="{n}" state="'
                      f'{sheet.get("state", "visible")}" r:id="rId{n}"/>'
                      for n, sheet in enumerate(sheets, start=1)) + "</sheets></workbook>"))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{n}" Type="{rel}/worksheet" Target="worksheets/'
                      f'sheet{n}.xml"/>' for n in range(1, len(sheets) + 1))
            + "</Relationships>"))
        for n, sheet in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}>'
                           "<sheetData>".encode())
                buffer: list[str] = []
                for row in rows_xml(sheet["rows"]):
                    buffer.append(row)
                    if len(buffer) >= 4096:
                        part.write("".join(buffer).encode())
                        buffer.clear()
                part.write("".join(buffer).encode())
                merged = sheet.get("merged") or []
                tail = "</sheetData>"
                if merged:
                    tail += (f'<mergeCells count="{len(merged)}">'
                             + "".join(f'<mergeCell ref="{ref}"/>' for ref in merged)
                             + "</mergeCells>")
                part.write((tail + "</worksheet>").encode())
    return path


def dense_rows(count: int, *, first: int = 2, seed: int = 1) -> Iterable[tuple[int, list]]:
    """``count`` rows of 电话 (distinct mobile numbers), 乡镇, 备注 from row ``first`` on."""
    rng = random.Random(seed)
    start = rng.randrange(10**8)
    for n in range(count):
        yield first + n, [f"13{(start + n) % 10**9:09d}", "古槐街道", "" if n % 7 else "晚上"]


# -- the property every import must keep ----------------------------------------------------
def stored(database) -> tuple[int, int]:
    with database.unit() as session:
        return (session.scalar(select(func.count(Case.id))),
                session.scalar(select(func.count(SampleBatch.id))))


def import_or_refuse(database, path: Path, options: ImportOptions | None = None):
    """Import ``path`` and check the promise: counts that add up and a complete rejects report,
    or one SampleFileError line naming the file and nothing stored. Returns the result or the
    error; anything else escapes and fails the test (a traceback is a bug)."""
    options = options or ImportOptions()
    before = stored(database)
    try:
        result = import_sample(database, "P1", path, options)
    except SampleFileError as error:
        message = str(error)  # one line, and nothing a terminal would act on
        assert not any(unicodedata.category(ch) == "Cc" or ch in RTL_AND_FORMAT[:10]
                       for ch in message), message
        assert path.name in message, message
        assert stored(database) == before
        return error
    outcomes = (result.imported, result.invalid, result.duplicate_in_file,
                result.duplicate_existing, result.dnc)
    assert sum(outcomes) == result.rows
    cases, batches = stored(database)
    if options.dry_run:
        assert (cases, batches) == before
    else:
        assert (cases, batches) == (before[0] + result.imported, before[1] + 1)
    rejected = result.rows - result.imported
    if rejected:
        assert len(read_rejects(result.rejects_file, limit=rejected + 1)) == rejected
    else:
        assert result.rejects_file is None
    return result


@pytest.fixture
def database(database):
    with database.unit() as session:
        create_project(session, "P1", FORM, default_area_code="0396")
    return database


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory(prefix="cati-fuzz-") as folder:
        yield Path(folder)


# -- random bytes -----------------------------------------------------------------------------
@FUZZ
@given(data=st.one_of(st.binary(max_size=3000),
                      st.builds(lambda head, tail: head + tail,
                                st.sampled_from([b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
                                                 b"\xef\xbb\xbf", b"\xff\xfe", "电话\n".encode()]),
                                st.binary(max_size=2000))),
       suffix=st.sampled_from([".csv", ".xlsx", ".txt", ".xls"]))
def test_random_bytes(database, scratch, data, suffix):
    path = scratch / f"random{suffix}"
    path.write_bytes(data)
    import_or_refuse(database, path)


# -- valid-looking CSV ------------------------------------------------------------------------
@st.composite
def csv_lists(draw, *, controls: bool = True):
    header = ["电话", *draw(st.lists(st.sampled_from(["乡镇", "姓名", "备注", "", "phone"]),
                                     max_size=3))]
    draw(st.randoms()).shuffle(header)
    title = draw(st.lists(cell_texts(controls=False).filter(lambda t: "\n" not in t),
                          max_size=1))
    width = len(header)
    rows = draw(st.lists(
        st.lists(st.one_of(phone_cells(controls=controls), cell_texts(controls=controls)),
                 min_size=width, max_size=width + 1),
        max_size=12))
    phone = header.index("电话")
    for row in rows:
        if draw(st.booleans()):
            row[phone] = draw(phone_cells(controls=controls))
    return ([title] if title else []) + [header] + rows


@FUZZ
@given(rows=csv_lists(), encoding=st.sampled_from(ENCODINGS), delimiter=st.sampled_from(",\t;"),
       dry_run=st.booleans())
def test_random_csv_in_any_encoding(database, scratch, rows, encoding, delimiter, dry_run):
    path = write_delimited(scratch / "名单.csv", rows, encoding=encoding, delimiter=delimiter)
    import_or_refuse(database, path, ImportOptions(dry_run=dry_run,
                                                   rejects_path=scratch / "rejects.xlsx"))


@FUZZ
@given(rows=csv_lists(controls=False), encoding=st.sampled_from(ENCODINGS))
def test_csv_without_control_characters_imports(database, scratch, rows, encoding):
    """A list with a phone header and no control characters is read: the file is never
    refused (only rows are), so what is importable gets imported."""
    path = write_delimited(scratch / "list.csv", rows, encoding=encoding)
    result = import_or_refuse(database, path, ImportOptions(rejects_path=scratch / "r.xlsx"))
    assert not isinstance(result, SampleFileError), result


def test_invisible_marks_and_stored_text(database, tmp_path):
    """Numbers wrapped in right-to-left marks, zero-width spaces or a BOM are numbers; every
    other cell keeps its emoji, marks and control characters exactly."""
    note = "\u202e备注😀\x01\x7f🇨🇳"
    rows = [["电话", "乡镇", "备注"],
            ["\u200f13800138000\u200e", "古槐\u200b街道", note],
            ["\ufeff+86 139 0013 9000\u2069", "👨‍👩‍👧‍👦镇", ""],
            ["\u202b6543210", "庙湾镇", "=cmd|' /C calc'!A0"]]
    for encoding in ("utf-8-sig", "gb18030", "utf-16"):
        path = write_delimited(tmp_path / f"{encoding}.csv", rows, encoding=encoding)
        result = import_or_refuse(database, path)
        assert result.imported == (3 if encoding == "utf-8-sig" else 0), encoding
        assert result.duplicate_existing == (0 if encoding == "utf-8-sig" else 3)
    with database.unit() as session:
        found = session.execute(select(Case.phone_e164, Case.stratum, Case.attributes)
                                .order_by(Case.id)).all()
    assert [row[0] for row in found] == ["+8613800138000", "+8613900139000", "+863966543210"]
    assert [row[1] for row in found] == ["古槐\u200b街道", "👨‍👩‍👧‍👦镇", "庙湾镇"]
    assert found[0][2] == {"备注": note}
    assert found[2][2] == {"备注": "=cmd|' /C calc'!A0"}


def test_error_lines_carry_no_terminal_controls(database, tmp_path):
    """A refused file's line quotes what it saw with escape sequences and bidirectional
    controls made visible, so a hostile header cannot drive the terminal."""
    path = write_delimited(tmp_path / "ansi.csv", [["\x1b[2J\x1b]0;pwned\x07姓名", "\u202e乡镇"],
                                                  ["张三", "古槐街道"]], encoding="utf-8")
    error = import_or_refuse(database, path)
    assert isinstance(error, SampleFileError)
    assert "\\u001b[2J" in str(error) and "\\u202e乡镇" in str(error)


# -- workbooks ----------------------------------------------------------------------------------
@st.composite
def workbooks(draw):
    """Sheets (some hidden, some merged cells, formulas with and without a cached value) whose
    cells hold anything, controls included; a phone header on some sheet, most of the time."""
    count = draw(st.integers(1, 3))
    sheets = []
    for n in range(count):
        first = draw(st.integers(1, 4))
        header = [draw(st.sampled_from(["电话", "手机", "乡镇", "备注", "", "phone"]))
                  for _ in range(draw(st.integers(1, 4)))]
        cells = st.one_of(phone_cells(controls=True), cell_texts(controls=True), st.none(),
                          st.integers(-10**12, 10**12), st.floats(allow_nan=False,
                                                                  allow_infinity=False),
                          st.builds(lambda f, c: ("=", f, c),
                                    st.sampled_from(["1+1", "A2&\"x\"", "HYPERLINK(\"x\")",
                                                     "SUM(A1:A3)", "#REF!"]),
                                    st.one_of(st.none(), st.just(13800138000), st.just(2))))
        body = draw(st.lists(st.lists(cells, max_size=len(header) + 1), max_size=8))
        rows = [(first, header)] + [(first + 1 + i, row) for i, row in enumerate(body)]
        merged = draw(st.lists(st.sampled_from(["A1:C1", "A2:A4", "B3:D5", "A1:XFD1"]),
                               max_size=2, unique=True))
        sheets.append({"name": draw(st.sampled_from(["Sheet1", "样本", "隐藏", "x y", "'q'"]))
                       + str(n), "rows": rows, "merged": merged,
                       "state": draw(st.sampled_from(["visible", "hidden", "veryHidden"]))})
    return sheets


@FUZZ
@given(sheets=workbooks(), streamed=st.booleans())
def test_random_workbooks(database, scratch, sheets, streamed):
    from cati.sample import xlsx_reader

    path = write_workbook(scratch / "random.xlsx", sheets)
    with pytest.MonkeyPatch.context() as patch:  # through calamine, or streamed
        patch.setattr(xlsx_reader, "CALAMINE_MAX_SHEET_BYTES", 0 if streamed else 32 << 20)
        import_or_refuse(database, path, ImportOptions(rejects_path=scratch / "rejects.xlsx"))


def read_all(path: Path, *, streamed: bool):
    from cati.sample import xlsx_reader
    from cati.sample.readers import open_sample

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xlsx_reader, "CALAMINE_MAX_SHEET_BYTES", 0 if streamed else 32 << 20)
        try:
            with open_sample(path) as reader:
                return reader.layout, list(reader.rows())
        except SampleFileError as error:
            return str(error)


@FUZZ
@given(sheets=workbooks())
def test_both_workbook_readers_agree(scratch, sheets):
    """calamine (small sheets) and the streamed parser (large ones) read the same layout and
    the same rows, control characters and Excel's _xHHHH_ escapes included."""
    path = write_workbook(scratch / "agree.xlsx", sheets)
    assert read_all(path, streamed=False) == read_all(path, streamed=True)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_nul_characters_are_dropped_on_both_back_ends(database, tmp_path, kind):
    """U+0000 cannot be stored by PostgreSQL: it is dropped from every cell (the module
    docstring of cati.sample.checking), on SQLite too, and the rest is imported."""
    rows = [["电话", "乡镇", "备\x00注"], ["13800138000", "古槐\x00街道", "a\x00b"],
            ["1390013\x009000", "庙湾镇", ""]]
    if kind == "xlsx":
        path = write_workbook(tmp_path / "nul.xlsx", [{"name": "s", "rows": enumerate(rows, 1)}])
    else:  # past the 64 KiB the encoding is found on, where a NUL is not taken for binary
        filler = [["13700137000", "x" * 100, str(n)] for n in range(700)]
        path = write_delimited(tmp_path / "nul.csv", [["电话", "乡镇", "备注"], *filler,
                                                      *rows[1:]], encoding="utf-8")
    result = import_or_refuse(database, path, ImportOptions(rejects_path=tmp_path / "r.xlsx"))
    assert result.invalid == 1 and result.imported >= 1
    with database.unit() as session:
        case = session.execute(select(Case.stratum, Case.attributes)
                               .where(Case.phone_e164 == "+8613800138000")).one()
    assert case.stratum == "古槐街道" and case.attributes == {"备注": "ab"}
    assert read_rejects(result.rejects_file)[-1].phone_text == "13900139000"


def test_openpyxl_workbook_with_formulas_merged_cells_and_a_hidden_sheet(database, tmp_path):
    """What Excel users make, written by openpyxl: the title merged across the top, a formula
    column without cached values, a hidden sheet of notes before the list."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes.sheet_state = "hidden"
    notes.append(["电话", "说明"])
    notes.append(["13700137000", "hidden sheets are not the default"])
    sheet = book.create_sheet("样本")
    sheet.append(["平舆县样本"])
    sheet.merge_cells("A1:D1")
    sheet.append(["电话", "乡镇", "合计", "备注", "姓名"])
    for n, phone in enumerate(["13800138000", "=\"1390013\"&\"9000\"", "13600136000"], start=3):
        sheet.append([phone, "古槐街道", f"=SUM(A{n}:A{n})", "=HYPERLINK(\"http://x\")", "王"])
    sheet.merge_cells("B3:B5")
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    result = import_or_refuse(database, path)
    assert result.layout.sheet == "样本" and result.layout.header_row == 2
    # A formula without a cached value is an empty cell: its row is rejected, not evaluated.
    assert (result.rows, result.imported, result.invalid) == (3, 2, 1)
    with database.unit() as session:
        strata = session.scalars(select(Case.stratum).order_by(Case.id)).all()
    assert strata == ["古槐街道", ""]  # a merged cell's value is in its first cell only


def test_sheet_16384_columns_wide(database, tmp_path):
    """A header across every column Excel has, A to XFD, the phone in the last one."""
    width = EXCEL_MAX_COLUMNS
    header = [f"列{n}" for n in range(width - 1)] + ["电话"]
    data = [None] * (width - 1) + ["13800138000"]
    data[0], data[width // 2] = "古槐街道", "中间\x01"
    path = write_workbook(tmp_path / "wide.xlsx", [
        {"name": "wide", "rows": [(1, header), (2, data), (3, [None] * (width - 1) + ["bad"])]}])
    assert column_letters(width - 1) == "XFD"
    result = import_or_refuse(database, path)
    assert result.layout.phone_column == "电话" and len(result.layout.columns) == width
    assert (result.rows, result.imported, result.invalid) == (2, 1, 1)
    with database.unit() as session:
        attributes = session.scalar(select(Case.attributes))
    assert attributes == {"列0": "古槐街道", f"列{width // 2}": "中间\x01"}


@pytest.fixture(scope="session")
def last_row_workbook(tmp_path_factory) -> Path:
    """Rows down to Excel's last, 1,048,576, built once: a header, a dense block, then rows
    spread down the sheet (each <row> names its number, as Excel writes sparse sheets)."""
    path = tmp_path_factory.mktemp("big") / "last_row.xlsx"
    spread = [(n, [f"13{n:09d}", "庙湾镇"]) for n in range(60_000, EXCEL_MAX_ROWS + 1, 49_999)]
    spread[-1] = (EXCEL_MAX_ROWS, ["13912345678", "射桥镇"])
    rows = [(1, ["电话", "乡镇", "备注"]), *dense_rows(DENSE_ROWS), *spread]
    return write_workbook(path, [{"name": "样本", "rows": rows}])


@pytest.mark.parametrize("streamed", [False, True], ids=["calamine", "streamed"])
def test_rows_down_to_excels_last(database, last_row_workbook, streamed, monkeypatch):
    from cati.sample import xlsx_reader

    if streamed:
        monkeypatch.setattr(xlsx_reader, "CALAMINE_MAX_SHEET_BYTES", 0)
    before = stored(database)
    result = import_or_refuse(database, last_row_workbook, ImportOptions(dry_run=True))
    spread = len(range(60_000, EXCEL_MAX_ROWS + 1, 49_999))
    assert (result.rows, result.imported) == (DENSE_ROWS + spread, DENSE_ROWS + spread)
    assert stored(database) == before


def test_a_failure_while_writing_leaves_no_partial_batch(database, tmp_path):
    """The import fails after its cases are inserted (the rejects report cannot be written):
    nothing of the batch remains."""
    path = write_delimited(tmp_path / "list.csv",
                           [["电话"], ["13800138000"], ["13900139000"], ["bad"]], encoding="utf-8")
    blocked = tmp_path / "folder"
    blocked.write_text("a file where the rejects folder should be")
    with pytest.raises(CatiError) as caught:
        import_sample(database, "P1", path,
                      ImportOptions(rejects_path=blocked / "rejects.xlsx"))
    assert "rejects.xlsx" in str(caught.value) and "\n" not in str(caught.value)
    assert stored(database) == (0, 0)
    assert import_or_refuse(database, path).imported == 2


def test_hostile_list_on_the_command_line(run_cli, database, db_url, tmp_path):
    """The `cati sample import` command on a hostile list whose rejects report cannot be
    written: one line naming the report, exit 1, nothing imported, never a traceback.
    (tests/test_sample_import.py runs the command on broken files.)"""
    rows = [["\u202e电话", "乡镇"], ["\u200f13800138000", "😀\x01"], ["＝1+1", "\u202e"]]
    path = write_delimited(tmp_path / "hostile.csv", rows, encoding="utf-16")
    (tmp_path / "taken").write_text("a file, not a folder")
    result = run_cli("--db", db_url, "sample", "import", path, "--project", "P1",
                     "--rejects", tmp_path / "taken" / "rejects.xlsx")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "rejects.xlsx" in lines[0] and result.stdout == ""
    assert stored(database) == (0, 0)
    assert import_or_refuse(database, path).imported == 1

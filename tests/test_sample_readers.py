"""Reading phone lists: CSV encodings and delimiters, workbooks, layout detection, bad files."""

from __future__ import annotations

import datetime as dt
import pickle
import re
import shutil
import tracemalloc

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from sample_files import (
    PNG_BYTES,
    replace_in_workbook,
    write_csv,
    write_encrypted_workbook,
    write_ods,
    write_xlsx,
)

from cati.errors import CatiError
from cati.sample import xlsx_reader
from cati.sample.readers import SampleFileError, SampleLayout, SourceRow, open_sample, preview

LIST = [
    ["平舆县2024年电话调查样本"],
    ["序号", "电话", "乡镇", "姓名"],
    [1, "13800138000", "古槐街道", "王先生"],
    [2, "13900139000", "庙湾镇", "李女士"],
]


@pytest.fixture(params=["calamine", "streamed"])
def xlsx_mode(request, monkeypatch):
    """Every .xlsx test runs through calamine and through the streaming parser."""
    if request.param == "streamed":
        monkeypatch.setattr(xlsx_reader, "CALAMINE_MAX_SHEET_BYTES", 0)
    return request.param


def read(path, **options) -> tuple[SampleLayout, list[SourceRow]]:
    with open_sample(path, **options) as reader:
        return reader.layout, list(reader.rows())


def error_for(path, **options) -> str:
    with pytest.raises(SampleFileError) as caught:
        read(path, **options)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(path.name + ": "), message
    assert isinstance(caught.value, CatiError)
    return message


# -- CSV -------------------------------------------------------------------------------------
def test_gbk_csv_with_a_title_row(tmp_path):
    layout, rows = read(write_csv(tmp_path / "名单.csv", LIST, encoding="gbk"))
    assert layout == SampleLayout(
        file_name="名单.csv", sheet=None, header_row=2, columns=("序号", "电话", "乡镇", "姓名"),
        phone_column="电话", stratum_column="乡镇", encoding="gb18030", delimiter=",")
    assert rows == [
        SourceRow(3, "13800138000", "13800138000", "古槐街道", {"序号": "1", "姓名": "王先生"}),
        SourceRow(4, "13900139000", "13900139000", "庙湾镇", {"序号": "2", "姓名": "李女士"}),
    ]


def test_gb18030_only_characters_and_a_bare_phone_list(tmp_path):
    layout, rows = read(write_csv(tmp_path / "a.csv", [["电话", "村"], ["13800138000", "𠀀村"]],
                                  encoding="gb18030"))
    assert layout.encoding == "gb18030" and rows[0].stratum == "𠀀村"
    layout, rows = read(write_csv(tmp_path / "b.csv", [["手机"], ["13800138000"], ["１３９"]],
                                  encoding="gbk"))
    assert layout.phone_column == "手机" and layout.delimiter == ","
    assert [row.phone for row in rows] == ["13800138000", "１３９"]


def test_utf8_with_bom(tmp_path):
    layout, rows = read(write_csv(tmp_path / "bom.csv", LIST[1:], encoding="utf-8-sig"))
    assert layout.encoding == "utf-8-sig" and layout.columns[0] == "序号"
    assert layout.header_row == 1 and rows[0].row_number == 2


def test_utf16_with_tabs(tmp_path):
    path = write_csv(tmp_path / "list.txt", LIST, encoding="utf-16", delimiter="\t")
    layout, rows = read(path)
    assert (layout.encoding, layout.delimiter, layout.header_row) == ("utf-16", "\t", 2)
    assert [row.phone for row in rows] == ["13800138000", "13900139000"]


def test_semicolons_with_quoted_delimiters_and_line_breaks(tmp_path):
    path = write_csv(tmp_path / "semi.csv", [
        ["电话", "乡镇", "备注"],
        ["13800138000", "古槐街道", "晚上打; 周末不打"],
        ["13900139000", "庙湾镇", "第一行\n第二行\n第三行"],
        ["13700137000", "射桥镇", 'say "hi"'],
    ], delimiter=";", line_end="\n")
    layout, rows = read(path)
    assert layout.delimiter == ";"
    assert [(row.row_number, row.attributes["备注"]) for row in rows] == [
        (2, "晚上打; 周末不打"), (3, "第一行\n第二行\n第三行"), (6, 'say "hi"')]


def test_excel_text_formula_cells_in_csv_are_unwrapped(tmp_path):
    path = tmp_path / "eq.csv"
    path.write_text('电话,乡镇\n="013800138000",="古槐街道"\n', encoding="utf-8")
    _layout, rows = read(path)
    assert rows[0].phone == rows[0].phone_text == "013800138000"
    assert rows[0].stratum == "古槐街道"


def test_blank_lines_and_extra_fields(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("电话,乡镇\n\n13800138000,古槐街道,多出来的\n,,\n13900139000\n", encoding="utf-8")
    _layout, rows = read(path)
    assert [(row.row_number, row.phone, row.attributes) for row in rows] == [
        (3, "13800138000", {"column 3": "多出来的"}), (5, "13900139000", {})]


# -- workbooks -------------------------------------------------------------------------------
def test_xlsx_title_row_numbers_full_width_and_blank_rows(tmp_path, xlsx_mode):
    path = write_xlsx(tmp_path / "list.xlsx", [
        ["平舆县电话样本"],
        [],
        ["电话", "乡镇", "姓名", "年龄"],
        [13800138000, "古槐街道", "王先生", 45],
        [13800138000.0, "庙湾镇", None, None],
        [],
        [],
        ["１３９００１３９０００", "射桥镇", "李女士", 38.5],
        [1.38e10, None, None, None],
        [" +86 137 0013 7000 ", "\u3000", None, None],
    ])
    layout, rows = read(path)
    assert (layout.sheet, layout.header_row, layout.phone_column, layout.stratum_column) == (
        "Sheet1", 3, "电话", "乡镇")
    assert [row.row_number for row in rows] == [4, 5, 8, 9, 10]
    assert rows[0] == SourceRow(4, 13800138000.0, "13800138000", "古槐街道",
                                {"姓名": "王先生", "年龄": "45"})
    assert isinstance(rows[1].phone, float) and rows[1].phone_text == "13800138000"
    assert rows[2].phone == rows[2].phone_text == "１３９００１３９０００"
    assert rows[2].attributes == {"姓名": "李女士", "年龄": "38.5"}
    assert rows[3].phone_text == "13800000000" and rows[3].stratum == ""
    assert rows[4].phone == " +86 137 0013 7000 " and rows[4].stratum == ""


def test_second_sheet_by_name_and_by_index(tmp_path, xlsx_mode):
    path = write_xlsx(tmp_path / "two.xlsx", {
        "说明": [["本表为样本"]],
        "样本": [["手机", "街道"], ["13800138000", "古槐街道"]],
    })
    for sheet in ("样本", 2):
        layout, rows = read(path, sheet=sheet)
        assert layout.sheet == "样本" and rows[0].stratum == "古槐街道"
    assert "no phone column" in error_for(path)  # the first non-empty sheet is 说明
    message = error_for(path, sheet="Sheet9")
    assert "'说明', '样本'" in message and "Sheet9" in message
    assert "no sheet number 3" in error_for(path, sheet=3)


def test_first_non_empty_sheet_is_the_default(tmp_path, xlsx_mode):
    path = write_xlsx(tmp_path / "empty_first.xlsx", {"空": [], "数据": LIST[1:]})
    layout, rows = read(path)
    assert layout.sheet == "数据" and len(rows) == 2


def test_hidden_sheets_come_after_visible_ones(tmp_path, xlsx_mode):
    path = write_xlsx(tmp_path / "hidden.xlsx", {"代码表": [["电话"], ["10086"]], "样本": LIST})
    book = openpyxl.load_workbook(path)
    book["代码表"].sheet_state = "hidden"
    book.save(path)
    assert read(path)[0].sheet == "样本"
    assert read(path, sheet="1")[0].sheet == "代码表"  # a sheet number given as text


def test_data_not_starting_at_a1(tmp_path, xlsx_mode):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["C5"], sheet["D5"] = "电话", "乡镇"
    sheet["C6"], sheet["D6"] = "13800138000", "古槐街道"
    sheet["E8"] = "迟到的备注"
    book.save(tmp_path / "offset.xlsx")
    layout, rows = read(tmp_path / "offset.xlsx")
    assert layout.header_row == 5
    assert layout.columns == ("column 1", "column 2", "电话", "乡镇")
    assert [(row.row_number, row.phone, row.attributes) for row in rows] == [
        (6, "13800138000", {}), (8, None, {"column 5": "迟到的备注"})]


def test_overrides_and_attributes(tmp_path, xlsx_mode):
    path = write_xlsx(tmp_path / "o.xlsx", [
        ["编号", "姓名", "座机", "手机", "", "区县", "乡镇", "姓名"],
        ["a1", "王", "0396-1234567", "13800138000", "x", "平舆县", "古槐街道", "王二"],
    ])
    layout, rows = read(path)
    assert layout.columns == ("编号", "姓名", "座机", "手机", "column 5", "区县", "乡镇", "姓名 (2)")
    assert (layout.phone_column, layout.stratum_column) == ("手机", "乡镇")
    assert rows[0].attributes == {"编号": "a1", "姓名": "王", "座机": "0396-1234567",
                                  "column 5": "x", "区县": "平舆县", "姓名 (2)": "王二"}
    layout, rows = read(path, phone_column="座机", stratum_column="区县")
    assert rows[0].phone == "0396-1234567" and rows[0].stratum == "平舆县"
    assert rows[0].attributes["手机"] == "13800138000"
    layout, rows = read(path, header_row=2, phone_column="13800138000")
    assert layout.header_row == 2 and rows == []
    assert "'编号', '姓名', '座机'" in error_for(path, phone_column="电话号码")
    assert "no stratum column '镇'" in error_for(path, stratum_column="镇")
    assert "row 3" in error_for(path, header_row=3)


def test_header_row_override_skips_detection(tmp_path, xlsx_mode):
    path = write_xlsx(tmp_path / "h.xlsx", [
        ["电话"], ["说明: 下表"], [], ["号码", "乡镇"], ["13800138000", "古槐街道"]])
    layout, rows = read(path, header_row=4)
    assert (layout.header_row, layout.phone_column, rows[0].row_number) == (4, "号码", 5)
    assert "row 3: the header row is empty" in error_for(path, header_row=3)
    assert "there is no row 9" in error_for(path, header_row=9)


def test_header_detection_skips_id_numbers_and_titles_in_the_same_column(tmp_path, xlsx_mode):
    path = write_xlsx(tmp_path / "t.xlsx", [
        ["电话号码名单"],
        ["身份证号码", "联系电话", "所属乡镇(街道)", "区县"],
        ["411723199001011234", "13800138000", "古槐街道", "平舆县"],
    ])
    layout, _rows = read(path)
    assert (layout.header_row, layout.phone_column, layout.stratum_column) == (
        2, "联系电话", "所属乡镇(街道)")


def test_english_headers_and_no_stratum(tmp_path):
    layout, rows = read(write_csv(tmp_path / "en.csv", [["Name", "Phone Number"],
                                                        ["Wang", "13800138000"]]))
    assert (layout.phone_column, layout.stratum_column) == ("Phone Number", None)
    assert rows[0].stratum == "" and rows[0].attributes == {"Name": "Wang"}


def test_cell_types_and_inline_or_rich_text(tmp_path, xlsx_mode):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["电话", "日期", "时间", "布尔", "公式", "错误", "富文本"])
    sheet.append([13800138000, dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 8, 30), True,
                  "=1+1", "#N/A", CellRichText(["古槐", TextBlock(InlineFont(b=True), "街道")])])
    book.save(tmp_path / "types.xlsx")
    _layout, rows = read(tmp_path / "types.xlsx")
    assert rows[0].attributes == {"日期": "2024-03-05", "时间": "2024-03-05 08:30:00",
                                  "布尔": "TRUE", "富文本": "古槐街道"}
    inline = openpyxl.Workbook(write_only=True)
    sheet = inline.create_sheet("inline")
    sheet.append(["电话", "备注"])
    sheet.append(["13800138000", "a & b < c"])
    inline.save(tmp_path / "inline.xlsx")
    _layout, rows = read(tmp_path / "inline.xlsx")
    assert rows == [SourceRow(2, "13800138000", "13800138000", "", {"备注": "a & b < c"})]


def test_ods_and_content_decides_the_kind(tmp_path):
    ods = write_ods(tmp_path / "list.ods", LIST)
    layout, rows = read(ods)
    assert layout.header_row == 2 and rows[0].phone == "13800138000"
    workbook_named_csv = tmp_path / "really_a_workbook.csv"
    shutil.copy(write_xlsx(tmp_path / "w.xlsx", LIST), workbook_named_csv)
    layout, rows = read(workbook_named_csv)
    assert layout.sheet == "Sheet1" and rows[0].row_number == 3
    text_named_xlsx = tmp_path / "really_text.xlsx"
    shutil.copy(write_csv(tmp_path / "t.csv", LIST), text_named_xlsx)
    layout, rows = read(text_named_xlsx)
    assert layout.encoding == "utf-8" and len(rows) == 2


def test_preview_returns_the_layout_and_the_first_rows(tmp_path):
    rows = [["电话", "乡镇"]] + [[f"1380013{n:04d}", "古槐街道"] for n in range(50)]
    layout, first = preview(write_csv(tmp_path / "p.csv", rows), limit=5)
    assert layout.phone_column == "电话"
    assert [row.row_number for row in first] == [2, 3, 4, 5, 6]
    layout, first = preview(write_xlsx(tmp_path / "p.xlsx", rows), header_row=1, limit=2)
    assert layout.sheet == "Sheet1" and len(first) == 2


def test_rows_can_be_read_twice(tmp_path, xlsx_mode):
    with open_sample(write_xlsx(tmp_path / "twice.xlsx", LIST)) as reader:
        assert list(reader.rows()) == list(reader.rows())


# -- bad files -------------------------------------------------------------------------------
def test_png_named_xlsx_or_csv(tmp_path):
    (tmp_path / "photo.xlsx").write_bytes(PNG_BYTES)
    assert "not a spreadsheet: it is a PNG image" in error_for(tmp_path / "photo.xlsx")
    (tmp_path / "photo.csv").write_bytes(PNG_BYTES)
    assert "not a text file" in error_for(tmp_path / "photo.csv")


@pytest.mark.parametrize("name", ["secret.xlsx", "secret.xls", "secret.csv"])
def test_password_protected_workbook(tmp_path, name):
    assert "password-protected" in error_for(write_encrypted_workbook(tmp_path / name))


def test_compound_file_named_xlsx_is_taken_as_protected(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    assert "password-protected" in error_for(path)


def test_empty_files(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "the file is empty" in error_for(tmp_path / "empty.csv")
    (tmp_path / "blank.csv").write_text("\n\n  \n,,\n", encoding="utf-8")
    assert "holds no rows" in error_for(tmp_path / "blank.csv")
    assert "no sheet holds any data" in error_for(write_xlsx(tmp_path / "e.xlsx", [[]]))


def test_no_phone_column(tmp_path, xlsx_mode):
    rows = [["2024年名单"], ["姓名", "地址"], ["王", "古槐"]]
    message = error_for(write_xlsx(tmp_path / "np.xlsx", rows))
    assert "sheet 'Sheet1'" in message and "no phone column" in message
    assert "'姓名', '地址'" in message and "--phone-column" in message and "--header-row" in message
    message = error_for(write_csv(tmp_path / "np.csv", rows))
    assert "line 2: '姓名', '地址'" in message


def test_cell_over_excels_limit(tmp_path, xlsx_mode):
    long = "长" * 40_000
    path = write_xlsx(tmp_path / "long.xlsx", [["电话", "备注"], ["138", "PLACEHOLDER"]])
    message = error_for(replace_in_workbook(path, "PLACEHOLDER", long))
    assert "row 2, column '备注': a cell of 40,000 characters" in message
    message = error_for(write_csv(tmp_path / "long.csv", [["电话", "备注"], ["138", long]]))
    assert "line 2, column '备注': a cell of 40,000 characters" in message


def test_a_huge_csv_cell_is_refused_without_reading_it_whole(tmp_path):
    path = tmp_path / "huge.csv"
    cell = b"x" * 40_000_000
    path.write_bytes(b"phone,note\r\n13800138000,ok\r\n13900139000,\"" + cell + b"\"\r\n")
    del cell
    tracemalloc.start()
    try:
        message = error_for(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert re.search(r"line 3, column 'note': a cell of more than 4,19\d,\d{3} characters", message)
    assert peak < 30_000_000
    path.write_bytes(b"phone,note\r\n13900139000,\"" + b"x\n" * 1_000_000 + b"\"\r\n")
    assert "line 2, column 'note': a cell of 2,000,000 characters" in error_for(path)


def test_binary_junk_named_csv(tmp_path):
    path = tmp_path / "junk.csv"
    path.write_bytes(bytes(range(256)) * 64)
    assert "not a text file" in error_for(path)
    path.write_bytes(b"phone\r\n" + b"\x01\x02\x03\x04\x05\x06\x07\x08" * 100)
    assert "not a text file" in error_for(path)


def test_undecodable_line_is_named(tmp_path):
    path = tmp_path / "mixed.csv"
    good = "".join(f"1380013{n:04d},古槐街道\r\n" for n in range(5000))
    path.write_bytes(("电话,乡镇\r\n" + good).encode("utf-8") + "13900139000,庙湾镇\r\n".encode("gbk"))
    message = error_for(path)
    assert "line 5002: bytes that are not utf-8 text" in message


def test_zip_that_is_not_a_workbook_and_a_damaged_one(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "doc.xlsx", "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert "not a spreadsheet: it is a Word document" in error_for(tmp_path / "doc.xlsx")
    data = write_xlsx(tmp_path / "ok.xlsx", LIST).read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    assert "damaged" in error_for(tmp_path / "cut.xlsx")


def test_missing_file_and_csv_with_a_sheet(tmp_path):
    with pytest.raises(SampleFileError, match="no such file"):
        read(tmp_path / "nope.csv")
    assert "has no sheet '2'" in error_for(write_csv(tmp_path / "s.csv", LIST), sheet=2)


def test_the_error_pickles_and_keeps_its_parts():
    error = SampleFileError("bad", file_name="a.xlsx", sheet="S", row=7, column="电话")
    assert str(error) == "a.xlsx: sheet 'S': row 7, column '电话': bad"
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.row == 7 and copy.column == "电话"

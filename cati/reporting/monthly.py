"""The monthly report as an .xlsx workbook a county office can forward as it is.

Sheets, headings in Chinese: 封面 (project, fieldwork dates, sample and response figures with
RR1, RR3 and e, every index overall), one sheet per index (the township table by rank, the rule
it used and a bar chart), 与上期对比 (with an earlier wave: the tables and a chart), 访问方式 (every
index overall per interview mode: phone, field, web self-completion), 样本处置 (the AAPOR
disposition table and rates) and 意见建议 (the suggestions by category).

Numbers are written as the JSON report gives them (rounded half-up to 6 decimals) and shown with a
number format; an undefined value is the text "—". Every text cell is a string, never a formula:
a text that starts with = + - or @ also gets Excel's quote prefix, so editing it in Excel does not
turn it into one.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from cati.errors import CatiError
from cati.reporting.aapor import PROPORTIONAL
from cati.reporting.indices import ALL, MODE_LABELS, IndexRow, IndexRule, as_float

OVERALL = "总体"  # how the ALL row is named in the workbook
UNDEFINED = "—"
STRATUM_HEADING = "乡镇(街道)"
INDEX_HEADINGS = ("排名", STRATUM_HEADING, "样本量", "有效回答(分母)", "指数值", "误差范围(±)",
                  "与之并列(差异不显著)")
COMPARE_HEADINGS = ("上期值", "较上期变化")
TABLE_ROW = 11  # the heading row of an index sheet's table
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CLASS_LABELS = {"I": "完成访问", "P": "部分完成", "R": "拒访与中途中断", "NC": "未接触(合格)",
                "O": "其他(合格)", "UH": "资格未知(是否住户)", "UO": "资格未知(其他)",
                "NE": "不合格"}
# Every suggestion state; 已回访核实 counts only call-backs that found the problem solved and the
# handling satisfactory (cati.services.suggestions), the others have their own rows.
STATUS_LABELS = {"new": "待处理", "assigned": "已分派", "resolved": "已办结(待回访)",
                 "reopened": "回访未解决(已退回)", "checked": "已回访核实",
                 "unreachable": "回访未联系上", "refused": "回访拒访"}
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADING_FILL = PatternFill("solid", fgColor="DDEBF7")


def write_monthly_report(database, project_code: str, out_path: str | os.PathLike[str],
                         compare: str | None = None) -> Path:
    """Write the monthly report of ``project_code`` (against the earlier project ``compare``)
    to ``out_path``; returns the path. The file appears whole or not at all."""
    from cati.services.indices_report import monthly_figures

    out = checked_path(out_path)
    with database.unit(immediate=False) as session:
        figures = monthly_figures(session, project_code, compare)
    save(monthly_workbook(figures), out, stamp=figures.generated_at)
    return out


def write_report(database, project_code: str, out_path: str | os.PathLike[str],
                 compare: str | None = None) -> Path:
    """The monthly report in the form the file's extension names: .docx the Word 通报
    (:mod:`cati.reporting.bulletin`), .xlsx this workbook; anything else is refused before any
    work."""
    suffix = Path(out_path).suffix.lower()
    if suffix == ".docx":
        from cati.reporting.bulletin import write_bulletin

        return write_bulletin(database, project_code, out_path, compare)
    if suffix != ".xlsx":
        raise CatiError(f"{out_path}: name a file ending in .docx (the Word report) or .xlsx "
                        "(the workbook)")
    return write_monthly_report(database, project_code, out_path, compare)


def write_indices_workbook(report, out_path: str | os.PathLike[str]) -> Path:
    """The index sheets alone (``cati report indices --xlsx``)."""
    out = checked_path(out_path)
    book = Workbook()
    book.remove(book.active)
    _index_sheets(book, report)
    if report.rule.compare:
        _trend_sheet(book, report)
    save(book, out, stamp=report.rule.frozen_at)  # a closed wave's: byte-identical again
    return out


def monthly_workbook(figures) -> Workbook:
    """The whole report from :func:`cati.services.indices_report.monthly_figures`."""
    book = Workbook()
    _cover_sheet(book.active, figures)
    _index_sheets(book, figures.indices)
    if figures.indices.rule.compare:
        _trend_sheet(book, figures.indices)
    _mode_sheet(book.create_sheet("访问方式"), figures.indices)
    _disposition_sheet(book.create_sheet("样本处置"), figures)
    _suggestion_sheet(book.create_sheet("意见建议"), figures.suggestions)
    if figures.qc:  # only once a listening sample was drawn: earlier reports stay as they were
        _qc_sheet(book.create_sheet("录音抽查"), figures.qc)
    return book


def checked_path(out_path: str | os.PathLike[str], suffix: str = ".xlsx",
                 kind: str = "the report is an Excel workbook: name a file ending in .xlsx"
                 ) -> Path:
    """``out_path`` when it ends in ``suffix`` and its folder exists, else one line."""
    out = Path(out_path)
    if out.suffix.lower() != suffix:
        raise CatiError(f"{out}: {kind}")
    if not out.parent.is_dir():
        raise CatiError(f"{out}: the folder does not exist")
    return out


def save(book: Workbook, out: Path, *, stamp: dt.datetime | None = None) -> None:
    """Write next to ``out`` and rename, so a reader never sees half a workbook.

    With ``stamp`` the file is a function of its content alone: the workbook's created and
    modified properties and every zip entry's time are ``stamp`` (a closed wave's report, stamped
    with its close, regenerates byte-identical)."""
    if stamp is not None:
        write_whole(out, _stamped(book, stamp))
        return
    buffer = io.BytesIO()
    book.save(buffer)
    write_whole(out, buffer.getvalue())


def write_whole(out: Path, data: bytes) -> None:
    """Write ``data`` next to ``out`` and rename it there: a reader sees the old file or the
    new one, never half of one; a failure is one line and leaves no temporary file."""
    handle, temporary = tempfile.mkstemp(suffix=out.suffix, dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, out)
    except OSError as exc:
        raise CatiError(f"{out}: cannot write ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _stamped(book: Workbook, stamp: dt.datetime) -> bytes:
    """The workbook's bytes with every time in it set to ``stamp`` (UTC)."""
    from openpyxl.writer.excel import ExcelWriter

    utc = stamp.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    book.properties.created = book.properties.modified = utc
    raw = io.BytesIO()
    writer = ExcelWriter(book, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED))
    writer.save()  # (openpyxl's save_workbook would set modified to now)
    fixed = io.BytesIO()
    when = (max(utc.year, 1980), utc.month, utc.day, utc.hour, utc.minute, utc.second)
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, source.read(entry.filename))
    return fixed.getvalue()


# -- cells ---------------------------------------------------------------------------------------

def put(sheet: Worksheet, row: int, column: int, value, number_format: str | None = None,
        font: Font | None = None):
    """Write one cell; a text is always a string (never a formula)."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:32_000]
        cell.value = value
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    else:
        cell.value = value
        if number_format and value is not None:
            cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def _heading(sheet: Worksheet, row: int, titles: Sequence[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = put(sheet, row, column, title, font=BOLD)
        cell.fill = HEADING_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width


def _number(value, number_format: str):
    shown = as_float(value)
    return (UNDEFINED, None) if shown is None else (shown, number_format)


def _formats(rule: IndexRule) -> tuple[str, str]:
    """(value format, change format): shares as percentages, points with two decimals."""
    if rule.share:
        return "0.0%", "+0.0%;-0.0%;0.0%"
    return "0.00", "+0.00;-0.00;0.00"


def stratum_text(stratum: str) -> str:
    return OVERALL if stratum == ALL else stratum


def _sheet_title(book: Workbook, wanted: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "", wanted).strip("'")[:31] or "指数"
    taken = {sheet.title for sheet in book.worksheets}
    candidate, number = title, 2
    while candidate in taken:
        suffix = f"_{number}"
        candidate, number = title[:31 - len(suffix)] + suffix, number + 1
    return candidate


# -- index sheets --------------------------------------------------------------------------------

def _index_sheets(book: Workbook, report) -> None:
    for rule in report.rule.indices:
        sheet = book.create_sheet(_sheet_title(book, rule.label))
        _index_sheet(sheet, report, rule)


def _index_sheet(sheet: Worksheet, report, rule: IndexRule) -> None:
    put(sheet, 1, 1, f"{rule.label}({rule.name})", font=TITLE)
    put(sheet, 2, 1, f"项目:{report.project_name}({report.project_code});问卷 "
                     f"{report.rule.form_id} 版本 {report.rule.form_version}")
    put(sheet, 3, 1, f"计算方法:{report.rule.describe_index(rule)}")
    for offset, line in enumerate(report.rule.describe_counting()):
        put(sheet, 4 + offset, 1, line)
    comparing = report.rule.compare is not None
    headings = INDEX_HEADINGS + (COMPARE_HEADINGS if comparing else ())
    _heading(sheet, TABLE_ROW, headings)
    value_format, change_format = _formats(rule)
    rows = report.rows_of(rule.name)
    for offset, row in enumerate(rows, start=1):
        _index_row(sheet, TABLE_ROW + offset, row, value_format, change_format, comparing)
    _widths(sheet, (7, 16, 9, 12, 10, 12, 30, 10, 12))
    sheet.freeze_panes = sheet.cell(row=TABLE_ROW + 1, column=1)
    ranked = [row for row in rows if row.stratum != ALL and row.value is not None]
    if ranked:
        _bar_chart(sheet, rule, TABLE_ROW + 2, TABLE_ROW + 1 + len(ranked), value_format)


def _index_row(sheet: Worksheet, at: int, row: IndexRow, value_format: str, change_format: str,
               comparing: bool) -> None:
    put(sheet, at, 1, UNDEFINED if row.rank is None else row.rank)
    put(sheet, at, 2, stratum_text(row.stratum), font=BOLD if row.stratum == ALL else None)
    put(sheet, at, 3, row.n)
    put(sheet, at, 4, row.denominator)
    put(sheet, at, 5, *_number(row.value, value_format))
    put(sheet, at, 6, *_number(row.moe, value_format))
    put(sheet, at, 7, "、".join(row.tied_with))
    if comparing:
        put(sheet, at, 8, *_number(row.earlier, value_format))
        put(sheet, at, 9, *_number(row.change, change_format))


def _bar_chart(sheet: Worksheet, rule: IndexRule, first: int, last: int, value_format: str) -> None:
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = f"{rule.label}(按排名)"
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=5, min_row=first, max_row=last), titles_from_data=False)
    chart.set_categories(Reference(sheet, min_col=2, min_row=first, max_row=last))
    chart.x_axis.scaling.orientation = "maxMin"  # rank 1 at the top
    chart.y_axis.number_format = value_format
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height = max(7.5, 0.6 * (last - first + 1) + 2)
    chart.width = 16
    sheet.add_chart(chart, "K2")


# -- trend ---------------------------------------------------------------------------------------

def _trend_sheet(book: Workbook, report) -> None:
    sheet = book.create_sheet(_sheet_title(book, "与上期对比"))
    put(sheet, 1, 1, f"与上期对比:本期 {report.project_name}({report.project_code}),上期 "
                     f"{report.compare_name}({report.rule.compare})", font=TITLE)
    put(sheet, 2, 1, "变化 = 本期 − 上期;两期按同一规则计算;空白表示无法计算")
    _heading(sheet, 4, ("指标", STRATUM_HEADING, "上期", "本期", "变化"))
    at = 5
    headline: tuple[int, int] | None = None
    for rule in report.rule.indices:
        value_format, change_format = _formats(rule)
        rows = report.rows_of(rule.name)
        if headline is None and len(rows) > 1:
            headline = (at + 1, at + len(rows) - 1)  # the first index's strata (ALL excluded)
        for row in rows:
            put(sheet, at, 1, rule.label)
            put(sheet, at, 2, stratum_text(row.stratum))
            put(sheet, at, 3, as_float(row.earlier), value_format)
            put(sheet, at, 4, as_float(row.value), value_format)
            put(sheet, at, 5, as_float(row.change), change_format)
            at += 1
    _widths(sheet, (22, 16, 10, 10, 10))
    sheet.freeze_panes = "A5"
    if headline is not None:
        rule = report.rule.indices[0]
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "clustered"
        chart.title = f"{rule.label}:上期与本期"
        chart.add_data(Reference(sheet, min_col=3, max_col=4, min_row=headline[0],
                                 max_row=headline[1]), titles_from_data=False)
        for series, title in zip(chart.series, ("上期", "本期"), strict=True):
            series.tx = SeriesLabel(v=title)
        chart.set_categories(Reference(sheet, min_col=2, min_row=headline[0],
                                       max_row=headline[1]))
        chart.y_axis.number_format = _formats(rule)[0]
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.width, chart.height = 24, 10
        sheet.add_chart(chart, "G4")


# -- cover ---------------------------------------------------------------------------------------

def _cover_sheet(sheet: Worksheet, figures) -> None:
    report = figures.indices
    sheet.title = "封面"
    put(sheet, 1, 1, f"{report.project_name} 月度测评报告", font=TITLE)
    zone = ZoneInfo(figures.time_zone)
    first, last = figures.first_interview, figures.last_interview
    counts = Counter(figures.class_counts)
    rates = figures.rates
    e_method = "按比例分配估计" if rates.get("e_method") == PROPORTIONAL else "项目给定"
    facts: list[tuple[str, object, str | None]] = [
        ("项目", f"{report.project_name}({report.project_code})", None),
        ("问卷", f"{report.rule.form_id} 版本 {report.rule.form_version}", None),
        ("调查时间", f"{first.isoformat()} 至 {last.isoformat()}" if first and last
         else "尚无访问", None),
        ("对比的上期", f"{report.compare_name}({report.rule.compare})" if report.rule.compare
         else "无", None),
        ("样本号码数", figures.cases, "0"),
        ("完成访问(I)", counts["I"], "0"),
        ("部分完成(P)", counts["P"], "0"),
        ("拒访与中途中断(R)", counts["R"], "0"),
        ("未接触(NC)", counts["NC"], "0"),
        ("其他合格(O)", counts["O"], "0"),
        ("资格未知(UH+UO)", counts["UH"] + counts["UO"], "0"),
        ("不合格(NE)", counts["NE"], "0"),
        ("计入指数的访问", report.interviews, "0"),
        ("应答率 RR1", _or_undefined(rates.get("RR1")), "0.0%"),
        ("应答率 RR3", _or_undefined(rates.get("RR3")), "0.0%"),
        (f"e(资格未知中合格的比例,{e_method})", _or_undefined(rates.get("e")), "0.000"),
        ("生成时间", figures.generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), None),
    ]
    for row, (label, value, number_format) in enumerate(facts, start=3):
        put(sheet, row, 1, label, font=BOLD)
        put(sheet, row, 2, value, number_format)
    at = 3 + len(facts) + 1
    put(sheet, at, 1, "计算规则", font=BOLD)
    for line in report.rule.describe_counting():
        at += 1
        put(sheet, at, 1, line)
    at += 2
    _cover_indices(sheet, report, at)
    _widths(sheet, (30, 40, 12, 12, 12, 12))


def _cover_indices(sheet: Worksheet, report, at: int) -> None:
    comparing = report.rule.compare is not None
    _heading(sheet, at, ("指标", "总体值", "误差范围(±)", "有效回答(分母)")
             + (("较上期变化",) if comparing else ()))
    for rule in report.rule.indices:
        overall = report.rows_of(rule.name)[0]
        value_format, change_format = _formats(rule)
        at += 1
        put(sheet, at, 1, rule.label)
        put(sheet, at, 2, *_number(overall.value, value_format))
        put(sheet, at, 3, *_number(overall.moe, value_format))
        put(sheet, at, 4, overall.denominator)
        if comparing:
            put(sheet, at, 5, *_number(overall.change, change_format))


def _or_undefined(value):
    return UNDEFINED if value is None else value


# -- dispositions and suggestions ----------------------------------------------------------------

def _mode_sheet(sheet: Worksheet, report) -> None:
    """Every index overall, per interview mode: a mode effect (web respondents answering
    otherwise than on the phone) shows here before it moves a township's rank."""
    put(sheet, 1, 1, "按访问方式的指数(总体)", font=TITLE)
    put(sheet, 2, 1, "分母为该指数计入的回答数(第一行为计入指数的访问数);误差为 95% 置信水平。")
    modes = report.modes
    titles = ["指数"]
    for mode in modes:
        label = MODE_LABELS.get(mode, mode)
        titles += [f"{label} 分母", f"{label} 指数", f"{label} ±误差"]
    _heading(sheet, 4, titles)
    at = 5
    put(sheet, at, 1, "计入指数的访问", font=BOLD)
    for column, mode in enumerate(modes):
        put(sheet, at, 2 + 3 * column, report.interviews_by_mode.get(mode, 0), "0")
    for rule in report.rule.indices:
        at += 1
        value_format, _ = _formats(rule)
        put(sheet, at, 1, rule.label)
        rows = {row.stratum: row for row in report.mode_rows_of(rule.name)}
        for column, mode in enumerate(modes):
            row = rows.get(mode)
            if row is None:
                continue
            put(sheet, at, 2 + 3 * column, row.denominator, "0")
            put(sheet, at, 3 + 3 * column, *_number(row.value, value_format))
            put(sheet, at, 4 + 3 * column, *_number(row.moe, value_format))
    _widths(sheet, (30, *([10, 10, 10] * len(modes))))
    sheet.freeze_panes = sheet.cell(row=5, column=2)


def _disposition_sheet(sheet: Worksheet, figures) -> None:
    put(sheet, 1, 1, "样本处置结果(AAPOR 标准定义)", font=TITLE)
    _heading(sheet, 3, ("代码", "名称", "English", "AAPOR 类别", "类别说明", "最终结果", "号码数"))
    at = 3
    for entry in figures.dispositions:
        at += 1
        put(sheet, at, 1, entry.code or UNDEFINED)
        put(sheet, at, 2, entry.label_zh)
        put(sheet, at, 3, entry.label_en)
        put(sheet, at, 4, entry.aapor_class)
        put(sheet, at, 5, CLASS_LABELS.get(entry.aapor_class, entry.aapor_class))
        put(sheet, at, 6, "是" if entry.final else "否")
        put(sheet, at, 7, entry.cases, "0")
    at += 1
    put(sheet, at, 1, "合计", font=BOLD)
    put(sheet, at, 7, figures.cases, "0", font=BOLD)
    at += 2
    _heading(sheet, at, ("AAPOR 类别", "说明", "号码数"))
    for aapor_class, label in CLASS_LABELS.items():
        at += 1
        put(sheet, at, 1, aapor_class)
        put(sheet, at, 2, label)
        put(sheet, at, 3, figures.class_counts.get(aapor_class, 0), "0")
    at += 2
    _heading(sheet, at, ("比率", "数值"))
    for name, value in figures.rates.items():
        if name == "e_method":
            continue
        at += 1
        put(sheet, at, 1, name)
        put(sheet, at, 2, _or_undefined(value), "0.0%" if name != "e" else "0.000")
    _widths(sheet, (12, 26, 30, 12, 20, 10, 10))


def _suggestion_sheet(sheet: Worksheet, suggestions) -> None:
    put(sheet, 1, 1, "群众意见建议(按类别)", font=TITLE)
    if not suggestions:
        put(sheet, 3, 1, "本期没有意见建议记录。")
        return
    by_category = Counter(entry.category or "未分类" for entry in suggestions)
    _heading(sheet, 3, ("类别", "条数"))
    at = 3
    for category, count in by_category.items():  # in the entries' (category) order
        at += 1
        put(sheet, at, 1, category)
        put(sheet, at, 2, count, "0")
    at += 2
    by_status = Counter(entry.status for entry in suggestions)
    _heading(sheet, at, ("处理状态", "条数"))
    for status in (*STATUS_LABELS, *sorted(set(by_status) - set(STATUS_LABELS))):
        at += 1
        put(sheet, at, 1, STATUS_LABELS.get(status, status))
        put(sheet, at, 2, by_status.get(status, 0), "0")
    at += 2
    _heading(sheet, at, ("序号", "类别", "意见建议", STRATUM_HEADING, "处理状态", "责任单位"))
    for number, entry in enumerate(suggestions, start=1):
        at += 1
        put(sheet, at, 1, number)
        put(sheet, at, 2, entry.category or "未分类")
        put(sheet, at, 3, entry.text).alignment = Alignment(wrap_text=True, vertical="top")
        put(sheet, at, 4, entry.stratum)
        put(sheet, at, 5, STATUS_LABELS.get(entry.status, entry.status))
        put(sheet, at, 6, entry.responsible_unit or "")
    _widths(sheet, (8, 12, 60, 14, 10, 16))



def _qc_sheet(sheet: Worksheet, figures) -> None:
    """Quality control by listening per interviewer (cati.services.qc): drawn, scored, the
    mean of each criterion (1–5, 5 best) and the interviews judged invalid (voided)."""
    put(sheet, 1, 1, "录音抽查(按访问员)", font=TITLE)
    put(sheet, 2, 1, "评分 1–5 分,5 分最好;判定无效的访问已作废,不计入指数。")
    _heading(sheet, 4, ("访问员", "有录音的成功访问", "抽查数", "已评分", "照本宣读", "无诱导",
                        "编码正确", "礼貌", "判定无效"))
    for at, figure in enumerate(figures, start=5):
        put(sheet, at, 1, figure.interviewer)
        put(sheet, at, 2, figure.recorded, "0")
        put(sheet, at, 3, figure.drawn, "0")
        put(sheet, at, 4, figure.scored, "0")
        for column, key in enumerate(("read", "leading", "coding", "polite"), start=5):
            put(sheet, at, column, *_number(figure.means[key], "0.00"))
        put(sheet, at, 9, figure.invalid, "0")
    _widths(sheet, (14, 16, 8, 8, 10, 10, 10, 8, 10))

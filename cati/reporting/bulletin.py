"""The monthly 通报 as a Word document (.docx) a centre sends to the county's leaders as it is.

Order, as a leader reads it: the heading (centre, wave, fieldwork dates), 一 the month in a few
sentences generated from the numbers, 二 one table ranking every township by the composite
(value, margin, n, rank, last month's rank and the change) with its bar chart, 三 the four
agencies with the share answering 不了解, 四 targets and whether they were met, 五 the year so far
(a line chart over the earlier waves), 六 the suggestions by category and by responsible unit with
solved rates, 七 how the numbers were computed; then one page per township, its own bulletin.

The file is deterministic: the same data gives the same bytes (a closed wave's report can be
made again and compared). Its dates are the data's last moment, never the clock; the zip entries
carry a fixed time; the charts' PNGs carry no metadata.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from cati.reporting import charts
from cati.reporting.indices import ALL, round_half_up
from cati.reporting.monthly import checked_path, write_whole
from cati.services.bulletin import (
    AgencyRow,
    BulletinFigures,
    RankedRow,
    SuggestionGroup,
    bulletin_figures,
    earlier_codes,
)

TITLE = "公众安全感和满意度测评月度通报"
RANK_HEADINGS = ("排名", "乡镇(街道)", "综合指数", "误差(±)", "样本量", "上月排名", "名次变化",
                 "较上月")
NOT_RANKED = "不排名"  # the rank cell of a township below min_n
UNDEFINED = "—"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
BODY_FONT, HEADING_FONT = "宋体", "黑体"


def write_bulletin(database, project_code: str, out_path: str | os.PathLike[str],
                   compare: str | None = None, *, as_of: dt.datetime | None = None) -> Path:
    """Write the Word report of ``project_code`` to ``out_path`` (whole or not at all).
    The earlier waves are the series' (or the ``earlier_projects`` setting); ``compare`` names
    last month instead."""
    from cati.services.indices_report import _project

    out = checked_docx(out_path)
    with database.unit(immediate=False) as session:
        project = _project(session, project_code)
        earlier = earlier_codes(session, project)
        if compare is not None:
            earlier = [code for code in earlier if code != compare] + [compare]
        figures = bulletin_figures(session, project_code, earlier, as_of=as_of)
    write_whole(out, bulletin_bytes(figures))
    return out


def checked_docx(out_path: str | os.PathLike[str]) -> Path:
    return checked_path(out_path, ".docx", "the Word report is a .docx file")


def bulletin_bytes(figures: BulletinFigures) -> bytes:
    """The .docx file's bytes, the same for the same figures."""
    document = _document(figures)
    raw = io.BytesIO()
    document.save(raw)
    return _fixed_zip(raw.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry's time fixed (python-docx stamps the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


# -- numbers as text -----------------------------------------------------------------------------

def value_text(value, share: bool) -> str:
    if value is None:
        return UNDEFINED
    return f"{round_half_up(value * 100, 1)}%" if share else f"{round_half_up(value, 2)}"


def margin_text(value, share: bool) -> str:
    if value is None:
        return UNDEFINED
    return f"±{round_half_up(value * 100, 1)}%" if share else f"±{round_half_up(value, 2)}"


def change_text(value, share: bool) -> str:
    """A change: percentage points for shares (个百分点 is what a leader reads), else points."""
    if value is None:
        return UNDEFINED
    shown = round_half_up(value * 100 if share else value, 1 if share else 2)
    return f"{shown:+}" if shown != 0 else "0.0" if share else "0.00"


def points_phrase(value, share: bool) -> str:
    shown = abs(round_half_up(value * 100 if share else value, 1 if share else 2))
    return f"{shown}个百分点" if share else f"{shown}分"


def rank_change_text(row: RankedRow) -> str:
    moved = row.rank_change
    if moved is None:
        return UNDEFINED
    return "持平" if moved == 0 else (f"↑{moved}" if moved > 0 else f"↓{-moved}")


def rank_text(row: RankedRow) -> str:
    if row.small:
        return NOT_RANKED
    return UNDEFINED if row.rank is None else str(row.rank)


def share_text(value: Fraction | None) -> str:
    return UNDEFINED if value is None else f"{round_half_up(value * 100, 1)}%"


def day_text(day: dt.date | None) -> str:
    return UNDEFINED if day is None else f"{day.year}年{day.month}月{day.day}日"


# -- the analysis --------------------------------------------------------------------------------

def analysis(figures: BulletinFigures) -> list[str]:
    """The written analysis: sentences made from the numbers, in the order a leader asks."""
    share = figures.composite_share
    label = figures.composite_label
    sentences = []
    overall = figures.overall
    report = figures.report
    headline = f"本期全县{label}为{value_text(overall.value, share)}"
    if overall.change is not None:
        headline += (f",较上月{'上升' if overall.change > 0 else '下降'}"
                     f"{points_phrase(overall.change, share)}" if overall.change != 0
                     else ",与上月持平")
    parts = []
    for index in ("safety_rate", "law_enforcement_sat"):
        row = next((r for r in report.rows_of(index) if r.stratum == ALL), None)
        rule = next((r for r in report.rule.indices if r.name == index), None)
        if row is not None and rule is not None and index != figures.composite_index:
            parts.append(f"{rule.label}{value_text(row.value, rule.share)}")
    sentences.append(headline + (";其中" + "、".join(parts) if parts else "") + "。")
    ranked = [row for row in figures.ranking if row.rank is not None]
    if ranked:
        top, bottom = ranked[0], ranked[-1]
        tops = [row.stratum for row in ranked if row.rank == top.rank]
        bottoms = [row.stratum for row in ranked if row.rank == bottom.rank]
        text = (f"在参与排名的{len(ranked)}个乡镇(街道)中,{'、'.join(tops)}以"
                f"{value_text(top.value, share)}位居第一")
        if bottom.rank != top.rank:
            text += (f",{'、'.join(bottoms)}以{value_text(bottom.value, share)}排名最后,"
                     f"首尾相差{points_phrase(top.value - bottom.value, share)}")
        sentences.append(text + "。")
    else:
        sentences.append(f"本期没有样本量达到{figures.min_n}的乡镇(街道),暂不排名。")
    movers = [row for row in ranked if row.rank_change]
    if movers:
        up = max(movers, key=lambda row: (row.rank_change, -(row.rank or 0)))
        down = min(movers, key=lambda row: (row.rank_change, row.rank or 0))
        moves = []
        if up.rank_change > 0:
            moves.append(f"{up.stratum}上升最多,由上月第{up.earlier_rank}名升至第{up.rank}名")
        if down.rank_change < 0:
            moves.append(f"{down.stratum}下降最多,由上月第{down.earlier_rank}名降至第"
                         f"{down.rank}名")
        if moves:
            sentences.append("与上月相比," + ";".join(moves) + "。")
    missed = [row for row in figures.targets if row.met is False]
    if missed:
        parts = []
        for index in dict.fromkeys(row.index for row in missed):
            names = [row.stratum for row in missed if row.index == index]
            label = next(row.label for row in missed if row.index == index)
            parts.append(f"{short_label(label)}未达到目标的有{len(names)}个:{'、'.join(names)}")
        sentences.append(";".join(parts) + "。")
    elif figures.targets:
        sentences.append("各乡镇(街道)均已达到目标。")
    small = [row.stratum for row in figures.ranking if row.small and row.n > 0]
    if small:
        sentences.append(f"{'、'.join(small)}本期样本量不足{figures.min_n},数值仅供参考,"
                         "未参与排名。")
    empty = [row.stratum for row in figures.ranking if row.n == 0]
    if empty:
        sentences.append(f"{'、'.join(empty)}本期没有完成访问,未参与排名。")
    agencies = [row for row in figures.agencies if row.value is not None]
    if agencies:
        lowest = min(agencies, key=lambda row: row.value)
        text = f"政法各部门中,{lowest.label}最低({value_text(lowest.value, True)})"
        unknown = [row for row in agencies if row.unknown_share is not None]
        if unknown:
            most = max(unknown, key=lambda row: row.unknown_share)
            text += (f";回答“不了解”比例最高的是{_agency_name(most)}"
                     f"({share_text(most.unknown_share)}),提高群众对其工作的知晓度有助于提升"
                     "满意率")
        sentences.append(text + "。")
    received = sum(group.received for group in figures.by_category)
    if received:
        busiest = max(figures.by_category, key=lambda group: group.received)
        solved = sum(group.solved for group in figures.by_category)
        sentences.append(f"本期共收集群众意见建议{received}条,反映最多的是{busiest.name}"
                         f"({busiest.received}条);经回访确认解决{solved}条,解决率"
                         f"{share_text(Fraction(solved, received))}。")
    if figures.overdue_units:
        sentences.append("逾期未办结的单位:" + "、".join(
            f"{unit}({count}件)" for unit, count in figures.overdue_units) + "。")
    return sentences


def short_label(label: str) -> str:
    """A label without its parenthesised explanation, for table headings and lists."""
    return label.split("(")[0] or label


def _agency_name(row: AgencyRow) -> str:
    return row.label.removesuffix("满意率")


# -- the document --------------------------------------------------------------------------------

def _document(figures: BulletinFigures):
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.4)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.0)
    _styles(document)
    _properties(document, figures)
    _heading_block(document, figures)
    _section_summary(document, figures)
    _section_ranking(document, figures)
    _section_agencies(document, figures)
    _section_targets(document, figures)
    _section_trend(document, figures)
    _section_suggestions(document, figures)
    _section_method(document, figures)
    for stratum in figures.report.strata:
        _township_page(document, figures, stratum)
    return document


def _styles(document) -> None:
    from docx.shared import Pt, RGBColor

    for name, font, size, bold in (("Normal", BODY_FONT, 10.5, False),
                                   ("Heading 1", HEADING_FONT, 14, True),
                                   ("Heading 2", HEADING_FONT, 12, True),
                                   ("Title", HEADING_FONT, 20, True)):
        style = document.styles[name]
        style.font.name = font
        style.font.size = Pt(size)
        style.font.bold = bold
        if name != "Normal":
            style.font.color.rgb = RGBColor(0, 0, 0)
        _east_asian(style.element.get_or_add_rPr(), font)
    document.styles["Normal"].paragraph_format.space_after = Pt(4)
    document.styles["Normal"].paragraph_format.line_spacing = 1.25


def _east_asian(rpr, font: str) -> None:
    from docx.oxml.ns import qn

    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), font)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)


def _properties(document, figures: BulletinFigures) -> None:
    when = figures.as_of.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None)
    core = document.core_properties
    core.title = f"{figures.report.project_name} {TITLE}"
    core.subject = TITLE
    core.author = figures.centre_name
    core.last_modified_by = figures.centre_name
    core.created = core.modified = core.last_printed = when
    core.revision = 1
    core.comments = f"{figures.report.project_code}"
    core.keywords = "公众安全感;满意度;通报"
    core.category = TITLE
    core.identifier = figures.report.project_code


def _paragraph(document, text: str = "", *, bold: bool = False, size: float | None = None,
               center: bool = False, style: str | None = None, indent: bool = False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = document.add_paragraph(style=style)
    if text:
        run = paragraph.add_run(text)
        run.bold = bold or None
        if size:
            run.font.size = Pt(size)
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(21)
    return paragraph


def _heading(document, text: str, level: int = 1):
    return document.add_heading(text, level=level)


def _table(document, headings: Sequence[str], rows: Sequence[Sequence[str]],
           widths: Sequence[float] | None = None, *, bold_rows: Sequence[int] = (),
           grey_rows: Sequence[int] = ()):
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt
    from docx.table import _Cell

    table = document.add_table(rows=1 + len(rows), cols=len(headings))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if widths:
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)
    # python-docx's table.cell() walks the whole grid on every call: take the cells once
    grid = [[_Cell(tc, table) for tc in tr.tc_lst] for tr in table._tbl.tr_lst]
    for row_index, values in enumerate([headings, *rows]):
        for column, value in enumerate(values):
            cell = grid[row_index][column]
            cell.text = ""
            paragraph = cell.paragraphs[0]
            paragraph.alignment = (WD_ALIGN_PARAGRAPH.LEFT if column == 1 and len(headings) > 4
                                   and row_index else WD_ALIGN_PARAGRAPH.CENTER)
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.paragraph_format.line_spacing = 1.0
            run = paragraph.add_run(str(value))
            run.font.size = Pt(9)
            if row_index == 0 or row_index - 1 in bold_rows:
                run.bold = True
            shade = "D9E2F3" if row_index == 0 else ("F2F2F2" if row_index - 1 in grey_rows
                                                     else None)
            if shade:
                properties = cell._tc.get_or_add_tcPr()
                fill = properties.makeelement(qn("w:shd"), {qn("w:val"): "clear",
                                                            qn("w:color"): "auto",
                                                            qn("w:fill"): shade})
                properties.append(fill)
            if widths:
                cell.width = Cm(widths[column])
    # the heading row repeats on every page the table runs over
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(header.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))
    return table


def _picture(document, png: bytes, width_cm: float = 15.5) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    document.add_picture(io.BytesIO(png), width=Cm(width_cm))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def _heading_block(document, figures: BulletinFigures) -> None:
    monthly = figures.monthly
    report = figures.report
    _paragraph(document, figures.centre_name, size=12, center=True)
    title = document.add_paragraph(style="Title")
    title.add_run(TITLE)
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(document, f"({report.project_name})", size=12, center=True)
    zone = ZoneInfo(monthly.time_zone)
    dates = (day_text(monthly.first_interview) if monthly.first_interview ==
             monthly.last_interview else
             f"{day_text(monthly.first_interview)}至{day_text(monthly.last_interview)}")
    facts = (f"调查时间:{dates}"
             f"    数据截至:{figures.as_of.astimezone(zone).strftime('%Y-%m-%d %H:%M')}")
    _paragraph(document, facts, size=9, center=True)


def _section_summary(document, figures: BulletinFigures) -> None:
    monthly = figures.monthly
    report = figures.report
    counts = monthly.class_counts
    rates = monthly.rates
    _heading(document, "一、本月概况")
    modes = "、".join(f"{_mode(mode)}{count}份" for mode, count in
                     sorted(report.interviews_by_mode.items()))
    _paragraph(document, (
        f"本期测评覆盖全县{len(report.strata)}个乡镇(街道),使用样本号码{monthly.cases}个,完成访问"
        f"{counts.get('I', 0)}份,计入指数的有效问卷{report.interviews}份"
        + (f"({modes})" if modes else "") + f";应答率 RR1 为{share_text(_fraction(rates.get('RR1')))},"
        f"RR3 为{share_text(_fraction(rates.get('RR3')))}(按 AAPOR 标准计算)。"), indent=True)
    for sentence in analysis(figures):
        _paragraph(document, sentence, indent=True)
    share = figures.composite_share
    rows = [(short_label(figures.composite_label), value_text(figures.overall.value, share),
             margin_text(figures.overall.moe, share), change_text(figures.overall.change, share))]
    for rule in report.rule.indices:
        row = next(r for r in report.rows_of(rule.name) if r.stratum == ALL)
        rows.append((rule.label, value_text(row.value, rule.share),
                     margin_text(row.moe, rule.share), change_text(row.change, rule.share)))
    _table(document, ("指标(全县)", "本月", "误差(±)", "较上月"), rows, (6.0, 3.0, 3.0, 3.0),
           bold_rows=(0,))


def _fraction(value) -> Fraction | None:
    return None if value is None else Fraction(str(value))


def _mode(mode: str) -> str:
    from cati.reporting.indices import MODE_LABELS

    return MODE_LABELS.get(mode, mode)


def ranking_rows(figures: BulletinFigures) -> list[tuple[str, ...]]:
    share = figures.composite_share
    return [(rank_text(row), row.stratum, value_text(row.value, share),
             margin_text(row.moe, share), str(row.n),
             UNDEFINED if row.earlier_rank is None else str(row.earlier_rank),
             rank_change_text(row), change_text(row.change, share))
            for row in figures.ranking]


def _section_ranking(document, figures: BulletinFigures) -> None:
    _heading(document, f"二、各乡镇(街道){figures.composite_label}排名")
    rows = ranking_rows(figures)
    grey = [i for i, row in enumerate(figures.ranking) if row.small]
    _table(document, RANK_HEADINGS, rows, (1.6, 2.9, 2.0, 1.9, 1.5, 1.7, 1.7, 1.7),
           grey_rows=grey)
    _paragraph(document, (f"注:样本量不足{figures.min_n}的乡镇(街道)列出数值但不参与排名"
                          f"(标“{NOT_RANKED}”,灰底);误差为95%置信水平;名次变化“↑”为上升;"
                          + ("较上月单位为百分点。" if figures.composite_share
                             else "较上月单位为分。")), size=8)
    labels = [row.stratum for row in figures.ranking]
    target = next((row.target for row in figures.ranking if row.target is not None), None)
    png = charts.bar_chart(labels, [_float(row.value) for row in figures.ranking],
                           title=f"{figures.composite_label}(按排名)",
                           share=figures.composite_share,
                           marked=[row.small for row in figures.ranking],
                           target=_float(target) if target is not None else None)
    _picture(document, png)


def _float(value) -> float | None:
    return None if value is None else float(round_half_up(value, 6))


def _section_agencies(document, figures: BulletinFigures) -> None:
    _heading(document, "三、政法各部门满意度")
    rows = [(row.label, value_text(row.value, True), margin_text(row.moe, True),
             str(row.answers), share_text(row.unknown_share)) for row in figures.agencies]
    if not rows:
        _paragraph(document, "问卷未设政法各部门满意度题目。")
        return
    _table(document, ("部门", "满意率", "误差(±)", "回答人数", "回答“不了解”的比例"), rows,
           (5.0, 2.4, 2.4, 2.4, 3.6))
    _paragraph(document, "注:满意率 = 回答“满意”“基本满意”的人数 ÷ 回答人数(按本项目规则,"
                         "“不了解”计入分母)。", size=8)


def _section_targets(document, figures: BulletinFigures) -> None:
    _heading(document, "四、目标完成情况")
    if not figures.targets:
        _paragraph(document, "本项目未设定目标(项目设置 targets)。", indent=True)
        return
    indices = list(dict.fromkeys(row.index for row in figures.targets))
    labels = {row.index: row.label for row in figures.targets}
    by = {(row.index, row.stratum): row for row in figures.targets}
    headings = ["乡镇(街道)"]
    for index in indices:
        headings += [f"{short_label(labels[index])}目标", "本月", "是否达到"]
    rows, missed = [], []
    for stratum in dict.fromkeys(row.stratum for row in figures.targets):
        cells = [stratum]
        for index in indices:
            row = by.get((index, stratum))
            share = _share_of(figures, index)
            if row is None:
                cells += [UNDEFINED, UNDEFINED, UNDEFINED]
                continue
            cells += [value_text(row.target, share), value_text(row.value, share),
                      UNDEFINED if row.met is None else ("达到" if row.met else "未达到")]
            if row.met is False and len(rows) not in missed:
                missed.append(len(rows))
        rows.append(tuple(cells))
    width = (16.2 - 2.7) / (3 * len(indices))
    _table(document, headings, rows, (2.7, *([width] * (3 * len(indices)))),
           grey_rows=missed)
    _paragraph(document, "注:灰底为有未达到的目标。", size=8)


def _share_of(figures: BulletinFigures, index: str) -> bool:
    if index == "composite":
        return figures.composite_share
    return next((rule.share for rule in figures.report.rule.indices if rule.name == index), True)


def _section_trend(document, figures: BulletinFigures) -> None:
    _heading(document, "五、全年走势")
    points = figures.trend
    labels = [_wave_label(point) for point in points]
    share = figures.composite_share
    named = [("composite", figures.composite_label, share)]
    for name in ("safety_rate", "law_enforcement_sat"):
        rule = next((r for r in figures.report.rule.indices if r.name == name), None)
        if rule is not None and name != figures.composite_index:
            named.append((name, rule.label, rule.share))
    rows = []
    for point, label in zip(points, labels, strict=True):
        values = [value_text(point.composite, share)] + [
            value_text(point.overall.get(name), is_share) for name, _, is_share in named[1:]]
        rows.append((label, point.code, *values))
    _table(document, ("期次", "项目", *(short_label(label) for _, label, _ in named)), rows)
    if len(points) < 2:
        _paragraph(document, "(尚无往期数据:往期测评完成后在此显示走势。)", size=8)
        return
    series = [(figures.composite_label, [_float(p.composite) for p in points])]
    series += [(label, [_float(p.overall.get(name)) for p in points])
               for name, label, _ in named[1:]]
    _picture(document, charts.line_chart(labels, series, title="全县各期走势", share=share),
             14.5)


def _wave_label(point) -> str:
    return f"{point.last_day.year}年{point.last_day.month}月" if point.last_day else point.code


def _section_suggestions(document, figures: BulletinFigures) -> None:
    _heading(document, "六、群众意见建议办理情况")
    if not figures.by_category:
        _paragraph(document, "本期没有意见建议记录。", indent=True)
        return
    _heading(document, "(一)按类别", 2)
    _table(document, ("类别", "收到", "已解决(回访确认)", "办理中", "解决率"),
           _group_rows(figures.by_category), (4.5, 2.2, 3.4, 2.2, 2.4))
    _heading(document, "(二)按责任单位", 2)
    _table(document, ("责任单位", "收到", "已解决(回访确认)", "办理中", "解决率"),
           _group_rows(figures.by_unit), (4.5, 2.2, 3.4, 2.2, 2.4))
    if figures.overdue_units:
        _paragraph(document, "逾期未办结:" + "、".join(
            f"{unit}({count}件)" for unit, count in figures.overdue_units) + "。", bold=True)


def _group_rows(groups: Sequence[SuggestionGroup]) -> list[tuple[str, ...]]:
    rows = [(group.name, str(group.received), str(group.solved), str(group.open),
             share_text(group.solved_rate)) for group in groups]
    received = sum(group.received for group in groups)
    solved = sum(group.solved for group in groups)
    rows.append(("合计", str(received), str(solved), str(sum(group.open for group in groups)),
                 share_text(Fraction(solved, received) if received else None)))
    return rows


def _section_method(document, figures: BulletinFigures) -> None:
    _heading(document, "七、计算说明")
    report = figures.report
    lines = [f"{figures.composite_label}:{figures.composite_rule}。",
             f"参与排名的最低样本量:{figures.min_n}(不足者列出但不排名)。",
             *report.rule.describe_counting()]
    if figures.earlier_code:
        lines.append(f"上月数据:项目 {figures.earlier_code},按同一规则计算。")
    for line in lines:
        _paragraph(document, line, size=8.5)


def _township_page(document, figures: BulletinFigures, stratum: str) -> None:
    from docx.enum.text import WD_BREAK

    document.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
    share = figures.composite_share
    row = next(r for r in figures.ranking if r.stratum == stratum)
    _paragraph(document, figures.centre_name, size=10, center=True)
    _heading(document, f"{stratum}公众安全感和满意度测评通报")
    ranked = sum(1 for r in figures.ranking if r.rank is not None)
    if row.n == 0:
        text = f"本期{stratum}没有完成访问,暂无数据。"
    elif row.small:
        text = (f"本期{stratum}共访问{row.n}人,样本量不足{figures.min_n},"
                f"{figures.composite_label}为{value_text(row.value, share)},数值仅供参考,不参与排名。")
    elif row.rank is None:
        text = f"本期{stratum}没有可计算{figures.composite_label}的有效回答。"
    else:
        text = (f"本期{stratum}共访问{row.n}人,{figures.composite_label}为"
                f"{value_text(row.value, share)}(误差{margin_text(row.moe, share)}),"
                f"在全县参与排名的{ranked}个乡镇(街道)中排第{row.rank}名")
        if row.earlier_rank is not None:
            moved = row.rank_change or 0
            text += (f",上月第{row.earlier_rank}名"
                     + ("(名次持平)" if moved == 0 else
                        f"(上升{moved}位)" if moved > 0 else f"(下降{-moved}位)"))
        text += "。"
    if row.change is not None:
        text += (f"与上月相比{'上升' if row.change > 0 else '下降'}"
                 f"{points_phrase(row.change, share)}。" if row.change != 0 else "与上月持平。")
    _paragraph(document, text, indent=True)
    report = figures.report
    county = {r.index: r for r in report.rows if r.stratum == ALL}
    rows = [(short_label(figures.composite_label), value_text(row.value, share),
             margin_text(row.moe, share), rank_text(row), value_text(figures.overall.value, share),
             change_text(row.change, share))]
    for rule in report.rule.indices:
        mine = next((r for r in report.rows_of(rule.name) if r.stratum == stratum), None)
        if mine is None:
            continue
        ranked_as = figures.index_ranks.get((rule.name, stratum))
        rank = NOT_RANKED if row.small else (UNDEFINED if ranked_as is None else str(ranked_as))
        rows.append((rule.label, value_text(mine.value, rule.share),
                     margin_text(mine.moe, rule.share), rank,
                     value_text(county[rule.name].value, rule.share),
                     change_text(mine.change, rule.share)))
    _table(document, ("指标", "本乡镇(街道)", "误差(±)", "全县排名", "全县", "较上月"), rows,
           (5.6, 2.4, 2.0, 1.8, 2.0, 1.8), bold_rows=(0,))
    agencies = figures.agencies_by_stratum.get(stratum, ())
    unknown = [a for a in agencies if a.unknown_share is not None]
    if unknown:
        _paragraph(document, "回答“不了解”的比例:" + "、".join(
            f"{_agency_name(a)}{share_text(a.unknown_share)}" for a in unknown) + "。",
            indent=True)
    targets = [t for t in figures.targets if t.stratum == stratum]
    if targets:
        _paragraph(document, "目标:" + ";".join(
            f"{short_label(t.label)}目标{value_text(t.target, _share_of(figures, t.index))},"
            + ("未能计算" if t.met is None else "已达到" if t.met else "未达到")
            for t in targets) + "。", indent=True)
    groups = figures.by_stratum_category.get(stratum, ())
    received = sum(g.received for g in groups)
    if received:
        solved = sum(g.solved for g in groups)
        _paragraph(document, (f"本期收集群众意见建议{received}条:"
                              + "、".join(f"{g.name}{g.received}条" for g in groups)
                              + f";已回访确认解决{solved}条,解决率"
                              f"{share_text(Fraction(solved, received))}。"), indent=True)
    else:
        _paragraph(document, "本期没有收到群众意见建议。", indent=True)

"""The monthly report workbook, opened with openpyxl and checked against the JSON report."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest
from sqlalchemy import insert, select
from test_indices import EARLIER, WAVE, add_interviews, write_form

from cati.reporting.monthly import TABLE_ROW, write_monthly_report
from cati.services.projects import create_project
from cati.storage.models import Case, Interview, Project, Suggestion

# (disposition, how many): I = 3, R = 1, UH = 2 + 2 never called, NE = 1
CASES = [("1.1", 3), ("2.112", 1), ("3.13", 2), ("4.31", 1), (None, 2)]
HYPERLINK = '=HYPERLINK("http://example.com","点我")'
SUGGESTIONS = [  # (text, category, valid, status, unit)
    (HYPERLINK, "治安管理", True, "new", None),
    ("路口红绿灯坏了", "交通管理", True, "assigned", "交警大队"),
    ("没有", None, False, "new", None),  # reviewed as no suggestion: left out
    ("+86 的号码打不通", None, None, "new", None),
]


@pytest.fixture
def month(database, tmp_path):
    with database.unit() as session:
        create_project(session, "W1", write_form(tmp_path))
        create_project(session, "W0", write_form(tmp_path, version="0"))
    add_interviews(database, "W1", WAVE)
    add_interviews(database, "W0", EARLIER)
    with database.unit() as session:
        project = session.scalar(select(Project).where(Project.code == "W1"))
        rows = [(code, n) for code, count in CASES for n in range(count)]
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+8613800000{i:03d}", "disposition": code,
             "state": "closed" if code else "fresh", "attempts": 1 if code else 0,
             "priority": 0, "stratum": "", "attributes": {}, "time_zone": "Asia/Shanghai"}
            for i, (code, _) in enumerate(rows)])
        # still open past midnight in Beijing: the fieldwork ends on 21 November
        late = dt.datetime(2026, 11, 20, 17, 0, tzinfo=dt.UTC)
        session.add(Interview(project_id=project.id, questionnaire_id=project.questionnaire_id,
                              state="in_progress", stratum="甲镇", started_at=late))
        interviews = session.scalars(select(Interview.id).where(
            Interview.project_id == project.id).order_by(Interview.id)).all()
        session.add_all(Suggestion(interview_id=interviews[n], question="suggestion", text=text,
                                   category=category, valid=valid, status=status,
                                   responsible_unit=unit)
                        for n, (text, category, valid, status, unit) in enumerate(SUGGESTIONS))
    return database


def shown(value):
    return None if value == "—" else value


def sheet_rows(sheet, first: int):
    rows = []
    for row in sheet.iter_rows(min_row=first, values_only=True):
        if row[1] is None:
            break
        rows.append(row)
    return rows


def labelled(sheet, label: str):
    """The value next to ``label`` in column A."""
    for first, second in sheet.iter_rows(min_col=1, max_col=2, values_only=True):
        if isinstance(first, str) and first.startswith(label):
            return second
    raise AssertionError(f"no row '{label}'")


def test_tables_match_the_json_report(run_cli, month, db_url, tmp_path):
    out = tmp_path / "月报.xlsx"
    made = run_cli("--db", db_url, "report", "monthly", "--project", "W1", "--compare", "W0",
                   "--out", out)
    assert made.returncode == 0, made.stderr
    document = json.loads(run_cli("--db", db_url, "report", "indices", "--project", "W1",
                                  "--compare", "W0", "--json").stdout)
    book = openpyxl.load_workbook(out)
    names = [index["name"] for index in document["rule"]["indices"]]
    assert book.sheetnames[0] == "封面"
    assert book.sheetnames[-4:] == ["与上期对比", "访问方式", "样本处置", "意见建议"]
    for position, name in enumerate(names, start=1):
        sheet = book.worksheets[position]
        assert sheet["A1"].value.endswith(f"({name})")
        expected = [row for row in document["rows"] if row["index"] == name]
        found = [{"index": name, "stratum": "ALL" if stratum == "总体" else stratum,
                  "n": n, "denominator": d, "value": shown(value), "moe": shown(moe),
                  "rank": shown(rank), "tied_with": tied.split("、") if tied else [],
                  "change": shown(change)}
                 for rank, stratum, n, d, value, moe, tied, _, change
                 in sheet_rows(sheet, TABLE_ROW + 1)]
        assert found == expected, name
        defined = [row for row in expected if row["stratum"] != "ALL" and row["value"] is not None]
        (chart,) = sheet._charts  # the bar chart over the ranked strata with a value
        first, last = TABLE_ROW + 2, TABLE_ROW + 1 + len(defined)
        assert chart.series[0].val.numRef.f.endswith(
            f"$E${first}" if first == last else f"$E${first}:$E${last}")
    rule_text = book.worksheets[1]["A3"].value
    assert "正面回答:安全(1)、基本安全(2)" in rule_text and "拒答(9)" in rule_text


def test_cover_dispositions_trend_and_suggestions(month, tmp_path):
    out = write_monthly_report(month, "W1", tmp_path / "report.xlsx", compare="W0")
    assert out == tmp_path / "report.xlsx" and not list(tmp_path.glob("tmp*"))
    book = openpyxl.load_workbook(out)
    cover = book["封面"]
    assert labelled(cover, "调查时间") == "2026-11-01 至 2026-11-21"
    assert labelled(cover, "样本号码数") == 9
    assert labelled(cover, "完成访问") == 3
    assert labelled(cover, "应答率 RR1") == pytest.approx(3 / 8)
    assert labelled(cover, "应答率 RR3") == pytest.approx(3 / (4 + 0.8 * 4))  # e = 4/5
    assert labelled(cover, "e(") == pytest.approx(0.8)
    assert labelled(cover, "计入指数的访问") == 11
    assert any("不含部分完成" in (row[0] or "") for row in cover.iter_rows(values_only=True))

    dispositions = {row[0]: row for row in book["样本处置"].iter_rows(min_row=4,
                                                                      values_only=True)}
    assert dispositions["2.112"][1:] == ("拒访(本人)", "Respondent refusal", "R",
                                         "拒访与中途中断", "否", 1)
    assert dispositions["—"][1] == "未拨打" and dispositions["—"][6] == 2
    assert dispositions["合计"][6] == 9

    trend = book["与上期对比"]
    rows = {(row[0], row[1]): row[2:] for row in trend.iter_rows(min_row=5, values_only=True)}
    assert rows[("安全感(率)", "甲镇")] == (0.5, 0.666667, 0.166667)
    assert rows[("安全感(率)", "总体")] == (0.25, 0.5, 0.25)
    assert rows[("安全感(率)", "乙镇")] == (None, 0.5, None)  # undefined earlier: blank
    assert len(trend._charts) == 1

    sheet = book["意见建议"]
    listed = [row for row in sheet.iter_rows(min_row=1, values_only=True) if row[0] == "序号"]
    assert listed, "no list of suggestions"
    entries = [row for row in sheet.iter_rows(values_only=True)
               if isinstance(row[0], int) and row[2] is not None]
    assert [(row[1], row[2]) for row in entries] == [
        ("交通管理", "路口红绿灯坏了"), ("治安管理", HYPERLINK), ("未分类", "+86 的号码打不通")]
    assert entries[0][4:] == ("已分派", "交警大队")


def test_the_indices_by_mode_sheet(month, tmp_path):
    with month.unit() as session:
        for interview in session.scalars(select(Interview).where(Interview.stratum == "乙镇")):
            interview.mode = "web"
    book = openpyxl.load_workbook(write_monthly_report(month, "W1", tmp_path / "report.xlsx"))
    sheet = book["访问方式"]
    assert [cell.value for cell in sheet[4]] == [
        "指数", "电话 分母", "电话 指数", "电话 ±误差", "网上自填 分母", "网上自填 指数",
        "网上自填 ±误差"]
    rows = {row[0]: row[1:] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert rows["计入指数的访问"][0] == 7 and rows["计入指数的访问"][3] == 4
    # 甲单位满意率: phone 2/6, web 3/4 (the same figures as the JSON report's by_mode)
    phone_n, phone_value, _, web_n, web_value, web_moe = rows["甲单位满意率"]
    assert (phone_n, phone_value, web_n, web_value) == (6, 0.333333, 4, 0.75)
    assert web_moe == pytest.approx(1.96 * (0.75 * 0.25 / 4) ** 0.5, abs=1e-6)
    assert sheet["C6"].number_format == "0.0%"


def test_text_is_never_a_formula(month, tmp_path):
    out = write_monthly_report(month, "W1", tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(out)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    (link,) = [cell for cell in cells if cell.value == HYPERLINK]
    assert link.data_type == "s" and link.quotePrefix
    (plus,) = [cell for cell in cells if cell.value == "+86 的号码打不通"]
    assert plus.quotePrefix


def test_without_suggestions_or_comparison(month, tmp_path):
    out = write_monthly_report(month, "W0", tmp_path / "w0.xlsx")
    book = openpyxl.load_workbook(out)
    assert "与上期对比" not in book.sheetnames
    assert book["意见建议"]["A3"].value == "本期没有意见建议记录。"
    assert book["封面"]["B6"].value == "无"  # no earlier wave
    assert book.worksheets[1].cell(TABLE_ROW, 8).value is None  # no change column


def test_refusals_leave_no_file(run_cli, month, db_url, tmp_path):
    wrong = run_cli("--db", db_url, "report", "monthly", "--project", "W1",
                    "--out", tmp_path / "report.csv")
    assert wrong.returncode == 1 and ".xlsx" in wrong.stderr
    with month.unit() as session:
        create_project(session, "OTHER", write_form(tmp_path, form_id="other"))
    out = tmp_path / "other.xlsx"
    refused = run_cli("--db", db_url, "report", "monthly", "--project", "W1", "--compare",
                      "OTHER", "--out", out)
    assert refused.returncode == 1 and "different questionnaires" in refused.stderr
    assert not out.exists() and not list(tmp_path.glob("tmp*"))

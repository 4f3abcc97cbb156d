"""Township indices against hand-computed values on small fixed data sets.

The questionnaire below has five townships (丙镇 never completes), a safety question scored and
rated with 拒答 (and for the score 说不清) left out of the denominator, two satisfaction
questions whose 不了解 counts as not satisfied, and a composite weighted 2:1. Interviews and
answers are inserted directly; every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import textwrap
from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from cati.errors import CatiError, NotFound
from cati.questionnaire.loader import load_form
from cati.reporting.indices import (
    ALL,
    Estimate,
    competition_ranks,
    index_rules,
    read_policy,
    round_half_up,
    tied_strata,
)
from cati.services.indices_report import indices_report
from cati.services.projects import create_project
from cati.storage.models import Answer, Interview, Project

FORM = """
| survey |
| | type | name | label |
| | select_one town | township | 您住在哪个乡镇? |
| | select_one safe | safety | 安全吗? |
| | select_one sat | sat_a | 对甲单位满意吗? |
| | select_one sat | sat_b | 对乙单位满意吗? |
| | select_multiple worry | worry | 担心什么? |

| choices |
| | list_name | name | label | score |
| | town | 1 | 甲镇 | |
| | town | 2 | 乙镇 | |
| | town | 3 | 丙镇 | |
| | town | 4 | 丁镇 | |
| | town | 5 | 戊镇 | |
| | safe | 1 | 安全 | 100 |
| | safe | 2 | 基本安全 | 80 |
| | safe | 3 | 不太安全 | 30 |
| | safe | 4 | 不安全 | 0 |
| | safe | 8 | 说不清 | |
| | safe | 9 | 拒答 | |
| | sat | 1 | 满意 | |
| | sat | 2 | 基本满意 | |
| | sat | 3 | 不太满意 | |
| | sat | 4 | 不满意 | |
| | sat | 8 | 不了解 | |
| | worry | 1 | 盗窃 | |
| | worry | 2 | 诈骗 | |
| | worry | 9 | 拒答 | |

| settings |
| | form_title | form_id | version | cati::stratum_question |
| | 测评 | {form_id} | {version} | township |

| indices |
| | name | label | method | source | positive | excluded | weights |
| | safety_rate | 安全感(率) | rate | safety | 1 2 | 9 | |
| | safety_score | 安全感(得分) | score | safety | | 8 9 | |
| | sat_a_rate | 甲单位满意率 | rate | sat_a | 1 2 | | |
| | sat_b_rate | 乙单位满意率 | rate | sat_b | 1 2 | | |
| | law | 执法满意度 | mean | sat_a_rate sat_b_rate | | | 2 1 |
| | theft_worry | 担心盗窃率 | rate | worry | 1 | 9 | |
"""
INDICES = ("safety_rate", "safety_score", "sat_a_rate", "sat_b_rate", "law", "theft_worry")
TOWNS = {"甲镇": "1", "乙镇": "2", "丙镇": "3", "丁镇": "4", "戊镇": "5"}
START = dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing

# (township, state, answers: safety, sat_a, sat_b, worry); None: not asked
WAVE = [
    ("甲镇", "complete", "1", "1", "1", "1 2"),
    ("甲镇", "complete", "2", "8", "1", "9"),
    ("甲镇", "complete", "3", "2", "1", "2"),
    ("甲镇", "complete", "9", "4", "3", None),
    ("乙镇", "complete", "1", "1", "2", None),
    ("乙镇", "complete", "1", "1", "8", None),
    ("乙镇", "complete", "8", "2", "8", None),
    ("乙镇", "complete", "4", "3", "1", None),
    ("乙镇", "partial", "1", "1", "1", None),
    ("丁镇", "complete", "2", "3", "1", None),
    ("丁镇", "complete", "4", "4", "2", None),
    ("戊镇", "complete", "4", None, None, None),
    ("丙镇", "screened_out", "1", None, None, None),  # never counted
]
EARLIER = [
    ("甲镇", "complete", "1", "1", "1", None),
    ("甲镇", "complete", "4", "3", "3", None),
    ("乙镇", "complete", "9", "1", "1", None),
    ("戊镇", "complete", "4", "1", "1", None),
    ("戊镇", "complete", "4", "1", "1", None),
]
RANKED = [ALL, "甲镇", "乙镇", "丁镇", "戊镇", "丙镇"]  # safety_rate: 1, 2, 2, 4, undefined


def write_form(folder: Path, form_id: str = "mini", version: str = "1") -> Path:
    """FORM as an .xlsx workbook (projects keep the workbook bytes; centres use .xlsx)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = None
    for line in textwrap.dedent(FORM).format(form_id=form_id, version=version).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|"):
            continue
        if cells[0]:  # "| survey |" opens a sheet
            sheet = book.create_sheet(cells[0])
        else:
            sheet.append([cell or None for cell in cells[1:]])
    path = folder / f"{form_id}-{version}.xlsx"
    book.save(path)
    return path


def add_interviews(database, code: str, rows) -> None:
    """Interview and Answer rows straight into the database, an hour apart from START."""
    with database.unit() as session:
        project = session.scalar(select(Project).where(Project.code == code))
        for number, (town, state, *values) in enumerate(rows):
            started = START + dt.timedelta(hours=number)
            interview = Interview(project_id=project.id, questionnaire_id=project.questionnaire_id,
                                  state=state, stratum=town, started_at=started,
                                  ended_at=started + dt.timedelta(minutes=10),
                                  disposition={"complete": "1.1", "partial": "1.2"}.get(
                                      state, "4.70"))
            session.add(interview)
            session.flush()
            answers = dict(zip(("safety", "sat_a", "sat_b", "worry"), values, strict=True))
            answers["township"] = TOWNS[town]
            session.add_all(Answer(interview_id=interview.id, question=question, value=value,
                                   answered_at=started, sequence=sequence)
                            for sequence, (question, value) in enumerate(answers.items())
                            if value is not None)


def set_policy(database, code: str, policy: dict) -> None:
    with database.unit() as session:
        project = session.scalar(select(Project).where(Project.code == code))
        project.settings = {**project.settings, "index_policy": policy}


@pytest.fixture
def waves(database, tmp_path):
    """W1 (the wave above) and W0 (an earlier one, same form_id, another version)."""
    with database.unit() as session:
        create_project(session, "W1", write_form(tmp_path))
        create_project(session, "W0", write_form(tmp_path, version="0"))
    add_interviews(database, "W1", WAVE)
    add_interviews(database, "W0", EARLIER)
    return database


def report_of(database, code: str = "W1", compare: str | None = None):
    with database.unit(immediate=False) as session:
        return indices_report(session, code, compare)


def by_stratum(report, index: str) -> dict:
    return {row.stratum: row for row in report.rows_of(index)}


def z(variance: F) -> float:
    return 1.96 * math.sqrt(variance)


# -- the arithmetic alone -------------------------------------------------------------------------

def test_competition_ranking_1224_and_undefined():
    ranks = competition_ranks({"a": F(3, 4), "b": F(1, 2), "c": F(1, 2), "d": F(1, 4), "e": None})
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4, "e": None}


def test_ties_are_symmetric_within_the_larger_margin():
    estimates = {"A": Estimate(10, F(60, 100), Decimal("0.05")),
                 "B": Estimate(10, F(52, 100), Decimal("0.10")),
                 "C": Estimate(10, F(40, 100), Decimal("0.01")),
                 "D": Estimate(0, None, None)}
    ties = tied_strata(estimates, ["A", "B", "C", "D"])
    # A–B: 0.08 ≤ max(0.05, 0.10); B–C: 0.12 > 0.10; an undefined value ties with nobody
    assert ties == {"A": ("B",), "B": ("A",), "C": (), "D": ()}


def test_round_half_up_for_display():
    assert round_half_up(F(1, 8), 2) == Decimal("0.13")
    assert round_half_up(F(-1, 8), 2) == Decimal("-0.13")  # halves away from zero
    assert round_half_up(F(2, 3), 6) == Decimal("0.666667")
    assert round_half_up(Decimal("0.0249999"), 2) == Decimal("0.02")


@pytest.mark.parametrize(("policy", "message"), [
    ({"excluded": {"nope": ["8"]}}, "has no index 'nope'"),
    ({"excluded": {"sat_a_rate": ["7"]}}, "'7' is not a choice of 'sat_a'"),
    ({"weights": {"law": [1, -1]}}, "cannot be negative"),
    ({"weights": {"law": [1, 1, 1]}}, "3 weights for 2 parts"),
    ({"weights": {"safety_rate": [1]}}, "only a mean has weights"),
    ({"excluded": {"safety_score": ["9"]}}, "choice '8' of 'safety' has no score"),
    ({"positive": {"sat_a_rate": []}}, "needs at least one positive choice"),
    ({"include_partials": "yes"}, "include_partials must be true or false"),
    ({"colour": "red"}, "unknown part 'colour'"),
])
def test_a_wrong_policy_is_refused_in_words(tmp_path, policy, message):
    form = load_form(write_form(tmp_path))
    with pytest.raises(CatiError, match=message):
        index_rules(form, read_policy({"index_policy": policy}, "W1"), "W1")


# -- per stratum, from the database ---------------------------------------------------------------

def test_rate_with_refusals_left_out(waves):
    report = report_of(waves)
    rows = report.rows_of("safety_rate")
    assert [row.stratum for row in rows] == RANKED
    got = by_stratum(report, "safety_rate")
    # 甲: 1 2 3 (9 left out) → 2/3; 乙: 1 1 8 4 (说不清 counts) → 1/2; 丁: 2 4; 戊: 4
    assert [(got[s].n, got[s].denominator, got[s].value) for s in RANKED] == [
        (11, 10, F(1, 2)), (4, 3, F(2, 3)), (4, 4, F(1, 2)), (2, 2, F(1, 2)), (1, 1, F(0)),
        (0, 0, None)]
    assert float(got["甲镇"].moe) == pytest.approx(z(F(2, 3) * F(1, 3) / 3), rel=1e-12)
    assert got["乙镇"].moe == Decimal("0.49")  # 1.96 × √(¼ · ¼)
    assert got["戊镇"].moe == 0
    assert got["丙镇"].moe is None


def test_ranks_1224_and_ties_within_one_margin(waves):
    got = by_stratum(report_of(waves), "safety_rate")
    assert [got[s].rank for s in RANKED] == [None, 1, 2, 2, 4, None]
    # margins: 甲 .533, 乙 .49, 丁 .693, 戊 0. 乙–戊 differ by .5 > .49: not tied;
    # 丁–戊 by .5 ≤ .693: tied both ways.
    assert {s: got[s].tied_with for s in RANKED} == {
        ALL: (), "甲镇": ("乙镇", "丁镇"), "乙镇": ("甲镇", "丁镇"),
        "丁镇": ("甲镇", "乙镇", "戊镇"), "戊镇": ("丁镇",), "丙镇": ()}


def test_score_is_the_mean_with_the_sample_deviation(waves):
    got = by_stratum(report_of(waves), "safety_score")
    # 甲: 100 80 30 → 70, s² = (30² + 10² + 40²)/2 = 1300; 乙: 100 100 0 (8 left out) → 200/3,
    # s² = 10000/3 so the margin is 1.96 × 100/3; 丁: 80 0 → 40, s² = 3200; 戊: one answer
    assert got["甲镇"].value == 70 and got["甲镇"].denominator == 3
    assert float(got["甲镇"].moe) == pytest.approx(z(F(1300, 3)), rel=1e-12)
    assert got["乙镇"].value == F(200, 3)
    assert float(got["乙镇"].moe) == pytest.approx(196 / 3, rel=1e-12)
    assert got["丁镇"].value == 40 and float(got["丁镇"].moe) == pytest.approx(78.4, rel=1e-12)
    assert got["戊镇"].value == 0 and got["戊镇"].moe is None  # no deviation from one answer
    assert got[ALL].value == F(490, 9) and got[ALL].denominator == 9
    assert [got[s].rank for s in ("甲镇", "乙镇", "丁镇", "戊镇", "丙镇")] == [1, 2, 3, 4, None]
    # 戊 has no margin: it ties only with 丁, whose margin (78.4) reaches it, not with 乙 (65.3)
    assert got["戊镇"].tied_with == ("丁镇",)


def test_dont_know_counts_as_not_satisfied_by_default(waves):
    got = by_stratum(report_of(waves), "sat_a_rate")
    # 甲: 1 8 2 4 → 2/4 (不了解 in the denominator); 戊 answered no satisfaction question
    assert (got["甲镇"].denominator, got["甲镇"].value) == (4, F(1, 2))
    assert (got["乙镇"].value, got["丁镇"].value) == (F(3, 4), 0)
    assert (got["戊镇"].n, got["戊镇"].denominator, got["戊镇"].value) == (1, 0, None)
    assert got["戊镇"].rank is None and got[ALL].value == F(1, 2)


def test_composite_is_the_weighted_mean_with_a_summed_margin(waves):
    report = report_of(waves)
    law, a, b = (by_stratum(report, name) for name in ("law", "sat_a_rate", "sat_b_rate"))
    # 甲: (2 × 1/2 + 3/4)/3; 乙: (2 × 3/4 + 1/2)/3; 丁: (0 + 1)/3; ALL: (2 × 1/2 + 7/10)/3
    assert [law[s].value for s in (ALL, "甲镇", "乙镇", "丁镇")] == [
        F(17, 30), F(7, 12), F(2, 3), F(1, 3)]
    assert law["甲镇"].moe == pytest.approx(Decimal(2) / 3 * a["甲镇"].moe
                                           + Decimal(1) / 3 * b["甲镇"].moe)
    assert law["甲镇"].denominator == 4
    assert (law["戊镇"].value, law["戊镇"].denominator, law["戊镇"].rank) == (None, 0, None)
    assert [row.stratum for row in report.rows_of("law")] == [
        ALL, "乙镇", "甲镇", "丁镇", "丙镇", "戊镇"]  # undefined last, in the form's order


def test_select_multiple_rate(waves):
    got = by_stratum(report_of(waves), "theft_worry")
    # 甲: "1 2" positive, "9" left out, "2" not positive → 1/2
    assert (got["甲镇"].denominator, got["甲镇"].value) == (2, F(1, 2))


def test_project_policy_changes_the_rule_and_says_so(waves):
    set_policy(waves, "W1", {"excluded": {"sat_a_rate": ["8"]}, "weights": {"law": [1, 1]},
                             "positive": {"safety_rate": ["1"]}})
    report = report_of(waves)
    a, law, safety = (by_stratum(report, n) for n in ("sat_a_rate", "law", "safety_rate"))
    assert (a["甲镇"].denominator, a["甲镇"].value) == (3, F(2, 3))  # 1 2 4, 不了解 left out
    assert a[ALL].value == F(5, 9)
    assert law["甲镇"].value == (F(2, 3) + F(3, 4)) / 2
    assert safety["甲镇"].value == F(1, 3)
    rule = report.rule.as_json()
    described = {index["name"]: index for index in rule["indices"]}
    assert described["sat_a_rate"]["excluded"] == ["8"]
    assert described["sat_a_rate"]["excluded_labels"] == ["不了解"]
    assert described["sat_a_rate"]["set_by_project"] == ["excluded"]
    assert described["law"]["weights"] == [1, 1]
    assert described["safety_rate"]["positive"] == ["1"]
    assert "不了解(8)" in report.rule.describe_index(report.rule.indices[2])


def test_partials_only_when_the_project_says_so(waves):
    assert by_stratum(report_of(waves), "safety_rate")["乙镇"].n == 4
    set_policy(waves, "W1", {"include_partials": True})
    report = report_of(waves)
    got = by_stratum(report, "safety_rate")
    assert (got["乙镇"].n, got["乙镇"].value) == (5, F(3, 5))  # 1 1 8 4 + the partial's 1
    assert got[ALL].value == F(6, 11)
    assert report.rule.as_json()["include_partials"] is True
    assert report.rule.as_json()["interviews"] == ["complete", "partial"]


def test_change_against_an_earlier_wave(waves):
    report = report_of(waves, compare="W0")
    got = by_stratum(report, "safety_rate")
    # W0: 甲 1 4 → 1/2; 乙 only 拒答 → undefined; 戊 4 4 → 0; ALL 1 4 4 4 (9 left out) → 1/4
    assert got["甲镇"].change == F(1, 6) and got["甲镇"].earlier == F(1, 2)
    assert got["乙镇"].change is None  # undefined earlier
    assert got["丁镇"].change is None  # no interviews earlier
    assert got["丙镇"].change is None  # undefined now
    assert got["戊镇"].change == 0
    assert got[ALL].change == F(1, 4)
    assert report.rule.compare == "W0"


def test_comparison_refused_across_questionnaires(waves, tmp_path):
    with waves.unit() as session:
        create_project(session, "OTHER", write_form(tmp_path, form_id="other"))
    with pytest.raises(CatiError, match="form_id 'mini' and 'other'"):
        report_of(waves, compare="OTHER")
    with pytest.raises(CatiError, match="itself"):
        report_of(waves, compare="W1")
    with pytest.raises(NotFound):
        report_of(waves, compare="NOPE")


def test_indices_split_by_mode(waves, run_cli, db_url):
    """乙镇's interviews made on the web: each index overall per mode, beside the strata."""
    with waves.unit() as session:
        for interview in session.scalars(select(Interview).where(Interview.stratum == "乙镇")):
            interview.mode = "web"
    report = report_of(waves)
    assert report.modes == ("phone", "web")
    assert dict(report.interviews_by_mode) == {"phone": 7, "web": 4}  # 乙镇's partial not counted
    got = {row.stratum: row for row in report.mode_rows_of("sat_a_rate")}
    # phone: 1 8 2 4 (甲), 3 4 (丁) → 2/6; web: 1 1 2 3 → 3/4
    assert [(m, got[m].n, got[m].denominator, got[m].value) for m in ("phone", "web")] == [
        ("phone", 7, 6, F(1, 3)), ("web", 4, 4, F(3, 4))]
    assert float(got["web"].moe) == pytest.approx(z(F(3, 4) * F(1, 4) / 4), rel=1e-12)
    assert all(row.rank is None for row in report.mode_rows)
    # The split leaves the strata and the overall figures as they were.
    assert by_stratum(report, "sat_a_rate")["乙镇"].value == F(3, 4)
    assert by_stratum(report, "sat_a_rate")[ALL].denominator == 10
    law = {row.stratum: row.value for row in report.mode_rows_of("law")}
    assert law["web"] == (2 * F(3, 4) + F(1, 2)) / 3  # weighted 2:1; sat_b on the web: 2 8 8 1
    text = run_cli("--db", db_url, "report", "indices", "--project", "W1").stdout
    assert "按访问方式 by mode: 电话 33.3% ±" in text and "网上自填 75.0% ±" in text


# -- the command -----------------------------------------------------------------------------------

def test_json_shape_and_values(run_cli, waves, db_url):
    result = run_cli("--db", db_url, "report", "indices", "--project", "W1", "--compare", "W0",
                     "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"rule", "rows", "by_mode"}
    assert [(row["index"], row["mode"], row["n"]) for row in document["by_mode"]] == [
        (index, "phone", 11) for index in INDICES]  # all of them by phone here
    rule = document["rule"]
    assert rule["project"] == "W1" and rule["compare"] == "W0"
    assert rule["include_partials"] is False and rule["settings_key"] == "index_policy"
    assert [index["name"] for index in rule["indices"]] == list(INDICES)
    safety = rule["indices"][0]
    assert (safety["positive"], safety["excluded"], safety["excluded_labels"]) == (
        ["1", "2"], ["9"], ["拒答"])
    assert {"margin", "rank", "ties", "rounding"} <= set(rule)
    rows = document["rows"]
    assert len(rows) == len(INDICES) * len(RANKED)
    assert all(set(row) == {"index", "stratum", "n", "denominator", "value", "moe", "rank",
                            "tied_with", "change"} for row in rows)
    first = [row for row in rows if row["index"] == "safety_rate"]
    assert [row["stratum"] for row in first] == RANKED
    jia = first[1]
    assert (jia["n"], jia["denominator"], jia["rank"]) == (4, 3, 1)
    assert jia["value"] == 0.666667 and jia["change"] == 0.166667
    assert jia["moe"] == round(z(F(2, 27)), 6)
    assert jia["tied_with"] == ["乙镇", "丁镇"]
    bing = first[-1]
    assert (bing["value"], bing["moe"], bing["rank"], bing["change"]) == (None, None, None, None)


def test_readable_table_and_errors(run_cli, waves, db_url):
    result = run_cli("--db", db_url, "report", "indices", "--project", "W1")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "安全感(率)" in text and "66.7%" in text and "拒答(9)" in text
    assert "不含部分完成" in text  # the rule is printed with the numbers
    refused = run_cli("--db", db_url, "report", "indices", "--project", "W1", "--compare", "NO")
    assert refused.returncode == 1 and "no project 'NO'" in refused.stderr

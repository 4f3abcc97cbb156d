"""Hostile and broken questionnaires: property-based tests of XLSForm loading and of the
expression language (issue 8).

Every form either loads, or fails with a FormError whose problems each name the sheet (and the
row and column where there is one); a form that loads runs its random interviews raising nothing
but the engine's own ExpressionFailure. Every expression either parses or raises
ExpressionSyntaxError, and evaluates to a value or raises ExpressionEvalError, whatever the
answers hold; nesting too deep for the stack (10,000 parentheses, ``not(not(…))``, unary
minus) is refused with a sentence, never a RecursionError. The markdown-table forms are written
as pyxform's tests write theirs. No database: these are pure.
"""

from __future__ import annotations

import io
import math
import re
import sys

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cati.questionnaire import xpath
from cati.questionnaire.engine import ExpressionFailure, InterviewEngine
from cati.questionnaire.loader import load_form
from cati.questionnaire.problems import FormError
from cati.questionnaire.walk import WALK_CLOCK
from cati.questionnaire.xpath import (
    ExpressionEvalError,
    ExpressionSyntaxError,
    SimpleContext,
    parse,
)
from cati.questionnaire.xpath.registry import FUNCTIONS

FUZZ = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SHEETS = ("file", "survey", "choices", "settings", "indices")
NAMES = ("age", "town", "q1", "q2", "note1", "calc", "g1", "why")
HUGE = "1" + "0" * 308  # XPath 1.0 numbers have no exponent: 1e308 written out


# -- expressions --------------------------------------------------------------------------------
def hostile_values() -> st.SearchStrategy[str]:
    """What an answer can hold: any text, and the numbers and dates at the edges."""
    return st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
        st.sampled_from(["1e308", "-1e308", "1e-320", "9" * 400, "NaN", "-0", "Infinity",
                         "0x10", "1_000", "١٢٣", "１２", "9999-12-31", "0001-01-01",
                         "2026-02-30", "10000-01-01", "2026-11-23T25:61:00", "24:00",
                         "%", "%Y%Y%Y%Y", "(a+)+$", "[", "\\", "'", '"', "${age}"]),
        st.integers(-10**30, 10**30).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def leaves() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["${age}", "${town}", ".", "today()", "now()", "random()", HUGE,
                         "-1", "0", "0.5", "400000000000000000000", "'2026-11-23'",
                         "'9999-12-31'", "''", "'%Y-%m-%d %H:%M %a %b %e %n'", "'(a|b)*c'"]),
        st.integers(-10**20, 10**20).map(str),
        hostile_values().filter(lambda t: "'" not in t).map(lambda t: f"'{t}'"),
    )


def calls(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def call(function) -> st.SearchStrategy[str]:
        high = function.max_args if function.max_args is not None else function.min_args + 3
        return st.lists(children, min_size=function.min_args, max_size=high).map(
            lambda args: f"{function.name}({', '.join(args)})")

    functions = sorted((f for f in FUNCTIONS.values() if f.name != "jr:choice-name"),
                       key=lambda f: f.name)
    return st.sampled_from(functions).flatmap(call)


def grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operators = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
    binary = st.tuples(children, st.sampled_from(operators), children).map(
        lambda p: f"({p[0]} {p[1]} {p[2]})")
    return st.one_of(binary, children.map(lambda c: f"-{c}"), calls(children))


EXPRESSIONS = st.recursive(leaves(), grow, max_leaves=10)


def evaluate_every_way(expression: xpath.Expression, context: SimpleContext) -> None:
    for method in (expression.evaluate, expression.evaluate_bool, expression.evaluate_string):
        try:
            value = method(context)
        except ExpressionEvalError as error:
            assert str(error) and "\n" not in str(error)
        else:
            if isinstance(value, str):
                value.encode("utf-8")  # text the database can store


@FUZZ
@given(text=EXPRESSIONS, age=hostile_values(), town=hostile_values(), current=hostile_values())
def test_evaluation_raises_only_the_engines_error(text, age, town, current):
    """Functions given extreme numbers (pow, round, date, format-date …), impossible dates
    and any Unicode raise ExpressionEvalError at worst, never OverflowError or ValueError."""
    try:
        expression = parse(text)
    except ExpressionSyntaxError:
        return
    evaluate_every_way(expression, SimpleContext(values={"age": age, "town": town},
                                                 current_value=current, seed=7))


@pytest.mark.parametrize("text", [
    pytest.param("pow(10, 400)", id="pow overflow"),
    pytest.param(f"round({HUGE}, 400)", id="round of huge"),
    pytest.param("round(2.5, -400)", id="round to huge negative digits"),
    pytest.param(f"int({HUGE}) * 10", id="int of huge"),
    pytest.param(f"int({HUGE} * 10)", id="int of infinity"),
    pytest.param("int(0 div 0)", id="int of NaN"),
    pytest.param(f"date({HUGE})", id="date far away"),
    pytest.param(f"date(-{HUGE})", id="date far back"),
    pytest.param("date(1 div 0)", id="date infinity"),
    pytest.param("format-date(date(3000000), '%Y')", id="format a date past year 9999"),
    pytest.param("format-date-time(1000000000000000, '%Y')", id="day number past 9999"),
    pytest.param("decimal-date-time('9999-12-31T23:59:59-14:00')", id="last instant"),
    pytest.param(f"substr('abc', {HUGE}, -{HUGE})", id="substr huge positions"),
    pytest.param("substring('abc', 0 div 0, 1 div 0)", id="substring NaN infinity"),
    pytest.param(f"selected-at('a b', {HUGE})", id="selected-at huge index"),
    pytest.param("selected-at('a b', 0 div 0)", id="selected-at NaN"),
    pytest.param("sqrt(-1)", id="sqrt negative"),
    pytest.param("regex(., ${town})", id="regex bad pattern at run time"),
    pytest.param("translate('abc', 'a', 'xyz')", id="translate longer target"),
    pytest.param(f"string({HUGE} * {HUGE})", id="infinity as text"),
    pytest.param("number('١٢٣') + 1", id="Arabic-Indic digits"),
    pytest.param("format-date('2026-02-30', '%Y')", id="impossible date"),
    pytest.param("format-date(${age}, ${town})", id="answers as date and format"),
    pytest.param(f"pow(2, {HUGE}) - pow(2, {HUGE})", id="infinity minus infinity"),
    pytest.param(f"({HUGE} * {HUGE}) mod 2", id="infinity mod"),
    pytest.param("sum(${age}) + count(${town}) + max(${age}, -1)", id="aggregates"),
])
def test_extreme_arguments(text):
    for age, town in (("2026-11-23", "("), (HUGE, "%Y" * 1000), ("-1", "[a-")):
        evaluate_every_way(parse(text), SimpleContext(values={"age": age, "town": town},
                                                      current_value="x", seed=1))


NESTINGS = {
    "parentheses": ("(", "1", ")"),
    "not": ("not(", "true()", ")"),
    "unary minus": ("-", "1", ""),
    "concat": ("concat('a', ", "'b'", ")"),
    "if": ("if(true(), ", "1", ", 0)"),
    "mixed": ("(-not(", "1", "))"),
}


@pytest.mark.parametrize("depth", [1_000, 10_000])
@pytest.mark.parametrize("shape", sorted(NESTINGS))
def test_deep_nesting_is_refused_not_a_stack_overflow(shape, depth):
    opening, leaf, closing = NESTINGS[shape]
    text = opening * depth + leaf + closing * depth
    limit = sys.getrecursionlimit()
    with pytest.raises(ExpressionSyntaxError, match="nested too deeply"):
        parse(text)
    assert sys.getrecursionlimit() == limit


def test_deep_nesting_in_a_form_names_sheet_row_and_column():
    deep = "(" * 10_000 + "${age} > 1" + ")" * 10_000
    with pytest.raises(FormError) as caught:
        load_form(markdown([("integer", "age", "Age", "", ""),
                            ("text", "why", "Why?", deep, "")]), "deep.md")
    problem = caught.value.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("survey", 3, "relevant")
    assert "nested too deeply" in problem.message and "\n" not in str(caught.value)


def test_long_flat_expressions_are_fine():
    """Length is not depth: 10,000 terms in one chain or call parse and evaluate (the sum
    is in tests/test_xpath_parsing.py)."""
    context = SimpleContext(values={"age": "3"})
    assert parse(" or ".join(["${age} = 2"] * 10_000)).evaluate_bool(context) is False
    assert parse("concat(" + ", ".join(["'a'"] * 10_000) + ")").evaluate(context) == "a" * 10_000


# -- forms --------------------------------------------------------------------------------------
def cell_text() -> st.SearchStrategy[str]:
    """A cell of a markdown table: any text without the table's own | and line breaks."""
    return st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"),
                                 blacklist_characters="|\\"), max_size=12).map(str.strip)


GOOD_TYPES = ["integer", "decimal", "text", "note", "select_one yn", "select_multiple yn",
              "select_one yn or_other", "date", "time", "dateTime", "calculate", "acknowledge"]
BAD_TYPES = ["select_one missing", "begin group", "end group", "geopoint", "begin repeat",
             "start", "bogus", "", "select_one", "integer integer"]


@st.composite
def survey_rows(draw):
    """Rows that mostly make a form (valid types, unique names, expressions over earlier
    questions), each part now and then replaced by something hostile."""
    def sometimes(good, bad, bad_in_ten: int = 1):
        return draw(bad) if draw(st.integers(0, 9)) < bad_in_ten else draw(good)

    rows: list[tuple[str, str, str, str, str]] = []
    for number in range(draw(st.integers(1, 7))):
        kind = sometimes(st.sampled_from(GOOD_TYPES), st.sampled_from(BAD_TYPES))
        name = sometimes(st.just(f"q{number}"), st.one_of(st.sampled_from(NAMES), cell_text()))
        earlier = [f"${{{row[1]}}}" for row in rows] or ["."]
        over_earlier = st.builds(lambda n, op, v: f"{n} {op} {v}", st.sampled_from(earlier),
                                 st.sampled_from(["=", "!=", "<", ">="]),
                                 st.sampled_from(["1", "'1'", "17", "''", "today()"]))
        random_one = EXPRESSIONS.filter(lambda t: "|" not in t and "\\" not in t).map(
            lambda t, first=earlier[0], last=earlier[-1]:
            t.replace("${age}", first).replace("${town}", last))
        expression = st.one_of(st.just(""), over_earlier, random_one)
        relevant = sometimes(expression, cell_text(), bad_in_ten=2)
        other = sometimes(expression, cell_text(), bad_in_ten=2)
        if kind == "calculate" and not other:
            other = "1"
        label = draw(cell_text()) or "?"
        rows.append((kind, name, label, relevant, other))
    return rows


def markdown(rows, *, choices=(("yn", "1", "是"), ("yn", "2", "否")), settings_rows=()) -> str:
    """A form as a markdown table. The last survey column is a constraint for questions and a
    calculation for calculate rows."""
    lines = ["| survey |", "| | type | name | label | relevant | constraint | calculation |"]
    for kind, name, label, relevant, other in rows:
        constraint, calculation = (("", other) if kind == "calculate" else (other, ""))
        lines.append(f"| | {kind} | {name} | {label} | {relevant} | {constraint} | "
                     f"{calculation} |")
    lines += ["| choices |", "| | list_name | name | label |"]
    lines += [f"| | {a} | {b} | {c} |" for a, b, c in choices]
    if settings_rows:
        lines += ["| settings |", "| | " + " | ".join(k for k, _ in settings_rows) + " |",
                  "| | " + " | ".join(v for _, v in settings_rows) + " |"]
    return "\n".join(lines) + "\n"


def load_or_explain(source, file_name: str):
    """The form, or the FormError: each of its problems names a known sheet, with a row that
    is a real row number, and the whole error is one line."""
    try:
        return load_form(source, file_name)
    except FormError as error:
        assert error.problems and "\n" not in str(error) and file_name in str(error)
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]",
                             str(error)), "a control or bidi character reaches the terminal"
        for problem in error.problems:
            assert problem.sheet in SHEETS, problem
            assert problem.row is None or problem.row >= 1, problem
            assert str(problem).startswith(problem.sheet), problem
        return error


def interview_randomly(form, seed: int) -> None:
    """A few random interviews: answers of any text, numbers and choices; the engine may
    refuse an answer (a message) or fail an expression (ExpressionFailure), nothing else."""
    import random

    rng = random.Random(seed)
    for number in range(3):
        try:
            engine = InterviewEngine.start(form, seed=number, clock=lambda: WALK_CLOCK)
            for _ in range(40):
                item = engine.current_item
                if engine.finished or item is None:
                    break
                choices = [c.name for c in engine.offered_choices(item)] if item.choice_list \
                    else []
                value = rng.choice([None, "", "0", "17", "-3.5", "1e308", "2026-11-23",
                                    "10:30", "é\u202e😀", "=1+1", *choices])
                if engine.answer(value) is not None and engine.answer(choices[0] if choices
                                                                      else "1") is not None:
                    break
            engine.final_answers()
        except ExpressionFailure as failure:
            assert str(failure).startswith("survey:"), failure


@FUZZ
@given(rows=survey_rows(), seed=st.integers(0, 1000))
def test_random_markdown_forms_load_or_name_the_place(rows, seed):
    form = load_or_explain(markdown(rows), "random.md")
    if not isinstance(form, FormError):
        interview_randomly(form, seed)


@settings(max_examples=15, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=survey_rows(), labels=st.lists(st.text(st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=10), min_size=3,
    max_size=3), numbers=st.booleans())
def test_random_workbook_forms_load_or_name_the_place(rows, labels, numbers):
    """The same as workbooks, whose cells hold what markdown cannot: line breaks, control
    characters (as Excel escapes them), numbers where text is expected."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "relevant", "constraint", "required"])
    for (kind, name, label, relevant, other), extra in zip(rows, labels * 3, strict=False):
        name_cell = 12.5 if numbers and name == "q1" else name
        cells = [kind, name_cell, label + extra, relevant, other,
                 "yes" if numbers else extra[:3]]
        survey.append([openpyxl_safe(c) if isinstance(c, str) else c for c in cells])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["yn", 1 if numbers else "1", openpyxl_safe(labels[0])])
    choices.append(["yn", "2", openpyxl_safe(labels[1]) or "否"])
    buffer = io.BytesIO()
    book.save(buffer)
    form = load_or_explain(buffer.getvalue(), "random.xlsx")
    if not isinstance(form, FormError):
        interview_randomly(form, 1)


def openpyxl_safe(text: str) -> str:
    from cati.sample.readers import excel_text

    return excel_text(text)  # control characters as Excel stores them (_x0001_)


@FUZZ
@given(data=st.one_of(st.binary(max_size=2000),
                      st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b),
                      st.text(max_size=300).map(lambda t: "| survey |\n" + t)))
def test_random_bytes_and_text_are_refused_in_one_line(data):
    load_or_explain(data, "junk.xlsx" if isinstance(data, bytes) else "junk.md")


def test_a_form_of_hostile_text_loads_and_runs():
    """Labels and choices in right-to-left script, emoji and formulas are text, kept as is."""
    form = load_form(markdown(
        [("select_one yn", "q1", "\u202e你好😀 =HYPERLINK(\"x\")", "", ""),
         ("text", "why", "@SUM(A1) ${q1}", "${q1} = '1'", "string-length(.) < 1000")],
        choices=(("yn", "1", "是 👍"), ("yn", "2", "\u05e9\u05dc\u05d5\u05dd"))), "hostile.md")
    engine = InterviewEngine.start(form, seed=1, clock=lambda: WALK_CLOCK)
    assert engine.answer("1") is None
    assert engine.current().label.startswith("@SUM(A1)")
    assert engine.answer("=1+1 \u202e😀") is None
    assert engine.final_answers() == {"q1": "1", "why": "=1+1 \u202e😀"}
    assert math.isnan(xpath.to_number("\u202e1"))  # invisible marks do not make a number

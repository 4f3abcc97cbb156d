"""The functions of the expression language, one table row per case."""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cati.questionnaire.xpath import (
    DateValue,
    ExpressionEvalError,
    ExpressionSyntaxError,
    SimpleContext,
    parse,
)

ROOT = Path(__file__).resolve().parent.parent
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 23, 9, 30, 5, 123000, tzinfo=CST)
VALUES = {
    "multi": "a c  d",
    "one": "b",
    "empty": "",
    "n": "5",
    "neg": "-2.5",
    "d": "2026-11-01",
    "t": "2026-03-04T05:06:07.089+08:00",
    "text": "  Hello   World  ",
    "word": "hello",
    "pattern": "^h",
    "bad": "[a-",
}
LABELS = {"town": {"gh": "古槐街道", "qh": "清河街道"}}


def context(**kwargs) -> SimpleContext:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("choice_labels", LABELS)
    return SimpleContext(values=dict(VALUES), **kwargs)


def check(text: str, expected) -> None:
    result = parse(text).evaluate(context())
    if isinstance(expected, bool):
        assert result is expected
    elif isinstance(expected, float):
        assert isinstance(result, float)
        assert math.isnan(result) if math.isnan(expected) else result == pytest.approx(expected)
    else:
        assert parse(text).evaluate_string(context()) == expected


def table(*rows):
    """Rows of (text, expected[, id]); the id defaults to the text."""
    return [pytest.param(row[0], row[1], id=row[2] if len(row) > 2 else row[0]) for row in rows]


@pytest.mark.parametrize(("text", "expected"), table(
    ("selected(${multi}, 'c')", True, "selected: in the list"),
    ("selected(${multi}, 'b')", False, "selected: not in the list"),
    ("selected(${multi}, ' d ')", True, "selected: value is trimmed"),
    ("selected(${multi}, 'a c')", False, "selected: one value only"),
    ("selected(${empty}, '')", False, "selected: empty answer holds nothing"),
    ("selected(${one}, 'b')", True, "selected: select_one answer"),
    ("count-selected(${multi})", 3.0, "count-selected: three"),
    ("count-selected(${empty})", 0.0, "count-selected: unanswered"),
    ("selected-at(${multi}, 0)", "a", "selected-at: first, 0-based"),
    ("selected-at(${multi}, 2)", "d", "selected-at: last"),
    ("selected-at(${multi}, 3)", "", "selected-at: past the end"),
    ("selected-at(${multi}, -1)", "", "selected-at: negative"),
    ("selected-at(${multi}, 'x')", "", "selected-at: NaN index"),
    ("jr:choice-name('gh', '${town}')", "古槐街道", "choice-name: label of the choice"),
    ("jr:choice-name(${one}, '${town}')", "", "choice-name: unknown choice"),
    ("jr:choice-name('qh', '/data/town')", "清河街道", "choice-name: XPath path"),
    ("jr:choice-name('qh', '${nowhere}')", "", "choice-name: unknown question"),
))
def test_select_functions(text, expected):
    check(text, expected)


@pytest.mark.parametrize(("text", "expected"), table(
    ("if(${n} > 3, 'big', 'small')", "big", "if: then"),
    ("if(${empty}, 'yes', 'no')", "no", "if: empty answer is false"),
    ("if(true(), 1, 2) + 1", 2.0, "if: keeps the number type"),
    ("if(true(), 'ok', regex('a', ${bad}))", "ok", "if: the other branch is not evaluated"),
    ("if(false(), regex('a', ${bad}), 'ok')", "ok", "if: nor the first when false"),
    ("coalesce(${empty}, 'fallback')", "fallback", "coalesce: first empty"),
    ("coalesce(${one}, regex('a', ${bad}))", "b", "coalesce: second not evaluated"),
    ("coalesce(${empty}, ${empty})", "", "coalesce: both empty"),
    ("not(${empty})", True, "not"),
    ("not(1)", False, "not of a number"),
    ("true()", True, "true"),
    ("false()", False, "false"),
    ("boolean-from-string('true')", True, "boolean-from-string: true"),
    ("boolean-from-string('1')", True, "boolean-from-string: 1"),
    ("boolean-from-string('yes')", False, "boolean-from-string: anything else"),
    ("boolean-from-string('TRUE')", False, "boolean-from-string: case matters"),
    ("boolean('0')", True, "boolean of a non-empty string"),
    ("boolean(${empty})", False, "boolean of an empty answer"),
    ("count(${n})", 1.0, "count: a reference is one node"),
    ("count(${empty})", 1.0, "count: even unanswered"),
))
def test_logic_functions(text, expected):
    check(text, expected)


@pytest.mark.parametrize(("text", "expected"), table(
    ("string(12)", "12", "string of a number"),
    ("string(${neg})", "-2.5", "string of a reference"),
    ("concat('a', 1, true(), ${one})", "a1trueb", "concat: mixed types"),
    ("concat()", "", "concat: nothing"),
    ("concat('only')", "only", "concat: one argument"),
    ("string-length(${word})", 5.0, "string-length"),
    ("string-length('古槐街道')", 4.0, "string-length counts characters"),
    ("string-length(${empty})", 0.0, "string-length of empty"),
    ("substr('hello', 1, 3)", "el", "substr: 0-based start, exclusive end"),
    ("substr('hello', 2)", "llo", "substr: to the end"),
    ("substr('hello', 0, 99)", "hello", "substr: end past the end"),
    ("substr('hello', -3)", "llo", "substr: negative start counts from the end"),
    ("substr('hello', 4, 2)", "", "substr: end before start"),
    ("substr('hello', 'x', 2)", "he", "substr: NaN start is 0"),
    ("substring('12345', 2, 3)", "234", "substring: XPath 1-based"),
    ("substring('12345', 1.5, 2.6)", "234", "substring: rounded positions"),
    ("substring('12345', 0, 3)", "12", "substring: start before 1"),
    ("substring('12345', 0 div 0, 3)", "", "substring: NaN start"),
    ("substring('12345', -42, 1 div 0)", "12345", "substring: infinite length"),
    ("contains(${word}, 'ell')", True, "contains"),
    ("contains(${word}, '')", True, "contains the empty string"),
    ("contains(${word}, 'L')", False, "contains is case sensitive"),
    ("starts-with(${word}, 'he')", True, "starts-with"),
    ("starts-with(${word}, 'lo')", False, "starts-with: no"),
    ("ends-with(${word}, 'lo')", True, "ends-with"),
    ("ends-with(${word}, 'he')", False, "ends-with: no"),
    ("normalize-space(${text})", "Hello World", "normalize-space"),
    ("translate('bar', 'abc', 'ABC')", "BAr", "translate"),
    ("translate('--aaa--', 'a-', 'A')", "AAA", "translate: removes when target is shorter"),
    ("translate('aba', 'aa', 'xy')", "xbx", "translate: first mapping wins"),
    ("substring-before('1999/04/01', '/')", "1999", "substring-before"),
    ("substring-before('abc', 'x')", "", "substring-before: not found"),
    ("substring-after('1999/04/01', '/')", "04/01", "substring-after"),
    ("substring-after('abc', '')", "abc", "substring-after: empty separator"),
    ("substring-after('abc', 'x')", "", "substring-after: not found"),
    ("regex(${word}, '^h.*o$')", True, "regex: literal pattern matches"),
    ("regex(${word}, 'ell')", True, "regex: search, not full match"),
    ("regex(${word}, '^ell')", False, "regex: anchored"),
    ("regex(${word}, ${pattern})", True, "regex: pattern from an answer"),
    ("regex(${empty}, '^[0-9]{11}$')", False, "regex: empty answer"),
))
def test_string_functions(text, expected):
    check(text, expected)


def test_string_functions_without_arguments_use_the_current_value():
    ctx = SimpleContext(current_value="  a  b ")
    assert parse("string-length()").evaluate(ctx) == 7.0
    assert parse("normalize-space()").evaluate(ctx) == "a b"
    assert parse("string()").evaluate(ctx) == "  a  b "
    assert math.isnan(parse("number()").evaluate(ctx))
    assert parse("number() = 3").evaluate_bool(SimpleContext(current_value="3"))


def test_a_bad_pattern_from_an_answer_is_an_evaluation_error():
    with pytest.raises(ExpressionEvalError, match="invalid regular expression"):
        parse("regex(${word}, ${bad})").evaluate(context())


@pytest.mark.parametrize(("text", "expected"), table(
    ("number('3.25')", 3.25, "number of a string"),
    ("number(today())", float(dt.date(2026, 11, 23).toordinal()
                              - dt.date(1970, 1, 1).toordinal()), "number of a date"),
    ("int(3.7)", 3.0, "int: truncates"),
    ("int(-3.7)", -3.0, "int: toward zero"),
    ("int('12.9')", 12.0, "int of a string"),
    ("int(${empty})", math.nan, "int: NaN stays NaN"),
    ("int(1 div 0)", math.inf, "int: Infinity stays"),
    ("round(2.5)", 3.0, "round: half away from zero"),
    ("round(-2.5)", -3.0, "round: negative half away from zero"),
    ("round(2.4)", 2.0, "round: down"),
    ("round(1.005, 2)", 1.01, "round: on the decimal text"),
    ("round(2.675, 2)", 2.68, "round: 2.675 to 2.68"),
    ("round(1234.5678, -2)", 1200.0, "round: negative digits"),
    ("round(${n} div 3, 1)", 1.7, "round: a quotient"),
    ("round(${empty})", math.nan, "round: NaN"),
    ("round(1 div 0, 2)", math.inf, "round: Infinity"),
    ("round(1.5, 1000)", 1.5, "round: huge digits"),
    ("round(1.5, -1000)", 0.0, "round: huge negative digits"),
    ("floor(-1.5)", -2.0, "floor"),
    ("ceiling(-1.5)", -1.0, "ceiling"),
    ("ceiling(${empty})", math.nan, "ceiling: NaN"),
    ("abs(${neg})", 2.5, "abs"),
    ("pow(2, 10)", 1024.0, "pow"),
    ("pow(2, -1)", 0.5, "pow: negative exponent"),
    ("pow(-8, 1 div 3)", math.nan, "pow: root of a negative"),
    ("pow(10, 400)", math.inf, "pow: overflow"),
    ("pow(-10, 401)", -math.inf, "pow: negative overflow"),
    ("pow(0, -1)", math.inf, "pow: zero to a negative power"),
    ("sqrt(16)", 4.0, "sqrt"),
    ("sqrt(-1)", math.nan, "sqrt: negative"),
    ("sum(${n})", 5.0, "sum: a reference"),
    ("sum(${n}, 2, '3')", 10.0, "sum: several arguments"),
    ("sum(${n}, ${empty})", math.nan, "sum: NaN when one is empty"),
    ("min(${n}, 2, ${neg})", -2.5, "min"),
    ("max(${n}, 2, ${neg})", 5.0, "max"),
    ("max(${n}, ${empty})", math.nan, "max: NaN when one is empty"),
    ("min(${empty})", math.nan, "min: NaN when empty"),
))
def test_number_functions(text, expected):
    check(text, expected)


@pytest.mark.parametrize(("text", "expected"), table(
    ("today()", "2026-11-23", "today: the local date"),
    ("now()", "2026-11-23T09:30:05.123+08:00", "now: ISO with the offset"),
    ("date(0)", "1970-01-01", "date: day 0"),
    ("date(20415)", "2025-11-23", "date: a day count"),
    ("date(-0.5)", "1969-12-31", "date: fraction floors"),
    ("date(${d})", "2026-11-01", "date: a date string"),
    ("date(${t})", "2026-03-04", "date: a dateTime string keeps its own date"),
    ("date(${d}) + 1", 20759.0, "date: arithmetic on a date"),
    ("date(today() - 7)", "2026-11-16", "date: a week ago"),
    ("date(${empty})", "", "date: empty"),
    ("format-date(${d}, '%Y/%m/%d')", "2026/11/01", "format-date: %Y %m %d"),
    ("format-date(${d}, '%y %n %e %b %a')", "26 11 1 Nov Sun", "format-date: %y %n %e %b %a"),
    ("format-date(${t}, '%H:%M:%S.%3 %h')", "05:06:07.089 5", "format-date: time codes"),
    ("format-date(${d}, '%H:%M')", "00:00", "format-date: a date has midnight"),
    ("format-date(now(), '%d %H')", "23 09", "format-date: now in its own offset"),
    ("format-date(0, '%Y-%m-%d %H')", "1970-01-01 00", "format-date: a day count"),
    ("format-date(${d}, '100%% %q')", "100%% %q", "format-date: other text kept"),
    ("format-date(${empty}, '%Y')", "", "format-date: empty"),
    ("format-date-time(${t}, '%Y %M')", "2026 06", "format-date-time"),
    ("decimal-date-time('1970-01-02T06:00:00Z')", 1.25, "decimal-date-time"),
    ("decimal-date-time(${d})", 20758.0, "decimal-date-time of a date"),
    ("decimal-date-time(${empty})", math.nan, "decimal-date-time: empty"),
    ("decimal-date-time(now())", 20780.0625 + 5.123 / 86400, "decimal-date-time: now"),
))
def test_date_functions(text, expected):
    check(text, expected)


@pytest.mark.parametrize("text", [
    pytest.param("date('abc')", id="date of text"),
    pytest.param("date('2026-02-30')", id="date that does not exist"),
    pytest.param("date(1 div 0)", id="date of Infinity"),
    pytest.param("date(99999999)", id="date beyond year 9999"),
    pytest.param("format-date('abc', '%Y')", id="format-date of text"),
    pytest.param("decimal-date-time('soon')", id="decimal-date-time of text"),
    pytest.param("count('abc')", id="count of a string"),
    pytest.param("${a} | if(true(), 'x', ${b})", id="union with a string"),
    pytest.param("county = 'x'", id="bare name outside a choice filter"),
])
def test_evaluation_errors(text):
    with pytest.raises(ExpressionEvalError):
        parse(text).evaluate(context())


def test_date_functions_return_date_values():
    value = parse("date('2026-11-01')").evaluate(context())
    assert isinstance(value, DateValue) and value.text == "2026-11-01"
    assert parse("date('2026-11-01') = ${d}").evaluate_bool(context())


def test_once_keeps_a_stored_value():
    expression = parse("once(${n} * 2)")
    assert expression.evaluate_string(context()) == "10"
    assert expression.evaluate_string(context(once="7")) == "7"
    assert expression.evaluate_string(context(current_value="3")) == "3"
    assert expression.evaluate_string(context(current_value="3", once="")) == "10"


def test_random_and_uuid_are_reproducible_from_the_seed():
    first = [parse(text).evaluate(context(seed=42)) for text in ("random()", "uuid()")]
    again = [parse(text).evaluate(context(seed=42)) for text in ("random()", "uuid()")]
    other = [parse(text).evaluate(context(seed=43)) for text in ("random()", "uuid()")]
    assert first == again and first != other
    assert 0.0 <= first[0] < 1.0
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        first[1])
    ctx = context(seed=5)
    draws = {parse("random()").evaluate(ctx) for _ in range(10)}
    assert len(draws) == 10  # the generator moves on


# regex(): RE2, the ODK dialect, linear time ------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), table(
    (r"regex('a-b.c', '^[\w-\.]+$')", True, "regex: '-' after a class escape is literal"),
    (r"regex('a b', '^[\w-\.]+$')", False, "regex: the class holds no space"),
    (r"regex('古槐街道', '^[\u4e00-\u9fa5]{2,10}$')", True, r"regex: \uXXXX escapes"),
    (r"regex('古槐', '^\p{Han}+$')", True, r"regex: \p{Han}"),
    (r"regex('１２３', '^\d+$')", False, r"regex: \d is ASCII, as in Collect and Enketo"),
    (r"regex('123', '^\d+$')", True, r"regex: \d"),
    (r"regex('ab', 'b\Z')", True, r"regex: \Z is the end of the text"),
    (r"regex('a/b', 'a\/b')", True, r"regex: JavaScript's \/"),
    ("regex('a.c', 'a\\.c') and not(regex('abc', 'a\\.c'))", True, "regex: escaped dot"),
))
def test_regex_dialect(text, expected):
    check(text, expected)


LINEAR_TIME = "regex() pattern uses a feature cati cannot run in linear time"


@pytest.mark.parametrize(("pattern", "feature"), [
    (r"^(a)\1$", "backreference"),
    (r"(?<n>a)\k<n>", "backreference"),
    (r"(?P<n>a)(?P=n)", "backreference"),
    (r"a(?=b)", "lookaround"),
    (r"a(?!b)", "lookaround"),
    (r"(?<=a)b", "lookaround"),
    (r"(?<!a)b", "lookaround"),
    (r"(?>a+)b", "atomic group"),
    (r"a++b", "possessive quantifier"),
    (r"(a)?(?(1)b|c)", "conditional group"),
])
def test_regex_refuses_what_needs_backtracking_with_a_clear_message(pattern, feature):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse(f"regex(${{word}}, '{pattern}')")
    assert caught.value.message == f"{LINEAR_TIME}: {feature}"
    assert caught.value.position == 15
    ctx = SimpleContext(values={"word": "ab", "pattern": pattern})
    with pytest.raises(ExpressionEvalError, match=re.escape(f"{LINEAR_TIME}: {feature}")):
        parse("regex(${word}, ${pattern})").evaluate(ctx)


def test_regex_runs_in_linear_time():
    """'^(a+)+$' took 2.2 s on 23 characters with Python's re, twice that for each one more;
    in a child process, so that the old exponential code fails by its timeout."""
    code = textwrap.dedent("""
        import time
        from cati.questionnaire.xpath import SimpleContext, parse
        text = 'a' * 5000 + 'b'
        for expression in ("regex(., '^(a+)+$')", "regex(., ${p})", "regex(., '(x+x+)+y')"):
            ctx = SimpleContext(values={'p': '^(a|aa)+$'}, current_value=text)
            start = time.perf_counter()
            assert parse(expression).evaluate(ctx) is False
            print(time.perf_counter() - start)
    """)
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                timeout=30, cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("regex() took over 30 s on 5001 characters")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # RE2 logs nothing
    seconds = [float(line) for line in result.stdout.split()]
    assert len(seconds) == 3 and max(seconds) < 0.5, seconds

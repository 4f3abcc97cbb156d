"""The expression language's values: XPath 1.0 conversions and comparisons, arithmetic and
precedence, dates, references. Functions are in test_xpath_functions.py; syntax errors, nesting
and properties in test_xpath_parsing.py."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from cati.questionnaire.xpath import (
    DateValue,
    ExpressionEvalError,
    SimpleContext,
    parse,
)

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=CST)
TODAY_DAYS = dt.date(2026, 11, 23).toordinal() - dt.date(1970, 1, 1).toordinal()


def context(values=None, **kwargs) -> SimpleContext:
    kwargs.setdefault("now", NOW)
    return SimpleContext(values=dict(values or {}), **kwargs)


def evaluate(text: str, **values: str):
    return parse(text).evaluate(context(values))


def as_string(text: str, **values: str) -> str:
    return parse(text).evaluate_string(context(values))


def same_number(actual: float, expected: float) -> bool:
    if math.isnan(expected):
        return math.isnan(actual)
    return actual == pytest.approx(expected)


# string() of numbers and other values (XPath 1.0, 4.2) -----------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("1 + 2", "3", id="integer without .0"),
    pytest.param("3.5", "3.5", id="decimal"),
    pytest.param(".5", "0.5", id="leading-dot number"),
    pytest.param("3.", "3", id="trailing-dot number"),
    pytest.param("-0", "0", id="negative zero is 0"),
    pytest.param("1 div 3", "0.3333333333333333", id="shortest round-trip digits"),
    pytest.param("0.1 + 0.2", "0.30000000000000004", id="binary floating point shows"),
    pytest.param("0.0000001 * 1", "0.0000001", id="no exponent for small numbers"),
    pytest.param("1000000 * 1000000 * 1000000 * 1000000", "1000000000000000000000000",
                 id="no exponent for large numbers"),
    pytest.param("1 div 0", "Infinity", id="positive infinity"),
    pytest.param("-1 div 0", "-Infinity", id="negative infinity"),
    pytest.param("0 div 0", "NaN", id="NaN"),
    pytest.param("true()", "true", id="boolean true"),
    pytest.param("1 = 2", "false", id="boolean false"),
    pytest.param("'text'", "text", id="string"),
    pytest.param('"it\'s"', "it's", id="double-quoted string holds a single quote"),
    pytest.param("${x}", "abc", id="reference is its answer"),
    pytest.param("${missing}", "", id="unknown reference is empty"),
])
def test_string_conversion(text, expected):
    assert as_string(text, x="abc") == expected


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("number('')", math.nan, id="number of empty string is NaN"),
    pytest.param("number('abc')", math.nan, id="number of text is NaN"),
    pytest.param("number(' 12 ')", 12.0, id="number ignores surrounding whitespace"),
    pytest.param("number('-1.50')", -1.5, id="number with minus sign"),
    pytest.param("number('1e3')", math.nan, id="no exponent notation"),
    pytest.param("number('+1')", math.nan, id="no plus sign"),
    pytest.param("number('Infinity')", math.nan, id="Infinity text is not a number"),
    pytest.param("number(true())", 1.0, id="number of true is 1"),
    pytest.param("number(false())", 0.0, id="number of false is 0"),
    pytest.param("number(${x})", math.nan, id="number of empty answer is NaN"),
    pytest.param("number(${n})", 42.0, id="number of answer"),
])
def test_number_conversion(text, expected):
    assert same_number(evaluate(text, x="", n="42"), expected)


@pytest.mark.parametrize(("text", "values", "expected"), [
    pytest.param("${x}", {"x": ""}, False, id="reference to an empty answer is false"),
    pytest.param("${x}", {"x": "0"}, True, id="reference to any answer is true, even 0"),
    pytest.param("${x}", {}, False, id="reference to an unknown name is false"),
    pytest.param("boolean('')", {}, False, id="empty string is false"),
    pytest.param("boolean('false')", {}, True, id="non-empty string is true"),
    pytest.param("boolean(0)", {}, False, id="zero is false"),
    pytest.param("boolean(0 div 0)", {}, False, id="NaN is false"),
    pytest.param("boolean(-0.5)", {}, True, id="non-zero number is true"),
    pytest.param("boolean(today())", {}, True, id="a date is true"),
    pytest.param(". ", {}, False, id="empty current value is false"),
])
def test_boolean_conversion(text, values, expected):
    assert parse(text).evaluate_bool(context(values)) is expected


# Comparisons (XPath 1.0, 3.4) -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "values", "expected"), [
    pytest.param("'2' = 2", {}, True, id="string = number compares as numbers"),
    pytest.param("'2.0' = 2", {}, True, id="string = number: '2.0' is 2"),
    pytest.param("'2.0' = '2'", {}, False, id="string = string compares text"),
    pytest.param("${x} = 2", {"x": ""}, False, id="empty node = number: NaN = 2 is false"),
    pytest.param("${x} != 2", {"x": ""}, True, id="empty node != number: NaN != 2 is TRUE"),
    pytest.param("${x} = 2", {"x": "2"}, True, id="node = number compares number(node)"),
    pytest.param("${x} = 2", {"x": " 2 "}, True, id="node = number: spaces around are ignored"),
    pytest.param("${x} = '2'", {"x": "2.0"}, False, id="node = string compares text"),
    pytest.param("${x} = ''", {"x": ""}, True, id="node = empty string: unanswered"),
    pytest.param("${x} != ''", {"x": ""}, False, id="node != empty string: unanswered"),
    pytest.param("${a} = ${b}", {"a": "1", "b": "1.0"}, False, id="node = node compares text"),
    pytest.param("${a} = ${b}", {}, True, id="node = node: both empty"),
    pytest.param("${x} = true()", {"x": ""}, False, id="node = boolean uses boolean(node)"),
    pytest.param("${x} = true()", {"x": "no"}, True, id="node = boolean: answered is true"),
    pytest.param("${x} = false()", {"x": ""}, True, id="node = boolean: unanswered is false"),
    pytest.param("true() = 'false'", {}, True, id="boolean = string uses boolean(string)"),
    pytest.param("true() = 2", {}, True, id="boolean = number uses boolean(number)"),
    pytest.param("false() = 0", {}, True, id="boolean = number: 0 is false"),
    pytest.param("false() = ''", {}, True, id="boolean = string: '' is false"),
    pytest.param("0 div 0 = 0 div 0", {}, False, id="NaN = NaN is false"),
    pytest.param("0 div 0 != 0 div 0", {}, True, id="NaN != NaN is true"),
    pytest.param("'NaN' = 'NaN'", {}, True, id="text NaN = text NaN compares text"),
    pytest.param("today() = '2026-11-23'", {}, True, id="date = string compares text"),
    pytest.param("today() = ${d}", {"d": "2026-11-23"}, True, id="date = node compares text"),
    pytest.param(f"today() = {TODAY_DAYS}", {}, True, id="date = number compares days"),
])
def test_equality(text, values, expected):
    assert parse(text).evaluate_bool(context(values)) is expected


@pytest.mark.parametrize(("text", "values", "expected"), [
    pytest.param("${x} > 5", {"x": ""}, False, id="relational: empty node is NaN, > is false"),
    pytest.param("${x} < 5", {"x": ""}, False, id="relational: empty node is NaN, < is false"),
    pytest.param("${x} >= 5", {"x": ""}, False, id="relational: empty node is NaN, >= false"),
    pytest.param("${x} <= 5", {"x": ""}, False, id="relational: empty node is NaN, <= false"),
    pytest.param("${x} < 18", {"x": "17"}, True, id="relational: node converts to number"),
    pytest.param("'10' > '9'", {}, True, id="relational compares numbers, not text"),
    pytest.param("1 < '2'", {}, True, id="relational converts strings to numbers"),
    pytest.param("'abc' < 1", {}, False, id="relational: text is NaN, < is false"),
    pytest.param("'abc' >= 1", {}, False, id="relational: text is NaN, >= is false"),
    pytest.param("'' > -1", {}, False, id="relational: empty string is NaN"),
    pytest.param("${a} < ${b}", {"a": "1", "b": "2"}, True, id="relational: node < node"),
    pytest.param("${a} <= ${b}", {"a": "1", "b": "1.0"}, True,
                 id="relational: node <= node compares numbers"),
    pytest.param("true() > false()", {}, True, id="relational: booleans as 1 and 0"),
    pytest.param("${x} > false()", {"x": ""}, False,
                 id="relational: node vs boolean uses boolean(node) (false)"),
    pytest.param("${x} > false()", {"x": "a"}, True,
                 id="relational: node vs boolean uses boolean(node) (true)"),
    pytest.param("1 = 1 = 1", {}, True, id="equality chains left to right: (1=1)=1"),
    pytest.param("3 > 2 > 1", {}, False, id="relational chains left to right: (3>2)>1"),
    pytest.param("'2026-11-01' < '2026-11-02'", {}, True,
                 id="relational: ISO dates compare as day counts"),
])
def test_relational(text, values, expected):
    assert parse(text).evaluate_bool(context(values)) is expected


def test_union_compares_existentially():
    ctx = context({"a": "1", "b": "2"})
    assert parse("${a} | ${b} = 2").evaluate_bool(ctx)
    assert parse("${a} | ${b} != 2").evaluate_bool(ctx)
    assert parse("count(${a} | ${b} | ${a})").evaluate(ctx) == 2.0
    assert parse("sum(${a} | ${b})").evaluate(ctx) == 3.0


# Arithmetic and precedence ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("1 + 2 * 3", 7.0, id="multiplication before addition"),
    pytest.param("(1 + 2) * 3", 9.0, id="parentheses"),
    pytest.param("1 - 1 - 1", -1.0, id="subtraction is left associative"),
    pytest.param("8 div 2 div 2", 2.0, id="div is left associative"),
    pytest.param("7 div 2", 3.5, id="div"),
    pytest.param("7 mod 3", 1.0, id="mod"),
    pytest.param("-7 mod 3", -1.0, id="mod has the sign of the dividend"),
    pytest.param("7 mod -3", 1.0, id="mod ignores the sign of the divisor"),
    pytest.param("5.5 mod 2", 1.5, id="mod of decimals"),
    pytest.param("1 mod 0", math.nan, id="mod by zero is NaN"),
    pytest.param("1 div 0", math.inf, id="div by zero is Infinity"),
    pytest.param("-1 div 0", -math.inf, id="negative div by zero is -Infinity"),
    pytest.param("1 div -0", -math.inf, id="div by negative zero is -Infinity"),
    pytest.param("0 div 0", math.nan, id="zero div zero is NaN"),
    pytest.param("- 3", -3.0, id="unary minus"),
    pytest.param("--3", 3.0, id="double unary minus"),
    pytest.param("2 - - 2", 4.0, id="binary then unary minus"),
    pytest.param("-2 * -2", 4.0, id="unary minus binds tighter than *"),
    pytest.param("${n}-1", 4.0, id="reference minus number without spaces"),
    pytest.param("${n} div 2", 2.5, id="reference div"),
    pytest.param("${e} + 1", math.nan, id="empty answer in arithmetic is NaN"),
    pytest.param("'3' * '4'", 12.0, id="strings convert to numbers"),
    pytest.param("true() + 1", 2.0, id="booleans convert to numbers"),
    pytest.param("2 * 3 = 6 and 1 < 2 or false()", True, id="comparison before and before or"),
    pytest.param("1 or 0 and 0", True, id="and binds tighter than or"),
    pytest.param("(1 or 0) and 0", False, id="parentheses around or"),
    pytest.param("1 + 1 = 2", True, id="arithmetic before equality"),
    pytest.param("1 < 2 = 1", True, id="relational before equality"),
])
def test_arithmetic(text, expected):
    result = evaluate(text, n="5", e="")
    if isinstance(expected, bool):
        assert result is expected
    else:
        assert same_number(result, expected)


def test_and_or_short_circuit():
    calls = []

    class Recording(SimpleContext):
        def value_of(self, name):
            calls.append(name)
            return super().value_of(name)

    ctx = Recording(values={"a": "1"})
    assert parse("${a} = 1 or ${b} = 1").evaluate_bool(ctx)
    assert not parse("${a} = 2 and ${c} = 1").evaluate_bool(ctx)
    assert calls == ["a", "a"]


# Dates --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "values", "expected"), [
    pytest.param("${d} > today()", {"d": "2026-11-01"}, False, id="past date > today"),
    pytest.param("${d} < today()", {"d": "2026-11-01"}, True, id="past date < today"),
    pytest.param("${d} > today()", {"d": "2026-12-01"}, True, id="future date > today"),
    pytest.param("${d} < today() - 30", {"d": "2026-11-01"}, False,
                 id="22 days ago is not more than 30 days ago"),
    pytest.param("${d} < today() - 30", {"d": "2026-10-01"}, True,
                 id="53 days ago is more than 30 days ago"),
    pytest.param("${d} >= today()", {"d": ""}, False, id="unanswered date compares false"),
    pytest.param("${t} < now()", {"t": "2026-11-23T09:29:00+08:00"}, True,
                 id="dateTime with offset before now"),
    pytest.param("${t} < now()", {"t": "2026-11-23T01:31:00Z"}, False,
                 id="dateTime in UTC after now"),
])
def test_date_comparisons(text, values, expected):
    assert parse(text).evaluate_bool(context(values)) is expected


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("today() - ${d}", 22.0, id="days between dates"),
    pytest.param("number('1970-01-02')", 1.0, id="date is days since 1970-01-01"),
    pytest.param("number('1969-12-31')", -1.0, id="dates before 1970 are negative"),
    pytest.param("number('1970-01-01T12:00:00Z')", 0.5, id="dateTime has a fraction"),
    pytest.param("number('1970-01-02T08:00:00+08:00')", 1.0, id="dateTime offset to UTC"),
    pytest.param("number('1970-01-01T06:00')", 0.25, id="dateTime without offset is UTC"),
    pytest.param("number('1970-01-01T00:00:00.500-0100')", 1 / 24 + 0.5 / 86400,
                 id="dateTime with milliseconds and compact offset"),
    pytest.param("number('2026-02-30')", math.nan, id="impossible date is NaN"),
    pytest.param("number(today())", float(TODAY_DAYS), id="today() is days since epoch"),
    pytest.param("today() + 1", float(TODAY_DAYS + 1), id="date arithmetic gives a number"),
])
def test_date_numbers(text, expected):
    assert same_number(evaluate(text, d="2026-11-01"), expected)


def test_today_and_now_come_from_the_context_clock():
    late = dt.datetime(2026, 11, 23, 1, 0, tzinfo=CST)  # still the 22nd in UTC
    ctx = context(now=late)
    assert parse("today()").evaluate_string(ctx) == "2026-11-23"
    assert parse("now()").evaluate_string(ctx) == "2026-11-23T01:00:00.000+08:00"
    assert parse("now()").evaluate_string(context()) == "2026-11-23T09:30:00.000+08:00"
    utc = context(now=dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC))
    assert parse("now()").evaluate_string(utc) == "2026-01-02T03:04:05.678+00:00"
    value = parse("now()").evaluate(ctx)
    assert isinstance(value, DateValue)
    assert value.days == pytest.approx(TODAY_DAYS - 1 + 17 / 24)


# References and the use of '.' -----------------------------------------------------------------

@pytest.mark.parametrize(("text", "references", "uses_current"), [
    pytest.param("${a} + ${b}", {"a", "b"}, False, id="plain references"),
    pytest.param("${ a }", {"a"}, False, id="spaces inside braces"),
    pytest.param("jr:choice-name(${x}, '${x}')", {"x"}, False, id="choice-name literal"),
    pytest.param("jr:choice-name('1', \"${y}\")", {"y"}, False, id="choice-name literal only"),
    pytest.param("jr:choice-name(${x}, '/data/q')", {"x", "q"}, False,
                 id="choice-name path literal"),
    pytest.param("concat('${z}', 1)", set(), False, id="other string literals are text"),
    pytest.param("selected(${s}, 'a') and . > 1", {"s"}, True, id="dot"),
    pytest.param("string-length()", set(), True, id="string-length() reads dot"),
    pytest.param("number() > 1", set(), True, id="number() reads dot"),
    pytest.param("if(${a}, ${b}, ${c})", {"a", "b", "c"}, False, id="all branches"),
    pytest.param("county = ${county}", {"county"}, True, id="bare choice column"),
    pytest.param("1 + 1", set(), False, id="constant"),
])
def test_references(text, references, uses_current):
    expression = parse(text)
    assert expression.references == frozenset(references)
    assert expression.uses_current is uses_current
    assert expression.text == text


def test_bare_names_read_the_choice_columns():
    expression = parse("county = ${county} and name != 'x'")
    assert expression.child_names == {"county", "name"}
    ctx = context({"county": "py"}, children={"county": "py", "name": "gh"})
    assert expression.evaluate_bool(ctx)
    with pytest.raises(ExpressionEvalError, match=r"choice_filter.*\$\{county\}"):
        expression.evaluate_bool(context({"county": "py"}))


def test_dot_is_the_current_value():
    expression = parse(". >= 18 and . < 120")
    assert expression.evaluate_bool(context(current_value="18"))
    assert not expression.evaluate_bool(context(current_value="17"))
    assert not expression.evaluate_bool(context(current_value=""))

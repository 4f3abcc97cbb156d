"""XPath 1.0 values, their conversions (string(), number(), boolean()) and comparisons.

A value is one of:

* ``str`` – an XPath string;
* ``float`` – an XPath number;
* ``bool`` – an XPath boolean;
* :class:`NodeSet` – what ``${name}``, ``.`` and a bare choice-column name evaluate to: one node
  whose string value is the stored answer (a union ``a | b`` holds several);
* :class:`DateValue` – what today(), now() and date() return: string() is its ISO text and
  number() its days since 1970-01-01, as in JavaRosa.

Deviations from XPath 1.0, both as JavaRosa behaves:

* boolean() of a node-set is true when one of its nodes has a non-empty string value (XPath
  says: when the node-set is non-empty), so ``${x}`` alone means "x is answered";
* number() of a string holding an ISO date or dateTime is its day count (see ``dates``), so
  dates compare and subtract as numbers: ``${d} < today() - 30``.
"""

from __future__ import annotations

import math
import operator
import re
from decimal import Decimal

from cati.questionnaire.xpath import dates

NAN = math.nan
INF = math.inf
_NUMERIC = re.compile(r"[ \t\r\n]*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))[ \t\r\n]*")
_NUMBER_CACHE: dict[str, float] = {}
_NUMBER_CACHE_LIMIT = 4096


class NodeSet:
    """Nodes given by their string values (and keys, so that a union drops duplicates)."""

    __slots__ = ("keys", "values")

    def __init__(self, values: tuple[str, ...], keys: tuple[str, ...]) -> None:
        self.values = values
        self.keys = keys

    def __repr__(self) -> str:
        return f"NodeSet({self.values!r})"


class DateValue:
    """A date or dateTime: ``days`` since 1970-01-01 (UTC for a dateTime) and its ISO ``text``."""

    __slots__ = ("days", "text")

    def __init__(self, days: float, text: str) -> None:
        self.days = days
        self.text = text

    def __repr__(self) -> str:
        return f"DateValue({self.text!r})"


Value = str | float | bool | NodeSet | DateValue


def to_string(value: Value) -> str:
    kind = type(value)
    if kind is str:
        return value
    if kind is NodeSet:
        return value.values[0] if value.values else ""
    if kind is float:
        return number_to_string(value)
    if kind is bool:
        return "true" if value else "false"
    return value.text


def to_number(value: Value) -> float:
    kind = type(value)
    if kind is float:
        return value
    if kind is str:
        return string_to_number(value)
    if kind is NodeSet:
        return string_to_number(value.values[0]) if value.values else NAN
    if kind is bool:
        return 1.0 if value else 0.0
    return value.days


def to_boolean(value: Value) -> bool:
    kind = type(value)
    if kind is bool:
        return value
    if kind is str:
        return value != ""
    if kind is NodeSet:
        return any(value.values)
    if kind is float:
        return value != 0.0 and value == value
    return True


def string_to_number(text: str) -> float:
    """XPath number() of a string: an optional '-', digits and '.', spaces around; an ISO date or
    dateTime gives its day count; anything else is NaN."""
    number = _NUMBER_CACHE.get(text)
    if number is None:
        match = _NUMERIC.fullmatch(text)
        if match:
            number = float(match.group(1))
        else:
            days = dates.days_of_text(text) if len(text) >= 10 else None
            number = NAN if days is None else days
        if len(_NUMBER_CACHE) >= _NUMBER_CACHE_LIMIT:
            _NUMBER_CACHE.clear()
        _NUMBER_CACHE[text] = number
    return number


def number_to_string(number: float) -> str:
    """XPath string() of a number: 3 not 3.0, NaN, Infinity, -Infinity, never an exponent."""
    if number != number:
        return "NaN"
    if number in (INF, -INF):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    text = repr(number)  # the shortest text that reads back as the same number
    if "e" in text:
        text = format(Decimal(text), "f")
    return text.removesuffix(".0")


# Comparisons (XPath 1.0, section 3.4) ----------------------------------------------------------

def _equality(test):
    def compare(a: Value, b: Value) -> bool:
        kind_a, kind_b = type(a), type(b)
        if kind_a is NodeSet or kind_b is NodeSet:
            return _node_equality(test, a, b)
        if kind_a is bool or kind_b is bool:
            return test(to_boolean(a), to_boolean(b))
        if kind_a is float or kind_b is float:
            return test(to_number(a), to_number(b))
        return test(to_string(a), to_string(b))
    return compare


def _node_equality(test, a: Value, b: Value) -> bool:
    if type(a) is not NodeSet:
        a, b = b, a
    kind = type(b)
    if kind is NodeSet:
        return any(test(x, y) for x in a.values for y in b.values)
    if kind is bool:
        return test(to_boolean(a), b)
    if kind is float:
        return any(test(string_to_number(x), b) for x in a.values)
    text = to_string(b)
    return any(test(x, text) for x in a.values)


def _relational(test):
    def compare(a: Value, b: Value) -> bool:
        kind_a, kind_b = type(a), type(b)
        if kind_a is not NodeSet and kind_b is not NodeSet:
            return test(to_number(a), to_number(b))
        if kind_a is bool or kind_b is bool:
            return test(float(to_boolean(a)), float(to_boolean(b)))
        return any(test(x, y) for x in _numbers(a) for y in _numbers(b))
    return compare


def _numbers(value: Value) -> list[float]:
    if type(value) is NodeSet:
        return [string_to_number(text) for text in value.values]
    return [to_number(value)]


equals = _equality(operator.eq)
not_equals = _equality(operator.ne)
COMPARISONS = {
    "=": equals,
    "!=": not_equals,
    "<": _relational(operator.lt),
    "<=": _relational(operator.le),
    ">": _relational(operator.gt),
    ">=": _relational(operator.ge),
}


# Arithmetic -------------------------------------------------------------------------------------

def divide(a: float, b: float) -> float:
    if b == 0.0:
        if a == 0.0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def modulo(a: float, b: float) -> float:
    """XPath mod: the remainder of truncating division, with the sign of the dividend."""
    if b == 0.0 or a != a or b != b or a in (INF, -INF):
        return NAN
    if b in (INF, -INF):
        return a
    return math.fmod(a, b)


ARITHMETIC = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "div": divide,
    "mod": modulo,
}

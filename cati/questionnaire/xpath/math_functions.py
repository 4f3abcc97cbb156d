"""Numeric functions. NaN and the infinities pass through as XPath (and Java) have them."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from cati.questionnaire.xpath.registry import function
from cati.questionnaire.xpath.values import INF, NAN, NodeSet, string_to_number, to_number

_DECIMALS = Context(prec=1000)


def _finite(number: float) -> bool:
    return number == number and number not in (INF, -INF)


@function("number", (0, 1), defaults_to_current=True)
def _number(value) -> float:
    return to_number(value)


@function("int", 1)
def _int(value) -> float:
    """Truncation toward zero; NaN and the infinities stay as they are."""
    number = to_number(value)
    return float(math.trunc(number)) if _finite(number) else number


@function("round", (1, 2))
def _round(value, digits=None) -> float:
    """Rounds half away from zero, on the decimal text of the number: round(1.005, 2) is 1.01."""
    number = to_number(value)
    places = 0 if digits is None else to_number(digits)
    if not _finite(number) or places != places or places >= 400:
        return number
    if places <= -400:
        return math.copysign(0.0, number)
    exponent = Decimal(1).scaleb(-int(places))
    try:
        rounded = Decimal(repr(number)).quantize(exponent, ROUND_HALF_UP, _DECIMALS)
    except InvalidOperation:
        return number
    return float(rounded)


@function("floor", 1)
def _floor(value) -> float:
    number = to_number(value)
    return float(math.floor(number)) if _finite(number) else number


@function("ceiling", 1)
def _ceiling(value) -> float:
    number = to_number(value)
    return float(math.ceil(number)) if _finite(number) else number


@function("abs", 1)
def _abs(value) -> float:
    return abs(to_number(value))


@function("sqrt", 1)
def _sqrt(value) -> float:
    number = to_number(value)
    return math.sqrt(number) if number >= 0.0 else NAN


@function("pow", 2)
def _pow(base, exponent) -> float:
    """Java's Math.pow: never an exception, NaN or an infinity instead."""
    x, y = to_number(base), to_number(exponent)
    try:
        return math.pow(x, y)
    except OverflowError:
        return -INF if x < 0 and _odd_integer(y) else INF
    except ValueError:
        if x == 0.0:  # 0 to a negative power
            return math.copysign(INF, x) if _odd_integer(y) else INF
        return NAN


def _odd_integer(number: float) -> bool:
    return _finite(number) and number.is_integer() and number % 2 == 1


def _numbers(values) -> list[float]:
    numbers: list[float] = []
    for value in values:
        if type(value) is NodeSet:
            numbers.extend(string_to_number(text) for text in value.values)
        else:
            numbers.append(to_number(value))
    return numbers


@function("sum", (1, None))
def _sum(*values) -> float:
    total = 0.0
    for number in _numbers(values):
        total += number
    return total


@function("min", (1, None))
def _min(*values) -> float:
    numbers = _numbers(values)
    if not numbers or any(number != number for number in numbers):
        return NAN
    return min(numbers)


@function("max", (1, None))
def _max(*values) -> float:
    numbers = _numbers(values)
    if not numbers or any(number != number for number in numbers):
        return NAN
    return max(numbers)

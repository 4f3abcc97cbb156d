"""Date functions. The clock is the context's ``now``; nothing here reads the wall clock.

An empty argument (an unanswered question) gives an empty result; text that is neither a date,
a dateTime nor a number is an ExpressionEvalError.
"""

from __future__ import annotations

import datetime as dt

from cati.questionnaire.xpath import dates
from cati.questionnaire.xpath.errors import ExpressionEvalError
from cati.questionnaire.xpath.registry import CONTEXT, function
from cati.questionnaire.xpath.values import (
    NAN,
    DateValue,
    Value,
    number_to_string,
    string_to_number,
    to_number,
    to_string,
)

Moment = dt.date | dt.datetime


def _date_value(day: dt.date) -> DateValue:
    return DateValue(dates.days_of(day), dates.date_text(day))


@function("today", 0, CONTEXT)
def _today(ctx) -> DateValue:
    """The date of ctx.now in its own time zone."""
    return _date_value(ctx.now.date())


@function("now", 0, CONTEXT)
def _now(ctx) -> DateValue:
    moment = ctx.now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return DateValue(dates.days_of(moment), dates.datetime_text(moment))


@function("date", 1)
def _date(value: Value) -> DateValue | str:
    """A number of days since 1970-01-01, or a date or dateTime text, as a date."""
    moment = _moment(value, "date")
    if moment is None:
        return ""
    return _date_value(moment.date() if isinstance(moment, dt.datetime) else moment)


@function("format-date", 2)
def _format_date(value: Value, pattern: Value) -> str:
    moment = _moment(value, "format-date")
    return "" if moment is None else dates.format_moment(moment, to_string(pattern))


@function("format-date-time", 2)
def _format_date_time(value: Value, pattern: Value) -> str:
    moment = _moment(value, "format-date-time")
    return "" if moment is None else dates.format_moment(moment, to_string(pattern))


@function("decimal-date-time", 1)
def _decimal_date_time(value: Value) -> float:
    """Days since 1970-01-01T00:00Z, with the time of day as the fraction."""
    moment = _moment(value, "decimal-date-time")
    return NAN if moment is None else dates.days_of(moment)


def _moment(value: Value, name: str) -> Moment | None:
    """The date or dateTime a value stands for; None when it is empty or NaN."""
    if type(value) is DateValue:
        return dates.parse_moment(value.text)
    if type(value) in (float, bool):
        return _from_days(to_number(value), name)
    text = to_string(value)
    if not text.strip():
        return None
    moment = dates.parse_moment(text)
    if moment is not None:
        return moment
    number = string_to_number(text)
    if number != number:
        raise ExpressionEvalError(f"{name}() cannot read {text!r} as a date")
    return _from_days(number, name)


def _from_days(days: float, name: str) -> dt.datetime | None:
    if days != days:
        return None
    try:
        moment = dates.datetime_of_days(days)
    except (OverflowError, ValueError):
        moment = None
    if moment is None or not 1 <= moment.year <= 9999:
        raise ExpressionEvalError(
            f"{name}(): {number_to_string(days)} days from 1970-01-01 is not a date")
    return moment.replace(tzinfo=None)

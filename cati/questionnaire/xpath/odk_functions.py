"""The rest of the ODK XForms function list that an interview can run: trigonometry and
logarithms, date-time() and decimal-time(), checklist() and weighted-checklist(),
count-non-empty(), digest() and base64-decode(), and uuid(length).

Behaviour follows the ODK XForms specification (getodk.github.io/xforms-spec, "XPath
functions") and, where the spec is silent, JavaRosa, which ODK Collect runs.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import math
import re
import string

from cati.questionnaire.xpath import dates
from cati.questionnaire.xpath.date_functions import _moment
from cati.questionnaire.xpath.errors import ExpressionEvalError
from cati.questionnaire.xpath.registry import CONTEXT, function
from cati.questionnaire.xpath.values import (
    NAN,
    DateValue,
    NodeSet,
    Value,
    to_boolean,
    to_number,
    to_string,
)

# Math ---------------------------------------------------------------------------------------------


def _unary(name: str, operation) -> None:
    """Register ``name(x)``: ``operation`` on number(x); a domain error gives NaN, as Java's
    Math does, never an exception."""

    def impl(value) -> float:
        number = to_number(value)
        try:
            return float(operation(number))
        except (ValueError, OverflowError):
            return NAN

    function(name, 1)(impl)


for _name, _operation in (("sin", math.sin), ("cos", math.cos), ("tan", math.tan),
                          ("asin", math.asin), ("acos", math.acos), ("atan", math.atan)):
    _unary(_name, _operation)


def _log(number: float) -> float:
    if number != number or number < 0:
        return NAN
    return -math.inf if number == 0 else math.log(number)


def _log10(number: float) -> float:
    if number != number or number < 0:
        return NAN
    return -math.inf if number == 0 else math.log10(number)


def _exp(number: float) -> float:
    try:
        return math.exp(number)
    except OverflowError:
        return math.inf


def _exp10(number: float) -> float:
    try:
        return math.pow(10.0, number)
    except OverflowError:
        return math.inf


_unary("log", _log)
_unary("log10", _log10)
_unary("exp", _exp)
_unary("exp10", _exp10)


@function("atan2", 2)
def _atan2(y, x) -> float:
    return math.atan2(to_number(y), to_number(x))


@function("pi", 0)
def _pi() -> float:
    return math.pi


# Counting answers ---------------------------------------------------------------------------------


@function("count-non-empty", 1)
def _count_non_empty(nodes) -> float:
    if type(nodes) is not NodeSet:
        raise ExpressionEvalError("count-non-empty() needs a reference such as ${name}")
    return float(sum(1 for value in nodes.values if value != ""))


def _within(count: float, low: Value, high: Value) -> bool:
    """low and high are limits; -1 means none (the spec's convention)."""
    minimum, maximum = to_number(low), to_number(high)
    return (minimum == -1 or count >= minimum) and (maximum == -1 or count <= maximum)


@function("checklist", (2, None))
def _checklist(low, high, *values) -> bool:
    """True when the number of true arguments after the first two lies between them."""
    count = 0.0
    for value in values:
        if type(value) is NodeSet:
            count += sum(1 for text in value.values if to_boolean(NodeSet((text,), ("",))))
        else:
            count += to_boolean(value)
    return _within(count, low, high)


@function("weighted-checklist", (2, None))
def _weighted_checklist(low, high, *pairs) -> bool:
    """Like checklist() over (value, weight) pairs: the weights of the true values are summed."""
    if len(pairs) % 2:
        raise ExpressionEvalError("weighted-checklist() takes values and weights in pairs")
    total = 0.0
    for value, weight in zip(pairs[::2], pairs[1::2], strict=True):
        if to_boolean(value):
            total += to_number(weight)
    return _within(total, low, high)


# Dates and times ----------------------------------------------------------------------------------


@function("date-time", 1)
def _date_time(value: Value) -> DateValue | str:
    """A number of days since 1970-01-01 (fraction: time of day, UTC), a date or a dateTime
    text, as a dateTime."""
    moment = _moment(value, "date-time")
    if moment is None:
        return ""
    if not isinstance(moment, dt.datetime):  # a date: its midnight, UTC as dates count
        moment = dt.datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return DateValue(dates.days_of(moment), dates.datetime_text(moment))


_TIME = re.compile(r"\s*([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
                   r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?\s*")


@function("decimal-time", 1, CONTEXT)
def _decimal_time(ctx, value: Value) -> float:
    """The fraction of a day a time stands for (noon is 0.5) in the interview's time zone (the
    zone of the context's clock): a time written with an offset is first moved into it, as ODK
    moves it into the device's. Empty gives NaN, text that is no time too (as JavaRosa)."""
    text = to_string(value)
    if type(value) is DateValue or "T" in text:
        moment = dates.parse_moment(text)
        if not isinstance(moment, dt.datetime):
            return NAN
    else:
        match = _TIME.fullmatch(text)
        if match is None:
            return NAN
        hour, minute, second, fraction, offset = match.groups()
        if int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59:
            return NAN
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        zone = ctx.now.tzinfo or dt.UTC
        if offset:
            zone = dates.parse_moment(f"1970-01-01T00:00{offset}").tzinfo
        day = ctx.now.astimezone(zone).date() if ctx.now.tzinfo else ctx.now.date()
        moment = dt.datetime(day.year, day.month, day.day, int(hour), int(minute),
                             int(second or 0), micro, tzinfo=zone)
    local = moment.astimezone(ctx.now.tzinfo or dt.UTC)
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return seconds / 86400.0


# Encoding -----------------------------------------------------------------------------------------

_DIGESTS = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
            "SHA-512": "sha512"}


@function("digest", (2, 3))
def _digest(data, algorithm, encoding=None) -> str:
    """The hash of the UTF-8 bytes of ``data`` by MD5, SHA-1, SHA-256, SHA-384 or SHA-512,
    written in base64 (the default) or hex."""
    name = to_string(algorithm).strip().upper()
    if name not in _DIGESTS:
        raise ExpressionEvalError(
            f"digest(): algorithm {to_string(algorithm)!r} is not one of {', '.join(_DIGESTS)}")
    how = "base64" if encoding is None else to_string(encoding).strip().lower()
    if how not in ("base64", "hex"):
        raise ExpressionEvalError(f"digest(): encoding {to_string(encoding)!r} is not base64 "
                                  "or hex")
    raw = hashlib.new(_DIGESTS[name], to_string(data).encode("utf-8", "surrogatepass")).digest()
    return raw.hex() if how == "hex" else base64.b64encode(raw).decode("ascii")


@function("base64-decode", 1)
def _base64_decode(value) -> str:
    """The UTF-8 text that base64 ``value`` encodes; '' when it is not base64 of UTF-8 text
    (JavaRosa gives '' too)."""
    text = "".join(to_string(value).split())
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return ""


# uuid(length): the spec's random text of a given length ---------------------------------------

_ALPHANUMERIC = string.ascii_letters + string.digits
UUID_MAX_LENGTH = 4096


def uuid_of_length(ctx, length: Value) -> str:
    count = to_number(length)
    if count != count or count < 0 or count > UUID_MAX_LENGTH:
        raise ExpressionEvalError(f"uuid(): the length must be 0 to {UUID_MAX_LENGTH}")
    return "".join(ctx.rng.choice(_ALPHANUMERIC) for _ in range(int(count)))


# Data files beside the form --------------------------------------------------------------------


@function("pulldata", 4, CONTEXT)
def _pulldata(ctx, instance_id, column, key_column, key) -> str:
    """The ``column`` of the first row of the data file whose ``key_column`` is ``key``; ''
    when no row has it (ODK's pulldata, over the file stored with the form)."""
    from cati.questionnaire.xpath.compiler import instance_of

    root = instance_of(ctx, to_string(instance_id).strip())
    for top in root.children:
        rows = top.children_where("*", to_string(key_column), to_string(key))
        if rows:
            return rows[0].child_text(to_string(column))
    return ""

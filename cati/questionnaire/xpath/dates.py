"""Dates and times as ODK stores them (ISO 8601 text), converted to and from day counts.

A date ``YYYY-MM-DD`` counts whole days since 1970-01-01. A dateTime
``YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]`` counts fractional days since 1970-01-01T00:00Z: the
value is taken in its own offset and converted to UTC; a dateTime written without an offset is
read as UTC.
"""

from __future__ import annotations

import datetime as dt
import math
import re

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def parse_moment(text: str) -> dt.date | dt.datetime | None:
    """The date or dateTime written in ``text`` (surrounding spaces allowed), else None."""
    text = text.strip()
    try:
        match = _DATE.fullmatch(text)
        if match:
            return dt.date(*map(int, match.groups()))
        match = _DATETIME.fullmatch(text)
        if match:
            return _datetime(match)
    except (ValueError, OverflowError):
        return None
    return None


def _datetime(match: re.Match[str]) -> dt.datetime:
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = dt.UTC
    if offset and offset != "Z":
        digits = offset[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
        sign = -1 if offset[0] == "-" else 1
        tz = dt.timezone(dt.timedelta(minutes=sign * minutes))
    return dt.datetime(int(year), int(month), int(day), int(hour), int(minute),
                       int(second or 0), micro, tzinfo=tz)


def days_of_text(text: str) -> float | None:
    """Days since the epoch of a date or dateTime string, else None."""
    moment = parse_moment(text)
    return None if moment is None else days_of(moment)


def days_of(moment: dt.date | dt.datetime) -> float:
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return (moment - _EPOCH_UTC).total_seconds() / 86400.0
    return float(moment.toordinal() - _EPOCH_ORDINAL)


def date_of_days(days: float) -> dt.date:
    """The date ``floor(days)`` days after 1970-01-01; ValueError/OverflowError when out of range."""
    return dt.date.fromordinal(_EPOCH_ORDINAL + math.floor(days))


def datetime_of_days(days: float) -> dt.datetime:
    """The UTC moment ``days`` after the epoch; OverflowError when out of range."""
    return _EPOCH_UTC + dt.timedelta(days=days)


def date_text(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def datetime_text(moment: dt.datetime) -> str:
    """ISO 8601 with milliseconds and the moment's own offset: 2026-11-23T09:30:00.000+08:00."""
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = round(offset.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return (f"{date_text(moment)}T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
            f".{moment.microsecond // 1000:03d}{sign}{hours:02d}:{minutes:02d}")


def format_moment(moment: dt.date | dt.datetime, pattern: str) -> str:
    """ODK format-date: %Y %y %m %n %b %d %e %a %H %h %M %S %3; other text is kept as written."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime(moment.year, moment.month, moment.day)
    codes = {
        "Y": f"{moment.year:04d}", "y": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}", "n": str(moment.month), "b": _MONTHS[moment.month - 1],
        "d": f"{moment.day:02d}", "e": str(moment.day), "a": _WEEKDAYS[moment.weekday()],
        "H": f"{moment.hour:02d}", "h": str(moment.hour), "M": f"{moment.minute:02d}",
        "S": f"{moment.second:02d}", "3": f"{moment.microsecond // 1000:03d}",
    }
    parts = pattern.split("%")
    out = [parts[0]]
    for part in parts[1:]:
        code = part[:1]
        out.append(codes[code] + part[1:] if code in codes else "%" + part)
    return "".join(out)

"""Calling hours in the respondent's local time, as pure functions of a UTC instant.

Windows are half-open ``[start, end)`` local times; an ``end`` of 00:00 means midnight at the
end of that day. Local times are turned into UTC instants with :mod:`zoneinfo`, so zones with
daylight saving (America/New_York) and without (Asia/Shanghai, Asia/Urumqi) both work. On the
days the clocks change, a window never has a call placed while the respondent's clock reads a
time outside it: the skipped hour is skipped (not moved an hour on), and of the repeated hour
see :func:`iter_segments`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

UTC = dt.UTC

MORNING = "morning"
AFTERNOON = "afternoon"
EVENING = "evening"
SLOTS: tuple[str, ...] = (MORNING, AFTERNOON, EVENING)
_NOON = dt.time(12)
_FIVE_PM = dt.time(17)
_MIDNIGHT = dt.time(0)

Window = tuple[dt.time, dt.time]

DEFAULT_WINDOWS: tuple[Window, ...] = ((dt.time(9), dt.time(12)), (dt.time(14), dt.time(21)))


def _default_days() -> tuple[tuple[Window, ...], ...]:
    return (DEFAULT_WINDOWS,) * 7


@dataclass(frozen=True, slots=True)
class CallingHours:
    """Per weekday (0 = Monday .. 6 = Sunday) the local windows in which calls may be placed."""

    days: tuple[tuple[Window, ...], ...] = field(default_factory=_default_days)

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("calling hours need exactly 7 weekdays (0=Mon..6=Sun)")
        normalised = []
        for windows in self.days:
            ordered = tuple(sorted((tuple(w) for w in windows), key=lambda w: w[0]))
            for start, end in ordered:
                if end != _MIDNIGHT and not start < end:
                    raise ValueError(f"calling window {start}–{end} ends before it starts")
            for (_, end), (start, _) in itertools.pairwise(ordered):
                if end == _MIDNIGHT or start < end:
                    raise ValueError("calling windows of one day overlap")
            normalised.append(ordered)
        if not any(normalised):
            raise ValueError("calling hours have no window on any day")
        object.__setattr__(self, "days", tuple(normalised))

    @classmethod
    def every_day(cls, windows: Sequence[Window]) -> CallingHours:
        return cls((tuple(windows),) * 7)

    @classmethod
    def by_weekday(cls, windows: dict[int, Sequence[Window]]) -> CallingHours:
        """Windows for the weekdays given; the other days have none."""
        return cls(tuple(tuple(windows.get(day, ())) for day in range(7)))


@cache  # every zone the claim's scan checks (~600): a cache of 64 thrashed
def zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def require_aware(value: dt.datetime, name: str = "time") -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def local_time(now_utc: dt.datetime, tz: str) -> dt.datetime:
    return require_aware(now_utc, "now_utc").astimezone(zone(tz))


def local_date(now_utc: dt.datetime, tz: str) -> dt.date:
    return local_time(now_utc, tz).date()


def slot_of_time(value: dt.time) -> str:
    if value < _NOON:
        return MORNING
    if value < _FIVE_PM:
        return AFTERNOON
    return EVENING


def local_slot(now_utc: dt.datetime, tz: str) -> str:
    """"morning" before 12:00, "afternoon" 12:00–17:00, "evening" from 17:00, in local time."""
    return slot_of_time(local_time(now_utc, tz).time())


def _local(day: dt.date, value: dt.time, tz: str, is_end: bool) -> dt.datetime:
    if is_end and value == _MIDNIGHT:
        day = day + dt.timedelta(days=1)
    return dt.datetime.combine(day, value, tzinfo=zone(tz))


def _to_utc(day: dt.date, value: dt.time, tz: str, *, is_end: bool = False,
            fold: int = 0) -> dt.datetime:
    """The instant of a window's bound. A local time the clocks skip (spring forward) is the
    instant they skip it, the first valid time after it; of a local time that happens twice
    (fall back), ``fold`` picks the occurrence (0 the first, 1 the second)."""
    local = _local(day, value, tz, is_end).replace(fold=fold)
    instant = local.astimezone(UTC)
    if instant.astimezone(local.tzinfo).replace(tzinfo=None) != local.replace(tzinfo=None):
        return _clocks_skip(local)
    return instant


def _clocks_skip(local: dt.datetime) -> dt.datetime:
    """The instant the clocks jump over ``local`` (a skipped local time): it lies between the
    local time read with the offset before and with the offset after; found to the second."""
    lo, hi = sorted((local.replace(fold=0).astimezone(UTC), local.replace(fold=1).astimezone(UTC)))
    after = hi.astimezone(local.tzinfo).utcoffset()
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + dt.timedelta(seconds=(hi - lo).total_seconds() // 2)
        if mid.astimezone(local.tzinfo).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi


def _repeated(day: dt.date, value: dt.time, tz: str, is_end: bool) -> bool:
    """A local time that happens twice (the hour the clocks go back)."""
    local = _local(day, value, tz, is_end)
    first, second = local.replace(fold=0), local.replace(fold=1)
    return first.utcoffset() != second.utcoffset() and (
        first.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None)
        == local.replace(tzinfo=None))


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of calling time in UTC, with the local day and part of day it belongs to."""

    start: dt.datetime
    end: dt.datetime
    day: dt.date
    slot: str


def iter_segments(
    from_day: dt.date, tz: str, hours: CallingHours, days: int = 15
) -> Iterator[Segment]:
    """Calling windows from local day `from_day` on, split at 12:00 and 17:00, in time order."""
    for offset in range(days):
        day = from_day + dt.timedelta(days=offset)
        for start, end in hours.days[day.weekday()]:
            cuts = [start]
            cuts += [c for c in (_NOON, _FIVE_PM) if start < c and (end == _MIDNIGHT or c < end)]
            bounds = [(c, False) for c in cuts] + [(end, True)]
            for (a, _), (b, b_end) in itertools.pairwise(bounds):
                # A bound in the hour the clocks skip is where they skip it, so a window
                # wholly inside the gap is empty (skipped) and one across it starts at the
                # first valid time (it was moved an hour on). Of a local time that happens
                # twice, the end is its first occurrence and the start its second, unless the
                # end is also in the repeated hour (a window wholly inside it is called once,
                # in the first): a call is never placed while the respondent's clock reads a
                # time outside the window, the price being that a window starting in the
                # repeated hour skips that hour's first occurrence.
                start_fold = 0 if _repeated(day, b, tz, b_end) else 1
                s = _to_utc(day, a, tz, fold=start_fold)
                e = _to_utc(day, b, tz, is_end=b_end)
                if s < e:
                    yield Segment(s, e, day, slot_of_time(a))


def segments_after(after_utc: dt.datetime, tz: str, hours: CallingHours,
                   days: int = 15) -> Iterator[Segment]:
    """The calling segments that end after `after_utc`, the first one clipped to start there."""
    after = require_aware(after_utc, "after_utc")
    start_day = local_date(after, tz) - dt.timedelta(days=1)
    for seg in iter_segments(start_day, tz, hours, days + 1):
        if seg.end > after:
            yield Segment(max(seg.start, after), seg.end, seg.day, seg.slot)


_STEADY_SPAN = dt.timedelta(days=2)


def is_within_calling_hours(now_utc: dt.datetime, tz: str, hours: CallingHours) -> bool:
    """Whether ``now_utc`` is inside a calling window of ``tz``.

    Where the zone's offset is the same two days either side (no clock change near, which is
    nearly always), the local wall time is simply compared with the local weekday's windows:
    the claim checks every zone (~600) and the exact walk over the segments cost 0.1–0.3 s.
    Near a clock change the exact rule of :func:`iter_segments` decides."""
    now = require_aware(now_utc, "now_utc")
    place = zone(tz)
    local = now.astimezone(place)
    offset = local.utcoffset()
    if ((now - _STEADY_SPAN).astimezone(place).utcoffset() != offset
            or (now + _STEADY_SPAN).astimezone(place).utcoffset() != offset):
        return next_calling_time(now, tz, hours) == now
    wall = local.time().replace(tzinfo=None)
    return any(start <= wall and (end == _MIDNIGHT or wall < end)
               for start, end in hours.days[local.weekday()])


def next_calling_time(after_utc: dt.datetime, tz: str, hours: CallingHours) -> dt.datetime:
    """The first instant at or after `after_utc` inside a calling window, in UTC."""
    for seg in segments_after(after_utc, tz, hours):
        return seg.start
    raise ValueError("no calling window in the next two weeks")  # pragma: no cover


def previous_window_end(now_utc: dt.datetime, tz: str, hours: CallingHours) -> dt.datetime | None:
    """The end of the last calling window that ended at or before `now_utc` (within a week)."""
    now = require_aware(now_utc, "now_utc")
    start_day = local_date(now, tz) - dt.timedelta(days=8)
    last = None
    for seg in iter_segments(start_day, tz, hours, 10):
        if seg.end <= now and (last is None or seg.end > last):
            last = seg.end
    return last


def first_window_of_day(day: dt.date, tz: str, hours: CallingHours) -> dt.datetime | None:
    for seg in iter_segments(day, tz, hours, 1):
        return seg.start
    return None

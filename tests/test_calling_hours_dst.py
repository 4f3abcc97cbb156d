"""Calling windows on the days the clocks change, in zones with daylight saving.

China keeps no daylight saving, but a project may call respondents in other zones (a case's
time_zone). On the spring-forward day a window inside the skipped hour is skipped (it was moved
an hour on, so calls were placed at local times outside every window) and one across it starts
at the first valid time; on the fall-back day no call is placed while the respondent's clock
reads a time outside the window.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cati.calling.hours import (
    CallingHours,
    is_within_calling_hours,
    iter_segments,
    next_calling_time,
)

NY, BERLIN = "America/New_York", "Europe/Berlin"
# The clocks go forward at 02:00 local (New York 2027-03-14, Berlin at 02:00 on 2027-03-28)
# and back at 02:00 local in New York on 2027-11-07 (01:00-02:00 happens twice).
SPRING = {NY: dt.date(2027, 3, 14), BERLIN: dt.date(2027, 3, 28)}
FALL_NY = dt.date(2027, 11, 7)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def window(start: str, end: str) -> CallingHours:
    return CallingHours.every_day([(dt.time.fromisoformat(start), dt.time.fromisoformat(end))])


def segments_on(day: dt.date, tz: str, hours: CallingHours) -> list[tuple[dt.datetime, ...]]:
    return [(s.start, s.end) for s in iter_segments(day, tz, hours, 1)]


def local(instant: dt.datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M")


@pytest.mark.parametrize("tz", [NY, BERLIN])
def test_a_window_inside_the_skipped_hour_is_skipped(tz):
    """02:15-02:45 does not exist that day: no call (it was called at 03:15-03:45)."""
    day = SPRING[tz]
    hours = window("02:15", "02:45")
    assert segments_on(day, tz, hours) == []
    midnight = dt.datetime.combine(day, dt.time(0)).replace(tzinfo=dt.UTC)
    first = next_calling_time(midnight - dt.timedelta(hours=2), tz, hours)
    assert local(first, tz) == (day + dt.timedelta(days=1)).strftime("%m-%d") + " 02:15"


@pytest.mark.parametrize("tz", [NY, BERLIN])
def test_a_window_across_the_skipped_hour_starts_at_the_first_valid_time(tz):
    """02:30-04:00 begins when the clocks jump to 03:00 (it began at 03:30)."""
    day = SPRING[tz]
    [(start, end)] = segments_on(day, tz, window("02:30", "04:00"))
    assert local(start, tz) == day.strftime("%m-%d") + " 03:00"
    assert local(end, tz) == day.strftime("%m-%d") + " 04:00"
    assert end - start == dt.timedelta(hours=1)


def test_a_window_ending_in_the_skipped_hour_ends_when_the_clocks_jump():
    """01:30-02:30 ends at 02:00 EST = 03:00 EDT (it ran on to 03:30 EDT, outside it)."""
    [(start, end)] = segments_on(SPRING[NY], NY, window("01:30", "02:30"))
    assert (start, end) == (utc(2027, 3, 14, 6, 30), utc(2027, 3, 14, 7, 0))
    assert not is_within_calling_hours(utc(2027, 3, 14, 7, 15), NY, window("01:30", "02:30"))


def test_the_repeated_hour_is_never_called_at_a_time_outside_the_window():
    """01:00-02:00 happens twice on the fall-back day (EDT then EST). A window starting in it
    takes its second occurrence; one ending in it, its first; one wholly inside it is called
    once, in the first. The respondent's clock always reads a time inside the window."""
    # 01:30-03:00 from 01:30 EST (06:30 UTC): at 06:00 UTC the clock reads 01:00 (EST).
    [(start, end)] = segments_on(FALL_NY, NY, window("01:30", "03:00"))
    assert (start, end) == (utc(2027, 11, 7, 6, 30), utc(2027, 11, 7, 8, 0))
    assert not is_within_calling_hours(utc(2027, 11, 7, 6, 0), NY, window("01:30", "03:00"))
    # 00:30-01:30 until 01:30 EDT (05:30 UTC): later the clock reads 01:00 again, then 01:30.
    [(start, end)] = segments_on(FALL_NY, NY, window("00:30", "01:30"))
    assert (start, end) == (utc(2027, 11, 7, 4, 30), utc(2027, 11, 7, 5, 30))
    # 01:10-01:40, wholly in the repeated hour: once, in EDT.
    [(start, end)] = segments_on(FALL_NY, NY, window("01:10", "01:40"))
    assert (start, end) == (utc(2027, 11, 7, 5, 10), utc(2027, 11, 7, 5, 40))
    # A window around the whole hour covers both occurrences: 3.5 hours of real time.
    [(start, end)] = segments_on(FALL_NY, NY, window("00:30", "03:00"))
    assert end - start == dt.timedelta(hours=3, minutes=30)


def test_ordinary_days_and_zones_without_daylight_saving_are_unchanged():
    hours = window("09:00", "12:00")
    assert segments_on(dt.date(2027, 3, 15), NY, hours) == [
        (utc(2027, 3, 15, 13, 0), utc(2027, 3, 15, 16, 0))]
    assert segments_on(dt.date(2027, 3, 14), "Asia/Shanghai", window("02:15", "02:45")) == [
        (utc(2027, 3, 13, 18, 15), utc(2027, 3, 13, 18, 45))]

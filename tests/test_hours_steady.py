"""The quick check of calling hours (local wall time against the weekday's windows, used where
no clock change is near) gives the exact segment rule's answer, near clock changes too."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from cati.calling.hours import CallingHours, is_within_calling_hours, next_calling_time

ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Lord_Howe",
         "Africa/Casablanca", "America/Santiago", "Asia/Kathmandu", "Pacific/Chatham",
         "Europe/Dublin", "America/St_Johns")
HOURS = (
    CallingHours(),
    CallingHours.every_day([(dt.time(0), dt.time(0))]),
    CallingHours.by_weekday({0: [(dt.time(1, 30), dt.time(3, 15)), (dt.time(8), dt.time(0))],
                             6: [(dt.time(2), dt.time(2, 30))]}),
    CallingHours.every_day([(dt.time(0), dt.time(2, 30)), (dt.time(9, 15, 30), dt.time(21))]),
)


@pytest.mark.parametrize("hours", HOURS, ids=range(len(HOURS)))
def test_the_quick_check_agrees_with_the_segments(hours):
    rng = random.Random(2026)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    instants = [start + dt.timedelta(minutes=15 * rng.randint(0, 4 * 24 * 365))
                for _ in range(150)]
    # Every quarter hour of the days around the 2026 clock changes of Europe and North America.
    for day in (dt.datetime(2026, 3, 8, tzinfo=dt.UTC), dt.datetime(2026, 3, 29, tzinfo=dt.UTC),
                dt.datetime(2026, 10, 25, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, tzinfo=dt.UTC)):
        instants += [day + dt.timedelta(minutes=15 * k) for k in range(4 * 24 * 2)]
    for instant in instants:
        for tz in ZONES:
            exact = next_calling_time(instant, tz, hours) == instant
            assert is_within_calling_hours(instant, tz, hours) == exact, (instant, tz)

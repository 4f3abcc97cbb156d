"""The one place the services read the wall clock (pure logic takes a clock as an argument)."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

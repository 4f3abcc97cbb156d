"""Workstation presence as the monitor reads it."""

from __future__ import annotations

import datetime as dt

from cati.services.presence import presence, report_presence
from cati.services.users import add_user

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def test_state_since_the_last_change_and_offline_when_silent(database, one_case_project):
    with database.unit() as session:
        wang = add_user(session, "wang", "password-123", "interviewer", "王芳").id
    report_presence(database, "ws1", wang, one_case_project, "ready", now=NOW)
    report_presence(database, "ws1", wang, one_case_project, "ready",
                    now=NOW + dt.timedelta(seconds=60))  # still here: the state's start stays
    report_presence(database, "ws1", wang, one_case_project, "call", 1,
                    now=NOW + dt.timedelta(seconds=90))
    [seen] = presence(database, one_case_project, now=NOW + dt.timedelta(seconds=100))
    assert (seen.display_name, seen.state, seen.case_id) == ("王芳", "call", 1)
    assert seen.since == NOW + dt.timedelta(seconds=90)
    [gone] = presence(database, one_case_project, now=NOW + dt.timedelta(minutes=10))
    assert (gone.state, gone.case_id) == ("offline", None)
    assert presence(database, one_case_project + 1, now=NOW) == []

"""The productivity history: time in each state from the presence history, clipped to shifts,
and the calls, contacts, completes and refusals of each interviewer."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from cati.errors import PermissionDenied
from cati.services.presence import report_presence
from cati.services.productivity import productivity, write_productivity_xlsx
from cati.services.users import add_user
from cati.storage.models import CallAttempt

BEIJING = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 12, 7)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 7, hour, minute, tzinfo=BEIJING)


def test_a_morning_and_an_afternoon_by_state_and_by_call(database, one_case_project):
    with database.unit() as session:
        zhou = add_user(session, "zhou", "K7-uohz-2026!", "interviewer", "周").id
        boss = add_user(session, "boss", "K7-ssob-2026!", "supervisor", "督导").id
        for minute, code in ((5, "3.13"), (20, "1.1"), (40, "2.112")):
            session.add(CallAttempt(case_id=1, project_id=one_case_project, interviewer_id=zhou,
                                    workstation="ws1", started_at=at(10, minute),
                                    disposition=code, note=""))
    project = one_case_project
    for moment, state, reason in ((at(9), "ready", ""), (at(9, 10), "call", ""),
                                  (at(9, 12), "interviewing", ""), (at(9, 30), "ready", ""),
                                  (at(11, 50), "paused", "break"), (at(12, 20), "ready", ""),
                                  (at(13), "offline", "")):
        report_presence(database, "ws1", zhou, project, state, reason=reason, now=moment)
    rows = productivity(database, project, DAY, DAY, user_id=boss, now=at(18))
    morning, afternoon = rows
    assert (morning.shift, morning.interviewer, morning.hours) == ("morning", "周", 3.0)
    assert {k: v / 60 for k, v in morning.seconds.items()} == {
        "ready": 150, "call": 2, "interviewing": 18, "paused:break": 10}
    assert (morning.calls, morning.contacts, morning.refusals) == (3, 2, 1)
    assert morning.refusal_rate == 0.5
    assert (afternoon.shift, afternoon.hours) == ("afternoon", 1.0)
    assert {k: v / 60 for k, v in afternoon.seconds.items()} == {"paused:break": 20, "ready": 40}
    with pytest.raises(PermissionDenied):
        productivity(database, project, DAY, DAY, user_id=zhou)


def test_the_workbook_has_a_row_per_interviewer_and_shift(database, one_case_project, tmp_path):
    with database.unit() as session:
        zhou = add_user(session, "zhou", "K7-uohz-2026!", "interviewer", "周").id
    report_presence(database, "ws1", zhou, one_case_project, "ready", now=at(14))
    report_presence(database, "ws1", zhou, one_case_project, "offline", now=at(15, 30))
    rows = productivity(database, one_case_project, DAY, DAY, now=at(18))
    out = write_productivity_xlsx(tmp_path / "绩效.xlsx", rows)
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.values)
    assert values[1][:5] == ("2026-12-07", "afternoon", "周", 1.5, 90)

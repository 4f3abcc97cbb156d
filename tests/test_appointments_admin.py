"""Supervisor's appointments: listed by time with who booked them, moved, cancelled."""

from __future__ import annotations

import datetime as dt

import pytest

from cati.calling.outcomes import book_appointment
from cati.calling.queue import claim_next_case
from cati.errors import CatiError
from cati.services.appointments import (
    cancel_appointment,
    list_appointments,
    move_appointment,
)
from cati.services.users import add_user
from cati.storage.models import AuditEntry, Case
from ui.appointments_panel import AppointmentsPanel
from ui.tasks import TaskRunner

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def booked(database, one_case_project):
    with database.unit() as session:
        wang = add_user(session, "wang", "password-123", "interviewer", "王芳").id
    claimed = claim_next_case(database, one_case_project, "ws1", interviewer_id=wang, now=NOW)
    booking = book_appointment(database, claimed.case_id, "ws1", window_start=NOW + 3 * HOUR,
                               window_end=NOW + 4 * HOUR, hard=True, interviewer_id=wang,
                               note="下午再打", now=NOW)
    return one_case_project, booking


def test_list_move_cancel(database, booked):
    project_id, booking = booked
    [row] = list_appointments(database, project_id)
    assert (row.booked_by, row.interviewer, row.hard, row.note, row.status) == (
        "王芳", "王芳", True, "下午再打", "open")
    moved = move_appointment(database, row.id, NOW + 5 * HOUR, NOW + 6 * HOUR, user_id=None,
                             now=NOW)
    assert (moved.window_start, moved.window_end) == (NOW + 5 * HOUR, NOW + 6 * HOUR)
    with database.unit() as session:
        case = session.get(Case, booking.case_id)
        assert (case.state, case.next_call_at) == ("appointment", NOW + 5 * HOUR)
    with pytest.raises(CatiError, match="end after"):
        move_appointment(database, row.id, NOW + 6 * HOUR, NOW + 5 * HOUR, user_id=None,
                         now=NOW)
    cancelled = cancel_appointment(database, row.id, user_id=None, now=NOW + HOUR)
    assert cancelled.status == "cancelled"
    assert list_appointments(database, project_id) == []
    with database.unit() as session:
        case = session.get(Case, booking.case_id)
        assert (case.state, case.next_call_at) == ("scheduled", NOW + HOUR)
        actions = [a.action for a in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions[-2:] == ["appointment_moved", "appointment_cancelled"]
    with pytest.raises(CatiError, match="is cancelled"):
        cancel_appointment(database, row.id, user_id=None, now=NOW)


def test_panel_moves_and_cancels(qtbot, database, booked):
    project_id, _ = booked
    tasks = TaskRunner()
    panel = AppointmentsPanel(
        lambda closed: list_appointments(database, project_id, include_closed=closed),
        lambda i, start, end: move_appointment(database, i, start, end, user_id=None),
        lambda i: cancel_appointment(database, i, user_id=None), tasks)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=10_000)
    assert panel.table.item(0, 4).text() == "王芳"
    assert panel.table.item(0, 3).text() == "硬约"
    panel.table.selectRow(0)
    assert panel.cancel_button.isEnabled()
    panel.cancel_selected()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 0, timeout=10_000)
    panel.show_closed.setChecked(True)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=10_000)
    assert panel.table.item(0, 7).text() == "已取消"
    panel.table.selectRow(0)
    assert not panel.move_button.isEnabled()  # a cancelled appointment cannot be moved
    tasks.shutdown()

"""Appointments for the supervisor: the list by time with who booked them; move or cancel one.

Moving keeps the appointment (new window, same hard/soft and interviewer) and the case waits
for it; cancelling puts the case back in the queue as a due retry (or an interview to resume).
Both refuse an appointment that was already kept, missed or cancelled, and both are audited.
All three are for supervisors and admins: with a ``user_id`` the role is read from the database
and others are refused (None is the command line, acting for the database's operator).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import aliased

from cati.calling.outcomes import check_window
from cati.calling.views import RESUME_CODES
from cati.errors import CatiError, NotFound
from cati.services.clock import utc_now
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import OPEN_APPOINTMENT_SQL, Appointment, AuditEntry, Case, User


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    id: int
    case_id: int
    phone_e164: str
    stratum: str
    time_zone: str
    window_start: dt.datetime
    window_end: dt.datetime
    hard: bool
    booked_by: str
    interviewer: str
    note: str
    status: str  # open | kept | missed | cancelled


def list_appointments(database: Database, project_id: int, *, include_closed: bool = False,
                      user_id: int | None = None) -> list[AppointmentRow]:
    booker, keeper = aliased(User), aliased(User)
    query = (select(Appointment, Case.phone_e164, Case.stratum, Case.time_zone,
                    booker.display_name, keeper.display_name)
             .join(Case, Case.id == Appointment.case_id)
             .outerjoin(booker, booker.id == Appointment.booked_by)
             .outerjoin(keeper, keeper.id == Appointment.interviewer_id)
             .where(Case.project_id == project_id)
             .order_by(Appointment.window_start, Appointment.id))
    if not include_closed:
        query = query.where(text(OPEN_APPOINTMENT_SQL))  # as the partial index says it
    with database.unit(immediate=False) as session:
        if user_id is not None:
            require_supervisor(session, user_id, "see appointments")
        return [AppointmentRow(a.id, a.case_id, phone, stratum, zone or "Asia/Shanghai",
                               a.window_start, a.window_end, a.hard, booked or "", kept or "",
                               a.note, _status(a))
                for a, phone, stratum, zone, booked, kept in session.execute(query)]


def move_appointment(database: Database, appointment_id: int, window_start: dt.datetime,
                     window_end: dt.datetime, *, user_id: int | None,
                     now: dt.datetime | None = None) -> AppointmentRow:
    now = now or utc_now()
    check_window(window_start, window_end, now)
    with database.unit() as session:
        if user_id is not None:
            require_supervisor(session, user_id, "move appointments")
        appointment, case = _open(session, appointment_id)
        old = (appointment.window_start.isoformat(), appointment.window_end.isoformat())
        appointment.window_start, appointment.window_end = window_start, window_end
        case.next_call_at = window_start
        session.add(AuditEntry(user_id=user_id, at=now, action="appointment_moved", details={
            "appointment": appointment_id, "from": list(old),
            "to": [window_start.isoformat(), window_end.isoformat()]}))
    return _one(database, appointment_id)


def cancel_appointment(database: Database, appointment_id: int, *, user_id: int | None,
                       now: dt.datetime | None = None) -> AppointmentRow:
    now = now or utc_now()
    with database.unit() as session:
        if user_id is not None:
            require_supervisor(session, user_id, "cancel appointments")
        appointment, case = _open(session, appointment_id)
        appointment.cancelled = True
        if case.state == "appointment":
            case.state = "resume" if case.disposition in RESUME_CODES else "scheduled"
            case.next_call_at = now
        session.add(AuditEntry(user_id=user_id, at=now, action="appointment_cancelled",
                               details={"appointment": appointment_id, "case": case.id}))
    return _one(database, appointment_id)


def _open(session, appointment_id: int) -> tuple[Appointment, Case]:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"no appointment {appointment_id}")
    status = _status(appointment)
    if status != "open":
        raise CatiError(f"appointment {appointment_id} is {status}: it cannot be changed")
    case = session.get(Case, appointment.case_id)
    assert case is not None
    return appointment, case


def _one(database: Database, appointment_id: int) -> AppointmentRow:
    with database.unit(immediate=False) as session:
        project_id = session.scalar(select(Case.project_id).join(
            Appointment, Appointment.case_id == Case.id).where(Appointment.id == appointment_id))
    return next(row for row in list_appointments(database, project_id, include_closed=True)
                if row.id == appointment_id)


def _status(appointment: Appointment) -> str:
    if appointment.kept_by_attempt_id is not None:
        return "kept"
    if appointment.cancelled:
        return "cancelled"
    if appointment.missed:
        return "missed"
    return "open"

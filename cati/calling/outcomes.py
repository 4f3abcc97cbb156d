"""Recording the outcome of a call: one call attempt, and the case moved on by the rules.

A final code closes the case; a temporary code schedules the retry (cati.calling.rules); reaching
the maximum attempts closes it as 2.30 (a person was reached) or 3.90; a partial (1.2) or a
break-off (2.12) is called back to resume the same interview. A second refusal closes the case
(one refusal-conversion attempt). The lease is checked and released in the same transaction: a
workstation whose lease was taken over is refused and told so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text

from cati.calling import project_cache
from cati.calling.dispositions import SCREEN_OUT_CODES
from cati.calling.hours import CallingHours
from cati.calling.rules import max_attempts_outcome, next_attempt_time
from cati.calling.views import RESUME_CODES, AttemptView, CaseView, RetryPolicy
from cati.errors import CatiError, NotFound
from cati.services.admin import project_calling_hours
from cati.services.clock import utc_now
from cati.services.quotas import record_completion
from cati.storage.db import Database
from cati.storage.models import (
    OPEN_APPOINTMENT_SQL,
    Appointment,
    CallAttempt,
    Case,
    Disposition,
    Interview,
    Project,
)

REFUSAL_CODES = frozenset({"2.111", "2.112"})


class LeaseLost(CatiError):
    """This workstation no longer holds the case (its lease expired and another took it)."""


@dataclass(frozen=True, slots=True)
class OutcomeResult:
    case_id: int
    attempt_id: int
    state: str
    disposition: str
    next_call_at: dt.datetime | None


INTERVIEW_STATES = {"1.1": "complete", **dict.fromkeys(SCREEN_OUT_CODES, "screened_out")}


def record_outcome(database: Database, case_id: int, workstation: str, code: str, *,
                   interviewer_id: int | None = None, started_at: dt.datetime | None = None,
                   note: str = "", now: dt.datetime | None = None,
                   hours: CallingHours | None = None,
                   interview_id: int | None = None) -> OutcomeResult:
    """Store the attempt, move the case on and, when ``interview_id`` is given, close the
    interview with the code (1.2 and 2.12 leave it open, to be resumed)."""
    now = now or utc_now()
    with database.unit(immediate=True) as session:
        case = _held_case(session, database, case_id, workstation)
        dispositions = {d.code: d for d in session.scalars(
            select(Disposition).where(Disposition.project_id == case.project_id))}
        if code not in dispositions:
            raise CatiError(f"'{code}' is not a disposition of this project")
        attempt = CallAttempt(case_id=case.id, project_id=case.project_id,
                              interviewer_id=interviewer_id,
                              workstation=workstation, started_at=started_at or now, ended_at=now,
                              disposition=code, note=note)
        session.add(attempt)
        session.flush()
        _note_called(case, attempt.started_at)
        history = attempt_history(session, case.id, dispositions)
        project = session.get(Project, case.project_id)
        policy = project_policy(dispositions, project.settings or {} if project else {})
        hours = hours or project_calling_hours(project.settings or {} if project else {})
        state, final_code, next_at = _next_state(case, history, code, dispositions[code].final,
                                                 policy, now, hours)
        case.state, case.disposition, case.next_call_at = state, final_code, next_at
        if dispositions[code].counts_attempt:
            case.attempts += 1
        if interview_id is not None and code not in RESUME_CODES:
            interview = session.get(Interview, interview_id)
            if interview is None or interview.case_id != case.id:
                raise NotFound(f"no interview {interview_id} for case {case.id}")
            interview.state = INTERVIEW_STATES.get(code, "closed")
            interview.disposition, interview.ended_at = code, now
            record_completion(session, interview)  # its quota cells (cati.services.quotas)
        _keep_appointments(session, case.id, attempt.id)
        case.lease_holder = case.lease_expires_at = None
        if code == "1.1":
            project_cache.forget(database.url)  # a quota cell may have filled
        return OutcomeResult(case.id, attempt.id, state, final_code, next_at)


@dataclass(frozen=True, slots=True)
class BookedAppointment:
    appointment_id: int
    case_id: int
    attempt_id: int
    window_start: dt.datetime
    window_end: dt.datetime
    hard: bool


def book_appointment(database: Database, case_id: int, workstation: str, *,
                     window_start: dt.datetime, window_end: dt.datetime, hard: bool = False,
                     note: str = "", interviewer_id: int | None = None,
                     started_at: dt.datetime | None = None,
                     now: dt.datetime | None = None) -> BookedAppointment:
    """The respondent asked to be called at another time: store the attempt (its disposition
    stays the case's previous one; it does not count toward the maximum), replace any open
    appointment of the case and release the case until the window starts. A hard appointment
    is kept for ``interviewer_id`` until the window ends. An open interview stays open and
    resumes at the appointment."""
    now = now or utc_now()
    check_window(window_start, window_end, now)
    with database.unit(immediate=True) as session:
        case = _held_case(session, database, case_id, workstation)
        attempt = CallAttempt(case_id=case.id, project_id=case.project_id,
                              interviewer_id=interviewer_id,
                              workstation=workstation, started_at=started_at or now, ended_at=now,
                              disposition=None, note=note or "约访 appointment")
        session.add(attempt)
        session.flush()
        _note_called(case, attempt.started_at)
        for old in session.scalars(select(Appointment).where(
                Appointment.case_id == case.id, text(OPEN_APPOINTMENT_SQL))):
            old.cancelled = True
        appointment = Appointment(case_id=case.id, window_start=window_start,
                                  window_end=window_end, hard=hard,
                                  interviewer_id=interviewer_id if hard else None,
                                  booked_by=interviewer_id, note=note)
        session.add(appointment)
        session.flush()
        case.state, case.next_call_at = "appointment", window_start
        case.lease_holder = case.lease_expires_at = None
        return BookedAppointment(appointment.id, case.id, attempt.id, window_start,
                                 window_end, hard)


def check_window(window_start: dt.datetime, window_end: dt.datetime, now: dt.datetime) -> None:
    """An appointment window: zone-aware, ending after it starts, not yet over."""
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise CatiError("appointment times must carry a time zone")
    if window_end <= window_start:
        raise CatiError("an appointment window must end after it starts (结束时间须晚于开始时间)")
    if window_end <= now:
        raise CatiError("an appointment window must end in the future (预约时间已过)")


def _held_case(session, database: Database, case_id: int, workstation: str) -> Case:
    """The case, locked for this write, if this workstation still holds it."""
    case = session.get(Case, case_id, with_for_update=not database.is_sqlite)
    if case is None and not database.is_sqlite and session.get(Case, case_id) is not None:
        # PostgreSQL's row-level security leaves a case another login holds out of FOR UPDATE.
        raise LeaseLost(f"case {case_id} is no longer held by this workstation "
                        "(本机已不再持有该号码)")
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.lease_holder != workstation:
        raise LeaseLost(f"case {case_id} is no longer held by this workstation "
                        "(本机已不再持有该号码)")
    from cati.services.series import check_open

    check_open(session, case.project_id, "phone")  # a closed wave takes no more calls
    return case


def _keep_appointments(session, case_id: int, attempt_id: int) -> None:
    """A call was made on the case: its open appointments are kept by this attempt."""
    for appointment in session.scalars(select(Appointment).where(
            Appointment.case_id == case_id, text(OPEN_APPOINTMENT_SQL))):
        appointment.kept_by_attempt_id = attempt_id


def attempt_history(session, case_id: int,
                    dispositions: dict[str, Disposition]) -> list[AttemptView]:
    """The case's call attempts, oldest first, as the rules see them."""
    rows = session.execute(select(CallAttempt.started_at, CallAttempt.disposition)
                           .where(CallAttempt.case_id == case_id)
                           .order_by(CallAttempt.started_at, CallAttempt.id)).all()
    views = []
    for started, code in rows:
        known = dispositions.get(code) if code is not None else None
        if code is None:  # an appointment was booked: a person was reached; not counted
            views.append(AttemptView(started, None, contact=True, counts=False))
        else:
            views.append(AttemptView(started, code, contact=bool(known and known.contact),
                                     counts=bool(known.counts_attempt) if known else True))
    return views


def project_policy(dispositions: dict[str, Disposition], settings: dict) -> RetryPolicy:
    """The retry policy of a project: its disposition table and its attempt caps."""
    return RetryPolicy(
        retry_minutes={code: (None if d.final else d.retry_minutes)
                       for code, d in dispositions.items()},
        max_attempts=int(settings.get("max_attempts", 6)),
        max_per_day=int(settings.get("max_attempts_per_day", 3)))


def _next_state(case: Case, history: list[AttemptView], code: str, final: bool,
                policy: RetryPolicy, now: dt.datetime,
                hours: CallingHours) -> tuple[str, str, dt.datetime | None]:
    if final:
        return "closed", code, None
    if code in REFUSAL_CODES and sum(a.disposition in REFUSAL_CODES for a in history) > 1:
        return "closed", code, None  # the conversion attempt was refused too
    capped = max_attempts_outcome(history, policy)
    if capped is not None:
        return "closed", capped, None
    view = CaseView(case_id=case.id, time_zone=case.time_zone or "Asia/Shanghai")
    next_at = next_attempt_time(view, history, code, now, hours, policy)
    if next_at is None:
        return "closed", max_attempts_outcome(history, policy) or code, None
    return ("resume" if code in RESUME_CODES else "scheduled"), code, next_at


def _note_called(case: Case, started_at: dt.datetime) -> None:
    """Keep ``cases.last_called_at`` the start of the case's latest attempt."""
    if case.last_called_at is None or started_at > case.last_called_at:
        case.last_called_at = started_at

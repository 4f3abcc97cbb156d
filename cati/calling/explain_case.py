"""Why a case is or is not callable now: the stored case run through every queue rule."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.calling.hours import CallingHours
from cati.calling.outcomes import attempt_history, project_policy
from cati.calling.rules import explain
from cati.calling.views import (
    AppointmentView,
    CaseView,
    Explanation,
    QuotaView,
)
from cati.errors import NotFound
from cati.services.admin import project_calling_hours
from cati.services.quotas import quota_cells
from cati.storage.models import Appointment, Case, Disposition, Project


def explain_case(session: Session, case_id: int, now: dt.datetime, *,
                 interviewer_id: int | None = None, workstation: str | None = None,
                 hours: CallingHours | None = None) -> Explanation:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    project = session.get(Project, case.project_id)
    assert project is not None
    dispositions = {d.code: d for d in session.scalars(
        select(Disposition).where(Disposition.project_id == case.project_id))}
    policy = project_policy(dispositions, project.settings or {})
    attempts = attempt_history(session, case_id, dispositions)
    appointments = [AppointmentView(a.window_start, a.window_end, a.hard, a.interviewer_id,
                                    missed=a.missed, kept=a.kept_by_attempt_id is not None,
                                    cancelled=a.cancelled)
                    for a in session.scalars(select(Appointment)
                                             .where(Appointment.case_id == case_id))]
    view = CaseView(case_id=case.id, time_zone=case.time_zone or "Asia/Shanghai",
                    state=case.state, disposition=case.disposition, attempts=case.attempts,
                    next_call_at=case.next_call_at, priority=case.priority, stratum=case.stratum,
                    lease_holder=case.lease_holder, lease_expires_at=case.lease_expires_at)
    return explain(view, attempts, appointments, _quotas(session, case.project_id), now,
                   hours or project_calling_hours(project.settings or {}), policy, interviewer_id, workstation=workstation)


def _quotas(session: Session, project_id: int) -> QuotaView:
    return QuotaView(quota_cells(session, project_id))

"""Response rates of a project, overall and by stratum, interviewer or day.

Each case counts once, in the AAPOR class of its current disposition (the project's table); a
case never called counts as unknown eligibility (UH). By interviewer and by day use the case's
last call attempt (its interviewer; its date in the respondent's time zone).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati.errors import CatiError, NotFound
from cati.reporting.aapor import outcome_rates
from cati.storage.models import CallAttempt, Case, Disposition, Project, User

GROUPINGS = ("stratum", "interviewer", "day")
NEVER_CALLED = "UH"


@dataclass(frozen=True, slots=True)
class RateRow:
    group: str
    counts: dict[str, int]
    rates: dict[str, object]


def aapor_report(session: Session, project_code: str, by: str | None = None) -> list[RateRow]:
    """One row for the whole project ("ALL"), then one per group when ``by`` is given."""
    if by is not None and by not in GROUPINGS:
        raise CatiError(f"--by takes one of {', '.join(GROUPINGS)}")
    project = session.scalar(select(Project).where(Project.code == project_code))
    if project is None:
        raise NotFound(f"no project '{project_code}'")
    classes = dict(session.execute(select(Disposition.code, Disposition.aapor_class)
                                   .where(Disposition.project_id == project.id)).all())
    groups: dict[str, Counter] = defaultdict(Counter)
    for disposition, group in _cases(session, project.id, by):
        aapor_class = classes.get(disposition, NEVER_CALLED) if disposition else NEVER_CALLED
        groups["ALL"][aapor_class] += 1
        if by is not None:
            groups[group][aapor_class] += 1
    groups.setdefault("ALL", Counter())
    order = ["ALL", *sorted(name for name in groups if name != "ALL")]
    return [RateRow(name, dict(groups[name]), outcome_rates(dict(groups[name])))
            for name in order]


def _cases(session: Session, project_id: int, by: str | None):
    if by in (None, "stratum"):
        for disposition, stratum in session.execute(
                select(Case.disposition, Case.stratum).where(Case.project_id == project_id)):
            yield disposition, stratum or "-"
        return
    last = (select(CallAttempt.case_id, func.max(CallAttempt.id).label("attempt_id"))
            .join(Case, Case.id == CallAttempt.case_id).where(Case.project_id == project_id)
            .group_by(CallAttempt.case_id).subquery())
    query = (select(Case.disposition, Case.time_zone, CallAttempt.started_at, User.username)
             .select_from(Case)
             .outerjoin(last, last.c.case_id == Case.id)
             .outerjoin(CallAttempt, CallAttempt.id == last.c.attempt_id)
             .outerjoin(User, User.id == CallAttempt.interviewer_id)
             .where(Case.project_id == project_id))
    for disposition, zone, started, username in session.execute(query):
        if by == "interviewer":
            yield disposition, username or "-"
        else:
            yield disposition, (started.astimezone(ZoneInfo(zone or "Asia/Shanghai")).date()
                                .isoformat() if started else "-")

"""The shared call queue: one case to one workstation at a time, under a lease.

A claim picks the next callable case and writes the lease holder and its expiry in the same
statement (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent claimers never wait on each
other or take the same row) or the same short write transaction (SQLite: ``BEGIN IMMEDIATE``).
A lease that expires puts the case back. Lease times are stamped and compared on the store's
clock (cati.calling.lease_clock), never a workstation's: ``now`` is the business clock (calling
hours, due times, appointments), which the simulator runs faster. Callable means open, due and
not leased, and the number's time zone inside calling hours now (the open zones are worked out
once a minute from the zone database, so each try is one indexed statement). Caps and retries are already in
``next_call_at`` (set by cati.calling.outcomes). A booked appointment moves its case to the
state ``appointment``, which only the appointment step serves: the respondent chose the time,
so calling hours do not apply to it; a window that ends unkept is flagged missed and the case
goes back as a due retry. A claim tries a few such statements in order (see claim_next_case);
each stops at its first row.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, literal, literal_column, or_, select, text, true, update

from cati.calling import project_cache
from cati.calling.hours import CallingHours, is_within_calling_hours
from cati.calling.lease_clock import DEFAULT_LEASE, store_now
from cati.calling.views import RESUME_CODES
from cati.services.admin import project_calling_hours
from cati.services.assignments import claim_rules, scoped
from cati.services.clock import utc_now
from cati.services.quotas import full_sample_cells, quota_cells
from cati.storage.db import Database
from cati.storage.models import (
    FRESH_SQL,
    OPEN_APPOINTMENT_SQL,
    OPEN_STATES_SQL,
    QUEUE_RANK,
    Appointment,
    Case,
    CaseQuotaCell,
    Interview,
    Project,
)

APPOINTMENT_STATE = "appointment"
# A back-check case's attribute naming the interviewer whose interview it checks
# (cati.services.backcheck): that interviewer is never handed the call.
CHECKED_INTERVIEWER = "checked_interviewer_id"
NOT_FRESH_SQL = "state IN ('resume', 'scheduled')"

# How long an interview whose workstation vanished waits for its own interviewer.
RESUME_GRACE = dt.timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class ClaimedCase:
    case_id: int
    phone_e164: str
    stratum: str
    region: str
    carrier: str
    time_zone: str
    state: str
    attempts: int
    lease_holder: str
    lease_expires_at: dt.datetime
    source: str = "queue"  # held | appointment | resume | assigned | queue | fresh


_CLAIMED = (Case.id, Case.stratum, Case.region, Case.carrier, Case.time_zone, Case.state,
            Case.attempts)


def case_phone(session, case_id: int) -> str:
    """The phone number of one case. On PostgreSQL an interviewer's login may not read the
    sample's phones; ``cati_case_phone`` gives it the number of the case its login holds
    (supervisors and the owner: any), and "" otherwise."""
    if session.get_bind().dialect.name == "postgresql":
        phone = session.scalar(text("SELECT phone_e164 FROM cati_case_phone(:id)"),
                               {"id": case_id})
    else:
        phone = session.scalar(select(Case.phone_e164).where(Case.id == case_id))
    return phone or ""

_open_zones_cache: dict[tuple[int, CallingHours], tuple[str, ...]] = {}


def _open_zones(now: dt.datetime, hours: CallingHours) -> tuple[str, ...]:
    """The IANA time zones inside calling hours at ``now`` (worked out once a minute, with no
    database query: a scan of the sample for its zones would cost seconds at 1M cases)."""
    key = (int(now.timestamp() // 60), hours)
    found = _open_zones_cache.get(key)
    if found is None:
        if len(_open_zones_cache) > 8:
            _open_zones_cache.clear()
        found = tuple(sorted(tz for tz in _all_zones() if is_within_calling_hours(now, tz, hours)))
        _open_zones_cache[key] = found
    return found


@functools.cache
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _callable(project_id: int, now: dt.datetime, lease_now: dt.datetime,
              open_zones: tuple[str, ...], *, joined: bool = False,
              interviewer_id: int | None = None):
    """Open, due by the business clock ``now`` and not leased by the store's ``lease_now``."""
    return and_(
        Case.project_id == project_id,
        # Literal, so the planner sees it implies the partial index (qualified in a join).
        text(OPEN_STATES_SQL.replace("state", "cases.state") if joined else OPEN_STATES_SQL),
        or_(Case.next_call_at.is_(None), Case.next_call_at <= now),
        _not_leased(lease_now) if joined else _free_for(interviewer_id, lease_now),
        Case.time_zone.in_(open_zones),
    )


def _not_leased(lease_now: dt.datetime):
    return or_(Case.lease_holder.is_(None), Case.lease_expires_at < lease_now)


def _free_for(interviewer_id: int | None, lease_now: dt.datetime):
    """Not leased (by the store's clock, cati.calling.lease_clock); and a case whose holder vanished mid-interview (its lease ran out without an
    outcome) waits RESUME_GRACE for that interviewer to come back before anyone else gets it."""
    others_open = (select(Interview.id)
                   .where(Interview.case_id == Case.id, Interview.state == "in_progress",
                          Interview.interviewer_id.is_not(None))
                   .correlate(Case))
    if interviewer_id is not None:
        others_open = others_open.where(Interview.interviewer_id != interviewer_id)
    return or_(Case.lease_holder.is_(None),
               and_(Case.lease_expires_at < lease_now,
                    or_(Case.lease_expires_at < lease_now - RESUME_GRACE,
                        ~others_open.exists())))


def _order():
    # Exactly the expressions of the ix_cases_claim index, so the claim walks it in order.
    return (literal_column(QUEUE_RANK), Case.priority.desc(), Case.next_call_at, Case.draw,
            Case.id)


def claim_next_case(database: Database, project_id: int, workstation: str, *,
                    interviewer_id: int | None = None, now: dt.datetime | None = None,
                    lease: dt.timedelta = DEFAULT_LEASE, hours: CallingHours | None = None,
                    take_back: bool = False) -> ClaimedCase | None:
    """Lease the next callable case of the project to ``workstation``; None when none is.

    In order: with ``take_back`` (the window's first claim after it starts), a case this
    workstation still holds because it crashed or was killed mid-call; then a due
    appointment (a hard one only for the interviewer who booked it, until its window ends),
    an interview this interviewer left unfinished, then the queue (interviews to resume, due
    retries, fresh numbers). With quotas, full strata are not served and fresh numbers come
    from the stratum furthest behind its target, in random order within it. A project or
    stratum assigned to named interviewers is served to them only, their strata first
    (cati.services.assignments.scoped).

    ``now`` is the business clock (calling hours, due times, appointments); the lease is
    stamped and compared with the store's clock (cati.calling.lease_clock), so a workstation
    whose clock is wrong neither takes a case another holds nor loses its own.
    """
    now = now or utc_now()
    with database.unit(immediate=True) as session:
        lease_now = store_now(session)
        expires = lease_now + lease
        known = _project_facts(session, database, project_id)
        if known is None:
            return None  # paused, closed or gone: nothing is handed out
        project_hours, cells, full_cells, checks_others = known
        hours = hours or project_hours
        _sweep_missed_appointments(session, database, project_id, now)
        # Named interviewers' projects and strata (cati.services.assignments): their own
        # strata first, then one more WHERE on each statement.
        scope = claim_rules(session, database, project_id).scope(interviewer_id)
        for source, pick in scoped(_candidates(project_id, workstation, interviewer_id, now,
                                               lease_now, hours, take_back, cells, full_cells,
                                               mine=scope.mine,
                                               not_checked_by=interviewer_id
                                               if checks_others else None),
                                   scope, interviewer_id):
            row = _lease(session, database, pick, workstation, expires)
            if row is not None:
                case_id, *rest = row
                return ClaimedCase(case_id, case_phone(session, case_id), *rest,
                                   lease_holder=workstation, lease_expires_at=expires,
                                   source=source)
        return None


def _project_facts(session, database: Database,
                   project_id: int) -> tuple[CallingHours, dict, tuple[int, ...], bool] | None:
    """(calling hours, stratum quota cells, full sample-only quota cells, whether it checks
    other interviewers' work) of an active project, None when it hands out nothing;
    kept per process for up to a second (cati.calling.project_cache)."""
    known = project_cache.get(database.url, project_id)
    if known is None:
        project = session.get(Project, project_id)
        if project is None or project.status != "active":
            known = (None,)
        else:
            known = (project_calling_hours(project.settings or {}),
                     quota_cells(session, project_id), full_sample_cells(session, project_id),
                     "backcheck_of" in (project.settings or {}))
        project_cache.put(database.url, project_id, known)
    return None if known[0] is None else known


def _candidates(project_id: int, workstation: str, interviewer_id: int | None,
                now: dt.datetime, lease_now: dt.datetime, hours: CallingHours, take_back: bool,
                cells: dict, full_cells: tuple[int, ...] = (), mine: tuple[str, ...] = (),
                not_checked_by: int | None = None):
    """(source, SELECT of one case id) in the order they are tried; each is one index walk.
    A case stamped in a full sample-only quota cell (cati.services.quotas) is skipped by an
    indexed NOT EXISTS on case_quota_cells. ``mine``: the strata assigned to this interviewer,
    each tried before the queue (in queue order within the stratum: ix_cases_claim_stratum).
    ``not_checked_by``: in a back-check project, the interviewer claiming, who never gets a call
    that checks their own interview (the case's ``checked_interviewer_id``)."""
    if take_back:
        yield "held", (select(Case.id).where(Case.lease_holder == workstation,
                                             Case.project_id == project_id,
                                             Case.lease_expires_at >= lease_now)
                       .order_by(Case.id).limit(1))
    full = sorted(stratum for stratum, (target, done) in cells.items() if done >= target)
    not_full = Case.stratum.not_in(full) if full else true()
    if full_cells:
        not_full = and_(not_full, ~exists().where(CaseQuotaCell.case_id == Case.id,
                                                  CaseQuotaCell.quota_id.in_(full_cells)))
    if not_checked_by is not None:
        checked = Case.attributes[CHECKED_INTERVIEWER].as_integer()
        not_full = and_(not_full, or_(checked.is_(None), checked != not_checked_by))
    reserved_ok = or_(Appointment.hard.is_(False), Appointment.interviewer_id.is_(None),
                      Appointment.interviewer_id == interviewer_id)
    yield "appointment", (
        select(Case.id).join(Appointment, Appointment.case_id == Case.id)
        .where(Case.project_id == project_id, Case.state == APPOINTMENT_STATE,
               text(OPEN_APPOINTMENT_SQL), Appointment.window_start <= now,
               Appointment.window_end > now, reserved_ok, _not_leased(lease_now), not_full)
        .order_by(Appointment.window_start, Case.id).limit(1))
    open_zones = _open_zones(now, hours)
    if not open_zones:
        return
    if interviewer_id is not None:
        yield "resume", (
            select(Case.id).join(Interview, Interview.case_id == Case.id)
            .where(Interview.interviewer_id == interviewer_id, Interview.state == "in_progress",
                   _callable(project_id, now, lease_now, open_zones, joined=True), not_full)
            .order_by(Case.next_call_at, Case.id).limit(1))
    callable_now = _callable(project_id, now, lease_now, open_zones,
                             interviewer_id=interviewer_id)
    for stratum in mine:
        if stratum not in full:
            yield "assigned", (select(Case.id).where(callable_now, Case.stratum == stratum,
                                                     not_full)
                               .order_by(*_order()).limit(1))
    if not cells:
        yield "queue", (select(Case.id).where(callable_now, not_full)
                        .order_by(*_order()).limit(1))
        return
    yield "queue", (select(Case.id).where(callable_now, text(NOT_FRESH_SQL), not_full)
                    .order_by(*_order()).limit(1))
    behind = sorted((done / target, stratum) for stratum, (target, done) in cells.items()
                    if done < target)
    fresh_order = (Case.priority.desc(), Case.draw, Case.id)
    for _, stratum in behind:
        yield "fresh", (select(Case.id).where(callable_now, text(FRESH_SQL),
                                              Case.stratum == stratum, not_full)
                        .order_by(*fresh_order).limit(1))
    # Strata without a quota count as on target: after every stratum that is behind.
    yield "fresh", (select(Case.id).where(callable_now, text(FRESH_SQL),
                                          Case.stratum.not_in(list(cells)), not_full)
                    .order_by(*fresh_order).limit(1))


def _lease(session, database: Database, pick, workstation: str, expires: dt.datetime):
    values = {"lease_holder": workstation, "lease_expires_at": expires}
    if database.is_sqlite:
        case_id = session.scalar(pick)
        if case_id is None:
            return None
        statement = update(Case).where(Case.id == case_id)
    else:
        target = pick.with_for_update(skip_locked=True, of=Case).scalar_subquery()
        statement = update(Case).where(Case.id == target)
    return session.execute(statement.values(**values).returning(*_CLAIMED)).first()


_sweeps: dict[tuple[str, int], int] = {}


def _sweep_missed_appointments(session, database: Database, project_id: int,
                               now: dt.datetime) -> None:
    """Flag appointments whose window ended unkept and put their cases back as due retries
    (at most once per 15 s of clock time per project and process: it is a write)."""
    key, tick = (database.url, project_id), int(now.timestamp() // 15)
    if _sweeps.get(key) == tick:
        return
    _sweeps[key] = tick
    missed = session.scalars(
        update(Appointment)
        .where(text(OPEN_APPOINTMENT_SQL), Appointment.window_start <= now,
               Appointment.window_end <= now,
               Appointment.case_id.in_(select(Case.id).where(
                   Case.project_id == project_id, Case.state == APPOINTMENT_STATE)))
        .values(missed=True).returning(Appointment.case_id)).all()
    if missed:
        session.execute(
            update(Case).where(Case.id.in_(missed), Case.state == APPOINTMENT_STATE)
            .values(state=case(
                (Case.disposition.in_(sorted(RESUME_CODES)), literal("resume")),
                else_=literal("scheduled")), next_call_at=now))


def renew_lease(database: Database, case_id: int, workstation: str, *,
                now: dt.datetime | None = None, lease: dt.timedelta = DEFAULT_LEASE) -> bool:
    """Extend the lease while the case is open; False when this workstation no longer holds it.
    The lease runs on the store's clock: ``now`` (the caller's business clock) is accepted for
    the callers' symmetry and not used."""
    del now
    with database.unit() as session:
        lease_now = store_now(session)
        result = session.execute(
            update(Case).where(Case.id == case_id, Case.lease_holder == workstation,
                               Case.lease_expires_at >= lease_now)
            .values(lease_expires_at=lease_now + lease))
        return result.rowcount == 1


def release_case(database: Database, case_id: int, workstation: str) -> bool:
    """Give the case back without an outcome (the interviewer closed it)."""
    with database.unit() as session:
        result = session.execute(
            update(Case).where(Case.id == case_id, Case.lease_holder == workstation)
            .values(lease_holder=None, lease_expires_at=None))
        return result.rowcount == 1

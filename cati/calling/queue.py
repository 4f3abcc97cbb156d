"""The shared call queue: one case to one workstation at a time, under a lease.

A claim picks the next callable case and writes the lease holder and its expiry in the same
statement (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent claimers never wait on each
other or take the same row) or the same short write transaction (SQLite: ``BEGIN IMMEDIATE``).
A lease that expires puts the case back. First cut: callable means open, due and not leased;
calling hours, caps, appointments and quotas (cati.calling.rules) join the claim next.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, or_, select, update

from cati.services.clock import utc_now
from cati.storage.db import Database
from cati.storage.models import Case

OPEN_STATES = ("resume", "scheduled", "fresh")
DEFAULT_LEASE = dt.timedelta(minutes=10)


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


def _callable(project_id: int, now: dt.datetime):
    return and_(
        Case.project_id == project_id,
        Case.state.in_(OPEN_STATES),
        or_(Case.next_call_at.is_(None), Case.next_call_at <= now),
        or_(Case.lease_holder.is_(None), Case.lease_expires_at < now),
    )


def _order():
    rank = case({"resume": 0, "scheduled": 1}, value=Case.state, else_=2)
    return (rank, Case.priority.desc(), Case.next_call_at, Case.id)


def claim_next_case(database: Database, project_id: int, workstation: str, *,
                    now: dt.datetime | None = None,
                    lease: dt.timedelta = DEFAULT_LEASE) -> ClaimedCase | None:
    """Lease the next callable case of the project to ``workstation``; None when none is."""
    now = now or utc_now()
    expires = now + lease
    pick = select(Case.id).where(_callable(project_id, now)).order_by(*_order()).limit(1)
    values = {"lease_holder": workstation, "lease_expires_at": expires}
    with database.unit(immediate=True) as session:
        if database.is_sqlite:
            case_id = session.scalar(pick)
            if case_id is None:
                return None
            session.execute(update(Case).where(Case.id == case_id).values(**values))
        else:
            target = pick.with_for_update(skip_locked=True).scalar_subquery()
            case_id = session.scalar(update(Case).where(Case.id == target).values(**values)
                                     .returning(Case.id))
            if case_id is None:
                return None
        row = session.get(Case, case_id, populate_existing=True)
        assert row is not None
        return ClaimedCase(row.id, row.phone_e164, row.stratum, row.region, row.carrier,
                           row.time_zone, row.state, row.attempts, workstation, expires)


def renew_lease(database: Database, case_id: int, workstation: str, *,
                now: dt.datetime | None = None, lease: dt.timedelta = DEFAULT_LEASE) -> bool:
    """Extend the lease while the case is open; False when this workstation no longer holds it."""
    now = now or utc_now()
    with database.unit() as session:
        result = session.execute(
            update(Case).where(Case.id == case_id, Case.lease_holder == workstation,
                               Case.lease_expires_at >= now)
            .values(lease_expires_at=now + lease))
        return result.rowcount == 1


def release_case(database: Database, case_id: int, workstation: str) -> bool:
    """Give the case back without an outcome (the interviewer closed it)."""
    with database.unit() as session:
        result = session.execute(
            update(Case).where(Case.id == case_id, Case.lease_holder == workstation)
            .values(lease_holder=None, lease_expires_at=None))
        return result.rowcount == 1

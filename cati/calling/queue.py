"""The shared call queue: one case to one workstation at a time, under a lease.

A claim picks the next callable case and writes the lease holder and its expiry in the same
statement (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so concurrent claimers never wait on each
other or take the same row) or the same short write transaction (SQLite: ``BEGIN IMMEDIATE``).
A lease that expires puts the case back. First cut: callable means open, due and not leased;
only cases whose time zone is inside its calling hours now are served (the open zones are worked
out once a minute from the zone database, so the claim stays one indexed statement). Caps and retries are
already in ``next_call_at`` (set by cati.calling.outcomes); appointments and quotas join next.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import and_, literal_column, or_, select, text, update

from cati.calling.hours import CallingHours, is_within_calling_hours
from cati.services.clock import utc_now
from cati.storage.db import Database
from cati.storage.models import OPEN_STATES_SQL, QUEUE_RANK, Case

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


def _callable(project_id: int, now: dt.datetime, open_zones: tuple[str, ...]):
    return and_(
        Case.project_id == project_id,
        text(OPEN_STATES_SQL),  # literal, so the planner sees it implies the partial index
        or_(Case.next_call_at.is_(None), Case.next_call_at <= now),
        or_(Case.lease_holder.is_(None), Case.lease_expires_at < now),
        Case.time_zone.in_(open_zones),
    )


def _order():
    # Exactly the expressions of the ix_cases_claim index, so the claim walks it in order.
    return (literal_column(QUEUE_RANK), Case.priority.desc(), Case.next_call_at, Case.id)


def claim_next_case(database: Database, project_id: int, workstation: str, *,
                    now: dt.datetime | None = None, lease: dt.timedelta = DEFAULT_LEASE,
                    hours: CallingHours | None = None) -> ClaimedCase | None:
    """Lease the next callable case of the project to ``workstation``; None when none is."""
    now = now or utc_now()
    hours = hours or CallingHours()
    expires = now + lease
    values = {"lease_holder": workstation, "lease_expires_at": expires}
    with database.unit(immediate=True) as session:
        open_zones = _open_zones(now, hours)
        if not open_zones:
            return None
        pick = (select(Case.id).where(_callable(project_id, now, open_zones))
                .order_by(*_order()).limit(1))
        if database.is_sqlite:
            case_id = session.scalar(pick)
            if case_id is None:
                return None
            statement = update(Case).where(Case.id == case_id)
        else:
            target = pick.with_for_update(skip_locked=True).scalar_subquery()
            statement = update(Case).where(Case.id == target)
        row = session.execute(statement.values(**values).returning(*_CLAIMED)).first()
        if row is None:
            return None
        return ClaimedCase(*row, lease_holder=workstation, lease_expires_at=expires)


_CLAIMED = (Case.id, Case.phone_e164, Case.stratum, Case.region, Case.carrier, Case.time_zone,
            Case.state, Case.attempts)


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

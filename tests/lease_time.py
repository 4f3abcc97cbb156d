"""Letting leases run out in a test: leases run on the store's clock (cati.calling.lease_clock),
which a test cannot move, so the stored expiries are moved back instead — the same as the store's
clock moving on by that much for the leases (and for nothing else)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from cati.storage.models import Case


def pass_lease_time(database, delta: dt.timedelta) -> None:
    """Every stored lease expiry moves ``delta`` nearer (as if that much store time passed)."""
    with database.unit() as session:
        for case in session.scalars(select(Case).where(Case.lease_expires_at.is_not(None))):
            case.lease_expires_at -= delta

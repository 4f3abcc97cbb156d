"""Adding checked phone numbers to a project's sample (the demo uses it; imports build on it)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cati.sample.phones import PhoneCheck
from cati.storage.models import Case


@dataclass(frozen=True, slots=True)
class NewCase:
    phone: PhoneCheck
    phone_raw: str
    stratum: str = ""
    attributes: dict[str, Any] | None = None


_draws = random.SystemRandom()


def add_cases(session: Session, project_id: int, cases: Iterable[NewCase],
              batch_id: int | None = None) -> int:
    """Insert accepted numbers not already in the project's sample; returns how many."""
    existing = set(session.scalars(select(Case.phone_e164).where(Case.project_id == project_id)))
    rows = []
    for case in cases:
        e164 = case.phone.e164
        if e164 is None or e164 in existing:
            continue
        existing.add(e164)
        rows.append({
            "project_id": project_id, "batch_id": batch_id, "phone_e164": e164,
            "phone_raw": case.phone_raw, "number_type": case.phone.number_type,
            "region": case.phone.region, "carrier": case.phone.carrier,
            "time_zone": case.phone.time_zone, "stratum": case.stratum,
            "attributes": case.attributes or {}, "state": "fresh", "attempts": 0, "priority": 0,
            "draw": _draws.getrandbits(31),
        })
    if rows:
        session.execute(insert(Case), rows)
    return len(rows)

"""The do-not-call list: one list across all projects, numbers kept as E.164.

Numbers go through the same phone rule as imports. An entry may expire; an expired entry no
longer blocks a number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.sample.phones import PhoneRule, check_phone, reason_text
from cati.sample.readers import open_sample
from cati.services.clock import utc_now
from cati.storage.db import Database, upsert_insert
from cati.storage.models import DoNotCall

DEFAULT_RULE = PhoneRule()


@dataclass(frozen=True, slots=True)
class DncEntry:
    phone_e164: str
    reason: str
    added_at: dt.datetime
    expires_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class DncAddResult:
    added: int
    already: int
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (as given, why)


def add_numbers(session: Session, phones: Iterable[object], *, reason: str = "",
                expires_at: dt.datetime | None = None, added_by: int | None = None,
                rule: PhoneRule = DEFAULT_RULE) -> DncAddResult:
    insert = upsert_insert(session)
    added = already = 0
    invalid: list[tuple[str, str]] = []
    seen: set[str] = set()
    now = utc_now()
    for phone in phones:
        result = check_phone(phone, rule)
        if result.e164 is None:
            invalid.append((str(phone), reason_text(result.reason or "invalid")))
            continue
        if result.e164 in seen:
            already += 1
            continue
        seen.add(result.e164)
        # INSERT … ON CONFLICT DO NOTHING, not look-then-insert: the same number added by two
        # workstations at once is listed once and neither fails on the unique key.
        inserted = session.connection().execute(insert(DoNotCall).values(
            phone_e164=result.e164, reason=reason, added_by=added_by, added_at=now,
            expires_at=expires_at).on_conflict_do_nothing(index_elements=["phone_e164"])
            .returning(DoNotCall.id)).first()
        if inserted is not None:
            added += 1
        else:
            already += 1
    session.flush()
    return DncAddResult(added, already, invalid)


def import_file(database: Database, path: str | Path, *, reason: str = "",
                rule: PhoneRule = DEFAULT_RULE, **reader_options) -> DncAddResult:
    """Add every number of a phone list (all or nothing: one transaction)."""
    with open_sample(path, **reader_options) as reader, database.unit() as session:
        return add_numbers(session, (row.phone for row in reader.rows()), reason=reason,
                           rule=rule)


def list_entries(session: Session) -> list[DncEntry]:
    rows = session.scalars(select(DoNotCall).order_by(DoNotCall.added_at, DoNotCall.id))
    return [DncEntry(r.phone_e164, r.reason, r.added_at, r.expires_at) for r in rows]

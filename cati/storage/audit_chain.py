"""The audit log's hash chain: stamping new entries on SQLite, and verifying it on both stores.

Each entry carries ``chain_seq`` (1, 2, 3 … in the order the store recorded them),
``prev_hash`` (the previous entry's ``hash``; empty for the first) and ``hash``, the SHA-256 of
``prev_hash|chain_seq|recorded_at in µs since 1970|actor|user_id|action|details`` (details as the
store keeps the JSON text). On PostgreSQL a trigger computes it (``cati_audit_hash``, see
cati.storage.pg_security) from ``session_user`` and ``clock_timestamp()``, so no workstation
can write another name or time, and only the table's owner can change or delete an entry. On
SQLite — one machine, whose operating-system account owns the file and is trusted — this module
stamps new entries before they are written, with that account as the actor.

:func:`verify` walks the chain and names the first entry that does not fit: a changed field, a
deleted or inserted entry, a reordering. It cannot see the *last* entries removed by someone
who may delete (the owner): keep the printed head hash elsewhere to compare.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from cati.storage.models import AuditEntry

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def entry_hash(prev_hash: str | None, chain_seq: int, recorded_at: dt.datetime, actor: str | None,
               user_id: int | None, action: str, details_text: str | None) -> str:
    """The same value as PostgreSQL's cati_audit_hash for the same fields."""
    micros = (recorded_at.astimezone(dt.UTC) - _EPOCH) // dt.timedelta(microseconds=1)
    parts = (prev_hash or "", str(chain_seq), str(micros), actor or "",
             "" if user_id is None else str(user_id), action,
             "null" if details_text is None else details_text)
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def local_actor() -> str:
    """The operating-system account, the principal of an SQLite store."""
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # no name for this uid (a container): still recorded
        return "os:?"


@event.listens_for(Session, "before_flush")
def _stamp_sqlite_entries(session: Session, _context, _instances) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    if not new:
        return
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL: the trigger stamps them
    with session.no_autoflush:
        last = session.execute(text(
            "SELECT chain_seq, hash FROM audit_log WHERE chain_seq IS NOT NULL "
            "ORDER BY chain_seq DESC LIMIT 1")).first()
    seq, prev = (last[0], last[1]) if last else (0, "")
    actor = local_actor()
    for entry in sorted(new, key=lambda e: (e.at or _EPOCH)):
        seq += 1
        entry.actor = actor
        entry.recorded_at = dt.datetime.now(dt.UTC)
        entry.chain_seq = seq
        entry.prev_hash = prev
        if entry.details is None:
            entry.details = {}
        entry.hash = entry_hash(prev, seq, entry.recorded_at, actor, entry.user_id,
                                entry.action, json.dumps(entry.details))
        prev = entry.hash


def chain_existing_sqlite(connection) -> None:
    """Migration 0010 on SQLite: chain the entries already there, in id order."""
    rows = connection.execute(text(
        "SELECT id, at, user_id, action, details FROM audit_log ORDER BY id")).all()
    prev = ""
    for seq, (entry_id, at, user_id, action, details) in enumerate(rows, start=1):
        recorded = _as_utc(at)
        digest = entry_hash(prev, seq, recorded, "", user_id, action, details)
        connection.execute(text(
            "UPDATE audit_log SET recorded_at = :at, chain_seq = :seq, prev_hash = :prev, "
            "hash = :hash WHERE id = :id"),
            {"at": at, "seq": seq, "prev": prev, "hash": digest, "id": entry_id})
        prev = digest


def _as_utc(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    ok: bool
    head: str  # the last entry's hash ("" for an empty log)
    broken_id: int | None = None  # the first entry that does not fit
    reason: str = ""


def verify(session: Session) -> ChainReport:
    """Walk the whole chain in order (reads every entry: supervisors, admins, the owner)."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(text(
            "SELECT id, chain_seq, prev_hash, hash, cati_audit_hash(prev_hash, chain_seq, "
            "recorded_at, actor, user_id, action, details) FROM audit_log "
            "ORDER BY chain_seq NULLS FIRST, id")).all()
        checked = [(i, seq, prev, stored, expected) for i, seq, prev, stored, expected in rows]
    else:
        rows = session.execute(text(
            "SELECT id, chain_seq, prev_hash, hash, recorded_at, actor, user_id, action, details "
            "FROM audit_log ORDER BY chain_seq IS NOT NULL, chain_seq, id")).all()
        checked = [(i, seq, prev, stored,
                    None if seq is None or recorded is None else
                    entry_hash(prev, seq, _as_utc(recorded), actor, user_id, action, details))
                   for i, seq, prev, stored, recorded, actor, user_id, action, details in rows]
    last = ""
    for expected_seq, (entry_id, seq, prev, stored, expected) in enumerate(checked, start=1):
        reason = ""
        if seq is None:
            reason = "it is not in the chain (written around the store's stamping)"
        elif seq != expected_seq:
            reason = (f"it is number {seq} of the chain where {expected_seq} should be "
                      "(an entry before it was removed or inserted)")
        elif (prev or "") != last:
            reason = "it does not follow the entry before it (that one was changed or removed)"
        elif stored != expected:
            reason = "its contents were changed after it was written"
        if reason:
            return ChainReport(len(checked), False, last, entry_id, reason)
        last = stored
    return ChainReport(len(checked), True, last)

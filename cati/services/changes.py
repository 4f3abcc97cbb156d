"""What changed since a view last looked: the change feed that keeps open views current.

Every write a person makes is audited in the same transaction as the write (the house rule),
and the audit log's ``chain_seq`` is handed out under a lock held until commit (PostgreSQL: a
transaction-scoped advisory lock in the stamping trigger; SQLite: one writer at a time). So the
entries after a given ``chain_seq`` are exactly the changes committed since, at every
workstation of the room, in commit order: no change is skipped because a slower transaction
committed after a faster one was read. A view keeps the last ``chain_seq`` it saw (its cursor),
asks for what came after it, and refreshes only when a topic it shows is among them.

The topic of an entry comes from its action's words (``appointment_moved``,
``sample.add_to_dnc``, ``quota_set``, the database's own ``db_quotas_update``…): a new action
that uses the usual words is announced without a change here; one whose words are not known is
announced under ``audit`` only (the audit view still shows it). What is not audited (interviews
completing, interviewers' own appointments) is not in the feed: views that show those re-read on
their own timer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import AuditEntry

# The topics a view may follow. ``audit`` is every entry.
CASES, APPOINTMENTS, QUOTAS, SUGGESTIONS, UNITS = (
    "cases", "appointments", "quotas", "suggestions", "units")
WAVES, SETTINGS, USERS, WEB, ASSIGNMENTS, BACKCHECK, AUDIT = (
    "waves", "settings", "users", "web", "assignments", "backcheck", "audit")

# Words of an action (or of a table in the database's own entries) -> the topics they touch.
# Closing a case or putting its number on the do-not-call list also cancels its appointments,
# so the sample's words touch both.
_WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("appointment", frozenset({APPOINTMENTS, CASES})),
    ("sample", frozenset({CASES, APPOINTMENTS})),
    ("case", frozenset({CASES, APPOINTMENTS})),
    ("dnc", frozenset({CASES, APPOINTMENTS})),
    ("import", frozenset({CASES})),
    ("answer", frozenset({CASES})),
    ("interview", frozenset({CASES})),
    ("quota", frozenset({QUOTAS})),
    ("suggestion", frozenset({SUGGESTIONS})),
    ("routing", frozenset({UNITS, SUGGESTIONS})),
    ("unit", frozenset({UNITS, SUGGESTIONS})),
    ("wave", frozenset({WAVES})),
    ("series", frozenset({WAVES})),
    ("rule", frozenset({WAVES, SETTINGS})),
    ("report_settings", frozenset({WAVES, SETTINGS})),
    ("project", frozenset({SETTINGS, WAVES})),
    ("disposition", frozenset({SETTINGS})),
    ("user", frozenset({USERS})),
    ("role", frozenset({USERS})),
    ("password", frozenset({USERS})),
    ("web", frozenset({WEB})),
    ("assign", frozenset({ASSIGNMENTS, CASES})),
    ("backcheck", frozenset({BACKCHECK, CASES})),
)

# At most this many entries are read per call: a view far behind refreshes everything it shows
# rather than reading the whole log (``Changes.everything``).
MAX_ENTRIES = 500


@dataclass(frozen=True, slots=True)
class Changes:
    cursor: int  # the last chain_seq seen: pass it to the next call
    topics: frozenset[str]  # what the entries after the given cursor touched (empty: nothing)
    everything: bool = False  # too many to name: refresh every view

    def touches(self, topics: frozenset[str] | set[str]) -> bool:
        return self.everything or bool(self.topics & set(topics))


def topics_of(action: str) -> frozenset[str]:
    """The topics one audit action touches (always including ``audit``)."""
    words = action.lower()
    found = {AUDIT}
    for word, topics in _WORDS:
        if word in words:
            found |= topics
    return frozenset(found)


def changes_since(database: Database, acting_user_id: int, cursor: int | None) -> Changes:
    """What changed after ``cursor`` (None: only where the log stands now, nothing changed).
    Read as ``acting_user_id``, a supervisor or admin (the audit log is theirs to read)."""
    with database.unit() as session:
        require_supervisor(session, acting_user_id, "follow the changes")
        if cursor is None:
            latest = session.scalar(select(func.max(AuditEntry.chain_seq)))
            return Changes(int(latest or 0), frozenset())
        rows = session.execute(
            select(AuditEntry.chain_seq, AuditEntry.action)
            .where(AuditEntry.chain_seq > cursor)
            .order_by(AuditEntry.chain_seq).limit(MAX_ENTRIES + 1)).all()
        if len(rows) > MAX_ENTRIES:
            latest = session.scalar(select(func.max(AuditEntry.chain_seq)))
            return Changes(int(latest), frozenset({AUDIT}), everything=True)
    if not rows:
        return Changes(cursor, frozenset())
    topics: set[str] = set()
    for _seq, action in rows:
        topics |= topics_of(action)
    return Changes(int(rows[-1][0]), frozenset(topics))

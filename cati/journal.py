"""The workstation's journal: what the interviewer did, kept on the workstation until the
database has it.

Every answer the interviewer window saves, and the outcome that ends a call, goes first into an
SQLite file in the user data directory (``journal.db``, ``synchronous=FULL``), then to the
database. When the database cannot be reached (the server stopped or restarted, the network
dropped, a full or read-only store), the entry stays in the journal: the window shows the next
question all the same, says that it is reconnecting, and writes the journal to the database in
order once it is back — each entry exactly once:

- answers are idempotent by value: replaying a save that landed before the reply was lost writes
  nothing (no second answer event), and a replay keeps the time the answer was given;
- an outcome whose commit may have landed is looked up (this workstation's attempt on the case
  with that start and code) before it is recorded again;
- an outcome may carry the softphone's call (``call``: cati.services.recordings.FinishedCall),
  stored on the attempt just after it (its recording filed under the attempt's id).

When the case went to another workstation in the meantime (its lease expired while this one was
cut off, and someone else claimed it), the database refuses the writes (``LeaseLost``). Those
entries, and the later ones of the same interview, are kept as ``refused`` with the reason, for a
supervisor to merge (``cati journal list``), never dropped.

Entries are keyed by the database they belong to (its URL without the password), so one
workstation used against several databases keeps them apart.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cati.config import create_private_file

PENDING, WRITTEN, REFUSED = "pending", "written", "refused"
ANSWERS, OUTCOME, FIELD_CLOSE = "answers", "outcome", "field_close"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    database TEXT NOT NULL,
    kind TEXT NOT NULL,
    interview_id INTEGER,
    case_id INTEGER,
    user_id INTEGER,
    workstation TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    reason TEXT NOT NULL DEFAULT '',
    done_at TEXT
);
CREATE INDEX IF NOT EXISTS ix_entries_pending ON entries (database, state, id);
"""


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    database: str
    kind: str  # answers | outcome | field_close
    interview_id: int | None
    case_id: int | None
    user_id: int | None
    workstation: str
    payload: dict[str, Any]
    created_at: dt.datetime
    state: str
    reason: str


class Journal:
    """One journal file. Safe to use from several threads (one connection, serialised)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        create_private_file(self.path)  # 0600 in a 0700 folder: it holds answers
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                     timeout=10)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")  # an entry survives a power cut
        self._conn.executescript(_SCHEMA)

    def add(self, database: str, kind: str, *, workstation: str, payload: Mapping[str, Any],
            interview_id: int | None = None, case_id: int | None = None,
            user_id: int | None = None, now: dt.datetime) -> Entry:
        text = json.dumps(dict(payload), ensure_ascii=False, sort_keys=True)
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO entries (database, kind, interview_id, case_id, user_id, "
                "workstation, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (database, kind, interview_id, case_id, user_id, workstation, text,
                 now.astimezone(dt.UTC).isoformat()))
            entry_id = cursor.lastrowid
        return self.get(entry_id)

    def get(self, entry_id: int) -> Entry:
        with self._lock:
            row = self._conn.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row)

    def pending(self, database: str) -> list[Entry]:
        return self._select("WHERE database = ? AND state = ? ORDER BY id", (database, PENDING))

    def refused(self, database: str | None = None) -> list[Entry]:
        if database is None:
            return self._select("WHERE state = ? ORDER BY id", (REFUSED,))
        return self._select("WHERE database = ? AND state = ? ORDER BY id", (database, REFUSED))

    def entries(self, database: str | None = None) -> list[Entry]:
        if database is None:
            return self._select("ORDER BY id", ())
        return self._select("WHERE database = ? ORDER BY id", (database,))

    def waiting(self, database: str) -> int:
        with self._lock:
            return self._conn.execute(
                "SELECT count(*) FROM entries WHERE database = ? AND state = ?",
                (database, PENDING)).fetchone()[0]

    def written(self, entry_id: int, now: dt.datetime) -> None:
        self._finish(entry_id, WRITTEN, "", now)

    def refuse(self, entry_id: int, reason: str, now: dt.datetime) -> None:
        self._finish(entry_id, REFUSED, reason, now)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _finish(self, entry_id: int, state: str, reason: str, now: dt.datetime) -> None:
        with self._lock:
            self._conn.execute("UPDATE entries SET state = ?, reason = ?, done_at = ? "
                               "WHERE id = ?", (state, reason, now.astimezone(dt.UTC).isoformat(),
                                                entry_id))

    def _select(self, where: str, args: tuple) -> list[Entry]:
        with self._lock:
            rows = self._conn.execute(f"SELECT * FROM entries {where}", args).fetchall()
        return [_entry(row) for row in rows]


def _entry(row: tuple) -> Entry:
    (entry_id, database, kind, interview_id, case_id, user_id, workstation, payload, created,
     state, reason, _done) = row
    return Entry(entry_id, database, kind, interview_id, case_id, user_id, workstation,
                 json.loads(payload), dt.datetime.fromisoformat(created), state, reason)


# -- writing the journal to the database -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flushed:
    """Where the journal stands after an attempt to write it to the database."""

    waiting: int  # entries of this database still in the journal
    offline: str = ""  # why they wait (one line), "" when the database took everything
    result: Any = None  # what writing the entry asked about returned (a SaveResult …)
    written: bool = False  # the entry asked about is in the database
    refused: str = ""  # the case went to another workstation: its entries were kept, refused
    cut_off: bool = False  # the database cannot be reached (else it refuses writes: full …)


def write_journal(database, journal: Journal, key: str, *, until: int | None = None,
                  now: dt.datetime | None = None) -> Flushed:
    """Write the database's pending entries in order, each exactly once, up to entry ``until``
    (all when None); stop at the first one the database cannot take now (disconnected, full,
    read-only) and say why. Entries the database refuses because the case's lease went to
    another workstation are kept as refused, with every later entry of the same case."""
    from cati.calling.outcomes import LeaseLost
    from cati.errors import CatiError, StorageFull, StorageReadOnly
    from cati.services.clock import utc_now
    from cati.storage.retry import is_disconnect

    now = now or utc_now()
    result, written, refused = None, False, ""
    lost_cases: set[int] = set()
    for entry in journal.pending(key):
        if until is not None and entry.id > until:
            break
        if entry.case_id is not None and entry.case_id in lost_cases:
            journal.refuse(entry.id, refused, now)
            continue
        try:
            value = _write(database, entry)
        except LeaseLost as exc:
            landed = _outcome_landed(database, entry) if entry.kind == OUTCOME else None
            if landed is not None:
                value = None  # its commit landed before the reply was lost
                _store_call(database, entry, landed, only_if_missing=True)
            else:
                refused = " ".join(str(exc).split())
                lost_cases.add(entry.case_id)
                journal.refuse(entry.id, refused, now)
                continue
        except (StorageFull, StorageReadOnly) as exc:
            return Flushed(journal.waiting(key), " ".join(str(exc).split()), refused=refused)
        except Exception as exc:
            if is_disconnect(exc):
                return Flushed(journal.waiting(key), _offline_line(exc), refused=refused,
                               cut_off=True)
            if isinstance(exc, CatiError):  # the database will never take it: keep it aside
                journal.refuse(entry.id, " ".join(str(exc).split()), now)
            raise
        journal.written(entry.id, now)
        if entry.id == until:
            result, written = value, True
    return Flushed(journal.waiting(key), "", result, written, refused)


def _offline_line(exc: BaseException) -> str:
    cause = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return f"the database cannot be reached (数据库无法连接): {first}"[:300]


def _write(database, entry: Entry) -> Any:
    from cati.calling.outcomes import record_outcome
    from cati.services import interviews

    payload = entry.payload
    if entry.kind == ANSWERS:
        return interviews.save_answers(
            database, entry.interview_id, payload["changes"],
            current_item=payload.get("current_item"), user_id=entry.user_id,
            workstation=entry.workstation if entry.case_id is not None else None,
            now=entry.created_at)
    if entry.kind == OUTCOME:
        started = payload.get("started_at")
        result = record_outcome(
            database, entry.case_id, entry.workstation, payload["code"],
            interviewer_id=entry.user_id, note=payload.get("note", ""),
            started_at=dt.datetime.fromisoformat(started) if started else entry.created_at,
            interview_id=entry.interview_id, now=entry.created_at)
        _store_call(database, entry, result.attempt_id)
        return result
    if entry.kind == FIELD_CLOSE:
        return interviews.close_interview(database, entry.interview_id, payload["code"],
                                          user_id=entry.user_id, now=entry.created_at)
    raise ValueError(f"unknown journal entry kind {entry.kind!r}")


def _outcome_landed(database, entry: Entry) -> int | None:
    """This workstation's attempt of the entry when it is stored (a lost reply's commit)."""
    from sqlalchemy import select

    from cati.storage.models import CallAttempt

    started = entry.payload.get("started_at")
    started_at = dt.datetime.fromisoformat(started) if started else entry.created_at
    with database.unit(immediate=False) as session:
        return session.scalar(select(CallAttempt.id).where(
            CallAttempt.case_id == entry.case_id, CallAttempt.workstation == entry.workstation,
            CallAttempt.started_at == started_at,
            CallAttempt.disposition == entry.payload["code"]).limit(1))


def _store_call(database, entry: Entry, attempt_id: int, *, only_if_missing: bool = False
                ) -> None:
    """The softphone's call of the entry's attempt (cati.services.recordings.FinishedCall),
    stored just after the outcome; on a replay whose outcome had landed, only when the call is
    not stored yet (the connection may have dropped between the two)."""
    call = entry.payload.get("call")
    if not call or entry.user_id is None:
        return
    from cati.services.recordings import FinishedCall, store_finished_call
    from cati.storage.models import CallAttempt

    if only_if_missing:
        with database.unit(immediate=False) as session:
            if session.get(CallAttempt, attempt_id).machine_outcome is not None:
                return
    store_finished_call(database, attempt_id, FinishedCall.from_json(call),
                        actor_id=entry.user_id)

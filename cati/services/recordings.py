"""The softphone's account of a call on its attempt, and the call's recording.

Decisions:

- An attempt is stored when the interviewer codes the call (cati.calling.outcomes); the call
  itself ended before that. ``attach_call`` then writes, once, what the softphone saw: the
  machine-detected outcome, the final SIP status, the proposed disposition (the interviewer's
  choice stays in ``disposition``: both are kept, so a supervisor sees where they differ) and
  the SIP times, plus the recording's row when the call was recorded. ``store_call`` is the
  same inside a unit of work the caller already holds (to make it one transaction with the
  coding).
- Who: the attempt's own interviewer (its workstation) or a supervisor/admin; checked here
  and, on PostgreSQL, by the grants and row-level security of
  cati.storage.pg_security.RECORDING_STATEMENTS (an interviewer's login inserts the recording
  of its own attempt only and cannot read any recording's path).
- The call facts of an attempt are written once: a second attach is refused, not merged.
- The recording row holds the path (the file named by its attempt, cati.telephony.recording.
  file_recording), size, duration and sha256 measured when it was filed; ``check_recording``
  compares the file with them (missing, changed) before quality control plays it.
- Supervisors and admins read recordings (``recordings``), like phone numbers.
- Each write is an audit entry (``call_recorded``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.errors import CatiError, NotFound, PermissionDenied
from cati.services.clock import utc_now
from cati.services.users import SUPERVISOR_ROLES, require_supervisor
from cati.storage.db import Database
from cati.storage.models import AuditEntry, CallAttempt, Recording, User
from cati.telephony.outcomes import OUTCOMES
from cati.telephony.recording import RecordingInfo, describe


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the softphone measured of one call (cati.telephony.call.CallResult)."""

    outcome: str
    sip_status: int | None
    proposed_disposition: str | None
    dialled_at: dt.datetime | None
    rang_at: dt.datetime | None
    answered_at: dt.datetime | None
    hung_up_at: dt.datetime | None

    @classmethod
    def from_result(cls, result) -> CallFacts:
        return cls(result.outcome, result.sip_status, result.proposed_disposition,
                   result.dialled_at, result.rang_at, result.answered_at, result.ended_at)


@dataclass(frozen=True, slots=True)
class RecordingRow:
    id: int
    attempt_id: int
    case_id: int
    project_id: int | None
    interviewer_id: int | None
    started_at: dt.datetime
    path: str
    size: int
    duration_s: float
    sha256: str
    created_at: dt.datetime

    def as_json(self) -> dict:
        return {"id": self.id, "attempt_id": self.attempt_id, "case_id": self.case_id,
                "path": self.path, "size": self.size, "duration_s": round(self.duration_s, 3),
                "sha256": self.sha256, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True, slots=True)
class AttachedCall:
    attempt_id: int
    outcome: str
    proposed_disposition: str | None
    disposition: str | None  # the interviewer's
    recording_id: int | None


def attach_call(database: Database, attempt_id: int, facts: CallFacts,
                recording: RecordingInfo | None, *, actor_id: int,
                now: dt.datetime | None = None) -> AttachedCall:
    with database.unit(immediate=True) as session:
        return store_call(session, attempt_id, facts, recording, actor_id=actor_id, now=now)


def store_call(session: Session, attempt_id: int, facts: CallFacts,
               recording: RecordingInfo | None, *, actor_id: int,
               now: dt.datetime | None = None) -> AttachedCall:
    now = now or utc_now()
    attempt = session.get(CallAttempt, attempt_id)
    if attempt is None:
        raise NotFound(f"no call attempt {attempt_id}")
    actor = session.get(User, actor_id)
    if actor is None or not actor.active or (
            attempt.interviewer_id != actor_id and actor.role not in SUPERVISOR_ROLES):
        raise PermissionDenied("only the attempt's interviewer or a supervisor can store its "
                               "call (仅本次拨打的访员或督导可以保存通话记录)")
    if facts.outcome not in OUTCOMES:
        raise CatiError(f"'{facts.outcome}' is not a call outcome ({', '.join(OUTCOMES)})")
    if attempt.machine_outcome is not None:
        raise CatiError(f"call attempt {attempt_id} has its call stored already")
    if recording is not None and facts.outcome != "answered":
        raise CatiError("only an answered call has a recording")
    attempt.machine_outcome = facts.outcome
    attempt.sip_status = facts.sip_status
    attempt.proposed_disposition = facts.proposed_disposition
    attempt.dialled_at, attempt.rang_at = facts.dialled_at, facts.rang_at
    attempt.answered_at, attempt.hung_up_at = facts.answered_at, facts.hung_up_at
    row = None
    if recording is not None:
        row = Recording(attempt_id=attempt.id, path=recording.path, size=recording.size,
                        duration_s=recording.duration_s, sha256=recording.sha256,
                        created_at=now)
        session.add(row)
    session.flush()
    details = {"attempt_id": attempt.id, "case_id": attempt.case_id, "outcome": facts.outcome,
               "sip_status": facts.sip_status,
               "proposed_disposition": facts.proposed_disposition,
               "disposition": attempt.disposition}
    if recording is not None:
        details["recording"] = {"id": row.id, "path": recording.path, "size": recording.size,
                                "duration_s": round(recording.duration_s, 3),
                                "sha256": recording.sha256}
    session.add(AuditEntry(user_id=actor_id, at=now, action="call_recorded", details=details))
    return AttachedCall(attempt.id, facts.outcome, facts.proposed_disposition,
                        attempt.disposition, row.id if row is not None else None)


def recordings(database: Database, actor_id: int, *, project_id: int | None = None,
               attempt_ids: Iterable[int] | None = None) -> list[RecordingRow]:
    """Recordings (of a project, or of the given attempts), oldest first: supervisors only."""
    with database.unit(immediate=False) as session:
        require_supervisor(session, actor_id, "listen to recordings")
        query = (select(Recording, CallAttempt)
                 .join(CallAttempt, CallAttempt.id == Recording.attempt_id)
                 .order_by(Recording.id))
        if project_id is not None:
            query = query.where(CallAttempt.project_id == project_id)
        if attempt_ids is not None:
            query = query.where(Recording.attempt_id.in_(list(attempt_ids)))
        return [RecordingRow(r.id, r.attempt_id, a.case_id, a.project_id, a.interviewer_id,
                             a.started_at, r.path, r.size, r.duration_s, r.sha256, r.created_at)
                for r, a in session.execute(query)]


def check_recording(row: RecordingRow) -> str:
    """``ok``, ``missing`` (no file at the path) or ``changed`` (size or sha256 differ from
    what was filed)."""
    path = Path(row.path)
    if not path.is_file():
        return "missing"
    try:
        now = describe(path)
    except (OSError, EOFError, ValueError, wave.Error):
        return "changed"
    return "ok" if (now.size, now.sha256) == (row.size, row.sha256) else "changed"


# -- a call the interviewer window made, stored with the attempt that codes it ------------------


@dataclass(frozen=True, slots=True)
class FinishedCall:
    """A call of the interviewer window, waiting for the attempt that codes it.

    It travels in the workstation's journal with the outcome (``as_json``/``from_json``), so a
    call coded while the database is away is stored with its attempt once it is back. The
    recording is a finished WAV in the recordings folder's ``.incoming``; it is filed under the
    attempt's id (cati.telephony.recording.file_recording) when the attempt exists.
    """

    facts: CallFacts
    recording_path: str | None
    project_code: str

    def as_json(self) -> dict:
        facts = self.facts
        return {"outcome": facts.outcome, "sip_status": facts.sip_status,
                "proposed_disposition": facts.proposed_disposition,
                "dialled_at": _iso(facts.dialled_at), "rang_at": _iso(facts.rang_at),
                "answered_at": _iso(facts.answered_at), "hung_up_at": _iso(facts.hung_up_at),
                "recording": self.recording_path, "project": self.project_code}

    @classmethod
    def from_json(cls, data: dict) -> FinishedCall:
        facts = CallFacts(data["outcome"], data.get("sip_status"),
                          data.get("proposed_disposition"), _when(data.get("dialled_at")),
                          _when(data.get("rang_at")), _when(data.get("answered_at")),
                          _when(data.get("hung_up_at")))
        return cls(facts, data.get("recording"), data.get("project") or "")


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def _when(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def store_finished_call(database: Database, attempt_id: int, call: FinishedCall, *,
                        actor_id: int, folder: Path | None = None) -> AttachedCall:
    """File the call's recording under its attempt (``folder``: the recordings folder; the
    recording's own folder's parent when None) and attach the call to the attempt. A
    recording that is gone (a workstation cleaned up) is not invented: the call is stored
    without one."""
    recording = None
    source = Path(call.recording_path) if call.recording_path else None
    if source is not None and source.is_file() and call.facts.outcome == "answered":
        from cati.telephony.recording import file_recording

        target = folder or source.parent.parent
        recording = file_recording(source, target, call.project_code, attempt_id,
                                   call.facts.dialled_at or utc_now())
    return attach_call(database, attempt_id, call.facts, recording, actor_id=actor_id)

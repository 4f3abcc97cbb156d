"""One outgoing call through a running agent, followed to its outcome.

Decisions:

- The times come from baresip's events as they arrive (CALL_RINGING or CALL_PROGRESS: rang;
  CALL_ESTABLISHED: answered; CALL_CLOSED: ended), on a monotonic clock anchored to the UTC
  time of the dial, so a clock change during a call does not bend its lengths.
- ``no_answer_after`` counts from the dial. When it passes unanswered cati hangs up itself
  (a CANCEL): ``no_answer`` if the line rang, ``failed`` if nothing at all came back (a dead
  trunk: baresip's own SIP timer would take 32 s). ``hangup_after`` counts from the answer
  (set-up and tests; the interviewer window hangs up with its button).
- ``sip_status``: the final status the network sent (486, 603, 404, 503 ...); 200 for an
  answered call; for a call cati cancelled, the last provisional status seen (180/183); None
  when the network sent nothing.
- ``ring_s`` is from the first ringing event to the answer (or the end); 0 when it never rang.
  ``talk_s`` is from the answer to the end.
- The window runs ``place_call`` off its GUI thread: ``on_progress(kind, at)`` tells it
  ``ringing``, ``answered`` and ``ended`` as they happen, and its hang-up button calls
  ``CallControl.hang_up`` (the dialling thread sends the command; an interviewer who hangs
  up a ringing call gave up on it: ``no_answer``, like the timer).
- Recording: only answered calls keep one (merged from baresip's two dumps into ``record_to``,
  cati.telephony.recording); the dumps of every call are removed from the agent's folder.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cati.telephony.baresip import BaresipAgent, SoftphoneError
from cati.telephony.outcomes import classify, proposed_disposition, sip_status
from cati.telephony.recording import RecordingInfo, merge, new_dumps, wait_closed

MAX_CALL_S = 4 * 3600.0  # a call nobody hangs up is ended after this
CLOSE_GRACE_S = 8.0  # after our hang-up, baresip's CALL_CLOSED comes within this


@dataclass(frozen=True, slots=True)
class CallResult:
    uri: str
    outcome: str
    sip_status: int | None
    reason: str  # baresip's CALL_CLOSED text ("486 Busy Here", "Connection timed out")
    proposed_disposition: str | None
    ring_s: float
    talk_s: float
    dialled_at: dt.datetime
    rang_at: dt.datetime | None
    answered_at: dt.datetime | None
    ended_at: dt.datetime
    recording: RecordingInfo | None

    def as_json(self) -> dict:
        """The object ``cati phone call --json`` prints."""
        return {
            "uri": self.uri,
            "outcome": self.outcome,
            "sip_status": self.sip_status,
            "proposed_disposition": self.proposed_disposition,
            "ring_s": round(self.ring_s, 3),
            "talk_s": round(self.talk_s, 3),
            "recording": self.recording.path if self.recording else None,
            "reason": self.reason,
            "recording_info": self.recording.as_json() if self.recording else None,
            "rang_at": _iso(self.rang_at),
            "answered_at": _iso(self.answered_at),
            "ended_at": _iso(self.ended_at),
        }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


class CallControl:
    """The other threads' handle on a call in progress."""

    def __init__(self) -> None:
        self._hang_up = threading.Event()

    def hang_up(self) -> None:
        self._hang_up.set()

    @property
    def hang_up_requested(self) -> bool:
        return self._hang_up.is_set()


POLL_S = 0.1  # how soon a hang-up asked by another thread is sent


def place_call(agent: BaresipAgent, uri: str, *, record_to: Path | None = None,
               hangup_after: float | None = None, no_answer_after: float = 30.0,
               settings: Mapping | None = None, control: CallControl | None = None,
               on_progress: Callable[[str, dt.datetime], None] | None = None) -> CallResult:
    """Dial ``uri`` and wait for the end of the call. ``settings``: the project's (its
    outcome-to-disposition table)."""
    while agent.next_event(0) is not None:  # leftovers of an earlier call
        pass
    before = {p.name for p in agent.record_dir.glob("dump-*.wav")}
    wall0 = dt.datetime.now(dt.UTC)
    mono0 = time.monotonic()

    def wall(mono: float | None) -> dt.datetime | None:
        return None if mono is None else wall0 + dt.timedelta(seconds=mono - mono0)

    reply = agent.dial(uri)
    rang = answered = closed = None
    provisional: int | None = None
    reason = ""
    hung_up_at = None
    if not reply.get("ok"):
        closed = time.monotonic()
        reason = str(reply.get("data") or "dial refused")
    while closed is None:
        now = time.monotonic()
        if hung_up_at is not None:
            deadline = hung_up_at + CLOSE_GRACE_S
        elif answered is not None:
            deadline = answered + (hangup_after if hangup_after is not None else MAX_CALL_S)
        else:
            deadline = mono0 + no_answer_after
        asked = control is not None and control.hang_up_requested and hung_up_at is None
        wait = 0.0 if asked else deadline - now
        if control is not None:
            wait = min(wait, POLL_S)
        event = agent.next_event(wait)
        if event is None:
            if not asked and time.monotonic() < deadline:
                continue  # a poll for the hang-up button, not a time-out
            if hung_up_at is not None:
                closed = time.monotonic()
                reason = reason or "no CALL_CLOSED from baresip after hang-up"
                break
            hung_up_at = time.monotonic()
            agent.hangup()
            continue
        kind = event.get("type")
        if kind == "_GONE":
            raise SoftphoneError("baresip stopped during the call: " + agent.last_error())
        if event.get("direction") not in (None, "outgoing"):
            continue
        if kind in ("CALL_RINGING", "CALL_PROGRESS"):
            if rang is None and on_progress is not None:
                on_progress("ringing", wall(event["_at"]))
            rang = rang or event["_at"]
            provisional = 183 if kind == "CALL_PROGRESS" else 180
        elif kind == "CALL_ESTABLISHED":
            answered = answered or event["_at"]
            if on_progress is not None:
                on_progress("answered", wall(answered))
        elif kind == "CALL_CLOSED":
            closed = event["_at"]
            reason = str(event.get("param") or "")
            if on_progress is not None:
                on_progress("ended", wall(closed))
    status = sip_status(reason)
    cancelled = hung_up_at is not None and answered is None
    outcome = classify(established=answered is not None, status=status,
                       hung_up_unanswered=cancelled and rang is not None)
    if outcome == "answered":
        status = 200
    elif cancelled and status is None:
        status = provisional
    recording = None
    if agent.options.record:
        enc, dec = new_dumps(agent.record_dir, before)
        dumps = [p for p in (enc, dec) if p is not None]
        wait_closed(dumps)
        if record_to is not None and answered is not None and dumps:
            recording = merge(enc, dec, Path(record_to))
        for path in dumps:
            path.unlink(missing_ok=True)
    ring_end = answered if answered is not None else closed
    return CallResult(
        uri=uri, outcome=outcome, sip_status=status, reason=reason,
        proposed_disposition=proposed_disposition(outcome, settings),
        ring_s=max(0.0, ring_end - rang) if rang is not None else 0.0,
        talk_s=max(0.0, closed - answered) if answered is not None else 0.0,
        dialled_at=wall0, rang_at=wall(rang), answered_at=wall(answered),
        ended_at=wall(closed), recording=recording)

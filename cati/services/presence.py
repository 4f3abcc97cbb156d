"""Who is doing what: each interviewer window reports its state (ready, paused, on a call,
interviewing) on every change and once a minute; a workstation not heard from for
OFFLINE_AFTER counts as offline. The supervisor's monitor reads it.

Reports are stamped with the store's clock (cati.calling.lease_clock), like leases: a
workstation whose clock is minutes off would otherwise show as offline, or linger as online.
An explicit ``now`` (tests, a replay) is used as given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cati.calling.lease_clock import store_now
from cati.storage.db import Database
from cati.storage.models import Presence, PresenceLog, User

STATES = ("ready", "paused", "call", "interviewing", "offline")
OFFLINE_AFTER = dt.timedelta(minutes=3)


@dataclass(frozen=True, slots=True)
class PresenceInfo:
    workstation: str
    user_id: int
    username: str
    display_name: str
    project_id: int | None
    state: str  # one of STATES; "offline" when not heard from for OFFLINE_AFTER
    since: dt.datetime
    case_id: int | None
    reason: str = ""  # why paused (PAUSE_REASONS), "" otherwise


PAUSE_REASONS = ("break", "training", "meeting", "other")  # 休息 培训 会议 其他


def report_presence(database: Database, workstation: str, user_id: int,
                    project_id: int | None, state: str, case_id: int | None = None, *,
                    reason: str = "", now: dt.datetime | None = None) -> None:
    """What this workstation does now (``reason``: why it is paused). A change of state, of
    reason, of account or of project also closes the workstation's open history row and
    opens the next (presence_log: the productivity history)."""
    if state not in STATES:
        raise ValueError(f"unknown presence state {state!r}")
    reason = reason if state == "paused" and reason in PAUSE_REASONS else ""
    with database.unit() as session:
        now = now or store_now(session)
        row = session.get(Presence, workstation)
        if row is None:
            session.add(Presence(workstation=workstation, user_id=user_id,
                                 project_id=project_id, state=state, since=now,
                                 case_id=case_id, seen_at=now, reason=reason))
            _log(session, workstation, user_id, project_id, state, reason, now)
            return
        if (row.state, row.user_id, row.case_id, row.reason) != (state, user_id, case_id, reason):
            row.since = now
        if (row.state, row.user_id, row.project_id, row.reason) != (
                state, user_id, project_id, reason):
            _log(session, workstation, user_id, project_id, state, reason, now)
        row.user_id, row.project_id, row.state, row.case_id = user_id, project_id, state, case_id
        row.reason = reason
        row.seen_at = now


def _log(session: Session, workstation: str, user_id: int, project_id: int | None, state: str,
         reason: str, now: dt.datetime) -> None:
    session.execute(update(PresenceLog).where(PresenceLog.workstation == workstation,
                                              PresenceLog.ended_at.is_(None))
                    .values(ended_at=now))
    session.add(PresenceLog(workstation=workstation, user_id=user_id, project_id=project_id,
                            state=state, reason=reason, started_at=now))


def presence(database: Database, project_id: int | None = None, *,
             now: dt.datetime | None = None) -> list[PresenceInfo]:
    with database.unit(immediate=False) as session:
        return presence_in(session, project_id, now or store_now(session))


def presence_in(session: Session, project_id: int | None,
                now: dt.datetime) -> list[PresenceInfo]:
    """presence() inside a caller's unit (the monitor reads it with its other figures)."""
    query = select(Presence, User.username, User.display_name).join(
        User, User.id == Presence.user_id)
    if project_id is not None:
        query = query.where(Presence.project_id == project_id)
    found = []
    for row, username, display in session.execute(
            query.order_by(User.username, Presence.workstation)):
        gone = row.state == "offline" or now - row.seen_at > OFFLINE_AFTER
        found.append(PresenceInfo(
            row.workstation, row.user_id, username, display or username, row.project_id,
            "offline" if gone else row.state,
            row.since if row.state == "offline" or not gone else row.seen_at,
            None if gone else row.case_id, "" if gone else row.reason))
    return found

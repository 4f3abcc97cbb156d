"""Each interviewer's productivity by day and shift, for the supervisor: hours logged, time in
each state (ready, paused and why, on a call, interviewing), calls, contacts, completes,
completes per hour and the refusal rate.

Days and shifts are the project's local time (Beijing by default): morning before 12:00,
afternoon 12:00–17:00, evening after 17:00 (cati.calling.hours' slots). Time comes from the
presence history (presence_log: every state a window was in, from when to when), clipped to
each shift; a state still open ends now, or — for a window not heard from since — when it was
last seen. Calls are attempts with an outcome; contacts those whose code the project's
disposition table marks as a contact; refusals those of AAPOR class ``R`` (refusals, 2.11x,
and break-offs, 2.12); the refusal rate is refusals over contacts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from cati.calling.hours import SLOTS, slot_of_time
from cati.errors import CatiError, NotFound
from cati.reporting.export import AtomicOutput
from cati.services.clock import utc_now
from cati.services.presence import OFFLINE_AFTER
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import (
    CallAttempt,
    Disposition,
    Interview,
    Presence,
    PresenceLog,
    Project,
    User,
)

WORKING_STATES = ("ready", "paused", "call", "interviewing")
_SHIFT_BOUNDS = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}
MAX_DAYS = 92


@dataclass(frozen=True, slots=True)
class ProductivityRow:
    day: dt.date
    shift: str  # morning | afternoon | evening
    interviewer: str  # display name
    username: str
    hours: float  # logged: ready, paused, on a call or interviewing
    seconds: dict[str, float] = field(default_factory=dict)  # per state; "paused:break" …
    calls: int = 0
    contacts: int = 0
    completes: int = 0
    refusals: int = 0

    @property
    def completes_per_hour(self) -> float | None:
        return round(self.completes / self.hours, 2) if self.hours > 0 else None

    @property
    def refusal_rate(self) -> float | None:
        return round(self.refusals / self.contacts, 3) if self.contacts else None


def productivity(database: Database, project_id: int, first_day: dt.date, last_day: dt.date,
                 *, user_id: int | None = None,
                 now: dt.datetime | None = None) -> list[ProductivityRow]:
    """The rows of each interviewer with time or calls on the project, day by day and shift by
    shift, from ``first_day`` to ``last_day`` (local days, both included). Supervisors and admins
    only (``user_id``; None: the command line)."""
    if last_day < first_day:
        raise CatiError("the last day is before the first (结束日期早于开始日期)")
    if (last_day - first_day).days >= MAX_DAYS:
        raise CatiError(f"at most {MAX_DAYS} days at a time (一次最多 {MAX_DAYS} 天)")
    now = now or utc_now()
    with database.unit(immediate=False) as session:
        if user_id is not None:
            require_supervisor(session, user_id, "read the productivity history")
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}")
        zone = ZoneInfo((project.settings or {}).get("time_zone", "Asia/Shanghai"))
        start = dt.datetime.combine(first_day, dt.time(0), zone)
        end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), zone)
        names = {uid: (display or username, username) for uid, username, display in
                 session.execute(select(User.id, User.username, User.display_name))}
        seen = dict(session.execute(select(Presence.workstation, Presence.seen_at)).all())
        logs = session.execute(
            select(PresenceLog.user_id, PresenceLog.workstation, PresenceLog.state,
                   PresenceLog.reason, PresenceLog.started_at, PresenceLog.ended_at)
            .where(PresenceLog.project_id == project_id, PresenceLog.started_at < end,
                   or_(PresenceLog.ended_at.is_(None), PresenceLog.ended_at > start))).all()
        contact = {code for code, is_contact in session.execute(
            select(Disposition.code, Disposition.contact)
            .where(Disposition.project_id == project_id)) if is_contact}
        refusal = {code for code, aapor in session.execute(
            select(Disposition.code, Disposition.aapor_class)
            .where(Disposition.project_id == project_id)) if aapor == "R"}
        attempts = session.execute(
            select(CallAttempt.interviewer_id, CallAttempt.started_at, CallAttempt.disposition)
            .where(CallAttempt.project_id == project_id, CallAttempt.started_at >= start,
                   CallAttempt.started_at < end, CallAttempt.disposition.is_not(None),
                   CallAttempt.interviewer_id.is_not(None))).all()
        # A complete counts in the shift its interview began, as its call and contact do (an
        # interview that ran past the end of a shift made more completes than contacts there).
        completes = session.execute(
            select(Interview.interviewer_id, Interview.started_at)
            .where(and_(Interview.project_id == project_id, Interview.state == "complete",
                        Interview.started_at >= start, Interview.started_at < end,
                        Interview.interviewer_id.is_not(None)))).all()
    cells: dict[tuple[dt.date, str, int], dict] = defaultdict(
        lambda: {"seconds": defaultdict(float), "calls": 0, "contacts": 0, "completes": 0,
                 "refusals": 0})
    for uid, workstation, state, reason, began, ended in logs:
        if state not in WORKING_STATES:
            continue
        if ended is None:
            last = seen.get(workstation)
            ended = now if last is None or now - last <= OFFLINE_AFTER else last + OFFLINE_AFTER
        key = f"{state}:{reason}" if state == "paused" and reason else state
        for day, shift, seconds in _split(max(began, start), min(ended, end), zone):
            cells[(day, shift, uid)]["seconds"][key] += seconds
    for uid, started, code in attempts:
        local = started.astimezone(zone)
        cell = cells[(local.date(), slot_of_time(local.time()), uid)]
        cell["calls"] += 1
        cell["contacts"] += code in contact
        cell["refusals"] += code in refusal
    for uid, began in completes:
        local = began.astimezone(zone)
        cells[(local.date(), slot_of_time(local.time()), uid)]["completes"] += 1
    rows = []
    for (day, shift, uid), cell in cells.items():
        name, username = names.get(uid, (str(uid), str(uid)))
        seconds = dict(cell["seconds"])
        rows.append(ProductivityRow(day, shift, name, username,
                                    round(sum(seconds.values()) / 3600, 2), seconds,
                                    cell["calls"], cell["contacts"], cell["completes"],
                                    cell["refusals"]))
    return sorted(rows, key=lambda r: (r.day, SLOTS.index(r.shift), r.username))


def _split(began: dt.datetime, ended: dt.datetime, zone: ZoneInfo):
    """(local day, shift, seconds) of the span [began, ended) cut at the shifts' bounds."""
    if ended <= began:
        return
    local = began.astimezone(zone)
    day = local.date()
    while True:
        for shift in SLOTS:
            low, high = _SHIFT_BOUNDS[shift]
            lo = dt.datetime.combine(day, dt.time(low), zone)
            hi = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone) \
                if high == 24 else dt.datetime.combine(day, dt.time(high), zone)
            overlap = (min(ended, hi) - max(began, lo)).total_seconds()
            if overlap > 0:
                yield day, shift, overlap
        day += dt.timedelta(days=1)
        if dt.datetime.combine(day, dt.time(0), zone) >= ended:
            return


STATE_COLUMNS = (("ready", "就绪"), ("call", "通话"), ("interviewing", "访问中"),
                 ("paused", "暂停"))


def write_productivity_xlsx(path: str | Path, rows: list[ProductivityRow]) -> Path:
    """The rows as a workbook (one sheet, a header row, minutes per state)."""
    from openpyxl import Workbook  # heavy: only when a workbook is written

    path = Path(path)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("绩效 productivity")
    sheet.append(["日期 day", "班次 shift", "访问员 interviewer", "在线小时 hours",
                  *[f"{zh} 分钟 {en} min" for en, zh in STATE_COLUMNS],
                  "拨打 calls", "接通 contacts", "完成 completes", "每小时完成 completes/h",
                  "拒访 refusals", "拒访率 refusal rate"])
    for row in rows:
        paused = sum(v for k, v in row.seconds.items() if k.startswith("paused"))
        minutes = [round((paused if en == "paused" else row.seconds.get(en, 0)) / 60, 1)
                   for en, _ in STATE_COLUMNS]
        sheet.append([row.day.isoformat(), row.shift, row.interviewer, row.hours, *minutes,
                      row.calls, row.contacts, row.completes, row.completes_per_hour,
                      row.refusals, row.refusal_rate])
    output = AtomicOutput(path)
    try:
        book.save(output.create())
        output.commit()
    finally:
        output.discard()
    return path

"""What the interviewer's window needs from the store, as plain dataclasses.

The call screen shows one claimed case: the number formatted for reading, region and carrier,
stratum, the respondent's time zone (the window shows the local time live), the attempt history
with notes, any open appointment and who booked it, and the project's outcome buttons.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import secrets
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cati.calling.hours import is_within_calling_hours, next_calling_time
from cati.calling.queue import DEFAULT_LEASE, case_phone, claim_next_case
from cati.config import user_data_dir
from cati.errors import NotFound
from cati.questionnaire.engine import case_values
from cati.sample.phones import format_for_reading
from cati.services.admin import project_calling_hours
from cati.services.clock import utc_now
from cati.services.users import require_active
from cati.storage.db import Database
from cati.storage.models import (
    OPEN_APPOINTMENT_SQL,
    Appointment,
    CallAttempt,
    Case,
    Disposition,
    Interview,
    Project,
    User,
)

# Codes the call screen never offers as buttons: the interview sets them (complete, partial,
# break-off, screen-outs) or the rules do (attempt caps).
INTERVIEW_OR_RULE_CODES = frozenset({"1.1", "1.2", "2.12", "4.70", "4.80", "2.30", "3.90"})


@dataclass(frozen=True, slots=True)
class DispositionButton:
    code: str
    label_zh: str
    label_en: str
    shortcut: str  # a Qt key sequence such as "F4", or ""
    final: bool
    contact: bool


@dataclass(frozen=True, slots=True)
class AttemptLine:
    started_at: dt.datetime  # UTC, aware
    interviewer: str  # display name, "" when unknown
    disposition: str | None  # None: an appointment was booked on this attempt
    label_zh: str
    label_en: str
    note: str


@dataclass(frozen=True, slots=True)
class AppointmentLine:
    id: int
    window_start: dt.datetime  # UTC, aware
    window_end: dt.datetime  # UTC, aware
    hard: bool
    booked_by: str  # display name
    interviewer: str  # display name of the interviewer a hard appointment is reserved for
    note: str


@dataclass(frozen=True, slots=True)
class CallInfo:
    case_id: int
    project_id: int
    phone_e164: str
    phone_display: str  # grouped for reading aloud, e.g. "138 0013 8000"
    tel_uri: str  # "tel:+8613800138000", for the desktop's softphone
    region: str
    carrier: str
    stratum: str
    time_zone: str  # IANA name; the window shows the respondent's local time from it
    state: str  # fresh | scheduled | resume | appointment
    attempts: int
    history: tuple[AttemptLine, ...]
    appointment: AppointmentLine | None
    lease_expires_at: dt.datetime
    interview_id: int | None  # an open interview of this case, to resume
    resume_at: str | None  # the question it stopped at
    # The case's attributes as text (cati.questionnaire.engine.case_values): what the form's
    # cati::case_data rows read; a follow-up case's complaint, unit and reply among them.
    case_data: Mapping[str, str] = field(default_factory=dict)


def workstation_base() -> str:
    """What a window's identity starts with: ``CATI_WORKSTATION`` when set, else host:account."""
    configured = os.environ.get("CATI_WORKSTATION", "").strip()
    if configured:
        return configured
    return f"{socket.gethostname()}:{_account()}"


def _account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "user"


def workstation_name() -> str:
    """A new identity for one running window (see WindowIdentity), never held by another."""
    return f"{workstation_base()[:119]}:{secrets.token_hex(4)}"


SECOND_WINDOW_NOTE = (
    "此账号已在本机另一窗口登录：本窗口领取自己的号码，另一窗口继续持有它的号码；两个窗口不能处理"
    "同一个号码。 This account is already signed in in another window on this computer: this "
    "window gets its own numbers, the other window keeps the one it holds; neither can work on "
    "the other's.")


class WindowIdentity:
    """The lease holder's name of one running window, unique while the window runs.

    A name made from the host and the account alone was shared by two windows of one account on
    one machine, and by cloned PCs with the same host name: the second took back the first's
    case and both wrote into one interview. So each window has its own name,
    ``<host>:<account>:<8 hex>`` (``CATI_WORKSTATION`` replaces host:account). The names live
    in files in the user data folder (``windows/``), each locked by the running window that
    holds it (``fcntl.flock``; ``msvcrt.locking`` on Windows); the operating system drops the
    lock when the process ends, however it ends. A new window adopts the name of a file nobody
    holds whose window ran on this machine (same base name and hardware address): the window
    that crashed or was killed, whose case the new window then takes back (the queue's take-back
    of a held case); else it makes a new name. A file copied with a cloned disk names another
    hardware address and is not adopted. ``others`` counts the windows of the same base name
    running now: the window tells its user, plainly, what that means (SECOND_WINDOW_NOTE).
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or user_data_dir() / "windows"
        self.base = workstation_base()
        self._node = f"{uuid.getnode():012x}"
        self._file = None
        self.name, self.adopted, self.others = self._take()

    @property
    def note(self) -> str:
        """What the window shows its user about other windows of the account ("" if none)."""
        return SECOND_WINDOW_NOTE if self.others else ""

    def _take(self) -> tuple[str, bool, int]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            mine = self._known()
        except OSError:
            return workstation_name(), False, 0  # no folder to keep names in: a new one
        others, adopted = 0, None
        for path, name in mine:
            handle = _lock(path)
            if handle is None:
                others += 1
            elif adopted is None:
                adopted, self._file = name, handle
                os.utime(path)
            else:
                handle.close()
        if adopted is not None:
            return adopted, True, others
        for _ in range(8):
            name = workstation_name()
            path = self.folder / f"{name.rsplit(':', 1)[1]}.window"
            try:
                with open(path, "x", encoding="utf-8") as new:
                    json.dump({"name": name, "base": self.base, "node": self._node}, new)
            except FileExistsError:
                continue
            except OSError:
                return name, False, others
            handle = _lock(path)
            if handle is not None:
                self._file = handle
                return name, False, others
        return workstation_name(), False, others

    def _known(self) -> list[tuple[Path, str]]:
        """This machine's names of this base, the most recently used first."""
        found = []
        for path in self.folder.glob("*.window"):
            try:
                facts = json.loads(path.read_text(encoding="utf-8"))
                stamp = path.stat().st_mtime
            except (OSError, ValueError):
                continue
            if (isinstance(facts, dict) and facts.get("base") == self.base
                    and facts.get("node") == self._node and isinstance(facts.get("name"), str)):
                found.append((stamp, path, facts["name"]))
        return [(path, name) for _, path, name in sorted(found, reverse=True)]

    def release(self) -> None:
        """Let the name go (the window closes; a crash lets it go the same way)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _lock(path: Path):
    """The file opened and locked for this window, or None when another running window holds
    it (or it cannot be opened)."""
    try:
        handle = open(path, "rb+")  # noqa: SIM115  (held open while the window runs)
    except OSError:
        return None
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        handle.close()
        return None
    return handle


def next_call(database: Database, project_id: int, interviewer_id: int, workstation: str, *,
              take_back: bool = False, now: dt.datetime | None = None,
              lease: dt.timedelta = DEFAULT_LEASE) -> CallInfo | None:
    """Claim the next case for this interviewer and read what the call screen shows (the
    phone number of the claimed case only: an interviewer sees no other). An unknown or
    inactive account claims nothing (PermissionDenied)."""
    now = now or utc_now()
    with database.unit(immediate=False) as session:
        require_active(session, interviewer_id)
    claimed = claim_next_case(database, project_id, workstation, interviewer_id=interviewer_id,
                              now=now, lease=lease, take_back=take_back)
    if claimed is None:
        return None
    with database.unit(immediate=False) as session:
        return call_info(session, claimed.case_id, claimed.lease_expires_at)


def call_info(session: Session, case_id: int, lease_expires_at: dt.datetime) -> CallInfo:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    labels = {code: (zh, en) for code, zh, en in session.execute(
        select(Disposition.code, Disposition.label_zh, Disposition.label_en)
        .where(Disposition.project_id == case.project_id))}
    names = _names(session)
    history = tuple(
        AttemptLine(started, names.get(user_id, ""), code,
                    *(labels.get(code, ("约访", "Appointment")) if code is not None
                      else ("约访", "Appointment")), note)
        for started, user_id, code, note in session.execute(
            select(CallAttempt.started_at, CallAttempt.interviewer_id, CallAttempt.disposition,
                   CallAttempt.note)
            .where(CallAttempt.case_id == case_id)
            .order_by(CallAttempt.started_at, CallAttempt.id)))
    appointment = session.scalar(
        select(Appointment).where(Appointment.case_id == case_id, text(OPEN_APPOINTMENT_SQL))
        .order_by(Appointment.window_start.desc()).limit(1))
    shown = None if appointment is None else AppointmentLine(
        appointment.id, appointment.window_start, appointment.window_end, appointment.hard,
        names.get(appointment.booked_by, ""), names.get(appointment.interviewer_id, ""),
        appointment.note)
    interview = session.execute(
        select(Interview.id, Interview.current_item)
        .where(Interview.case_id == case_id, Interview.state == "in_progress")
        .order_by(Interview.id).limit(1)).first()
    phone = case_phone(session, case_id)
    return CallInfo(
        case_id=case.id, project_id=case.project_id, phone_e164=phone,
        phone_display=_readable(phone), tel_uri=f"tel:{phone}",
        region=case.region, carrier=case.carrier, stratum=case.stratum,
        time_zone=case.time_zone or "Asia/Shanghai", state=case.state, attempts=case.attempts,
        history=history, appointment=shown, lease_expires_at=lease_expires_at,
        interview_id=None if interview is None else interview[0],
        resume_at=None if interview is None else interview[1],
        case_data=case_values(case.attributes))


def _names(session: Session) -> dict[int | None, str]:
    return {user_id: (display or username) for user_id, username, display in session.execute(
        select(User.id, User.username, User.display_name))}


def _readable(e164: str) -> str:
    try:
        return format_for_reading(e164)
    except Exception:  # a number the metadata cannot parse is shown as stored
        return e164


@dataclass(frozen=True, slots=True)
class NoCallReason:
    """Why a claim found nothing, for the Ready page (and when calls start again)."""

    reason: str  # paused | closed | outside_hours | none_due | none_left | all_busy
    next_at: dt.datetime | None  # UTC: calling hours open again, or the next case falls due
    time_zone: str | None  # the respondents' zone next_at is shown in


def why_no_call(database: Database, project_id: int, *,
                now: dt.datetime | None = None) -> NoCallReason:
    """Why the queue hands out nothing now: the project paused or closed; every open number's
    zone outside calling hours (and when the first window opens); nothing due yet (and when the
    next falls due); nothing left; or everything callable held by other workstations or
    stopped by full quotas."""
    now = now or utc_now()
    with database.unit(immediate=False) as session:
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}")
        if project.status != "active":
            return NoCallReason("closed" if project.status == "closed" else "paused", None, None)
        hours = project_calling_hours(project.settings or {})
        zones = sorted(z for z in session.scalars(
            select(Case.time_zone).where(Case.project_id == project_id, Case.state != "closed")
            .distinct()) if z)
        if not zones:
            return NoCallReason("none_left", None, None)
        open_zones = [z for z in zones if is_within_calling_hours(now, z, hours)]
        if not open_zones:
            at, tz = min((next_calling_time(now, z, hours), z) for z in zones)
            return NoCallReason("outside_hours", at, tz)
        due = session.execute(
            select(Case.next_call_at, Case.time_zone)
            .where(Case.project_id == project_id, Case.state != "closed",
                   Case.time_zone.in_(open_zones), Case.next_call_at > now)
            .order_by(Case.next_call_at).limit(1)).first()
        due_now = session.scalar(
            select(Case.id).where(Case.project_id == project_id, Case.state != "closed",
                                  Case.time_zone.in_(open_zones),
                                  (Case.next_call_at.is_(None)) | (Case.next_call_at <= now))
            .limit(1))
        if due_now is None and due is not None:
            return NoCallReason("none_due", due[0], due[1])
        return NoCallReason("all_busy", None, None)


@dataclass(frozen=True, slots=True)
class MyDay:
    """The interviewer's own figures since midnight (the project's zone, Beijing by default)."""

    calls: int  # call attempts with an outcome
    contacts: int  # of them, reached a person (the disposition table's contact codes)
    completes: int
    interview_minutes: float  # the completed interviews' length, summed


def my_day(database: Database, project_id: int, interviewer_id: int, *,
           now: dt.datetime | None = None) -> MyDay:
    """Today's calls, contacts, completes and interview time of one interviewer on a project
    (an interviewer reads only their own: the figures are their own attempts and interviews)."""
    from zoneinfo import ZoneInfo

    now = now or utc_now()
    with database.unit(immediate=False) as session:
        require_active(session, interviewer_id)
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}")
        zone = ZoneInfo((project.settings or {}).get("time_zone", "Asia/Shanghai"))
        midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        contact = set(session.scalars(select(Disposition.code).where(
            Disposition.project_id == project_id, Disposition.contact.is_(True))))
        codes = session.scalars(select(CallAttempt.disposition).where(
            CallAttempt.project_id == project_id, CallAttempt.interviewer_id == interviewer_id,
            CallAttempt.started_at >= midnight, CallAttempt.disposition.is_not(None))).all()
        lengths = session.execute(select(Interview.started_at, Interview.ended_at).where(
            Interview.project_id == project_id, Interview.interviewer_id == interviewer_id,
            Interview.state == "complete", Interview.ended_at >= midnight)).all()
    minutes = sum((end - start).total_seconds() for start, end in lengths if start and end) / 60
    return MyDay(len(codes), sum(code in contact for code in codes), len(lengths),
                 round(minutes, 1))

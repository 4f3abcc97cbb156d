"""The supervisor console's "project and people": accounts, project settings and quotas.

Every operation is one unit of work. It first reads the acting user's role from the database
(never from what the window believes) and raises PermissionDenied when the role does not allow
it; every change is written to the audit log with the acting user's id, in the same
transaction. Reads are not audited; an operation that changes nothing (pausing a paused
project) writes no audit entry.

- Accounts (admin only): list, add, deactivate / reactivate, reset a password, change the
  role. The last active admin can be neither deactivated nor demoted.
- Project settings (supervisor or admin): pause / resume; calling hours per weekday and the
  attempt caps, stored in ``Project.settings``::

      "calling_hours": {"mon": [["09:00", "12:00"], ["14:00", "21:00"]], ..., "sun": [...]},
      "max_attempts": 6, "max_attempts_per_day": 3

  A window is ``[start, end)`` in the respondent's local time; an end of "24:00" (or 00:00
  given as a time) is midnight. A day that is absent from a stored "calling_hours" gets the
  default windows; a day with ``[]`` has no calls. :func:`project_calling_hours` builds the
  :class:`~cati.calling.hours.CallingHours` the queue and the rules take.
- Quotas (supervisor or admin): list, set, remove, and the strata of the sample.

:class:`AdminService` binds the functions to one database for the desktop app.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.calling import project_cache
from cati.calling.hours import DEFAULT_WINDOWS, CallingHours
from cati.errors import CatiError, NotFound, PermissionDenied
from cati.services import users
from cati.services.clock import utc_now
from cati.services.projects import checked_centre_name
from cati.services.quotas import QuotaCell, all_cells, remove_cell_in, set_cell_in
from cati.services.users import ROLES, UserInfo
from cati.storage.db import Database
from cati.storage.models import AuditEntry, Case, Project, Quota, User

ADMIN = "admin"
SUPERVISOR = "supervisor"
PROJECT_ROLES = (SUPERVISOR, ADMIN)
ACTIVE, PAUSED, CLOSED = "active", "paused", "closed"

DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_MAX_ATTEMPTS_PER_DAY = 3
MAX_CAP = 99
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = (("Monday", "周一"), ("Tuesday", "周二"), ("Wednesday", "周三"),
                 ("Thursday", "周四"), ("Friday", "周五"), ("Saturday", "周六"),
                 ("Sunday", "周日"))
_MIDNIGHT = dt.time(0)
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")

Window = tuple[dt.time, dt.time]
WindowInput = Sequence[Any]  # (start, end): dt.time or "HH:MM"


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    """What the settings panel shows: the state, the calling hours and the attempt caps."""

    project_id: int
    code: str
    name: str
    status: str  # active | paused | closed
    calling_hours: CallingHours
    max_attempts: int
    max_attempts_per_day: int

    @property
    def paused(self) -> bool:
        return self.status == PAUSED


# -- who may do what -------------------------------------------------------------------------


def _actor(session: Session, user_id: int, roles: Sequence[str], what: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in roles:
        raise PermissionDenied(what)
    return user


def _require_admin(session: Session, user_id: int) -> User:
    return _actor(session, user_id, (ADMIN,),
                  "only an admin can manage users (仅管理员可以管理用户)")


def _require_project_role(session: Session, user_id: int, what: str) -> User:
    return _actor(session, user_id, PROJECT_ROLES,
                  f"only a supervisor or an admin can {what} (仅督导或管理员可以操作)")


def _audit(session: Session, actor: User, action: str, **details: Any) -> None:
    session.add(AuditEntry(user_id=actor.id, at=utc_now(), action=action, details=details))


# -- accounts (admin only) -------------------------------------------------------------------


def list_users(database: Database, acting_user_id: int) -> list[UserInfo]:
    with database.unit(immediate=False) as session:
        _require_admin(session, acting_user_id)
        return users.list_users(session)


def add_user(database: Database, acting_user_id: int, username: str, password: str, role: str,
             display_name: str = "") -> UserInfo:
    with database.unit() as session:
        actor = _require_admin(session, acting_user_id)
        info = users.add_user(session, username, password, role, display_name)
        users.audit_user_added(session, info, actor.id)
        return info


def deactivate_user(database: Database, acting_user_id: int, user_id: int) -> UserInfo:
    """The account can no longer log in (its history stays)."""
    return _set_active(database, acting_user_id, user_id, False)


def reactivate_user(database: Database, acting_user_id: int, user_id: int) -> UserInfo:
    return _set_active(database, acting_user_id, user_id, True)


def _set_active(database: Database, acting_user_id: int, user_id: int,
                active: bool) -> UserInfo:
    with database.unit() as session:
        actor = _require_admin(session, acting_user_id)
        target = _user(session, user_id)
        if target.active == active:
            return _user_info(target)
        if not active and target.role == ADMIN:
            _keep_an_admin(session, database, target)
        users.set_account(session, target, active=active)
        _audit(session, actor, "user_reactivated" if active else "user_deactivated",
               user_id=target.id, username=target.username)
        session.flush()
        return _user_info(target)


def reset_password(database: Database, acting_user_id: int, user_id: int,
                   new_password: str) -> UserInfo:
    """A new password (argon2id on SQLite, the login's SCRAM verifier on PostgreSQL); the audit
    log records who reset it, never the password. Every session of the account must log in
    again (users.check_session)."""
    with database.unit() as session:
        actor = _require_admin(session, acting_user_id)
        target = _user(session, user_id)
        users.check_new_password(new_password, target.username)
        users.set_account(session, target, password=new_password)
        _audit(session, actor, "password_reset", user_id=target.id, username=target.username)
        session.flush()
        return _user_info(target)


def change_role(database: Database, acting_user_id: int, user_id: int, role: str) -> UserInfo:
    if role not in ROLES:
        raise CatiError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    with database.unit() as session:
        actor = _require_admin(session, acting_user_id)
        target = _user(session, user_id)
        if target.role == role:
            return _user_info(target)
        if target.role == ADMIN and target.active:
            _keep_an_admin(session, database, target)
        old = target.role
        users.set_account(session, target, role=role)
        _audit(session, actor, "role_changed", user_id=target.id, username=target.username,
               old_role=old, new_role=role)
        session.flush()
        return _user_info(target)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def _user_info(user: User) -> UserInfo:
    return UserInfo(user.id, user.username, user.display_name, user.role, user.active)


def _keep_an_admin(session: Session, database: Database, leaving: User) -> None:
    """Refuse when ``leaving`` is the last active admin. On PostgreSQL the active admins' rows
    are locked in id order, so two admins demoting each other at once cannot both pass."""
    query = (select(User.id).where(User.role == ADMIN, User.active.is_(True))
             .order_by(User.id))
    if not database.is_sqlite:  # SQLite: the unit already holds the write lock
        query = query.with_for_update()
    admins = set(session.scalars(query))
    if not admins - {leaving.id}:
        raise CatiError(f"'{leaving.username}' is the last active admin: make another user "
                        "admin first (至少要保留一个在用的管理员)")


# -- project settings (supervisor or admin) --------------------------------------------------


def project_settings(database: Database, acting_user_id: int,
                     project_id: int) -> ProjectSettings:
    with database.unit(immediate=False) as session:
        _require_project_role(session, acting_user_id, "see project settings")
        return _settings_of(_project(session, project_id))


def pause_project(database: Database, acting_user_id: int, project_id: int) -> ProjectSettings:
    """No case of the project is served until it is resumed (calls in progress finish)."""
    return _set_status(database, acting_user_id, project_id, PAUSED)


def resume_project(database: Database, acting_user_id: int, project_id: int) -> ProjectSettings:
    return _set_status(database, acting_user_id, project_id, ACTIVE)


def _set_status(database: Database, acting_user_id: int, project_id: int,
                status: str) -> ProjectSettings:
    with database.unit() as session:
        actor = _require_project_role(session, acting_user_id, "pause or resume a project")
        project = _project(session, project_id)
        if project.status == CLOSED:
            raise CatiError(f"project '{project.code}' is closed: it cannot be paused or "
                            "resumed (项目已结束)")
        if project.status != status:
            _audit(session, actor, "project_resumed" if status == ACTIVE else "project_paused",
                   project_id=project.id, code=project.code, old_status=project.status)
            project.status = status
            session.flush()
            project_cache.forget(database.url)
        return _settings_of(project)


def update_project_settings(
        database: Database, acting_user_id: int, project_id: int, *,
        calling_hours: CallingHours | Sequence[Sequence[WindowInput]] | None = None,
        max_attempts: int | None = None,
        max_attempts_per_day: int | None = None,
        centre_name: str | None = None) -> ProjectSettings:
    """Change any of the calling hours (7 weekdays, Monday first, each a list of (start, end)
    windows), the maximum attempts, the attempts per local day and the name of the centre the
    introduction names. All is checked before anything is written; a mistake raises CatiError
    with one line."""
    changes: dict[str, Any] = {}
    if centre_name is not None:
        changes["centre_name"] = checked_centre_name(centre_name)
    if calling_hours is not None:
        changes["calling_hours"] = calling_hours_json(calling_hours)
    if max_attempts is not None:
        changes["max_attempts"] = _cap(max_attempts, "maximum attempts", "最大拨打次数")
    if max_attempts_per_day is not None:
        changes["max_attempts_per_day"] = _cap(max_attempts_per_day, "attempts per day",
                                               "每日拨打次数")
    with database.unit() as session:
        actor = _require_project_role(session, acting_user_id, "change project settings")
        project = _project(session, project_id)
        old = dict(project.settings or {})
        changed = {key: value for key, value in changes.items() if old.get(key) != value}
        if changed:
            project.settings = {**old, **changed}  # a new dict, so the JSON column is written
            _audit(session, actor, "project_settings_changed", project_id=project.id,
                   code=project.code, old={key: old.get(key) for key in changed}, new=changed)
            session.flush()
        project_cache.forget(database.url)
        return _settings_of(project)


def project_calling_hours(settings: Mapping[str, Any] | None) -> CallingHours:
    """The CallingHours of a project from its stored settings (the defaults, 09:00–12:00 and
    14:00–21:00 every day, when none are stored). Raises CatiError on a stored mistake."""
    stored = (settings or {}).get("calling_hours")
    if stored is None:
        return CallingHours()
    if isinstance(stored, Mapping):
        unknown = sorted(set(stored) - set(WEEKDAY_KEYS))
        if unknown:
            raise CatiError(f"calling hours: unknown weekday {unknown[0]!r} "
                            f"(use {', '.join(WEEKDAY_KEYS)})")
        days = [stored.get(key, [list(w) for w in DEFAULT_WINDOWS]) for key in WEEKDAY_KEYS]
    elif isinstance(stored, Sequence) and not isinstance(stored, str):
        days = stored
    else:
        raise CatiError(f"calling hours: {stored!r} is not a table of weekdays")
    return _calling_hours(days)


def calling_hours_json(hours: CallingHours | Sequence[Sequence[WindowInput]]
                       ) -> dict[str, list[list[str]]]:
    """Checked calling hours as stored in Project.settings["calling_hours"]."""
    checked = hours if isinstance(hours, CallingHours) else _calling_hours(hours)
    return {key: [[_hhmm(start), _hhmm(end, end=True)] for start, end in windows]
            for key, windows in zip(WEEKDAY_KEYS, checked.days, strict=True)}


def retry_limits(settings: Mapping[str, Any] | None) -> tuple[int, int]:
    """(max attempts, max attempts per local day) from the stored settings, or the defaults."""
    settings = settings or {}
    return (int(settings.get("max_attempts", DEFAULT_MAX_ATTEMPTS)),
            int(settings.get("max_attempts_per_day", DEFAULT_MAX_ATTEMPTS_PER_DAY)))


def _calling_hours(days: Sequence[Sequence[WindowInput]]) -> CallingHours:
    if isinstance(days, (str, bytes)) or not isinstance(days, Sequence) or len(days) != 7:
        count = len(days) if isinstance(days, Sequence) else repr(days)
        raise CatiError(f"calling hours need 7 weekdays, Monday to Sunday, not {count} "
                        "(需要周一至周日 7 天)")
    checked: list[tuple[Window, ...]] = []
    for index, windows in enumerate(days):
        english, chinese = WEEKDAY_NAMES[index]
        where = f"calling hours, {english} ({chinese})"
        parsed: list[Window] = []
        if isinstance(windows, (str, bytes)) or not isinstance(windows, Sequence):
            raise CatiError(f"{where}: {windows!r} is not a list of (start, end) windows")
        for window in windows:
            if isinstance(window, (str, bytes)) or not isinstance(window, Sequence) \
                    or len(window) != 2:
                raise CatiError(f"{where}: {window!r} is not a (start, end) pair")
            start, end = _time(window[0], where), _time(window[1], where, end=True)
            if end != _MIDNIGHT and end <= start:
                raise CatiError(f"{where}: {_hhmm(start)}–{_hhmm(end, end=True)} does not end "
                                "after it starts (结束时间须晚于开始时间)")
            parsed.append((start, end))
        parsed.sort(key=lambda w: w[0])
        for (a_start, a_end), (b_start, b_end) in itertools.pairwise(parsed):
            if a_end == _MIDNIGHT or b_start < a_end:
                raise CatiError(f"{where}: {_hhmm(a_start)}–{_hhmm(a_end, end=True)} and "
                                f"{_hhmm(b_start)}–{_hhmm(b_end, end=True)} overlap (时段重叠)")
        checked.append(tuple(parsed))
    if not any(checked):
        raise CatiError("calling hours: no window on any day (每周至少需要一个呼叫时段)")
    return CallingHours(tuple(checked))


def _time(value: Any, where: str, *, end: bool = False) -> dt.time:
    if isinstance(value, dt.time):
        if value.second or value.microsecond or value.tzinfo is not None:
            raise CatiError(f"{where}: {value} is not a whole minute like 09:00")
        return value
    match = _TIME.match(value) if isinstance(value, str) else None
    if match:
        hour, minute = int(match[1]), int(match[2])
        if end and (hour, minute) == (24, 0):
            return _MIDNIGHT
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    raise CatiError(f"{where}: {value!r} is not a time like 09:00 (时间格式应为 09:00)")


def _hhmm(value: dt.time, *, end: bool = False) -> str:
    return "24:00" if end and value == _MIDNIGHT else value.strftime("%H:%M")


def _cap(value: Any, english: str, chinese: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAP:
        raise CatiError(f"{english} must be a whole number from 1 to {MAX_CAP}, not {value!r} "
                        f"({chinese}须为 1–{MAX_CAP})")
    return value


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"no project {project_id}")
    return project


def _settings_of(project: Project) -> ProjectSettings:
    settings = project.settings or {}
    max_attempts, per_day = retry_limits(settings)
    return ProjectSettings(project.id, project.code, project.name, project.status,
                           project_calling_hours(settings), max_attempts, per_day)


# -- quotas (supervisor or admin) ------------------------------------------------------------


def list_quotas(database: Database, acting_user_id: int, project_id: int) -> list[QuotaCell]:
    """Stratum quotas, then cells with a condition (cati.services.quotas), each by name."""
    with database.unit(immediate=False) as session:
        _require_project_role(session, acting_user_id, "see quotas")
        _project(session, project_id)
        return all_cells(session, project_id)


def set_quota(database: Database, acting_user_id: int, project_id: int, stratum: str,
              target: int, condition: str | None = None) -> QuotaCell:
    """Set (or replace) the target of one stratum, or of one cell with a ``condition``. The
    claim reads the quotas at every claim, so a stratum whose completes reach the new target is
    no longer served from the next one."""
    return set_quotas(database, acting_user_id, project_id, [(stratum, target, condition)])[0]


def set_quotas(database: Database, acting_user_id: int | None, project_id: int,
               cells: Sequence[tuple]) -> list[QuotaCell]:
    """Set several quotas at once (pasted, or read from a file): all or none. Each is
    (stratum, target) or (name, target, condition); a condition is checked against the
    project's questionnaire and sample (cati.services.quotas.check_condition).
    ``acting_user_id`` None: the command line (``cati quota load``), audited with its arguments
    by cati.cli like every command that changes the calling set-up."""
    checked = [_checked_quota(*cell) for cell in cells]
    if not checked:
        raise CatiError("no quota given (未提供配额)")
    project_cache.forget(database.url)
    with database.unit() as session:
        actor = (None if acting_user_id is None
                 else _require_project_role(session, acting_user_id, "set quotas"))
        _project(session, project_id)
        for name, target, condition in checked:
            old_target, old_condition, new_condition = set_cell_in(session, project_id, name,
                                                                   target, condition)
            if actor is not None and (old_target != target or old_condition != new_condition):
                details = {"project_id": project_id, "stratum": name,
                           "old_target": old_target, "new_target": target}
                if old_condition or new_condition:
                    details.update(old_condition=old_condition, new_condition=new_condition)
                _audit(session, actor, "quota_set", **details)
        session.flush()
        now_cells = {cell.stratum: cell for cell in all_cells(session, project_id)}
        return [now_cells[name] for name, _, _ in checked]


def _checked_quota(stratum: str, target: int,
                   condition: str | None = None) -> tuple[str, int, str | None]:
    stratum = " ".join(stratum.split())
    if not stratum:
        raise CatiError("a quota needs a stratum (配额需要样本层)")
    if isinstance(target, bool) or not isinstance(target, int) or target < 0:
        raise CatiError(f"a quota target must be a whole number, 0 or more, not {target!r} "
                        "(配额目标须为 0 或以上的整数)")
    return stratum, target, (condition.strip() or None) if condition else None


QUOTA_LINE = re.compile(r"^\s*(?P<stratum>.+?)\s*[\t,，:：=\s]\s*(?P<target>[+-]?\d+)\s*$")
# name<TAB>target<TAB>condition: a cell with a condition (only tabs: a condition holds spaces)
QUOTA_CELL_LINE = re.compile(r"^\s*(?P<stratum>[^\t]+?)\s*\t\s*(?P<target>[+-]?\d+)\s*\t"
                             r"(?P<condition>.*\S.*)$")


def parse_quota_lines(text: str) -> list[tuple[str, int, str | None]]:
    """Quotas as pasted from a spreadsheet: one stratum and its target per line, separated by a
    tab, a comma, a colon or spaces (古槐街道<TAB>30), or a cell's name, target and condition
    separated by tabs (男18-34<TAB>40<TAB>${gender} = '1' and ${resp_age} < 35). Blank lines
    are skipped; a header line whose target is not a number is skipped when it is the first.
    Any other line that does not read is an error naming its line number, and nothing is set
    (conditions are checked when set, also all or none)."""
    cells, problems = [], []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        line = line.rstrip(" \t\r")  # a spreadsheet's empty trailing cells
        # Three tab-separated columns are a cell with a condition, or an error (never a
        # stratum whose name happens to hold tabs).
        found = (QUOTA_CELL_LINE.match(line) if line.count("\t") >= 2
                 else QUOTA_LINE.match(line))
        if found is None:
            if not cells and not problems:
                continue  # a header such as 乡镇  目标
            problems.append(f"line {number}: {line.strip()!r}")
            continue
        target = int(found["target"])
        if target < 0:
            problems.append(f"line {number}: {line.strip()!r} (a target is 0 or more)")
            continue
        condition = found.groupdict().get("condition")
        cells.append((found["stratum"].strip(), target,
                      condition.strip() if condition else None))
    if problems:
        raise CatiError("each line must be a stratum and a whole number, or a name, a number "
                        "and a condition separated by tabs (每行应为样本层和目标数，或以制表符分隔的"
                        "名称、目标数和条件): " + "; ".join(problems[:5])
                        + (f"; … {len(problems) - 5} more" if len(problems) > 5 else ""))
    if not cells:
        raise CatiError("no quota found in the text (未找到配额)")
    return cells


def remove_quota(database: Database, acting_user_id: int, project_id: int,
                 stratum: str) -> bool:
    """False when the stratum (or the cell) had no quota."""
    project_cache.forget(database.url)
    with database.unit() as session:
        actor = _require_project_role(session, acting_user_id, "remove quotas")
        _project(session, project_id)
        quota = session.scalar(select(Quota).where(Quota.project_id == project_id,
                                                   Quota.stratum == stratum))
        if quota is None:
            return False
        details = {"project_id": project_id, "stratum": stratum, "old_target": quota.target}
        if quota.expression:
            details["old_condition"] = quota.expression
        _audit(session, actor, "quota_removed", **details)
        remove_cell_in(session, quota)
        return True


def project_strata(database: Database, acting_user_id: int, project_id: int) -> list[str]:
    """The non-empty strata of the project's sample, for choosing a stratum to set a quota on."""
    with database.unit(immediate=False) as session:
        _require_project_role(session, acting_user_id, "see the sample")
        _project(session, project_id)
        return sorted(s for s in session.scalars(
            select(Case.stratum).where(Case.project_id == project_id).distinct()) if s)


# -- bound to one database, for the desktop app ----------------------------------------------


class AdminService:
    """The functions above on one database; the window runs each on its worker thread."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def role_of(self, user_id: int) -> str | None:
        """The user's role if the account is active, else None (what the console offers)."""
        with self.database.unit(immediate=False) as session:
            user = session.get(User, user_id)
            return user.role if user is not None and user.active else None

    def list_users(self, acting_user_id: int) -> list[UserInfo]:
        return list_users(self.database, acting_user_id)

    def add_user(self, acting_user_id: int, username: str, password: str, role: str,
                 display_name: str = "") -> UserInfo:
        return add_user(self.database, acting_user_id, username, password, role, display_name)

    def deactivate_user(self, acting_user_id: int, user_id: int) -> UserInfo:
        return deactivate_user(self.database, acting_user_id, user_id)

    def reactivate_user(self, acting_user_id: int, user_id: int) -> UserInfo:
        return reactivate_user(self.database, acting_user_id, user_id)

    def reset_password(self, acting_user_id: int, user_id: int, new_password: str) -> UserInfo:
        return reset_password(self.database, acting_user_id, user_id, new_password)

    def change_role(self, acting_user_id: int, user_id: int, role: str) -> UserInfo:
        return change_role(self.database, acting_user_id, user_id, role)

    def project_settings(self, acting_user_id: int, project_id: int) -> ProjectSettings:
        return project_settings(self.database, acting_user_id, project_id)

    def pause_project(self, acting_user_id: int, project_id: int) -> ProjectSettings:
        return pause_project(self.database, acting_user_id, project_id)

    def resume_project(self, acting_user_id: int, project_id: int) -> ProjectSettings:
        return resume_project(self.database, acting_user_id, project_id)

    def update_project_settings(self, acting_user_id: int, project_id: int,
                                **changes: Any) -> ProjectSettings:
        return update_project_settings(self.database, acting_user_id, project_id, **changes)

    def list_quotas(self, acting_user_id: int, project_id: int) -> list[QuotaCell]:
        return list_quotas(self.database, acting_user_id, project_id)

    def set_quota(self, acting_user_id: int, project_id: int, stratum: str,
                  target: int, condition: str | None = None) -> QuotaCell:
        return set_quota(self.database, acting_user_id, project_id, stratum, target,
                         condition)

    def set_quotas_from_text(self, acting_user_id: int, project_id: int,
                             text: str) -> list[QuotaCell]:
        return set_quotas(self.database, acting_user_id, project_id, parse_quota_lines(text))

    def remove_quota(self, acting_user_id: int, project_id: int, stratum: str) -> bool:
        return remove_quota(self.database, acting_user_id, project_id, stratum)

    def project_strata(self, acting_user_id: int, project_id: int) -> list[str]:
        return project_strata(self.database, acting_user_id, project_id)

"""Accounts: interviewers, supervisors and admins, with argon2 password hashes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.errors import (
    AlreadyExists,
    AuthenticationFailed,
    CatiError,
    NotFound,
    PermissionDenied,
    SessionExpired,
)
from cati.services.clock import utc_now
from cati.storage.db import Database
from cati.storage.models import AuditEntry, User

ROLES = ("interviewer", "supervisor", "admin")
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    role: str
    active: bool


def _info(user: User) -> UserInfo:
    return UserInfo(user.id, user.username, user.display_name, user.role, user.active)


def add_user(session: Session, username: str, password: str, role: str,
             display_name: str = "") -> UserInfo:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise CatiError(f"'{username}' is not a valid username (1-64 characters, no spaces)")
    if role not in ROLES:
        raise CatiError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CatiError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AlreadyExists(f"user '{username}' already exists")
    user = User(username=username, display_name=display_name or username, role=role,
                password_hash=_hasher.hash(password), active=True, created_at=utc_now())
    session.add(user)
    session.flush()
    return _info(user)


def authenticate(session: Session, username: str, password: str) -> UserInfo:
    """The user, if the password is right and the account active; else AuthenticationFailed."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active:
        _hasher.hash(password)  # same cost either way, so timing does not reveal accounts
        raise AuthenticationFailed("wrong username or password (用户名或密码错误)")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationFailed("wrong username or password (用户名或密码错误)") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return _info(user)


def list_users(session: Session) -> list[UserInfo]:
    return [_info(user) for user in session.scalars(select(User).order_by(User.username))]


# -- who may do what -------------------------------------------------------------------------

SUPERVISOR_ROLES = ("supervisor", "admin")


def require_role(session: Session, user_id: int, roles: Sequence[str], what: str) -> User:
    """The acting user, read from the database (never from what a window believes); an unknown
    or inactive account, or one whose role is not in ``roles``, raises PermissionDenied(what)."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in roles:
        raise PermissionDenied(what)
    return user


def user_id_of(database: Database, username: str) -> int:
    """The id of the account with this username (NotFound otherwise): the commands' --user.
    Spaces around the name are ignored, as at log-in."""
    with database.unit(immediate=False) as session:
        user_id = session.scalar(select(User.id).where(User.username == username.strip()))
    if user_id is None:
        raise NotFound(f"no user '{username}'")
    return user_id


def require_active(session: Session, user_id: int) -> User:
    """Any active account (interviewers claim cases and answer for themselves)."""
    return require_role(session, user_id, ROLES,
                        "this account is unknown or inactive (账户不存在或已停用)")


def require_supervisor(session: Session, user_id: int, what: str) -> User:
    return require_role(session, user_id, SUPERVISOR_ROLES,
                        f"only a supervisor or an admin can {what} (仅督导或管理员可以操作)")


# -- passwords and sessions ------------------------------------------------------------------

PASSWORD_CHANGED = "password_changed"


@dataclass(frozen=True, slots=True)
class SessionStamp:
    """What a logged-in session remembers of its account: when any of it changes, the session
    must log in again (see check_session)."""

    user_id: int
    role: str
    credentials_changed_at: dt.datetime | None


def session_stamp(session: Session, user_id: int) -> SessionStamp:
    user = session.get(User, user_id)
    if user is None:
        raise AuthenticationFailed("wrong username or password (用户名或密码错误)")
    return SessionStamp(user.id, user.role, user.credentials_changed_at)


def check_session(session: Session, stamp: SessionStamp) -> User:
    """The account of a logged-in session, still active, with the same role and the password it
    logged in with; else SessionExpired ("log in again")."""
    user = session.get(User, stamp.user_id)
    if user is None or not user.active:
        raise SessionExpired("this account was deactivated: log in again "
                             "(账户已停用，请重新登录)")
    if user.credentials_changed_at != stamp.credentials_changed_at:
        raise SessionExpired("the password was changed: log in again (密码已更改，请重新登录)")
    if user.role != stamp.role:
        raise SessionExpired("the account's role was changed: log in again "
                             "(角色已更改，请重新登录)")
    return user


def change_password(database: Database, user_id: int, old_password: str, new_password: str,
                    *, now: dt.datetime | None = None) -> SessionStamp:
    """The user's own change: the old password must be right (a wrong one is an audited failed
    login attempt of its own kind), the new one at least MIN_PASSWORD_LENGTH long and different.
    Every other session of the account must log in again; the returned stamp keeps the session
    that made the change."""
    now = now or utc_now()
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise CatiError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters "
                        f"(密码至少 {MIN_PASSWORD_LENGTH} 个字符)")
    if new_password == old_password:
        raise CatiError("the new password is the old one (新密码与旧密码相同)")
    with database.unit() as session:
        user = require_active(session, user_id)
        username = user.username
        if _verified(user.password_hash, old_password):
            user.password_hash = _hasher.hash(new_password)
            user.credentials_changed_at = now
            session.add(AuditEntry(user_id=user.id, at=now, action=PASSWORD_CHANGED,
                                   details={"username": username}))
            session.flush()
            return SessionStamp(user.id, user.role, now)
    with database.unit() as session:  # the unit above changed nothing
        session.add(AuditEntry(user_id=user_id, at=now, action=LOGIN_FAILED,
                               details={"username": username, "during": "password change"}))
    raise AuthenticationFailed("the old password is wrong (旧密码错误)")


def _verified(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Repeated failures slow down: after FREE_FAILURES wrong passwords for one username within
# FAILURE_WINDOW (since its last successful login), each further try must wait 5 s, 10 s, 20 s … (at most 5 minutes) after the
# last failure. Failures are kept in the audit log, so the wait holds across workstations and
# restarts of the app.
FREE_FAILURES = 3
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_WAIT = dt.timedelta(minutes=5)
LOGIN_FAILED = "login_failed"
LOGGED_IN = "login"


class TooManyAttempts(AuthenticationFailed):
    def __init__(self, wait: dt.timedelta) -> None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        super().__init__(f"too many wrong passwords: try again in {seconds} s "
                         f"(密码错误次数过多，请 {seconds} 秒后再试)")
        self.wait_seconds = seconds


def log_in(database: Database, username: str, password: str, *,
           now: dt.datetime | None = None) -> UserInfo:
    """authenticate(), slowed down after repeated failures; each failure is audited."""
    now = now or utc_now()
    name = username.strip()
    with database.unit(immediate=False) as session:
        recent = [(entry.at, entry.action) for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_((LOGIN_FAILED, LOGGED_IN)),
                                     AuditEntry.at >= now - FAILURE_WINDOW))
                  if (entry.details or {}).get("username") == name]
    recent.sort()
    last_success = max((at for at, action in recent if action == LOGGED_IN), default=None)
    failures = [at for at, action in recent
                if action == LOGIN_FAILED and (last_success is None or at > last_success)]
    if len(failures) >= FREE_FAILURES:
        wait = min(MAX_WAIT, dt.timedelta(seconds=5 * 2 ** (len(failures) - FREE_FAILURES)))
        remaining = failures[-1] + wait - now
        if remaining > dt.timedelta(0):
            raise TooManyAttempts(remaining)
    try:
        with database.unit() as session:
            user = authenticate(session, name, password)
            session.add(AuditEntry(user_id=user.id, at=now, action=LOGGED_IN,
                                   details={"username": name}))
            return user
    except AuthenticationFailed:
        with database.unit() as session:
            session.add(AuditEntry(user_id=None, at=now, action=LOGIN_FAILED,
                                   details={"username": name}))
        raise

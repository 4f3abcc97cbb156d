"""Accounts: interviewers, supervisors and admins, with argon2 password hashes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.errors import AlreadyExists, AuthenticationFailed, CatiError
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

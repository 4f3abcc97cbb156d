"""Accounts: interviewers, supervisors and admins, with argon2 password hashes."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.errors import AlreadyExists, AuthenticationFailed, CatiError
from cati.services.clock import utc_now
from cati.storage.models import User

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

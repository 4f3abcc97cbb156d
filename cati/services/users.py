"""Accounts: interviewers, supervisors and admins.

SQLite (one machine, whose operating-system account owns the file): argon2id hashes in
``users``, checked here, with the slow-down after failures kept in the audit log.

PostgreSQL: an account *is* a database login (cati.storage.pg_security). Adding one, a reset,
a role change or a deactivation go through the owner's definer functions (``cati_add_user``,
``cati_set_user``: admins only, refused by the database to anyone else); the password travels
as a SCRAM-SHA-256 verifier made on this side, never as text. Logging in *is* connecting with
the name and password (:func:`connect_as`); a wrong one is refused by the server, which also
slows repeated failures down (``auth_delay``) and logs them. A user's own change first proves
the old password by logging in with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import literal_column, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from cati import password_policy
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
MIN_PASSWORD_LENGTH = password_policy.MIN_PASSWORD_LENGTH
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


USER_ADDED = "user_added"


def add_user(session: Session, username: str, password: str, role: str,
             display_name: str = "") -> UserInfo:
    """A new account. The callers audit it (``user_added``: the admin service with the admin's
    account, the command line with none — the store records its login, cati.storage.audit_chain)."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise CatiError(f"'{username}' is not a valid username (1-64 characters, no spaces)")
    if role not in ROLES:
        raise CatiError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    check_new_password(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AlreadyExists(f"user '{username}' already exists")
    if is_postgres(session):
        verifier = scram_verifier(session, username, password)
        try:
            with session.begin_nested():
                user_id = session.scalar(text("SELECT cati_add_user(:name, :role, :display, "
                                              ":verifier)"),
                                         {"name": username, "role": role,
                                          "display": display_name, "verifier": verifier})
        except IntegrityError as exc:
            raise AlreadyExists(_pg_message(exc)) from None
        user = session.get(User, user_id)
    else:
        user = User(username=username, display_name=display_name or username, role=role,
                    password_hash=_hasher.hash(password), active=True, created_at=utc_now())
        session.add(user)
        session.flush()
    return _info(user)


def audit_user_added(session: Session, info: UserInfo, acting_user_id: int | None) -> None:
    session.add(AuditEntry(user_id=acting_user_id, at=utc_now(), action=USER_ADDED,
                           details={"user_id": info.id, "username": info.username,
                                    "role": info.role}))


def check_new_password(password: str, username: str = "") -> None:
    """A password an account may have: long enough, not the username, not one of the commonest,
    not a repeated character or simple sequence (cati.password_policy). On PostgreSQL the server
    receives only the verifier, so the rule is this program's: a login could still set a weak
    password of its own with ALTER ROLE."""
    password_policy.check_new_password(password, username)


# -- PostgreSQL: accounts are database logins --------------------------------------------------


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def scram_verifier(session: Session, username: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password`` (libpq's PQencryptPasswordConn): what the
    server stores; the password itself never reaches it as text."""
    pgconn = session.connection().connection.driver_connection.pgconn
    return pgconn.encrypt_password(password.encode("utf-8"), username.encode("utf-8"),
                                   b"scram-sha-256").decode("ascii")


def set_account(session: Session, target: User, *, role: str | None = None,
                active: bool | None = None, password: str | None = None) -> None:
    """Change an account's role, active flag or password: on PostgreSQL through the definer
    function (the login's group, LOGIN/NOLOGIN and SCRAM verifier with the row)."""
    now = utc_now()
    if is_postgres(session):
        verifier = None if password is None else scram_verifier(session, target.username,
                                                                password)
        session.flush()
        session.execute(text("SELECT cati_set_user(:id, :role, :active, :verifier)"),
                        {"id": target.id, "role": role, "active": active, "verifier": verifier})
        session.refresh(target)
        return
    if role is not None:
        target.role = role
    if active is not None:
        target.active = active
    if password is not None:
        target.password_hash = _hasher.hash(password)
        target.credentials_changed_at = now
    session.flush()


def person_url(url: str, username: str, password: str) -> str:
    """The store's URL with a person's login instead of its own (PostgreSQL)."""
    return (make_url(url).set(username=username.strip(), password=password)
            .render_as_string(hide_password=False))


def connect_as(url: str, username: str, password: str) -> Database:
    """A Database connected as the person, once the server accepted the name and password;
    AuthenticationFailed when it did not (a wrong password, an unknown or deactivated login)."""
    person = Database(person_url(url, username, password))
    try:
        with person.engine.connect():
            pass
    except OperationalError as exc:
        person.dispose()
        if "permission denied for database" in str(exc.orig):
            raise AuthenticationFailed("this account is not one of this database's "
                                       "(该账户不属于此数据库)") from None
        if _refused_login(exc):
            raise AuthenticationFailed("wrong username or password (用户名或密码错误)") from None
        raise
    return person


def _refused_login(exc: OperationalError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    message = str(exc.orig)
    return sqlstate in {"28P01", "28000"} or "authentication failed" in message \
        or "not permitted to log in" in message or "does not exist" in message


def whoami(database: Database, *, now: dt.datetime | None = None) -> UserInfo:
    """The account of the database login (PostgreSQL), its login audited."""
    with database.unit() as session:
        user = session.scalar(select(User).where(User.username == literal_column("session_user")))
        if user is None or not user.active:
            raise AuthenticationFailed("this database login is no active cati account "
                                       "(不是在用的 cati 账户)")
        session.add(AuditEntry(user_id=user.id, at=now or utc_now(), action=LOGGED_IN,
                               details={"username": user.username}))
        return _info(user)


def _pg_message(exc: Exception) -> str:
    text_ = str(getattr(exc, "orig", exc)).strip().splitlines()
    return text_[0] if text_ else type(exc).__name__


def authenticate(session: Session, username: str, password: str) -> UserInfo:
    """The user, if the password is right and the account active; else AuthenticationFailed.
    On PostgreSQL the server checks the password: a login with it is tried."""
    if is_postgres(session):
        url = session.get_bind().url.render_as_string(hide_password=False)
        connect_as(url, username, password).dispose()
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is not None and user.active and is_postgres(session):
        return _info(user)
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


def acting_user_id(database: Database, claimed: str | None) -> int | None:
    """Who a command acts as. On PostgreSQL a login that is a cati account acts as itself and
    nobody else: ``--user`` naming another account is refused (the database, not the command
    line, says who is at the keyboard). The owner (or a superuser), trusted with everything,
    and the owner of an SQLite file act as the account ``--user`` names, or as none."""
    if not database.is_sqlite:
        with database.unit(immediate=False) as session:
            login = session.scalar(text("SELECT session_user"))
            own = session.scalar(select(User.id).where(User.username == login))
        if own is not None:
            if claimed is not None and claimed.strip() != login:
                raise PermissionDenied(f"this command runs as the database login '{login}': it "
                                       f"cannot act as '{claimed.strip()}' "
                                       "(命令以数据库登录身份执行,不能冒充他人)")
            return own
    return None if claimed is None else user_id_of(database, claimed)


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
    if new_password == old_password:
        raise CatiError("the new password is the old one (新密码与旧密码相同)")
    if not database.is_sqlite:
        return _change_password_postgres(database, user_id, old_password, new_password, now)
    with database.unit() as session:
        check_new_password(new_password, require_active(session, user_id).username)
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


def _change_password_postgres(database: Database, user_id: int, old_password: str,
                              new_password: str, now: dt.datetime) -> SessionStamp:
    """The old password is proven by logging in with it; the new one is set as the login itself
    when this connection is the person's, else (the owner's or an admin's connection) through
    cati_set_user."""
    with database.unit(immediate=False) as session:
        user = require_active(session, user_id)
        username, role = user.username, user.role
        check_new_password(new_password, username)
        own = session.scalar(text("SELECT session_user")) == username
    try:
        connect_as(database.url, username, old_password).dispose()
    except AuthenticationFailed:
        with database.unit() as session:
            session.add(AuditEntry(user_id=user_id, at=now, action=LOGIN_FAILED,
                                   details={"username": username, "during": "password change"}))
        raise AuthenticationFailed("the old password is wrong (旧密码错误)") from None
    with database.unit() as session:
        verifier = scram_verifier(session, username, new_password)
        if own:
            stamp = session.scalar(text("SELECT cati_change_own_password(:v)"), {"v": verifier})
        else:
            session.execute(text("SELECT cati_set_user(:id, NULL, NULL, :v)"),
                            {"id": user_id, "v": verifier})
            stamp = session.scalar(select(User.credentials_changed_at).where(User.id == user_id))
        session.add(AuditEntry(user_id=user_id, at=now, action=PASSWORD_CHANGED,
                               details={"username": username}))
    return SessionStamp(user_id, role, stamp)


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
    """authenticate(), slowed down after repeated failures; each failure is audited — through
    ``database``, a connection that works already (SQLite; on PostgreSQL the owner's or a shared
    role's). The desktop's per-person log-in on PostgreSQL has none before it logs in: it uses
    connect_as and whoami, and the server slows failures down (auth_delay) and logs them."""
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

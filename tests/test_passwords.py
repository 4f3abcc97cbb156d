"""Passwords: argon2id, a minimum length, the user's own change (old password needed) and an
admin's reset; either forces every other logged-in session of the account to log in again, on
SQLite and PostgreSQL. (The slow-down after wrong passwords is in test_users.py.)"""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from cati.backend import Backend
from cati.errors import AuthenticationFailed, CatiError, PermissionDenied, SessionExpired
from cati.services import admin, users
from cati.storage.db import Database
from cati.storage.models import AuditEntry
from tests.accounts import is_secret, stored_secret

OLD, NEW = "first-password", "second-password"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """argon2id with small costs: the same code paths, a hundredth of the time."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def accounts(database):
    with database.unit() as session:
        ids = {"admin": users.add_user(session, "root", "admin-password", "admin").id,
               "ivan": users.add_user(session, "ivan", OLD, "interviewer").id}
    return ids


def stored_hash(database, username: str) -> str:
    return stored_secret(database, username)


def actions(database) -> list[str]:
    with database.unit(immediate=False) as session:
        return [action for action in session.scalars(select(AuditEntry.action)
                                                      .order_by(AuditEntry.id))
                if not action.startswith("db_")]  # PostgreSQL's own record of the change


@pytest.fixture
def two_workstations(db_url, database):
    """Two desktop apps (backends) on the same database."""
    first, second = Backend(db_url, "ws-1"), Backend(db_url, "ws-2")
    yield first, second
    first.close()
    second.close()


def test_the_own_change_needs_the_old_password_and_a_long_enough_new_one(database, accounts):
    ivan = accounts["ivan"]
    before = stored_hash(database, "ivan")
    assert is_secret(before)
    with pytest.raises(AuthenticationFailed, match="old password"):
        users.change_password(database, ivan, "not-the-password", NEW)
    with pytest.raises(CatiError, match="at least 8"):
        users.change_password(database, ivan, OLD, "short")
    with pytest.raises(CatiError, match="old one"):
        users.change_password(database, ivan, OLD, OLD)
    assert stored_hash(database, "ivan") == before
    assert actions(database) == ["login_failed"]  # the wrong old password, nothing else
    users.change_password(database, ivan, OLD, NEW)
    assert is_secret(stored_hash(database, "ivan"))
    with pytest.raises(AuthenticationFailed):
        users.log_in(database, "ivan", OLD)
    assert users.log_in(database, "ivan", NEW).id == ivan
    with pytest.raises(CatiError, match="at least 8"):
        admin.reset_password(database, accounts["admin"], ivan, "1234567")


def test_a_change_forces_a_new_login_elsewhere(database, accounts, two_workstations):
    here, elsewhere = two_workstations
    with pytest.raises(PermissionDenied):  # nobody logged in: no account to change
        here.change_password(OLD, NEW)
    here.login("ivan", OLD)
    elsewhere.login("ivan", OLD)
    here.change_password(OLD, NEW)
    assert here.active_projects() == []  # the session that changed it goes on
    with pytest.raises(SessionExpired, match="log in again"):
        elsewhere.active_projects()
    with pytest.raises(SessionExpired):  # every call, until it logs in again
        elsewhere.next_call(1, accounts["ivan"])
    with pytest.raises(AuthenticationFailed):
        elsewhere.login("ivan", OLD)
    elsewhere.login("ivan", NEW)
    assert elsewhere.active_projects() == []


def test_an_admin_reset_deactivation_or_role_change_ends_every_session(database, accounts,
                                                                        two_workstations):
    here, elsewhere = two_workstations
    root, ivan = accounts["admin"], accounts["ivan"]
    for password, change in (  # the password to log in with, then the change
            (OLD, lambda: admin.reset_password(database, root, ivan, NEW)),
            (NEW, lambda: admin.change_role(database, root, ivan, "supervisor")),
            (NEW, lambda: admin.deactivate_user(database, root, ivan))):
        here.login("ivan", password)
        elsewhere.login("ivan", password)
        change()
        for backend in (here, elsewhere):
            with pytest.raises(SessionExpired):
                backend.active_projects()
    with pytest.raises(AuthenticationFailed):  # deactivated
        here.login("ivan", NEW)



def test_the_app_shows_the_login_again_when_the_session_expires(qtbot, sqlite_url):
    from ui.app import CatiApp

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        root = users.add_user(session, "root", "admin-password", "admin").id
        boss = users.add_user(session, "boss", OLD, "supervisor").id
    app = CatiApp(sqlite_url, speech=False)
    login = app.login
    qtbot.addWidget(login)
    login.show()
    qtbot.waitUntil(login.button.isEnabled, timeout=10_000)
    try:
        for password in (OLD, NEW):
            login.username.setText("boss")
            login.password.setText(password)
            login.button.click()
            qtbot.waitUntil(lambda: app.console is not None and not login.isVisible(),
                            timeout=10_000)
            if password == NEW:
                break
            admin.reset_password(database, root, boss, NEW)  # from another workstation
            app.tasks.run(app.backend.active_projects, lambda _r: None, lambda _e: None)
            qtbot.waitUntil(login.isVisible, timeout=10_000)
            assert app.console is None and "log in again" in login.status.text()
    finally:
        app.shutdown()
        database.dispose()

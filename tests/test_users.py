"""Accounts: argon2 hashes, roles, wrong passwords."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cati.errors import AlreadyExists, AuthenticationFailed, CatiError
from cati.services.users import add_user, authenticate, list_users
from cati.storage.db import Database
from cati.storage.models import AuditEntry
from tests.accounts import is_secret, stored_secret


def test_add_and_log_in(database):
    with database.unit() as session:
        add_user(session, "zhang", "correct horse", "interviewer", "张")
    with database.unit() as session:
        user = authenticate(session, "zhang", "correct horse")
    stored = stored_secret(database, "zhang")
    assert user.role == "interviewer" and user.display_name == "张"
    assert is_secret(stored)
    assert "correct horse" not in stored


def test_wrong_password_and_unknown_user_fail_alike(database):
    with database.unit() as session:
        add_user(session, "li", "secret-password", "supervisor")
    for username, password in (("li", "wrong-password"), ("nobody", "secret-password")):
        with database.unit() as session, pytest.raises(AuthenticationFailed) as caught:
            authenticate(session, username, password)
        assert "wrong username or password" in str(caught.value)


def test_duplicate_username_and_bad_role(database):
    with database.unit() as session:
        add_user(session, "wang", "K7-gnaw-2026!", "admin")
    with database.unit() as session, pytest.raises(AlreadyExists):
        add_user(session, "wang", "K7-gnaw-2026!", "admin")
    with database.unit() as session, pytest.raises(CatiError, match="role"):
        add_user(session, "zhao", "K7-gnaw-2026!", "boss")
    with database.unit() as session, pytest.raises(CatiError, match="at least"):
        add_user(session, "zhao", "short", "admin")
    with database.unit() as session:
        assert [u.username for u in list_users(session)] == ["wang"]


def test_repeated_wrong_passwords_slow_the_next_try_down(database):
    import datetime as dt

    from cati.errors import AuthenticationFailed
    from cati.services.users import TooManyAttempts, log_in

    with database.unit() as session:
        add_user(session, "zhang", "correct horse", "interviewer")
    now = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    for second in range(3):
        with pytest.raises(AuthenticationFailed, match="wrong username or password"):
            log_in(database, "zhang", "wrong guess", now=now + dt.timedelta(seconds=second))
    # The fourth try, even with the right password, must wait 5 s after the last failure.
    with pytest.raises(TooManyAttempts) as waited:
        log_in(database, "zhang", "correct horse", now=now + dt.timedelta(seconds=3))
    assert waited.value.wait_seconds == 4
    assert log_in(database, "zhang", "correct horse",
                  now=now + dt.timedelta(seconds=8)).username == "zhang"
    # A successful login starts the count again; a fifth failure in a row doubles the wait.
    for second in range(9, 14):
        with pytest.raises(AuthenticationFailed):
            log_in(database, "zhang", "wrong again", now=now + dt.timedelta(seconds=second * 20))
    with pytest.raises(TooManyAttempts) as waited:
        log_in(database, "zhang", "correct horse", now=now + dt.timedelta(seconds=261))
    assert waited.value.wait_seconds == 19  # 20 s after the failure at 260 s
    # Fifteen minutes later the slate is clean.
    assert log_in(database, "zhang", "correct horse",
                  now=now + dt.timedelta(minutes=20)).username == "zhang"


def test_reset_role_and_deactivate_on_the_command_line(sqlite_url, run_cli):
    """The file's owner manages accounts without the console; each change is audited."""
    assert run_cli("--db", sqlite_url, "users", "add", "boss", "--role", "admin",
                   "--password-stdin", input="K7-ssob-2026!\n").returncode == 0
    assert run_cli("--db", sqlite_url, "users", "add", "li", "--role", "interviewer",
                   "--password-stdin", input="K7-il-2026!\n").returncode == 0
    reset = run_cli("--db", sqlite_url, "users", "reset", "li", "--password-stdin",
                    input="K7-il-New-2026!\n")
    assert reset.returncode == 0 and reset.stdout == "li: interviewer\n"
    assert run_cli("--db", sqlite_url, "users", "role", "li", "--role",
                   "supervisor").stdout == "li: supervisor\n"
    assert run_cli("--db", sqlite_url, "users", "deactivate", "li").stdout == \
        "li: supervisor (inactive)\n"
    missing = run_cli("--db", sqlite_url, "users", "reset", "nobody", "--password-stdin",
                      input="whatever-Pass-1\n")
    assert missing.returncode == 1 and missing.stderr == "cati: no user 'nobody'\n"
    from cati.services.users import authenticate

    database = Database(sqlite_url)
    with database.unit() as session, pytest.raises(AuthenticationFailed):
        authenticate(session, "li", "K7-il-New-2026!")  # inactive now
    with database.unit(immediate=False) as session:
        actions = [e.action for e in session.scalars(select(AuditEntry)
                                                      .order_by(AuditEntry.chain_seq))]
    database.dispose()
    assert actions == ["user_added", "user_added", "password_reset", "role_changed",
                       "user_deactivated"]


def test_the_commonest_passwords_are_refused_for_every_account(database):
    """Not only short ones: the console, the command line and a user's own change all go
    through cati.password_policy."""
    for password, why in (("password123", "most common"), ("woaini1314", "most common"),
                          ("12345678", "at least 8|most common|sequence"),
                          ("zhou-the-great", "username")):
        with database.unit() as session, pytest.raises(CatiError, match=why):
            add_user(session, "zhou", password, "interviewer")

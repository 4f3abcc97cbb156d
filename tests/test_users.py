"""Accounts: argon2 hashes, roles, wrong passwords."""

from __future__ import annotations

import pytest

from cati.errors import AlreadyExists, AuthenticationFailed, CatiError
from cati.services.users import add_user, authenticate, list_users
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
        add_user(session, "wang", "password123", "admin")
    with database.unit() as session, pytest.raises(AlreadyExists):
        add_user(session, "wang", "password123", "admin")
    with database.unit() as session, pytest.raises(CatiError, match="role"):
        add_user(session, "zhao", "password123", "boss")
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

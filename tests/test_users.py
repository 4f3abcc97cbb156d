"""Accounts: argon2 hashes, roles, wrong passwords."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cati.errors import AlreadyExists, AuthenticationFailed, CatiError
from cati.services.users import add_user, authenticate, list_users
from cati.storage.models import User


def test_add_and_log_in(database):
    with database.unit() as session:
        add_user(session, "zhang", "correct horse", "interviewer", "张")
    with database.unit() as session:
        user = authenticate(session, "zhang", "correct horse")
        stored = session.scalar(select(User.password_hash).where(User.username == "zhang"))
    assert user.role == "interviewer" and user.display_name == "张"
    assert stored.startswith("$argon2")
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

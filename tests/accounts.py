"""Where an account's password is kept: argon2id in ``users`` on SQLite, the login role's
SCRAM-SHA-256 verifier on PostgreSQL (``users.password_hash`` is empty there)."""

from __future__ import annotations

from sqlalchemy import select, text

from cati.storage.models import User

SECRET_PREFIXES = ("$argon2id$", "SCRAM-SHA-256$")


def stored_secret(database, username: str) -> str | None:
    with database.unit(immediate=False) as session:
        if database.is_sqlite:
            return session.scalar(select(User.password_hash).where(User.username == username))
        assert session.scalar(select(User.password_hash).where(User.username == username)) == ""
        return session.scalar(text("SELECT rolpassword FROM pg_authid WHERE rolname = :name"),
                              {"name": username})


def is_secret(value: str | None) -> bool:
    return value is not None and value.startswith(SECRET_PREFIXES)

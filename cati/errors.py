"""Errors a user can cause. Each carries one line that says what went wrong and where.

Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

import re

# Characters of a hostile file that must not reach a terminal in an error line: control
# characters (an ESC starts a terminal escape sequence) and the bidirectional controls that
# reorder what follows them. printable() shows them as escapes instead.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with its control and bidirectional characters written as ``\\uXXXX``."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class CatiError(Exception):
    """A mistake in what the user gave us (a file, a name, a password): shown as one line."""

    exit_code = 1


class NotFound(CatiError):
    """A project, user, case … named by the user does not exist."""


class AlreadyExists(CatiError):
    """A unique name (project code, username …) is already taken."""


class PermissionDenied(CatiError):
    """The signed-in user's role does not allow the operation."""


class AuthenticationFailed(CatiError):
    """Wrong username or password, or the account is inactive."""


class SessionExpired(AuthenticationFailed):
    """The logged-in account's password, role or state changed since it logged in (elsewhere,
    or by an admin): the window shows the login again."""


class CannotConnect(CatiError):
    """No connection to the database could be made: the server is down or unreachable, its
    certificate failed verification (``sslmode=verify-full``), it refused the password, or its
    pg_hba.conf has no line for this connection (e.g. one without TLS); or it was lost."""


class StorageError(CatiError):
    """The database refused to store anything (see below). The unit of work that hit it was
    rolled back whole: nothing of it is stored, and what was stored before is unchanged."""


class StorageFull(StorageError):
    """The disk (or SQLite's page limit) is full: SQLite SQLITE_FULL, PostgreSQL 53100."""


class StorageReadOnly(StorageError):
    """The database file or server takes no writes: SQLite SQLITE_READONLY (a read-only file,
    ``mode=ro``), PostgreSQL 25006 (a read-only transaction, a hot standby)."""


class StorageDenied(StorageError):
    """The database role lacks a privilege (PostgreSQL 42501): a least-privilege application
    role asked to change the schema, or a table was not granted to it."""


class StorageDamaged(CatiError):
    """The database file is not a cati database or is damaged: not an SQLite file at all
    (SQLITE_NOTADB: random bytes, an overwritten header), a damaged one (SQLITE_CORRUPT: a
    truncated copy), an empty one (0 bytes: a store truncated by accident must not pass for a
    new one and be migrated empty), or PostgreSQL's data_corrupted/index_corrupted (XX001,
    XX002). Nothing is written to it."""


class TempFolderFull(CatiError):
    """The temporary folder is full (SQLite sorts and large statements spill there: the same
    SQLITE_FULL as a full database, but freeing the database's disk would not help)."""


class Conflict(CatiError):
    """Another workstation changed the same rows at the same moment and the database undid
    this change (PostgreSQL serialization failure 40001, deadlock 40P01, a unique key taken
    meanwhile 23505): nothing of it was stored; trying again works. Rows made on first use are
    made with INSERT … ON CONFLICT, so this is the last resort, not the rule."""


class SchemaOutOfDate(CatiError):
    """The schema is behind this program and the connected role may not migrate it."""

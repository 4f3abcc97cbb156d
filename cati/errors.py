"""Errors a user can cause. Each carries one line that says what went wrong and where.

Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations


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

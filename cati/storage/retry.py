"""Riding out a database that went away: retry a unit of work until the server is back.

A PostgreSQL server that is restarted, crashes, or drops off the network cuts every connection;
for a while after that each new one is refused ("connection refused", "the database system is
starting up"). ``retry_on_disconnect`` runs a unit of work again, after a short growing pause,
until it gets through or ``give_up_after`` seconds have passed since the first failure; any
other error goes straight to the caller.

A commit whose reply was lost may or may not have committed. Retrying is therefore only right
for a unit that is idempotent (storing answers that are already stored writes nothing), or with
``again``: what to call on the retries instead, which first finds out whether the lost commit
landed (the attempt with that start is stored; the case is already leased to this workstation).

SQLite never disconnects: a locked or full file is not retried here.

Two workstations changing the same rows at the same moment make PostgreSQL undo one of the
two transactions (a serialization failure, a deadlock, a unique key taken meanwhile: nothing of
it is stored). Rows made on first use are made with INSERT … ON CONFLICT (cati.storage.db
``upsert_insert``), which does not conflict; a conflict that still reaches the command line
is ``Conflict``'s one line (``conflict_error``), never a traceback.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
from sqlalchemy import exc as sa_exc

from cati.errors import Conflict

T = TypeVar("T")

GIVE_UP_AFTER = 120.0  # seconds: a restarted server is back long before; a dead one is not
FIRST_PAUSE = 0.05
LONGEST_PAUSE = 1.0

# SQLSTATE classes and codes that mean the connection, not the statement, failed:
# 08 connection exception; 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect
# now (starting up, shutting down), 57P04 database dropped.
_DISCONNECT_STATES = ("08", "57P01", "57P02", "57P03", "57P04")


def is_disconnect(exc: BaseException) -> bool:
    """Whether ``exc`` (or the error it was raised from) says the database connection was lost
    or could not be made — the server stopped, restarted or is unreachable — rather than that
    the statement itself failed."""
    seen = 0
    while exc is not None and seen < 8:  # a wrapper's cause, and the cause's cause
        if isinstance(exc, sa_exc.DBAPIError):
            if exc.connection_invalidated:
                return True
            if isinstance(exc.orig, psycopg.Error):
                return _psycopg_disconnect(exc.orig)
        elif isinstance(exc, psycopg.Error):
            return _psycopg_disconnect(exc)
        exc, seen = exc.__cause__, seen + 1
    return False


# serialization_failure, deadlock_detected, unique_violation
_CONFLICT_STATES = ("40001", "40P01", "23505")


def _sqlstate(exc: BaseException | None) -> str | None:
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, sa_exc.DBAPIError):
            exc = exc.orig
        if isinstance(exc, psycopg.Error):
            return exc.sqlstate
        exc, seen = exc.__cause__, seen + 1
    return None


def is_conflict(exc: BaseException) -> bool:
    """Whether the database undid the transaction because another one changed the same rows
    at the same moment (PostgreSQL 40001, 40P01, 23505)."""
    return _sqlstate(exc) in _CONFLICT_STATES


def conflict_error(exc: BaseException, label: str) -> Conflict | None:
    """The one line for a conflict that was not (or no longer) retried; None for others."""
    if not is_conflict(exc):
        return None
    return Conflict(f"another workstation changed the same data in the database {label} at "
                    "the same moment: nothing of this change was saved; try again "
                    "(数据同时被另一工作站修改,本次更改未保存,请重试)")


def _psycopg_disconnect(exc: psycopg.Error) -> bool:
    if isinstance(exc, psycopg.InterfaceError):
        return True  # "the connection is closed"
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    # No SQLSTATE: the client failed to connect or lost the socket (refused, reset, closed).
    return state is None or state.startswith(_DISCONNECT_STATES)


def retry_on_disconnect(fn: Callable[[], T], *, give_up_after: float = GIVE_UP_AFTER,
                        again: Callable[[], T] | None = None,
                        on_disconnect: Callable[[BaseException], None] | None = None,
                        sleep: Callable[[float], None] = time.sleep) -> T:
    """``fn()``, called again while it fails because the database connection is lost.

    Pauses grow from 50 ms to 1 s, each drawn between half and all of that so that many
    workstations do not come back in step. After ``give_up_after`` seconds since the first
    failure the last error is raised. ``again`` (default ``fn``) is what the retries call: for
    a unit of work that must not run twice it first looks whether the lost commit landed.
    ``on_disconnect`` is told of each failure (to count them, or to show "reconnecting").
    """
    call, pause, deadline = fn, FIRST_PAUSE, None
    while True:
        try:
            return call()
        except Exception as error:
            if not is_disconnect(error):
                raise
            now = time.monotonic()
            deadline = deadline if deadline is not None else now + give_up_after
            if now >= deadline:
                raise
            if on_disconnect is not None:
                on_disconnect(error)
            sleep(min(pause * random.uniform(0.5, 1.0), max(0.0, deadline - now)))
            pause = min(pause * 2, LONGEST_PAUSE)
            call = again or fn

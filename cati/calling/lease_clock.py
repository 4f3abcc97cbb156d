"""The one clock leases are stamped and compared with: the store's, never a workstation's.

A lease says "this workstation holds the case until T". When each workstation stamped T from its
own clock, one running 11 minutes fast took a case another had claimed seconds before, and one
running 11 minutes slow lost its case at once. So every lease stamp and every lease comparison
(the claim's "not leased", the take-back, renew, RESUME_GRACE, the check of each write) reads
``store_now`` at the start of its unit of work and uses that one value inside it:

- PostgreSQL: the server's ``now()`` (the start of the transaction, the same for every statement
  in it, which is what a unit wants). Workstations' clocks do not matter at all.
- SQLite: the database is a file on one machine, and every process that writes it runs on that
  machine, so that machine's kernel wall clock is the store's clock. It is read from ``/proc``
  (``btime`` in /proc/stat plus the seconds since boot in /proc/uptime), which no per-process
  clock shim such as libfaketime, nor a process's own idea of time, changes: all processes agree
  to the hundredth of a second (``btime`` is whole seconds, so the value may lag real time by up to
  a second, the same lag for every process). Without ``/proc`` (macOS, Windows) it falls back to
  the process's clock.

The business clock (``now=`` of the services: calling hours, due times, appointments, and the
simulator's accelerated time) stays the caller's; only leases use this one. Stored values keep
the column's format (the UtcDateTime column binds them like any other aware datetime).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from cati.services.clock import utc_now

# How long a claim or a renewal holds a case (the window renews it while the case is open).
DEFAULT_LEASE = dt.timedelta(minutes=10)

_PROC_STAT, _PROC_UPTIME = "/proc/stat", "/proc/uptime"


def store_now(session) -> dt.datetime:
    """The store's clock, aware UTC (see the module's docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(text("SELECT now()")).astimezone(dt.UTC)
    return kernel_now()


def kernel_now() -> dt.datetime:
    """This machine's kernel wall clock, read from /proc (the process clock where there is none)."""
    try:
        with open(_PROC_STAT, "rb") as stat:
            boot = next(int(line.split()[1]) for line in stat if line.startswith(b"btime "))
        with open(_PROC_UPTIME, "rb") as uptime:
            since_boot = float(uptime.read().split()[0])
    except (OSError, StopIteration, ValueError, IndexError):
        return utc_now()
    return dt.datetime.fromtimestamp(boot, dt.UTC) + dt.timedelta(seconds=since_boot)

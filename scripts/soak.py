#!/usr/bin/env python3
"""The soak: a simulated call-centre day at load against PostgreSQL, with the server restarted
during the run. Prints one JSON line; exits 1 when a check fails.

By default 64 simulated interviewers (`cati simulate`'s, each its own process and connection)
work an 8-hour day from 09:00 Beijing time on the demo project, 120 times faster than real time
(4 minutes of wall time), against a PostgreSQL server of the script's own (tests/pg_server.py:
initdb into a temporary directory, removed afterwards). At 1/3 and 2/3 of the day the server is
stopped at once — every connection cut, as in a crash — kept down for --down seconds and started
again on the same port. Afterwards:

  missing_attempts, doubled_attempts   attempts the simulator recorded against those stored
  duplicate_claims                     attempts of one case overlapping in time (two holders)
  lost_answers, answers_differ         stored answers against what the simulator played
  claims_after_last_restart            work went on after the server came back

must be 0, 0, 0, 0, 0 and above 0. `reconnects` counts the units of work that were tried again
because the connection was lost (it shows that the restarts hit the interviewers mid-work).

The server keeps the test server's speed settings (fsync off: the machine itself does not
crash) but commits synchronously (``synchronous_commit = on`` for the database). With it off,
PostgreSQL reports a commit before its WAL is written, and by its own documentation a server
crash may then lose the latest transactions reported committed — work no client could keep
exactly once. The checks here are about the program, so the server is set as a centre's should
be.

Usage: scripts/soak.py [--interviewers 64] [--hours 8] [--speed 120] [--cases 20000]
                       [--restarts 2] [--down 2] [--seed 1] [--start ISO-TIME]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # pg_server: the test's own stoppable server

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def next_nine_in_beijing(now: dt.datetime) -> dt.datetime:
    """The next 09:00 in Beijing: a day inside the default calling hours (with the midday
    break from 12:00 to 14:00, as in a real centre)."""
    local = now.astimezone(BEIJING)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if nine <= local:
        nine += dt.timedelta(days=1)
    return nine.astimezone(dt.UTC)


def prepare(url: str, cases: int) -> None:
    """The schema and the demo project with ``cases`` numbers; commits made synchronously."""
    import psycopg
    from sqlalchemy.engine import make_url

    from cati.services.demo import create_demo
    from cati.storage.db import Database

    parsed = make_url(url)
    with psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                         dbname=parsed.database, autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{parsed.database}" SET synchronous_commit = on')
    database = Database(url)
    database.upgrade()
    with database.unit() as session:
        create_demo(session, cases=cases)
    database.dispose()


class Restarter:
    """Stops and starts the server at the given shares of the day, on its own thread."""

    def __init__(self, server, day_seconds: float, restarts: int, down: float) -> None:
        self.server, self.day_seconds, self.down = server, day_seconds, down
        self.shares = [(n + 1) / (restarts + 1) for n in range(restarts)]
        self.back_at: list[float] = []  # wall time (time.time()) each restart completed
        self.down_seconds: list[float] = []
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def begin(self) -> None:
        """Called by the simulator when the day starts."""
        self._thread = threading.Thread(target=self._run, args=(time.monotonic(),),
                                        name="restarts", daemon=True)
        self._thread.start()

    def _run(self, day_start: float) -> None:
        try:
            for share in self.shares:
                time.sleep(max(0.0, day_start + share * self.day_seconds - time.monotonic()))
                stopped = time.monotonic()
                self.server.stop()
                time.sleep(self.down)
                self.server.start()
                self.down_seconds.append(round(time.monotonic() - stopped, 2))
                self.back_at.append(time.time())
        except BaseException as error:  # reported by the main thread
            self.error = error

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self.error is not None:
            raise self.error


def run_soak(server, *, interviewers: int, hours: float, speed: float, cases: int,
             restarts: int, down: float, seed: int, start: dt.datetime) -> dict:
    """One soak run on a started ``PgServer``; returns the figures (the server stays up, so a
    caller can look at the database afterwards)."""
    from cati.calling.simulate import simulate

    prepare(server.url, cases)
    restarter = Restarter(server, hours * 3600 / speed, restarts, down)
    began = time.monotonic()
    result = simulate(server.url, "DEMO", interviewers, hours * 60, seed=seed, speed=speed,
                      start=start, on_start=restarter.begin)
    wall = time.monotonic() - began
    restarter.join()
    last_back = restarter.back_at[-1] if restarter.back_at else float("inf")
    figures = {
        "interviewers": interviewers, "hours": hours, "speed": speed, "cases": cases,
        "claims": result.claims, "completes": result.completes, "attempts": result.attempts,
        "restarts": len(restarter.back_at), "down_s": restarter.down_seconds,
        "reconnects": result.reconnects,
        "claims_after_last_restart": sum(1 for t in result.claim_times if t > last_back),
        "missing_attempts": result.missing_attempts,
        "doubled_attempts": result.doubled_attempts,
        "duplicate_claims": result.duplicate_claims,
        "lost_answers": result.lost_answers, "answers_differ": result.answers_differ,
        "leases_lost": result.leases_lost, "longest_unit_s": result.longest_unit_s,
        "claim_p50_ms": result.claim_p50_ms, "claim_p99_ms": result.claim_p99_ms,
        "wall_s": round(wall, 1), "claims_per_s": round(result.claims / wall, 1),
    }
    figures["ok"] = passed(figures, restarts)
    return figures


def passed(figures: dict, restarts: int) -> bool:
    return (figures["restarts"] == restarts
            and figures["missing_attempts"] == figures["doubled_attempts"] == 0
            and figures["duplicate_claims"] == figures["lost_answers"] == 0
            and figures["answers_differ"] == 0
            and (restarts == 0 or figures["claims_after_last_restart"] > 0))


def _instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"'{text}' needs its UTC offset, e.g. +08:00")
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviewers", type=int, default=64)
    parser.add_argument("--hours", type=float, default=8.0, help="call-centre hours")
    parser.add_argument("--speed", type=float, default=120.0,
                        help="how many times faster than real time")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument("--down", type=float, default=2.0,
                        help="seconds the server stays stopped at each restart")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=_instant, metavar="ISO-TIME",
                        help="when the day starts (default: the next 09:00 in Beijing)")
    args = parser.parse_args()
    if min(args.interviewers, args.cases) < 1 or min(args.hours, args.speed) <= 0 \
            or args.restarts < 0 or args.down < 0:
        print("error: --interviewers, --cases, --hours and --speed must be above 0, "
              "--restarts and --down not below 0", file=sys.stderr)
        return 1
    from pg_server import PgServer

    with PgServer() as server:
        figures = run_soak(server, interviewers=args.interviewers, hours=args.hours,
                           speed=args.speed, cases=args.cases, restarts=args.restarts,
                           down=args.down, seed=args.seed,
                           start=args.start or next_nine_in_beijing(dt.datetime.now(dt.UTC)))
    print(json.dumps(figures))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())

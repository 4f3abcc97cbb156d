#!/usr/bin/env python3
"""Benchmark the shared call queue. Prints one JSON line.

Claims per second and p50/p99 claim latency of `claim_next_case` with 1, 8, 32 and 64 concurrent
workers (separate processes, one connection each) against PostgreSQL holding --cases cases, next
to a baseline in the same run: the bare SQL claim statement (UPDATE … SKIP LOCKED … RETURNING)
sent straight through psycopg by 64 workers. Also SQLite with 1, 4 and 8 workers. Each claim is
followed by closing the case (as an outcome would), so the queue never serves a case twice.
Targets at 64 workers on PostgreSQL: p99 under 50 ms and at least half the baseline's throughput.

PostgreSQL comes from CATI_TEST_PG_URL; without it the script runs itself again under
scripts/pg_tmp.sh, which starts a throw-away server.

With ``--assign`` the claims run as named interviewers (one per worker) on a sample of four
strata, the first two assigned (cati.services.assignments): worker 0's stratum is served to it
first and is used up after 20 claims (every later claim of its first tries its own stratum in
vain), worker 1 takes its stratum only, the others never get those two. ``--workers`` picks the
PostgreSQL worker counts (a short run on a shared machine: ``--workers 1,8``).

Usage: scripts/bench_queue.py [--cases N] [--seconds S] [--sqlite-cases N] [--workers 1,8,32,64]
                              [--assign]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing: inside calling hours
BARE_CLAIM = """
UPDATE cases SET lease_holder = %(ws)s, lease_expires_at = %(expires)s
WHERE id = (SELECT id FROM cases
            WHERE project_id = %(project)s AND state IN ('resume', 'scheduled', 'fresh')
              AND (next_call_at IS NULL OR next_call_at <= %(now)s)
              AND (lease_holder IS NULL OR lease_expires_at < %(now)s)
            ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id
"""


ASSIGNED_STRATA = ("古槐街道", "庙湾镇")
OTHER_STRATA = ("射桥镇", "阳城镇")
STRATUM_SQL = ("CASE WHEN n < 20 THEN '古槐街道' WHEN n < 40 THEN '庙湾镇' "
               "WHEN n % 2 = 0 THEN '射桥镇' ELSE '阳城镇' END")


def _stratum(n: int) -> str:
    return (ASSIGNED_STRATA[0] if n < 20 else ASSIGNED_STRATA[1] if n < 40
            else OTHER_STRATA[n % 2])


def assign(db_url: str, project_id: int, workers: int) -> list[int]:
    """One interviewer per worker; the first two strata assigned to workers 0 and 1 (only)."""
    from sqlalchemy import insert, select

    from cati.services.assignments import add_assignment
    from cati.services.clock import utc_now
    from cati.storage.db import Database
    from cati.storage.models import User

    database = Database(db_url)
    tag = uuid.uuid4().hex[:6]
    with database.unit() as session:
        session.execute(insert(User), [
            {"username": f"b{tag}_{n}", "display_name": "", "role": "interviewer",
             "password_hash": "", "active": True, "created_at": utc_now()}
            for n in range(workers)])
        ids = [session.scalar(select(User.id).where(User.username == f"b{tag}_{n}"))
               for n in range(workers)]
    add_assignment(database, project_id, f"b{tag}_0", stratum=ASSIGNED_STRATA[0], actor_id=None)
    add_assignment(database, project_id, f"b{tag}_1", stratum=ASSIGNED_STRATA[1], only=True,
                   actor_id=None)
    database.dispose()
    return ids


def fill(db_url: str, cases: int, *, strata: bool = False) -> int:
    from sqlalchemy import insert, text

    from cati.services.projects import create_project
    from cati.storage.db import Database
    from cati.storage.models import Case

    database = Database(db_url)
    database.upgrade()
    with database.unit() as session:
        project = create_project(session, f"B{uuid.uuid4().hex[:6]}",
                                 ROOT / "data/questionnaires/public_safety.xlsx")
        if database.is_sqlite:
            batch = 50_000
            for first in range(0, cases, batch):
                session.execute(insert(Case), [
                    {"project_id": project.id, "phone_e164": f"+86138{n:08d}", "state": "fresh",
                     "attempts": 0, "priority": 0, "attributes": {},
                     "stratum": _stratum(n) if strata else ""}
                    for n in range(first, min(cases, first + batch))])
        else:
            session.execute(text(
                "INSERT INTO cases (project_id, phone_e164, phone_raw, number_type, region, "
                "carrier, time_zone, stratum, attributes, state, attempts, priority) "
                "SELECT :p, '+86138' || lpad(n::text, 8, '0'), '', 'mobile', '', '', "
                f"'Asia/Shanghai', {STRATUM_SQL if strata else chr(39) * 2}, '{{}}'::jsonb, "
                "'fresh', 0, 0 FROM generate_series(0, :n - 1) AS n"),
                {"p": project.id, "n": cases})
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE cases")
            connection.commit()
    database.dispose()
    return project.id


def worker(db_url: str, project_id: int, name: str, seconds: float, bare: bool,
           start_at: float, queue, interviewer_id: int | None = None) -> None:
    from sqlalchemy import update

    from cati.calling.queue import claim_next_case, release_case
    from cati.storage.db import Database
    from cati.storage.models import Case

    database = Database(db_url)
    raw = None
    if bare:
        import psycopg
        from sqlalchemy.engine import make_url

        raw = psycopg.connect(make_url(db_url).set(drivername="postgresql")
                              .render_as_string(hide_password=False), autocommit=True)
    latencies = []
    if raw is None:  # connect and compile before the clock starts, as the baseline does
        warm = claim_next_case(database, project_id, name, now=NOW,
                               interviewer_id=interviewer_id)
        if warm is not None:
            release_case(database, warm.case_id, name)
    time.sleep(max(0.0, start_at - time.time()))
    end = time.time() + seconds
    while time.time() < end:
        started = time.perf_counter()
        if raw is not None:
            row = raw.execute(BARE_CLAIM, {"ws": name, "project": project_id, "now": NOW,
                                           "expires": NOW + dt.timedelta(minutes=10)}).fetchone()
            case_id = row[0] if row else None
        else:
            claimed = claim_next_case(database, project_id, name, now=NOW,
                                      interviewer_id=interviewer_id)
            case_id = claimed.case_id if claimed else None
        latencies.append((time.perf_counter() - started) * 1000)
        if case_id is None:
            break
        with database.unit() as session:  # the outcome: the case leaves the queue
            session.execute(update(Case).where(Case.id == case_id)
                            .values(state="closed", lease_holder=None))
    queue.put(latencies)


def run(db_url: str, project_id: int, workers: int, seconds: float, bare: bool = False,
        interviewers: list[int] | None = None) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 3 + workers * 0.15  # all started and connected before timing
    processes = [context.Process(target=worker, args=(
                     db_url, project_id, f"w{n}", seconds, bare, start_at, queue,
                     interviewers[n] if interviewers else None))
                 for n in range(workers)]
    for process in processes:
        process.start()
    latencies = [ms for _ in processes for ms in queue.get()]
    for process in processes:
        process.join()
    latencies.sort()
    return {"claims_per_s": round(len(latencies) / seconds, 1),
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--sqlite-cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", default="1,8,32,64", metavar="N,N,…",
                        help="the PostgreSQL worker counts (the baseline uses the largest)")
    parser.add_argument("--assign", action="store_true",
                        help="claim as named interviewers, two strata assigned")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    if not os.environ.get("CATI_TEST_PG_URL"):
        os.execv("/usr/bin/env", ["env", "bash", str(ROOT / "scripts/pg_tmp.sh"),
                                  sys.executable, *sys.argv])
    from bench_import import fresh_pg_database

    pg_url = fresh_pg_database(os.environ["CATI_TEST_PG_URL"])
    project_id = fill(pg_url, args.cases, strata=args.assign)
    most = max(counts)
    named = assign(pg_url, project_id, most) if args.assign else None
    result: dict = {"cases": args.cases, "assign": args.assign, "postgres": {}}
    for workers in counts:
        result["postgres"][str(workers)] = run(pg_url, project_id, workers, args.seconds,
                                               interviewers=named)
    result["baseline"] = {str(most): run(pg_url, project_id, most, args.seconds, bare=True)}
    sqlite_file = Path(tempfile.gettempdir()) / f"bench-queue-{os.getpid()}.db"
    sqlite_url = f"sqlite:///{sqlite_file}"
    sqlite_project = fill(sqlite_url, args.sqlite_cases, strata=args.assign)
    sqlite_named = assign(sqlite_url, sqlite_project, 8) if args.assign else None
    result["sqlite_cases"] = args.sqlite_cases
    result["sqlite"] = {str(w): run(sqlite_url, sqlite_project, w, args.seconds,
                                    interviewers=sqlite_named)
                        for w in (1, 4, 8)}
    sqlite_file.unlink(missing_ok=True)
    pg64, base = result["postgres"][str(most)], result["baseline"][str(most)]
    result["targets"] = {"p99_ms_max": 50, "share_of_baseline_min": 0.5,
                         "share_of_baseline": round(pg64["claims_per_s"] / base["claims_per_s"], 2)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

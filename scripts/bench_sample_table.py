#!/usr/bin/env python3
"""Benchmark the supervisor's sample table at 1M cases. Prints one JSON line.

Fills a project with --cases cases in one INSERT … SELECT (a recursive CTE on SQLite,
generate_series on PostgreSQL), then measures, with the database connection already open as
in the running app:
- ``count_ms`` and ``first_page_ms``: SampleBrowser.count() and .page() of the unfiltered
  table in its default order (first call, and the median of 5 more);
- ``first_paint_ms``: from creating the sample panel (its model and QTableView, offscreen) to
  the first page's rows painted (grab() as soon as the first page arrived); also when the
  count arrived;
- the query plans of both (EXPLAIN QUERY PLAN / EXPLAIN).
The default order is served by ``ix_cases_project_id (project_id, id)`` (migration 0005).
Target: first paint under 300 ms.

SQLite gets no ANALYZE (the app never runs one); PostgreSQL gets VACUUM ANALYZE after the fill,
as autovacuum would do soon after an import.

Usage: scripts/bench_sample_table.py [--cases N] [--db URL] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MS = 300

SQLITE_FILL = """
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :n - 1)
INSERT INTO cases (project_id, phone_e164, phone_raw, number_type, region, carrier, time_zone,
                   stratum, attributes, state, disposition, attempts, priority, draw)
SELECT :p, '+86138' || substr('00000000' || n, -8), '', 'mobile', '平舆县', '中国移动',
       'Asia/Shanghai', 'T' || (n % 19), '{}',
       CASE n % 5 WHEN 0 THEN 'closed' WHEN 1 THEN 'scheduled' ELSE 'fresh' END,
       CASE n % 5 WHEN 0 THEN '1.1' WHEN 1 THEN '3.13' END, n % 7, 0, (n * 7919) % 1000003
FROM seq"""
POSTGRES_FILL = """
INSERT INTO cases (project_id, phone_e164, phone_raw, number_type, region, carrier, time_zone,
                   stratum, attributes, state, disposition, attempts, priority, draw)
SELECT :p, '+86138' || lpad(n::text, 8, '0'), '', 'mobile', '平舆县', '中国移动',
       'Asia/Shanghai', 'T' || (n % 19), '{}'::jsonb,
       CASE n % 5 WHEN 0 THEN 'closed' WHEN 1 THEN 'scheduled' ELSE 'fresh' END,
       CASE n % 5 WHEN 0 THEN '1.1' WHEN 1 THEN '3.13' END, n % 7, 0,
       (n::bigint * 7919 % 1000003)::int
FROM generate_series(0, :n - 1) AS n"""


def scratch_database(server_url: str):
    """(URL of a new database on the server of ``server_url``, a function that drops it)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    if url.get_backend_name() != "postgresql":
        raise SystemExit("--db takes a PostgreSQL URL (SQLite is the default)")
    name = f"bench_sample_{uuid.uuid4().hex[:8]}"
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)

    def admin(sql: str) -> None:
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(sql)

    admin(f'CREATE DATABASE "{name}"')
    return (url.set(database=name).render_as_string(hide_password=False),
            lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def fill(database, cases: int) -> tuple[int, float]:
    from sqlalchemy import text

    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project

    started = time.perf_counter()
    with database.unit() as session:
        project = create_project(session, f"B{uuid.uuid4().hex[:6]}",
                                 QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(text(SQLITE_FILL if database.is_sqlite else POSTGRES_FILL),
                        {"p": project.id, "n": cases})
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE cases")
    return project.id, time.perf_counter() - started


def plan(database, statement) -> list[str]:
    sql = str(statement.compile(dialect=database.engine.dialect,
                                compile_kwargs={"literal_binds": True}))
    with database.engine.connect() as connection:
        if database.is_sqlite:
            return [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
        return [row[0].strip() for row in connection.exec_driver_sql(f"EXPLAIN {sql}")]


def timed(call) -> tuple[float, float]:
    """(first call ms, median of 5 more ms)."""
    times = []
    for _ in range(6):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return round(times[0], 1), round(statistics.median(times[1:]), 1)


def first_paint(app, browser, project_id: int) -> dict:
    from PySide6.QtCore import QElapsedTimer

    from ui.sample_panel import SamplePanel
    from ui.tasks import TaskRunner

    tasks = TaskRunner()
    clock = QElapsedTimer()
    clock.start()
    panel = SamplePanel(browser, tasks, project_id, user_id=0)
    panel.resize(1280, 800)
    panel.show()
    model = panel.model
    while model.case_row(0) is None:
        app.processEvents()
        if clock.elapsed() > 60_000:
            raise SystemExit("the first page never arrived")
    image = panel.table.grab()
    painted = clock.nsecsElapsed() / 1e6
    shown = model.data(model.index(0, 1))
    while not model.count_known:
        app.processEvents()
    counted = clock.nsecsElapsed() / 1e6
    while tasks.pending:
        app.processEvents()
    rows = model.rowCount()
    panel.close()
    panel.deleteLater()
    app.processEvents()
    tasks.shutdown()
    return {"first_paint_ms": round(painted, 1), "count_arrived_ms": round(counted, 1),
            "rows": rows, "first_phone": shown, "image": [image.width(), image.height()]}


def measure(app, database, project_id: int) -> dict:
    from cati.services.sample_browser import SampleBrowser, count_query, page_query

    browser = SampleBrowser(database)
    with database.unit(immediate=False) as session:  # the app's connection is open already
        session.connection()
    count_first, count_median = timed(lambda: browser.count(project_id))
    page_first, page_median = timed(lambda: browser.page(project_id))
    result = {"count_ms": count_first, "count_median_ms": count_median,
              "first_page_ms": page_first, "first_page_median_ms": page_median}
    result.update(first_paint(app, browser, project_id))
    result["plans"] = {"count": plan(database, count_query(project_id)),
                       "first_page": plan(database, page_query(project_id))}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--db", help="a database URL (PostgreSQL); default a new SQLite file")
    parser.add_argument("--keep", type=Path, help="SQLite: use (and keep) this file")
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from cati.services.sample_browser import SampleBrowser
    from cati.storage.db import Database

    app = QApplication.instance() or QApplication(sys.argv[:1])
    sqlite_file = scratch = None
    if args.db:  # a scratch database on that server, dropped at the end
        url, scratch = scratch_database(args.db)
    else:
        sqlite_file = args.keep or Path(tempfile.gettempdir()) / f"bench-sample-{os.getpid()}.db"
        url = f"sqlite:///{sqlite_file}"
    database = Database(url)
    database.upgrade()
    try:
        warm_up, _ = fill(database, 10)  # Qt's first window (fonts, styles) is not the table's
        first_paint(app, SampleBrowser(database), warm_up)
        project_id, fill_seconds = fill(database, args.cases)
        result = {"backend": database.engine.dialect.name, "cases": args.cases,
                  "fill_s": round(fill_seconds, 1), "target_first_paint_ms": TARGET_MS,
                  **measure(app, database, project_id)}
        result["meets_target"] = result["first_paint_ms"] < TARGET_MS
        print(json.dumps(result, ensure_ascii=False))
    finally:
        database.dispose()
        if scratch is not None:
            scratch()
        if sqlite_file is not None and args.keep is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

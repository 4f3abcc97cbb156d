#!/usr/bin/env python3
"""How long an SQLite phone-list import keeps other writers waiting. Prints one JSON line.

Makes the deterministic list of scripts/bench_import.py (.csv, N rows), a project with one case,
then runs `cati sample import` in a fresh process while this process writes to that case again
and again (each write a short ``BEGIN IMMEDIATE`` transaction with the normal busy timeout, as a
claim or an answer save does). Reports the import's time, the longest wait of one write
(about the longest time the import held the write lock) and how many writes failed.

Usage: scripts/bench_import_lock.py [--rows N] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_csv(rows: int, workdir: Path) -> Path:
    from scripts.bench_import import phone_cells

    target = workdir / f"phones-{rows}.csv"
    if not target.exists():
        with target.open("w", encoding="utf-8", newline="") as out:
            out.write("序号,电话,乡镇\r\n")
            for n, (cell, town) in enumerate(phone_cells(rows), start=1):
                text = str(int(cell)) if isinstance(cell, float) else str(cell)
                out.write(f"{n},{text},{town}\r\n")
    return target


def prepare(db_file: Path) -> str:
    from sqlalchemy import insert

    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project
    from cati.storage.db import Database
    from cati.storage.models import Case

    url = f"sqlite:///{db_file}"
    database = Database(url)
    database.upgrade()
    with database.unit() as session:
        project = create_project(session, "LOCK", QUESTIONNAIRE_DIR / "public_safety.xlsx",
                                 default_area_code="0396")
        session.execute(insert(Case), [{"project_id": project.id, "phone_e164": "+8613800000001",
                                        "state": "fresh", "attempts": 0, "priority": 0,
                                        "stratum": "", "attributes": {},
                                        "time_zone": "Asia/Shanghai"}])
    database.dispose()
    return url


def writer_waits(url: str, busy: subprocess.Popen) -> tuple[list[float], list[str]]:
    """Write to the one case until the import ends: each write's wait, and the errors."""
    from sqlalchemy import text

    from cati.storage.db import Database

    database = Database(url)
    waits: list[float] = []
    errors: list[str] = []
    try:
        while busy.poll() is None:
            started = time.perf_counter()
            try:
                with database.unit() as session:
                    session.execute(text("UPDATE cases SET priority = priority + 1 "
                                         "WHERE phone_e164 = '+8613800000001'"))
            except Exception as exc:  # counted: the point of the measure
                errors.append(str(exc).splitlines()[0])
            waits.append(time.perf_counter() - started)
            time.sleep(0.02)
    finally:
        database.dispose()
    return waits, errors


def run(rows: int, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    source = make_csv(rows, workdir)
    db_file = workdir / f"lock-{os.getpid()}.db"
    url = prepare(db_file)
    env = {**os.environ, "CATI_DATA_DIR": str(workdir / "data")}
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "cati", "--db", url, "sample", "import",
                              str(source), "--project", "LOCK", "--json"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    waits, errors = writer_waits(url, child)
    out, err = child.communicate()
    seconds = time.perf_counter() - started
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    return {"rows": rows, "import_exit": child.returncode, "import_s": round(seconds, 2),
            "counts": json.loads(out.splitlines()[-1]) if child.returncode == 0 else err.strip(),
            "writes": len(waits), "longest_wait_s": round(max(waits, default=0.0), 2),
            "failed_writes": len(errors), "first_error": errors[0] if errors else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "cati-bench-lock")
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.workdir), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark the phone-list import. Prints one JSON line.

Generates a deterministic phone list (60% mobiles in assorted formats, 25% landlines, 10%
duplicates, 5% invalid) as .xlsx and as a GBK .csv, then in one run times
(a) reading the sheet alone with the fastest reader (python-calamine, which holds the whole
sheet in memory) — the floor — and with the reader the import uses (streamed for large sheets),
(b) `cati sample import` end to end, in a fresh process, into SQLite and into PostgreSQL,
with the peak RSS of that process. ratio = (b) / (a). Targets for 1M rows: SQLite within 4x the
bare read, peak RSS under 400 MB.

PostgreSQL comes from CATI_TEST_PG_URL; without it the script runs itself again under
scripts/pg_tmp.sh, which starts a throw-away server.

Usage: scripts/bench_import.py [--rows N] [--workdir DIR] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOWNSHIPS = ["古槐街道", "清河街道", "东皇街道", "庙湾镇", "射桥镇", "西洋店镇", "阳城镇", "郭楼镇",
             "杨埠镇", "万金店镇", "高杨店镇", "辛店镇", "老王岗乡", "万冢镇", "十字路乡", "李屯镇",
             "玉皇庙乡", "双庙乡", "东和店镇"]
MOBILE_PREFIXES = ["138", "139", "150", "151", "186", "187", "133", "153", "177", "189"]


def phone_cells(rows: int, seed: int = 7):
    """(phone cell, township) pairs; cells are ints, floats or text, as real lists hold them."""
    rng = random.Random(seed)
    made: list[object] = []
    for _ in range(rows):
        roll = rng.random()
        if roll < 0.10 and made:
            cell = _reformat(rng.choice(made[-5000:]), rng)  # a duplicate, maybe re-spelled
        elif roll < 0.15:
            cell = rng.choice(["无", "abc", "1380013800", "13800138000转8", "4008123123", "95588"])
        elif roll < 0.40:
            cell = rng.choice(["0396-", "0396", ""]) + f"{rng.randint(2, 8)}{rng.randrange(10**6):06d}"
        else:
            digits = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            cell = _reformat(digits, rng)
        made.append(cell)
        yield cell, rng.choice(TOWNSHIPS)


def _reformat(value: object, rng: random.Random) -> object:
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if len(digits) != 11 or not digits.startswith("1"):
        return value
    style = rng.random()
    if style < 0.4:
        return digits
    if style < 0.6:
        return int(digits)
    if style < 0.7:
        return float(digits)
    if style < 0.8:
        return f"+86 {digits[:3]} {digits[3:7]} {digits[7:]}"
    if style < 0.9:
        return "0086" + digits
    return digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def make_files(rows: int, workdir: Path) -> tuple[Path, Path]:
    xlsx = workdir / f"phones-{rows}.xlsx"
    csv = workdir / f"phones-{rows}.csv"
    if xlsx.exists() and csv.exists():
        return xlsx, csv
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("样本")
    sheet.append(["平舆县电话样本"])
    sheet.append(["序号", "电话", "乡镇", "备注"])
    with csv.open("w", encoding="gb18030", newline="") as out:
        out.write("序号,电话,乡镇,备注\r\n")
        for n, (cell, town) in enumerate(phone_cells(rows), start=1):
            sheet.append([n, cell, town, "" if n % 3 else "晚上再打"])
            text = str(int(cell)) if isinstance(cell, float) else str(cell)
            out.write(f"{n},{text},{town},{'' if n % 3 else '晚上再打'}\r\n")
    book.save(xlsx)
    return xlsx, csv


def calamine_read(path: Path) -> float:
    """The fastest bare read of the sheet: python-calamine, cells only (holds the sheet)."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    count = sum(1 for _ in book.get_sheet_by_index(0).iter_rows())
    assert count > 0
    return time.perf_counter() - started


def bare_read(path: Path) -> float:
    """The bare read of the reader the import uses (streamed for large sheets: flat memory)."""
    from cati.sample.readers import open_sample

    started = time.perf_counter()
    with open_sample(path) as reader:
        count = sum(1 for _ in reader.rows())
    assert count > 0
    return time.perf_counter() - started


IMPORT_CHILD = """
import sys, time
from cati.storage.db import Database
from cati.services.projects import create_project
from cati.services.sample_import import import_sample
database = Database(sys.argv[1])
database.upgrade()
with database.unit() as session:
    create_project(session, "BENCH", sys.argv[3], default_area_code="0396")
started = time.perf_counter()
result = import_sample(database, "BENCH", sys.argv[2])
seconds = time.perf_counter() - started
# VmHWM is this process's own peak (ru_maxrss would carry the parent's peak across exec).
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status")
               if line.startswith("VmHWM:"))
print(seconds, result.rows, result.imported, peak_kb)
"""


def timed_import(db_url: str, path: Path) -> dict:
    form = ROOT / "data/questionnaires/public_safety.xlsx"
    output = subprocess.run([sys.executable, "-c", IMPORT_CHILD, db_url, str(path), str(form)],
                            capture_output=True, text=True, check=True).stdout.split()
    seconds, rows, imported, own_rss_kb = float(output[0]), int(output[1]), int(output[2]), int(output[3])
    return {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "imported": imported, "peak_rss_mb": round(own_rss_kb / 1024, 1)}


def fresh_pg_database(server_url: str) -> str:
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "cati-bench")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not args.skip_postgres and not os.environ.get("CATI_TEST_PG_URL"):
        os.execv("/usr/bin/env", ["env", "bash", str(ROOT / "scripts/pg_tmp.sh"),
                                  sys.executable, *sys.argv])
    args.workdir.mkdir(parents=True, exist_ok=True)
    xlsx, _csv = make_files(args.rows, args.workdir)
    floor = calamine_read(xlsx)
    streamed = bare_read(xlsx)
    result = {"rows": args.rows, "floor_s": round(floor, 2), "import_reader_s": round(streamed, 2)}
    sqlite_file = args.workdir / f"bench-{os.getpid()}.db"
    sqlite = timed_import(f"sqlite:///{sqlite_file}", xlsx)
    sqlite["ratio"] = round(sqlite["seconds"] / floor, 2)
    sqlite["ratio_vs_import_reader"] = round(sqlite["seconds"] / streamed, 2)
    result["sqlite"] = sqlite
    sqlite_file.unlink(missing_ok=True)
    if not args.skip_postgres:
        postgres = timed_import(fresh_pg_database(os.environ["CATI_TEST_PG_URL"]), xlsx)
        postgres["ratio"] = round(postgres["seconds"] / floor, 2)
        postgres["ratio_vs_import_reader"] = round(postgres["seconds"] / streamed, 2)
        result["postgres"] = postgres
    result["targets"] = {"sqlite_ratio_max": 4, "peak_rss_mb_max": 400}
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Phone-list imports under real faults: a room writing meanwhile, kill -9 at each step, a
PostgreSQL restart, concurrent imports of one list, a full rejects folder.

The promise: an import keeps other writers waiting moments only (SQLite's lock is taken in short
transactions); it is all or nothing — a stopped import leaves no case anyone can call, list or
count, and the next import (or ``cati sample cleanup``) removes what it left, or finishes adding
the cases of an import that was already decided; every failure is one line on the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pg_server import PgServer
from sqlalchemy import func, select, text

from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project, get_project
from cati.services.sample_browser import SampleBrowser
from cati.storage.db import Database
from cati.storage.models import AuditEntry, Case, ImportPending, SampleBatch

FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
ROOT = Path(__file__).resolve().parent.parent
FAULT = "CATI_TEST_IMPORT_FAULT"


def write_list(path: Path, rows: int, *, start: int = 0, invalid_every: int = 5,
               valid_every: int | None = None) -> Path:
    """A UTF-8 list of distinct mobile numbers: every ``invalid_every``-th row (or all but
    every ``valid_every``-th) is a cell that is no number, a row of the rejects report."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("电话,乡镇,备注\r\n")
        for n in range(start, start + rows):
            phone = f"139{n:08d}" if _valid(n, invalid_every, valid_every) else f"无效号码{n}"
            out.write(f"{phone},古槐街道,第{n}行\r\n")
    return path


def _valid(n: int, invalid_every: int, valid_every: int | None) -> bool:
    """Row 0 is always a number (the header is found above it)."""
    return n % valid_every == 0 if valid_every else (n + 1) % invalid_every != 0


def expected_imported(rows: int, *, start: int = 0, invalid_every: int = 5,
                      valid_every: int | None = None) -> int:
    return sum(1 for n in range(start, start + rows) if _valid(n, invalid_every, valid_every))


def cli(db_url: str, *args: str, env: dict[str, str] | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cati", "--db", db_url, *args], cwd=ROOT,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
                          capture_output=True, text=True, timeout=timeout, check=False)


def start_cli(db_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cati", "--db", db_url, *args], cwd=ROOT,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def make_project(database: Database, code: str = "P1") -> int:
    with database.unit() as session:
        return create_project(session, code, FORM, default_area_code="0396").id


def visible(database: Database, project_id: int) -> dict[str, int]:
    """What users see of a project's sample: the cases table, the supervisor's sample table and
    the project's case count, and how many import rows wait unpublished."""
    with database.unit(immediate=False) as session:
        cases = session.scalar(select(func.count(Case.id)).where(Case.project_id == project_id))
        code = session.scalar(text("SELECT code FROM projects WHERE id = :id"), {"id": project_id})
        listed = get_project(session, code).cases
        pending = session.scalar(select(func.count(ImportPending.id)))
        batches = dict(session.execute(select(SampleBatch.state, func.count())
                                       .group_by(SampleBatch.state)).all())
    return {"cases": cases, "listed": listed, "browser": SampleBrowser(database).count(project_id),
            "pending": pending, **{f"batches_{state}": n for state, n in batches.items()}}


def assert_one_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cati: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# -- D6: the room keeps writing during an import --------------------------------------------------
def test_an_sqlite_import_keeps_other_writers_waiting_moments_only(sqlite_url, tmp_path):
    database = Database(sqlite_url)
    database.upgrade()
    project_id = make_project(database)
    with database.unit() as session:
        session.execute(text("INSERT INTO cases (project_id, phone_e164, phone_raw, number_type, "
                             "region, carrier, time_zone, stratum, attributes, state, attempts, "
                             "priority, draw) VALUES (:p, '+8613800000001', '', '', '', '', "
                             "'Asia/Shanghai', '', '{}', 'fresh', 0, 0, 0)"), {"p": project_id})
    rows = 20_000  # 80% rejects: the old import held the lock for seconds to write them
    source = write_list(tmp_path / "big.csv", rows, valid_every=5)
    child = start_cli(sqlite_url, "sample", "import", str(source), "--project", "P1", "--json",
                      "--rejects", str(tmp_path / "rejects.xlsx"))
    waits, errors = [], []
    writer = Database(sqlite_url)  # a workstation's claim or answer save: normal busy timeout
    while child.poll() is None:
        began = time.perf_counter()
        try:
            with writer.unit() as session:
                session.execute(text("UPDATE cases SET priority = priority + 1 "
                                     "WHERE phone_e164 = '+8613800000001'"))
        except Exception as exc:
            errors.append(str(exc).splitlines()[0])
        waits.append(time.perf_counter() - began)
        time.sleep(0.02)
    writer.dispose()
    out, err = child.communicate()
    assert child.returncode == 0, err
    imported = expected_imported(rows, valid_every=5)
    assert json.loads(out.splitlines()[-1])["imported"] == imported
    assert errors == []
    assert max(waits) < 2.0, f"a writer waited {max(waits):.1f} s for the import's lock"
    assert visible(database, project_id)["cases"] == 1 + imported


# -- kill -9 at each step ------------------------------------------------------------------------
def test_an_import_killed_before_it_is_decided_leaves_nothing_visible(db_url, tmp_path):
    database = Database(db_url)
    database.upgrade()
    project_id = make_project(database)
    source = write_list(tmp_path / "list.csv", 300)
    killed = cli(db_url, "sample", "import", str(source), "--project", "P1",
                 env={FAULT: "pending:kill"})
    assert killed.returncode == -9
    seen = visible(database, project_id)
    assert seen["batches_importing"] == 1 and seen["pending"] == 240  # what the kill left...
    assert (seen["cases"], seen["listed"], seen["browser"]) == (0, 0, 0)  # ...is seen by no one
    from cati.calling.queue import claim_next_case

    assert claim_next_case(database, project_id, "ws-1") is None
    cleanup = cli(db_url, "sample", "cleanup")
    assert cleanup.returncode == 0, cleanup.stderr
    assert "removed an unfinished earlier import of list.csv" in cleanup.stdout
    assert visible(database, project_id) == {"cases": 0, "listed": 0, "browser": 0, "pending": 0}
    again = cli(db_url, "sample", "import", str(source), "--project", "P1", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.splitlines()[-1])["imported"] == 240


def test_the_next_import_removes_what_a_killed_one_left(db_url, tmp_path):
    database = Database(db_url)
    database.upgrade()
    project_id = make_project(database)
    source = write_list(tmp_path / "list.csv", 300)
    assert cli(db_url, "sample", "import", str(source), "--project", "P1",
               env={FAULT: "rejects:kill"}).returncode == -9
    assert visible(database, project_id)["cases"] == 0
    again = cli(db_url, "sample", "import", str(source), "--project", "P1", "--json")
    assert again.returncode == 0, again.stderr
    assert "removed an unfinished earlier import of list.csv" in again.stdout
    assert json.loads(again.stdout.splitlines()[-1])["imported"] == 240
    assert visible(database, project_id) == {"cases": 240, "listed": 240, "browser": 240,
                                             "pending": 0, "batches_complete": 1}


def test_an_sqlite_import_killed_while_adding_its_cases_is_finished_by_the_next(sqlite_url,
                                                                                tmp_path):
    database = Database(sqlite_url)
    database.upgrade()
    project_id = make_project(database)
    source = write_list(tmp_path / "list.csv", 8_000)
    assert cli(sqlite_url, "sample", "import", str(source), "--project", "P1",
               env={FAULT: "publishing:kill"}).returncode == -9
    seen = visible(database, project_id)
    assert seen["batches_publishing"] == 1 and 0 < seen["cases"] < 6_400
    assert seen["cases"] + seen["pending"] == 6_400  # decided: every case is stored
    more = write_list(tmp_path / "more.csv", 10, start=100_000)
    again = cli(sqlite_url, "sample", "import", str(more), "--project", "P1", "--json")
    assert again.returncode == 0, again.stderr
    assert "finished an earlier import of list.csv" in again.stdout
    assert visible(database, project_id) == {"cases": 6_408, "listed": 6_408, "browser": 6_408,
                                             "pending": 0, "batches_complete": 2}
    with database.unit(immediate=False) as session:
        audited = session.scalars(select(AuditEntry.details)
                                  .where(AuditEntry.action == "sample_imported")).all()
    assert [entry["file"] for entry in audited] == ["list.csv", "more.csv"]


# -- D7: a PostgreSQL restart during an import; concurrent imports of one list ------------------
@pytest.mark.postgres
@pytest.mark.parametrize(("point", "back_before_it_goes_on"), [("pending", True),
                                                               ("rejects", False)])
def test_a_postgresql_restart_during_an_import_is_one_line_and_leaves_nothing(
        tmp_path, point, back_before_it_goes_on):
    """Paused at ``point``, the import goes on after an immediate restart (it deletes its own
    rows), or while the server is still down (the next ``cati sample cleanup`` deletes them)."""
    with PgServer() as server:
        database = Database(server.url)
        database.upgrade()
        project_id = make_project(database)
        database.dispose()
        source = write_list(tmp_path / "list.csv", 300)
        flag = tmp_path / "paused"
        child = start_cli(server.url, "sample", "import", str(source), "--project", "P1",
                          env={FAULT: f"{point}:wait:{flag}"})
        deadline = time.monotonic() + 60
        while not flag.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), child.communicate()
        server.stop()
        if back_before_it_goes_on:
            server.start()
        flag.unlink()
        out, err = child.communicate(timeout=120)
        assert_one_line(subprocess.CompletedProcess(child.args, child.returncode, out, err),
                        "connection to the database was lost", "no case of it was added")
        if not back_before_it_goes_on:
            server.start()
        seen = visible(database, project_id)
        assert (seen["cases"], seen["listed"], seen["browser"]) == (0, 0, 0)
        assert seen["pending"] == (0 if back_before_it_goes_on else 240)
        cleanup = cli(server.url, "sample", "cleanup")
        assert cleanup.returncode == 0, cleanup.stderr
        assert ("no unfinished import" if back_before_it_goes_on
                else "removed an unfinished earlier import of list.csv") in cleanup.stdout
        assert visible(database, project_id) == {"cases": 0, "listed": 0, "browser": 0,
                                                 "pending": 0}
        database.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_concurrent_imports_of_one_list_import_it_once(db_url, tmp_path):
    database = Database(db_url)
    database.upgrade()
    project_id = make_project(database)
    source = write_list(tmp_path / "list.csv", 2_000)
    children = [start_cli(db_url, "sample", "import", str(source), "--project", "P1", "--json")
                for _ in range(6)]
    results = [(child.wait(timeout=180), *child.communicate()) for child in children]
    for code, _out, err in results:
        assert code == 0 and "Traceback" not in err, err
    imported = sorted(json.loads(out.splitlines()[-1])["imported"] for _, out, _ in results)
    assert imported == [0, 0, 0, 0, 0, 1_600]
    assert visible(database, project_id) == {"cases": 1_600, "listed": 1_600, "browser": 1_600,
                                             "pending": 0, "batches_complete": 6}


# -- smaller: openpyxl's temp files, a full rejects folder -------------------------------------
def test_a_kill_while_writing_the_rejects_leaves_no_temp_file_after_the_next_run(sqlite_url,
                                                                               tmp_path):
    database = Database(sqlite_url)
    database.upgrade()
    make_project(database)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"TMPDIR": str(temp)}
    source = write_list(tmp_path / "list.csv", 3_000, invalid_every=2)
    killed = cli(sqlite_url, "sample", "import", str(source), "--project", "P1",
                 env={**env, FAULT: "rejects:kill"})
    assert killed.returncode == -9
    assert [p for p in temp.rglob("openpyxl.*") if p.stat().st_size > 0]  # the kill left it
    again = cli(sqlite_url, "sample", "import", str(source), "--project", "P1", env=env)
    assert again.returncode == 0, again.stderr
    left = [str(p.relative_to(temp)) for p in temp.rglob("*")]
    assert left in ([], ["cati-xlsx"]), left


@pytest.fixture
def full_folder(tmp_path):
    """A 256 kB file system, nearly full: a real ENOSPC (needs root to mount a tmpfs)."""
    folder = tmp_path / "full"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        (folder / "filler").write_bytes(b"\0" * (200 * 1024))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_rejects_folder_fails_in_one_line_and_leaves_nothing(db_url, tmp_path,
                                                                  full_folder):
    database = Database(db_url)
    database.upgrade()
    project_id = make_project(database)
    source = write_list(tmp_path / "list.csv", 20_000, invalid_every=2)
    target = full_folder / "rejects.xlsx"
    result = cli(db_url, "sample", "import", str(source), "--project", "P1",
                 "--rejects", str(target))
    assert_one_line(result, "cannot write the rejects report", "nothing was imported")
    assert sorted(p.name for p in full_folder.iterdir()) == ["filler"]  # no .part left
    assert visible(database, project_id) == {"cases": 0, "listed": 0, "browser": 0,
                                             "pending": 0}

"""Faults of the store itself, as a user meets them: one line, exit 1, nothing changed.

A damaged SQLite file (random bytes, a truncated copy, an overwritten header) and an empty one
(0 bytes) are refused by every command and by the app's log-in; concurrent commands and
concurrent first-time migrations on PostgreSQL all succeed; a full temporary folder is named
as such (a real tmpfs of 64 KiB); a read-only store (as root a read-only bind mount, since
file modes do not stop root; otherwise a 0444 file in a 0555 folder) reads and refuses writes
in one line.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cati.errors import CatiError, StorageDamaged
from cati.storage.db import Database

ROOT = Path(__file__).resolve().parent.parent


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command's error: exit 1 and one line on stderr, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def _real_store(path: Path) -> None:
    database = Database(f"sqlite:///{path}")
    try:
        database.upgrade()
    finally:
        database.dispose()


def _random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(40_000))


def _truncated(path: Path) -> None:
    _real_store(path)
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 3)


def _header_overwritten(path: Path) -> None:
    _real_store(path)
    with open(path, "r+b") as file:
        file.write(b"this is no SQLite header at all, just text" * 4)


@pytest.mark.parametrize(("damage", "commands"), [
    (_random_bytes, (["db", "upgrade"], ["dnc", "add", "13800138000"])),
    (_truncated, (["project", "list"], ["users", "list"])),
    (_header_overwritten, (["db", "current"], ["quota", "list", "--project", "X"])),
], ids=["random-bytes", "truncated", "header-overwritten"])
def test_a_damaged_store_is_one_line_for_every_command_and_the_login(damage, commands,
                                                                     tmp_path, run_cli):
    path = tmp_path / "cati.db"
    damage(path)
    before = path.read_bytes()
    for command in commands:
        line = _one_line(run_cli("--db", f"sqlite:///{path}", *command))
        assert "not a cati database or is damaged" in line and str(path) in line, line
    from cati.backend import Backend  # what the app's log-in window calls first

    backend = Backend(f"sqlite:///{path}")
    with pytest.raises(StorageDamaged) as raised:
        backend.open()
    assert str(path) in str(raised.value) and len(str(raised.value).splitlines()) == 1
    assert path.read_bytes() == before


def test_an_empty_store_file_is_refused_not_made_anew(tmp_path, run_cli):
    path = tmp_path / "cati.db"
    path.touch()  # a store truncated to 0 bytes by accident
    for command in (["demo"], ["project", "list"]):
        line = _one_line(run_cli("--db", f"sqlite:///{path}", *command))
        assert "empty (0 bytes)" in line and str(path) in line and "delete" in line, line
    assert path.stat().st_size == 0
    with pytest.raises(CatiError):
        Database(f"sqlite:///{path}")
    path.unlink()  # what the hint says: a new store is made where there is none
    result = run_cli("--db", f"sqlite:///{path}", "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert path.stat().st_size > 0


# -- concurrent first use of one row ------------------------------------------------------------

WORKERS = 16


def _at_once(url: str, work) -> list[BaseException]:  # type: ignore[no-untyped-def]
    """``work(database, i)`` in WORKERS threads, each with its own Database (its own
    connections, as separate workstations), released together; the errors they raised."""
    import threading

    ready = threading.Barrier(WORKERS)
    errors: list[BaseException] = []
    results: list[object] = [None] * WORKERS

    def run(i: int) -> None:
        database = Database(url)
        try:
            with database.unit(immediate=False) as session:  # connected before the start
                session.execute(select(1))
            ready.wait()
            results[i] = work(database, i)
        except BaseException as error:
            errors.append(error)
        finally:
            database.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    _at_once.results = results  # type: ignore[attr-defined]
    return errors


def test_concurrent_first_quota_and_dnc_changes_all_succeed(database, one_case_project):
    from cati.services import admin, quotas
    from cati.services.dnc import add_numbers
    from cati.services.users import add_user
    from cati.storage.models import DoNotCall, Quota

    with database.unit() as session:
        boss = add_user(session, "boss", "a long enough password", "admin").id

    errors = _at_once(database.url, lambda db, i: quotas.set_quota(
        db, one_case_project, "城关镇", 10 + i))
    assert errors == []
    errors = _at_once(database.url, lambda db, i: admin.set_quota(
        db, boss, one_case_project, "古槐街道", 30 + i))
    assert errors == []

    def add(db: Database, i: int):  # type: ignore[no-untyped-def]
        with db.unit() as session:
            return add_numbers(session, ["13800138000", f"139{i:08d}"])

    errors = _at_once(database.url, add)
    assert errors == []
    results = _at_once.results  # type: ignore[attr-defined]
    assert sum(r.added for r in results) == WORKERS + 1
    assert sum(r.already for r in results) == WORKERS - 1
    with database.unit(immediate=False) as session:
        rows = dict(session.execute(select(Quota.stratum, Quota.target)).all())
        assert set(rows) == {"城关镇", "古槐街道"}
        assert 10 <= rows["城关镇"] < 10 + WORKERS and 30 <= rows["古槐街道"] < 30 + WORKERS
        assert session.scalar(select(func.count()).select_from(DoNotCall)) == WORKERS + 1


# -- concurrent first-time migration ------------------------------------------------------------

MIGRATORS = 8


def test_concurrent_first_time_migration_all_succeed(db_url):
    """Eight workstations run `cati db upgrade` on one new database at the same moment: all
    succeed and the schema is at the newest revision once."""
    from cati.storage.migrate import current_revision, head_revision

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    children = [subprocess.Popen([sys.executable, "-m", "cati", "--db", db_url, "db", "upgrade"],
                                 cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(MIGRATORS)]
    failures = []
    for child in children:
        _out, err = child.communicate(timeout=180)
        if child.returncode != 0 or err.strip():
            failures.append((child.returncode, err.strip().splitlines()[-1:]))
    assert failures == []
    database = Database(db_url)
    try:
        assert current_revision(database.engine) == head_revision()
        with database.unit(immediate=False) as session:
            from cati.storage.models import Project

            assert session.scalar(select(func.count()).select_from(Project)) == 0
    finally:
        database.dispose()


# -- a read-only store --------------------------------------------------------------------------


@pytest.fixture
def read_only_store(tmp_path):  # type: ignore[no-untyped-def]
    """A real store with one project and one quota, then made read-only for real: as root (to
    whom file modes mean nothing) a read-only bind mount of its folder; otherwise a 0444 file
    in a 0555 folder. Yields the URL of the read-only path."""
    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project
    from cati.services.quotas import set_quota

    store = tmp_path / "store"
    store.mkdir()
    database = Database(f"sqlite:///{store / 'cati.db'}")
    try:
        database.upgrade()
        with database.unit() as session:
            project = create_project(session, "RO", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        set_quota(database, project.id, "城关镇", 7)
    finally:
        database.dispose()  # the last connection folds the -wal file back in
    if os.geteuid() != 0:
        (store / "cati.db").chmod(0o444)
        store.chmod(0o555)
        yield f"sqlite:///{store / 'cati.db'}"
        store.chmod(0o755)
        return
    mounted = tmp_path / "ro"
    mounted.mkdir()
    subprocess.run(["mount", "--bind", str(store), str(mounted)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)], check=True)
        assert not os.access(mounted / "cati.db", os.W_OK)
        yield f"sqlite:///{mounted / 'cati.db'}"
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def test_a_read_only_store_reads_and_a_write_says_read_only(read_only_store, run_cli):
    listed = run_cli("--db", read_only_store, "project", "list")
    assert listed.returncode == 0 and "RO" in listed.stdout, listed.stderr
    quotas = run_cli("--db", read_only_store, "quota", "list", "--project", "RO")
    assert quotas.returncode == 0 and "城关镇" in quotas.stdout, quotas.stderr
    dnc = run_cli("--db", read_only_store, "dnc", "list")  # a unit that took the write lock
    assert dnc.returncode == 0 and not dnc.stderr.strip(), dnc.stderr

    line = _one_line(run_cli("--db", read_only_store, "quota", "set", "--project", "RO",
                             "--stratum", "城关镇", "--target", "9"))
    assert "read-only" in line and "nothing of this change was saved" in line, line

    from cati.services.projects import list_projects
    from cati.services.quotas import list_quotas

    database = Database(read_only_store)
    try:
        with database.unit(immediate=False) as session:
            project = next(p for p in list_projects(session) if p.code == "RO")
        assert [(c.stratum, c.target) for c in list_quotas(database, project.id)] == [
            ("城关镇", 7)]
    finally:
        database.dispose()


# -- a full temporary folder --------------------------------------------------------------------


@pytest.fixture
def full_temp_folder(tmp_path):  # type: ignore[no-untyped-def]
    """A real 64 KiB tmpfs, filled up: SQLite's temporary folder for the command."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "tmp"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], check=True)
    try:
        filler = os.open(folder / "filler", os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            while os.write(filler, b"\0" * 4096):
                pass
        except OSError:  # ENOSPC: full
            pass
        finally:
            os.close(filler)
        assert shutil.disk_usage(folder).free == 0
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_temporary_folder_is_named_not_the_database(full_temp_folder, sqlite_url,
                                                           tmp_path, run_cli):
    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project
    from cati.storage.models import Case

    database = Database(sqlite_url)
    try:
        database.upgrade()
        with database.unit() as session:
            create_project(session, "TMP", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    finally:
        database.dispose()
    draw = random.Random(5)
    phones = sorted({f"139{draw.randrange(10**8):08d}" for _ in range(1500)})
    listing = tmp_path / "list.csv"
    listing.write_text("电话,乡镇\n" + "".join(f"{p},城关镇\n" for p in phones), encoding="utf-8")

    result = run_cli("--db", sqlite_url, "sample", "import", listing, "--project", "TMP",
                     env={"SQLITE_TMPDIR": str(full_temp_folder)})
    line = _one_line(result)
    assert f"temporary folder {full_temp_folder} is full" in line, line
    assert "database" not in line.split(":")[1], line
    database = Database(sqlite_url)
    try:
        with database.unit(immediate=False) as session:  # all or nothing
            assert session.scalar(select(func.count()).select_from(Case)) in (0, len(phones))
    finally:
        database.dispose()


def test_a_conflict_that_reaches_the_command_line_is_one_line(pg_url):
    """A real unique violation and a real serialization failure on the server: the command
    line's error for them (cli.main's last resort) is one line, not a traceback."""
    import psycopg
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from cati.storage.db import database_label
    from cati.storage.retry import conflict_error

    database = Database(pg_url)
    errors = []
    try:
        with database.engine.connect() as one, database.engine.connect() as two:
            one.execute(text("CREATE TEMP TABLE t_conflict (k int PRIMARY KEY, v int)"))
            one.execute(text("INSERT INTO t_conflict VALUES (1, 0)"))
            with pytest.raises(DBAPIError) as raised:
                one.execute(text("INSERT INTO t_conflict VALUES (1, 1)"))
            errors.append(raised.value)
            one.rollback()
            two.execute(text("CREATE TABLE IF NOT EXISTS t_serial (k int PRIMARY KEY, v int)"))
            two.execute(text("INSERT INTO t_serial VALUES (1, 0) ON CONFLICT DO NOTHING"))
            two.commit()
            one.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            one.execute(text("SELECT v FROM t_serial WHERE k = 1"))
            two.execute(text("UPDATE t_serial SET v = v + 1 WHERE k = 1"))
            two.commit()
            with pytest.raises(DBAPIError) as raised:
                one.execute(text("UPDATE t_serial SET v = v + 1 WHERE k = 1"))
            errors.append(raised.value)
            one.rollback()
            two.execute(text("DROP TABLE t_serial"))
            two.commit()
    finally:
        database.dispose()
    assert [type(e.orig) for e in errors] == [psycopg.errors.UniqueViolation,
                                              psycopg.errors.SerializationFailure]
    for error in errors:
        line = str(conflict_error(error, database_label(pg_url)))
        assert len(line.splitlines()) == 1 and "at the same moment" in line, line

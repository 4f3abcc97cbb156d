"""Importing phone lists: precedence, counts, rejects, all-or-nothing, idempotence, do-not-call.

Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from cati.config import QUESTIONNAIRE_DIR
from cati.services.dnc import add_numbers
from cati.services.projects import create_project
from cati.services.sample_import import ImportCancelled, ImportOptions, import_sample
from cati.storage.models import Case, SampleBatch

FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"

# (phone cell, what becomes of it) in file order; the header is on row 2 under a title row.
ROWS = [
    ("13800138000", "imported"),
    ("+86 138 0013 8000", "duplicate_in_file"),
    ("0086-13800138000", "duplicate_in_file"),
    ("１３９００１３９０００", "imported"),  # full-width digits
    ("6543210", "imported"),  # bare local number: the default area code goes in front
    ("0396-6543210", "duplicate_in_file"),
    ("13700137000", "dnc"),
    ("13600136000", "duplicate_existing"),
    ("abc", "invalid"),
    ("13800138000转123", "invalid"),
    ("4008123123", "invalid"),
    ("95588", "invalid"),
    ("", "invalid"),  # a row with a town but no number is a row
    ("=1+1", "invalid"),
]


@pytest.fixture
def database(database):
    with database.unit() as session:
        create_project(session, "P1", FORM, default_area_code="0396")
        add_numbers(session, ["13700137000"], reason="asked not to be called")
        add_numbers(session, ["13500135000"], reason="expired",
                    expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    return database


def write_csv(path, rows, encoding="gb18030"):
    """A GBK list with a title row above the header, as townships send them."""
    from sample_files import write_csv as write_delimited

    return write_delimited(path, [["平舆县11月样本", "", ""], ["电话", "乡镇", "备注"],
                                  *([phone, "古槐街道", f"第{n}行"] for n, phone in enumerate(rows))],
                           encoding=encoding)


def case_count(database) -> int:
    with database.unit() as session:
        return session.scalar(select(func.count(Case.id)))


def seed_existing(database, tmp_path):
    path = write_csv(tmp_path / "first.csv", ["13600136000"])
    result = import_sample(database, "P1", path)
    assert result.imported == 1


def test_precedence_counts_and_rejects(database, tmp_path):
    seed_existing(database, tmp_path)
    path = write_csv(tmp_path / "list.csv", [phone for phone, _ in ROWS])
    result = import_sample(database, "P1", path)
    expected = {outcome: sum(1 for _, o in ROWS if o == outcome)
                for outcome in ("imported", "invalid", "duplicate_in_file",
                                "duplicate_existing", "dnc")}
    counts = result.counts()
    assert {k: counts[k] for k in expected} == expected
    assert counts["rows"] == len(ROWS)
    assert result.layout.header_row == 2 and result.layout.phone_column == "电话"
    assert case_count(database) == 1 + expected["imported"]
    with database.unit() as session:
        stored = session.scalars(select(Case).where(Case.batch_id == result.batch_id)
                                 .order_by(Case.id).options(undefer(Case.phone_e164))).all()
        batch = session.get(SampleBatch, result.batch_id)
    assert [c.phone_e164 for c in stored] == ["+8613800138000", "+8613900139000", "+863966543210"]
    assert stored[0].stratum == "古槐街道" and stored[0].attributes == {"备注": "第0行"}
    assert stored[0].number_type == "mobile" and stored[2].number_type == "fixed_line"
    assert batch.counts["imported"] == 3 and batch.file_name == "list.csv"
    sheet = openpyxl.load_workbook(result.rejects_file).active
    rejects = [row for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert [r[0] for r in rejects] == [n + 3 for n, (_, o) in enumerate(ROWS) if o != "imported"]
    by_row = {r[0]: r for r in rejects}
    assert "文件内重复" in by_row[4][2] and by_row[4][1] == "+86 138 0013 8000"
    assert "免打扰" in by_row[9][2]
    assert "toll_free" in by_row[13][2] or "shared_cost" in by_row[13][2] or "uan" in by_row[13][2]
    formula_cell = sheet.cell(row=2 + len(rejects), column=2)  # the last row: "=1+1"
    assert formula_cell.value == "=1+1" and formula_cell.data_type == "s"


def test_same_file_again_imports_nothing(database, tmp_path):
    path = write_csv(tmp_path / "list.csv", [phone for phone, _ in ROWS])
    first = import_sample(database, "P1", path)
    second = import_sample(database, "P1", path)
    assert second.imported == 0
    assert second.duplicate_existing == first.imported
    assert case_count(database) == first.imported


def test_dry_run_changes_nothing(database, tmp_path):
    path = write_csv(tmp_path / "list.csv", [phone for phone, _ in ROWS])
    result = import_sample(database, "P1", path, ImportOptions(dry_run=True))
    assert result.imported == 4 and result.batch_id is None
    assert case_count(database) == 0
    assert os.path.exists(result.rejects_file)
    with database.unit() as session:
        assert session.scalar(select(func.count(SampleBatch.id))) == 0


def test_cancel_changes_nothing(database, tmp_path):
    path = write_csv(tmp_path / "list.csv", [f"138{n:08d}" for n in range(12_000)])
    seen = []

    def cancel_late() -> bool:
        seen.append(1)
        return len(seen) > 3

    with pytest.raises(ImportCancelled):
        import_sample(database, "P1", path, should_cancel=cancel_late)
    assert case_count(database) == 0


KILLED_IMPORT = textwrap.dedent("""
    import sys, time
    from cati.storage.db import Database
    from cati.services.sample_import import import_sample
    steps = []
    def progress(p):
        steps.append(p.phase)
        if steps.count("writing") == 2:  # cases inserted, rejects written, not yet committed
            print("BEFORE_COMMIT", flush=True)
            time.sleep(120)
    import_sample(Database(sys.argv[1]), "P1", sys.argv[2], progress=progress)
""")


def test_killed_import_leaves_the_project_as_it_was(database, db_url, tmp_path):
    seed_existing(database, tmp_path)
    path = write_csv(tmp_path / "big.csv", [f"139{n:08d}" for n in range(20_000)])
    child = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, db_url, str(path)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "BEFORE_COMMIT"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert case_count(database) == 1
    again = import_sample(database, "P1", path)  # the database is not left locked or half-done
    assert again.imported == 20_000


def test_cli_json_summary(run_cli, database, db_url, tmp_path):
    path = write_csv(tmp_path / "list.csv", [phone for phone, _ in ROWS])
    result = run_cli("--db", db_url, "sample", "import", path, "--project", "P1", "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["rows"] == len(ROWS)
    assert sum(counts[k] for k in ("imported", "invalid", "duplicate_in_file",
                                   "duplicate_existing", "dnc")) == len(ROWS)
    assert counts["rejects_file"].endswith(".xlsx")


def test_cli_import_as_a_user(run_cli, database, db_url, tmp_path):
    from cati.services.users import add_user
    from cati.storage.models import AuditEntry

    with database.unit() as session:
        boss = add_user(session, "boss", "a-long-password", "supervisor").id
        add_user(session, "caller", "a-long-password", "interviewer")
    path = write_csv(tmp_path / "list.csv", ["13800138000", "13900139000"])
    refused = run_cli("--db", db_url, "sample", "import", path, "--project", "P1",
                      "--user", "caller")
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "supervisor" in refused.stderr and case_count(database) == 0
    unknown = run_cli("--db", db_url, "sample", "import", path, "--project", "P1",
                      "--user", "nobody")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "cati: no user 'nobody'"
    done = run_cli("--db", db_url, "sample", "import", path, "--project", "P1", "--user", "boss")
    assert done.returncode == 0, done.stderr
    with database.unit() as session:
        assert session.scalar(select(SampleBatch.imported_by)) == boss
        entries = session.execute(select(AuditEntry.user_id, AuditEntry.action)).all()
    assert (boss, "sample_imported") in entries
    assert case_count(database) == 2


def test_cli_unknown_project_and_bad_file(run_cli, database, db_url, tmp_path):
    path = write_csv(tmp_path / "list.csv", ["13800138000"])
    result = run_cli("--db", db_url, "sample", "import", path, "--project", "NOPE")
    assert result.returncode == 1 and result.stderr.strip() == "cati: no project 'NOPE'"
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 50)
    result = run_cli("--db", db_url, "sample", "import", junk, "--project", "P1")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "junk.csv" in result.stderr
    assert case_count(database) == 0


def test_dnc_commands(run_cli, database, db_url):
    result = run_cli("--db", db_url, "dnc", "add", "13100131000", "+86 131 0013 1000",
                     "--reason", "投诉")
    assert result.returncode == 0 and "added 1, already listed 1" in result.stdout
    bad = run_cli("--db", db_url, "dnc", "add", "12345")
    assert bad.returncode == 1 and "nothing was added" in bad.stderr
    listed = run_cli("--db", db_url, "dnc", "list").stdout
    assert "+8613100131000" in listed and "投诉" in listed


def test_expired_dnc_entry_does_not_block(database, tmp_path):
    path = write_csv(tmp_path / "list.csv", ["13500135000"])
    assert import_sample(database, "P1", path).imported == 1


def test_xlsx_cells_of_every_kind(database, tmp_path):
    from sample_files import write_xlsx

    with database.unit() as session:
        create_project(session, "NOAREA", FORM)  # no default area code
    rows = [["2026年11月样本"], [], ["序号", "手机号码", "街道", "姓名"],
            [1, 13800138000, "古槐街道", "甲"],          # an Excel number
            [2, 13800138000.0, "清河街道", "乙"],        # the same as a float: duplicate
            [3, "+86 13800138000", "清河街道", "丙"],     # the same with +86: duplicate
            [4, "１５０００１５００００", "东皇街道", "丁"],   # full-width digits
            [],                                           # a blank row is not a row
            [5, "0086 150 0015 0000", "东皇街道", "戊"],   # 00 prefix: duplicate
            [6, 6543210, "射桥镇", "己"],                 # bare local number
            [7, "95588", "射桥镇", "庚"],
            [8, "4001234567", "射桥镇", "辛"]]
    path = write_xlsx(tmp_path / "cells.xlsx", rows)
    with_area = import_sample(database, "P1", path)
    assert (with_area.rows, with_area.imported, with_area.duplicate_in_file,
            with_area.invalid) == (8, 3, 3, 2)
    without = import_sample(database, "NOAREA", path, ImportOptions(dry_run=True))
    assert (without.imported, without.invalid) == (2, 3)  # the local number needs an area code
    sheet = openpyxl.load_workbook(without.rejects_file).active
    reasons = {row[0]: row[2] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert "区号" in reasons[10] and "文件内重复" in reasons[6]
    with database.unit() as session:
        strata = session.scalars(select(Case.stratum).order_by(Case.id)).all()
    assert strata == ["古槐街道", "东皇街道", "射桥镇"]


@pytest.mark.parametrize("bad", ["png", "encrypted", "empty", "no_phone", "huge_cell", "junk"])
def test_bad_files_change_nothing(run_cli, database, db_url, tmp_path, bad):
    from sample_files import write_encrypted_workbook, write_xlsx

    path = tmp_path / ("list.csv" if bad in ("junk", "huge_cell") else "list.xlsx")
    if bad == "png":
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    elif bad == "encrypted":
        write_encrypted_workbook(path)
    elif bad == "empty":
        path.write_bytes(b"")
    elif bad == "no_phone":
        write_xlsx(path, [["姓名", "乡镇"], ["张三", "古槐街道"]])
    elif bad == "huge_cell":
        path.write_text("电话,备注\n13800138000," + "x" * (10 << 20) + "\n", encoding="utf-8")
    else:
        path.write_bytes(bytes(range(256)) * 40)
    result = run_cli("--db", db_url, "sample", "import", path, "--project", "P1", "--json")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cati: ") and path.name in lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert case_count(database) == 0


def test_dnc_import_then_blocks_the_import(run_cli, database, db_url, tmp_path):
    blocked = write_csv(tmp_path / "dnc.csv", ["13300133000", "+86 133 0013 3000", "bad"])
    result = run_cli("--db", db_url, "dnc", "import", blocked, "--reason", "本人要求")
    assert result.returncode == 0, result.stderr
    assert "added 1, already listed 1, invalid 1" in result.stdout
    listing = write_csv(tmp_path / "list.csv", ["13300133000", "13200132000"])
    outcome = import_sample(database, "P1", listing)
    assert (outcome.dnc, outcome.imported) == (1, 1)


def test_a_missing_file_or_a_folder_is_one_line_and_stores_nothing(run_cli, database, db_url,
                                                                  tmp_path):
    for path, says in ((tmp_path / "gone.csv", "no such file"), (tmp_path, "is a folder")):
        for extra in ((), ("--dry-run",)):
            done = run_cli("--db", db_url, "sample", "import", path, "--project", "P1", *extra)
            assert done.returncode == 1, done.stderr
            assert done.stderr.strip() == f"cati: {path}: " + {
                "no such file": "no such file (找不到文件)",
                "is a folder": "is a folder, not a phone list (这是文件夹,不是号码文件)"}[says]
    assert case_count(database) == 0
    with database.unit() as session:
        assert session.scalar(select(SampleBatch.id)) is None


def test_an_unknown_township_is_imported_but_said(run_cli, database, db_url, tmp_path):
    """The shipped questionnaire lists 19 townships: a list naming another (a misspelling)
    imports, and the command says which and how many instead of staying silent."""
    path = tmp_path / "list.csv"
    path.write_text("电话,乡镇\n13800138000,古槐街道\n13800138001,古槐镇\n13800138002,古槐镇\n",
                    encoding="utf-8")
    done = run_cli("--db", db_url, "sample", "import", path, "--project", "P1",
                   "--stratum-column", "乡镇", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines() == [
        "warning: 2 numbers name a stratum the questionnaire's stratum question does not list: "
        "古槐镇 (2); they are imported as they are — check the spelling (样本层与问卷中的乡镇不符)"]
    assert json.loads(done.stdout.strip().splitlines()[-1])["unknown_strata"] == {"古槐镇": 2}
    assert case_count(database) == 3


def test_stopping_the_parallel_check_mid_way_returns_at_once(tmp_path):
    """A cancelled import leaves the pool of checking processes while chunks are queued for
    them: Pool.terminate() could hang for ever there (its task thread blocked sending a chunk to
    the workers it had just killed), and the import dialog's cancel hung with it."""
    import threading

    from cati.sample.phones import PhoneRule
    from cati.sample.readers import open_sample
    from cati.services.sample_import import _checked_chunks

    path = write_csv(tmp_path / "big.csv", [f"138{n:08d}" for n in range(120_000)])
    assert path.stat().st_size > 1_000_000  # the parallel path
    with open_sample(path) as reader:
        checked = _checked_chunks(reader.rows(), PhoneRule(), path)
        assert next(checked)  # a chunk back; the rest queued for the workers
        stopper = threading.Thread(target=checked.close, daemon=True)
        stopper.start()
        stopper.join(timeout=60)
        assert not stopper.is_alive(), "leaving the pool hung"

"""Projects, accounts and the demo through the command line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

from cati.config import QUESTIONNAIRE_DIR

SHIPPED = QUESTIONNAIRE_DIR / "public_safety.xlsx"


def test_project_create_and_list(run_cli, db_url):
    result = run_cli("--db", db_url, "project", "create", "PY2026_11", "--form", SHIPPED,
                     "--name", "平舆县11月测评", "--default-area-code", "0396")
    assert result.returncode == 0, result.stderr
    listed = json.loads(run_cli("--db", db_url, "project", "list", "--json").stdout)
    assert listed == [{"code": "PY2026_11", "name": "平舆县11月测评", "status": "active",
                       "form_id": "public_safety", "form_version": listed[0]["form_version"],
                       "cases": 0}]
    again = run_cli("--db", db_url, "project", "create", "PY2026_11", "--form", SHIPPED)
    assert again.returncode == 1
    assert again.stderr.strip() == "cati: project 'PY2026_11' already exists"


def test_project_with_a_broken_form_changes_nothing(run_cli, db_url, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    result = run_cli("--db", db_url, "project", "create", "X", "--form", bad)
    assert result.returncode == 1
    assert result.stderr.startswith("cati: bad.xlsx: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(run_cli("--db", db_url, "project", "list", "--json").stdout) == []


def test_bad_area_code(run_cli, db_url):
    result = run_cli("--db", db_url, "project", "create", "X", "--form", SHIPPED,
                     "--default-area-code", "799")
    assert result.returncode == 1 and "area code" in result.stderr


def test_users_add_with_password_on_stdin(run_cli, db_url):
    result = run_cli("--db", db_url, "users", "add", "chen", "--role", "supervisor",
                     "--password-stdin", input="long enough password\n")
    assert result.returncode == 0, result.stderr
    listed = run_cli("--db", db_url, "users", "list").stdout
    assert "chen" in listed and "supervisor" in listed
    no_tty = run_cli("--db", db_url, "users", "add", "wu", "--role", "interviewer")
    assert no_tty.returncode == 1 and "--password-stdin" in no_tty.stderr


def test_demo_is_created_once(run_cli, db_url):
    first = run_cli("--db", db_url, "demo", "--sample-only")
    assert first.returncode == 0, first.stderr
    assert "created demo project DEMO" in first.stdout
    passwords = [line.split() for line in first.stdout.splitlines() if line.startswith("  ")]
    assert [p[0] for p in passwords] == ["admin", "supervisor", "interviewer1", "interviewer2"]
    second = run_cli("--db", db_url, "demo")
    assert second.returncode == 0
    assert "already exists" in second.stdout and passwords[0][1] not in second.stdout
    projects = json.loads(run_cli("--db", db_url, "project", "list", "--json").stdout)
    assert projects[0]["code"] == "DEMO" and projects[0]["cases"] == 3000


def test_default_database_is_in_the_data_directory(run_cli, tmp_path):
    env = {"CATI_DATA_DIR": str(tmp_path / "home")}
    result = run_cli("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "home" / "cati.db").is_file()


def test_unreachable_postgres_is_one_line(run_cli):
    result = run_cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "project", "list")
    assert result.returncode == 1
    assert result.stderr.startswith("cati: cannot open the database")
    assert "Traceback" not in result.stderr


def test_output_into_a_pipe_that_closes_is_no_traceback(tmp_path):
    """`cati … | head`: the reader stops early; cati stops quietly, with no traceback."""
    command = (f"{shlex.quote(sys.executable)} -m cati form walk "
               f"{shlex.quote(str(QUESTIONNAIRE_DIR / 'public_safety.xlsx'))} --random 20 | true")
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "CATI_DATA_DIR": str(tmp_path)})
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr

"""Quotas and the disposition table through the command line (SQLite; the services run on
both backends in test_claim_order)."""

from __future__ import annotations

import json

from cati.config import QUESTIONNAIRE_DIR


def _project(run_cli, url):
    result = run_cli("--db", url, "project", "create", "Q1", "--form",
                     QUESTIONNAIRE_DIR / "public_safety.xlsx")
    assert result.returncode == 0, result.stderr


def test_quota_set_list_remove(run_cli, sqlite_url):
    _project(run_cli, sqlite_url)
    assert run_cli("--db", sqlite_url, "quota", "set", "--project", "Q1", "--stratum", "古槐街道",
                   "--target", "40").stdout.strip() == "古槐街道: 0/40"
    assert run_cli("--db", sqlite_url, "quota", "set", "--project", "Q1", "--stratum", "清河街道",
                   "--target", "0").stdout.strip() == "清河街道: 0/0 (full)"
    listed = json.loads(run_cli("--db", sqlite_url, "quota", "list", "--project", "Q1",
                                "--json").stdout)
    assert listed == [{"stratum": "古槐街道", "name": "古槐街道", "target": 40, "completes": 0,
                       "full": False, "condition": "", "sample_only": False},
                      {"stratum": "清河街道", "name": "清河街道", "target": 0, "completes": 0,
                       "full": True, "condition": "", "sample_only": False}]
    bad = run_cli("--db", sqlite_url, "quota", "set", "--project", "Q1", "--stratum", "x",
                  "--target", "-1")
    assert (bad.returncode, bad.stderr.strip()) == (
        1, "cati: a quota target must be 0 or more, not -1")
    assert run_cli("--db", sqlite_url, "quota", "remove", "--project", "Q1", "--stratum",
                   "清河街道").returncode == 0
    gone = run_cli("--db", sqlite_url, "quota", "remove", "--project", "Q1", "--stratum",
                   "清河街道")
    assert gone.returncode == 1 and "no quota" in gone.stderr


def test_quotas_load_from_a_workbook_all_or_none(run_cli, sqlite_url, tmp_path):
    """A centre's quota sheet (township, target; a sex × age cell with its condition) set in
    one go; a sheet with one bad row sets nothing and names the file, the sheet and the row."""
    import openpyxl

    _project(run_cli, sqlite_url)

    def sheet(name, rows):
        book = openpyxl.Workbook()
        book.active.title = "配额"
        for row in rows:
            book.active.append(row)
        book.save(tmp_path / name)
        return str(tmp_path / name)

    def listed():
        return {(c["name"], c["target"], c["condition"]) for c in json.loads(run_cli(
            "--db", sqlite_url, "quota", "list", "--project", "Q1", "--json").stdout)}

    bad = run_cli("--db", sqlite_url, "quota", "load", "--project", "Q1",
                  sheet("bad.xlsx", [("乡镇", "目标"), ("古槐街道", 40), ("清河街道", "很多")]))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1, bad.stderr
    assert "bad.xlsx, sheet 配额" in bad.stderr and "row 3" in bad.stderr
    assert listed() == set()
    good = run_cli("--db", sqlite_url, "quota", "load", "--project", "Q1", sheet(
        "good.xlsx", [("乡镇", "目标"), ("古槐街道", 40), ("清河街道", 35),
                      ("男18-34", 20, "${gender} = '1' and ${resp_age} < 35")]))
    assert good.returncode == 0, good.stderr
    assert listed() == {("古槐街道", 40, ""), ("清河街道", 35, ""),
                        ("男18-34", 20, "${gender} = '1' and ${resp_age} < 35")}
    missing = run_cli("--db", sqlite_url, "quota", "load", "--project", "Q1",
                      str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "nope.csv: no such file" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_disposition_table_is_editable_but_not_its_class(run_cli, sqlite_url):
    _project(run_cli, sqlite_url)
    changed = run_cli("--db", sqlite_url, "disposition", "set", "3.13", "--project", "Q1",
                      "--retry-minutes", "90", "--label-zh", "无人接")
    assert changed.returncode == 0, changed.stderr
    rows = {row["code"]: row for row in json.loads(
        run_cli("--db", sqlite_url, "disposition", "list", "--project", "Q1", "--json").stdout)}
    assert (rows["3.13"]["retry_minutes"], rows["3.13"]["label_zh"]) == (90, "无人接")
    assert rows["3.13"]["aapor_class"] == "UH" and not rows["3.13"]["final"]
    final = run_cli("--db", sqlite_url, "disposition", "set", "4.31", "--project", "Q1",
                    "--retry-minutes", "30")
    assert (final.returncode, final.stderr.strip()) == (
        1, "cati: 4.31 is final: it has no retry delay")

"""``cati report aapor``: rates computed from the cases' dispositions, overall and by group."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert

from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.storage.models import Case

CASES = [  # (disposition, stratum)
    ("1.1", "古槐街道"), ("1.1", "清河街道"), ("2.112", "古槐街道"), ("3.13", "清河街道"),
    ("4.31", "古槐街道"), (None, "清河街道"),
]


@pytest.fixture
def filled(database):
    with database.unit() as session:
        project = create_project(session, "R", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380000000{n}", "disposition": code,
             "state": "closed" if code else "fresh", "attempts": 1 if code else 0,
             "priority": 0, "stratum": stratum, "attributes": {}}
            for n, (code, stratum) in enumerate(CASES)])
    return database


def test_rates_overall_and_by_stratum(run_cli, filled, db_url):
    result = run_cli("--db", db_url, "report", "aapor", "--project", "R", "--by", "stratum",
                     "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["group"]: row for row in json.loads(result.stdout)}
    overall = rows["ALL"]
    # I=2, R=1, UH=2 (a no-answer and a number never called), NE=1
    assert overall["counts"] == {"I": 2, "R": 1, "UH": 2, "NE": 1}
    assert overall["rates"]["RR1"] == pytest.approx(2 / 5)
    assert overall["rates"]["e"] == pytest.approx(3 / 4)  # proportional allocation
    assert overall["rates"]["RR3"] == pytest.approx(2 / (3 + 0.75 * 2))
    assert overall["rates"]["COOP1"] == pytest.approx(2 / 3)
    town = rows["古槐街道"]
    assert town["counts"] == {"I": 1, "R": 1, "NE": 1}
    assert town["rates"]["RR1"] == pytest.approx(1 / 2)
    assert set(rows) == {"ALL", "古槐街道", "清河街道"}


def test_text_table_and_empty_project(run_cli, filled, db_url):
    text = run_cli("--db", db_url, "report", "aapor", "--project", "R").stdout
    assert "RR3" in text and "40.0%" in text and "proportional allocation" in text
    with filled.unit() as session:
        create_project(session, "EMPTY", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    rows = json.loads(run_cli("--db", db_url, "report", "aapor", "--project", "EMPTY",
                              "--json").stdout)
    assert rows[0]["rates"]["RR1"] is None  # undefined, not 0
    missing = run_cli("--db", db_url, "report", "aapor", "--project", "NOPE")
    assert missing.returncode == 1 and "no project" in missing.stderr

"""A project's telephony settings from the command line (recording, ring time, the proposed
disposition of each outcome), on SQLite and PostgreSQL, and a call that follows them."""

from __future__ import annotations

import json

import pytest
from sip_lab import Respondent
from sqlalchemy import select

from cati.storage.models import AuditEntry, Project


def _cli(run_cli, db_url, *args):
    return run_cli("phone", *args, env={"CATI_DB_URL": db_url})


def _settings(database) -> dict:
    with database.unit(immediate=False) as session:
        return dict(session.scalar(select(Project.settings).where(Project.code == "ONE")))


def test_defaults_then_a_change_is_stored_and_audited(run_cli, database, one_case_project):
    shown = _cli(run_cli, database.url, "settings", "ONE", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "project": "ONE", "record_calls": False, "no_answer_after_s": 30.0,
        "proposals": {"answered": None, "busy": "3.12", "no_answer": "3.13",
                      "rejected": "3.15", "not_found": "4.31", "failed": "3.16"}}
    done = _cli(run_cli, database.url, "settings", "ONE", "--record-calls", "on",
                "--no-answer-after", "20", "--propose", "rejected=2.111",
                "--propose", "busy=none", "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert (found["record_calls"], found["no_answer_after_s"]) == (True, 20.0)
    assert (found["proposals"]["rejected"], found["proposals"]["busy"]) == ("2.111", None)
    with database.unit(immediate=False) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "project_settings_changed")).one()
    assert entry.details["new"]["call_outcome_dispositions"] == {"rejected": "2.111",
                                                                 "busy": None}
    text = _cli(run_cli, database.url, "settings", "ONE")
    assert "recording on" in text.stdout and "busy       -> (the interviewer codes it)" in (
        text.stdout)


@pytest.mark.parametrize("args, message", [
    (["--propose", "rejected=9.99"], "'9.99' is not a disposition of project ONE"),
    (["--propose", "hung=3.12"], "'hung' is not a call outcome"),
    (["--propose", "busy"], "write OUTCOME=CODE"),
    (["--no-answer-after", "500"], "between 5 and 180 seconds"),
])
def test_a_mistake_is_one_line_and_changes_nothing(run_cli, database, one_case_project, args,
                                                   message):
    before = _settings(database)
    done = _cli(run_cli, database.url, "settings", "ONE", "--record-calls", "on", *args)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("cati: ") and message in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert _settings(database) == before


@pytest.mark.telephony
def test_a_call_follows_the_projects_settings(run_cli, database, one_case_project, tmp_path,
                                              monkeypatch):
    monkeypatch.setenv("CATI_DATA_DIR", str(tmp_path))
    assert _cli(run_cli, database.url, "settings", "ONE", "--no-answer-after", "5",
                "--propose", "busy=none").returncode == 0
    with Respondent("busy") as busy:
        done = _cli(run_cli, database.url, "call", busy.uri, "--project", "ONE", "--json")
    result = json.loads(done.stdout)
    assert (result["outcome"], result["proposed_disposition"]) == ("busy", None)
    with Respondent("ring") as ringing:
        done = _cli(run_cli, database.url, "call", ringing.uri, "--project", "ONE", "--json")
    result = json.loads(done.stdout)
    assert (result["outcome"], result["proposed_disposition"]) == ("no_answer", "3.13")
    assert 4.5 < result["ring_s"] < 5.5

"""``cati case explain``: every rule, whether it blocks now, and when the case is next callable."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import insert

from cati.calling.explain_case import explain_case
from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.storage.models import Case, Quota

BEIJING = dt.timezone(dt.timedelta(hours=8))
MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING)


def make_case(database, stratum="古槐街道") -> tuple[int, int]:
    with database.unit() as session:
        project = create_project(session, "E", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        case_id = session.execute(insert(Case).returning(Case.id), [{
            "project_id": project.id, "phone_e164": "+8613800000001", "state": "fresh",
            "attempts": 0, "priority": 0, "stratum": stratum, "attributes": {},
            "time_zone": "Asia/Shanghai"}]).scalar_one()
    return project.id, case_id


def test_busy_case_explained_before_and_after_its_retry(database):
    project_id, case_id = make_case(database)
    claimed = claim_next_case(database, project_id, "ws1", now=MORNING)
    record_outcome(database, claimed.case_id, "ws1", "3.12", now=MORNING)
    with database.unit() as session:
        soon = explain_case(session, case_id, MORNING + dt.timedelta(minutes=5))
        later = explain_case(session, case_id, MORNING + dt.timedelta(minutes=20))
        night = explain_case(session, case_id, MORNING.replace(hour=22))
    assert not soon.callable_now
    assert [c.rule for c in soon.blocking] == ["retry_delay"]
    assert soon.next_callable_at == MORNING + dt.timedelta(minutes=15)
    assert later.callable_now and not later.blocking
    assert [c.rule for c in night.blocking] == ["calling_hours"]
    assert night.next_callable_at == dt.datetime(2026, 11, 24, 9, 0, tzinfo=BEIJING)


def test_full_quota_and_closed_never_lift(database, run_cli, db_url):
    project_id, case_id = make_case(database)
    with database.unit() as session:
        session.add(Quota(project_id=project_id, stratum="古槐街道", target=0))
    result = run_cli("--db", db_url, "case", "explain", str(case_id), "--json",
                     "--at", MORNING.isoformat())
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["callable_now"] is False and out["next_callable_at"] is None
    blocking = [c["rule"] for c in out["checks"] if c["blocks"]]
    assert blocking == ["quota"]
    text = run_cli("--db", db_url, "case", "explain", str(case_id), "--at", MORNING.isoformat())
    assert "never" in text.stdout and "quota" in text.stdout
    missing = run_cli("--db", db_url, "case", "explain", "999999")
    assert missing.returncode == 1 and missing.stderr.strip() == "cati: no case 999999"

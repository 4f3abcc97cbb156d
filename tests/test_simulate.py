"""``cati simulate``: a short simulated call centre on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from cati.services.demo import create_demo
from cati.storage.models import Answer, CallAttempt, Interview


def test_short_simulation_is_green(run_cli, database, db_url):
    with database.unit() as session:
        create_demo(session, cases=300)
    result = run_cli("--db", db_url, "simulate", "--project", "DEMO", "--interviewers", "3",
                     "--minutes", "90", "--speed", "600", "--seed", "4", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["claims"] > 5  # how many depends on the machine (real time at --speed)
    assert out["duplicate_claims"] == 0 and out["lost_answers"] == 0
    assert sum(out["dispositions"].values()) == out["claims"]
    assert out["claim_p50_ms"] is not None and out["claim_p99_ms"] >= out["claim_p50_ms"]
    with database.unit() as session:
        attempts = session.scalar(select(func.count(CallAttempt.id)))
        answered = session.scalar(select(func.count(Answer.id)))
        complete = session.scalar(select(func.count(Interview.id))
                                  .where(Interview.state == "complete"))
    assert attempts == out["claims"]
    assert answered > 0 and complete == out["completes"]

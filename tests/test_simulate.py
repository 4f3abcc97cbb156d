"""``cati simulate``: a short simulated call centre on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import threading

from sqlalchemy import func, select

from cati.calling.simulate import simulate
from cati.services.demo import create_demo
from cati.storage.models import Answer, CallAttempt, Interview, Presence, User

START = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing, a Tuesday


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


def test_runs_sharing_a_store_each_pass_their_own_checks(database, db_url):
    """Two runs at once, then one after them, on one store. Each checked the whole store: the
    other run's attempts counted as doubled, and both runs' "sim1" were one workstation in two
    places. Now each run checks its own work, on workstations named for the run, and leaves no
    presence rows behind."""
    with database.unit() as session:
        create_demo(session, cases=200)
    results: list = []

    def run(seed: int) -> None:
        results.append(simulate(db_url, "DEMO", 2, 90, seed=seed, speed=1800, start=START))

    together = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2)]
    for thread in together:
        thread.start()
    for thread in together:
        thread.join(timeout=240)
    run(3)
    assert len(results) == 3
    assert all(result.attempts > 0 for result in results)  # each run has work to check
    for result in results:
        broken = {name: getattr(result, name) for name in (
            "duplicate_claims", "lost_answers", "missing_attempts", "doubled_attempts",
            "answers_differ")}
        assert broken == dict.fromkeys(broken, 0), result
    with database.unit() as session:
        attempts = session.scalar(select(func.count(CallAttempt.id)))
        workstations = set(session.scalars(select(CallAttempt.workstation).distinct()))
        presence = session.scalar(select(func.count()).select_from(Presence))
        accounts = session.scalar(select(func.count()).select_from(User)
                                  .where(User.username.like("sim%")))
    assert attempts == sum(result.attempts for result in results)
    assert len({name.rsplit("-", 1)[1] for name in workstations}) == 3  # three runs
    assert presence == 0 and accounts == 2  # the accounts are made once

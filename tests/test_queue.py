"""The shared call queue: many workstations in many processes never hold the same case."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

from lease_time import pass_lease_time
from sqlalchemy import insert

from cati.calling.queue import claim_next_case, release_case, renew_lease
from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.storage.db import Database
from cati.storage.models import Case

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def make_project(database: Database, cases: int) -> int:
    with database.unit() as session:
        project = create_project(session, "Q", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        if cases:
            session.execute(insert(Case), [
                {"project_id": project.id, "phone_e164": f"+86138{n:08d}", "state": "fresh",
                 "attempts": 0, "priority": 0, "stratum": "", "attributes": {}}
                for n in range(cases)])
    return project.id


CLAIMER = textwrap.dedent("""
    import datetime as dt, sys
    from cati.calling.queue import claim_next_case
    from cati.storage.db import Database
    database = Database(sys.argv[1])
    now = dt.datetime.fromisoformat(sys.argv[4])
    claimed = []
    while (case := claim_next_case(database, int(sys.argv[2]), sys.argv[3], now=now)) is not None:
        claimed.append(str(case.case_id))
    print(" ".join(claimed))
""")


def test_concurrent_claimers_never_share_a_case(database, db_url):
    cases = 300
    project_id = make_project(database, cases)
    workers = 8 if not database.is_sqlite else 4
    processes = [subprocess.Popen([sys.executable, "-c", CLAIMER, db_url, str(project_id),
                                   f"ws{n}", NOW.isoformat()], stdout=subprocess.PIPE,
                                  text=True)
                 for n in range(workers)]
    claimed = []
    for process in processes:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0
        claimed.extend(int(x) for x in out.split())
    assert len(claimed) == len(set(claimed)) == cases  # every case once, none twice


def test_lease_expiry_returns_the_case(database):
    project_id = make_project(database, 1)
    first = claim_next_case(database, project_id, "ws1", now=NOW)
    assert first is not None and first.phone_e164 == "+8613800000000"
    pass_lease_time(database, dt.timedelta(minutes=5))
    assert claim_next_case(database, project_id, "ws2", now=NOW + dt.timedelta(minutes=5)) is None
    pass_lease_time(database, dt.timedelta(minutes=4))
    assert renew_lease(database, first.case_id, "ws1", now=NOW + dt.timedelta(minutes=9))
    pass_lease_time(database, dt.timedelta(minutes=6))
    assert claim_next_case(database, project_id, "ws2", now=NOW + dt.timedelta(minutes=15)) is None
    later = NOW + dt.timedelta(minutes=20)  # ws1 went silent: its renewed lease ran out at 19
    pass_lease_time(database, dt.timedelta(minutes=5))
    second = claim_next_case(database, project_id, "ws2", now=later)
    assert second is not None and second.case_id == first.case_id
    assert not renew_lease(database, first.case_id, "ws1", now=later)  # ws1 is told it lost it
    assert not release_case(database, first.case_id, "ws1")
    assert release_case(database, first.case_id, "ws2")
    assert claim_next_case(database, project_id, "ws3", now=later) is not None


def test_order_resume_then_retries_then_fresh_and_not_before_due(database):
    project_id = make_project(database, 0)
    with database.unit() as session:
        session.execute(insert(Case), [
            {"project_id": project_id, "phone_e164": phone, "state": state, "attempts": 0,
             "priority": priority, "stratum": "", "attributes": {}, "next_call_at": due}
            for phone, state, priority, due in [
                ("+8613900000001", "fresh", 0, None),
                ("+8613900000002", "scheduled", 0, NOW - dt.timedelta(minutes=1)),
                ("+8613900000003", "scheduled", 0, NOW + dt.timedelta(hours=1)),
                ("+8613900000004", "resume", 0, None),
                ("+8613900000005", "fresh", 5, None),
                ("+8613900000006", "closed", 0, None),
            ]])
    order = []
    while (claimed := claim_next_case(database, project_id, "ws", now=NOW)) is not None:
        order.append(claimed.phone_e164[-1])
    assert order == ["4", "2", "5", "1"]


def test_only_numbers_inside_their_calling_hours_are_served(database):
    project_id = make_project(database, 0)
    with database.unit() as session:
        session.execute(insert(Case), [
            {"project_id": project_id, "phone_e164": phone, "state": "fresh", "attempts": 0,
             "priority": 0, "stratum": "", "attributes": {}, "time_zone": zone}
            for phone, zone in [("+8613900000001", "Asia/Shanghai"),
                                ("+12025550123", "America/New_York")]])
    beijing_morning = NOW  # 10:00 in Beijing, 21:00 the evening before in New York
    first = claim_next_case(database, project_id, "ws1", now=beijing_morning)
    assert first is not None and first.time_zone == "Asia/Shanghai"
    assert claim_next_case(database, project_id, "ws2", now=beijing_morning) is None
    new_york_morning = NOW + dt.timedelta(hours=12)  # 22:00 in Beijing, 09:00 in New York
    second = claim_next_case(database, project_id, "ws2", now=new_york_morning)
    assert second is not None and second.time_zone == "America/New_York"

"""Recording call outcomes: attempts stored, cases closed, scheduled or set to resume."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from lease_time import pass_lease_time
from sqlalchemy import func, select

from cati.calling.outcomes import LeaseLost, record_outcome
from cati.calling.queue import claim_next_case
from cati.errors import CatiError
from cati.storage.models import CallAttempt, Case

BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING).astimezone(dt.UTC)


@pytest.fixture
def project_id(one_case_project):
    return one_case_project


def call(database, project_id, code, now, workstation="ws1"):
    claimed = claim_next_case(database, project_id, workstation, now=now)
    assert claimed is not None, f"nothing to call at {now}"
    return record_outcome(database, claimed.case_id, workstation, code, interviewer_id=None,
                          now=now)


def test_final_code_closes_the_case(database, project_id):
    result = call(database, project_id, "4.31", MONDAY_10)
    assert (result.state, result.disposition, result.next_call_at) == ("closed", "4.31", None)
    assert claim_next_case(database, project_id, "ws2", now=MONDAY_10 + dt.timedelta(days=9)) is None
    with database.unit() as session:
        assert session.scalar(select(func.count(CallAttempt.id))) == 1


def test_busy_is_retried_after_its_delay_within_calling_hours(database, project_id):
    result = call(database, project_id, "3.12", MONDAY_10)
    assert result.state == "scheduled" and result.next_call_at == MONDAY_10 + dt.timedelta(minutes=15)
    evening = dt.datetime(2026, 11, 23, 20, 50, tzinfo=BEIJING).astimezone(dt.UTC)
    with database.unit() as session:
        session.get(Case, result.case_id).next_call_at = None
    late = call(database, project_id, "3.12", evening)
    assert late.next_call_at.astimezone(BEIJING) == dt.datetime(2026, 11, 24, 9, 0, tzinfo=BEIJING)


def test_partial_is_called_back_to_resume(database, project_id):
    result = call(database, project_id, "1.2", MONDAY_10)
    assert result.state == "resume" and result.next_call_at == MONDAY_10 + dt.timedelta(hours=1)


def test_max_attempts_closes_as_unknown_or_eligible(database, project_id):
    now = MONDAY_10
    for _ in range(6):
        result = call(database, project_id, "3.13", now)
        now = result.next_call_at or now
    assert (result.state, result.disposition) == ("closed", "3.90")
    with database.unit() as session:
        assert session.get(Case, result.case_id).attempts == 6


def test_second_refusal_closes(database, project_id):
    first = call(database, project_id, "2.112", MONDAY_10)
    assert first.state == "scheduled" and first.next_call_at >= MONDAY_10 + dt.timedelta(days=7)
    second = call(database, project_id, "2.111", first.next_call_at)
    assert (second.state, second.disposition) == ("closed", "2.111")


def test_a_lost_lease_is_refused_and_changes_nothing(database, project_id):
    claimed = claim_next_case(database, project_id, "ws1", now=MONDAY_10)
    later = MONDAY_10 + dt.timedelta(minutes=30)
    pass_lease_time(database, dt.timedelta(minutes=30))
    assert claim_next_case(database, project_id, "ws2", now=later) is not None
    with pytest.raises(LeaseLost):
        record_outcome(database, claimed.case_id, "ws1", "1.1", now=later)
    with pytest.raises(CatiError, match="not a disposition"):
        record_outcome(database, claimed.case_id, "ws2", "9.99", now=later)
    with database.unit() as session:
        assert session.scalar(select(func.count(CallAttempt.id))) == 0

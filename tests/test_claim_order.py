"""The claim against a real store: appointments first (hard ones reserved), missed ones put
back, an interviewer's unfinished interview before the queue, quotas stopping full strata and
leading the fresh draw, a crashed workstation taking its case back."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from lease_time import pass_lease_time
from sqlalchemy import insert, select

from cati.calling.outcomes import book_appointment, record_outcome
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError
from cati.services.interviews import open_interview, save_answers
from cati.services.projects import create_project
from cati.services.quotas import list_quotas, set_quota
from cati.services.users import add_user
from cati.storage.models import Appointment, Case, Interview

BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING).astimezone(dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def project(database):
    """A project on the shipped form: 2 interviewers, 6 fresh numbers in 3 strata."""
    with database.unit() as session:
        project = create_project(session, "ORDER", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        users = [add_user(session, name, "password-123", "interviewer").id
                 for name in ("wang", "li")]
        rows = [{"project_id": project.id, "phone_e164": f"+86138000000{n:02d}",
                 "state": "fresh", "attempts": 0, "priority": 0, "stratum": stratum,
                 "attributes": {}, "time_zone": "Asia/Shanghai", "draw": draw}
                for n, (stratum, draw) in enumerate([("古槐街道", 5), ("古槐街道", 1), ("清河街道", 9),
                                                     ("清河街道", 2), ("其他", 3), ("其他", 4)])]
        session.execute(insert(Case), rows)
        ids = dict(session.execute(select(Case.phone_e164, Case.id)).all())
    return project.id, users, [ids[f"+86138000000{n:02d}"] for n in range(6)]


def _close(database, case_id, workstation, now, code="4.31"):
    record_outcome(database, case_id, workstation, code, now=now)


def test_fresh_numbers_come_in_their_random_draw_order(database, project):
    project_id, _, cases = project
    order = []
    while (claimed := claim_next_case(database, project_id, "ws", now=MONDAY_10)) is not None:
        order.append(claimed.case_id)
    by_draw = [cases[i] for i in (1, 3, 4, 5, 0, 2)]  # draws 1, 2, 3, 4, 5, 9
    assert order == by_draw


def test_a_soft_appointment_comes_first_at_its_time_even_after_calling_hours(database, project):
    project_id, (wang, li), _cases = project
    claimed = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=MONDAY_10)
    start = dt.datetime(2026, 11, 23, 21, 30, tzinfo=BEIJING)  # the respondent's choice
    book_appointment(database, claimed.case_id, "ws1", window_start=start,
                     window_end=start + HOUR, interviewer_id=wang, note="晚上九点半后",
                     now=MONDAY_10)
    # Before the window: the case is not served, other numbers are.
    before = claim_next_case(database, project_id, "ws2", interviewer_id=li,
                             now=start - dt.timedelta(minutes=35))  # 20:55
    assert before is not None and before.case_id != claimed.case_id
    # In the window (21:40, outside calling hours): the appointment is served, to anyone.
    due = claim_next_case(database, project_id, "ws3", interviewer_id=li,
                          now=start + dt.timedelta(minutes=10))
    assert (due.case_id, due.source) == (claimed.case_id, "appointment")
    _close(database, due.case_id, "ws3", start + dt.timedelta(minutes=12), code="1.1")
    with database.unit() as session:
        appointment = session.scalar(select(Appointment))
        assert appointment.kept_by_attempt_id is not None and not appointment.missed


def test_a_hard_appointment_is_kept_for_its_interviewer_until_the_window_ends(database,
                                                                               project):
    project_id, (wang, li), _cases = project
    claimed = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=MONDAY_10)
    start = MONDAY_10 + 4 * HOUR
    book_appointment(database, claimed.case_id, "ws1", window_start=start,
                     window_end=start + HOUR, hard=True, interviewer_id=wang, now=MONDAY_10)
    during = start + dt.timedelta(minutes=20)
    for_li = claim_next_case(database, project_id, "ws2", interviewer_id=li, now=during)
    assert for_li is not None and for_li.case_id != claimed.case_id
    for_wang = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=during)
    assert (for_wang.case_id, for_wang.source) == (claimed.case_id, "appointment")


def test_a_missed_appointment_is_flagged_and_goes_back_as_a_due_retry(database, project):
    project_id, (wang, li), _cases = project
    claimed = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=MONDAY_10)
    start = MONDAY_10 + 4 * HOUR  # 14:00-15:00
    book_appointment(database, claimed.case_id, "ws1", window_start=start,
                     window_end=start + HOUR, hard=True, interviewer_id=wang, now=MONDAY_10)
    # Everything else is closed, so the only case left is the appointment.
    while (other := claim_next_case(database, project_id, "ws9", now=MONDAY_10)) is not None:
        _close(database, other.case_id, "ws9", MONDAY_10)
    after = start + HOUR + dt.timedelta(minutes=30)  # wang never called
    again = claim_next_case(database, project_id, "ws2", interviewer_id=li, now=after)
    assert (again.case_id, again.source) == (claimed.case_id, "queue")
    with database.unit() as session:
        appointment = session.scalar(select(Appointment))
        assert appointment.missed and appointment.kept_by_attempt_id is None
        assert session.get(Case, claimed.case_id).state == "scheduled"


def test_booking_refuses_a_window_that_ends_before_it_starts(database, project):
    project_id, (wang, _), _ = project
    claimed = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=MONDAY_10)
    with pytest.raises(CatiError, match="end after"):
        book_appointment(database, claimed.case_id, "ws1", window_start=MONDAY_10 + HOUR,
                         window_end=MONDAY_10 + HOUR, interviewer_id=wang, now=MONDAY_10)
    with database.unit() as session:
        assert session.scalar(select(Appointment)) is None
        assert session.get(Case, claimed.case_id).lease_holder == "ws1"


def test_the_interviewer_gets_back_an_interview_they_left_unfinished(database, project):
    project_id, (wang, li), _cases = project
    first = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=MONDAY_10)
    open_interview(database, project_id, case_id=first.case_id, interviewer_id=wang,
                   workstation="ws1", now=MONDAY_10)
    later = MONDAY_10 + dt.timedelta(minutes=11)  # the lease ran out (the window was closed)
    pass_lease_time(database, dt.timedelta(minutes=11))
    li_gets = claim_next_case(database, project_id, "ws2", interviewer_id=li, now=later)
    wang_gets = claim_next_case(database, project_id, "ws3", interviewer_id=wang, now=later)
    assert li_gets.case_id != first.case_id
    assert (wang_gets.case_id, wang_gets.source) == (first.case_id, "resume")


def test_a_restarted_workstation_takes_back_the_case_it_still_holds(database, project):
    project_id, (wang, _), _ = project
    held = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=MONDAY_10)
    soon = MONDAY_10 + dt.timedelta(minutes=2)
    pass_lease_time(database, dt.timedelta(minutes=2))
    again = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=soon,
                            take_back=True)
    assert (again.case_id, again.source) == (held.case_id, "held")
    # A fresh 10-minute lease from the store's clock (2 of the first had passed), not from
    # the business clock ``soon``.
    assert dt.timedelta(0) <= again.lease_expires_at - held.lease_expires_at < dt.timedelta(
        minutes=1)
    other = claim_next_case(database, project_id, "ws1", interviewer_id=wang, now=soon)
    assert other.case_id != held.case_id


def _complete(database, project_id, case_id, workstation, township, now):
    interview = open_interview(database, project_id, case_id=case_id, workstation=workstation,
                               now=now)
    result = save_answers(database, interview.id, {"township": township},
                          current_item="urban_rural", workstation=workstation, now=now)
    record_outcome(database, case_id, workstation, "1.1", now=now, interview_id=interview.id)
    return result


def test_quotas_lead_the_fresh_draw_and_stop_full_strata(database, project):
    project_id, _, cases = project
    set_quota(database, project_id, "古槐街道", 1)
    set_quota(database, project_id, "清河街道", 2)
    # Both strata at 0/target: the tie goes to the name; random order within the stratum.
    first = claim_next_case(database, project_id, "ws", now=MONDAY_10)
    assert (first.case_id, first.source) == (cases[1], "fresh")
    # 古槐街道 is township choice 1 in the shipped form: its answer fills the cell.
    saved = _complete(database, project_id, first.case_id, "ws", "1", MONDAY_10)
    assert saved.stratum == "古槐街道" and not saved.quota_full
    assert [(q.stratum, q.completes, q.full) for q in list_quotas(database, project_id)] == [
        ("古槐街道", 1, True), ("清河街道", 0, False)]
    # 古槐街道 is full: its other number is never served; 清河街道 (0/2) leads, then 其他.
    order = []
    while (claimed := claim_next_case(database, project_id, "ws", now=MONDAY_10)) is not None:
        order.append(claimed.case_id)
    assert order == [cases[3], cases[2], cases[4], cases[5]]


def test_an_interview_in_a_full_cell_is_told_so(database, project):
    project_id, _, _cases = project
    set_quota(database, project_id, "古槐街道", 1)
    first = claim_next_case(database, project_id, "ws", now=MONDAY_10)
    _complete(database, project_id, first.case_id, "ws", "1", MONDAY_10)
    # A respondent sampled elsewhere says they live in 古槐街道: the cell is full (4.80).
    other = claim_next_case(database, project_id, "ws", now=MONDAY_10)
    interview = open_interview(database, project_id, case_id=other.case_id, workstation="ws",
                               now=MONDAY_10)
    result = save_answers(database, interview.id, {"township": "1"}, current_item="urban_rural",
                          workstation="ws", now=MONDAY_10)
    assert result.quota_full
    record_outcome(database, other.case_id, "ws", "4.80", now=MONDAY_10,
                   interview_id=interview.id)
    with database.unit() as session:
        stored = session.get(Interview, interview.id)
        assert (stored.state, stored.disposition, stored.stratum) == (
            "screened_out", "4.80", "古槐街道")
        assert session.get(Case, other.case_id).disposition == "4.80"


def test_raising_a_target_reopens_the_stratum_at_the_next_claim(database, project):
    project_id, _, cases = project
    set_quota(database, project_id, "古槐街道", 0)
    set_quota(database, project_id, "清河街道", 0)
    set_quota(database, project_id, "其他", 0)
    assert claim_next_case(database, project_id, "ws", now=MONDAY_10) is None
    set_quota(database, project_id, "其他", 5)
    claimed = claim_next_case(database, project_id, "ws", now=MONDAY_10)
    assert claimed.case_id == cases[4]

"""The sample browser: the supervisor's filtered, sorted, paged view of a project's cases and the
actions on them, each checked against the database on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import undefer

from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError, NotFound, PermissionDenied
from cati.services.projects import create_project
from cati.services.sample_browser import (
    NO_DISPOSITION,
    SORT_COLUMNS,
    CaseRow,
    SampleBrowser,
    SampleFilters,
    SampleSort,
)
from cati.storage.models import Appointment, AuditEntry, CallAttempt, Case, DoNotCall, User

BEIJING = dt.timezone(dt.timedelta(hours=8))
MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING)  # inside calling hours
STRATA = ("东皇街道", "古槐街道", "万金店镇")
CASES = 40


def case_values(project_id: int, n: int) -> dict:
    """Case n of the test sample: every fifth closed, every fifth leased, a spread of the rest."""
    state = ("closed", "scheduled", "fresh", "appointment", "fresh")[n % 5]
    return {
        "project_id": project_id, "phone_e164": f"+86138{(n * 7919) % 10**8:08d}",
        "phone_raw": "", "number_type": "mobile", "region": ("驻马店", "郑州")[n % 2],
        "carrier": ("中国移动", "中国联通", "中国电信")[n % 3],
        "time_zone": "Asia/Shanghai", "stratum": STRATA[n % 3], "attributes": {},
        "state": state,
        "disposition": {"closed": ("1.1", "4.31")[n % 2], "scheduled": "3.13"}.get(state),
        "attempts": n % 4, "priority": n % 3 - 1,
        "next_call_at": (MORNING + dt.timedelta(hours=n % 6)) if state == "scheduled" else None,
        "lease_holder": f"ws{n % 2}" if n % 5 == 4 else None,
        "lease_expires_at": MORNING + dt.timedelta(minutes=10 + n) if n % 5 == 4 else None,
        "draw": n,
    }


@pytest.fixture
def sample(database):
    """(project id, supervisor id, interviewer id) with CASES cases and one other project."""
    with database.unit() as session:
        project = create_project(session, "S", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        other = create_project(session, "OTHER", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [case_values(project.id, n) for n in range(CASES)])
        session.execute(insert(Case), [case_values(other.id, n) for n in range(5)])
        users = session.execute(insert(User).returning(User.id), [
            {"username": "boss", "display_name": "督导王", "role": "supervisor",
             "password_hash": "x", "active": True, "created_at": MORNING},
            {"username": "ivan", "display_name": "访问员周", "role": "interviewer",
             "password_hash": "x", "active": True, "created_at": MORNING}]).scalars().all()
    return project.id, users[0], users[1]


@pytest.fixture
def browser(database) -> SampleBrowser:
    return SampleBrowser(database)


def all_rows(database, project_id: int) -> list[CaseRow]:
    columns = [getattr(Case, name) for name in SORT_COLUMNS]
    with database.unit(immediate=False) as session:
        return [CaseRow(*row) for row in session.execute(
            select(*columns).where(Case.project_id == project_id).order_by(Case.id))]


def case(database, case_id: int) -> Case:
    with database.unit(immediate=False) as session:  # the phone too (a deferred column)
        return session.get(Case, case_id, options=[undefer(Case.phone_e164)])


def ids_where(database, project_id: int, **values) -> list[int]:
    with database.unit(immediate=False) as session:
        return list(session.scalars(select(Case.id).filter_by(project_id=project_id, **values)
                                    .order_by(Case.id)))


def audit(database, action: str) -> list[AuditEntry]:
    with database.unit(immediate=False) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# -- reading -----------------------------------------------------------------------------------


def test_unfiltered_count_and_first_page_are_the_projects_cases_in_id_order(
        database, browser, sample):
    project_id, _, _ = sample
    expected = all_rows(database, project_id)
    assert browser.count(project_id) == CASES
    assert browser.page(project_id, limit=10) == expected[:10]
    assert browser.page(project_id, offset=35, limit=10) == expected[35:]


@pytest.mark.parametrize(("filters", "keep"), [
    (SampleFilters(stratum="古槐街道"), lambda r: r.stratum == "古槐街道"),
    (SampleFilters(state="closed"), lambda r: r.state == "closed"),
    (SampleFilters(disposition="3.13"), lambda r: r.disposition == "3.13"),
    (SampleFilters(disposition=NO_DISPOSITION), lambda r: r.disposition is None),
    (SampleFilters(min_attempts=2), lambda r: r.attempts >= 2),
    (SampleFilters(max_attempts=1), lambda r: r.attempts <= 1),
    (SampleFilters(min_attempts=1, max_attempts=2), lambda r: 1 <= r.attempts <= 2),
    (SampleFilters(phone="79"), lambda r: "79" in r.phone_e164),
    (SampleFilters(stratum="东皇街道", state="fresh", max_attempts=2),
     lambda r: r.stratum == "东皇街道" and r.state == "fresh" and r.attempts <= 2),
], ids=["stratum", "state", "disposition", "no-disposition", "min-attempts", "max-attempts",
        "attempts-range", "phone", "combined"])
def test_filters_narrow_the_count_and_the_rows(database, browser, sample, filters, keep):
    project_id, _, _ = sample
    expected = [row for row in all_rows(database, project_id) if keep(row)]
    assert 0 < len(expected) < CASES
    assert browser.count(project_id, filters) == len(expected)
    assert browser.page(project_id, filters, limit=100) == expected


def test_phone_search_takes_digits_and_ignores_spaces_dashes_and_plus(database, browser, sample):
    project_id, _, _ = sample
    number = all_rows(database, project_id)[7].phone_e164
    spaced = f"{number[:6]} {number[6:10]}-{number[10:]}"
    found = browser.page(project_id, SampleFilters(phone=spaced))
    assert [row.phone_e164 for row in found] == [number]
    with pytest.raises(CatiError, match="digits only"):
        browser.count(project_id, SampleFilters(phone="138abc"))


def _sort_key(column: str):
    def key(row: CaseRow):
        value = getattr(row, column)
        return (value is not None, value if value is not None else 0)
    return key


@pytest.mark.parametrize("column", SORT_COLUMNS)
def test_every_sort_pages_stably_with_the_id_breaking_ties(database, browser, sample, column):
    project_id, _, _ = sample
    rows = all_rows(database, project_id)
    for descending in (False, True):
        # Python sorts are stable: by id, then by the column, leaves the id as the tie-break.
        expected = sorted(sorted(rows, key=lambda r: r.id, reverse=descending),
                          key=_sort_key(column), reverse=descending)
        order = SampleSort(column, descending)
        pages = [browser.page(project_id, sort=order, offset=start, limit=7)
                 for start in range(0, CASES, 7)]
        assert [row for page in pages for row in page] == expected, order
        assert browser.page(project_id, sort=order, limit=CASES) == expected


def test_keyset_pages_by_id_match_offset_pages(database, browser, sample):
    project_id, _, _ = sample
    for descending in (False, True):
        order = SampleSort("id", descending)
        first = browser.page(project_id, sort=order, limit=15)
        by_offset = browser.page(project_id, sort=order, offset=15, limit=15)
        by_key = browser.page(project_id, sort=order, offset=999, limit=15,
                              after_id=first[-1].id)
        assert by_key == by_offset and len(by_key) == 15
    with pytest.raises(CatiError, match="sorted by id"):
        browser.page(project_id, sort=SampleSort("attempts"), after_id=3)


def test_other_projects_cases_never_show(database, browser, sample):
    project_id, _, _ = sample
    assert {row.id for row in browser.page(project_id, limit=100)} == \
        set(ids_where(database, project_id))


@pytest.mark.parametrize(("call", "message"), [
    (lambda b, p: b.page(p, sort=SampleSort("attributes")), "cannot sort by 'attributes'"),
    (lambda b, p: b.page(p, sort=SampleSort("id; DROP TABLE cases")), "cannot sort by"),
    (lambda b, p: b.count(p, SampleFilters(state="open")), "unknown case state 'open'"),
    (lambda b, p: b.count(p, SampleFilters(min_attempts=3, max_attempts=1)), "at least 3"),
    (lambda b, p: b.page(p, limit=0), "1 to 1000 rows"),
    (lambda b, p: b.page(p, offset=-1), "cannot start at row -1"),
])
def test_bad_requests_are_refused_in_words(browser, sample, call, message):
    project_id, _, _ = sample
    with pytest.raises(CatiError, match=message):
        call(browser, project_id)


def test_attempt_history_oldest_first_with_labels_and_names(database, browser, sample):
    project_id, _, interviewer = sample
    case_id = ids_where(database, project_id, state="scheduled")[0]
    with database.unit() as session:
        session.add_all([
            CallAttempt(case_id=case_id, interviewer_id=interviewer, workstation="ws1",
                        started_at=MORNING + dt.timedelta(hours=2), disposition="3.12",
                        note="一直占线"),
            CallAttempt(case_id=case_id, interviewer_id=None, workstation="ws2",
                        started_at=MORNING, ended_at=MORNING + dt.timedelta(minutes=1),
                        disposition="3.13"),
            CallAttempt(case_id=case_id, interviewer_id=interviewer, workstation="ws1",
                        started_at=MORNING + dt.timedelta(hours=3), disposition=None)])
    history = browser.attempts(case_id)
    assert [(a.disposition, a.label_zh, a.interviewer, a.workstation) for a in history] == [
        ("3.13", "无人接听", "", "ws2"), ("3.12", "忙音", "访问员周", "ws1"),
        (None, "约访", "访问员周", "ws1")]
    assert history[1].note == "一直占线"
    assert history[0].started_at == MORNING and history[0].ended_at is not None
    assert browser.attempts(ids_where(database, project_id, state="fresh")[0]) == []
    with pytest.raises(NotFound, match="no case 999999"):
        browser.attempts(999_999)


def test_explain_gives_every_rule_of_the_queue(database, browser, sample):
    project_id, _, _ = sample
    closed = ids_where(database, project_id, state="closed")[0]
    leased = ids_where(database, project_id, lease_holder="ws0")[0]
    fresh = ids_where(database, project_id, state="fresh", lease_holder=None)[0]
    closed_why = browser.explain(closed, MORNING)
    assert [c.rule for c in closed_why.blocking] == ["closed"]
    assert closed_why.next_callable_at is None
    leased_why = browser.explain(leased, MORNING)
    assert "lease" in [c.rule for c in leased_why.blocking]
    assert browser.explain(fresh, MORNING).callable_now
    assert len(closed_why.checks) >= 8
    with pytest.raises(NotFound):
        browser.explain(999_999, MORNING)


def test_disposition_choices_are_the_projects_table(browser, sample):
    project_id, _, _ = sample
    choices = browser.disposition_choices(project_id)
    assert choices[0].code == "1.1" and choices[0].label_zh == "完成访问"
    assert "3.13" in [c.code for c in choices]


# -- actions -----------------------------------------------------------------------------------


def test_release_lease_frees_held_cases_and_is_audited(database, browser, sample):
    project_id, boss, _ = sample
    leased = ids_where(database, project_id, lease_holder="ws0")[:2]
    free = ids_where(database, project_id, state="scheduled")[0]
    result = browser.release_lease([*leased, free], boss, now=MORNING)
    assert result.changed == tuple(leased)
    assert {row.id: row.lease_holder for row in result.rows} == dict.fromkeys(
        [*leased, free])
    for case_id in leased:
        released = case(database, case_id)
        assert released.lease_holder is None and released.lease_expires_at is None
        assert released.state == "fresh"  # back in the queue as it was
    [entry] = audit(database, "sample.release_lease")
    assert entry.user_id == boss and entry.at == MORNING
    assert entry.details["changed"] == leased
    assert sorted(entry.details["case_ids"]) == sorted([*leased, free])


def test_reopen_puts_closed_cases_back_due_now_keeping_the_disposition(
        database, browser, sample):
    project_id, boss, _ = sample
    closed = ids_where(database, project_id, state="closed")[:2]
    before = {case_id: case(database, case_id).disposition for case_id in closed}
    result = browser.reopen(closed, boss, reason="回访核实", now=MORNING)
    assert result.changed == tuple(closed)
    for case_id in closed:
        reopened = case(database, case_id)
        assert reopened.state == "scheduled" and reopened.next_call_at == MORNING
        assert reopened.disposition == before[case_id]
    assert [row.state for row in result.rows] == ["scheduled", "scheduled"]
    assert audit(database, "sample.reopen")[0].details["changed"] == closed


def test_a_reopened_case_is_called_again(database, browser, sample):
    project_id, boss, _ = sample
    closed = ids_where(database, project_id, state="closed")[0]
    with database.unit() as session:  # nothing else left to call
        session.execute(Case.__table__.update().where(Case.project_id == project_id)
                        .values(state="closed", lease_holder=None))
    assert claim_next_case(database, project_id, "ws9", now=MORNING) is None
    browser.reopen([closed], boss, reason="再拨", now=MORNING)
    claimed = claim_next_case(database, project_id, "ws9", now=MORNING)
    assert claimed is not None and claimed.case_id == closed


def test_reopen_refuses_open_cases_and_changes_nothing(database, browser, sample):
    project_id, boss, _ = sample
    closed = ids_where(database, project_id, state="closed")[0]
    fresh = ids_where(database, project_id, state="fresh")[0]
    with pytest.raises(CatiError, match=rf"only closed cases can be reopened.*{fresh} \(fresh\)"):
        browser.reopen([closed, fresh], boss, reason="再拨")
    assert case(database, closed).state == "closed"
    assert audit(database, "sample.reopen") == []


def test_set_priority(database, browser, sample):
    project_id, boss, _ = sample
    chosen = ids_where(database, project_id, state="fresh")[:3]
    result = browser.set_priority(chosen, 7, boss)
    assert [row.priority for row in result.rows] == [7, 7, 7]
    assert all(case(database, case_id).priority == 7 for case_id in chosen)
    assert browser.set_priority(chosen, 7, boss).changed == ()
    assert audit(database, "sample.set_priority")[0].details["priority"] == 7
    with pytest.raises(CatiError, match="priority must be a whole number from -1000 to 1000"):
        browser.set_priority(chosen, 5000, boss)


def test_add_to_dnc_lists_the_numbers_and_closes_open_cases(database, browser, sample):
    project_id, boss, _ = sample
    leased = ids_where(database, project_id, lease_holder="ws0")[0]
    closed = ids_where(database, project_id, state="closed")[0]
    booked = ids_where(database, project_id, state="appointment")[0]
    with database.unit() as session:
        session.add(Appointment(case_id=booked, window_start=MORNING,
                                window_end=MORNING + dt.timedelta(hours=1), booked_by=boss))
    before_closed = case(database, closed).disposition
    result = browser.add_to_dnc([leased, closed, booked], "本人要求不再来电", boss, now=MORNING)
    assert result.added == 3 and result.already == 0 and result.invalid == ()
    assert result.changed == tuple(sorted([leased, booked]))
    with database.unit(immediate=False) as session:
        listed = {d.phone_e164: d for d in session.scalars(select(DoNotCall))}
        appointment = session.scalar(select(Appointment).where(Appointment.case_id == booked))
    for case_id in (leased, closed, booked):
        stored = case(database, case_id)
        assert stored.state == "closed" and stored.lease_holder is None
        assert listed[stored.phone_e164].reason == "本人要求不再来电"
        assert listed[stored.phone_e164].added_by == boss
    assert case(database, closed).disposition == before_closed
    assert case(database, leased).disposition is None  # no do-not-call code: left as it was
    assert appointment.cancelled
    again = browser.add_to_dnc([leased], "again", boss)
    assert again.added == 0 and again.already == 1 and again.changed == ()
    with pytest.raises(CatiError, match="do-not-call list cannot be reopened"):
        browser.reopen([closed], boss, reason="再拨")
    assert len(audit(database, "sample.add_to_dnc")) == 2


def test_add_to_dnc_needs_a_reason(database, browser, sample):
    project_id, boss, _ = sample
    with pytest.raises(CatiError, match="give a reason"):
        browser.add_to_dnc(ids_where(database, project_id)[:1], "  ", boss)
    with database.unit(immediate=False) as session:
        assert session.scalar(select(func.count()).select_from(DoNotCall)) == 0


def test_actions_need_a_supervisor_and_existing_cases(database, browser, sample):
    project_id, boss, interviewer = sample
    some = ids_where(database, project_id, lease_holder="ws1")[:1]
    with pytest.raises(PermissionDenied, match="supervisor or admin"):
        browser.release_lease(some, interviewer)
    with pytest.raises(NotFound, match="no case 999999"):
        browser.release_lease([*some, 999_999], boss)
    with pytest.raises(CatiError, match="no case selected"):
        browser.set_priority([], 1, boss)
    assert case(database, some[0]).lease_holder == "ws1"


def test_call_now_puts_a_case_first_and_an_assignment_keeps_it_for_one_interviewer(
        database, browser, sample):
    project_id, boss, ivan = sample
    scheduled = ids_where(database, project_id, state="scheduled")
    first, second = scheduled[0], scheduled[1]
    result = browser.call_now([first], boss, now=MORNING)
    assert result.changed == (first,)
    claimed = claim_next_case(database, project_id, "ws-any", now=MORNING)
    assert claimed is not None and claimed.case_id == first  # before every other case
    assert audit(database, "sample.call_now")[0].details["changed"] == [first]

    assert browser.interviewers() == [(ivan, "访问员周")]
    browser.call_now([second], boss, interviewer_id=ivan, now=MORNING)
    other = claim_next_case(database, project_id, "ws-other", interviewer_id=boss, now=MORNING)
    assert other is None or other.case_id != second  # kept for 访问员周
    mine = claim_next_case(database, project_id, "ws-ivan", interviewer_id=ivan, now=MORNING)
    assert mine is not None and mine.case_id == second

    closed = ids_where(database, project_id, state="closed")[0]
    with pytest.raises(CatiError, match="reopen them first"):
        browser.call_now([closed, scheduled[2]], boss, now=MORNING)
    assert case(database, scheduled[2]).state == "scheduled"  # all or nothing

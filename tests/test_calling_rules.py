"""The call-queue scheduling rules: pure functions, every test with its own fixed clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cati.calling.dispositions import DEFAULT_DISPOSITIONS
from cati.calling.rules import (
    AppointmentView,
    AttemptView,
    CallingHours,
    CaseView,
    QuotaView,
    RetryPolicy,
    appointment_due,
    appointment_missed,
    explain,
    is_within_calling_hours,
    local_slot,
    max_attempts_outcome,
    next_attempt_time,
    next_calling_time,
    queue_order_key,
)

SH = "Asia/Shanghai"
URUMQI = "Asia/Urumqi"
NY = "America/New_York"
HOURS = CallingHours()
POLICY = RetryPolicy()
NO_QUOTAS = QuotaView()


def at(tz: str, *args: int) -> dt.datetime:
    """A local wall-clock time in `tz`, as an aware UTC datetime (the injected clock)."""
    return dt.datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(dt.UTC)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def tried(tz: str, *local: tuple[int, ...], code: str = "3.13",
          contact: bool = False) -> list[AttemptView]:
    return [AttemptView(at(tz, *t), code, contact) for t in local]


CASE = CaseView(1, SH, "scheduled")
# 2024-05-06 is a Monday
MON_0900 = at(SH, 2024, 5, 6, 9, 0)


# --- local slot and calling hours ------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "tz", "slot"),
    [
        (utc(2024, 5, 6, 3, 59), SH, "morning"),  # 11:59
        (utc(2024, 5, 6, 4, 0), SH, "afternoon"),  # 12:00
        (utc(2024, 5, 6, 8, 59), SH, "afternoon"),  # 16:59
        (utc(2024, 5, 6, 9, 0), SH, "evening"),  # 17:00
        (utc(2024, 5, 6, 9, 0), URUMQI, "afternoon"),  # 15:00 in Urumqi (UTC+6)
        (utc(2024, 5, 6, 16, 0), SH, "morning"),  # 00:00 next day
        (utc(2024, 5, 6, 22, 0), NY, "evening"),  # 18:00 EDT
    ],
)
def test_local_slot(now, tz, slot):
    assert local_slot(now, tz) == slot


@pytest.mark.parametrize(
    ("now", "tz", "inside"),
    [
        (at(SH, 2024, 5, 6, 8, 59), SH, False),
        (at(SH, 2024, 5, 6, 9, 0), SH, True),
        (at(SH, 2024, 5, 6, 11, 59), SH, True),
        (at(SH, 2024, 5, 6, 12, 0), SH, False),  # midday break, windows are half-open
        (at(SH, 2024, 5, 6, 13, 59), SH, False),
        (at(SH, 2024, 5, 6, 14, 0), SH, True),
        (at(SH, 2024, 5, 6, 20, 59), SH, True),
        (at(SH, 2024, 5, 6, 21, 0), SH, False),
        (utc(2024, 5, 6, 2, 30), URUMQI, False),  # 08:30 in Urumqi, 10:30 in Beijing
        (utc(2024, 5, 6, 2, 30), SH, True),
        (utc(2024, 3, 10, 13, 30), NY, True),  # 09:30 EDT on the spring-forward day
        (utc(2024, 3, 9, 13, 30), NY, False),  # 08:30 EST the day before
    ],
)
def test_is_within_calling_hours(now, tz, inside):
    assert is_within_calling_hours(now, tz, HOURS) is inside


WEEKDAYS_ONLY = CallingHours.by_weekday(
    {d: ((dt.time(9), dt.time(12)), (dt.time(14), dt.time(21))) for d in range(5)})


@pytest.mark.parametrize(
    ("after", "tz", "hours", "expected"),
    [
        (at(SH, 2024, 5, 6, 8, 30), SH, HOURS, at(SH, 2024, 5, 6, 9, 0)),
        (at(SH, 2024, 5, 6, 10, 15), SH, HOURS, at(SH, 2024, 5, 6, 10, 15)),
        (at(SH, 2024, 5, 6, 12, 30), SH, HOURS, at(SH, 2024, 5, 6, 14, 0)),  # midday break
        (at(SH, 2024, 5, 6, 21, 30), SH, HOURS, at(SH, 2024, 5, 7, 9, 0)),
        (at(SH, 2024, 5, 6, 23, 59), SH, HOURS, utc(2024, 5, 7, 1, 0)),
        (utc(2024, 5, 6, 2, 30), URUMQI, HOURS, utc(2024, 5, 6, 3, 0)),  # 09:00 UTC+6
        (utc(2024, 5, 6, 15, 30), URUMQI, HOURS, utc(2024, 5, 7, 3, 0)),  # 21:30 Urumqi
        # New York spring forward (2024-03-10): 09:00 is EDT, 13:00 UTC, not 14:00
        (utc(2024, 3, 10, 2, 30), NY, HOURS, utc(2024, 3, 10, 13, 0)),
        (utc(2024, 3, 9, 12, 0), NY, HOURS, utc(2024, 3, 9, 14, 0)),  # 09:00 EST
        # fall back (2024-11-03): 01:00 EST after the change, next window 09:00 EST
        (utc(2024, 11, 3, 6, 0), NY, HOURS, utc(2024, 11, 3, 14, 0)),
        (utc(2024, 11, 3, 17, 0), NY, HOURS, utc(2024, 11, 3, 19, 0)),  # 12:00 EST -> 14:00
        # no windows at the weekend: Saturday evening -> Monday 09:00
        (at(SH, 2024, 5, 11, 10, 0), SH, WEEKDAYS_ONLY, at(SH, 2024, 5, 13, 9, 0)),
        (at(SH, 2024, 5, 10, 21, 0), SH, WEEKDAYS_ONLY, at(SH, 2024, 5, 13, 9, 0)),
    ],
)
def test_next_calling_time(after, tz, hours, expected):
    assert next_calling_time(after, tz, hours) == expected
    assert next_calling_time(after, tz, hours).tzinfo is dt.UTC
    assert is_within_calling_hours(expected, tz, hours)


def test_calling_hours_validation_and_naive_times():
    with pytest.raises(ValueError):
        CallingHours.every_day([(dt.time(12), dt.time(9))])
    with pytest.raises(ValueError):
        CallingHours.every_day([(dt.time(9), dt.time(13)), (dt.time(12), dt.time(15))])
    with pytest.raises(ValueError):
        CallingHours.by_weekday({})
    with pytest.raises(ValueError):
        next_calling_time(dt.datetime(2024, 5, 6, 9), SH, HOURS)


def test_window_ending_at_midnight():
    late = CallingHours.every_day([(dt.time(18), dt.time(0))])
    assert is_within_calling_hours(at(SH, 2024, 5, 6, 23, 59), SH, late)
    assert next_calling_time(at(SH, 2024, 5, 7, 0, 0), SH, late) == at(SH, 2024, 5, 7, 18, 0)


# --- retry delays ----------------------------------------------------------------------------

# after an attempt at Monday 09:00 Beijing time, with no history to rotate on
RETRY_AFTER_MON_0900 = {
    "1.2": at(SH, 2024, 5, 6, 10, 0),
    "2.111": at(SH, 2024, 5, 13, 9, 0),
    "2.112": at(SH, 2024, 5, 13, 9, 0),
    "2.12": at(SH, 2024, 5, 6, 10, 0),
    "2.22": at(SH, 2024, 5, 6, 14, 0),  # 12:00 falls in the midday break
    "3.13": at(SH, 2024, 5, 6, 11, 0),
    "3.12": at(SH, 2024, 5, 6, 9, 15),
    "3.16": at(SH, 2024, 5, 6, 14, 0),
    "3.15": at(SH, 2024, 5, 7, 9, 0),
}


def test_retry_table_covers_every_default_code():
    open_codes = {s.code for s in DEFAULT_DISPOSITIONS if not s.final}
    assert open_codes == set(RETRY_AFTER_MON_0900)


@pytest.mark.parametrize(("code", "expected"), sorted(RETRY_AFTER_MON_0900.items()))
def test_default_retry_delay(code, expected):
    assert next_attempt_time(CASE, [], code, MON_0900, HOURS, POLICY) == expected


@pytest.mark.parametrize("code", [s.code for s in DEFAULT_DISPOSITIONS if s.final])
def test_final_codes_have_no_next_attempt(code):
    assert next_attempt_time(CASE, [], code, MON_0900, HOURS, POLICY) is None


def test_unknown_code_is_an_error():
    with pytest.raises(ValueError, match=r"9\.99"):
        next_attempt_time(CASE, [], "9.99", MON_0900, HOURS, POLICY)


def test_retry_in_new_york_lands_in_local_hours():
    case = CaseView(2, NY, "scheduled")
    now = at(NY, 2024, 3, 9, 20, 30)  # Saturday 20:30 EST, the night before spring forward
    # 15 minutes later is 20:45, still open
    assert next_attempt_time(case, [], "3.12", now, HOURS, POLICY) == utc(2024, 3, 10, 1, 45)
    # 60 minutes later is 21:30 -> Sunday 09:00 EDT
    assert next_attempt_time(case, [], "1.2", now, HOURS, POLICY) == utc(2024, 3, 10, 13, 0)


# --- slot rotation ---------------------------------------------------------------------------


def test_no_answer_goes_to_the_slot_tried_least():
    # twice in the morning, once in the afternoon; the last one (Tuesday 10:00) a no-answer
    attempts = tried(SH, (2024, 5, 6, 9, 30), (2024, 5, 6, 15, 0), (2024, 5, 7, 10, 0))
    now = at(SH, 2024, 5, 7, 10, 5)
    result = next_attempt_time(CASE, attempts, "3.13", now, HOURS, POLICY)
    assert result == at(SH, 2024, 5, 7, 17, 0)
    assert local_slot(result, SH) == "evening"


@pytest.mark.parametrize("code", ["2.22", "3.16"])
def test_answering_machine_and_unreachable_rotate_too(code):
    attempts = tried(SH, (2024, 5, 6, 9, 30), (2024, 5, 6, 15, 0), (2024, 5, 7, 10, 0),
                     code=code)
    now = at(SH, 2024, 5, 7, 10, 5)
    assert next_attempt_time(CASE, attempts, code, now, HOURS, POLICY) == at(
        SH, 2024, 5, 7, 17, 0)


def test_rotation_tie_takes_the_earliest_slot_after_the_delay():
    # one morning attempt: afternoon and evening tie, afternoon comes first
    attempts = tried(SH, (2024, 5, 6, 9, 0))
    assert next_attempt_time(CASE, attempts, "3.13", MON_0900, HOURS, POLICY) == at(
        SH, 2024, 5, 6, 14, 0)


def test_rotation_never_earlier_than_the_delay():
    # evening tried least, but 20:00 + 2 h is past the evening: the next evening
    attempts = tried(SH, (2024, 5, 6, 9, 0), (2024, 5, 6, 14, 0), (2024, 5, 7, 9, 0),
                     (2024, 5, 7, 14, 0), (2024, 5, 7, 20, 0))
    now = at(SH, 2024, 5, 7, 20, 0)
    policy = RetryPolicy(max_per_day=5)
    assert next_attempt_time(CASE, attempts, "3.13", now, HOURS, policy) == at(
        SH, 2024, 5, 8, 17, 0)
    # and within the least-tried slot, the delay still holds
    attempts = tried(SH, (2024, 5, 6, 9, 0), (2024, 5, 6, 14, 0), (2024, 5, 7, 9, 0),
                     (2024, 5, 7, 14, 0), (2024, 5, 7, 17, 0))
    now = at(SH, 2024, 5, 7, 17, 0)
    assert next_attempt_time(CASE, attempts, "3.13", now, HOURS, policy) == at(
        SH, 2024, 5, 7, 19, 0)


def test_busy_does_not_rotate():
    attempts = tried(SH, (2024, 5, 6, 9, 0), code="3.12")
    assert next_attempt_time(CASE, attempts, "3.12", MON_0900, HOURS, POLICY) == at(
        SH, 2024, 5, 6, 9, 15)


# --- caps ------------------------------------------------------------------------------------


def test_daily_cap_moves_to_the_next_local_day():
    attempts = tried(SH, (2024, 5, 6, 9, 0), (2024, 5, 6, 9, 20), (2024, 5, 6, 9, 40),
                     code="3.12")
    now = at(SH, 2024, 5, 6, 9, 40)
    assert next_attempt_time(CASE, attempts, "3.12", now, HOURS, POLICY) == at(
        SH, 2024, 5, 7, 9, 0)
    # below the cap the busy retry stays today
    assert next_attempt_time(CASE, attempts[:2], "3.12", now, HOURS, POLICY) == at(
        SH, 2024, 5, 6, 9, 55)


def test_daily_cap_with_rotation_takes_the_next_day_least_tried_slot():
    attempts = tried(SH, (2024, 5, 6, 9, 0), (2024, 5, 6, 10, 0), (2024, 5, 6, 11, 0))
    now = at(SH, 2024, 5, 6, 11, 0)
    assert next_attempt_time(CASE, attempts, "3.13", now, HOURS, POLICY) == at(
        SH, 2024, 5, 7, 14, 0)


def test_daily_cap_counts_the_respondents_local_day():
    # 3 attempts on Monday in New York: 09:00 EDT, 20:00 and 20:30 EDT (next day in UTC)
    case = CaseView(3, NY, "scheduled")
    attempts = tried(NY, (2024, 5, 6, 9, 0), (2024, 5, 6, 20, 0), (2024, 5, 6, 20, 30),
                     code="3.12")
    now = at(NY, 2024, 5, 6, 20, 30)
    assert next_attempt_time(case, attempts, "3.12", now, HOURS, POLICY) == at(
        NY, 2024, 5, 7, 9, 0)


@pytest.mark.parametrize(
    ("attempts", "outcome"),
    [
        (tried(SH, *[(2024, 5, d, 10, 0) for d in range(6, 11)]), None),  # 5 of 6
        (tried(SH, *[(2024, 5, d, 10, 0) for d in range(6, 12)]), "3.90"),
        (tried(SH, *[(2024, 5, d, 10, 0) for d in range(6, 11)])
         + tried(SH, (2024, 5, 11, 10, 0), code="2.112", contact=True), "2.30"),
        (tried(SH, *[(2024, 5, d, 10, 0) for d in range(6, 11)])
         + tried(SH, (2024, 5, 11, 10, 0), code="1.1", contact=True), None),  # completed
        (tried(SH, *[(2024, 5, d, 10, 0) for d in range(6, 14)]), "3.90"),  # past the max
    ],
)
def test_max_attempts_outcome(attempts, outcome):
    assert max_attempts_outcome(attempts, POLICY) == outcome


def test_no_next_attempt_at_the_max():
    attempts = tried(SH, *[(2024, 5, d, 10, 0) for d in range(6, 12)])
    now = at(SH, 2024, 5, 11, 10, 0)
    assert next_attempt_time(CASE, attempts, "3.13", now, HOURS, POLICY) is None
    assert next_attempt_time(CASE, attempts[:5], "3.13", now, HOURS, POLICY) is not None
    assert max_attempts_outcome(attempts, RetryPolicy(max_attempts=10)) is None


# --- appointments ----------------------------------------------------------------------------

WIN_START = at(SH, 2024, 5, 6, 19, 0)
WIN_END = at(SH, 2024, 5, 6, 19, 30)
SOFT = AppointmentView(WIN_START, WIN_END, hard=False, interviewer_id=7)
HARD = AppointmentView(WIN_START, WIN_END, hard=True, interviewer_id=7)


@pytest.mark.parametrize(
    ("appt", "now", "interviewer", "due"),
    [
        (SOFT, at(SH, 2024, 5, 6, 18, 59), 7, False),  # before the window
        (SOFT, WIN_START, 7, True),
        (SOFT, WIN_START, 8, True),  # soft: anyone
        (HARD, at(SH, 2024, 5, 6, 18, 59), 7, False),
        (HARD, WIN_START, 7, True),
        (HARD, at(SH, 2024, 5, 6, 19, 29), 8, False),  # reserved for interviewer 7
        (HARD, at(SH, 2024, 5, 6, 19, 29), None, False),
        (HARD, WIN_END, 8, True),  # after the window: anyone
        (AppointmentView(WIN_START, WIN_END, hard=True, kept=True), WIN_START, 7, False),
        (AppointmentView(WIN_START, WIN_END, cancelled=True), WIN_START, 7, False),
    ],
)
def test_appointment_due(appt, now, interviewer, due):
    assert appointment_due(appt, now, interviewer) is due


def test_appointment_missed():
    assert not appointment_missed(HARD, at(SH, 2024, 5, 6, 19, 29))
    assert appointment_missed(HARD, WIN_END)
    assert appointment_missed(SOFT, at(SH, 2024, 5, 7, 9, 0))
    kept = AppointmentView(WIN_START, WIN_END, kept=True)
    assert not appointment_missed(kept, at(SH, 2024, 5, 7, 9, 0))
    cancelled = AppointmentView(WIN_START, WIN_END, cancelled=True)
    assert not appointment_missed(cancelled, at(SH, 2024, 5, 7, 9, 0))
    recorded = AppointmentView(WIN_START, WIN_END, missed=True)
    assert appointment_missed(recorded, WIN_START)
    # a missed appointment stays due (for anyone) until it is kept
    assert appointment_due(HARD, at(SH, 2024, 5, 7, 9, 0), 8)


# --- explain ---------------------------------------------------------------------------------

RULE_ORDER = ["closed", "lease", "calling_hours", "retry_delay", "daily_cap", "max_attempts",
              "quota", "hard_appointment"]


def run_explain(case=CASE, attempts=(), appointments=(), quotas=NO_QUOTAS, now=MON_0900,
                interviewer=7, **kw):
    return explain(case, list(attempts), list(appointments), quotas, now, HOURS, POLICY,
                   interviewer, **kw)


def blocking(result) -> list[str]:
    return [c.rule for c in result.checks if c.blocks]


def test_explain_callable_case_lists_every_rule_in_order():
    result = run_explain()
    assert [c.rule for c in result.checks] == RULE_ORDER
    assert result.callable_now
    assert result.next_callable_at == MON_0900
    assert blocking(result) == []


def test_explain_outside_calling_hours():
    now = at(SH, 2024, 5, 6, 22, 0)
    result = run_explain(now=now)
    assert blocking(result) == ["calling_hours"]
    check = result.checks[2]
    assert "不在拨打时间" in check.detail and "outside calling hours" in check.detail
    assert "21:00–09:00" in check.detail
    assert check.until == at(SH, 2024, 5, 7, 9, 0)
    assert not result.callable_now
    assert result.next_callable_at == at(SH, 2024, 5, 7, 9, 0)


def test_explain_midday_break_detail():
    result = run_explain(now=at(SH, 2024, 5, 6, 12, 30))
    assert "12:00–14:00" in result.checks[2].detail
    assert result.next_callable_at == at(SH, 2024, 5, 6, 14, 0)


def test_explain_retry_delay_ending_in_the_break_waits_for_the_afternoon():
    case = CaseView(1, SH, "scheduled", "3.13", 1, at(SH, 2024, 5, 6, 12, 30))
    result = run_explain(case=case, now=at(SH, 2024, 5, 6, 11, 0))
    assert blocking(result) == ["retry_delay"]
    assert result.checks[3].until == at(SH, 2024, 5, 6, 12, 30)
    assert result.next_callable_at == at(SH, 2024, 5, 6, 14, 0)


def test_explain_daily_cap_and_max_attempts():
    attempts = tried(SH, (2024, 5, 6, 9, 0), (2024, 5, 6, 9, 20), (2024, 5, 6, 9, 40))
    result = run_explain(attempts=attempts, now=at(SH, 2024, 5, 6, 15, 0))
    assert blocking(result) == ["daily_cap"]
    assert result.next_callable_at == at(SH, 2024, 5, 7, 9, 0)

    six = tried(SH, *[(2024, 5, d, 10, 0) for d in range(1, 7)])
    result = run_explain(attempts=six, now=at(SH, 2024, 5, 7, 10, 0))
    assert blocking(result) == ["max_attempts"]
    assert result.next_callable_at is None


def test_explain_quota_full_stops_the_case():
    case = CaseView(1, SH, "fresh", stratum="男18-29")
    full = QuotaView({"男18-29": (50, 50), "女18-29": (50, 20)})
    result = run_explain(case=case, quotas=full)
    assert blocking(result) == ["quota"]
    assert "配额已满" in result.checks[6].detail and "50/50" in result.checks[6].detail
    assert not result.callable_now and result.next_callable_at is None
    open_case = CaseView(1, SH, "fresh", stratum="女18-29")
    assert run_explain(case=open_case, quotas=full).callable_now


def test_explain_closed_case_never_callable():
    for case in (CaseView(1, SH, "closed", "1.1"), CaseView(1, SH, "scheduled", "4.31")):
        result = run_explain(case=case)
        assert blocking(result) == ["closed"]
        assert result.next_callable_at is None


def test_explain_lease_by_another_workstation():
    case = CaseView(1, SH, "locked", lease_holder="WS-02",
                    lease_expires_at=at(SH, 2024, 5, 6, 9, 10))
    result = run_explain(case=case, workstation="WS-01")
    assert blocking(result) == ["lease"]
    assert result.next_callable_at == at(SH, 2024, 5, 6, 9, 10)
    assert run_explain(case=case, workstation="WS-02").callable_now  # its own lease
    # an expired lease no longer blocks
    assert run_explain(case=case, workstation="WS-01", now=at(SH, 2024, 5, 6, 9, 10)).callable_now


def test_explain_hard_appointment_reserved_for_its_interviewer():
    case = CaseView(1, SH, "appointment", "2.112", 1, WIN_START)
    now = at(SH, 2024, 5, 6, 19, 5)
    other = run_explain(case=case, appointments=[HARD], now=now, interviewer=8)
    assert blocking(other) == ["hard_appointment"]
    assert other.checks[7].until == WIN_END
    assert other.next_callable_at == WIN_END
    mine = run_explain(case=case, appointments=[HARD], now=now, interviewer=7)
    assert mine.callable_now
    soft = run_explain(case=case, appointments=[SOFT], now=now, interviewer=8)
    assert soft.callable_now


def test_explain_due_appointment_overrides_calling_hours_and_daily_cap():
    late = AppointmentView(at(SH, 2024, 5, 6, 21, 30), at(SH, 2024, 5, 6, 22, 0), hard=True,
                           interviewer_id=7)
    case = CaseView(1, SH, "appointment", "2.112", 3, late.window_start)
    attempts = tried(SH, (2024, 5, 6, 9, 0), (2024, 5, 6, 10, 0), (2024, 5, 6, 15, 0))
    now = at(SH, 2024, 5, 6, 21, 35)
    mine = run_explain(case=case, attempts=attempts, appointments=[late], now=now)
    assert mine.callable_now
    assert "appointment due" in mine.checks[2].detail
    other = run_explain(case=case, attempts=attempts, appointments=[late], now=now,
                        interviewer=8)
    assert set(blocking(other)) == {"calling_hours", "daily_cap", "hard_appointment"}
    assert other.next_callable_at == at(SH, 2024, 5, 7, 9, 0)


def test_explain_before_the_appointment_waits_for_its_window():
    case = CaseView(1, SH, "appointment", "2.112", 1, WIN_START)
    result = run_explain(case=case, appointments=[HARD], now=at(SH, 2024, 5, 6, 16, 0))
    assert blocking(result) == ["retry_delay"]
    assert result.next_callable_at == WIN_START


# --- queue order -----------------------------------------------------------------------------


def test_queue_order_across_groups_and_quota():
    now = at(SH, 2024, 5, 6, 15, 0)
    quotas = QuotaView({"A": (100, 80), "B": (100, 20), "C": (100, 50)})
    due_before = at(SH, 2024, 5, 6, 14, 0)
    cases = {
        "appointment": (CaseView(1, SH, "appointment", "2.112", 1, due_before, stratum="A"), True),
        "resume": (CaseView(2, SH, "resume", "1.2", 1, due_before, stratum="A"), False),
        "break_off": (CaseView(3, SH, "resume", "2.12", 1, at(SH, 2024, 5, 6, 14, 30),
                               stratum="A"), False),
        "retry_old": (CaseView(4, SH, "scheduled", "3.13", 1, at(SH, 2024, 5, 5, 9, 0)), False),
        "retry_new": (CaseView(5, SH, "scheduled", "3.13", 1, due_before), False),
        "retry_prio": (CaseView(6, SH, "scheduled", "3.12", 1, due_before, priority=5), False),
        "fresh_A": (CaseView(7, SH, "fresh", stratum="A"), False),
        "fresh_B_2": (CaseView(8, SH, "fresh", stratum="B"), False),
        "fresh_B_1": (CaseView(9, SH, "fresh", stratum="B"), False),
        "fresh_C": (CaseView(10, SH, "fresh", stratum="C"), False),
        "fresh_none": (CaseView(11, SH, "fresh", stratum="Z"), False),
        "fresh_prio": (CaseView(12, SH, "fresh", stratum="A", priority=1), False),
    }
    rng = {"fresh_B_1": 0.1, "fresh_B_2": 0.9}

    def key(name):
        case, due = cases[name]
        return queue_order_key(case, due, now, quotas, rng.get(name, 0.5))

    assert sorted(cases, key=key) == [
        "appointment",
        "resume", "break_off",  # longest overdue first
        "retry_prio", "retry_old", "retry_new",
        "fresh_prio",  # priority before quota
        "fresh_B_1", "fresh_B_2",  # furthest behind, then random
        "fresh_C", "fresh_A",
        "fresh_none",  # no quota: treated as on target
    ]


def test_queue_order_random_within_stratum_follows_rng():
    now = MON_0900
    quotas = QuotaView({"B": (10, 1)})
    a, b = CaseView(1, SH, "fresh", stratum="B"), CaseView(2, SH, "fresh", stratum="B")
    assert queue_order_key(a, False, now, quotas, 0.7) > queue_order_key(b, False, now, quotas,
                                                                          0.2)
    assert queue_order_key(a, False, now, quotas, 0.1) < queue_order_key(b, False, now, quotas,
                                                                          0.2)


def test_frozen_values():
    with pytest.raises(AttributeError):
        CASE.state = "closed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        POLICY.max_attempts = 9  # type: ignore[misc]
    with pytest.raises(ValueError):
        CaseView(1, SH, "nonsense")

"""Scheduling rules of the call queue, as pure functions.

No database and no wall clock: every function takes plain values and a `now` (aware UTC) and
returns values or frozen dataclasses. Calling hours live in :mod:`cati.calling.hours`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from cati.calling.appointments import appointment_due, appointment_missed, reserved_for_other
from cati.calling.hours import (
    SLOTS,
    UTC,
    CallingHours,
    first_window_of_day,
    is_within_calling_hours,
    local_date,
    local_slot,
    local_time,
    next_calling_time,
    previous_window_end,
    require_aware,
    segments_after,
)
from cati.calling.views import (
    MAX_ATTEMPTS_ELIGIBLE,
    MAX_ATTEMPTS_UNKNOWN,
    RESUME_CODES,
    ROTATING_CODES,
    AppointmentView,
    AttemptView,
    CaseView,
    Explanation,
    QuotaView,
    RetryPolicy,
    RuleCheck,
)

__all__ = [
    "MAX_ATTEMPTS_ELIGIBLE",
    "MAX_ATTEMPTS_UNKNOWN",
    "RESUME_CODES",
    "ROTATING_CODES",
    "AppointmentView",
    "AttemptView",
    "CallingHours",
    "CaseView",
    "Explanation",
    "QuotaView",
    "RetryPolicy",
    "RuleCheck",
    "appointment_due",
    "appointment_missed",
    "explain",
    "is_within_calling_hours",
    "local_slot",
    "max_attempts_outcome",
    "next_attempt_time",
    "next_calling_time",
    "queue_order_key",
]

# --- attempts -------------------------------------------------------------------------------


def _attempts_on_day(attempts: Sequence[AttemptView], day: dt.date, tz: str) -> int:
    return sum(1 for a in attempts if a.counts and local_date(a.started_at, tz) == day)


def _slot_counts(attempts: Sequence[AttemptView], tz: str) -> Counter[str]:
    counts = Counter({slot: 0 for slot in SLOTS})
    counts.update(local_slot(a.started_at, tz) for a in attempts)
    return counts


def _counting(attempts: Sequence[AttemptView]) -> list[AttemptView]:
    return [a for a in attempts if a.counts]


def next_attempt_time(
    case: CaseView,
    attempts: Sequence[AttemptView],
    disposition_code: str,
    now_utc: dt.datetime,
    hours: CallingHours,
    policy: RetryPolicy,
) -> dt.datetime | None:
    """When to call the case again after an attempt ending in `disposition_code`.

    `attempts` is the case's history including the attempt just ended. None for a final code
    or when the attempt cap is reached (see :func:`max_attempts_outcome`).
    """
    now = require_aware(now_utc, "now_utc")
    delay = policy.delay(disposition_code)
    if delay is None or len(_counting(attempts)) >= policy.max_attempts:
        return None
    tz = case.time_zone
    earliest = now + delay
    preferred: set[str] | None = None
    if disposition_code in policy.rotating_codes:
        counts = _slot_counts(attempts, tz)
        reachable = {s.slot for s in segments_after(earliest, tz, hours, 7)}
        if reachable:
            fewest = min(counts[s] for s in reachable)
            preferred = {s for s in reachable if counts[s] == fewest}
    for wanted in (preferred, None):
        found = _first_open(earliest, attempts, tz, hours, policy.max_per_day, wanted)
        if found is not None:
            return found
    raise ValueError("no calling time found in the next two weeks")  # pragma: no cover


def _first_open(
    earliest: dt.datetime,
    attempts: Sequence[AttemptView],
    tz: str,
    hours: CallingHours,
    max_per_day: int,
    slots: set[str] | None,
) -> dt.datetime | None:
    """The first calling instant ≥ earliest in one of `slots`, on a local day below the cap."""
    for seg in segments_after(earliest, tz, hours):
        if _attempts_on_day(attempts, seg.day, tz) >= max_per_day:
            continue
        if slots is None or seg.slot in slots:
            return seg.start
    return None


def max_attempts_outcome(attempts: Sequence[AttemptView], policy: RetryPolicy) -> str | None:
    """"2.30" (contact was made) or "3.90" once the attempt cap is reached without a final code."""
    counted = _counting(attempts)
    if len(counted) < policy.max_attempts:
        return None
    if any(policy.is_final(a.disposition) for a in attempts):
        return None
    return MAX_ATTEMPTS_ELIGIBLE if any(a.contact for a in attempts) else MAX_ATTEMPTS_UNKNOWN


# --- explain --------------------------------------------------------------------------------


def _hm(value: dt.datetime, tz: str) -> str:
    return local_time(value, tz).strftime("%H:%M")


def _check_rules(
    case: CaseView,
    attempts: Sequence[AttemptView],
    appointments: Sequence[AppointmentView],
    quotas: QuotaView,
    now: dt.datetime,
    hours: CallingHours,
    policy: RetryPolicy,
    interviewer_id: int | None,
    workstation: str | None,
) -> tuple[RuleCheck, ...]:
    tz = case.time_zone
    checks: list[RuleCheck] = []
    due = [a for a in appointments if appointment_due(a, now, interviewer_id)]

    final = case.state == "closed" or policy.is_final(case.disposition)
    checks.append(RuleCheck(
        "closed", final,
        f"个案已结束 (case closed) {case.disposition or ''}".rstrip() if final
        else "个案未结束 (case open)"))

    lease_until = case.lease_expires_at
    leased = (case.lease_holder is not None and case.lease_holder != workstation
              and lease_until is not None and lease_until > now)
    checks.append(RuleCheck(
        "lease", leased,
        f"已被其他工作站占用 (leased by another workstation) {case.lease_holder} "
        f"至 (until) {_hm(lease_until, tz)}" if leased and lease_until
        else "未被占用 (not leased)",
        lease_until if leased else None))

    within = is_within_calling_hours(now, tz, hours)
    if within:
        detail = "在拨打时间内 (within calling hours)"
    elif due:
        detail = "不在拨打时间, 但预约已到 (outside calling hours, appointment due)"
    else:
        prev_end = previous_window_end(now, tz, hours)
        start = next_calling_time(now, tz, hours)
        span = f"{_hm(prev_end, tz) if prev_end else '…'}–{_hm(start, tz)}"
        detail = f"不在拨打时间 (outside calling hours) {span}"
    checks.append(RuleCheck("calling_hours", not within and not due, detail,
                            None if within or due else next_calling_time(now, tz, hours)))

    waiting = case.next_call_at is not None and case.next_call_at > now and not due
    checks.append(RuleCheck(
        "retry_delay", waiting,
        f"重拨等待中 (retry delay) 至 (until) {_hm(case.next_call_at, tz)}"
        if waiting and case.next_call_at else "无需等待 (no retry delay)",
        case.next_call_at if waiting else None))

    today = local_date(now, tz)
    today_count = _attempts_on_day(attempts, today, tz)
    capped = today_count >= policy.max_per_day and not due
    until = None
    if capped:
        for offset in range(1, 8):
            until = first_window_of_day(today + dt.timedelta(days=offset), tz, hours)
            if until is not None:
                break
    checks.append(RuleCheck(
        "daily_cap", capped,
        f"今日已拨 {today_count} 次 (attempts today {today_count}/{policy.max_per_day})",
        until))

    count = len(_counting(attempts))
    maxed = count >= policy.max_attempts
    checks.append(RuleCheck(
        "max_attempts", maxed,
        f"已拨 {count} 次 (attempts {count}/{policy.max_attempts})"))

    full = quotas.is_full(case.stratum)
    cell = quotas.cells.get(case.stratum)
    quota_text = f" {case.stratum} {cell[1]}/{cell[0]}" if cell else ""
    checks.append(RuleCheck(
        "quota", full,
        (f"配额已满 (quota full){quota_text}" if full else f"配额未满 (quota open){quota_text}")))

    reserved = [a for a in appointments if reserved_for_other(a, now, interviewer_id)]
    reserved_until = max((a.window_end for a in reserved), default=None)
    checks.append(RuleCheck(
        "hard_appointment", bool(reserved),
        f"硬预约留给其他访员 (hard appointment reserved for interviewer "
        f"{reserved[0].interviewer_id}) 至 (until) {_hm(reserved_until, tz)}"
        if reserved and reserved_until else "无他人硬预约 (no hard appointment for another)",
        reserved_until))
    return tuple(checks)


def explain(
    case: CaseView,
    attempts: Sequence[AttemptView],
    appointments: Sequence[AppointmentView],
    quotas: QuotaView,
    now_utc: dt.datetime,
    hours: CallingHours,
    policy: RetryPolicy,
    interviewer_id: int | None,
    *,
    workstation: str | None = None,
) -> Explanation:
    """Every queue rule for `case` as seen by `interviewer_id` at `workstation`, in fixed order.

    An appointment due for this interviewer lifts the calling-hours, retry-delay and daily-cap
    rules. `next_callable_at` is the earliest instant at which no rule blocks, found by
    re-checking at the latest lift time until nothing blocks; None if some block never lifts.
    """
    now = require_aware(now_utc, "now_utc")

    def run(at: dt.datetime) -> tuple[RuleCheck, ...]:
        return _check_rules(case, attempts, appointments, quotas, at, hours, policy,
                            interviewer_id, workstation)

    checks = run(now)
    at, current = now, checks
    next_at: dt.datetime | None = None
    for _ in range(32):
        blocking = [c for c in current if c.blocks]
        if not blocking:
            next_at = at
            break
        untils = [c.until for c in blocking]
        if any(u is None for u in untils):
            break
        later = max(u for u in untils if u is not None)
        at = later if later > at else at + dt.timedelta(minutes=1)
        current = run(at)
    return Explanation(checks, not any(c.blocks for c in checks), next_at)


# --- queue order ----------------------------------------------------------------------------

GROUP_APPOINTMENT, GROUP_RESUME, GROUP_RETRY, GROUP_FRESH, GROUP_OTHER = range(5)


def queue_order_key(
    case: CaseView,
    due_appointment: bool,
    now_utc: dt.datetime,
    quotas: QuotaView,
    rng_value: float,
) -> tuple[int, int, float, float, int]:
    """Sort key (ascending) for callable cases.

    Groups: due appointments, interviews to resume, due retries, fresh numbers, anything else;
    higher priority first within a group. Appointments, resumes and retries go longest overdue
    first; fresh numbers come from the stratum furthest behind its quota (a stratum without a
    quota counts as on target), in `rng_value` order within it.
    """
    now = require_aware(now_utc, "now_utc")
    if due_appointment:
        group = GROUP_APPOINTMENT
    elif case.state == "resume" or (case.state != "fresh" and case.disposition in RESUME_CODES):
        group = GROUP_RESUME
    elif case.state == "scheduled":
        group = GROUP_RETRY
    elif case.state == "fresh":
        group = GROUP_FRESH
    else:
        group = GROUP_OTHER
    if group == GROUP_FRESH:
        progress = quotas.progress(case.stratum)
        return (group, -case.priority, 1.0 if progress is None else progress, rng_value,
                case.case_id)
    due = case.next_call_at.astimezone(UTC) if case.next_call_at else now
    return (group, -case.priority, -(now - due).total_seconds(), rng_value, case.case_id)

"""The supervisor's live monitor: one read-only snapshot of a project, for one refresh.

Each figure is one grouped query (no row-by-row work in Python over the sample), so a refresh
stays fast at a million cases. "Today" is the calendar day in the project's time zone
(``settings["time_zone"]``, default Asia/Shanghai).

Rates: each case counts once, in the AAPOR class of its current disposition; numbers never
dialled are left out (they are not yet worked sample). "Today" takes the cases dialled today.

Quality markers (the seeds report respondents being coached to answer 满意): an interview far
shorter than the median (under SHORT_SHARE of it), and an interviewer whose answers are much
more uniform than the others' — the share of their closed answers that equal the most common
answer to the same question, compared with everyone's (flagged UNIFORM_MARGIN above, with at
least UNIFORM_MIN_INTERVIEWS completes). Both are today's, like the rest of the row.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, cast, extract, func, select, text, tuple_

from cati.calling.dispositions import SCREEN_OUT_CODES
from cati.calling.hours import is_within_calling_hours, next_calling_time
from cati.calling.lease_clock import store_now
from cati.errors import NotFound
from cati.reporting.aapor import outcome_rates
from cati.services.admin import project_calling_hours
from cati.services.clock import utc_now
from cati.services.presence import presence_in
from cati.services.qc import Listening, listening_by_interviewer
from cati.services.questionnaires import form_of
from cati.services.quotas import QuotaCell, condition_cells, quota_cells
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import (
    OPEN_APPOINTMENT_SQL,
    Answer,
    Appointment,
    CallAttempt,
    Case,
    Disposition,
    Interview,
    Project,
    User,
)
from cati.web.activity import ModeCounts, modes_of

REFUSALS = ("2.111", "2.112")
SCREEN_OUTS = SCREEN_OUT_CODES
COMPLETE = "1.1"
OPEN_STATES = ("fresh", "scheduled", "resume", "appointment")
SHORT_SHARE = 0.5
UNIFORM_MARGIN = 0.15
UNIFORM_MIN_INTERVIEWS = 5
RATES = ("RR1", "RR3", "COOP1", "REF1", "CON1")


@dataclass(frozen=True, slots=True)
class Totals:
    calls: int
    contacts: int
    completes: int  # every mode: the calls' completes, and field and web interviews completed
    screen_outs: int
    refusals: int
    rates: dict[str, float | None]  # RR1 RR3 COOP1 REF1 CON1, and "e"
    # completes split by mode ("phone" from the calls; "field", "web" from their interviews:
    # those have no call); modes without a complete are left out
    completes_by_mode: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StratumRow:
    stratum: str
    target: int | None
    completes: int
    remaining: int  # open cases still to call
    dialled: int  # cases dialled at least once
    reachable: bool | None  # None without a target; else completes + remaining × yield ≥ target


@dataclass(frozen=True, slots=True)
class InterviewerRow:
    user_id: int
    name: str
    state: str
    since: dt.datetime | None
    case_id: int | None
    calls: int
    calls_per_hour: float | None
    completes: int
    refusal_rate: float | None  # refusals / contacts today
    mean_interview_minutes: float | None
    short_interviews: int  # completes today under SHORT_SHARE of the median length
    uniformity: float | None  # share of closed answers equal to the most common answer
    flags: tuple[str, ...]
    pause_reason: str = ""  # break | training | meeting | other while paused
    # 录音抽查: the interviewer's scored listening reviews on the project (all time), or None
    listening: Listening | None = None


@dataclass(frozen=True, slots=True)
class AppointmentDue:
    case_id: int
    window_start: dt.datetime
    hard: bool
    booked_by: int | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: dt.datetime
    day_start: dt.datetime
    today: Totals
    overall: Totals
    # (local hour, calls, completes) today; completes in every mode (see Totals.completes)
    hourly: list[tuple[int, int, int]]
    strata: list[StratumRow]
    interviewers: list[InterviewerRow]
    by_state: dict[str, int]
    by_disposition: dict[str, int]
    appointments_next_hour: list[AppointmentDue] = field(default_factory=list)
    zone: str = "Asia/Shanghai"  # the project's time zone: "today" and the hours are in it
    # Interviews begun today by mode (phone, field, web) and state: web ones beside phone ones.
    modes: list[ModeCounts] = field(default_factory=list)
    status: str = "active"  # the project's: active | paused | closed
    # When the project's zone is outside its calling hours: when they open again (UTC).
    calling_opens_at: dt.datetime | None = None
    # Quota cells with a condition (sex × age band, a sample column …): name, target,
    # completes and condition (cati.services.quotas), beside the strata.
    cells: list[QuotaCell] = field(default_factory=list)


def snapshot(database: Database, project_id: int, *, now: dt.datetime | None = None,
             user_id: int | None = None) -> Snapshot:
    """The monitor's figures; with ``user_id``, only for an active supervisor or admin (None:
    the command line, acting for whoever holds the database's credentials)."""
    now = now or utc_now()
    with database.unit(immediate=False) as session:
        if user_id is not None:
            require_supervisor(session, user_id, "watch the monitor (查看实时监控)")
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}")
        zone = ZoneInfo((project.settings or {}).get("time_zone", "Asia/Shanghai"))
        local = now.astimezone(zone)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
        dispositions = {d.code: d for d in session.scalars(
            select(Disposition).where(Disposition.project_id == project_id))}
        contact_codes = sorted(c for c, d in dispositions.items() if d.contact)
        classes = {code: d.aapor_class for code, d in dispositions.items()}
        in_project = CallAttempt.project_id == project_id
        today_attempts = and_(in_project, CallAttempt.started_at >= day_start,
                              CallAttempt.started_at <= now)
        # Today's attempts, summed in SQL two ways (index on project, start).
        day = _Day(*_today_sums(session, today_attempts, day_start), contact_codes)
        all_counts = _all_by_code(session, database, project_id, day_start, now, day.by_code)
        # The cases called today, from ix_cases_called alone.
        today_cases = dict(session.execute(
            select(Case.disposition, func.count())
            .where(Case.project_id == project_id, Case.last_called_at >= day_start)
            .group_by(Case.disposition)).all())
        # One pass over the project's cases (it reads only ix_cases_monitor).
        cases = _CaseCounts(session.execute(
            select(Case.state, Case.disposition, Case.stratum, Case.attempts, func.count())
            .where(Case.project_id == project_id)
            .group_by(Case.state, Case.disposition, Case.stratum, Case.attempts)).all())

        # Interviews begun today by hour, mode and state (ix_interviews_started alone): the
        # modes line, and the field and web completes (they have no call), which join the
        # completes of today and of their hour.
        begun = _hours_since(session, Interview.started_at, day_start)
        begun_today = session.execute(
            select(begun, Interview.mode, Interview.state, func.count())
            .where(Interview.project_id == project_id, Interview.started_at >= day_start)
            .group_by(begun, Interview.mode, Interview.state)).all()
        modes = modes_of((mode, state, n) for _, mode, state, n in begun_today)
        for hour, mode, state, n in begun_today:
            if mode != "phone" and state == "complete":
                day.completes_by_hour[min(23, max(0, int(hour)))] += n
        strata, completes_by_mode = _strata(session, project_id, cases)
        today = _totals(day.by_code, today_cases, classes, contact_codes,
                        {m.mode: m.complete for m in modes if m.mode != "phone"})
        overall = _totals(all_counts, cases.dialled_by_code, classes, contact_codes,
                          {mode: n for mode, n in completes_by_mode.items() if mode != "phone"})
        hourly = [(hour, day.calls_by_hour[hour], day.completes_by_hour[hour])
                  for hour in range(24)]
        interviewers = _interviewers(session, project_id, day, day_start, now,
                                     project.questionnaire_id)
        by_state, by_disposition = dict(cases.by_state), dict(cases.by_disposition)
        due = [AppointmentDue(case_id, start, hard, booked_by)
               for case_id, start, hard, booked_by in session.execute(
                   select(Appointment.case_id, Appointment.window_start, Appointment.hard,
                          Appointment.booked_by)
                   # The open appointments of the hour first (the partial index, in its own
                   # words), then their cases' project: without statistics SQLite would
                   # otherwise walk the project's million cases to find them.
                   .where(select(Case.project_id).where(Case.id == Appointment.case_id)
                          .scalar_subquery() == project_id,
                          text(OPEN_APPOINTMENT_SQL),
                          Appointment.window_start <= now + dt.timedelta(hours=1),
                          Appointment.window_end > now)
                   .order_by(Appointment.window_start))]
        hours = project_calling_hours(project.settings or {})
        opens_at = (None if is_within_calling_hours(now, zone.key, hours)
                    else next_calling_time(now, zone.key, hours))
        cells = condition_cells(session, project_id)
    return Snapshot(now, day_start, today, overall, hourly, strata, interviewers, by_state,
                    by_disposition, due, zone.key, modes, project.status, opens_at, cells)


def _totals(attempts: dict, cases: dict, classes: dict[str, str],
            contact_codes: list[str], without_call: dict[str, int]) -> Totals:
    """The calls' figures, with the completes of interviews made without a call (field and
    web, ``without_call`` by mode) added to the completes."""
    counts: Counter[str] = Counter()
    for code, n in cases.items():
        if code:  # a dialled case always has a code (appointment-only cases keep theirs)
            counts[classes.get(code, "UH")] += n
    rates = outcome_rates(dict(counts))
    return Totals(
        calls=sum(n for code, n in attempts.items() if code is not None),
        contacts=sum(n for code, n in attempts.items() if code in contact_codes),
        completes=attempts.get(COMPLETE, 0) + sum(without_call.values()),
        screen_outs=sum(attempts.get(code, 0) for code in SCREEN_OUTS),
        refusals=sum(attempts.get(code, 0) for code in REFUSALS),
        rates={name: rates.get(name) for name in (*RATES, "e")},
        completes_by_mode={mode: n for mode, n in
                           {"phone": attempts.get(COMPLETE, 0), **without_call}.items() if n})


def _hours_since(session, column, day_start: dt.datetime):
    """Whole hours from local midnight to ``column`` (the local hour, except on a
    daylight-saving day), computed by the database."""
    if session.get_bind().dialect.name == "sqlite":
        # Stored as UTC text; julianday() reads it.
        start = day_start.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return cast((func.julianday(column) - func.julianday(start)) * 24, Integer)
    return cast(func.floor(extract("epoch", column - day_start) / 3600), Integer)


def _today_sums(session, today_attempts, day_start: dt.datetime) -> tuple[list, list]:
    """Today's attempts counted by (local hour, disposition), and today's calls counted by
    (interviewer, disposition) with the first one's start: one scan with GROUPING SETS on
    PostgreSQL, two on SQLite."""
    hour = _hours_since(session, CallAttempt.started_at, day_start)
    user, code = CallAttempt.interviewer_id, CallAttempt.disposition
    first = func.min(CallAttempt.started_at)
    if session.get_bind().dialect.name == "sqlite":
        by_hour = session.execute(select(hour, code, func.count()).where(today_attempts)
                                  .group_by(hour, code)).all()
        by_user = session.execute(
            select(user, code, func.count(), first)
            .where(today_attempts, user.is_not(None), code.is_not(None))
            .group_by(user, code)).all()
        return by_hour, by_user
    by_hour, by_user = [], []
    for per_hour, hour_value, user_id, code_value, n, first_value in session.execute(
            select(func.grouping(hour), hour, user, code, func.count(), first)
            .where(today_attempts)
            .group_by(func.grouping_sets(tuple_(hour, code), tuple_(user, code)))):
        if per_hour == 0:
            by_hour.append((hour_value, code_value, n))
        elif user_id is not None and code_value is not None:
            by_user.append((user_id, code_value, n, first_value))
    return by_hour, by_user


# A project's attempts that started before today's midnight hardly change during the day
# (attempts are only ever added; a late one is a call that ran over midnight or an outcome
# written back from a workstation's journal), so their counts by disposition are kept per
# store and project, with the newest attempt id they saw. Each refresh adds the earlier
# attempts written since (ids above it, from the primary key); the whole count is taken again
# every EARLIER_RECOUNT_S, which also picks up a row committed out of id order meanwhile.
EARLIER_RECOUNT_S = 300.0


@dataclass(slots=True)
class _Earlier:
    day_start: dt.datetime
    newest_id: int
    counts: Counter
    taken: float


_earlier: WeakKeyDictionary[Database, dict[int, _Earlier]] = WeakKeyDictionary()


def _all_by_code(session, database: Database, project_id: int, day_start: dt.datetime,
                 now: dt.datetime, today_by_code: Counter) -> Counter:
    """All the project's attempts by disposition: those before today (kept, see above),
    today's up to ``now`` (already summed) and any after ``now`` (a clock behind the
    workstations')."""
    in_project = CallAttempt.project_id == project_id
    before = and_(in_project, CallAttempt.started_at < day_start)
    code = CallAttempt.disposition
    kept_here = _earlier.setdefault(database, {})
    kept = kept_here.get(project_id)
    clock = time.monotonic()
    if kept is None or kept.day_start != day_start or clock - kept.taken > EARLIER_RECOUNT_S:
        # The newest id in the same statement, so the count and the id are one snapshot.
        newest = select(func.max(CallAttempt.id)).scalar_subquery()
        rows = session.execute(select(code, func.count(), newest).where(before)
                               .group_by(code)).all()
        newest_id = rows[0][2] if rows else session.scalar(select(func.max(CallAttempt.id)))
        kept = kept_here[project_id] = _Earlier(
            day_start, newest_id or 0, Counter({c: n for c, n, _ in rows}), clock)
    counts = Counter(kept.counts)
    # From the primary key: "+ 0" keeps SQLite off the project's index, which would walk all
    # of the project's earlier attempts to find the few new ones.
    counts.update(dict(session.execute(
        select(code, func.count())
        .where(CallAttempt.id > kept.newest_id, CallAttempt.project_id + 0 == project_id,
               CallAttempt.started_at < day_start)
        .group_by(code)).all()))
    counts.update(today_by_code)
    counts.update(dict(session.execute(
        select(code, func.count()).where(in_project, CallAttempt.started_at > now)
        .group_by(code)).all()))
    return counts


class _Day:
    """Today's attempts summed by disposition, by local hour and by interviewer."""

    def __init__(self, by_hour_rows, by_user_rows, contact_codes: list[str]) -> None:
        self.by_code: Counter = Counter()
        self.calls_by_hour: Counter[int] = Counter()
        self.completes_by_hour: Counter[int] = Counter()
        for hour, code, n in by_hour_rows:
            self.by_code[code] += n
            if code is None:  # an appointment booked: not a call of its own
                continue
            hour = min(23, max(0, int(hour)))
            self.calls_by_hour[hour] += n
            if code == COMPLETE:
                self.completes_by_hour[hour] += n
        self.per_user: dict[int, Counter] = defaultdict(Counter)
        self.first_call: dict[int, dt.datetime] = {}
        for user_id, code, n, first in by_user_rows:
            figures = self.per_user[user_id]
            figures["calls"] += n
            figures["completes"] += n if code == COMPLETE else 0
            figures["refusals"] += n if code in REFUSALS else 0
            figures["contacts"] += n if code in contact_codes else 0
            if user_id not in self.first_call or first < self.first_call[user_id]:
                self.first_call[user_id] = first


class _CaseCounts:
    """The project's cases grouped by (state, disposition, stratum, attempts), summed."""

    def __init__(self, rows) -> None:
        self.by_state: Counter[str] = Counter()
        self.by_disposition: Counter[str] = Counter()
        self.dialled_by_code: Counter = Counter()
        self.remaining: Counter[str] = Counter()
        self.dialled: Counter[str] = Counter()
        for state, code, stratum, attempts, n in rows:
            self.by_state[state] += n
            self.by_disposition[code or ""] += n
            if attempts > 0:
                self.dialled_by_code[code] += n
                self.dialled[stratum] += n
            if state in OPEN_STATES:
                self.remaining[stratum] += n


def _strata(session, project_id: int, cases: _CaseCounts,
            ) -> tuple[list[StratumRow], Counter[str]]:
    """The strata's rows, and all the project's complete interviews by mode."""
    cells = quota_cells(session, project_id)
    completes: Counter[str] = Counter()
    by_mode: Counter[str] = Counter()
    for stratum, mode, n in session.execute(
            select(Interview.stratum, Interview.mode, func.count())
            .where(Interview.project_id == project_id, Interview.state == "complete")
            .group_by(Interview.stratum, Interview.mode)):
        completes[stratum] += n
        by_mode[mode] += n
    remaining, dialled = cases.remaining, cases.dialled
    rows = []
    for stratum in sorted(set(cells) | set(remaining) | set(completes) | set(dialled)):
        target = cells[stratum][0] if stratum in cells else None
        done, left, tried = completes.get(stratum, 0), remaining.get(stratum, 0), \
            dialled.get(stratum, 0)
        reachable = None
        if target is not None:
            rate = done / tried if tried else 0.0
            reachable = done >= target or done + left * rate >= target
        rows.append(StratumRow(stratum or "-", target, done, left, tried, reachable))
    return rows, by_mode


def _interviewers(session, project_id: int, day: _Day,
                  day_start: dt.datetime, now: dt.datetime,
                  questionnaire_id: int) -> list[InterviewerRow]:
    stats, first_call = day.per_user, day.first_call
    lengths: dict[int, list[float]] = defaultdict(list)
    for user_id, started, ended in session.execute(
            select(Interview.interviewer_id, Interview.started_at, Interview.ended_at)
            .where(Interview.project_id == project_id, Interview.state == "complete",
                   Interview.ended_at >= day_start, Interview.interviewer_id.is_not(None))):
        lengths[user_id].append((ended - started).total_seconds() / 60)
    everyone = [m for values in lengths.values() for m in values]
    median = statistics.median(everyone) if everyone else None
    uniformity, counted = _uniformity(session, project_id, questionnaire_id, day_start)
    overall_uniformity = (sum(uniformity.values()) / len(uniformity)) if uniformity else None
    # presence is stamped on the store's clock: who is online is judged on it too
    seen = {p.user_id: p for p in presence_in(session, project_id, store_now(session))}
    people = sorted(set(stats) | set(seen) | set(lengths))
    names = {user_id: display or username for user_id, username, display in session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(people)))}
    listening = listening_by_interviewer(session, project_id)
    rows = []
    for user_id in people:
        figures, state = stats[user_id], seen.get(user_id)
        hours = (now - first_call[user_id]).total_seconds() / 3600 if user_id in first_call \
            else None
        mine = lengths.get(user_id, [])
        short = sum(m < SHORT_SHARE * median for m in mine) if median else 0
        flags = []
        if short:
            flags.append("short_interviews")
        own = uniformity.get(user_id)
        if (own is not None and overall_uniformity is not None
                and counted.get(user_id, 0) >= UNIFORM_MIN_INTERVIEWS
                and own >= _others_mean(uniformity, user_id, overall_uniformity)
                + UNIFORM_MARGIN):
            flags.append("uniform_answers")
        rows.append(InterviewerRow(
            user_id=user_id, name=names.get(user_id, str(user_id)),
            state=state.state if state else "offline", since=state.since if state else None,
            case_id=state.case_id if state else None, calls=figures["calls"],
            pause_reason=state.reason if state else "",
            calls_per_hour=(figures["calls"] / max(hours, 1 / 60)) if hours is not None
            else None,
            completes=figures["completes"],
            refusal_rate=(figures["refusals"] / figures["contacts"]) if figures["contacts"]
            else None,
            mean_interview_minutes=sum(mine) / len(mine) if mine else None,
            short_interviews=short, uniformity=own, flags=tuple(flags),
            listening=listening.get(user_id)))
    return rows


def _others_mean(values: dict[int, float], user_id: int, fallback: float) -> float:
    """The mean of everyone else's value (plain float arithmetic: statistics.mean's exact
    fractions cost milliseconds per refresh at 100 interviewers)."""
    others = len(values) - (user_id in values)
    if not others:
        return fallback
    return (sum(values.values()) - values.get(user_id, 0.0)) / others


def _uniformity(session, project_id: int, questionnaire_id: int,
                day_start: dt.datetime) -> tuple[dict[int, float], dict[int, int]]:
    """Per interviewer: the share of their closed (select_one) answers in the interviews they
    completed today that equal the most common answer to that question over all interviewers
    today. Today's, as the other figures of the row: it is what the supervisor can act on, and
    the refresh reads a day's answers, not the whole month's."""
    form = form_of(session, questionnaire_id)
    closed = [item.name for item in form.items if item.kind == "select_one"]
    if not closed:
        return {}, {}
    rows = session.execute(
        select(Interview.interviewer_id, Answer.question, Answer.value, func.count())
        .join(Answer, Answer.interview_id == Interview.id)
        .where(Interview.project_id == project_id, Interview.state == "complete",
               Interview.ended_at >= day_start, Interview.interviewer_id.is_not(None),
               Answer.question.in_(closed))
        .group_by(Interview.interviewer_id, Answer.question, Answer.value)).all()
    modal: dict[str, Counter] = defaultdict(Counter)
    for _, question, value, n in rows:
        modal[question][value] += n
    top = {question: counts.most_common(1)[0][0] for question, counts in modal.items()}
    same: Counter[int] = Counter()
    total: Counter[int] = Counter()
    for user_id, question, value, n in rows:
        total[user_id] += n
        same[user_id] += n if value == top[question] else 0
    interviews = dict(session.execute(
        select(Interview.interviewer_id, func.count())
        .where(Interview.project_id == project_id, Interview.state == "complete",
               Interview.ended_at >= day_start, Interview.interviewer_id.is_not(None))
        .group_by(Interview.interviewer_id)).all())
    return {user: same[user] / total[user] for user in total if total[user]}, interviews

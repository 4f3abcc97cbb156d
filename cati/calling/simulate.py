"""A simulated call centre: N interviewers, each in its own process with its own connection,
doing the real work through the same services the interviewer window uses — claim, dial (an
outcome drawn from a realistic distribution), for answered calls a random valid path through the
questionnaire with every answer saved as the window saves it, record the outcome.

Time is call-centre time: it starts at the next moment inside calling hours (Beijing) and runs
``speed`` times faster than the wall clock, on one clock for all: the day starts when every
interviewer process is ready.

The simulator rides out a database that goes away (a PostgreSQL server restarted mid-run): every
unit of work is retried while the connection is lost (cati.storage.retry), without doubling
anything although a commit whose reply was lost may or may not have landed. Answers are stored
by value (a retried save finds them stored and writes nothing); a retried claim first takes back
a case this workstation already holds; a retried outcome first looks for this workstation's
attempt on the case with the same start. Leases (on the store's clock: real time) last at least
LEASE_REAL_SECONDS, so that a restart does not hand a held case to another interviewer (a real
10-minute lease outlasts a one-minute outage in the same way).

The simulator keeps what it did — every attempt it recorded, every interview's answers as it
left them — and afterwards checks the database against it: no case held by two workstations at
once, every attempt stored exactly once, every interview's answers as played.

Each run checks its own work only, so runs may share a store, one after another or at once (a
second run counted the first's attempts as doubled and compared attempts made on two different
simulated clocks). A run's workstations are named for the run (``sim1-RUN`` …, RUN random), so
two runs at once are two sets of workstations, never one workstation in two places; the
accounts sim1 … simN are shared by all runs (made once), and a run's presence rows are removed
when its shift ends (the monitor shows an interviewer without one as offline), so runs leave
nothing behind but the calls and interviews they made.
"""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TypeVar

from sqlalchemy import delete, func, select, text

from cati.calling.hours import CallingHours, next_calling_time
from cati.calling.outcomes import LeaseLost, record_outcome
from cati.calling.queue import ClaimedCase, claim_next_case, renew_lease
from cati.errors import CatiError, NotFound
from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.walk import _candidate, _numbers_in_form
from cati.services.clock import utc_now
from cati.services.interviews import SaveResult, open_interview, save_answers
from cati.services.presence import report_presence
from cati.services.questionnaires import form_of
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import (
    Answer,
    CallAttempt,
    Case,
    Interview,
    Presence,
    Project,
    User,
)
from cati.storage.retry import GIVE_UP_AFTER, retry_on_disconnect

# (code, share of dialled calls, call-centre seconds it takes); "answer" starts the interview.
OUTCOMES = (("3.13", 0.30, 40), ("3.12", 0.05, 15), ("3.16", 0.10, 20), ("2.22", 0.05, 45),
            ("2.112", 0.08, 60), ("2.111", 0.04, 40), ("4.31", 0.05, 10), ("4.51", 0.02, 30),
            ("answer", 0.31, 0))
BREAK_OFF_SHARE = 0.06
SECONDS_PER_ANSWER = 20
IDLE_SECONDS = 60
LEASE_REAL_SECONDS = 30  # a lease outlasts a server restart and the back-off behind it
ACCOUNTS_LOCK = 7_403_413  # pg_advisory_xact_lock key: the simulated accounts are made once
START_TIMEOUT = 600.0  # seconds for every interviewer process to start (64 on 2 cores: ~1 min)

T = TypeVar("T")
# An attempt as the simulator recorded it: (case, workstation, started_at, code).
Attempt = tuple[int, str, dt.datetime, str]


@dataclass
class InterviewerReport:
    claims: int = 0
    leases_lost: int = 0
    claim_ms: list[float] = field(default_factory=list)
    dispositions: Counter = field(default_factory=Counter)
    # interview -> (when this session of it ended, the answers it left); a broken-off interview
    # resumed by another interviewer has several sessions: the latest one counts
    played: dict[int, tuple[dt.datetime, dict[str, str]]] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    claim_times: list[float] = field(default_factory=list)  # wall clock (time.time())
    reconnects: int = 0  # units of work tried again because the connection was lost
    longest_unit_s: float = 0.0  # the longest unit of work in real seconds, retries included


@dataclass(frozen=True)
class SimulationResult:
    claims: int
    completes: int
    dispositions: dict[str, int]
    claim_p50_ms: float | None
    claim_p99_ms: float | None
    duplicate_claims: int
    lost_answers: int
    leases_lost: int = 0  # calls dropped because the lease ran out (a stalled machine)
    attempts: int = 0  # call attempts the simulator recorded
    missing_attempts: int = 0  # recorded but not stored
    doubled_attempts: int = 0  # stored more often than recorded (or never recorded)
    answers_differ: int = 0  # interviews whose stored answers are not what was played
    reconnects: int = 0  # units of work tried again because the connection was lost
    longest_unit_s: float = 0.0  # real seconds, retries included (a stall, an outage)
    # wall-clock time (time.time()) of every claim, to see that work went on after an event
    claim_times: tuple[float, ...] = field(default=(), repr=False)

    def as_json(self) -> dict:
        figures = self.__dict__.copy()
        del figures["claim_times"]
        return figures


class _Clock:
    def __init__(self, start: dt.datetime, speed: float) -> None:
        self.start, self.speed, self.real_start = start, speed, time.monotonic()
        # Leases run on the store's clock (real time, cati.calling.lease_clock), not on this
        # faster one: a 10-minute lease of the simulated day, but never under
        # LEASE_REAL_SECONDS of real time.
        self.lease = max(dt.timedelta(minutes=10) / speed,
                         dt.timedelta(seconds=LEASE_REAL_SECONDS))

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=(time.monotonic() - self.real_start) * self.speed)

    def spend(self, seconds: float) -> None:
        time.sleep(seconds / self.speed)


def simulate(db_url: str, project_code: str, interviewers: int, minutes: float, *,
             seed: int = 0, speed: float = 60.0, start: dt.datetime | None = None,
             on_start: Callable[[], None] | None = None) -> SimulationResult:
    """Run the simulated day and check the database against what was done.

    The day (``minutes`` of call-centre time from ``start``) begins when every interviewer
    process is ready; ``on_start`` is then called in this process (the soak test schedules its
    server restarts from it)."""
    database = Database(db_url)
    with database.unit() as session:
        project = session.scalar(select(Project).where(Project.code == project_code))
        if project is None:
            raise NotFound(f"no project '{project_code}'")
        project_id = project.id
        users = _simulated_accounts(session, interviewers)
        first_attempt = (session.scalar(select(func.max(CallAttempt.id))) or 0) + 1
    start = start or next_calling_time(utc_now(), "Asia/Shanghai", CallingHours())
    run = secrets.token_hex(3)
    workstations = [f"sim{n + 1}-{run}" for n in range(interviewers)]
    args = [(db_url, project_id, workstations[n], seed * 1000 + n, start, minutes, speed,
             users[n]) for n in range(interviewers)]
    context = multiprocessing.get_context("spawn")
    ready, failed, go = context.Value("i", 0), context.Value("i", 0), context.Event()
    with context.Pool(interviewers, initializer=_join_the_day,
                      initargs=(ready, failed, go)) as pool:
        pending = pool.starmap_async(run_interviewer, args)
        deadline = time.monotonic() + START_TIMEOUT
        while ready.value < interviewers and not failed.value:
            if time.monotonic() > deadline:
                raise RuntimeError("the simulated interviewers did not start")
            time.sleep(0.02)
        go.set()
        if on_start is not None and not failed.value:
            on_start()
        try:
            reports = pending.get()  # a process that failed to start raises its error here
        finally:
            retry_on_disconnect(functools.partial(_leave, database, workstations),
                                give_up_after=GIVE_UP_AFTER)
    result = _summarise(database, project_id, reports, first_attempt, set(workstations))
    database.dispose()
    return result


def _leave(database: Database, workstations: list[str]) -> None:
    """The run's workstations are not seen again: their presence rows go."""
    with database.unit() as session:
        session.execute(delete(Presence).where(Presence.workstation.in_(workstations)))


# In a pool process: (count of ready processes, count of failed ones, the start signal).
_day: tuple | None = None


def _join_the_day(ready, failed, go) -> None:
    global _day
    _day = (ready, failed, go)


def _wait_for_the_day() -> bool:
    """Say this process is ready and wait until all are: the day starts for all at once.
    False when another process failed to get ready: there is no day."""
    if _day is None:
        return True  # run_interviewer called on its own
    ready, failed, go = _day
    with ready.get_lock():
        ready.value += 1
    go.wait()
    return not failed.value


def _no_day() -> None:
    """This process failed to get ready: the others are let go at once, without a day."""
    if _day is not None:
        _, failed, go = _day
        with failed.get_lock():
            failed.value += 1
        go.set()


def real_interviews(session, project_code: str) -> int:
    """The project's interviews not made by the simulator (its accounts are sim1 … simN):
    ``cati simulate`` refuses such a project unless forced."""
    project_id = session.scalar(select(Project.id).where(Project.code == project_code))
    if project_id is None:
        raise NotFound(f"no project '{project_code}'")
    simulated = [user_id for user_id, name in session.execute(
        select(User.id, User.username).where(User.username.like("sim%")))
        if name[3:].isdigit()]
    return session.scalar(select(func.count()).select_from(Interview).where(
        Interview.project_id == project_id,
        Interview.interviewer_id.is_(None) | Interview.interviewer_id.not_in(simulated))) or 0


def _simulated_accounts(session, count: int) -> list[int]:
    """The accounts sim1 … simN (interviewers; a random password nobody knows), created once:
    the monitor and the reports show simulated work per interviewer as they do real work.
    Two runs starting at once on PostgreSQL both found an account missing and the second's
    CREATE ROLE failed: the accounts are made under a lock held to the end of the unit (the
    second run then finds them); SQLite's writing unit holds the write lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ACCOUNTS_LOCK})
    ids = []
    for n in range(1, count + 1):
        name = f"sim{n}"
        user_id = session.scalar(select(User.id).where(User.username == name))
        if user_id is None:
            user_id = add_user(session, name, secrets.token_urlsafe(18), "interviewer",
                               f"模拟访问员{n}").id
        ids.append(user_id)
    return ids


def run_interviewer(db_url: str, project_id: int, workstation: str, seed: int,
                    start: dt.datetime, minutes: float, speed: float,
                    user_id: int | None = None) -> InterviewerReport:
    """One simulated interviewer's shift (runs in its own process)."""
    database = Database(db_url)
    rng = random.Random(seed)
    report = InterviewerReport()
    desk = _Desk(database, project_id, workstation, user_id, report)
    try:
        desk.run(lambda: _form_of_project(database, project_id))  # compiled before the day
    except BaseException:
        _no_day()
        raise
    if not _wait_for_the_day():
        database.dispose()
        return report
    clock = _Clock(start, speed)
    end = start + dt.timedelta(minutes=minutes)
    while clock.now() < end:
        started = time.perf_counter()
        case = desk.claim(clock)
        report.claim_ms.append((time.perf_counter() - started) * 1000)
        if case is None:
            desk.present("ready", None)
            clock.spend(IDLE_SECONDS)
            continue
        report.claim_times.append(time.time())
        desk.present("call", case.case_id)
        report.claims += 1
        claimed_at = clock.now()
        code, seconds = _draw(rng)
        interview_id = None
        try:
            if code == "answer":
                desk.present("interviewing", case.case_id)
                code, interview_id = _interview(desk, case.case_id, rng, clock)
            else:
                clock.spend(seconds)
            desk.record_outcome(case.case_id, code, claimed_at, clock, interview_id)
        except LeaseLost:
            # The machine stalled longer than the lease and another interviewer took the
            # case: the window would say so and drop the call; the answers it had saved stay.
            report.leases_lost += 1
            continue
        report.dispositions[code] += 1
    desk.present("offline", None)
    database.dispose()
    return report


class _Desk:
    """One simulated workstation's calls into the services, each retried while the database is
    away; the two that must not run twice look first whether the lost commit landed."""

    def __init__(self, database: Database, project_id: int, workstation: str,
                 user_id: int | None, report: InterviewerReport) -> None:
        self.database, self.project_id, self.workstation = database, project_id, workstation
        self.user_id, self.report = user_id, report

    def run(self, fn: Callable[[], T], again: Callable[[], T] | None = None) -> T:
        began = time.monotonic()
        try:
            return retry_on_disconnect(fn, give_up_after=GIVE_UP_AFTER, again=again,
                                       on_disconnect=self._reconnecting)
        finally:
            took = time.monotonic() - began
            self.report.longest_unit_s = max(self.report.longest_unit_s, took)

    def _reconnecting(self, _error: BaseException) -> None:
        self.report.reconnects += 1

    def claim(self, clock: _Clock) -> ClaimedCase | None:
        def claim(take_back: bool = False) -> ClaimedCase | None:
            return claim_next_case(self.database, self.project_id, self.workstation,
                                   now=clock.now(), lease=clock.lease,
                                   interviewer_id=self.user_id, take_back=take_back)

        # A claim whose reply was lost may hold a case already: take it back first.
        return self.run(claim, again=lambda: claim(take_back=True))

    def record_outcome(self, case_id: int, code: str, started_at: dt.datetime, clock: _Clock,
                       interview_id: int | None) -> None:
        def record() -> None:
            record_outcome(self.database, case_id, self.workstation, code,
                           started_at=started_at, now=clock.now(), interview_id=interview_id,
                           interviewer_id=self.user_id)

        def record_unless_stored() -> None:
            if not self._attempt_stored(case_id, started_at):
                record()

        self.run(record, again=record_unless_stored)
        self.report.attempts.append((case_id, self.workstation, started_at, code))

    def save_answers(self, interview_id: int, case_id: int, changes: dict[str, str],
                     current_item: str | None, clock: _Clock) -> SaveResult:
        """Stored by value: a retry after a lost reply finds the answers stored, writes
        nothing. An interview another workstation closed meanwhile (it took the case when this
        one stalled past its lease) is a lost lease, as the window reports it."""
        try:
            return self.run(functools.partial(
                save_answers, self.database, interview_id, changes, workstation=self.workstation,
                now=clock.now(), current_item=current_item, user_id=self.user_id))
        except LeaseLost:
            raise
        except CatiError as error:
            if self.run(functools.partial(self._holds, case_id)):
                raise
            raise LeaseLost(str(error)) from error

    def _holds(self, case_id: int) -> bool:
        with self.database.unit(immediate=False) as session:
            return session.scalar(select(Case.lease_holder)
                                  .where(Case.id == case_id)) == self.workstation

    def _attempt_stored(self, case_id: int, started_at: dt.datetime) -> bool:
        with self.database.unit(immediate=False) as session:
            return session.scalar(
                select(CallAttempt.id).where(CallAttempt.case_id == case_id,
                                             CallAttempt.workstation == self.workstation,
                                             CallAttempt.started_at == started_at)
                .limit(1)) is not None

    def present(self, state: str, case_id: int | None) -> None:
        if self.user_id is not None:
            user_id = self.user_id
            self.run(lambda: report_presence(self.database, self.workstation, user_id,
                                             self.project_id, state, case_id))


def _draw(rng: random.Random) -> tuple[str, int]:
    roll = rng.random()
    for code, share, seconds in OUTCOMES:
        roll -= share
        if roll <= 0:
            return code, seconds
    return OUTCOMES[-1][0], 0


def _interview(desk: _Desk, case_id: int, rng: random.Random,
               clock: _Clock) -> tuple[str, int]:
    database, workstation, user_id = desk.database, desk.workstation, desk.user_id
    report = desk.report
    # A retried open finds the interview a lost commit created: the case's open interview.
    interview = desk.run(lambda: open_interview(
        database, desk.project_id, case_id=case_id, workstation=workstation, now=clock.now(),
        interviewer_id=user_id))
    form = desk.run(lambda: _form(database, interview.questionnaire_id))
    engine = InterviewEngine.resume(form, interview.answers, seed=interview.seed,
                                    clock=clock.now, at=interview.current_item,
                                    context=interview.context)
    numbers = _numbers_in_form(form)
    breaks_off = rng.random() < BREAK_OFF_SHARE
    while not engine.finished and (item := engine.current_item) is not None:
        if breaks_off and rng.random() < 0.15:
            break
        value = _candidate(engine, item, rng, numbers, 0) if item.is_question else None
        if engine.answer(value) is not None and \
                engine.answer(_candidate(engine, item, rng, numbers, 50)) is not None:
            break  # no acceptable answer drawn: the respondent gives up
        changes = engine.take_changes()
        current = engine.current_item
        saved = desk.save_answers(interview.id, case_id, changes,
                                  current.name if current else None, clock)
        # What this session has stored so far: it stands if the lease is lost at the next save.
        report.played[interview.id] = (clock.now(), dict(engine.answers))
        if saved.quota_full:
            return "4.80", interview.id
        desk.run(lambda: renew_lease(database, case_id, workstation, now=clock.now(),
                                     lease=clock.lease))
        clock.spend(SECONDS_PER_ANSWER)
    # A break-off before the first answer stored nothing: the interview's context (its mode,
    # the centre's name), computed when it began, is saved with the first answer only.
    unsaved = engine.take_changes()
    report.played[interview.id] = (clock.now(), {question: value for question, value
                                                 in engine.answers.items()
                                                 if question not in unsaved})
    if not engine.finished:
        return ("1.2" if len(engine.answers) > 10 else "2.12"), interview.id
    return engine.outcome.disposition or "1.1", interview.id


def _form_of_project(database: Database, project_id: int):
    """The project's form, compiled (once per process, as a window does at login: with every
    process compiling it at the first interview, the day's first minutes would stall)."""
    with database.unit(immediate=False) as session:
        questionnaire_id = session.scalar(select(Project.questionnaire_id)
                                          .where(Project.id == project_id))
    return _form(database, questionnaire_id)


def _form(database: Database, questionnaire_id: int):
    with database.unit(immediate=False) as session:
        return form_of(session, questionnaire_id)


def _summarise(database: Database, project_id: int, reports: list[InterviewerReport],
               first_attempt: int = 0, workstations: set[str] | None = None) -> SimulationResult:
    """The run's figures and checks, over this run's attempts only (``workstations``: the
    run's; by default those that recorded an attempt)."""
    latencies = sorted(ms for report in reports for ms in report.claim_ms)
    dispositions: Counter = Counter()
    played: dict[int, dict[str, str]] = {}
    latest: dict[int, dt.datetime] = {}
    for report in reports:
        dispositions.update(report.dispositions)
        for interview_id, (ended, answers) in report.played.items():
            if interview_id not in latest or ended > latest[interview_id]:
                latest[interview_id], played[interview_id] = ended, answers
    recorded = Counter(attempt for report in reports for attempt in report.attempts)
    if workstations is None:
        workstations = {attempt[1] for attempt in recorded}
    elsewhere = _continued_elsewhere(database, set(played), first_attempt, workstations)
    mine = {i: answers for i, answers in played.items() if i not in elsewhere}
    stored = _stored_attempts(database, project_id, first_attempt, workstations)
    return SimulationResult(
        claims=sum(report.claims for report in reports),
        completes=dispositions.get("1.1", 0),
        dispositions=dict(sorted(dispositions.items())),
        claim_p50_ms=_percentile(latencies, 0.50),
        claim_p99_ms=_percentile(latencies, 0.99),
        duplicate_claims=_overlapping_holders(database, project_id, first_attempt, workstations),
        lost_answers=_lost_answers(database, mine),
        leases_lost=sum(report.leases_lost for report in reports),
        attempts=len(recorded),
        missing_attempts=sum((recorded - stored).values()),
        doubled_attempts=sum((stored - recorded).values()),
        answers_differ=_answers_differ(database, mine),
        reconnects=sum(report.reconnects for report in reports),
        longest_unit_s=round(max((report.longest_unit_s for report in reports), default=0.0), 2),
        claim_times=tuple(sorted(t for report in reports for t in report.claim_times)),
    )


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 2)


def _overlapping_holders(database: Database, project_id: int, first_attempt: int,
                         workstations: set[str]) -> int:
    """Attempts of one case by this run's workstations whose time spans overlap: two holders
    at once. (Another run's attempts are on another simulated clock: their times say nothing
    against these.)"""
    if not workstations:
        return 0
    with database.unit(immediate=False) as session:
        rows = session.execute(
            select(CallAttempt.case_id, CallAttempt.started_at, CallAttempt.ended_at)
            .join(Case, Case.id == CallAttempt.case_id)
            .where(Case.project_id == project_id, CallAttempt.id >= first_attempt,
                   CallAttempt.workstation.in_(sorted(workstations)))
            .order_by(CallAttempt.case_id, CallAttempt.started_at, CallAttempt.id)).all()
    return sum(1 for (case_a, _, end_a), (case_b, start_b, _) in pairwise(rows)
               if case_a == case_b and end_a is not None and start_b < end_a)


def _continued_elsewhere(database: Database, interviews: set[int], first_attempt: int,
                         workstations: set[str]) -> set[int]:
    """This run's interviews that another run went on with after this one left them (a
    broken-off interview resumed, a case taken over on another simulated clock): their stored
    answers are the other run's to check, as it played them last."""
    if not interviews:
        return set()
    own = sorted(workstations)
    with database.unit(immediate=False) as session:
        cases = dict(session.execute(select(Interview.id, Interview.case_id)
                                     .where(Interview.id.in_(sorted(interviews)))).all())
        case_ids = sorted({c for c in cases.values() if c is not None})
        if not case_ids:
            return set()
        last_own = dict(session.execute(
            select(CallAttempt.case_id, func.max(CallAttempt.id))
            .where(CallAttempt.case_id.in_(case_ids), CallAttempt.workstation.in_(own))
            .group_by(CallAttempt.case_id)).all())
        last_other = dict(session.execute(
            select(CallAttempt.case_id, func.max(CallAttempt.id))
            .where(CallAttempt.case_id.in_(case_ids), CallAttempt.id >= first_attempt,
                   CallAttempt.workstation.not_in(own))
            .group_by(CallAttempt.case_id)).all())
        held = dict(session.execute(select(Case.id, Case.lease_holder)
                                    .where(Case.id.in_(case_ids))).all())
    return {interview for interview, case in cases.items() if case is not None and (
        last_other.get(case, 0) > last_own.get(case, 0)
        or (held.get(case) is not None and held[case] not in workstations))}


def _lost_answers(database: Database, played: dict[int, dict[str, str]]) -> int:
    if not played:
        return 0
    with database.unit() as session:
        stored: dict[int, dict[str, str]] = {}
        for interview_id, question, value in session.execute(
                select(Answer.interview_id, Answer.question, Answer.value)
                .where(Answer.interview_id.in_(list(played)))):
            stored.setdefault(interview_id, {})[question] = value
    return sum(1 for interview_id, answers in played.items()
               for question, value in answers.items()
               if stored.get(interview_id, {}).get(question) != value)


def _stored_attempts(database: Database, project_id: int, first_attempt: int,
                     workstations: set[str]) -> Counter:
    """The attempts this run's workstations stored, as the simulator records them."""
    if not workstations:
        return Counter()
    with database.unit(immediate=False) as session:
        return Counter(tuple(row) for row in session.execute(
            select(CallAttempt.case_id, CallAttempt.workstation, CallAttempt.started_at,
                   CallAttempt.disposition)
            .where(CallAttempt.project_id == project_id, CallAttempt.id >= first_attempt,
                   CallAttempt.workstation.in_(sorted(workstations)))))


def _answers_differ(database: Database, played: dict[int, dict[str, str]]) -> int:
    """Interviews whose stored answers (empty ones aside) are not exactly those played."""
    if not played:
        return 0
    stored: dict[int, dict[str, str]] = {}
    with database.unit(immediate=False) as session:
        for interview_id, question, value in session.execute(
                select(Answer.interview_id, Answer.question, Answer.value)
                .where(Answer.interview_id.in_(list(played)), Answer.value != "")):
            stored.setdefault(interview_id, {})[question] = value
    return sum(1 for interview_id, answers in played.items()
               if stored.get(interview_id, {}) != {q: v for q, v in answers.items() if v != ""})

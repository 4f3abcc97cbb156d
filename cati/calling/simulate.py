"""A simulated call centre: N interviewers, each in its own process with its own connection,
doing the real work through the same services the interviewer window uses — claim, dial (an
outcome drawn from a realistic distribution), for answered calls a random valid path through the
questionnaire with every answer saved as the window saves it, record the outcome.

Time is call-centre time: it starts at the next moment inside calling hours (Beijing) and runs
``speed`` times faster than the wall clock. Afterwards the stored attempts are checked for a case
held by two workstations at once, and the stored answers against what the simulator played.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from sqlalchemy import select

from cati.calling.hours import CallingHours, next_calling_time
from cati.calling.outcomes import LeaseLost, record_outcome
from cati.calling.queue import claim_next_case, renew_lease
from cati.errors import NotFound
from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.walk import _candidate, _numbers_in_form
from cati.services.clock import utc_now
from cati.services.interviews import open_interview, save_answers
from cati.services.presence import report_presence
from cati.services.questionnaires import form_of
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Answer, CallAttempt, Case, Project, User

# (code, share of dialled calls, call-centre seconds it takes); "answer" starts the interview.
OUTCOMES = (("3.13", 0.30, 40), ("3.12", 0.05, 15), ("3.16", 0.10, 20), ("2.22", 0.05, 45),
            ("2.112", 0.08, 60), ("2.111", 0.04, 40), ("4.31", 0.05, 10), ("4.51", 0.02, 30),
            ("answer", 0.31, 0))
BREAK_OFF_SHARE = 0.06
SECONDS_PER_ANSWER = 20
IDLE_SECONDS = 60


@dataclass
class InterviewerReport:
    claims: int = 0
    leases_lost: int = 0
    claim_ms: list[float] = field(default_factory=list)
    dispositions: Counter = field(default_factory=Counter)
    # interview -> (when this session of it ended, the answers it left); a broken-off interview
    # resumed by another interviewer has several sessions: the latest one counts
    played: dict[int, tuple[dt.datetime, dict[str, str]]] = field(default_factory=dict)


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

    def as_json(self) -> dict:
        return self.__dict__.copy()


class _Clock:
    def __init__(self, start: dt.datetime, speed: float) -> None:
        self.start, self.speed, self.real_start = start, speed, time.monotonic()

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=(time.monotonic() - self.real_start) * self.speed)

    def spend(self, seconds: float) -> None:
        time.sleep(seconds / self.speed)

    @property
    def lease(self) -> dt.timedelta:
        """A 10-minute lease, or longer when time runs so fast that a second of real delay
        (a busy database) would already outlast it."""
        return max(dt.timedelta(minutes=10), dt.timedelta(seconds=5 * self.speed))


def simulate(db_url: str, project_code: str, interviewers: int, minutes: float, *,
             seed: int = 0, speed: float = 60.0, start: dt.datetime | None = None,
             ) -> SimulationResult:
    database = Database(db_url)
    with database.unit() as session:
        project = session.scalar(select(Project).where(Project.code == project_code))
        if project is None:
            raise NotFound(f"no project '{project_code}'")
        project_id = project.id
        users = _simulated_accounts(session, interviewers)
    start = start or next_calling_time(utc_now(), "Asia/Shanghai", CallingHours())
    args = [(db_url, project_id, f"sim{n + 1}", seed * 1000 + n, start, minutes, speed,
             users[n]) for n in range(interviewers)]
    with multiprocessing.get_context("spawn").Pool(interviewers) as pool:
        reports = pool.starmap(run_interviewer, args)
    result = _summarise(database, project_id, reports)
    database.dispose()
    return result


def _simulated_accounts(session, count: int) -> list[int]:
    """The accounts sim1 … simN (interviewers; a random password nobody knows), created once:
    the monitor and the reports show simulated work per interviewer as they do real work."""
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
    clock = _Clock(start, speed)
    end = start + dt.timedelta(minutes=minutes)
    report = InterviewerReport()
    while clock.now() < end:
        started = time.perf_counter()
        case = claim_next_case(database, project_id, workstation, now=clock.now(),
                               lease=clock.lease, interviewer_id=user_id)
        report.claim_ms.append((time.perf_counter() - started) * 1000)
        if case is None:
            _present(database, workstation, user_id, project_id, "ready", None)
            clock.spend(IDLE_SECONDS)
            continue
        _present(database, workstation, user_id, project_id, "call", case.case_id)
        report.claims += 1
        claimed_at = clock.now()
        code, seconds = _draw(rng)
        interview_id = None
        try:
            if code == "answer":
                _present(database, workstation, user_id, project_id, "interviewing",
                         case.case_id)
                code, interview_id = _interview(database, project_id, case.case_id,
                                                workstation, rng, clock, report, user_id)
            else:
                clock.spend(seconds)
            record_outcome(database, case.case_id, workstation, code, started_at=claimed_at,
                           now=clock.now(), interview_id=interview_id, interviewer_id=user_id)
        except LeaseLost:
            # The machine stalled longer than the lease and another interviewer took the
            # case: the window would say so and drop the call; the answers it had saved stay.
            report.leases_lost += 1
            continue
        report.dispositions[code] += 1
    _present(database, workstation, user_id, project_id, "offline", None)
    database.dispose()
    return report


def _present(database: Database, workstation: str, user_id: int | None, project_id: int,
             state: str, case_id: int | None) -> None:
    if user_id is not None:
        report_presence(database, workstation, user_id, project_id, state, case_id)


def _draw(rng: random.Random) -> tuple[str, int]:
    roll = rng.random()
    for code, share, seconds in OUTCOMES:
        roll -= share
        if roll <= 0:
            return code, seconds
    return OUTCOMES[-1][0], 0


def _interview(database: Database, project_id: int, case_id: int, workstation: str,
               rng: random.Random, clock: _Clock, report: InterviewerReport,
               user_id: int | None = None) -> tuple[str, int]:
    interview = open_interview(database, project_id, case_id=case_id, workstation=workstation,
                               now=clock.now(), interviewer_id=user_id)
    with database.unit() as session:
        form = form_of(session, interview.questionnaire_id)
    engine = InterviewEngine.resume(form, interview.answers, seed=interview.seed,
                                    clock=clock.now, at=interview.current_item)
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
        saved = save_answers(database, interview.id, changes, workstation=workstation,
                             now=clock.now(), current_item=current.name if current else None,
                             user_id=user_id)
        if saved.quota_full:
            report.played[interview.id] = (clock.now(), dict(engine.answers))
            return "4.80", interview.id
        renew_lease(database, case_id, workstation, now=clock.now(), lease=clock.lease)
        clock.spend(SECONDS_PER_ANSWER)
    report.played[interview.id] = (clock.now(), dict(engine.answers))
    if not engine.finished:
        return ("1.2" if len(engine.answers) > 10 else "2.12"), interview.id
    return engine.outcome.disposition or "1.1", interview.id


def _summarise(database: Database, project_id: int,
               reports: list[InterviewerReport]) -> SimulationResult:
    latencies = sorted(ms for report in reports for ms in report.claim_ms)
    dispositions: Counter = Counter()
    played: dict[int, dict[str, str]] = {}
    latest: dict[int, dt.datetime] = {}
    for report in reports:
        dispositions.update(report.dispositions)
        for interview_id, (ended, answers) in report.played.items():
            if interview_id not in latest or ended > latest[interview_id]:
                latest[interview_id], played[interview_id] = ended, answers
    return SimulationResult(
        claims=sum(report.claims for report in reports),
        completes=dispositions.get("1.1", 0),
        dispositions=dict(sorted(dispositions.items())),
        claim_p50_ms=_percentile(latencies, 0.50),
        claim_p99_ms=_percentile(latencies, 0.99),
        duplicate_claims=_overlapping_holders(database, project_id),
        lost_answers=_lost_answers(database, played),
        leases_lost=sum(report.leases_lost for report in reports),
    )


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 2)


def _overlapping_holders(database: Database, project_id: int) -> int:
    """Attempts of one case whose time spans overlap: two holders at once."""
    with database.unit() as session:
        rows = session.execute(
            select(CallAttempt.case_id, CallAttempt.started_at, CallAttempt.ended_at)
            .join(Case, Case.id == CallAttempt.case_id).where(Case.project_id == project_id)
            .order_by(CallAttempt.case_id, CallAttempt.started_at, CallAttempt.id)).all()
    return sum(1 for (case_a, _, end_a), (case_b, start_b, _) in pairwise(rows)
               if case_a == case_b and end_a is not None and start_b < end_a)


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

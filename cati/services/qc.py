"""Quality control by listening (录音抽查): a supervisor listens to a random share of every
interviewer's recorded completes and scores each one.

Decided:

- **Draw** (:func:`draw_reviews`; ``cati qc draw``). Eligible are the project's completed phone
  interviews (void ones never) that have a recording: the recording of the attempt that coded
  the interview, i.e. the latest attempt on the interview's case by the interview's
  interviewer with the interview's disposition (an attempt carries no interview id; a
  completed case has exactly one such attempt). An interviewer with ``R`` recorded completes
  is to have ``max(min_per_interviewer, ceil(rate × R))`` drawn; a draw adds what is missing,
  so a daily draw tops everyone up to the rate and a second draw right after adds nothing. An
  interview is drawn at most once. The choice is random among the interviewer's eligible
  interviews; ``seed`` makes it repeatable. The same rule as the back-check draw
  (cati.services.backcheck), so the two shares read alike in the reports.
- **Criteria** are fixed here, not per project, so that figures compare across projects and
  months: reading the question as written (``read``), not leading (``leading``: 5 is not
  leading at all), correct coding (``coding``) and politeness (``polite``), each scored 1–5
  (5 best). All four are required at once; a score outside 1–5 or an unknown criterion is
  refused. A review is scored once (a second score is refused: the first is the record).
- **The recording is checked before scoring** (cati.services.recordings.check_recording):
  a missing file, or one whose size or sha256 differs from what was filed, refuses the score
  with that said — a score must be of the call as recorded.
- **Invalid** (the verdict): the interview leaves the indices the one way a completed
  interview is voided — its case is reopened with the reason (cati.services.sample_browser.
  reopen_in, in the same transaction as the score): the interview is kept with its answers,
  state ``void``, out of the indices, quotas, reports and exports, and the case goes back to the
  queue for a proper interview. An interview already void is not reopened again.
- **Figures** per interviewer: recorded completes, drawn, scored, the mean of each criterion
  over the scored reviews (None while none), invalid.
- Who: supervisors and admins (``user_id`` None is the command line without ``--user``,
  allowed to draw and read; scoring needs a named supervisor: the reopen and the score are
  theirs). On PostgreSQL the table is the supervisors' only
  (cati.storage.pg_security.QC_REVIEW_STATEMENTS).

Every write is audited in its transaction: ``qc_drawn`` per draw, ``qc_scored`` per score
(with the reopen's own ``sample.reopen`` entry when invalid).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from cati.errors import CatiError, NotFound
from cati.services.backcheck import parse_rate
from cati.services.clock import utc_now
from cati.services.quotas import COMPLETE_STATE
from cati.services.recordings import RecordingRow, check_recording
from cati.services.sample_browser import reopen_in
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import (
    VOID_STATE,
    AuditEntry,
    CallAttempt,
    Interview,
    Project,
    QcReview,
    Recording,
    User,
)

# (key, 中文, English): the order of the console's columns and the figures.
CRITERIA = (
    ("read", "照本宣读", "reads the question as written"),
    ("leading", "无诱导", "not leading"),
    ("coding", "编码正确", "correct coding"),
    ("polite", "礼貌", "politeness"),
)
CRITERION_KEYS = tuple(key for key, _zh, _en in CRITERIA)
SCALE = (1, 5)
VERDICTS = ("valid", "invalid")

__all__ = ["CRITERIA", "CRITERION_KEYS", "SCALE", "DrawResult", "Figures", "Listening",
           "QcService", "QcView", "Review", "Scored",
           "draw_reviews", "list_reviews", "listening_by_interviewer", "parse_rate", "qc_figures",
           "score_review", "validate_scores"]


@dataclass(frozen=True, slots=True)
class DrawResult:
    drawn: int
    per_interviewer: dict[str, int]
    review_ids: tuple[int, ...]

    def as_json(self) -> dict:
        return {"drawn": self.drawn, "per_interviewer": self.per_interviewer,
                "review_ids": list(self.review_ids)}


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    interview_id: int
    case_id: int | None
    interviewer: str
    attempt_id: int
    recording: RecordingRow
    recording_check: str  # ok | missing | changed
    interview_state: str
    drawn_at: dt.datetime
    scored_at: dt.datetime | None
    scores: dict[str, int]
    note: str
    verdict: str | None

    def as_json(self) -> dict:
        return {"id": self.id, "interview_id": self.interview_id, "case_id": self.case_id,
                "interviewer": self.interviewer, "attempt_id": self.attempt_id,
                "recording": self.recording.path, "duration_s":
                    round(self.recording.duration_s, 3),
                "recording_check": self.recording_check,
                "interview_state": self.interview_state,
                "drawn_at": self.drawn_at.isoformat(),
                "scored_at": self.scored_at.isoformat() if self.scored_at else None,
                "scores": self.scores, "note": self.note, "verdict": self.verdict}


@dataclass(frozen=True, slots=True)
class Scored:
    review_id: int
    interview_id: int
    interviewer: str
    scores: dict[str, int]
    note: str
    verdict: str
    voided: bool  # this score voided the interview (its case reopened)

    def as_json(self) -> dict:
        return {"review_id": self.review_id, "interview_id": self.interview_id,
                "interviewer": self.interviewer, "scores": self.scores, "note": self.note,
                "verdict": self.verdict, "voided": self.voided}


@dataclass(frozen=True, slots=True)
class Figures:
    interviewer: str
    recorded: int  # completed interviews (not void) with a recording
    drawn: int
    scored: int
    means: dict[str, float | None]
    invalid: int

    def as_json(self) -> dict:
        return {"interviewer": self.interviewer, "recorded": self.recorded,
                "drawn": self.drawn, "scored": self.scored,
                "means": {k: (None if v is None else round(v, 2))
                          for k, v in self.means.items()},
                "invalid": self.invalid}


def validate_scores(scores: Mapping[str, object]) -> dict[str, int]:
    """Every criterion once, a whole number 1–5; anything else is one CatiError line."""
    unknown = sorted(set(scores) - set(CRITERION_KEYS))
    if unknown:
        raise CatiError(f"unknown criterion {', '.join(unknown)} (criteria: "
                        f"{', '.join(CRITERION_KEYS)}) (未知评分项)")
    missing = [key for key in CRITERION_KEYS if scores.get(key) is None]
    if missing:
        raise CatiError(f"a score is needed for {', '.join(missing)} (每一项都须评分)")
    clean: dict[str, int] = {}
    low, high = SCALE
    for key in CRITERION_KEYS:
        value = scores[key]
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        if number is None or str(number) != str(value).strip() or not low <= number <= high:
            raise CatiError(f"score '{value}' for {key} must be a whole number {low}–{high} "
                            f"(评分应为 {low} 到 {high} 的整数)")
        clean[key] = number
    return clean


def _actor(session: Session, user_id: int | None) -> int | None:
    if user_id is None:
        return None
    return require_supervisor(session, user_id,
                              "listen to recordings for quality control (录音抽查)").id


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"no project {project_id}")
    return project


def _recorded_completes(session: Session, project_id: int) -> dict[int, tuple[Interview, int,
                                                                               int]]:
    """{interview id: (interview, attempt id, recording id)} of the project's completed phone
    interviews whose coding attempt has a recording (module docstring)."""
    rows = session.execute(
        select(Interview, CallAttempt.id, Recording.id)
        .join(CallAttempt, (CallAttempt.case_id == Interview.case_id)
              & (CallAttempt.interviewer_id == Interview.interviewer_id)
              & (CallAttempt.disposition == Interview.disposition))
        .join(Recording, Recording.attempt_id == CallAttempt.id)
        .where(Interview.project_id == project_id, Interview.state == COMPLETE_STATE,
               Interview.mode == "phone")
        .order_by(Interview.id, CallAttempt.id)).all()
    found: dict[int, tuple[Interview, int, int]] = {}
    for interview, attempt_id, recording_id in rows:
        found[interview.id] = (interview, attempt_id, recording_id)  # the latest attempt wins
    return found


def _names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(User.id, User.username)).all())


def draw_reviews(database: Database, project_id: int, *, rate: float | str,
                 min_per_interviewer: int = 1, seed: int | None = None,
                 user_id: int | None = None, now: dt.datetime | None = None) -> DrawResult:
    """Draw recorded completes of every interviewer for listening (module docstring). Bad
    input changes nothing and raises CatiError."""
    rate = parse_rate(rate)
    if min_per_interviewer < 0:
        raise CatiError("the minimum per interviewer must be 0 or more (每人最少抽取数不能为负)")
    now = now or utc_now()
    chooser = random.Random(seed) if seed is not None else random.Random()
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_id)
        recorded = _recorded_completes(session, project_id)
        if not recorded:
            raise CatiError(f"project {project.code} has no completed interview with a "
                            "recording (该项目没有带录音的成功访问)")
        drawn_before = dict(session.execute(
            select(QcReview.interview_id, QcReview.interviewer_id)
            .where(QcReview.project_id == project_id)).all())
        names = _names(session)
        by_interviewer: dict[int | None, list[int]] = {}
        for interview_id, (interview, _a, _r) in recorded.items():
            by_interviewer.setdefault(interview.interviewer_id, []).append(interview_id)
        picked: list[int] = []
        per_interviewer: dict[str, int] = {}
        for interviewer_id in sorted(by_interviewer, key=lambda i: (i is None, i or 0)):
            own = by_interviewer[interviewer_id]
            target = max(min_per_interviewer, math.ceil(rate * len(own) - 1e-9))
            already = sum(1 for who in drawn_before.values() if who == interviewer_id)
            pool = sorted(i for i in own if i not in drawn_before)
            count = min(len(pool), max(0, target - already))
            picked += sorted(chooser.sample(pool, count)) if count else []
            per_interviewer[names.get(interviewer_id, str(interviewer_id))] = count
        made = []
        for interview_id in picked:
            interview, attempt_id, recording_id = recorded[interview_id]
            review = QcReview(project_id=project_id, interview_id=interview_id,
                              interviewer_id=interview.interviewer_id, attempt_id=attempt_id,
                              recording_id=recording_id, drawn_at=now, drawn_by=actor,
                              scores={}, note="")
            session.add(review)
            made.append(review)
        session.flush()
        ids = tuple(review.id for review in made)
        if made:
            session.add(AuditEntry(user_id=actor, at=now, action="qc_drawn", details={
                "project_id": project_id, "rate": rate, "seed": seed,
                "min_per_interviewer": min_per_interviewer, "interview_ids": picked,
                "review_ids": list(ids), "per_interviewer": per_interviewer}))
        return DrawResult(len(made), per_interviewer, ids)


def _review(session: Session, review: QcReview, names: dict[int, str]) -> Review:
    recording = session.get(Recording, review.recording_id)
    attempt = session.get(CallAttempt, review.attempt_id)
    interview = session.get(Interview, review.interview_id)
    row = RecordingRow(recording.id, attempt.id, attempt.case_id, attempt.project_id,
                       attempt.interviewer_id, attempt.started_at, recording.path,
                       recording.size, recording.duration_s, recording.sha256,
                       recording.created_at)
    return Review(review.id, review.interview_id, interview.case_id,
                  names.get(review.interviewer_id, str(review.interviewer_id)), attempt.id, row,
                  check_recording(row), interview.state, review.drawn_at, review.scored_at,
                  dict(review.scores or {}), review.note or "", review.verdict)


def list_reviews(database: Database, project_id: int, *, user_id: int | None = None,
                 pending_only: bool = False) -> list[Review]:
    """The project's drawn reviews, oldest first, each with its recording checked."""
    with database.unit(immediate=False) as session:
        _actor(session, user_id)
        _project(session, project_id)
        query = select(QcReview).where(QcReview.project_id == project_id).order_by(QcReview.id)
        if pending_only:
            query = query.where(QcReview.verdict.is_(None))
        names = _names(session)
        return [_review(session, review, names) for review in session.scalars(query)]


def score_review(database: Database, review_id: int, scores: Mapping[str, object], *,
                 note: str = "", invalid: bool = False, user_id: int | None,
                 now: dt.datetime | None = None) -> Scored:
    """Score one drawn interview (module docstring); ``invalid`` voids it. Bad input, a
    recording that is missing or changed, or a second score change nothing (CatiError)."""
    clean = validate_scores(scores)
    note = (note or "").strip()
    now = now or utc_now()
    if user_id is None:
        raise CatiError("scoring needs the supervisor who listened: --user NAME "
                        "(评分须注明督导账号)")
    with database.unit() as session:
        actor = _actor(session, user_id)
        review = session.get(QcReview, review_id, with_for_update=True)
        if review is None:
            raise NotFound(f"no quality-control review {review_id} (没有该抽查记录)")
        if review.verdict is not None:
            raise CatiError(f"review {review_id} is scored already ({review.verdict}, "
                            f"{review.scored_at:%Y-%m-%d %H:%M}) (该记录已评分)")
        names = _names(session)
        seen = _review(session, review, names)
        if seen.recording_check != "ok":
            said = {"missing": "is missing (录音文件不存在)",
                    "changed": "has changed since it was filed (录音文件已被改动)"}
            raise CatiError(f"the recording of interview {review.interview_id} "
                            f"({seen.recording.path}) {said[seen.recording_check]}")
        verdict = "invalid" if invalid else "valid"
        voided = False
        interview = session.get(Interview, review.interview_id)
        if invalid and interview.state != VOID_STATE:
            reason = f"录音抽查判定无效 (quality control review {review_id})"
            if note:
                reason += f": {note}"
            result = reopen_in(session, [interview.case_id], actor, reason=reason, now=now)
            voided = True
            if not result.changed:
                raise CatiError(f"the case of interview {interview.id} could not be reopened")
        review.scores, review.note, review.verdict = clean, note, verdict
        review.scored_at, review.scored_by = now, actor
        session.add(AuditEntry(user_id=actor, at=now, action="qc_scored", details={
            "review_id": review.id, "interview_id": review.interview_id,
            "recording_id": review.recording_id, "sha256": seen.recording.sha256,
            "scores": clean, "note": note, "verdict": verdict, "voided": voided}))
        return Scored(review.id, review.interview_id, seen.interviewer, clean, note, verdict,
                      voided)


def qc_figures(database: Database, project_id: int, *,
               user_id: int | None = None) -> list[Figures]:
    """Per interviewer (by username): recorded completes, drawn, scored, means, invalid."""
    with database.unit(immediate=False) as session:
        _actor(session, user_id)
        _project(session, project_id)
        return figures_in(session, project_id)


def report_figures(session: Session, project_id: int) -> tuple[Figures, ...]:
    """The figures for the monthly report: those of the interviewers with a drawn review;
    none when this login may not read the reviews (on PostgreSQL only supervisors may)."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
            text("SELECT has_table_privilege('qc_reviews', 'SELECT')")):
        return ()
    return tuple(f for f in figures_in(session, project_id) if f.drawn)


@dataclass(frozen=True, slots=True)
class Listening:
    """One interviewer's scored listening reviews, for the monitor's column."""
    scored: int
    mean: float  # the mean of the four criteria over the scored reviews (1–5, 5 best)
    means: dict[str, float]  # per criterion
    invalid: int


def listening_by_interviewer(session: Session, project_id: int) -> dict[int, Listening]:
    """The scored reviews per interviewer id, from qc_reviews alone (the monitor reads this
    every few seconds: no recordings or interviews are read). Empty when this login may not
    read the reviews (on PostgreSQL only supervisors may)."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
            text("SELECT has_table_privilege('qc_reviews', 'SELECT')")):
        return {}
    scored: dict[int, list[tuple[dict, str]]] = {}
    for who, scores, verdict in session.execute(
            select(QcReview.interviewer_id, QcReview.scores, QcReview.verdict)
            .where(QcReview.project_id == project_id, QcReview.verdict.is_not(None),
                   QcReview.interviewer_id.is_not(None))):
        scored.setdefault(who, []).append((scores, verdict))
    figures = {}
    for who, rows in scored.items():
        means = {key: sum(scores[key] for scores, _ in rows) / len(rows)
                 for key in CRITERION_KEYS}
        figures[who] = Listening(len(rows), sum(means.values()) / len(means), means,
                                 sum(1 for _, verdict in rows if verdict == "invalid"))
    return figures


def figures_in(session: Session, project_id: int) -> list[Figures]:
    """``qc_figures`` inside a unit of work the caller holds."""
    recorded: dict[int | None, int] = {}
    for interview, _a, _r in _recorded_completes(session, project_id).values():
        recorded[interview.interviewer_id] = recorded.get(interview.interviewer_id, 0) + 1
    reviews = session.scalars(select(QcReview).where(
        QcReview.project_id == project_id).order_by(QcReview.id)).all()
    names = _names(session)
    people = set(recorded) | {review.interviewer_id for review in reviews}
    figures = []
    for who in sorted(people, key=lambda i: names.get(i, str(i))):
        own = [review for review in reviews if review.interviewer_id == who]
        scored = [review for review in own if review.verdict is not None]
        means = {key: (sum(r.scores[key] for r in scored) / len(scored) if scored else None)
                 for key in CRITERION_KEYS}
        figures.append(Figures(names.get(who, str(who)), recorded.get(who, 0), len(own),
                               len(scored), means,
                               sum(1 for r in scored if r.verdict == "invalid")))
    return figures


@dataclass(frozen=True, slots=True)
class QcView:
    """What the console's tab shows: the drawn reviews and the figures."""

    reviews: tuple[Review, ...]
    figures: tuple[Figures, ...]


class QcService:
    """The console's view of quality control by listening (each call one transaction; run on
    the worker, never on the GUI thread: it reads the recordings to check them)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def draw(self, project_id: int, rate: float | str, min_per_interviewer: int = 1,
             seed: int | None = None, user_id: int | None = None) -> DrawResult:
        return draw_reviews(self.database, project_id, rate=rate,
                            min_per_interviewer=min_per_interviewer, seed=seed, user_id=user_id)

    def view(self, project_id: int, user_id: int | None = None) -> QcView:
        return QcView(tuple(list_reviews(self.database, project_id, user_id=user_id)),
                      tuple(qc_figures(self.database, project_id, user_id=user_id)))

    def answers(self, review_id: int, user_id: int | None = None) -> tuple[tuple[str, str], ...]:
        """The drawn interview's answers as (question text, answer as read: choice labels),
        in the form's order, and its timings, to listen beside."""
        from cati.services.questionnaires import form_of
        from cati.storage.models import Answer

        with self.database.unit(immediate=False) as session:
            _actor(session, user_id)
            review = session.get(QcReview, review_id)
            if review is None:
                raise NotFound(f"no quality-control review {review_id} (没有该抽查记录)")
            interview = session.get(Interview, review.interview_id)
            attempt = session.get(CallAttempt, review.attempt_id)
            form = form_of(session, interview.questionnaire_id)
            stored = dict(session.execute(select(Answer.question, Answer.value).where(
                Answer.interview_id == interview.id)).all())
            lines: list[tuple[str, str]] = []
            if attempt.answered_at and attempt.hung_up_at:
                talk = (attempt.hung_up_at - attempt.answered_at).total_seconds()
                lines.append(("通话时长 talk", f"{int(talk // 60)}:{int(talk % 60):02d}"))
            if interview.ended_at:
                length = (interview.ended_at - interview.started_at).total_seconds()
                lines.append(("访问时长 interview",
                              f"{int(length // 60)}:{int(length % 60):02d}"))
            for item in form.items:
                if not item.is_question or item.name not in stored:
                    continue
                value = stored[item.name] or ""
                if item.kind in ("select_one", "select_multiple"):
                    labels = {c.name: form.text(c.labels) for c in form.choices_of(item)}
                    value = "；".join(labels.get(code, code) for code in value.split())
                lines.append((form.text(item.labels), value))
            return tuple(lines)

    def score(self, review_id: int, scores: Mapping[str, object], *, note: str = "",
              invalid: bool = False, user_id: int | None) -> Scored:
        return score_review(self.database, review_id, scores, note=note, invalid=invalid,
                            user_id=user_id)

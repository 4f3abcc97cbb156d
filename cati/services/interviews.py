"""Interviews and their answers: every change committed (with its history) before the next
question shows, so that a killed workstation loses nothing and resumes where it stopped.

An interview points at the exact questionnaire version it ran and carries the seed of its
randomised choice orders, so a resumed interview shows the same order. Writes for a phone
interview carry the workstation: when the case's lease has gone to another workstation, the
write is refused (LeaseLost) instead of mixing two interviewers' answers. The check is an
UPDATE of the case row that also renews the lease (on the store's clock, never the
workstation's: cati.calling.lease_clock), so the write holds the case's row lock from its check
to its commit: a claim at the same moment skips the row (PostgreSQL's ``SKIP LOCKED``) or waits
for the write lock (SQLite) and then sees the renewed lease, and a claim that took the case first
makes the check find another holder. A save in flight and a takeover never both land.

Who may do what (``user_id``: the acting account, read from the database; None is the command
line or the simulator, which act for the operator holding the database credentials):
- a phone interview is read and written only from the workstation holding its case (an
  interviewer sees no other case); a field interview only by its own interviewer; supervisors
  and admins read any interview;
- nothing is written into a closed project (a closed wave), nor a web answer into a paused one
  (cati.services.series.check_open; the database refuses it too);
- answers of a closed interview are never changed by save_answers: a supervisor or an admin
  corrects them with correct_answer, which keeps the old and new value, who and when in the
  answer history and in the audit log ("answer_corrected").
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import case as sql_case
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cati.calling.dispositions import SCREEN_OUT_CODES
from cati.calling.lease_clock import DEFAULT_LEASE, store_now
from cati.calling.outcomes import LeaseLost
from cati.errors import CatiError, NotFound, PermissionDenied
from cati.questionnaire.repeats import item_for_key
from cati.questionnaire.values import storable
from cati.services.clock import utc_now
from cati.services.contact_phones import keep_contact_phones
from cati.services.questionnaires import form_of
from cati.services.quotas import cell_is_full, full_cell_after_save, record_completion
from cati.services.series import check_open
from cati.services.users import SUPERVISOR_ROLES, require_active, require_supervisor
from cati.storage.db import Database
from cati.storage.models import Answer, AnswerEvent, AuditEntry, Case, Interview, Project

OPEN = "in_progress"
WEB_HOLDER = "web:"  # the lease holder's name of a web invitation (cati.web.respondents)


@dataclass(frozen=True, slots=True)
class InterviewInfo:
    id: int
    project_id: int
    case_id: int | None
    questionnaire_id: int
    seed: int
    mode: str
    state: str
    current_item: str | None
    answers: dict[str, str] = field(default_factory=dict)
    # What the form may know before its first question (InterviewEngine's ``context``): the
    # interview_mode and the project's text settings, e.g. centre_name (see interview_context).
    context: dict[str, str] = field(default_factory=dict)


def open_interview(database: Database, project_id: int, *, case_id: int | None = None,
                   interviewer_id: int | None = None, workstation: str | None = None,
                   mode: str = "phone", language: str = "",
                   now: dt.datetime | None = None) -> InterviewInfo:
    """The case's open interview (to resume it), or a new one."""
    now = now or utc_now()
    with database.unit() as session:
        if interviewer_id is not None:
            require_active(session, interviewer_id)
        if case_id is not None:
            _check_lease(session, case_id, workstation, hold=True)
            existing = session.scalar(select(Interview).where(
                Interview.case_id == case_id, Interview.state == OPEN).order_by(Interview.id))
            if existing is not None:
                return _info(session, existing)
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound(f"no project {project_id}")
        check_open(session, project_id, mode)
        case = session.get(Case, case_id) if case_id is not None else None
        interview = Interview(case_id=case_id, project_id=project_id,
                              stratum=case.stratum if case is not None else "",
                              questionnaire_id=project.questionnaire_id,
                              interviewer_id=interviewer_id, mode=mode, language=language,
                              state=OPEN, seed=secrets.randbelow(2**31), started_at=now)
        session.add(interview)
        session.flush()
        return _info(session, interview)


@dataclass(frozen=True, slots=True)
class SaveResult:
    stratum: str  # the interview's stratum after this save
    quota_full: bool  # the stratum question was answered and its quota cell is full: 4.80
    # The full quota cell with a condition this save made certain ("" when none; quota_full
    # is then true as well): cati.services.quotas.
    quota_cell: str = ""


def save_answers(database: Database, interview_id: int, changes: Mapping[str, str], *,
                 current_item: str | None, user_id: int | None = None,
                 workstation: str | None = None, now: dt.datetime | None = None) -> SaveResult:
    """Store changed answers and where the interview stands, in one transaction.

    When the changes answer the questionnaire's stratum question, the interview's stratum
    becomes that answer's label, and ``quota_full`` says whether its quota cell is already
    full (the window then ends the interview with 4.80). So does a save after which a quota
    cell with a condition over the answers just given is certain to hold and is full
    (``quota_cell`` names it; cati.services.quotas.full_cell_after_save)."""
    with database.unit() as session:
        return save_answers_in(session, interview_id, changes, current_item=current_item,
                               user_id=user_id, workstation=workstation, now=now)


def save_answers_in(session, interview_id: int, changes: Mapping[str, str], *,
                    current_item: str | None, user_id: int | None = None,
                    workstation: str | None = None,
                    now: dt.datetime | None = None) -> SaveResult:
    """save_answers inside the caller's unit of work (the web page saves the last answer and
    closes the interview in one)."""
    now = now or utc_now()
    for question, value in changes.items():
        if not storable(value):  # the engine refuses these first; direct callers get this
            raise CatiError(f"the answer to {question} holds a character no database stores "
                            "(U+0000 or a lone surrogate) (答案含有无法保存的字符)")
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise NotFound(f"no interview {interview_id}")
    # The lease first: a case taken over by another workstation is LeaseLost even when
    # that workstation has closed the interview since (the journal keeps such writes).
    _check_writer(session, interview, user_id, workstation, hold=True)
    check_open(session, interview.project_id, interview.mode)
    if interview.state != OPEN:
        raise CatiError(f"interview {interview_id} is closed ({interview.state}): only a "
                        "supervisor can correct its answers (访问已结束，只能由督导更正)")
    form = form_of(session, interview.questionnaire_id)
    changes = keep_contact_phones(session, interview_id, form, changes, now)
    stored = {a.question: a for a in session.scalars(
        select(Answer).where(Answer.interview_id == interview_id,
                             Answer.question.in_(list(changes))))}
    sequence = _next_sequence(session, interview_id)
    for question, value in changes.items():
        if _apply(session, interview, stored.get(question), question, value, user_id, now,
                  sequence):
            sequence += 1  # numbers the answers in the order first given, without gaps
    interview.current_item = current_item
    quota_full = False
    question = form.stratum_question
    if question and question in changes and changes[question] != "":
        interview.stratum = stratum_label(form, question, changes[question])
        quota_full = cell_is_full(session, interview.project_id, interview.stratum)
    full_cell = None if quota_full else full_cell_after_save(session, interview, form, changes)
    if full_cell is not None:
        return SaveResult(interview.stratum, True, full_cell)
    return SaveResult(interview.stratum, quota_full)


def stratum_label(form, question: str, value: str) -> str:
    """The stratum an answer names: the choice's label in the form's first language."""
    if not form.has_item(question):
        return value
    for choice in form.choices_of(form.item(question)):
        if choice.name == value:
            return form.text(choice.labels)
    return value


def finish_interview(session: Session, interview_id: int, state: str, disposition: str,
                     now: dt.datetime) -> None:
    """Close an interview (complete, screened_out, partial, break_off) inside a caller's unit."""
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise NotFound(f"no interview {interview_id}")
    check_open(session, interview.project_id, interview.mode)
    interview.state, interview.disposition, interview.ended_at = state, disposition, now
    record_completion(session, interview)  # the quota cells it counts in (when complete)


CLOSED_STATES = {"1.1": "complete", **dict.fromkeys(SCREEN_OUT_CODES, "screened_out"),
                 "1.2": "partial", "2.12": "break_off"}


def close_interview(database: Database, interview_id: int, code: str, *,
                    user_id: int | None = None, now: dt.datetime | None = None) -> None:
    """Close an interview made without a call (field or web mode) with its disposition; with a
    ``user_id``, only its own interviewer (or a supervisor or an admin) may."""
    with database.unit() as session:
        interview = session.get(Interview, interview_id)
        if interview is None:
            raise NotFound(f"no interview {interview_id}")
        if interview.case_id is not None:
            raise CatiError("a phone interview is closed by recording the call's outcome")
        _check_writer(session, interview, user_id, None)
        finish_interview(session, interview_id, CLOSED_STATES.get(code, "closed"), code,
                         now or utc_now())


def load_interview(database: Database, interview_id: int, *, user_id: int | None = None,
                   workstation: str | None = None) -> InterviewInfo:
    """The interview and its answers. An interviewer (``user_id``) reads a phone interview only
    from the workstation holding its case, a field interview only when it is its own."""
    with database.unit(immediate=False) as session:
        interview = session.get(Interview, interview_id)
        if interview is None:
            raise NotFound(f"no interview {interview_id}")
        if user_id is not None:
            user = require_active(session, user_id)
            if user.role not in SUPERVISOR_ROLES:
                _check_writer(session, interview, user_id, workstation)
        return _info(session, interview)


@dataclass(frozen=True, slots=True)
class Correction:
    interview_id: int
    question: str
    old_value: str | None  # None: the question had no answer
    new_value: str
    user_id: int
    at: dt.datetime


def correct_answer(database: Database, interview_id: int, question: str, value: str, *,
                   user_id: int, reason: str = "", now: dt.datetime | None = None) -> Correction:
    """Change one answer of a closed interview (supervisor or admin). The answer history gets a
    "change" (or "clear", or "set") event and the audit log an "answer_corrected" entry with the
    old value, the new value, who and when, in the same transaction. An open interview is
    refused: its interviewer is still answering it. The question must be in the interview's
    questionnaire."""
    now = now or utc_now()
    with database.unit() as session:
        require_supervisor(session, user_id, "correct answers")
        interview = session.get(Interview, interview_id)
        if interview is None:
            raise NotFound(f"no interview {interview_id}")
        check_open(session, interview.project_id, "")
        if interview.state == OPEN:
            raise CatiError(f"interview {interview_id} is still open: its interviewer changes "
                            "its answers (访问尚未结束)")
        form = form_of(session, interview.questionnaire_id)
        if item_for_key(form, question) is None:  # a name, or an instance key (adults[2]/age)
            raise NotFound(f"interview {interview_id}: its questionnaire has no question "
                           f"'{question}' (问卷中没有该题)")
        value = keep_contact_phones(session, interview_id, form, {question: value},
                                    now)[question]
        answer = session.scalar(select(Answer).where(Answer.interview_id == interview_id,
                                                     Answer.question == question))
        old = None if answer is None else answer.value
        if old == value:
            raise CatiError(f"interview {interview_id}: '{question}' is already {value!r} "
                            "(答案未改变)")
        _apply(session, interview, answer, question, value, user_id, now,
               _next_sequence(session, interview_id))
        session.add(AuditEntry(user_id=user_id, at=now, action="answer_corrected", details={
            "interview_id": interview_id, "project_id": interview.project_id,
            "question": question, "old_value": old, "new_value": value, "reason": reason}))
        return Correction(interview_id, question, old, value, user_id, now)


def _apply(session: Session, interview: Interview, answer: Answer | None, question: str,
           value: str, user_id: int | None, now: dt.datetime, sequence: int) -> bool:
    """Store one answer and its history event; True when a new answer row took ``sequence``."""
    if answer is not None and answer.value == value:
        return False
    action = "set" if answer is None else ("clear" if value == "" else "change")
    session.add(AnswerEvent(interview_id=interview.id, question=question, action=action,
                            old_value=None if answer is None else answer.value, new_value=value,
                            user_id=user_id, at=now))
    if answer is None:
        session.add(Answer(interview_id=interview.id, question=question, value=value,
                           answered_at=now, sequence=sequence))
        return True
    answer.value, answer.answered_at = value, now
    return False


def _next_sequence(session: Session, interview_id: int) -> int:
    last = session.scalar(select(Answer.sequence).where(Answer.interview_id == interview_id)
                          .order_by(Answer.sequence.desc()).limit(1))
    return 1 if last is None else last + 1


def _check_writer(session: Session, interview: Interview, user_id: int | None,
                  workstation: str | None, *, hold: bool = False) -> None:
    """A phone interview: the workstation must hold its case (``hold``: and keeps it, see
    _check_lease). A field interview: the acting user must be its interviewer (or a supervisor
    or an admin)."""
    if interview.case_id is not None:
        _check_lease(session, interview.case_id, workstation, hold=hold)
        if user_id is not None:
            require_active(session, user_id)
        return
    if user_id is None:
        return
    user = require_active(session, user_id)
    if user.id != interview.interviewer_id and user.role not in SUPERVISOR_ROLES:
        raise PermissionDenied(f"interview {interview.id} belongs to another interviewer "
                               "(这不是您的访问)")


def _check_lease(session: Session, case_id: int, workstation: str | None, *,
                 hold: bool = False) -> None:
    """The workstation must hold the case. With ``hold`` (a write), the check is one UPDATE of
    the case row: it locks the row until the unit commits and renews the lease to at least
    DEFAULT_LEASE from the store's clock (a save is a sign of life; a lease that ran out while
    nobody took the case is this workstation's again). A web invitation's lease (holder
    ``web:…``) is locked, not renewed: it lasts until the invitation expires, which the web
    app checks. Without ``hold`` (a read), a plain read."""
    if workstation is None:
        if session.get(Case, case_id) is None:
            raise NotFound(f"no case {case_id}")
        raise CatiError("a phone interview's answers need the workstation holding the case")
    if hold:
        renewed = store_now(session) + DEFAULT_LEASE
        held = session.execute(
            update(Case).where(Case.id == case_id, Case.lease_holder == workstation)
            .values(lease_expires_at=sql_case(
                (Case.lease_holder.startswith(WEB_HOLDER), Case.lease_expires_at),
                (Case.lease_expires_at.is_(None), renewed),
                (Case.lease_expires_at < renewed, renewed), else_=Case.lease_expires_at))
            .returning(Case.id).execution_options(synchronize_session=False)).first()
        if held is not None:
            return
    holder = session.execute(select(Case.id, Case.lease_holder)
                             .where(Case.id == case_id)).first()
    if holder is None:
        raise NotFound(f"no case {case_id}")
    if hold or holder.lease_holder != workstation:
        raise LeaseLost(f"case {case_id} is no longer held by this workstation "
                        "(本机已不再持有该号码)")


def _info(session: Session, interview: Interview) -> InterviewInfo:
    answers = dict(session.execute(select(Answer.question, Answer.value)
                                   .where(Answer.interview_id == interview.id)).all())
    project = session.get(Project, interview.project_id)
    return InterviewInfo(interview.id, interview.project_id, interview.case_id,
                         interview.questionnaire_id, interview.seed, interview.mode,
                         interview.state, interview.current_item, answers,
                         interview_context(project.settings if project else None,
                                           interview.mode))


def interview_context(settings: Mapping[str, object] | None, mode: str) -> dict[str, str]:
    """The engine's context of an interview: ``interview_mode`` (phone, web or field; not
    ``mode``, which exports already use for the interview's column) and the project's text
    settings by their names (``centre_name``: the centre the introduction names). Only
    hidden items of the same name read them, so other settings stay out of the form."""
    context = {key: value for key, value in (settings or {}).items()
               if isinstance(value, str) and value.strip()}
    context["interview_mode"] = mode
    return context

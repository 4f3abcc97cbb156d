"""The supervisor's view of a project's sample: a filtered, sorted, paged table of cases, and
the actions a supervisor takes on selected cases (release a lease, reopen, priority,
do-not-call), each one audited transaction.

Paging is built for 1M cases. Every query selects only the table's columns (never the
attributes JSON) and always ends its ORDER BY with the case id, so a page is stable. The default
order is the id: with an index on cases (project_id, id) the first page is one short index walk
on both databases, and so is a deep page with ``after_id`` (keyset paging). Without that index
PostgreSQL walks the primary key and skips other projects' cases, and SQLite (no statistics)
sorts the project's cases: about 80 ms at 1M (scripts/bench_sample_table.py). The count reads
ix_cases_queue on SQLite (~30 ms at 1M) and scans in parallel on PostgreSQL (~85 ms). Other
orders and the filters on stratum, disposition and attempts have no index of their own: on 1M
cases they scan the project once (a fraction of a second). The phone search is a substring match (``phone_e164 LIKE '%digits%'``): its leading
wildcard cannot use an index, so it always scans the project's cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from cati.calling.explain_case import explain_case
from cati.calling.views import CASE_STATES, Explanation
from cati.errors import CatiError, NotFound, PermissionDenied
from cati.services.clock import utc_now
from cati.services.dnc import add_numbers
from cati.services.interviews import Correction, correct_answer
from cati.services.questionnaires import form_of
from cati.services.quotas import COMPLETE_STATE
from cati.storage.db import Database
from cati.storage.models import (
    OPEN_APPOINTMENT_SQL,
    VOID_STATE,
    Answer,
    Appointment,
    AuditEntry,
    CallAttempt,
    Case,
    Disposition,
    DoNotCall,
    Interview,
    User,
)

NO_DISPOSITION = ""
"""As ``SampleFilters.disposition``: the cases that have no disposition yet."""
DEFAULT_PAGE_SIZE = 200
MAX_PAGE_SIZE = 1_000
MAX_ACTION_CASES = 10_000
CALL_NOW_WINDOW = dt.timedelta(hours=2)  # how long a "call now" or an assignment stands
PRIORITY_RANGE = (-1_000, 1_000)
SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})

_COLUMNS = {
    "id": Case.id, "phone_e164": Case.phone_e164, "stratum": Case.stratum, "state": Case.state,
    "disposition": Case.disposition, "attempts": Case.attempts,
    "next_call_at": Case.next_call_at, "priority": Case.priority,
    "lease_holder": Case.lease_holder, "lease_expires_at": Case.lease_expires_at,
    "region": Case.region, "carrier": Case.carrier,
}
SORT_COLUMNS = tuple(_COLUMNS)
"""The columns a page may be sorted by, in CaseRow's order."""
_NULLABLE = frozenset({"disposition", "next_call_at", "lease_holder", "lease_expires_at"})


@dataclass(frozen=True, slots=True)
class AnswerLine:
    question: str
    label: str  # the question's text
    value: str  # as stored (choice codes for a choice question)
    kind: str
    choices: tuple[tuple[str, str], ...]  # (code, label) of a choice question


@dataclass(frozen=True, slots=True)
class ClosedInterview:
    interview_id: int
    state: str
    disposition: str | None
    answers: tuple[AnswerLine, ...]


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One line of the sample table."""

    id: int
    phone_e164: str
    stratum: str
    state: str
    disposition: str | None
    attempts: int
    next_call_at: dt.datetime | None  # UTC, aware
    priority: int
    lease_holder: str | None
    lease_expires_at: dt.datetime | None  # UTC, aware
    region: str
    carrier: str


@dataclass(frozen=True, slots=True)
class SampleFilters:
    """Which cases the table shows; None (the default of each) means any.

    ``disposition`` NO_DISPOSITION ("") selects the cases without one. ``phone`` is a run of
    digits found anywhere in the E.164 number (a scan: see the module's docstring).
    """

    stratum: str | None = None
    state: str | None = None
    disposition: str | None = None
    min_attempts: int | None = None
    max_attempts: int | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class SampleSort:
    """A column of SORT_COLUMNS and a direction; the id always breaks ties (stable pages).
    Empty values (no disposition, no lease …) sort as the smallest on both databases."""

    column: str = "id"
    descending: bool = False


@dataclass(frozen=True, slots=True)
class ActionResult:
    action: str
    changed: tuple[int, ...]  # ids of the cases the action changed
    rows: tuple[CaseRow, ...]  # every given case as it is now, to refresh the table


@dataclass(frozen=True, slots=True)
class DncActionResult:
    action: str
    changed: tuple[int, ...]  # ids of the open cases that were closed
    rows: tuple[CaseRow, ...]
    added: int  # numbers new on the do-not-call list
    already: int  # numbers that were on it already
    invalid: tuple[tuple[str, str], ...]  # (number, why) the list refused


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One call attempt of a case, for the history table."""

    id: int
    started_at: dt.datetime  # UTC, aware
    ended_at: dt.datetime | None
    interviewer: str  # display name, "" when unknown
    workstation: str
    disposition: str | None  # None: an appointment was booked on this attempt
    label_zh: str
    label_en: str
    note: str


@dataclass(frozen=True, slots=True)
class DispositionChoice:
    code: str
    label_zh: str
    label_en: str


class SampleBrowser:
    """Reads and changes a project's sample for the supervisor console. Thread-safe (one
    session per call); every method is one unit of work and returns plain dataclasses.

    ``acting_user_id`` is the account reading: each read checks, in its own unit of work, that
    it is an active supervisor or admin (the sample holds every phone number). The app always
    gives it; None is a script or benchmark acting for the database's operator. The actions
    take their user each and always check it."""

    def __init__(self, database: Database, acting_user_id: int | None = None) -> None:
        self.database = database
        self.acting_user_id = acting_user_id

    def _check_reader(self, session: Session) -> None:
        if self.acting_user_id is not None:
            _check_role(session, self.acting_user_id, "see the sample (只有督导或管理员可以查看样本)")

    # -- reading ------------------------------------------------------------------------------

    def count(self, project_id: int, filters: SampleFilters | None = None) -> int:
        """How many cases of the project pass the filters."""
        statement = count_query(project_id, filters)
        with self.database.unit(immediate=False) as session:
            self._check_reader(session)
            return session.scalar(statement) or 0

    def page(self, project_id: int, filters: SampleFilters | None = None,
             sort: SampleSort | None = None, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE,
             *, after_id: int | None = None) -> list[CaseRow]:
        """``limit`` rows from position ``offset`` of the filtered, sorted table.

        Sorted by id, ``after_id`` (the id of the row just before the page) pages by keyset:
        the walk starts at that id instead of counting ``offset`` rows (which is then ignored).
        """
        statement = page_query(project_id, filters, sort, offset, limit, after_id=after_id)
        with self.database.unit(immediate=False) as session:
            self._check_reader(session)
            return [CaseRow(*row) for row in session.execute(statement)]

    def rows(self, case_ids: Iterable[int]) -> list[CaseRow]:
        """The given cases as they are now (in id order; ids that do not exist are left out)."""
        ids = _ids(case_ids)
        with self.database.unit(immediate=False) as session:
            self._check_reader(session)
            return list(_rows(session, ids))

    def attempts(self, case_id: int) -> list[AttemptRecord]:
        """The case's call attempts, oldest first."""
        with self.database.unit(immediate=False) as session:
            self._check_reader(session)
            project_id = session.scalar(select(Case.project_id).where(Case.id == case_id))
            if project_id is None:
                raise NotFound(f"no case {case_id} (没有这个号码)")
            labels = {code: (zh, en) for code, zh, en in session.execute(
                select(Disposition.code, Disposition.label_zh, Disposition.label_en)
                .where(Disposition.project_id == project_id))}
            names = {user_id: name for user_id, name in session.execute(
                select(User.id, func.coalesce(func.nullif(User.display_name, ""), User.username))
                .where(User.id.in_(select(CallAttempt.interviewer_id)
                                   .where(CallAttempt.case_id == case_id))))}
            return [
                AttemptRecord(
                    a.id, a.started_at, a.ended_at, names.get(a.interviewer_id, ""),
                    a.workstation, a.disposition,
                    *(labels.get(a.disposition, (a.disposition, a.disposition))
                      if a.disposition is not None else ("约访", "Appointment")),
                    a.note)
                for a in session.scalars(select(CallAttempt).where(CallAttempt.case_id == case_id)
                                         .order_by(CallAttempt.started_at, CallAttempt.id))]

    def explain(self, case_id: int, now: dt.datetime | None = None) -> Explanation:
        """Every queue rule for the case at ``now``, as no particular interviewer sees it."""
        with self.database.unit(immediate=False) as session:
            self._check_reader(session)
            return explain_case(session, case_id, now or utc_now())

    def disposition_choices(self, project_id: int) -> list[DispositionChoice]:
        """The project's disposition codes, in the order of its table (for a filter list)."""
        with self.database.unit(immediate=False) as session:
            self._check_reader(session)
            return [DispositionChoice(*row) for row in session.execute(
                select(Disposition.code, Disposition.label_zh, Disposition.label_en)
                .where(Disposition.project_id == project_id)
                .order_by(Disposition.position, Disposition.code))]

    # -- actions ------------------------------------------------------------------------------

    def release_lease(self, case_ids: Iterable[int], user_id: int, *,
                      now: dt.datetime | None = None) -> ActionResult:
        """Take the cases away from the workstations that hold them (a stuck or crashed one):
        they go back to the queue as they are. A workstation still on the call is refused
        when it saves the outcome (LeaseLost)."""
        ids = _ids(case_ids)
        with self.database.unit() as session:
            _check_cases(session, user_id, ids)
            changed = _changed(session, update(Case).where(
                Case.id.in_(ids), Case.lease_holder.is_not(None))
                .values(lease_holder=None, lease_expires_at=None))
            return _finish(session, "release_lease", user_id, ids, changed, now)

    def reopen(self, case_ids: Iterable[int], user_id: int, *, reason: str,
               now: dt.datetime | None = None) -> ActionResult:
        """Put closed cases back in the queue: state ``scheduled``, due now, for the reason
        given (required: a closed case is a decision, undoing it is audited with why).

        A completed interview of a reopened case is voided: kept with its answers, state
        ``void``, and out of the indices, quotas, reports and exports (``cati export --include
        void`` lists it), so the next call cannot make a second complete of one case. The
        disposition stays (history; the next call's outcome replaces it); attempts are not
        reset, so a case closed at its maximum attempts gets one more call. All or nothing: a
        case that is not closed, or whose number is on the do-not-call list, refuses the whole
        request."""
        reason = (reason or "").strip()
        if not reason:
            raise CatiError("a reason is needed to reopen closed cases (重新开放须填写原因)")
        ids = _ids(case_ids)
        with self.database.unit() as session:
            return reopen_in(session, ids, user_id, reason=reason, now=now or utc_now())

    def closed_interview(self, case_id: int) -> ClosedInterview | None:
        """The case's latest closed interview with its answers as the questionnaire words them
        (None when it has none): what a correction starts from."""
        with self.database.unit(immediate=False) as session:
            self._check_reader(session)
            interview = session.scalar(
                select(Interview).where(Interview.case_id == case_id,
                                        Interview.state != "in_progress")
                .order_by(Interview.id.desc()).limit(1))
            if interview is None:
                return None
            form = form_of(session, interview.questionnaire_id)
            stored = dict(session.execute(select(Answer.question, Answer.value).where(
                Answer.interview_id == interview.id)).all())
            lines = tuple(
                AnswerLine(item.name, form.text(item.labels), stored[item.name], item.kind,
                           tuple((choice.name, form.text(choice.labels))
                                 for choice in form.choices_of(item))
                           if item.kind in ("select_one", "select_multiple") else ())
                for item in form.items if item.is_question and item.name in stored)
            return ClosedInterview(interview.id, interview.state, interview.disposition, lines)

    def correct_answer(self, interview_id: int, question: str, value: str, user_id: int, *,
                       reason: str) -> Correction:
        """Change one answer of a closed interview, for the reason given (required here: the
        audit log and the answer history keep it with the old and the new value)."""
        if not (reason or "").strip():
            raise CatiError("a reason is needed to correct an answer (修改答案须填写原因)")
        return correct_answer(self.database, interview_id, question, value, user_id=user_id,
                              reason=reason.strip())

    def interviewers(self) -> list[tuple[int, str]]:
        """The active interviewers (id, name) a case can be given to."""
        with self.database.unit(immediate=False) as session:
            self._check_reader(session)
            return [(user_id, display or username) for user_id, username, display in
                    session.execute(select(User.id, User.username, User.display_name).where(
                        User.role == "interviewer", User.active.is_(True))
                        .order_by(User.username))]

    def call_now(self, case_ids: Iterable[int], user_id: int, *,
                 interviewer_id: int | None = None, window: dt.timedelta = CALL_NOW_WINDOW,
                 now: dt.datetime | None = None) -> ActionResult:
        """Call these cases next: each gets an appointment from now for ``window`` (the queue
        hands out appointments due before anything else, also outside calling hours: the
        supervisor asked), replacing its open appointment — a call-back moved forward. With
        ``interviewer_id`` the appointment is hard: only that interviewer is given the case
        until the window ends (a case assigned to a named interviewer). Cases on a call now
        are left as they are; closed or locked cases refuse the whole request."""
        ids = _ids(case_ids)
        now = now or utc_now()
        with self.database.unit() as session:
            _check_cases(session, user_id, ids)
            if interviewer_id is not None and session.scalar(select(User.id).where(
                    User.id == interviewer_id, User.role == "interviewer",
                    User.active.is_(True))) is None:
                raise CatiError(f"no active interviewer {interviewer_id} (没有该访问员)")
            not_open = session.execute(
                select(Case.id, Case.state).where(Case.id.in_(ids),
                                                  Case.state.in_(("closed", "locked")))
                .order_by(Case.id)).all()
            if not_open:
                raise CatiError(
                    "closed cases cannot be called now; reopen them first (已结束的号码须先重新开放): "
                    f"{_listed(f'{case_id} ({state})' for case_id, state in not_open)}")
            free = sorted(session.scalars(select(Case.id).where(
                Case.id.in_(ids), (Case.lease_holder.is_(None)) | (Case.lease_expires_at < now))))
            for old in session.scalars(select(Appointment).where(
                    Appointment.case_id.in_(free), text(OPEN_APPOINTMENT_SQL))):
                old.cancelled = True
            hard = interviewer_id is not None
            session.add_all(Appointment(
                case_id=case_id, window_start=now, window_end=now + window, hard=hard,
                interviewer_id=interviewer_id, booked_by=user_id,
                note="督导指派 assigned by a supervisor" if hard else
                "督导安排立即拨打 called now by a supervisor") for case_id in free)
            changed = _changed(session, update(Case).where(Case.id.in_(free)).values(
                state="appointment", next_call_at=now))
            return _finish(session, "call_now", user_id, ids, changed, now,
                           interviewer_id=interviewer_id)

    def set_priority(self, case_ids: Iterable[int], priority: int, user_id: int, *,
                     now: dt.datetime | None = None) -> ActionResult:
        """Set the priority (higher is called sooner among cases otherwise equal)."""
        low, high = PRIORITY_RANGE
        if isinstance(priority, bool) or not isinstance(priority, int) \
                or not low <= priority <= high:
            raise CatiError(f"priority must be a whole number from {low} to {high} "
                            f"(优先级须为 {low} 到 {high} 的整数), not {priority!r}")
        ids = _ids(case_ids)
        with self.database.unit() as session:
            _check_cases(session, user_id, ids)
            changed = _changed(session, update(Case).where(
                Case.id.in_(ids), Case.priority != priority).values(priority=priority))
            return _finish(session, "set_priority", user_id, ids, changed, now,
                           priority=priority)

    def add_to_dnc(self, case_ids: Iterable[int], reason: str, user_id: int, *,
                   now: dt.datetime | None = None) -> DncActionResult:
        """Put the cases' numbers on the do-not-call list and close the cases that are still
        open.

        The project's disposition table has no do-not-call code, so a closed case keeps the
        disposition it had (a never-called case counts as never called in the rates); its
        lease is cleared (the workstation on the call is refused its outcome, which would
        otherwise reopen it) and its open appointments are cancelled. Only these cases are
        closed: the same number in another project's sample is left as it is.
        """
        ids = _ids(case_ids)
        reason = reason.strip()
        if not reason:
            raise CatiError("give a reason for the do-not-call entry (请填写免打扰原因)")
        now = now or utc_now()
        with self.database.unit() as session:
            _check_cases(session, user_id, ids)
            phones = session.scalars(select(Case.phone_e164).where(Case.id.in_(ids))
                                     .order_by(Case.id)).all()
            listed = add_numbers(session, phones, reason=reason, added_by=user_id)
            changed = _changed(session, update(Case).where(
                Case.id.in_(ids), Case.state != "closed")
                .values(state="closed", next_call_at=None, lease_holder=None,
                        lease_expires_at=None))
            session.execute(update(Appointment).where(
                Appointment.case_id.in_(ids), text(OPEN_APPOINTMENT_SQL)).values(cancelled=True))
            result = _finish(session, "add_to_dnc", user_id, ids, changed, now, reason=reason,
                             added=listed.added, already=listed.already)
            return DncActionResult(result.action, result.changed, result.rows, listed.added,
                                   listed.already, tuple(listed.invalid))


# -- queries -----------------------------------------------------------------------------------


def count_query(project_id: int, filters: SampleFilters | None = None):
    """The SELECT of SampleBrowser.count (for EXPLAIN in benchmarks)."""
    return select(func.count()).select_from(Case).where(
        *_conditions(project_id, filters or SampleFilters()))


def page_query(project_id: int, filters: SampleFilters | None = None,
               sort: SampleSort | None = None, offset: int = 0,
               limit: int = DEFAULT_PAGE_SIZE, *, after_id: int | None = None):
    """The SELECT of SampleBrowser.page (for EXPLAIN in benchmarks)."""
    sort = sort or SampleSort()
    if not 0 < limit <= MAX_PAGE_SIZE:
        raise CatiError(f"a page holds 1 to {MAX_PAGE_SIZE} rows, not {limit}")
    if offset < 0:
        raise CatiError(f"a page cannot start at row {offset}")
    statement = select(*_COLUMNS.values()).where(
        *_conditions(project_id, filters or SampleFilters()))
    if after_id is not None:
        if sort.column != "id":
            raise CatiError("keyset paging (after_id) needs the table sorted by id")
        statement = statement.where(Case.id < after_id if sort.descending
                                    else Case.id > after_id)
        offset = 0
    return statement.order_by(*_order(sort)).offset(offset).limit(limit)



def _conditions(project_id: int, filters: SampleFilters) -> list:
    conditions: list = [Case.project_id == project_id]
    if filters.stratum is not None:
        conditions.append(Case.stratum == filters.stratum)
    if filters.state is not None:
        if filters.state not in CASE_STATES:
            raise CatiError(f"unknown case state {filters.state!r} (one of "
                            f"{', '.join(sorted(CASE_STATES))})")
        conditions.append(Case.state == filters.state)
    if filters.disposition == NO_DISPOSITION:
        conditions.append(Case.disposition.is_(None))
    elif filters.disposition is not None:
        conditions.append(Case.disposition == filters.disposition)
    low, high = filters.min_attempts, filters.max_attempts
    if low is not None and high is not None and low > high:
        raise CatiError(f"at least {low} attempts and at most {high} is no case "
                        "(拨打次数下限大于上限)")
    if low is not None:
        conditions.append(Case.attempts >= low)
    if high is not None:
        conditions.append(Case.attempts <= high)
    if filters.phone is not None:
        digits = "".join(filters.phone.split()).replace("-", "").lstrip("+")
        if digits and not (digits.isascii() and digits.isdigit()):
            raise CatiError(f"the phone search takes digits only (号码搜索只能输入数字), "
                            f"not {filters.phone!r}")
        if digits:
            conditions.append(Case.phone_e164.like(f"%{digits}%"))
    return conditions


def _order(sort: SampleSort) -> list:
    column = _COLUMNS.get(sort.column)
    if column is None:
        raise CatiError(f"cannot sort by {sort.column!r} (one of {', '.join(SORT_COLUMNS)})")
    if sort.column == "id":
        return [Case.id.desc() if sort.descending else Case.id.asc()]
    if sort.column in _NULLABLE:  # SQLite's native order, spelled out for PostgreSQL
        key = column.desc().nulls_last() if sort.descending else column.asc().nulls_first()
    else:
        key = column.desc() if sort.descending else column.asc()
    return [key, Case.id.desc() if sort.descending else Case.id.asc()]


def _rows(session: Session, ids: Sequence[int]) -> Iterable[CaseRow]:
    for row in session.execute(select(*_COLUMNS.values()).where(Case.id.in_(ids))
                               .order_by(Case.id)):
        yield CaseRow(*row)


def _dnc_active(now: dt.datetime):
    return (DoNotCall.expires_at.is_(None)) | (DoNotCall.expires_at > now)


# -- actions -----------------------------------------------------------------------------------


def _ids(case_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(case_id) for case_id in case_ids})
    if not ids:
        raise CatiError("no case selected (未选择号码)")
    if len(ids) > MAX_ACTION_CASES:
        raise CatiError(f"at most {MAX_ACTION_CASES} cases at a time, not {len(ids)} "
                        f"(一次最多处理 {MAX_ACTION_CASES} 个号码)")
    return ids


def _listed(items: Iterable[str], most: int = 5) -> str:
    items = list(items)
    shown = ", ".join(items[:most])
    return shown + (f" … ({len(items)} in all)" if len(items) > most else "")


def reopen_in(session: Session, ids: Sequence[int], user_id: int, *, reason: str,
              now: dt.datetime) -> ActionResult:
    """``SampleBrowser.reopen`` inside a unit of work the caller holds (the one way a
    completed interview is voided; quality control's "invalid" verdict uses it in its own
    transaction). The reason is checked by the caller."""
    _check_cases(session, user_id, ids)
    not_closed = session.execute(
        select(Case.id, Case.state).where(Case.id.in_(ids), Case.state != "closed")
        .order_by(Case.id)).all()
    if not_closed:
        raise CatiError(
            f"only closed cases can be reopened (只能重新开放已结束的号码): "
            f"{_listed(f'{case_id} ({state})' for case_id, state in not_closed)}")
    blocked = session.execute(
        select(Case.id, Case.phone_e164).join(
            DoNotCall, DoNotCall.phone_e164 == Case.phone_e164)
        .where(Case.id.in_(ids), _dnc_active(now)).order_by(Case.id)).all()
    if blocked:
        raise CatiError(
            "numbers on the do-not-call list cannot be reopened (免打扰号码不能重新开放): "
            f"{_listed(f'{case_id} ({phone})' for case_id, phone in blocked)}")
    voided = sorted(session.scalars(
        update(Interview).where(Interview.case_id.in_(ids),
                                Interview.state == COMPLETE_STATE)
        .values(state=VOID_STATE).returning(Interview.id)))
    changed = _changed(session, update(Case).where(
        Case.id.in_(ids), Case.state == "closed")
        .values(state="scheduled", next_call_at=now, lease_holder=None,
                lease_expires_at=None))
    return _finish(session, "reopen", user_id, ids, changed, now, reason=reason,
                   voided_interviews=voided)


def _check_role(session: Session, user_id: int, what: str) -> None:
    role = session.execute(select(User.role, User.active).where(User.id == user_id)).first()
    if role is None or not role.active or role.role not in SUPERVISOR_ROLES:
        raise PermissionDenied(f"only an active supervisor or admin may {what}")


def _check_cases(session: Session, user_id: int, ids: Sequence[int]) -> None:
    _check_role(session, user_id, "change the sample (只有督导或管理员可以修改样本)")
    found = set(session.scalars(select(Case.id).where(Case.id.in_(ids))))
    missing = [str(case_id) for case_id in ids if case_id not in found]
    if missing:
        raise NotFound(f"no case {_listed(missing)} (没有这些号码)")


def _changed(session: Session, statement) -> list[int]:
    return sorted(session.scalars(statement.returning(Case.id)).all())


def _finish(session: Session, action: str, user_id: int, ids: Sequence[int],
            changed: Sequence[int], now: dt.datetime | None, **details) -> ActionResult:
    session.add(AuditEntry(user_id=user_id, at=now or utc_now(), action=f"sample.{action}",
                           details={"case_ids": list(ids), "changed": list(changed), **details}))
    return ActionResult(action, tuple(changed), tuple(_rows(session, ids)))

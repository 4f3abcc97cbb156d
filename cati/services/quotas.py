"""Quotas: a target of completed interviews per stratum, or per cell with a condition.

Stratum quotas (a row without ``expression``): a complete counts for the interview's stratum:
the label of the answer to the questionnaire's ``cati::stratum_question`` (the shipped form
asks the township) when the form names one, else the case's sample stratum. The claim stops
serving a stratum whose cell is full and draws fresh numbers from the stratum furthest behind
(cati.calling.queue); an interview whose answered stratum is full is screened out with 4.80.

Cells with a condition (a row with ``expression``; its ``stratum`` column holds the cell's name,
so a cell's name and a stratum with a quota share one name space): the condition is an
XLSForm expression, the language of the form's relevant column, e.g.
``${gender} = '1' and ${resp_age} >= 18 and ${resp_age} < 35``. A ``${name}`` is the answer
of the questionnaire's item of that name (calculations included: their stored value); any other
``${name}`` is the case's sample column of that name (the phone list's extra columns, kept in
the case's attributes, read as text as the engine's ``case_data`` does). A name that is neither
an item of the project's questionnaire nor a column of its sample is refused when set, as is an
expression that does not read; nothing is stored then. The sample's columns are those seen on
its first and last cases, so a cell on a sample column is set after the list is imported. A
name both asked and in the sample is the answer. Setting a cell's target without a condition
keeps its condition (a target edited in place, a pasted line of two columns); a new condition
counts the completes already made and restamps the cases.

- Counting: when an interview completes, the cells whose condition holds for its stored
  answers and its case's columns are recorded (``quota_members``); a cell's completes are its
  members whose interview is still complete (a voided complete leaves every cell at once).
  ``recount`` re-evaluates every complete and compares (and, asked, repairs).
- During the interview: a save that answers a name a cell reads, after which every item the
  cell reads has an answer and the condition holds, and that cell is full, says ``quota_full``
  (the window ends the interview with 4.80, as for a full stratum). "Every item has an
  answer" is the certainty rule: simple and never early, but a cell that reads an item its
  respondent may skip (``${age_adult}``) is only judged at completion; read the calculation
  that is always answered instead (the shipped form's ``${resp_age}``).
- At the claim: a cell that reads only sample columns is stamped on its cases
  (``case_quota_cells``) when set and when cases are imported; the cases of a full one are not
  served (an indexed NOT EXISTS in cati.calling.queue).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import String, cast, delete, func, insert, literal, select, tuple_
from sqlalchemy.orm import Session

from cati.calling import project_cache
from cati.errors import CatiError, NotFound
from cati.questionnaire import xpath
from cati.questionnaire.engine import case_values
from cati.storage.db import Database, upsert_insert
from cati.storage.models import (
    Answer,
    Case,
    CaseQuotaCell,
    Interview,
    Project,
    Quota,
    QuotaMember,
)

COMPLETE_STATE = "complete"


@dataclass(frozen=True, slots=True)
class QuotaCell:
    stratum: str  # the stratum, or the name of a cell with a condition
    target: int
    completes: int
    condition: str = ""  # "": a stratum quota
    sample_only: bool = False  # the condition reads only sample columns (served at the claim)

    @property
    def name(self) -> str:
        return self.stratum

    @property
    def full(self) -> bool:
        return self.completes >= self.target


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed cell condition and what it reads."""

    quota_id: int
    name: str
    target: int
    expression: xpath.Expression
    questions: frozenset[str]  # items of the questionnaire it reads
    columns: frozenset[str]  # sample columns it reads

    @property
    def sample_only(self) -> bool:
        return not self.questions


# -- stratum quotas ----------------------------------------------------------------------------


def quota_cells(session: Session, project_id: int) -> dict[str, tuple[int, int]]:
    """stratum -> (target, completes) for every stratum with a quota (empty: no quotas).
    Cells with a condition are not strata: see condition_cells."""
    targets = dict(session.execute(select(Quota.stratum, Quota.target)
                                   .where(Quota.project_id == project_id,
                                          Quota.expression.is_(None))).all())
    if not targets:
        return {}
    completes = dict(session.execute(
        select(Interview.stratum, func.count())
        .where(Interview.project_id == project_id, Interview.state == COMPLETE_STATE)
        .group_by(Interview.stratum)).all())
    return {stratum: (target, int(completes.get(stratum, 0)))
            for stratum, target in targets.items()}


def cell_is_full(session: Session, project_id: int, stratum: str) -> bool:
    target = session.scalar(select(Quota.target).where(Quota.project_id == project_id,
                                                        Quota.stratum == stratum,
                                                        Quota.expression.is_(None)))
    if target is None:
        return False
    done = session.scalar(select(func.count()).select_from(Interview).where(
        Interview.project_id == project_id, Interview.state == COMPLETE_STATE,
        Interview.stratum == stratum))
    return int(done or 0) >= target


# -- conditions --------------------------------------------------------------------------------


class _Values:
    """What a condition sees: the questionnaire's items from the answers, other names from the
    case's sample columns (cati.questionnaire.xpath.EvalContext)."""

    def __init__(self, form, answers: Mapping[str, str], columns: Mapping[str, str]) -> None:
        self._form, self._answers, self._columns = form, answers, columns
        self.current_value = ""
        self.now = dt.datetime.now(dt.UTC)
        self.rng = random.Random(0)

    def value_of(self, name: str) -> str:
        if self._form is not None and self._form.has_item(name):
            return self._answers.get(name, "")
        return self._columns.get(name, "")

    def choice_label(self, name: str, choice_value: str) -> str:
        if self._form is None or not self._form.has_item(name):
            return ""
        for choice in self._form.choices_of(self._form.item(name)):
            if choice.name == choice_value:
                return self._form.text(choice.labels)
        return ""

    def once_value(self) -> str:
        return ""


def holds(condition: Condition, form, answers: Mapping[str, str],
          columns: Mapping[str, str]) -> bool:
    """Whether the condition holds; an expression that fails on these values does not."""
    try:
        return condition.expression.evaluate_bool(_Values(form, answers, columns))
    except xpath.ExpressionError:
        return False


def check_condition(name: str, text: str, form, sample_columns: Iterable[str]
                    ) -> tuple[xpath.Expression, frozenset[str], frozenset[str]]:
    """Parse a cell's condition against the questionnaire and the sample's columns: (the
    expression, the items it reads, the columns it reads); CatiError in one line otherwise."""
    text = " ".join(text.split())
    if not text:
        raise CatiError(f"quota '{name}': the condition is empty (配额条件为空)")
    try:
        expression = xpath.parse(text)
    except xpath.ExpressionError as exc:
        raise CatiError(f"quota '{name}': the condition {text!r} does not read: {exc} "
                        "(配额条件无法解析)") from None
    if expression.child_names or expression.uses_current:
        raise CatiError(f"quota '{name}': the condition {text!r} must name what it reads as "
                        "${name} (配额条件须用 ${…} 引用题目或样本列)")
    if not expression.references:
        raise CatiError(f"quota '{name}': the condition {text!r} reads no question and no "
                        "sample column (配额条件未引用任何题目或样本列)")
    columns = set(sample_columns)
    questions = frozenset(r for r in expression.references if form.has_item(r))
    others = expression.references - questions
    unknown = sorted(others - columns)
    if unknown:
        raise CatiError(f"quota '{name}': ${{{unknown[0]}}} is neither a question of the "
                        "questionnaire nor a column of the sample (配额条件引用了未知的名称)")
    return expression, questions, frozenset(others)


def conditions(session: Session, project_id: int, form=None) -> list[Condition]:
    """The project's cells with a condition (none: an empty list, one indexed read)."""
    rows = session.execute(select(Quota.id, Quota.stratum, Quota.target, Quota.expression)
                           .where(Quota.project_id == project_id,
                                  Quota.expression.is_not(None))
                           .order_by(Quota.stratum)).all()
    if not rows:
        return []
    if form is None:
        form = _project_form(session, project_id)
    found = []
    for quota_id, name, target, text in rows:
        try:
            expression = xpath.parse(text)
        except xpath.ExpressionError:
            continue  # checked when set; a later questionnaire cannot make it unreadable
        questions = frozenset(r for r in expression.references if form.has_item(r))
        found.append(Condition(quota_id, name, target, expression, questions,
                               frozenset(expression.references - questions)))
    return found


def condition_completes(session: Session, quota_ids: Sequence[int]) -> dict[int, int]:
    """quota id -> completes counted in it (members whose interview is still complete)."""
    if not quota_ids:
        return {}
    return {quota_id: int(n) for quota_id, n in session.execute(
        select(QuotaMember.quota_id, func.count())
        .join(Interview, Interview.id == QuotaMember.interview_id)
        .where(QuotaMember.quota_id.in_(list(quota_ids)),
               Interview.state == COMPLETE_STATE)
        .group_by(QuotaMember.quota_id))}


def condition_cells(session: Session, project_id: int) -> list[QuotaCell]:
    """Every cell with a condition, with its completes, by name."""
    rows = session.execute(select(Quota.id, Quota.stratum, Quota.target, Quota.expression)
                           .where(Quota.project_id == project_id,
                                  Quota.expression.is_not(None))
                           .order_by(Quota.stratum)).all()
    if not rows:
        return []
    form = _project_form(session, project_id)
    done = condition_completes(session, [row.id for row in rows])
    return [QuotaCell(row.stratum, row.target, done.get(row.id, 0), row.expression,
                      _reads_no_question(row.expression, form)) for row in rows]


def full_sample_cells(session: Session, project_id: int) -> tuple[int, ...]:
    """The ids of the full cells that read only sample columns (the claim skips their cases)."""
    found = [c for c in conditions(session, project_id) if c.sample_only]
    if not found:
        return ()
    done = condition_completes(session, [c.quota_id for c in found])
    return tuple(sorted(c.quota_id for c in found if done.get(c.quota_id, 0) >= c.target))


def full_cell_after_save(session: Session, interview: Interview, form,
                         changed: Iterable[str]) -> str | None:
    """The name of a full cell this save made certain, else None: a cell that reads a name
    just answered, whose every item now has an answer and whose condition holds."""
    changed = set(changed)
    cells = [c for c in conditions(session, interview.project_id, form)
             if c.questions & changed]
    if not cells:
        return None
    session.flush()  # the answers of this save
    answers = dict(session.execute(select(Answer.question, Answer.value)
                                   .where(Answer.interview_id == interview.id)).all())
    columns = _case_columns(session, interview.case_id)
    certain = [c for c in cells if all(answers.get(q, "") != "" for q in c.questions)
               and holds(c, form, answers, columns)]
    if not certain:
        return None
    done = condition_completes(session, [c.quota_id for c in certain])
    for cell in certain:
        if done.get(cell.quota_id, 0) >= cell.target:
            return cell.name
    return None


def record_completion(session: Session, interview: Interview) -> list[str]:
    """Record the cells a just-completed interview counts in (inside the completing unit, after
    its state is complete); the names of those cells."""
    found = conditions(session, interview.project_id)
    if not found or interview.state != COMPLETE_STATE:
        return []
    form = _form(session, interview.questionnaire_id)
    session.flush()  # the interview's new state first: PostgreSQL's policy checks it
    answers = dict(session.execute(select(Answer.question, Answer.value)
                                   .where(Answer.interview_id == interview.id)).all())
    columns = _case_columns(session, interview.case_id)
    members = [c for c in found if holds(c, form, answers, columns)]
    if members:
        kept = set(session.scalars(select(QuotaMember.quota_id).where(
            QuotaMember.interview_id == interview.id)))
        rows = [{"quota_id": c.quota_id, "interview_id": interview.id}
                for c in members if c.quota_id not in kept]
        if rows:
            session.execute(insert(QuotaMember), rows)
    return [c.name for c in members]


@dataclass(frozen=True, slots=True)
class Recount:
    name: str
    kept: int  # completes counted from the recorded memberships
    evaluated: int  # completes whose answers and case hold the condition now

    @property
    def agrees(self) -> bool:
        return self.kept == self.evaluated


def recount(database: Database, project_id: int, *, repair: bool = False) -> list[Recount]:
    """Re-evaluate every complete of the project against every cell and compare with the kept
    counts; with ``repair``, the memberships are rewritten to the evaluation (audited)."""
    from cati.storage.models import AuditEntry

    with database.unit() as session:
        if session.get(Project, project_id) is None:
            raise NotFound(f"no project {project_id}")
        form = _project_form(session, project_id)
        found = conditions(session, project_id, form)
        if not found:
            return []
        kept = condition_completes(session, [c.quota_id for c in found])
        interviews = session.execute(select(Interview.id, Interview.case_id, Interview.
                                            questionnaire_id)
                                     .where(Interview.project_id == project_id,
                                            Interview.state == COMPLETE_STATE)).all()
        answers: dict[int, dict[str, str]] = {row.id: {} for row in interviews}
        for interview_id, question, value in session.execute(
                select(Answer.interview_id, Answer.question, Answer.value)
                .join(Interview, Interview.id == Answer.interview_id)
                .where(Interview.project_id == project_id,
                       Interview.state == COMPLETE_STATE)):
            answers[interview_id][question] = value
        case_ids = [row.case_id for row in interviews if row.case_id is not None]
        attributes = {case_id: case_values(attrs) for case_id, attrs in session.execute(
            select(Case.id, Case.attributes).where(Case.id.in_(case_ids)))} if case_ids else {}
        evaluated: dict[int, set[int]] = {c.quota_id: set() for c in found}
        for row in interviews:
            columns = attributes.get(row.case_id, {})
            for cell in found:
                if holds(cell, form, answers[row.id], columns):
                    evaluated[cell.quota_id].add(row.id)
        result = [Recount(c.name, kept.get(c.quota_id, 0), len(evaluated[c.quota_id]))
                  for c in found]
        if repair and not all(r.agrees for r in result):
            ids = [c.quota_id for c in found]
            session.execute(delete(QuotaMember).where(QuotaMember.quota_id.in_(ids)))
            rows = [{"quota_id": q, "interview_id": i}
                    for q, members in evaluated.items() for i in sorted(members)]
            if rows:
                session.execute(insert(QuotaMember), rows)
            session.add(AuditEntry(user_id=None, at=dt.datetime.now(dt.UTC),
                                   action="quota_recounted", details={
                                       "project_id": project_id,
                                       "cells": {r.name: [r.kept, r.evaluated]
                                                 for r in result if not r.agrees}}))
        project_cache.forget(database.url)
        return result


# -- stamping the sample's cases ---------------------------------------------------------------


def stamp_cells(session_or_connection, project_id: int, cells: Sequence[Condition], *,
                batch_id: int | None = None) -> int:
    """Stamp the cases (of the project, or of one imported batch) that fall in the given
    sample-only cells; the number of stamps written.

    A sample column holds few distinct values (a sex, an age band, a township), so each cell
    is judged once per distinct combination of the columns it reads (one GROUP BY over the
    JSON of the cases), and the matching cases are stamped with one INSERT … SELECT: a
    million cases cost two passes in the database, not a million evaluations in Python."""
    written = 0
    for cell in cells:
        if not cell.sample_only:
            continue
        names = sorted(cell.columns)
        sqlite = _dialect(session_or_connection) == "sqlite"
        texts = [_column_text(name, sqlite) for name in names]
        where = [Case.project_id == project_id]
        if batch_id is not None:
            where.append(Case.batch_id == batch_id)
        combos = session_or_connection.execute(
            select(*texts).where(*where).group_by(*texts)).all()
        matching = [tuple(combo) for combo in combos
                    if holds(cell, None, {}, {n: v for n, v in zip(names, combo, strict=True)
                                              if v != ""})]
        for start in range(0, len(matching), 500):
            chunk = matching[start:start + 500]
            picked = (tuple_(*texts).in_(chunk) if len(names) > 1
                      else texts[0].in_([combo[0] for combo in chunk]))
            written += session_or_connection.execute(
                insert(CaseQuotaCell).from_select(
                    ["case_id", "quota_id"],
                    select(Case.id, literal(cell.quota_id)).where(*where, picked))).rowcount
    return written


def _dialect(session_or_connection) -> str:
    bind = (session_or_connection.get_bind() if isinstance(session_or_connection, Session)
            else session_or_connection)
    return bind.dialect.name


def _column_text(name: str, sqlite: bool):
    """A sample column of the case as text ('' when missing), in SQL. SQLite matches a JSON
    key as written: a key stored escaped (``"\\u6027\\u522b"``, as json.dumps writes it) is
    looked up in that form too."""
    if not sqlite:
        return func.coalesce(Case.attributes[name].as_string(), "")
    plain = func.json_extract(Case.attributes, literal('$."' + name + '"', String))
    escaped = func.json_extract(Case.attributes,
                                literal('$."' + json.dumps(name)[1:-1] + '"', String))
    return func.coalesce(cast(plain, String), cast(escaped, String), "")


def stamp_batch(connection, project_id: int, batch_id: int) -> int:
    """Stamp a just-imported batch's cases with the project's sample-only cells (called by the
    import when the batch is published)."""
    rows = connection.execute(select(Quota.id, Quota.stratum, Quota.target, Quota.expression)
                              .where(Quota.project_id == project_id,
                                     Quota.expression.is_not(None))).all()
    if not rows:
        return 0
    form = _project_form_on(connection, project_id)
    cells = []
    for quota_id, name, target, text in rows:
        try:
            expression = xpath.parse(text)
        except xpath.ExpressionError:
            continue
        if _reads_no_question(text, form):
            cells.append(Condition(quota_id, name, target, expression, frozenset(),
                                   frozenset(expression.references)))
    return stamp_cells(connection, project_id, cells, batch_id=batch_id)


def sample_columns(session: Session, project_id: int, *, look: int = 500) -> set[str]:
    """The sample's column names as seen on the first and the last ``look`` cases of the
    project (phone lists are imported whole, so their rows share one header)."""
    names: set[str] = set()
    for order in (Case.id, Case.id.desc()):
        for (attributes,) in session.execute(select(Case.attributes)
                                             .where(Case.project_id == project_id)
                                             .order_by(order).limit(look)):
            names.update(case_values(attributes))
    return names


# -- setting -----------------------------------------------------------------------------------


def set_cell_in(session: Session, project_id: int, name: str, target: int,
                condition: str | None) -> tuple[int | None, str | None, str | None]:
    """Set (or replace) one quota inside the caller's unit: a cell's when ``condition`` is
    given (checked against the project's questionnaire and sample), else a stratum's, or only
    the target of an existing cell (its condition kept: a target edited in place, or a pasted
    line without a condition). Returns (old target, old condition, new condition); the old
    ones are None when the quota is new."""
    name = " ".join(name.split())
    if not name:
        raise CatiError("a quota needs a stratum or a name (配额需要样本层或名称)")
    if isinstance(target, bool) or not isinstance(target, int) or target < 0:
        raise CatiError(f"a quota target must be 0 or more, not {target!r}")
    text = None
    checked = None
    if condition is not None and condition.strip():
        form = _project_form(session, project_id)
        checked = check_condition(name, condition, form, sample_columns(session, project_id))
        text = checked[0].text
    insert_new = upsert_insert(session)(Quota).values(
        project_id=project_id, stratum=name, target=target, expression=text
    ).on_conflict_do_nothing(index_elements=["project_id", "stratum"]).returning(Quota.id)
    inserted = session.connection().execute(insert_new).first()
    old: tuple[int | None, str | None] = (None, None)
    if inserted is None:
        quota = session.scalars(select(Quota).where(
            Quota.project_id == project_id, Quota.stratum == name).with_for_update()).one()
        old = (quota.target, quota.expression)
        if text is None:
            text = quota.expression  # only the target changes
        quota.target, quota.expression = target, text
        quota_id = quota.id
        if old[1] != text:  # a new condition: its memberships and stamps start again
            session.flush()
            session.execute(delete(QuotaMember).where(QuotaMember.quota_id == quota_id))
            session.execute(delete(CaseQuotaCell).where(CaseQuotaCell.quota_id == quota_id))
    else:
        quota_id = inserted[0]
    if checked is not None and old[1] != text:
        expression, questions, columns = checked
        cell = Condition(quota_id, name, target, expression, questions, columns)
        session.flush()
        if cell.sample_only:
            stamp_cells(session, project_id, [cell])
        _count_existing(session, project_id, cell)
    return old[0], old[1], text


def _count_existing(session: Session, project_id: int, cell: Condition) -> None:
    """A new condition counts the completes made before it was set."""
    form = _project_form(session, project_id)
    interviews = session.execute(select(Interview.id, Interview.case_id)
                                 .where(Interview.project_id == project_id,
                                        Interview.state == COMPLETE_STATE)).all()
    if not interviews:
        return
    answers: dict[int, dict[str, str]] = {row.id: {} for row in interviews}
    for interview_id, question, value in session.execute(
            select(Answer.interview_id, Answer.question, Answer.value)
            .join(Interview, Interview.id == Answer.interview_id)
            .where(Interview.project_id == project_id, Interview.state == COMPLETE_STATE,
                   Answer.question.in_(sorted(cell.questions) or [""]))):
        answers[interview_id][question] = value
    case_ids = [row.case_id for row in interviews if row.case_id is not None]
    attributes = {case_id: case_values(attrs) for case_id, attrs in session.execute(
        select(Case.id, Case.attributes).where(Case.id.in_(case_ids)))} if case_ids else {}
    rows = [{"quota_id": cell.quota_id, "interview_id": row.id} for row in interviews
            if holds(cell, form, answers[row.id], attributes.get(row.case_id, {}))]
    if rows:
        session.execute(insert(QuotaMember), rows)


def set_quota(database: Database, project_id: int, stratum: str, target: int,
              condition: str | None = None) -> QuotaCell:
    """Set (or replace) the target of one stratum, or of one cell with a ``condition``; takes
    effect at the next claim."""
    project_cache.forget(database.url)
    with database.unit() as session:
        if session.get(Project, project_id) is None:
            raise NotFound(f"no project {project_id}")
        set_cell_in(session, project_id, stratum, target, condition)
        session.flush()
        return cell_named(session, project_id, " ".join(stratum.split()))


def cell_named(session: Session, project_id: int, name: str) -> QuotaCell:
    for cell in all_cells(session, project_id):
        if cell.stratum == name:
            return cell
    raise NotFound(f"no quota '{name}'")


def all_cells(session: Session, project_id: int) -> list[QuotaCell]:
    """Stratum quotas then cells with a condition, each by name."""
    strata = [QuotaCell(stratum, target, done)
              for stratum, (target, done) in sorted(quota_cells(session, project_id).items())]
    return strata + condition_cells(session, project_id)


def remove_quota(database: Database, project_id: int, stratum: str) -> bool:
    project_cache.forget(database.url)
    with database.unit() as session:
        quota = session.scalar(select(Quota).where(Quota.project_id == project_id,
                                                   Quota.stratum == stratum))
        if quota is None:
            return False
        remove_cell_in(session, quota)
        return True


def remove_cell_in(session: Session, quota: Quota) -> None:
    session.execute(delete(QuotaMember).where(QuotaMember.quota_id == quota.id))
    session.execute(delete(CaseQuotaCell).where(CaseQuotaCell.quota_id == quota.id))
    session.delete(quota)


def list_quotas(database: Database, project_id: int) -> list[QuotaCell]:
    with database.unit(immediate=False) as session:
        return all_cells(session, project_id)


# -- helpers -----------------------------------------------------------------------------------


def _form(session: Session, questionnaire_id: int):
    from cati.services.questionnaires import form_of

    return form_of(session, questionnaire_id)


def _project_form(session: Session, project_id: int):
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"no project {project_id}")
    return _form(session, project.questionnaire_id)


def _project_form_on(connection, project_id: int):
    from cati.services.questionnaires import form_of

    questionnaire_id = connection.scalar(select(Project.questionnaire_id)
                                         .where(Project.id == project_id))
    return form_of(connection, questionnaire_id)  # reads with execute and scalar only


def _reads_no_question(text: str, form) -> bool:
    try:
        references = xpath.parse(text).references
    except xpath.ExpressionError:
        return False
    return not any(form.has_item(r) for r in references)


def _case_columns(session: Session, case_id: int | None) -> dict[str, str]:
    if case_id is None:
        return {}
    return case_values(session.scalar(select(Case.attributes).where(Case.id == case_id)))

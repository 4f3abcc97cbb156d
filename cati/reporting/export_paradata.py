"""Paradata export: the call history and the question timings of a project in one long CSV.

One row per call attempt and one per answer event (every set, change and clear of an answer),
for every case and interview of the project whatever its outcome. Rows are grouped by case and
in time order within it (field interviews without a case come first), so each call is followed
by the answers given during it.

Columns:
    kind          attempt | answer
    id            the call attempt's or the answer event's id
    case_id       the case (empty for an interview without a case)
    interview_id  answer: its interview; attempt: the interview answered during that call
                  (an answer event between the call's start and end), else empty
    interviewer   attempt: who called; answer: who recorded it (else the interview's
                  interviewer) — usernames
    workstation   attempt: the workstation that made the call; answer: empty
    at            attempt: when the call started; answer: when the answer was recorded
    ended         attempt: when the call ended; answer: empty
    seconds       attempt: the call's length; answer: seconds since the interview's previous
                  answer event, or since the interview started for its first one
    disposition   attempt: the call's outcome code (empty for a booked appointment)
    question      answer: the question's name in the questionnaire
    action        answer: set | change | clear
    old_value     answer: the value before (empty for set)
    new_value     answer: the value after (empty for clear)
    note          attempt: the interviewer's note

Times are ISO 8601 in UTC to the millisecond (``2026-11-24T01:30:00.250Z``); seconds have up to
three decimals. The file is UTF-8 with a byte-order mark, values exactly as stored except that
formula-like text gets a single quote in front (as in the data export). Rows are streamed.
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from cati.errors import CatiError
from cati.reporting.export import (
    AtomicOutput,
    acting_user,
    consistent_snapshot,
    csv_text,
    find_project,
    open_csv,
    record_export,
)
from cati.storage.db import Database
from cati.storage.models import AnswerEvent, CallAttempt, Case, Interview, User

PARADATA_COLUMNS = ("kind", "id", "case_id", "interview_id", "interviewer", "workstation", "at",
                    "ended", "seconds", "disposition", "question", "action", "old_value",
                    "new_value", "note")
STREAM_ROWS = 5000

_Key = tuple[int, dt.datetime, int, int]  # case (0: none), at, attempt before answer, id
_Row = tuple[_Key, list[object]]


@dataclass(frozen=True, slots=True)
class ParadataResult:
    path: Path
    rows: int
    attempts: int
    answers: int


def export_paradata(database: Database, project_code: str, out: str | os.PathLike[str], *,
                    username: str | None = None, user_id: int | None = None) -> ParadataResult:
    """Write the project's paradata to ``out`` (CSV) and record the export in the audit log."""
    out = Path(out)
    output = AtomicOutput(out)
    counts = {"attempt": 0, "answer": 0}
    try:
        with database.unit(immediate=False) as session:
            consistent_snapshot(session, database)
            project = find_project(session, project_code)
            actor = acting_user(session, username=username, user_id=user_id)
            temp = output.create()
            rows = heapq.merge(_attempts(session, project.id), _answers(session, project.id),
                               key=lambda row: row[0])
            try:
                with open_csv(temp) as handle:
                    writer = csv.writer(handle)
                    writer.writerow(PARADATA_COLUMNS)
                    for _, cells in rows:
                        counts[str(cells[0])] += 1
                        writer.writerow([csv_text(value)  # type: ignore[arg-type]
                                         for value in cells])
            except OSError as exc:  # the disk filled up, the share went away …
                raise CatiError(f"cannot write {out}: {exc.strerror or exc}") from None
        total = counts["attempt"] + counts["answer"]
        record_export(database, actor, {
            "project": project.code, "format": "csv", "data": "paradata", "rows": total,
            "attempts": counts["attempt"], "answers": counts["answer"], "with_phone": False,
            "file": str(out)})
        output.commit()
    finally:
        output.discard()
    return ParadataResult(out, total, counts["attempt"], counts["answer"])


def iso_ms(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(
        timespec="milliseconds") + "Z"


def seconds(start: dt.datetime | None, end: dt.datetime | None) -> str | None:
    if start is None or end is None:
        return None
    text = f"{(end - start).total_seconds():.3f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


def _attempts(session: Session, project_id: int) -> Iterator[_Row]:
    event, interview = aliased(AnswerEvent), aliased(Interview)
    call_end = func.coalesce(CallAttempt.ended_at, CallAttempt.started_at)
    answered_in_call = (
        select(func.min(event.interview_id))
        .join(interview, interview.id == event.interview_id)
        .where(interview.case_id == CallAttempt.case_id,
               event.at >= CallAttempt.started_at, event.at <= call_end)
        .correlate(CallAttempt).scalar_subquery())
    result = session.connection().execute(
        select(CallAttempt.id, CallAttempt.case_id, answered_in_call, User.username,
               CallAttempt.workstation, CallAttempt.started_at, CallAttempt.ended_at,
               CallAttempt.disposition, CallAttempt.note)
        .join(Case, Case.id == CallAttempt.case_id)
        .outerjoin(User, User.id == CallAttempt.interviewer_id)
        .where(Case.project_id == project_id)
        .order_by(CallAttempt.case_id, CallAttempt.started_at, CallAttempt.id)
        .execution_options(yield_per=STREAM_ROWS))
    for (attempt_id, case_id, interview_id, interviewer, workstation, started, ended,
         disposition, note) in result:
        yield ((case_id, started, 0, attempt_id),
               ["attempt", attempt_id, case_id, interview_id, interviewer, workstation,
                iso_ms(started), iso_ms(ended), seconds(started, ended), disposition, None,
                None, None, None, note])


def _answers(session: Session, project_id: int) -> Iterator[_Row]:
    recorder, interviewer = aliased(User), aliased(User)
    case_key = func.coalesce(Interview.case_id, 0)
    result = session.connection().execute(
        select(AnswerEvent.id, Interview.case_id, AnswerEvent.interview_id,
               func.coalesce(recorder.username, interviewer.username), Interview.started_at,
               AnswerEvent.at, AnswerEvent.question, AnswerEvent.action, AnswerEvent.old_value,
               AnswerEvent.new_value)
        .join(Interview, Interview.id == AnswerEvent.interview_id)
        .outerjoin(recorder, recorder.id == AnswerEvent.user_id)
        .outerjoin(interviewer, interviewer.id == Interview.interviewer_id)
        .where(Interview.project_id == project_id)
        .order_by(case_key, AnswerEvent.at, AnswerEvent.id)
        .execution_options(yield_per=STREAM_ROWS))
    previous: dict[int, dt.datetime] = {}
    current_case = None
    for (event_id, case_id, interview_id, user, started, at, question, action, old_value,
         new_value) in result:
        if case_id != current_case:  # interviews never span cases: forget the last case's
            previous.clear()
            current_case = case_id
        since = previous.get(interview_id, started)
        previous[interview_id] = at
        yield ((case_id or 0, at, 1, event_id),
               ["answer", event_id, case_id, interview_id, user, None, iso_ms(at), None,
                seconds(since, at), None, question, action, old_value, new_value, None])

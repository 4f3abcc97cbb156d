"""Repeats in a data export: one long table per repeat, keyed to the interview.

The main table has one row per interview and leaves out the questions inside repeats. Each
repeat gets its own table with one row per instance: ``interview_id``, for a nested repeat the
instance number of each repeat around it (``home_instance``), ``instance`` (the repeat's own
number, from 1), then the repeat's own questions and calculations (not those of a repeat inside
it, which has its table), named and typed by the rules of ``export_columns``.

Where they go: in .xlsx a sheet per repeat, named after it; in CSV and .sav a file per repeat
beside the main one, ``<main name>-<repeat>.<ext>`` (``survey.csv``, ``survey-adults.csv``): a
.sav holds one rectangular table and CSV has no sheets.

Which instances: the stored answers keep those of instances an interview later dropped (the
household count lowered from 3 to 2, or "add another?" changed to no), as the engine keeps a
question's answer when it stops being asked. An instance is exported only when it exists by the
interview's own answers (its repeat_count, or the "add another?" answers), so the long table
holds what the interview ended with. The "add another?" answers themselves are not exported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cati.questionnaire.engine import ExpressionFailure, InterviewEngine
from cati.questionnaire.model import Form
from cati.questionnaire.repeats import is_more_item, parse_key
from cati.reporting.export_columns import (
    EXPORTED_KINDS,
    Cell,
    Column,
    NameBook,
    cells,
)
from cati.services.questionnaires import form_of
from cati.storage.models import Answer, Case, Interview

XLSX_SHEET_CHARS = 31
STREAM_ANSWERS = 40_000


@dataclass(frozen=True, slots=True)
class RepeatTable:
    name: str  # the repeat's name
    chain: tuple[str, ...]  # the repeats from the outermost to this one
    columns: tuple[Column, ...]  # the key columns, then the repeat's own items

    @property
    def key_count(self) -> int:
        return len(self.chain) + 1

    def sheet_name(self, taken: set[str]) -> str:
        """An .xlsx sheet name: the repeat's name cut to Excel's 31 characters, unique."""
        base = self.name[:XLSX_SHEET_CHARS]
        name, number = base, 1
        while name.casefold() in taken:
            number += 1
            suffix = f"_{number}"
            name = base[:XLSX_SHEET_CHARS - len(suffix)] + suffix
        taken.add(name.casefold())
        return name


def beside(out: Path, repeat: str) -> Path:
    """Where a CSV or .sav export writes the table of ``repeat``."""
    return out.with_name(f"{out.stem}-{repeat}{out.suffix}")


def plan_repeat_tables(forms: Sequence[Form]) -> tuple[RepeatTable, ...]:
    """A table per repeat of these questionnaire versions, the project's version first."""
    chains: dict[str, tuple[str, ...]] = {}
    members: dict[str, dict[str, tuple[str, str, list[tuple[str, str]]]]] = {}
    for form in forms:
        for name in form.repeats:
            chain = [name]
            while (parent := form.repeats[chain[0]].parent) is not None:
                chain.insert(0, parent)
            chains.setdefault(name, tuple(chain))
            members.setdefault(name, {})
        for item in form.items:
            if not item.repeats or item.kind not in EXPORTED_KINDS or is_more_item(item):
                continue
            own = members[item.repeats[-1]]
            choices = [(c.name, form.text(c.labels)) for c in form.choices_of(item)]
            if item.name not in own:
                own[item.name] = (item.kind, form.text(item.labels), choices)
            else:
                known = {name for name, _ in own[item.name][2]}
                own[item.name][2].extend(c for c in choices if c[0] not in known)
    tables = []
    for name, chain in chains.items():
        book = NameBook()
        keys = [Column(book.claim("interview_id"), "id", "访问编号 interview id", "interview_id",
                       meta=True)]
        for outer in chain[:-1]:
            keys.append(Column(book.claim(f"{outer}_instance"), "id",
                               f"{outer} 第几个 instance of {outer}", f"{outer}_instance",
                               meta=True))
        keys.append(Column(book.claim("instance"), "id", f"{name} 第几个 instance of {name}",
                           "instance", meta=True))
        columns = list(keys)
        for item_name, (kind, label, choices) in members[name].items():
            options = tuple(choices) if kind in {"select_one", "select_multiple"} else ()
            columns.append(Column(book.claim(item_name), kind, label, item_name,
                                  choices=options))
            if kind == "select_multiple":
                for choice, choice_label in choices:
                    text = f"{label}: {choice_label}" if label else choice_label
                    columns.append(Column(book.claim(f"{item_name}_{choice}"), "choice", text,
                                          item_name, choice=choice, choices=options))
        tables.append(RepeatTable(name, chain, tuple(columns)))
    return tuple(tables)


def repeat_rows(session: Session, table: RepeatTable, selection: ColumnElement[bool], *,
                labels: bool) -> Iterator[list[Cell]]:
    """The table's rows for the selected interviews, in interview then instance order."""
    connection = session.connection()
    interviews = connection.execute(
        select(Interview.id, Interview.questionnaire_id, Interview.started_at)
        .select_from(Interview).outerjoin(Case, Case.id == Interview.case_id)
        .where(selection).order_by(Interview.id)).all()
    answers = iter(connection.execute(
        select(Answer.interview_id, Answer.question, Answer.value)
        .join(Interview, Interview.id == Answer.interview_id)
        .outerjoin(Case, Case.id == Interview.case_id)
        .where(selection).order_by(Answer.interview_id)
        .execution_options(yield_per=STREAM_ANSWERS)))
    item_columns = table.columns[table.key_count:]
    forms: dict[int, Form] = {}
    pending = next(answers, None)
    for interview_id, questionnaire_id, started in interviews:
        stored: dict[str, str] = {}
        while pending is not None and pending[0] < interview_id:
            pending = next(answers, None)
        while pending is not None and pending[0] == interview_id:
            stored[pending[1]] = pending[2] or ""
            pending = next(answers, None)
        if not any(key.startswith(f"{table.chain[0]}[") for key in stored):
            continue
        if questionnaire_id not in forms:
            forms[questionnaire_id] = form_of(session, questionnaire_id)
        form = forms[questionnaire_id]
        instances: dict[tuple[int, ...], dict[str, str]] = {}
        for key, value in stored.items():
            parsed = parse_key(key)
            if parsed is not None and parsed.repeats == table.chain:
                instances.setdefault(parsed.instance, {})[parsed.name] = value
        existing = _existing(form, stored, table, started)
        for instance in sorted(instances):
            if existing is not None and not existing(instance):
                continue
            row: list[Cell] = [interview_id, *instance]
            row.extend(cells(item_columns, None, instances[instance], labels=labels))
            yield row


def _existing(form: Form, stored: dict[str, str], table: RepeatTable, started: dt.datetime):
    """A test of whether an instance exists by the interview's answers (None: keep all, when
    this version of the form has no such repeat or its count cannot be worked out)."""
    if table.name not in form.repeats:
        return None
    engine = InterviewEngine(form, seed=0, clock=lambda: started, answers=stored)

    def exists(instance: tuple[int, ...]) -> bool:
        try:
            for depth in range(len(instance)):
                repeat = table.chain[depth]
                if instance[depth] > engine.instance_count(repeat, instance[:depth]):
                    return False
        except ExpressionFailure:
            return True
        return True

    return exists

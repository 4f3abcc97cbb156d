"""``cati form check``: load a form and list what is wrong (errors) or doubtful (warnings)."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json

from cati.questionnaire import xpath
from cati.questionnaire.loader import compile_form, files_beside
from cati.questionnaire.model import Form, Item
from cati.questionnaire.problems import FormError, FormProblem
from cati.questionnaire.reader import Source, read_source
from cati.questionnaire.vocabulary import METADATA_TYPES

_EMPTY_CONTEXT = xpath.SimpleContext(values={}, current_value="",
                                     now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                                     rng=random.Random(0))


@dataclass
class CheckReport:
    file_name: str
    form: Form | None
    errors: list[FormProblem] = field(default_factory=list)
    warnings: list[FormProblem] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.form is not None and not self.errors


def check_form(source: Source, file_name: str | None = None) -> CheckReport:
    try:
        raw = read_source(source, file_name)
        form = compile_form(raw, files_beside(source, raw))
    except FormError as exc:
        return CheckReport(exc.file_name or str(file_name or source), None, errors=exc.problems)
    report = CheckReport(raw.file_name, form)
    report.warnings.extend(_pyxform_warnings(raw))
    report.warnings.extend(_metadata_rows(raw))
    report.warnings.extend(_unused_lists(form))
    report.warnings.extend(_missing_translations(form))
    report.warnings.extend(_unreachable(form))
    return report


def _warning(sheet: str, row: int | None, message: str, column: str | None = None) -> FormProblem:
    return FormProblem(sheet, row, message, column, warning=True)


def _pyxform_warnings(raw) -> list[FormProblem]:
    warnings: list[str] = []
    try:
        workbook_to_json(raw.definition, fallback_form_name="form", warnings=warnings)
    except PyXFormError:
        return []
    return [_warning("file", None, " ".join(text.split())) for text in warnings]


def _metadata_rows(raw) -> list[FormProblem]:
    return [
        _warning("survey", number, f"'{row['type']}' is recorded by cati itself; the row is ignored",
                 "type")
        for number, row in raw.survey
        if row.get("type", "").strip().lower() in METADATA_TYPES
    ]


def _unused_lists(form: Form) -> list[FormProblem]:
    used = {item.choice_list for item in form.items if item.choice_list}
    return [_warning("choices", None, f"choice list '{name}' is not used by any question",
                     "list_name")
            for name in form.choices if name not in used]


def _missing_translations(form: Form) -> list[FormProblem]:
    languages = [language for language in form.languages if language != "default"]
    if len(languages) < 2:
        return []
    problems = []
    for item in form.items:
        if not item.presented or not item.labels:
            continue
        missing = [language for language in languages if not item.labels.get(language)]
        if missing:
            problems.append(_warning("survey", item.row,
                                     f"no {', '.join(missing)} translation of '{item.name}'",
                                     "label"))
    return problems


VARYING = re.compile(r"\b(today|now|random|uuid)\s*\(")


def _constant(expression: xpath.Expression) -> bool | None:
    """The value of an expression that depends on nothing, else None."""
    if expression.references or expression.uses_current or VARYING.search(expression.text):
        return None
    try:
        return expression.evaluate_bool(_EMPTY_CONTEXT)
    except xpath.ExpressionError:
        return None


def _always_relevant(item: Item) -> bool:
    return all(_constant(expression) is True for expression in item.relevance)


def _unreachable(form: Form) -> list[FormProblem]:
    problems = []
    ended_at: Item | None = None
    for item in form.items:
        if not item.presented:
            continue
        if ended_at is not None:
            problems.append(_warning("survey", item.row,
                                     f"'{item.name}' can never be reached: the screen-out "
                                     f"'{ended_at.name}' on row {ended_at.row} always ends the "
                                     "interview before it", "relevant"))
            continue
        if any(_constant(expression) is False for expression in item.relevance):
            problems.append(_warning("survey", item.row,
                                     f"'{item.name}' can never be reached: its relevance is "
                                     "always false", "relevant"))
            continue
        if item.is_screen_out and _always_relevant(item):
            ended_at = item
    return problems

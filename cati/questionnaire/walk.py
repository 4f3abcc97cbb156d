"""``cati form walk``: random interviews along valid paths, to find what a form gets wrong.

Each interview answers every presented question with a value the form accepts: a random offered
choice, a number near the numbers that appear in the form's expressions (so that thresholds like
``${age} < 18`` are crossed both ways), a date, a time, or text. A question for which no value is
accepted is a dead end; an expression that fails is an expression error; a question or note that
no interview reached is reported too. A form with a ``hidden`` item named ``interview_mode`` (from
the engine's context) is walked in turn as a phone, web and field interview, so items
only one mode shows are reached too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from random import Random

from cati.questionnaire.engine import ExpressionFailure, InterviewEngine
from cati.questionnaire.model import Form, Item

TRIES_PER_QUESTION = 60
NUMBER = re.compile(r"(?<![\w.$])-?\d+(?:\.\d+)?")
WALK_CLOCK = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)
MODES = ("phone", "web", "field")


@dataclass
class WalkReport:
    interviews: int
    outcomes: Counter = field(default_factory=Counter)  # "complete", "screened_out 4.70"
    dead_ends: dict[str, str] = field(default_factory=dict)  # item -> why
    expression_errors: dict[str, str] = field(default_factory=dict)
    never_reached: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.dead_ends or self.expression_errors or self.never_reached)

    def as_json(self) -> dict:
        return {
            "interviews": self.interviews,
            "outcomes": dict(sorted(self.outcomes.items())),
            "dead_ends": self.dead_ends,
            "expression_errors": self.expression_errors,
            "never_reached": self.never_reached,
            "ok": self.ok,
        }


def walk_form(form: Form, interviews: int, seed: int = 0) -> WalkReport:
    rng = Random(seed)
    numbers = _numbers_in_form(form)
    report = WalkReport(interviews)
    reached: set[str] = set()
    for number in range(interviews):
        outcome = _one_interview(form, rng, numbers, seed * 100_003 + number, report, reached)
        report.outcomes[outcome] += 1
    report.never_reached = [item.name for item in form.items
                            if item.presented and item.name not in reached]
    return report


def _one_interview(form, rng, numbers, seed, report, reached) -> str:
    try:
        context = None
        if form.has_item("interview_mode") and form.item("interview_mode").kind == "hidden":
            context = {"interview_mode": MODES[seed % len(MODES)]}
        engine = InterviewEngine.start(form, seed=seed, clock=lambda: WALK_CLOCK,
                                       context=context)
        while not engine.finished and (item := engine.current_item) is not None:
            reached.add(item.name)
            if not item.is_question:
                engine.answer()
            elif not _answer_somehow(engine, item, rng, numbers):
                report.dead_ends.setdefault(
                    item.name, f"survey:{item.row}: no answer was accepted for '{item.name}'")
                return "dead end"
    except ExpressionFailure as exc:
        report.expression_errors.setdefault(exc.item.name, str(exc))
        return "expression error"
    for name in engine.path:
        reached.add(name)
    if engine.outcome.state == "screened_out":
        return f"screened_out {engine.outcome.disposition}"
    return engine.outcome.state


def _answer_somehow(engine: InterviewEngine, item: Item, rng: Random, numbers: list[float]) -> bool:
    for attempt in range(TRIES_PER_QUESTION):
        value = _candidate(engine, item, rng, numbers, attempt)
        if engine.answer(value) is None:
            return True
    return False


def _candidate(engine: InterviewEngine, item: Item, rng: Random, numbers: list[float],
               attempt: int) -> object:
    if item.required is None and rng.random() < 0.1:
        return None
    kind = item.kind
    if kind in ("select_one", "select_multiple"):
        offered = engine.offered_choices(item)
        if not offered:
            return None
        if kind == "select_one":
            return rng.choice(offered).name
        picked = rng.sample(offered, rng.randint(1, len(offered)))
        return [choice.name for choice in picked]
    if kind in ("integer", "decimal"):
        return _number(kind, rng, numbers, attempt)
    if kind == "date":
        return (WALK_CLOCK.date() - dt.timedelta(days=rng.randint(-400, 400))).isoformat()
    if kind == "time":
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    if kind == "dateTime":
        return (WALK_CLOCK - dt.timedelta(minutes=rng.randint(-100_000, 100_000))).isoformat()
    if kind == "acknowledge":
        return "OK"
    return rng.choice(["没有", "治安很好", "希望加强巡逻", "no comment", "x" * rng.randint(1, 30)])


def _number(kind: str, rng: Random, numbers: list[float], attempt: int) -> str:
    if numbers and attempt < 40:
        base = rng.choice(numbers)
        value = base + rng.choice([-1, 0, 1, rng.randint(-50, 50)])
    else:
        value = rng.randint(-10, 10 ** rng.randint(1, 4))
    if kind == "integer":
        return str(int(value))
    return str(round(value + rng.random(), 2))


def _numbers_in_form(form: Form) -> list[float]:
    found: set[float] = set()
    for item in form.items:
        for expression in (*item.relevance, item.constraint, item.required, item.calculation):
            if expression is not None:
                found.update(float(text) for text in NUMBER.findall(_without_strings(expression.text)))
    return sorted(found)


def _without_strings(text: str) -> str:
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", text)

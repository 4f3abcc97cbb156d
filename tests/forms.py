"""Helpers for tests that write whole XLSForms inline as markdown tables (as pyxform's do)."""

from __future__ import annotations

import datetime as dt
import textwrap

from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.loader import load_form
from cati.questionnaire.model import Form

CLOCK_TIME = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def form(markdown: str) -> Form:
    return load_form(textwrap.dedent(markdown), "test.md")


def start(markdown_or_form: str | Form, *, seed: int = 0, language: str | None = None,
          now: dt.datetime = CLOCK_TIME) -> InterviewEngine:
    compiled = form(markdown_or_form) if isinstance(markdown_or_form, str) else markdown_or_form
    return InterviewEngine.start(compiled, seed=seed, clock=lambda: now, language=language)


def play(engine: InterviewEngine, *values: object) -> InterviewEngine:
    """Answer the current item with each value in turn; fail on any refusal."""
    for value in values:
        error = engine.answer(value)
        assert error is None, f"{engine.current_item.name}: {error}"
    return engine


def current_name(engine: InterviewEngine) -> str | None:
    item = engine.current_item
    return item.name if item is not None else None


def form_answers(form: Form, wanted: dict[str, str], *, mode: str = "phone",
                 until: str | None = None, context: dict[str, str] | None = None,
                 now: dt.datetime = CLOCK_TIME) -> dict[str, str]:
    """The answers a real interview on ``form`` stores when the respondent gives ``wanted``
    (question -> answer) and elsewhere the first offered choice that does not end the
    interview, 40 or a short text; optional
    questions not in ``wanted`` are skipped. It drives the engine, so a fixture can only hold
    answers the form asks: an answer in ``wanted`` the path never reaches fails here.
    ``until``: stop after answering that question (a broken-off interview)."""
    engine = InterviewEngine.start(form, seed=0, clock=lambda: now,
                                   context={"interview_mode": mode, **(context or {})})
    while not engine.finished and (shown := engine.current()) is not None:
        item = shown.item
        if not item.is_question:
            engine.answer()
            continue
        if item.name in wanted:
            value = wanted[item.name]
        elif not shown.required:
            value = ""
        elif shown.choices:
            value = _staying_choice(engine, [c.name for c in shown.choices])
        elif item.kind in ("integer", "decimal"):
            value = "40"
        else:
            value = "好"
        error = engine.answer(value)
        assert error is None, f"{item.name}={value!r}: {error}"
        if item.name == until:
            break
    answers = engine.final_answers()
    missing = sorted(set(wanted) - set(answers))
    assert not missing, f"the form never asks {missing} on this path ({engine.path})"
    return answers


def _staying_choice(engine: InterviewEngine, names: list[str]) -> str:
    """The first choice after which the interview goes on (not a screen-out)."""
    for name in names:
        engine.answer(name)
        ended = engine.outcome.state == "screened_out"
        engine.back()
        if not ended:
            return name
    return names[0]

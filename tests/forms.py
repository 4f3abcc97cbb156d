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

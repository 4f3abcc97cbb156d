"""Play scripted answers through the engine (``cati form run``): no database, no screen.

The answers file is a JSON object keyed by question name (inside a repeat, by instance key:
``"adults[2]/name"``, and ``"adults[1]/adults@more": "yes"`` for "add another?"). Select values are choice names;
select_multiple takes a space-separated string or a list; JSON null means "left empty". A
presented question with no key stops the run ("incomplete"). Keys of questions never presented
are ignored. In the result, an answer left empty is written as null.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cati.errors import CatiError
from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.model import Form

FIXED_CLOCK_DEFAULT = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


class AnswerRejected(CatiError):
    def __init__(self, question: str, message: str) -> None:
        self.question = question
        self.message = message
        super().__init__(f"{question}: {message}")

    def as_json(self) -> dict[str, Any]:
        return {"error": {"question": self.question, "message": self.message}}


@dataclass(frozen=True, slots=True)
class RunResult:
    outcome: str  # complete | screened_out | incomplete
    disposition: str | None
    path: list[str]
    answers: dict[str, str | None]
    stopped_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "disposition": self.disposition,
            "path": self.path,
            "answers": self.answers,
            "stopped_at": self.stopped_at,
        }


def read_answers_file(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise CatiError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatiError(f"{path}: not a JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise CatiError(f"{path}: the answers must be a JSON object keyed by question name")
    return data


def run_scripted(form: Form, answers: dict[str, Any], *, language: str | None = None,
                 seed: int = 0, now: dt.datetime = FIXED_CLOCK_DEFAULT) -> RunResult:
    """Play ``answers`` until the interview ends or a presented question has no answer.

    Raises AnswerRejected when an answer is refused by the form.
    """
    engine = InterviewEngine.start(form, seed=seed, clock=lambda: now, language=language)
    stopped_at = None
    while not engine.finished and (item := engine.current_item) is not None:
        if item.is_question and not engine.is_read_only(item):
            key = engine.current_key or item.name
            if key not in answers:
                stopped_at = key
                break
            error = engine.answer(answers[key])
            if error is not None:
                raise AnswerRejected(key, error)
        else:
            engine.answer()
    final = engine.final_answers()
    outcome = "incomplete" if stopped_at else engine.outcome.state
    disposition = None if stopped_at else engine.outcome.disposition
    return RunResult(
        outcome=outcome,
        disposition=disposition,
        path=engine.path,
        answers={name: (value if value != "" else None) for name, value in final.items()},
        stopped_at=stopped_at,
    )


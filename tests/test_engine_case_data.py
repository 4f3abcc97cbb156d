"""Forms read the case's data: a hidden (or calculate) row with ``cati::case_data`` takes the
case attribute's value, and labels pipe it with ``${…}`` like any answer."""

from __future__ import annotations

import pytest
from forms import CLOCK_TIME, form, play

from cati.questionnaire.engine import InterviewEngine, case_values
from cati.questionnaire.lint import check_form
from cati.questionnaire.problems import FormError

FORM = """
| survey |
| | type | name | label | calculation | cati::case_data |
| | hidden | complaint | | | suggestion_text |
| | calculate | unit | | 'the office' | suggestion_unit |
| | note | intro | You told us: ${complaint} (${unit}). | | |
| | text | still | Anything else about ${complaint}? | | |
"""


def engine(case_data=None, answers=None):
    compiled = form(FORM)
    if answers is None:
        return InterviewEngine.start(compiled, seed=0, clock=lambda: CLOCK_TIME,
                                     case_data=case_data)
    return InterviewEngine.resume(compiled, answers, seed=0, clock=lambda: CLOCK_TIME,
                                  case_data=case_data)


def test_labels_pipe_the_case_data():
    running = engine({"suggestion_text": "路灯坏了", "suggestion_unit": "派出所"})
    assert running.current().label == "You told us: 路灯坏了 (派出所)."
    play(running, None)
    assert running.current().label == "Anything else about 路灯坏了?"
    play(running, "没有")
    assert running.final_answers() == {"complaint": "路灯坏了", "unit": "派出所",
                                       "still": "没有"}


def test_without_the_case_data_the_row_keeps_its_own_value():
    running = engine({})
    assert running.current().label == "You told us:  (the office)."


def test_a_resumed_interview_reads_the_case_again():
    running = engine({"suggestion_text": "噪音扰民"},
                     answers={"complaint": "旧的", "unit": "the office"})
    assert running.current_item.name == "still"
    assert running.current().label == "Anything else about 噪音扰民?"


def test_case_values_keep_texts_and_numbers_only():
    assert case_values({"a": "x", "b": 3, "c": [1], "d": {"k": 1}, "e": None, "f": True}) == {
        "a": "x", "b": "3"}


def test_case_data_only_on_hidden_or_calculate_rows_and_pyxform_accepts_the_column(tmp_path):
    with pytest.raises(FormError, match="only a hidden or calculate row"):
        form("""
        | survey |
        | | type | name | label | cati::case_data |
        | | text | q | Q | suggestion_text |
        """)
    source = tmp_path / "case.md"
    source.write_text(FORM, encoding="utf-8")
    report = check_form(source)
    assert report.usable and report.errors == []
    assert not [w for w in report.warnings if "case_data" in w.message]

"""Free text stored and exported exactly as typed, and never run as a formula (issue 8).

Any Unicode an interviewer can type (emoji, right-to-left marks, control characters, line
breaks, Excel's own ``_xHHHH_`` escapes written literally, text starting with = + - @) goes
through the real services — the engine checks it, ``save_answers`` stores it, ``export_data``
writes it — and is read back: from the database unchanged; from the CSV unchanged except for the
one quote in front of formula-like text; from the .xlsx as Excel shows it (its _xHHHH_ escapes
undone), as a string cell, with the quote-prefix style on formula-like text and never a
formula. U+0000 and lone surrogates cannot be stored (PostgreSQL's text type has no U+0000): the
engine refuses them with a message, on both databases (cati.questionnaire.values.normalise).
"""

from __future__ import annotations

import csv
import io
import textwrap
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.loader import load_form
from cati.questionnaire.walk import WALK_CLOCK
from cati.reporting.export import export_data
from cati.reporting.export_columns import neutralise_csv, starts_like_formula
from cati.sample.readers import excel_unescape
from cati.services.interviews import close_interview, open_interview, save_answers
from cati.services.projects import create_project
from cati.storage.models import Answer

FORM = textwrap.dedent("""\
    | survey |
    | | type | name | label |
    | | text | story | 您对治安有什么建议? |
    | | integer | age | 年龄 |
    | | text | more | 还有吗? |
""")
FUZZ = settings(max_examples=20, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
HOSTILE = "=+-@\t\r\n'\"\u202e\u200f\u200b\ufeff😀👨‍👩‍👧‍👦＝＋－＠\x01\x1b\x7f\x85\u2028_x0041_,;"


def typed_text() -> st.SearchStrategy[str]:
    """What can be typed or pasted into the answer box: any Unicode but U+0000 and lone
    surrogates, leaning on what spreadsheets and CSV readers trip over. Not blank: a blank
    answer is no answer."""
    anything = st.text(st.characters(blacklist_categories=("Cs",),
                                     blacklist_characters="\x00"), min_size=1, max_size=40)
    hostile = st.text(st.sampled_from(HOSTILE), min_size=1, max_size=12)
    formula = st.builds(lambda head, tail: head + tail, st.sampled_from("=+-@＝\t\r"),
                        st.one_of(st.sampled_from(["1+1", "cmd|' /C calc'!A0", "SUM(A1:A9)",
                                                   "12", "3.5", "HYPERLINK(\"http://x\")"]),
                                  anything))
    return st.one_of(anything, hostile, formula).filter(lambda t: t.strip() != "")


@pytest.fixture
def project(database, tmp_path):
    form_path = tmp_path / "free_text.md"
    form_path.write_text(FORM, encoding="utf-8")
    with database.unit() as session:
        return create_project(session, "TXT", form_path).id


def interview_with(database, project_id: int, story: str, more: str) -> int:
    """A field interview whose two free-text answers went through the engine, saved and
    closed as complete."""
    form = load_form(FORM, "free_text.md")
    engine = InterviewEngine.start(form, seed=1, clock=lambda: WALK_CLOCK)
    for value in (story, "42", more):
        assert engine.answer(value) is None, repr(value)
    answers = engine.final_answers()
    assert answers == {"story": story, "age": "42", "more": more}
    interview = open_interview(database, project_id, mode="field")
    save_answers(database, interview.id, answers, current_item=None)
    close_interview(database, interview.id, "1.1")
    return interview.id


def exported_rows(database, folder: Path) -> tuple[dict[int, dict], dict[int, dict]]:
    """The CSV rows and the .xlsx cells of the project's export, by interview id."""
    csv_path, xlsx_path = folder / "data.csv", folder / "data.xlsx"
    export_data(database, "TXT", csv_path)
    export_data(database, "TXT", xlsx_path)
    text = csv_path.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    by_csv = {int(row["interview_id"]): row for row in reader}
    book = openpyxl.load_workbook(xlsx_path)
    sheet = book["data"]
    rows = sheet.iter_rows()
    header = [cell.value for cell in next(rows)]
    by_xlsx = {}
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        by_xlsx[int(cells["interview_id"].value)] = cells
    return by_csv, by_xlsx


def check_exported(text: str, csv_value: str, cell) -> None:
    assert csv_value == neutralise_csv(text)
    if starts_like_formula(text) and csv_value != text:
        assert csv_value == "'" + text  # Excel shows the text; the quote is not part of it
    assert cell.data_type == "s", (text, cell.data_type)  # a string, never a formula
    assert excel_unescape(cell.value) == text
    assert cell.quotePrefix == starts_like_formula(text)


@FUZZ
@given(story=typed_text(), more=typed_text())
def test_free_text_round_trip(database, project, tmp_path_factory, story, more):
    interview_id = interview_with(database, project, story, more)
    with database.unit() as session:
        stored = dict(session.execute(select(Answer.question, Answer.value)
                                      .where(Answer.interview_id == interview_id)).all())
    assert stored == {"story": story, "age": "42", "more": more}
    by_csv, by_xlsx = exported_rows(database, tmp_path_factory.mktemp("export"))
    for question, text in (("story", story), ("more", more)):
        check_exported(text, by_csv[interview_id][question], by_xlsx[interview_id][question])
    assert by_xlsx[interview_id]["age"].value == 42  # numbers stay numbers


def test_long_text_of_control_characters(database, project, tmp_path):
    """Excel holds 32,767 characters a cell, counted as Excel shows them: a long answer of
    control characters, each stored as a 7-character _xHHHH_ escape, keeps every one."""
    story = ("\x01段落\r\n" * 6_600)[:32_767]
    more = "=" + "😀" * 20_000
    interview_id = interview_with(database, project, story, more)
    by_csv, by_xlsx = exported_rows(database, tmp_path)
    check_exported(story, by_csv[interview_id]["story"], by_xlsx[interview_id]["story"])
    check_exported(more, by_csv[interview_id]["more"], by_xlsx[interview_id]["more"])


@pytest.mark.parametrize(("text", "why"), [
    ("a\x00b", "U+0000"), ("\x00", "U+0000"), ("ok\ud800", "U+0000"), ("\udfff=1", "U+0000"),
    ("字" * 32_768, "32,767"),
])
def test_unstorable_answers_are_refused_by_the_engine(text, why):
    form = load_form(FORM, "free_text.md")
    engine = InterviewEngine.start(form, seed=1, clock=lambda: WALK_CLOCK)
    error = engine.answer(text)
    assert error is not None and why in error
    assert engine.current_item.name == "story" and engine.final_answers() == {}
    assert engine.answer("a b") is None

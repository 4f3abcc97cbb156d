"""Loading XLSForms: what is refused, and that every refusal names sheet, row and column."""

from __future__ import annotations

import textwrap

import openpyxl
import pytest
from forms import form

from cati.questionnaire.lint import check_form
from cati.questionnaire.loader import load_form
from cati.questionnaire.problems import FormError


def problems_of(markdown: str) -> list[str]:
    with pytest.raises(FormError) as caught:
        form(markdown)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("kind", ["rank"])
def test_types_a_phone_interview_cannot_run_are_refused(kind):
    found = problems_of(f"""
    | survey |
    | | type | name | label |
    | | text | ok | OK |
    | | {kind} | bad | Bad |
    """)
    assert found == [f"survey:3: type: type '{kind}' cannot be run in a telephone interview"]


def test_unknown_type():
    assert problems_of("""
    | survey |
    | | type | name | label |
    | | colour | c | C |
    """) == ["survey:2: type: unknown type 'colour'"]


def test_duplicate_names():
    assert problems_of("""
    | survey |
    | | type | name | label |
    | | text | a | A |
    | | text | a | B |
    """) == ["survey:3: name: the name 'a' is already used on row 2"]


def test_broken_expression_names_row_and_column():
    found = problems_of("""
    | survey |
    | | type | name | label | relevant |
    | | integer | a | A | |
    | | text | b | B | ${a} > > 3 |
    """)
    assert len(found) == 1 and found[0].startswith("survey:3: relevant: ")


def test_unknown_reference():
    assert problems_of("""
    | survey |
    | | type | name | label | constraint |
    | | integer | a | A | . < ${b} |
    """) == ["survey:2: constraint: ${b} names no question"]


def test_unknown_reference_in_a_label():
    assert problems_of("""
    | survey |
    | | type | name | label |
    | | note | a | Hello ${who} |
    """) == ["survey:2: label: ${who} names no question"]


def test_unknown_function_fails_at_load():
    found = problems_of("""
    | survey |
    | | type | name | label | calculation |
    | | calculate | a | | frobnicate(1) |
    """)
    assert found[0].startswith("survey:2: calculation: ") and "frobnicate" in found[0]


def test_cycle_among_calculations():
    found = problems_of("""
    | survey |
    | | type | name | label | calculation |
    | | calculate | a | | ${b} + 1 |
    | | calculate | b | | ${a} + 1 |
    """)
    assert len(found) == 1 and "cycle" in found[0] and found[0].startswith("survey:")


def test_unknown_choice_list():
    assert problems_of("""
    | survey |
    | | type | name | label |
    | | select_one nolist | a | A |
    | choices |
    | | list_name | name | label |
    | | yn | 1 | Yes |
    """) == ["survey:2: type: choice list 'nolist' is not on the choices sheet"]


def test_screen_out_needs_a_label_and_a_real_code():
    found = problems_of("""
    | survey |
    | | type | name | label | cati::disposition |
    | | note | a | | 4.70 |
    | | note | b | Bye | 9.99 |
    | | text | c | C | 4.70 |
    """)
    assert found == [
        "survey:2: label: a screen-out row needs a label: the closing words read to the respondent",
        "survey:3: cati::disposition: '9.99' is not an AAPOR disposition code",
        "survey:4: cati::disposition: only a note row can end the interview with a disposition",
    ]


def test_unclosed_group():
    assert problems_of("""
    | survey |
    | | type | name | label |
    | | begin group | g | G |
    | | text | a | A |
    """) == ["survey:2: type: group 'g' is never closed with 'end group'"]


def test_empty_survey_sheet():
    found = problems_of("""
    | survey |
    | | type | name | label |
    | settings |
    | | form_id |
    | | f |
    """)
    assert found == ["survey: the survey sheet is missing or empty"]


def test_not_a_workbook(tmp_path):
    junk = tmp_path / "form.xlsx"
    junk.write_bytes(b"\x00\x01 this is not a zip file" * 20)
    with pytest.raises(FormError) as caught:
        load_form(junk)
    assert str(caught.value).startswith("form.xlsx: file: not a readable .xlsx workbook")
    assert "\n" not in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(FormError, match="cannot read"):
        load_form(tmp_path / "nope.xlsx")


def write_xlsx(path, sheets: dict[str, list[list[object]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)


def test_disposition_stored_as_a_number_in_the_workbook(tmp_path):
    path = tmp_path / "numeric.xlsx"
    write_xlsx(path, {
        "survey": [["type", "name", "label", "cati::disposition"],
                   ["note", "bye", "Goodbye", 4.7], ["text", "t", "T", None]],
    })
    compiled = load_form(path)
    assert compiled.item("bye").disposition == "4.70"


def test_xlsx_row_numbers_count_blank_rows(tmp_path):
    path = tmp_path / "blank.xlsx"
    write_xlsx(path, {
        "survey": [["type", "name", "label"], ["text", "a", "A"], [None, None, None],
                   ["text", "a", "again"]],
    })
    with pytest.raises(FormError) as caught:
        load_form(path)
    assert str(caught.value.problems[0]).startswith("survey:4: name:")


def test_control_and_bidi_characters_in_a_cell_do_not_reach_the_terminal(tmp_path):
    """A hostile workbook's cell quoted in the error: ESC would start a terminal escape
    sequence and U+202E would reverse what follows, so both are shown as escapes."""
    path = tmp_path / "hostile\u202e.md"
    path.write_text("| survey |\n| | type | name | label |\n| | text | a\x1b[2Jb\u202ec | A |\n",
                    encoding="utf-8")
    with pytest.raises(FormError) as caught:
        load_form(path)
    line = str(caught.value)
    assert "\x1b" not in line and "\u202e" not in line and "\n" not in line
    assert "a\\u001b[2Jb\\u202ec" in line and "hostile\\u202e.md" in line
    assert line.split(": ")[1:3] == ["survey:2", "name"]


def test_indices_sheet_is_loaded_and_checked():
    compiled = form("""
    | survey |
    | | type | name | label |
    | | select_one s | safety | Safe? |
    | choices |
    | | list_name | name | label | score |
    | | s | 1 | Safe | 100 |
    | | s | 2 | Unsafe | 0 |
    | | s | 9 | Refused | |
    | indices |
    | | name | label | method | source | positive | excluded | weights |
    | | safety_rate | Safety rate | rate | safety | 1 | 9 | |
    | | safety_score | Safety score | score | safety | | 9 | |
    | | overall | Overall | mean | safety_rate safety_score | | | 2 1 |
    """)
    assert [index.name for index in compiled.indices] == ["safety_rate", "safety_score", "overall"]
    assert compiled.indices[0].positive == {"1"} and compiled.indices[0].excluded == {"9"}
    assert [str(w) for w in compiled.indices[2].weights] == ["2", "1"]
    assert compiled.choices["s"][0].score == 100


def test_bad_indices_rows_are_named():
    found = problems_of("""
    | survey |
    | | type | name | label |
    | | select_one s | safety | Safe? |
    | | text | why | Why? |
    | choices |
    | | list_name | name | label | score |
    | | s | 1 | Safe | 100 |
    | | s | 9 | Refused | |
    | indices |
    | | name | method | source | positive | excluded |
    | | a | rate | safety | 7 | |
    | | b | score | safety | | |
    | | c | rate | why | 1 | |
    | | d | mean | a zz | | |
    | | e | median | safety | | |
    """)
    assert found == [
        "indices:2: positive: '7' is not a choice of 'safety'",
        "indices:3: source: choice '9' of 'safety' has no score and is not excluded",
        "indices:4: source: 'why' is not a select question",
        "indices:5: source: 'zz' is not an index defined above this row",
        "indices:6: method: method must be one of rate, score, mean, not 'median'",
    ]


def test_check_lists_warnings_but_stays_usable():
    report = check_form(textwrap.dedent("""
    | survey |
    | | type | name | label::中文 (zh) | label::English (en) | relevant | cati::disposition |
    | | start | started | | | | |
    | | text | a | 甲 | A | | |
    | | text | b | 乙 | | | |
    | | text | never | 丙 | C | false() | |
    | | note | stop | 谢谢 | Thanks | | 4.70 |
    | | text | after | 丁 | D | | |
    | choices |
    | | list_name | name | label |
    | | unused | 1 | One |
    """), "lint.md")
    assert report.usable
    text = [str(w) for w in report.warnings]
    assert "survey:2: warning: type: 'start' is recorded by cati itself; the row is ignored" in text
    assert "survey:4: warning: label: no English (en) translation of 'b'" in text
    assert any(w.startswith("survey:5: warning: relevant: 'never' can never be reached") for w in text)
    assert any(w.startswith("survey:7: warning: relevant: 'after' can never be reached") for w in text)
    assert "choices: warning: list_name: choice list 'unused' is not used by any question" in text


def test_relevance_on_the_clock_is_not_called_unreachable():
    report = check_form(textwrap.dedent("""
    | survey |
    | | type | name | label | relevant |
    | | note | seasonal | Winter question | today() > date('2026-06-01') |
    | | text | t | T | |
    """), "clock.md")
    assert report.usable and report.warnings == []


def test_a_stored_markdown_form_keeps_its_indices_when_read_back_from_bytes():
    """Projects store the exact bytes of their form; a .md form read back must compile to
    the same form (its indices sheet included) as from its file."""
    from cati.config import QUESTIONNAIRE_DIR
    from cati.questionnaire.loader import load_form

    path = QUESTIONNAIRE_DIR / "public_safety.md"
    from_bytes = load_form(path.read_bytes(), "public_safety.md")
    assert from_bytes.indices == load_form(path).indices
    assert len(from_bytes.indices) == 12

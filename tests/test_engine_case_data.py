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


def test_a_follow_up_case_invited_to_the_web_reads_its_complaint(database):
    """A call-back handed to the web (an invitation) pipes the case's data like the call
    screen: the complaint and the unit's reply are in the first page, and stay after a step."""
    from sqlalchemy import select
    from test_web_links import answer_through, web_client

    from cati.config import QUESTIONNAIRE_DIR
    from cati.sample.phones import PhoneRule, check_phone
    from cati.services.projects import create_project
    from cati.services.sample_cases import NewCase, add_cases
    from cati.storage.models import Answer, Case
    from cati.web.links import invite_case

    with database.unit() as session:
        project = create_project(session, "FU", QUESTIONNAIRE_DIR / "follow_up.xlsx")
        add_cases(session, project.id, [NewCase(
            check_phone("13800138000", PhoneRule()), "13800138000", stratum="古槐街道",
            attributes={"suggestion_text": "村口路灯坏了三个月", "suggestion_category": "治安管理",
                        "suggestion_unit": "古槐派出所", "suggestion_reply": "已联系供电所更换路灯",
                        "suggestion_reply_date": "2026年11月30日"})])
        case_id = session.scalar(select(Case.id).where(Case.project_id == project.id))
    invitation = invite_case(database, case_id)
    client = web_client(database, project.id)
    client.post(invitation.path, data={"action": "start"})
    page = client.get(invitation.path).get_data(as_text=True)
    assert "村口路灯坏了三个月" in page and "已联系供电所更换路灯" in page, page
    answer_through(client, invitation.path, {})  # past the introduction
    with database.unit(immediate=False) as session:
        stored = dict(session.execute(select(Answer.question, Answer.value)).all())
    assert (stored["complaint"], stored["unit"]) == ("村口路灯坏了三个月", "古槐派出所")

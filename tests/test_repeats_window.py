"""Repeats on the interviewer's screen, driven from the keyboard and mouse on real widgets: the
side list names each answer's instance ("成员 2 / 2 · …") and a click goes back into that
instance; and ``cati form walk`` / ``cati form run`` go through repeats."""

from __future__ import annotations

import json
import textwrap

import pytest
from forms import start
from PySide6.QtCore import Qt
from repeat_forms import ROSTER

from cati.questionnaire.loader import load_form
from cati.questionnaire.walk import walk_form
from ui.interview_view import InterviewView


@pytest.fixture
def view(qtbot):
    view = InterviewView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    return view


def answer(qtbot, view, saves: list, text: str) -> None:
    """Type ``text`` (a digit picks an option) and Enter; the owner commits the save."""
    before = len(saves)
    if view.option_buttons:
        qtbot.keyClick(view.focusWidget() or view, text)
        qtbot.keyClick(view.focusWidget() or view, Qt.Key.Key_Return)
    else:
        if text.isascii():
            qtbot.keyClicks(view.answer_line, text)
        else:
            view.answer_line.insert(text)  # what an input method commits (QTest types ASCII)
        qtbot.keyClick(view.answer_line, Qt.Key.Key_Return)
    assert len(saves) == before + 1, view.error_label.text()
    view.saved()


def test_the_side_list_shows_instances_and_jumps_back_into_one(qtbot, view):
    saves: list[tuple[dict, object]] = []
    view.save_requested.connect(lambda changes, at: saves.append((changes, at)))
    view.begin(start(ROSTER))
    for text in ["1007", "2", "王芳", "2", "45", "3", "李强"]:
        answer(qtbot, view, saves, text)
    assert view.question_label.text() == "李强的性别？"
    # the 8th; ahead: 李强's age and birthday month, the choice of respondent, the consent
    assert view.progress_label.text() == "成员 2 / 2 · 第 8 题 / 约 12 题"
    assert saves[-1][1] == "adults[2]/sex"  # where a resume would come back to
    rows = [view.history.item(n).text() for n in range(view.history.count())]
    assert rows[2] == "3. 成员 1 / 2 · 第1位成年人的姓名？ → 王芳"
    assert rows[3] == "4. 成员 1 / 2 · 王芳的性别？ → 女"
    assert rows[6] == "7. 成员 2 / 2 · 第2位成年人的姓名？ → 李强"
    row = view.history.item(4)
    qtbot.mouseClick(view.history.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.history.visualItemRect(row).center())
    assert view.question_label.text() == "王芳的年龄？"
    assert view.answer_line.text() == "45"
    view.answer_line.clear()
    answer(qtbot, view, saves, "46")
    assert saves[-1] == ({"adults[1]/age": "46"}, "adults[1]/bmonth")
    assert view.history.item(4).text() == "5. 成员 1 / 2 · 王芳的年龄？ → 46"


ANOTHER = """
| survey |
| | type | name | label | constraint |
| | begin repeat | child | 孩子 | |
| | text | child_name | 孩子的名字？ | |
| | integer | child_age | ${child_name}几岁？ | . >= 0 and . < 18 |
| | end repeat | | | |
| | note | done | 谢谢 | |
"""


def test_walk_goes_through_repeats_and_reaches_every_question():
    report = walk_form(load_form(textwrap.dedent(ANOTHER), "another.md"), 30)
    assert report.ok, report.as_json()
    assert report.outcomes == {"complete": 30}


def test_form_run_and_walk_on_the_command_line(run_cli, tmp_path):
    path = tmp_path / "roster.md"
    path.write_text(textwrap.dedent(ROSTER), encoding="utf-8")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({
        "hh_id": "1007", "n_adults": "2",
        "adults[1]/name": "王芳", "adults[1]/sex": "2", "adults[1]/age": "45",
        "adults[1]/bmonth": "3", "adults[2]/name": "李强", "adults[2]/sex": "1",
        "adults[2]/age": "50", "adults[2]/bmonth": "12", "agree": "1"}), encoding="utf-8")
    run = run_cli("form", "run", path, "--answers", answers)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["outcome"] == "complete"
    assert result["answers"]["adults[2]/name"] == "李强"
    # cati form run's clock is 2026-01-15: 王芳's March birthday comes before 李强's December.
    assert result["answers"]["birthday_name"] == "王芳"
    walk = run_cli("form", "walk", path, "--random", "20", "--json")
    assert walk.returncode == 0, walk.stdout + walk.stderr
    assert json.loads(walk.stdout)["ok"] is True

"""The interview screen, driven from the keyboard as an interviewer would, on real widgets.

Every answer goes out through save_requested and the next item shows only after saved().
"""

from __future__ import annotations

import pytest
from forms import CLOCK_TIME, start
from PySide6.QtCore import Qt

from cati.config import QUESTIONNAIRE_DIR
from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.loader import load_form
from ui.interview_view import CODE_TYPING_MS, InterviewView, option_key

PUBLIC_SAFETY = load_form(QUESTIONNAIRE_DIR / "public_safety.md")

FRUIT = """
| survey |
| | type | name | label | hint | required |
| | select_multiple fruit | fruits | 您平时吃哪些水果? | 可多选 | yes |
| | note | bye | 谢谢 | | |
| choices |
| | list_name | name | label | cati::not_read |
| | fruit | f1 | 苹果 | |
| | fruit | f2 | 梨 | |
| | fruit | f3 | 香蕉 | |
| | fruit | f4 | 橙子 | |
| | fruit | f5 | 葡萄 | |
| | fruit | f6 | 西瓜 | |
| | fruit | f7 | 桃 | |
| | fruit | f8 | 李子 | |
| | fruit | f9 | 杏 | |
| | fruit | f10 | 樱桃 | |
| | fruit | f11 | 芒果 | |
| | fruit | dk | 说不清 | yes |
"""

TYPED = """
| survey |
| | type | name | label | required | constraint |
| | date | since | 从哪天开始? | yes | |
| | time | at | 几点? | | |
| | decimal | amount | 多少钱? | | . > 0 |
| | text | remark | 还有什么要说的? | | |
"""


class Owner:
    """What the window that owns the view sees: the save requests and the end."""

    def __init__(self, view: InterviewView) -> None:
        self.saves: list[tuple[dict, object]] = []
        self.outcomes: list = []
        self.shown: list[str] = []
        view.save_requested.connect(lambda changes, at: self.saves.append((changes, at)))
        view.finished.connect(self.outcomes.append)
        view.item_shown.connect(self.shown.append)


@pytest.fixture
def view(qtbot):
    view = InterviewView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    return view


@pytest.fixture
def owner(view):
    return Owner(view)


def survey(view, source=PUBLIC_SAFETY, **kwargs) -> InterviewEngine:
    engine = start(source, **kwargs)
    view.begin(engine)
    return engine


def press(qtbot, view, *keys, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Keys as the interviewer types them, into whatever has the focus."""
    for key in keys:
        qtbot.keyClick(view.focusWidget() or view, key, modifier)


def answer_and_save(qtbot, view, owner, *keys) -> dict:
    """Type ``keys``, press Enter, let the owner commit; the changes that were saved."""
    before = len(owner.saves)
    press(qtbot, view, *keys, Qt.Key.Key_Return)
    assert len(owner.saves) == before + 1, view.error_label.text()
    view.saved()
    return owner.saves[-1][0]


def checked(view) -> list[str]:
    return [b.text() for b in view.option_buttons if b.isChecked()]


def test_digit_picks_an_option_and_the_next_question_waits_for_the_save(qtbot, view, owner):
    survey(view)
    assert view.question_label.text().startswith("您好!我是平舆县民情调查服务中心的访问员")
    assert "继续" in view.next_button.text() and view.option_buttons == []
    answer_and_save(qtbot, view, owner)
    assert view.question_label.text() == "请问您现在接听的是单位电话、住宅电话,还是手机?"
    assert [b.text() for b in view.option_buttons] == ["1. 单位电话", "2. 住宅电话", "3. 手机"]

    press(qtbot, view, "3")
    assert checked(view) == ["3. 手机"]
    press(qtbot, view, Qt.Key.Key_Return)
    assert owner.saves[-1] == ({"phone_kind": "3"}, "age")
    # not saved yet: the same question stays, locked, saying it is saving
    assert view.question_label.text() == "请问您现在接听的是单位电话、住宅电话,还是手机?"
    assert "保存中" in view.status_label.text()
    assert not view.option_buttons[0].isEnabled() and not view.next_button.isEnabled()
    press(qtbot, view, "1")
    assert checked(view) == ["3. 手机"]
    view.saved()
    assert view.question_label.text() == "请问您今年多大年龄?"
    assert view.status_label.text() == ""
    assert owner.shown == ["intro", "phone_kind", "age"]
    assert view.history.item(1).text().endswith("→ 手机")


def test_age_out_of_range_is_shown_in_red_under_the_input_and_can_be_corrected(
        qtbot, view, owner):
    engine = survey(view)
    answer_and_save(qtbot, view, owner)
    answer_and_save(qtbot, view, owner, "2")
    press(qtbot, view, "1", "3", "0", Qt.Key.Key_Return)
    assert view.error_label.text() == "年龄应在0到120岁之间,请核对。"
    assert "#c62828" in view.error_label.styleSheet()
    assert owner.saves[-1][1] == "age" and engine.current_item.name == "age"
    view.answer_line.clear()
    changes = answer_and_save(qtbot, view, owner, "4", "5")
    assert changes["age"] == "45" and changes["resp_age"] == "45"
    assert view.question_label.text() == "请问您在本地居住或者工作满一年了吗?"
    assert view.error_label.text() == ""


def test_enter_without_an_answer_shows_the_required_message(qtbot, view, owner):
    survey(view)
    answer_and_save(qtbot, view, owner)
    press(qtbot, view, Qt.Key.Key_Return)
    assert view.error_label.text() == "此题需要回答。"
    assert len(owner.saves) == 1
    press(qtbot, view, "2")
    assert answer_and_save(qtbot, view, owner) == {"phone_kind": "2"}


def test_the_age_box_takes_digits_only(qtbot, view, owner):
    survey(view)
    answer_and_save(qtbot, view, owner)
    answer_and_save(qtbot, view, owner, "1")
    press(qtbot, view, "4", "a", ".", "2")
    assert view.answer_line.text() == "42"
    assert "周岁" in view.hint_label.text()


def test_esc_pgup_and_alt_left_go_back_keeping_the_answer(qtbot, view, owner):
    survey(view)
    answer_and_save(qtbot, view, owner)
    answer_and_save(qtbot, view, owner, "3")
    answer_and_save(qtbot, view, owner, "4", "0")
    assert view.question_label.text() == "请问您在本地居住或者工作满一年了吗?"
    saves = len(owner.saves)
    press(qtbot, view, Qt.Key.Key_Escape)
    assert view.question_label.text() == "请问您今年多大年龄?"
    assert view.answer_line.text() == "40"
    press(qtbot, view, Qt.Key.Key_Left, modifier=Qt.KeyboardModifier.AltModifier)
    assert checked(view) == ["3. 手机"]
    press(qtbot, view, Qt.Key.Key_PageUp)
    assert view.question_label.text().startswith("您好!")
    assert len(owner.saves) == saves  # nothing changed, so nothing to save
    press(qtbot, view, Qt.Key.Key_PageDown)
    assert len(owner.saves) == saves + 1
    view.saved()
    assert checked(view) == ["3. 手机"]


def test_clicking_a_question_in_the_side_list_jumps_back_to_it(qtbot, view, owner):
    survey(view)
    answer_and_save(qtbot, view, owner)
    answer_and_save(qtbot, view, owner, "2")
    answer_and_save(qtbot, view, owner, "3", "3")
    assert view.history.count() == 4 and view.history.currentRow() == 3
    row = view.history.item(1)
    qtbot.mouseClick(view.history.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.history.visualItemRect(row).center())
    assert view.question_label.text() == "请问您现在接听的是单位电话、住宅电话,还是手机?"
    assert checked(view) == ["2. 住宅电话"]
    assert view.history.currentRow() == 1 and view.history.count() == 4
    changes = answer_and_save(qtbot, view, owner, "1")
    assert changes == {"phone_kind": "1"}
    assert view.answer_line.text() == "33"  # the later answer was kept


def test_switching_language_keeps_the_question_and_what_was_typed(qtbot, view, owner):
    engine = survey(view)
    assert [view.language_box.itemText(i) for i in range(view.language_box.count())] == [
        "中文 (zh)", "English (en)"]
    answer_and_save(qtbot, view, owner)
    answer_and_save(qtbot, view, owner, "3")
    press(qtbot, view, "1", "5")
    qtbot.keyClick(view.language_box, Qt.Key.Key_Down)
    assert view.question_label.text() == "How old are you?"
    assert view.hint_label.text() == "提示:(Interviewer: record age in completed years)"
    assert view.answer_line.text() == "15"
    assert engine.current_item.name == "age"
    assert "How old are you?" in view.current_question_text()
    view.answer_line.setFocus()
    changes = answer_and_save(qtbot, view, owner)
    assert changes["age"] == "15"
    assert view.option_buttons[0].text() == "1. Yes, handed over"
    press(qtbot, view, Qt.Key.Key_Return)
    assert view.error_label.text() == "This question needs an answer."


def test_select_multiple_keys_toggle_and_letters_pick_past_the_tenth(qtbot, view, owner):
    survey(view, FRUIT)
    texts = [b.text() for b in view.option_buttons]
    assert texts[9] == "0. 樱桃" and texts[10] == "a. 芒果"
    assert texts[11].startswith("b. 说不清") and "不读出" in texts[11]
    press(qtbot, view, "1", "3", "1", "0", "a")
    assert checked(view) == ["3. 香蕉", "0. 樱桃", "a. 芒果"]
    press(qtbot, view, "a")
    assert answer_and_save(qtbot, view, owner) == {"fruits": "f3 f10"}
    assert view.question_label.text() == "谢谢"


def test_a_screen_out_reads_its_closing_words_then_finishes_with_its_code(qtbot, view, owner):
    survey(view)
    answer_and_save(qtbot, view, owner)
    answer_and_save(qtbot, view, owner, "3")
    answer_and_save(qtbot, view, owner, "1", "5")
    assert view.question_label.text().startswith("这次调查需要访问年满18岁的居民")
    press(qtbot, view, "2", Qt.Key.Key_Return)
    assert owner.saves[-1] == ({"other_adult": "2"}, "end_minor")
    view.saved()
    assert view.question_label.text() == (
        "好的,谢谢您的配合!这次调查只访问年满18岁的居民,打扰您了,再见!")
    assert view.next_button.text() == "结束访问"
    assert view.progress.value() == view.progress.maximum()
    assert owner.outcomes == []
    press(qtbot, view, Qt.Key.Key_Return)
    assert owner.outcomes == []  # not before the owner has committed
    view.saved()
    [outcome] = owner.outcomes
    assert (outcome.state, outcome.disposition) == ("screened_out", "4.70")
    assert "结束" in view.status_label.text() and not view.next_button.isEnabled()


def test_going_back_from_the_closing_words_reopens_the_interview(qtbot, view, owner):
    survey(view)
    for keys in ((), ("3",), ("1", "5"), ("2",)):
        answer_and_save(qtbot, view, owner, *keys)
    press(qtbot, view, Qt.Key.Key_Escape)
    assert checked(view) == ["2. 没有"]
    answer_and_save(qtbot, view, owner, "1")
    assert "请问您今年多大年龄?" in view.question_label.text()
    assert owner.outcomes == []


def test_a_failed_save_keeps_the_question_and_retries_the_same_changes(qtbot, view, owner):
    survey(view)
    answer_and_save(qtbot, view, owner)
    press(qtbot, view, "1", Qt.Key.Key_Return)
    view.save_failed("数据库忙,请稍候")
    assert view.question_label.text() == "请问您现在接听的是单位电话、住宅电话,还是手机?"
    assert "数据库忙,请稍候" in view.status_label.text()
    assert view.retry_button.isVisible() and view.retry_button.isEnabled()
    assert not view.option_buttons[0].isEnabled() and not view.back_button.isEnabled()
    press(qtbot, view, "2", Qt.Key.Key_Escape)
    assert checked(view) == ["1. 单位电话"]
    qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)
    assert owner.saves[-1] == owner.saves[-2] == ({"phone_kind": "1"}, "age")
    assert not view.retry_button.isVisible() and "保存中" in view.status_label.text()
    view.save_failed("还是不行")
    press(qtbot, view, Qt.Key.Key_Return)  # Enter retries too
    assert len(owner.saves) == 4
    view.saved()
    assert view.question_label.text() == "请问您今年多大年龄?"


def test_dates_times_and_numbers_are_checked_in_the_questionnaires_words(qtbot, view, owner):
    survey(view, TYPED)
    assert view.language_box.isHidden()
    press(qtbot, view, Qt.Key.Key_Return)
    assert view.error_label.text() == "此题必须回答。 (An answer is required.)"
    qtbot.keyClicks(view.answer_line, "2026/-13-01")
    assert view.answer_line.text() == "2026-13-01"
    press(qtbot, view, Qt.Key.Key_Return)
    assert view.error_label.text() == "请输入日期(年-月-日)。 (Enter a date as YYYY-MM-DD.)"
    view.answer_line.setText("2026-11-01")
    assert answer_and_save(qtbot, view, owner) == {"since": "2026-11-01"}
    press(qtbot, view, "9", "9", ":", "3", Qt.Key.Key_Return)
    assert "请输入时间" in view.error_label.text()
    view.answer_line.setText("14:30")
    assert answer_and_save(qtbot, view, owner) == {"at": "14:30"}
    qtbot.keyClicks(view.answer_line, "3.5.x")
    assert view.answer_line.text() == "3.5"
    view.answer_line.setText("-2")
    press(qtbot, view, Qt.Key.Key_Return)
    assert view.error_label.text() == "答案不符合要求。 (This answer is not allowed.)"
    view.answer_line.setText("3.50")
    answer_and_save(qtbot, view, owner)
    box = view.answer_line  # an open answer: a box of several lines, not one line
    assert box.height() >= 3 * box.fontMetrics().lineSpacing()
    box.insert("没有")  # Chinese comes in through the input method
    qtbot.keyClicks(box, " 123")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # a new line
    qtbot.keyClicks(box, "ok")
    assert view.question_label.text() == "还有什么要说的?"  # Shift+Enter did not move on
    assert answer_and_save(qtbot, view, owner) == {"remark": "没有 123\nok"}
    [outcome] = owner.outcomes
    assert (outcome.state, outcome.disposition) == ("complete", "1.1")
    assert view.progress.value() == view.progress.maximum()


def test_a_resumed_interview_opens_at_the_question_it_stopped_at(qtbot, view, owner):
    engine = InterviewEngine.resume(PUBLIC_SAFETY, {"phone_kind": "3", "age": "40"}, seed=0,
                                    clock=lambda: CLOCK_TIME)
    view.begin(engine)
    assert view.question_label.text() == "请问您在本地居住或者工作满一年了吗?"
    assert view.history.count() == 4 and view.history.currentRow() == 3
    assert view.elapsed_label.text() == "00:00"
    done, total = view.progress.value(), view.progress.maximum()
    assert 0 < done < total
    changes = answer_and_save(qtbot, view, owner, "1")
    assert changes["residence"] == "1"
    assert view.progress.value() > done


def test_the_question_is_large_and_the_interviewers_hint_is_set_apart(view):
    survey(view)
    assert view.question_label.font().pointSize() == 20
    view.set_font_point_size(28)
    assert view.question_label.font().pointSize() == 28
    hint = view.hint_label
    assert hint.isHidden()  # the intro has no hint
    view.begin(InterviewEngine.resume(PUBLIC_SAFETY, {"phone_kind": "1"}, seed=0,
                                      clock=lambda: CLOCK_TIME))
    assert hint.text() == "提示:〔访问员注意:记录周岁〕"
    assert hint.font().italic() and hint.font().pointSizeF() < 28
    assert "color" in hint.styleSheet()
    assert view.question_label.font().pointSize() == 28


def test_read_aloud_text_leaves_out_the_options_not_read(view):
    view.begin(InterviewEngine.resume(
        PUBLIC_SAFETY, {"phone_kind": "1", "age": "40", "residence": "1", "occupation": "2",
                        "township": "3", "urban_rural": "1"}, seed=0, clock=lambda: CLOCK_TIME))
    assert view.current_question_text().split("\n") == [
        "请问您觉得自己居住的地方安全、基本安全、不太安全,还是不安全?",
        "安全", "基本安全", "不太安全", "不安全"]
    assert view.option_buttons[4].text().startswith("8. 说不清")  # its code, as the hint says


def test_option_keys_run_from_digits_to_letters():
    assert [option_key(i) for i in (0, 8, 9, 10, 35, 36)] == ["1", "9", "0", "a", "z", ""]


def test_the_shipped_townships_are_picked_by_their_codes(qtbot, view, owner):
    engine = InterviewEngine.resume(
        PUBLIC_SAFETY, {"phone_kind": "1", "age": "40", "residence": "1", "occupation": "2"},
        seed=0, clock=lambda: CLOCK_TIME)
    view.begin(engine)
    assert len(view.option_buttons) == 20  # the 19 townships and 不住在本县 (code 90)
    assert answer_and_save(qtbot, view, owner, "1", "9")["township"] == "19"
    assert view.history.item(view.history.count() - 2).text().endswith("→ 东和店镇")


def test_an_owner_that_saves_at_once_walks_straight_to_the_end(qtbot, view, owner):
    view.save_requested.connect(lambda changes, at: view.saved())
    survey(view, """
    | survey |
    | | type | name | label | required |
    | | acknowledge | consent | 受访者同意接受访问 | yes |
    | | select_one yn | smoke | 您吸烟吗? | yes |
    | | note | bye | 谢谢 & 再见 | |
    | choices |
    | | list_name | name | label |
    | | yn | 1 | 是 & 偶尔 |
    | | yn | 2 | 否 |
    """)
    assert [b.text() for b in view.option_buttons] == ["1. 确认"]
    press(qtbot, view, Qt.Key.Key_Return)
    assert "必须回答" in view.error_label.text()
    press(qtbot, view, "1", Qt.Key.Key_Return)
    assert view.option_buttons[0].text() == "1. 是 && 偶尔"  # shown as "是 & 偶尔"
    press(qtbot, view, "1", Qt.Key.Key_Return)
    assert view.question_label.text() == "谢谢 & 再见"
    press(qtbot, view, Qt.Key.Key_Return)
    assert [changes for changes, _ in owner.saves] == [{"consent": "OK"}, {"smoke": "1"}, {}]
    assert owner.saves[-1][1] is None
    assert owner.shown == ["consent", "smoke", "bye"]
    [outcome] = owner.outcomes
    assert (outcome.state, outcome.disposition) == ("complete", "1.1")


def test_enter_in_the_side_list_jumps_without_answering_anything(qtbot, view, owner):
    survey(view)
    answer_and_save(qtbot, view, owner)
    answer_and_save(qtbot, view, owner, "3")
    view.history.setFocus()
    view.history.setCurrentRow(0)
    qtbot.keyClick(view.history, Qt.Key.Key_Return)
    assert view.question_label.text().startswith("您好!")
    assert len(owner.saves) == 2
    assert view.focusWidget() is not view.history  # back on the question, ready for Enter


def resumed_at(view, name: str, answers: dict[str, str]) -> InterviewEngine:
    """The shipped questionnaire resumed with ``answers``, showing the question ``name``."""
    engine = InterviewEngine.resume(PUBLIC_SAFETY, answers, seed=0, clock=lambda: CLOCK_TIME)
    assert engine.current_item.name == name
    view.begin(engine)
    return engine


SCREENED = {"phone_kind": "1", "age": "40", "residence": "1", "occupation": "2"}


def at_township(view) -> InterviewEngine:
    """The shipped questionnaire at its township question (codes 1 … 19)."""
    return resumed_at(view, "township", SCREENED)


def test_keys_are_the_questionnaires_codes_typed_in_full(qtbot, view, owner):
    at_township(view)
    texts = [b.text() for b in view.option_buttons]
    assert texts[0] == "1. 古槐街道" and texts[9] == "10. 万金店镇" and texts[18] == "19. 东和店镇"
    press(qtbot, view, "1", "5")  # 15, not 1 then 5
    assert checked(view) == ["15. 十字路乡"]
    assert answer_and_save(qtbot, view, owner)["township"] == "15"
    press(qtbot, view, Qt.Key.Key_Escape)  # back to the township: 1 alone, then Enter
    press(qtbot, view, "1")
    assert checked(view) == ["1. 古槐街道"]  # picked at once, while 10 … 19 stay possible
    assert answer_and_save(qtbot, view, owner)["township"] == "1"


def test_a_pause_or_a_space_ends_a_code(qtbot, view, owner):
    at_township(view)
    press(qtbot, view, "1")
    qtbot.wait(CODE_TYPING_MS + 200)
    press(qtbot, view, "2")  # a new code after the pause: 2, not 12
    assert checked(view) == ["2. 清河街道"]
    press(qtbot, view, "1", " ", "9")  # the space ends 1: 9, not 19
    assert checked(view) == ["9. 杨埠镇"]


def test_the_options_not_read_out_keep_their_codes(qtbot, view, owner):
    resumed_at(view, "trend", {**SCREENED, "township": "3", "urban_rural": "1", "safety": "2",
                               "safety_worry": "1"})
    assert "不读出选项8" in view.hint_label.text()
    press(qtbot, view, "8")
    assert checked(view)[0].startswith("8. 说不清")
    assert answer_and_save(qtbot, view, owner)["trend"] == "8"


def visible(view) -> list[str]:
    return [b.text() for b in view.option_buttons if b.isVisibleTo(view)]


def test_the_township_list_filters_by_name_and_pinyin_initials(qtbot, view, owner):
    from PySide6.QtWidgets import QLineEdit

    at_township(view)  # appearance minimal, 19 options
    box = view.findChild(QLineEdit, "choiceFilter")
    assert box is not None and box.hasFocus()
    press(qtbot, view, "d", "h")  # 东皇街道 (dhjd) and 东和店镇 (dhdz)
    assert visible(view) == ["3. 东皇街道", "19. 东和店镇"] and checked(view) == []
    press(qtbot, view, "d")
    assert visible(view) == ["19. 东和店镇"] and checked(view) == ["19. 东和店镇"]
    assert answer_and_save(qtbot, view, owner)["township"] == "19"
    press(qtbot, view, Qt.Key.Key_Escape)  # back: the list is whole again
    box = view.findChild(QLineEdit, "choiceFilter")
    box.insert("射桥")  # Chinese arrives as the input method commits it
    assert visible(view) == ["5. 射桥镇"]
    press(qtbot, view, "1", "2")  # codes still work while filtering
    assert checked(view) == ["12. 辛店镇"]


def test_pinyin_matching():
    from ui.interview_view import choice_matches

    assert choice_matches("sqz", "射桥镇") and choice_matches("sheqiao", "射桥镇")
    assert choice_matches("桥", "射桥镇") and choice_matches("Guhuai", "Guhuai Subdistrict")
    assert not choice_matches("dhx", "东和店镇")


def back_to(qtbot, view, owner, name: str) -> None:
    """Escape until the question ``name`` shows (each step's save committed by the owner)."""
    for _ in range(12):
        if view._engine.current_item.name == name:
            return
        before = len(owner.saves)
        press(qtbot, view, Qt.Key.Key_Escape)
        if len(owner.saves) > before:
            view.saved()
    assert view._engine.current_item.name == name, view._engine.path


def test_after_a_jump_back_and_a_change_one_key_returns_to_where_the_interview_was(
        qtbot, view, owner):
    engine = resumed_at(view, "trend", {**SCREENED, "township": "3", "urban_rural": "1",
                                        "safety": "2", "safety_worry": "1"})
    assert not view.return_button.isVisible()
    back_to(qtbot, view, owner, "township")
    assert view.return_button.isVisible()
    before = len(owner.saves)
    press(qtbot, view, "5")
    press(qtbot, view, Qt.Key.Key_Return, modifier=Qt.KeyboardModifier.ControlModifier)
    assert len(owner.saves) == before + 1 and owner.saves[-1][0]["township"] == "5"
    view.saved()
    assert engine.current_item.name == "trend"  # not urban_rural, safety, safety_worry
    assert view.question_label.text().startswith("和去年相比")
    assert not view.return_button.isVisible()


def test_returning_stops_at_a_question_the_change_made_relevant(qtbot, view, owner):
    """A 15-year-old instead of 40: the questions about another adult at home, never asked
    before, must be asked — the return stops there."""
    engine = resumed_at(view, "trend", {**SCREENED, "township": "3", "urban_rural": "1",
                                        "safety": "2", "safety_worry": "1"})
    back_to(qtbot, view, owner, "age")
    view.answer_line.clear()
    press(qtbot, view, "1", "5")
    press(qtbot, view, Qt.Key.Key_Return, modifier=Qt.KeyboardModifier.ControlModifier)
    view.saved()
    assert engine.current_item.name == "other_adult"


def test_the_progress_caption_sits_beside_the_bar_where_it_can_be_read(view):
    """Drawn on the bar, half of "第 8 题 / 约 17 题" sat on the filled part, unreadable."""
    at_township(view)
    assert not view.progress.isTextVisible()
    assert view.progress_label.isVisible()
    assert view.progress_label.text().startswith("第 ") and "题" in view.progress_label.text()
    caption = view.progress_label.geometry()
    assert not caption.intersects(view.progress.geometry())


def test_the_side_list_reads_the_introduction_as_the_question_did(qtbot, view, owner):
    """The side list shows the centre's name where the introduction says ${centre_name}, as the
    question itself read it (it showed the raw reference)."""
    survey(view)
    assert "平舆县民情调查服务中心" in view.question_label.text()
    answer_and_save(qtbot, view, owner)
    first = view.history.item(0)
    assert "${" not in first.text() and first.text().startswith("1. 您好!我是平舆县")
    assert "平舆县民情调查服务中心" in first.toolTip()

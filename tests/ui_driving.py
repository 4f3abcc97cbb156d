"""Driving the interviewer window from the keyboard, for the end-to-end tests and the crash
child: each answer is keys (a digit or letter per option, or typed text) and Enter, then a wait
until the save has committed and the next item is on screen."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

Wait = Callable[[Callable[[], bool], str], None]


def press_answer(window, value: object = None) -> Callable[[], bool]:
    """Type the answer to the item on screen and press Enter; returns the condition "saved
    and moved on" to wait for."""
    view = window.interview_view
    presented = window.engine.current()
    item = presented.item
    before = (item.name, len(window.engine.path))
    target = view.focusWidget() or view
    if item.kind in ("select_one", "select_multiple"):
        names = [choice.name for choice in presented.choices]
        keys = view.option_keys
        for one in str(value).split():
            key = keys[names.index(one)]
            for character in key:
                QTest.keyClick(view.focusWidget() or view, character)
            if any(other != key and other.startswith(key) for other in keys):
                QTest.keyClick(view.focusWidget() or view, " ")  # 1, not the start of 10
    elif value is not None:
        line = view.answer_line
        line.clear()
        if str(value).isascii():
            QTest.keyClicks(line, str(value))
        else:  # QTest types Latin-1 only; Chinese arrives as an input method commits it
            line.insert(str(value))
        target = line
    QTest.keyClick(target, Qt.Key.Key_Return)
    return lambda: window.tasks.pending == 0 and (
        window.state != "interview" or window.engine is None
        or (window.engine.current_item is not None
            and (window.engine.current_item.name, len(window.engine.path)) != before))


def answer(wait: Wait, window, value: object = None) -> None:
    name = window.engine.current_item.name
    wait(press_answer(window, value), f"the answer to {name} to be saved")


def play_to_end(wait: Wait, window, answers: Mapping[str, object]) -> list[str]:
    """Answer until the interview ends (the window goes back to Ready); the items seen."""
    seen = []
    while window.state == "interview":
        name = window.engine.current_item.name
        seen.append(name)
        answer(wait, window, answers.get(name))
        assert len(seen) < 60, seen
    return seen


def qtbot_wait(qtbot, timeout_ms: int = 15_000) -> Wait:
    return lambda condition, _what: qtbot.waitUntil(condition, timeout=timeout_ms)

"""The interview screen: leads an interviewer through one interview run by an InterviewEngine.

Keyboard first: digits (then letters) pick options, Enter or PgDn goes on, Esc, Alt+Left or PgUp
goes back. Every change the engine reports is handed to the owner through ``save_requested`` and
nothing new shows until the owner calls :meth:`InterviewView.saved` (or
:meth:`InterviewView.save_failed`, which offers a retry): each answer is committed before the next
question shows. The view does no I/O itself.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QElapsedTimer,
    QEvent,
    QObject,
    QRegularExpression,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QFont, QKeyEvent, QRegularExpressionValidator, QTextCursor
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from cati.errors import CatiError
from cati.questionnaire.engine import InterviewEngine, Presented
from cati.questionnaire.model import DEFAULT_LANGUAGE, SELECT_KINDS, Item
from ui.plain import plain_label, plain_tip

OPTION_KEYS = "1234567890abcdefghijklmnopqrstuvwxyz"  # the 1st option is 1, the 10th 0, then a…
DEFAULT_POINT_SIZE = 20
HINT_STYLE = "color: #8a4b00;"  # what the interviewer reads to themself, never aloud
ERROR_STYLE = "color: #c62828;"
NOT_READ_STYLE = "color: #6d6d6d;"

# Typing is limited to what can become a valid answer; the engine's messages explain the rest.
# (QIntValidator stops at 2**31 and QDoubleValidator follows the locale's decimal comma.)
_PATTERNS = {
    "integer": r"[+-]?\d{0,18}",
    "decimal": r"[+-]?\d{0,18}(\.\d{0,12})?",
    "date": r"\d{0,4}(-\d{0,2}(-\d{0,2})?)?",
    "time": r"\d{0,2}(:\d{0,2}(:\d{0,2})?)?",
    "dateTime": r"[0-9T:+\-. Z]{0,32}",
}


def option_key(index: int) -> str:
    """The key that picks the option at ``index`` (0-based), or '' past the 36th."""
    return OPTION_KEYS[index] if index < len(OPTION_KEYS) else ""


CODE_TYPING_MS = 800  # a pause this long ends a code being typed (1, then 10 … 19)


FILTER_FROM = 13  # options from which a list gets a type-to-filter box (also appearance minimal)


@functools.lru_cache(maxsize=4096)
def _spellings(label: str) -> tuple[str, str, str]:
    """The label lowercased, its pinyin initials and its full pinyin (射桥镇: sqz, sheqiaozhen)."""
    from pypinyin import Style, lazy_pinyin

    lowered = label.casefold()
    initials = "".join(part[:1] for part in lazy_pinyin(label, style=Style.FIRST_LETTER))
    return lowered, initials.casefold(), "".join(lazy_pinyin(label)).casefold()


_pinyin_loading: list[threading.Thread] = []


def load_pinyin_in_background() -> None:
    """pypinyin's dictionaries take most of a second to load: loaded once, on a thread of its
    own, when the first interview view is made, so a filter typed later never waits for them."""
    if not _pinyin_loading:
        thread = threading.Thread(target=lambda: _spellings("加载"), name="pinyin", daemon=True)
        _pinyin_loading.append(thread)
        thread.start()


def choice_matches(query: str, label: str) -> bool:
    """Whether an option's label matches what was typed into the filter: any part of the label,
    or of its pinyin initials or full pinyin (spaces ignored)."""
    query = "".join(query.split()).casefold()
    return not query or any(query in spelling for spelling in _spellings(label))


def answer_keys(names: Sequence[str]) -> list[str]:
    """What the interviewer types for each option: the questionnaire's own codes when every
    choice name is a whole number of at most three digits (1 … 19, 8 and 9 for the options not
    read out, 98, 99) — so the hint "不读出选项8、9" means the keys 8 and 9 — else the position
    (1 … 9, 0, then a … z)."""
    if names and len(set(names)) == len(names) and all(
            name.isascii() and name.isdigit() and len(name) <= 3 for name in names):
        return list(names)
    return [option_key(index) for index in range(len(names))]


def _scaled(widget: QWidget, point_size: float, *, italic: bool = False) -> None:
    font = QFont(widget.font())
    font.setPointSizeF(max(point_size, 9.0))
    font.setItalic(italic)
    widget.setFont(font)


class TextAnswerBox(QPlainTextEdit):
    """An open answer: several lines tall, so what the respondent says can be read back whole.
    Enter still moves on (the view handles it); Shift+Enter starts a new line. It answers to
    QLineEdit's few calls the view and its callers make (text, setText, insert, end)."""

    LINES = 4

    def __init__(self) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.textChanged.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        lines = max(self.LINES, min(12, self.document().lineCount() + 1))
        margins = self.contentsMargins()
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines
                            + int(self.document().documentMargin() * 2)
                            + margins.top() + margins.bottom() + 4)

    def setFont(self, font: QFont) -> None:
        super().setFont(font)
        self._fit()

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:
        self.setPlainText(text)

    def insert(self, text: str) -> None:
        self.insertPlainText(text)

    def end(self, _mark: bool = False) -> None:
        self.moveCursor(QTextCursor.MoveOperation.End)


class _AnswerInput(QWidget):
    """The input widgets for one presented item: option buttons, one line, or none (a note)."""

    def __init__(self, presented: Presented, option_labels: list[str], parent: QWidget) -> None:
        super().__init__(parent)
        item = presented.item
        self.kind = item.kind
        self.choices = presented.choices
        self.buttons: list[QAbstractButton] = []
        self.line: QLineEdit | TextAnswerBox | None = None
        self.keys = (answer_keys([choice.name for choice in self.choices])
                     if item.kind in SELECT_KINDS else ["1"] if item.kind == "acknowledge" else [])
        self._typed = ""  # a code being typed: "1" may become "10" … "19"
        self._provisional: int | None = None  # the option the typed prefix picked meanwhile
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(CODE_TYPING_MS)
        self._typing.timeout.connect(self.end_typing)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter: QLineEdit | None = None
        self.labels: list[str] = []
        if item.kind in SELECT_KINDS:
            self._add_options(option_labels, layout, item.appearance)
        elif item.kind == "acknowledge":
            box = QCheckBox(f"1. {self.tr('确认')}")
            self.buttons.append(box)
            layout.addWidget(box)
        elif item.is_question:
            pattern = _PATTERNS.get(item.kind)
            if item.kind == "text":
                self.line = TextAnswerBox()
            else:
                self.line = QLineEdit()
                if pattern:
                    self.line.setValidator(
                        QRegularExpressionValidator(QRegularExpression(pattern), self.line))
            self.line.setReadOnly(presented.read_only)
            self.line.setPlaceholderText(self._placeholder(item.kind))
            layout.addWidget(self.line)
        for button in self.buttons:
            button.setEnabled(not presented.read_only)
        if self.filter is not None:
            self.filter.setEnabled(not presented.read_only)
        layout.addStretch(1)

    def _add_options(self, labels: list[str], layout: QVBoxLayout, appearance: str) -> None:
        self.labels = list(labels)
        if len(labels) >= FILTER_FROM or "minimal" in appearance.split():
            self.filter = QLineEdit()
            self.filter.setObjectName("choiceFilter")
            self.filter.setPlaceholderText(self.tr(
                "输入名称或拼音首字母筛选,或键入代码 · Type a name or its pinyin initials to "
                "filter, or type the code"))
            self.filter.textChanged.connect(self._filter_options)
            layout.addWidget(self.filter)
        grid = QGridLayout()
        columns = 1 if len(labels) <= 8 else 2 if len(labels) <= 20 else 3
        rows = -(-len(labels) // columns)
        group = QButtonGroup(self)
        group.setExclusive(self.kind == "select_one")
        for index, (choice, label) in enumerate(zip(self.choices, labels, strict=True)):
            key = self.keys[index]
            label = label.replace("&", "&&")  # a lone & would underline the next letter
            text = f"{key}. {label}" if key else label
            button: QAbstractButton = (
                QRadioButton(text) if self.kind == "select_one" else QCheckBox(text))
            if choice.not_read:
                button.setText(f"{text}  {self.tr('〔不读出〕')}")
                button.setStyleSheet(NOT_READ_STYLE)
            group.addButton(button, index)
            self.buttons.append(button)
            grid.addWidget(button, index % rows, index // rows)
        layout.addLayout(grid)
        self._grid = grid

    def _filter_options(self, query: str) -> None:
        """Show the options whose label matches; a single one left is picked (one choice)."""
        shown = [index for index, label in enumerate(self.labels)
                 if choice_matches(query, label)]
        columns = 1 if len(shown) <= 8 else 2 if len(shown) <= 20 else 3
        rows = max(1, -(-len(shown) // columns))
        for button in self.buttons:  # the matches flow from the top, in their order
            self._grid.removeWidget(button)
            button.hide()
        for position, index in enumerate(shown):
            self._grid.addWidget(self.buttons[index], position % rows, position // rows)
            self.buttons[index].show()
        if len(shown) == 1 and self.kind == "select_one" and query.strip():
            self.buttons[shown[0]].setChecked(True)

    def type_into_filter(self, text: str) -> bool:
        """A letter typed while an option has the focus goes on in the filter box."""
        if not self.filtering or self.filter.hasFocus() or not text.isprintable():
            return False
        self.filter.setFocus()
        self.filter.insert(text)
        return True

    @property
    def filtering(self) -> bool:
        """Letters go to the filter box (the codes are numbers, so no letter is a key)."""
        return self.filter is not None and all(key.isdigit() for key in self.keys)

    def _placeholder(self, kind: str) -> str:
        return {
            "integer": self.tr("整数"),
            "decimal": self.tr("数字"),
            "date": self.tr("年-月-日,如 2026-11-23"),
            "time": self.tr("时:分,如 14:30"),
            "dateTime": self.tr("年-月-日T时:分,如 2026-11-23T14:30"),
        }.get(kind, "")

    @property
    def takes_option_keys(self) -> bool:
        return bool(self.buttons) and self.buttons[0].isEnabled()

    def widgets(self) -> list[QWidget]:
        return [*([self.filter] if self.filter is not None else []), *self.buttons,
                *([self.line] if self.line is not None else [])]

    def value(self) -> str | None:
        """The answer as typed or picked, as engine text; None for a note."""
        if self.line is not None:
            return self.line.text()
        if self.kind == "acknowledge":
            return "OK" if self.buttons[0].isChecked() else ""
        if self.kind in SELECT_KINDS:
            picked = [c.name for c, b in zip(self.choices, self.buttons, strict=True)
                      if b.isChecked()]
            return " ".join(picked)
        return None

    def set_value(self, value: str | None) -> None:
        if value is None:
            return
        if self.line is not None:
            self.line.setText(value)
        elif self.kind == "acknowledge":
            self.buttons[0].setChecked(value != "")
        else:
            names = set(value.split())
            for choice, button in zip(self.choices, self.buttons, strict=True):
                button.setChecked(choice.name in names)

    def press(self, text: str) -> bool:
        """Pick (select_one) or toggle (select_multiple) the option whose key is typed.

        A code that begins a longer one (1 of 10 … 19) picks its option at once and waits
        ``CODE_TYPING_MS`` for the next digit, which then moves the pick to the longer code;
        a space ends the code at once."""
        if len(text) != 1 or not self.keys:
            return False
        typed = self._typed + text
        if self._typed and any(key.startswith(typed) for key in self.keys):
            self._undo_provisional()
        else:
            self.end_typing()
            typed = text
            if not any(key.startswith(typed) for key in self.keys):
                return False
        self._typed = typed
        index = self.keys.index(typed) if typed in self.keys else None
        if index is not None:
            self._toggle(index)
        self._provisional = index
        if any(key != typed and key.startswith(typed) for key in self.keys):
            self._typing.start()
        else:
            self.end_typing()
        return True

    @property
    def typing(self) -> bool:
        return bool(self._typed)

    @Slot()
    def end_typing(self) -> None:
        self._typing.stop()
        self._typed, self._provisional = "", None

    def _toggle(self, index: int) -> None:
        button = self.buttons[index]
        button.setChecked(True if self.kind == "select_one" else not button.isChecked())
        if not self.filtering:  # typing goes on in the filter box
            button.setFocus()

    def _undo_provisional(self) -> None:
        """A longer code follows: a multiple choice un-toggles the shorter one (a single choice
        simply moves its pick)."""
        if self._provisional is not None and self.kind == "select_multiple":
            button = self.buttons[self._provisional]
            button.setChecked(not button.isChecked())

    def focus_first(self) -> bool:
        if self.filtering and self.filter.isEnabled():
            self.filter.setFocus()
            return True
        if self.line is not None:
            self.line.setFocus()
            self.line.end(False)
            return True
        if self.buttons:
            checked = [b for b in self.buttons if b.isChecked()]
            (checked or self.buttons)[0].setFocus()
            return True
        return False

    def set_point_size(self, point_size: float) -> None:
        for widget in self.widgets():
            _scaled(widget, point_size)


@dataclass(slots=True)
class _PendingSave:
    changes: dict[str, str]
    current_item: str | None
    closing: bool  # the end note's closing words were read: after this save the interview ends
    failed: bool = False


class InterviewView(QWidget):
    """One interview on screen. Call :meth:`begin` with an engine (fresh or resumed)."""

    save_requested = Signal(dict, object)  # changes {name: value}, the current item's name or None
    finished = Signal(object)  # the engine's Outcome (state, disposition)
    item_shown = Signal(str)  # the name of the item now on screen
    closing_read = Signal()  # the closing words of show_closing() were read: end the interview

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        load_pinyin_in_background()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._engine: InterviewEngine | None = None
        self._input: _AnswerInput | None = None
        self._pending: _PendingSave | None = None
        self._ended = False
        self._closing = False
        self._point_size = float(DEFAULT_POINT_SIZE)
        self._clock = QElapsedTimer()
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)
        self._build()
        self.set_font_point_size(DEFAULT_POINT_SIZE)

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        middle = QHBoxLayout()
        middle.addWidget(self._build_history())
        middle.addLayout(self._build_panel(), 1)
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_top())
        layout.addLayout(middle, 1)

    def _build_top(self) -> QHBoxLayout:
        self.progress = QProgressBar()
        # The caption beside the bar, not on it: drawn over the bar, half of it sat on the
        # filled part and could not be read.
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(self.fontMetrics().height())
        self.progress_label = plain_label("")
        self.elapsed_label = plain_label("00:00")
        self.elapsed_label.setToolTip(self.tr("本次访问已用时间"))
        self.language_box = QComboBox()
        self.language_box.setToolTip(self.tr("问卷语言"))
        self.language_box.currentIndexChanged.connect(self._language_chosen)
        top = QHBoxLayout()
        top.addWidget(self.progress_label)
        top.addWidget(self.progress, 1)
        top.addWidget(self.elapsed_label)
        top.addWidget(self.language_box)
        return top

    def _build_history(self) -> QListWidget:
        self.history = QListWidget()
        self.history.setMaximumWidth(360)
        self.history.setToolTip(self.tr("已问过的题目:单击或回车跳回该题"))
        self.history.itemClicked.connect(self._history_chosen)
        self.history.itemActivated.connect(self._history_chosen)
        self.history.installEventFilter(self)
        return self.history

    def _build_panel(self) -> QVBoxLayout:
        self.question_label = self._wrapping_label()
        self.hint_label = self._wrapping_label()
        self.hint_label.setStyleSheet(HINT_STYLE)
        self.answer_area = QScrollArea()
        self.answer_area.setWidgetResizable(True)
        self.answer_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.answer_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.error_label = self._wrapping_label()
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.status_label = plain_label()
        self.back_button = self._button(self.tr("返回 (Esc)"), self._go_back)
        self.next_button = self._button(self.tr("继续 (Enter)"), self._confirm)
        self.return_button = self._button(self.tr("回到原处 (Ctrl+Enter)"),
                                          self._confirm_and_return)
        self.return_button.setToolTip(plain_tip(self.tr(
            "保存此答案,然后越过其后仍然有效的已答问题,回到改答前访问到的地方")))
        self.return_button.hide()
        self.retry_button = self._button(self.tr("重试保存"), self._retry)
        self.retry_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.retry_button.installEventFilter(self)
        self.retry_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.status_label)
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.return_button)
        buttons.addWidget(self.next_button)
        panel = QVBoxLayout()
        for widget, stretch in ((self.question_label, 0), (self.hint_label, 0),
                                (self.answer_area, 1), (self.error_label, 0)):
            panel.addWidget(widget, stretch)
        panel.addLayout(buttons)
        return panel

    @staticmethod
    def _wrapping_label() -> QLabel:
        label = plain_label()
        label.setWordWrap(True)
        return label

    def _button(self, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys do this; focus stays on answers
        button.clicked.connect(lambda _checked=False: slot())  # never ``checked`` as an argument
        return button

    # -- public -----------------------------------------------------------------------------
    def begin(self, engine: InterviewEngine, *,
              languages: list[tuple[str, str]] | None = None) -> None:
        """Show ``engine``'s current item and start the clock.

        ``languages`` are (language as the form names it, name to show); by default the form's.
        """
        self._engine = engine
        self._pending = None
        self._ended = False
        self._closing = False
        self._history_cache: dict[tuple, tuple[str, str]] = {}
        self.history.clear()
        self._fill_languages(languages)
        self._clock.start()
        self._ticker.start()
        self._tick()
        self._lock(False)
        self._show_current()

    def show_closing(self, reason: str, words: str) -> None:
        """End the interview on the owner's word (a full quota): the closing ``words`` to read
        to the respondent, still on the line, and ``reason`` for the interviewer; Enter (结束访问)
        says they were read (``closing_read``). Nothing more is asked or saved."""
        self._pending = None
        self._closing = True
        self.retry_button.hide()
        old = self.answer_area.takeWidget()
        if old is not None:
            old.deleteLater()
        self._input = None
        self.question_label.setText(words)
        self.hint_label.setText(reason)
        self.hint_label.show()
        self.error_label.clear()
        self.return_button.hide()
        self._lock(False)
        self.back_button.setEnabled(False)
        self.next_button.setText(self.tr("结束访问 (Enter)"))
        self._set_status(self.tr("读完结束语后结束访问"))
        self.setFocus()

    def saved(self) -> None:
        """The owner committed the last ``save_requested``: show what comes next."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        self.retry_button.hide()
        self._set_status("")
        self._lock(False)
        self._move_on(pending.closing)

    def save_failed(self, message: str) -> None:
        """The owner could not commit: keep the question on screen and offer a retry."""
        if self._pending is None:
            return
        self._pending.failed = True
        self._set_status(self.tr("保存失败:") + message, error=True)
        self.retry_button.show()
        self.retry_button.setFocus()

    def set_font_point_size(self, point_size: float) -> None:
        """The size of the text read aloud; options, hints and messages scale with it."""
        self._point_size = float(point_size)
        _scaled(self.question_label, self._point_size)
        _scaled(self.hint_label, self._point_size * 0.6, italic=True)
        _scaled(self.error_label, self._point_size * 0.6)
        if self._input is not None:
            self._input.set_point_size(self._point_size * 0.8)

    @property
    def option_buttons(self) -> list[QAbstractButton]:
        """The current item's option buttons, in the order of their keys (empty if none)."""
        return list(self._input.buttons) if self._input is not None else []

    @property
    def option_keys(self) -> list[str]:
        """What is typed for each of the current item's options (see ``answer_keys``)."""
        return list(self._input.keys) if self._input is not None else []

    @property
    def answer_line(self) -> QLineEdit | None:
        """The current item's line input (text, numbers, dates, times), else None."""
        return self._input.line if self._input is not None else None

    def current_question_text(self) -> str:
        """The current item's text and the options to read out (not those marked not read)."""
        try:
            presented = self._engine.current() if self._engine is not None else None
        except CatiError:
            return ""
        if presented is None:
            return ""
        form = self._engine.form
        options = [form.text(c.labels, self._engine.language) for c in presented.choices
                   if not c.not_read]
        return "\n".join([presented.label, *options])

    # -- showing ----------------------------------------------------------------------------
    def _show_current(self, typed: str | None = None) -> None:
        engine = self._engine
        try:
            presented = engine.current() if engine is not None else None
        except CatiError as exc:  # a form bug: say so; going back still works
            self._show_broken(str(exc))
            return
        if engine is None or presented is None:
            self._finish()
            return
        item = presented.item
        self.question_label.setText(presented.label)
        self.hint_label.setText(self.tr("提示:") + presented.hint if presented.hint else "")
        self.hint_label.setVisible(bool(presented.hint))
        self.error_label.clear()
        self._replace_input(presented)
        self._input.set_value(presented.value if typed is None else typed)
        ending = engine.finished
        self.next_button.setEnabled(True)
        self.next_button.setText(self.tr("结束访问") if ending else self.tr("继续 (Enter)"))
        # after a jump back: the way to where the interview had got to
        self.return_button.setVisible(not ending and engine.cursor < len(engine.trail) - 1)
        self._set_status(self.tr("甄别结束:读完结束语后结束访问") if ending else "")
        self._fill_history()
        self._show_progress()
        if not self._input.focus_first():
            self.setFocus()
        self.item_shown.emit(item.name)

    def _show_broken(self, message: str) -> None:
        self.question_label.clear()
        self.hint_label.hide()
        old = self.answer_area.takeWidget()
        if old is not None:
            old.deleteLater()
        self._input = None
        self.error_label.setText(message)
        self.next_button.setEnabled(False)
        self.setFocus()

    def _replace_input(self, presented: Presented) -> None:
        old = self.answer_area.takeWidget()
        if old is not None:
            old.deleteLater()  # it may be the widget whose key press brought us here
        form, language = self._engine.form, self._engine.language
        labels = [form.text(c.labels, language) for c in presented.choices]
        self._input = _AnswerInput(presented, labels, self.answer_area)
        self._input.set_point_size(self._point_size * 0.8)
        for widget in self._input.widgets():
            widget.installEventFilter(self)
        self.answer_area.setWidget(self._input)

    def _fill_languages(self, languages: list[tuple[str, str]] | None) -> None:
        form = self._engine.form
        if languages is None:
            languages = [(code, code) for code in form.languages if code != DEFAULT_LANGUAGE]
        box = self.language_box
        box.blockSignals(True)
        box.clear()
        for code, name in languages:
            box.addItem(name, code)
        box.setCurrentIndex(max(box.findData(self._engine.language), 0))
        box.blockSignals(False)
        box.setVisible(len(languages) > 1)

    def _fill_history(self) -> None:
        """Bring the side list up to date, touching only rows whose text changed (a rebuild
        per answer made a long interview quadratic)."""
        engine = self._engine
        self.history.blockSignals(True)
        path = engine.path
        while self.history.count() > len(path):
            self.history.takeItem(self.history.count() - 1)
        for position, name in enumerate(path):
            text, tooltip = self._history_text(position, name)
            row = self.history.item(position)
            if row is None:
                row = QListWidgetItem(text)
                row.setData(Qt.ItemDataRole.UserRole, name)
                row.setToolTip(plain_tip(tooltip))
                self.history.addItem(row)
            elif row.text() != text or row.data(Qt.ItemDataRole.UserRole) != name:
                row.setText(text)
                row.setData(Qt.ItemDataRole.UserRole, name)
                row.setToolTip(plain_tip(tooltip))
        self.history.setCurrentRow(engine.cursor)
        self.history.blockSignals(False)

    def _history_text(self, position: int, name: str) -> tuple[str, str]:
        """A side-list row: inside a repeat, ``name`` is the instance key and the row starts
        with the instance ("成员 2 / 3 · 姓名"), so the interviewer can go back to an adult."""
        engine = self._engine
        caption = engine.instance_caption(name)
        key = (position, name, engine.language, engine.answers.get(name, ""), caption)
        cached = self._history_cache.get(key)
        if cached is None:
            item = engine.item_of(name)
            label = engine.label_of(name)  # ${centre_name} as the question read it
            shown = f"{caption} · {_shorten(label, 16)}" if caption else _shorten(label, 16)
            text = f"{position + 1}. {shown}"
            if caption:
                label = f"{caption} · {label}"
            answer = self._answer_text(item, name)
            if answer:
                text += f" → {_shorten(answer, 10)}"
            cached = self._history_cache[key] = (text, label)
        return cached

    def _answer_text(self, item: Item, key: str) -> str:
        engine = self._engine
        value = engine.answers.get(key, "")
        if item.kind not in SELECT_KINDS or not value:
            return value
        labels = {c.name: engine.form.text(c.labels, engine.language)
                  for c in engine.form.choices_of(item)}
        return "、".join(labels.get(name, name) for name in value.split())

    def _show_progress(self) -> None:
        done, total = self._estimate()
        # QProgressBar.setValue repaints synchronously whenever its text changes (~8 ms, before
        # the new question is even laid out): paint it with the rest of the window instead.
        self.progress.setUpdatesEnabled(False)
        self.progress.setFormat(self.tr("第 %1 题 / 约 %2 题").replace("%1", str(done))
                                .replace("%2", str(max(total, 1))))
        # Inside a repeat, which instance is being asked comes first ("成员 2 / 3 · 第 7 题 …"):
        # the first question of an instance cannot name its member yet.
        caption = self._engine.instance_caption()
        self.progress_label.setText(f"{caption} · {self.progress.format()}" if caption
                                    else self.progress.format())
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setUpdatesEnabled(True)

    def _estimate(self) -> tuple[int, int]:
        """(items presented up to the current one, those plus the ones now expected to follow)."""
        engine = self._engine
        current = engine.current_item
        if current is None:
            return len(engine.path), len(engine.path)
        done = engine.cursor + 1
        if engine.finished:
            return done, done
        ahead = 0
        try:
            following = list(engine.steps_ahead())  # a repeat's later instances count too
        except CatiError:
            following = []  # a repeat_count that fails shows when it is reached
        for item, instance in following:
            if not item.presented:
                continue
            try:
                relevant = engine.is_relevant(item, instance)
            except CatiError:
                relevant = True  # a form bug shows when the item is reached, not in the estimate
            if relevant:
                ahead += 1
                if item.is_screen_out:
                    break
        return done, done + ahead

    @Slot()
    def _tick(self) -> None:
        seconds = self._clock.elapsed() // 1000 if self._clock.isValid() else 0
        self.elapsed_label.setText(f"{seconds // 60:02d}:{seconds % 60:02d}")

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")

    def _lock(self, locked: bool) -> None:
        # The side list stays enabled (a click while saving is ignored: see _history_chosen):
        # disabling it re-lays out every row, which made each save slower the longer the
        # interview.
        for widget in (self.answer_area, self.back_button, self.next_button, self.return_button,
                       self.language_box):
            widget.setEnabled(not locked)
        if locked:
            self.setFocus()

    # -- acting -----------------------------------------------------------------------------
    @Slot()
    def _confirm_and_return(self) -> None:
        self._confirm(return_to_furthest=True)

    @Slot()
    def _confirm(self, return_to_furthest: bool = False) -> None:
        engine = self._engine
        if engine is None or self._pending is not None or self._ended:
            return
        if self._closing:
            self._closing = False
            self._ended = True
            self._ticker.stop()
            self._lock(True)
            self._set_status(self.tr("访问已结束"))
            self.closing_read.emit()
            return
        item = engine.current_item
        if item is None or self._input is None:
            return
        closing = engine.finished  # the end note of a screen-out: its words have been read
        value = self._input.value()
        try:
            if closing:
                error = None
            elif return_to_furthest:
                error = engine.answer_and_return(value)
            else:
                error = engine.answer(value)
        except CatiError as exc:
            error = str(exc)
        if error:
            self.error_label.setText(error)
            self._input.focus_first()
            return
        self._request_save(closing=closing, always=True)

    @Slot()
    def _go_back(self) -> None:
        if self._idle() and self._engine.back():
            self._request_save(closing=False, always=False)

    @Slot(QListWidgetItem)
    def _history_chosen(self, row: QListWidgetItem) -> None:
        name = row.data(Qt.ItemDataRole.UserRole)
        current = self._engine.current_key if self._engine is not None else None
        if current is not None and name == current:
            return
        if self._idle() and self._engine.jump(name):
            self._request_save(closing=False, always=False)

    @Slot(int)
    def _language_chosen(self, index: int) -> None:
        code = self.language_box.itemData(index)
        if not self._idle() or code is None or code == self._engine.language:
            return
        typed = self._input.value() if self._input is not None else None
        self._engine.set_language(code)
        self._show_current(typed=typed)

    def _idle(self) -> bool:
        return (self._engine is not None and self._pending is None and not self._ended
                and not self._closing)

    def _request_save(self, *, closing: bool, always: bool) -> None:
        """Hand the engine's changes to the owner; show nothing new until it says saved()."""
        changes = self._engine.take_changes()
        if not changes and not always:
            self._move_on(closing)
            return
        current = self._engine.current_item
        self._pending = _PendingSave(changes, self._engine.current_key if current else None,
                                     closing)
        self._lock(True)
        self._set_status(self.tr("保存中…"))
        self.save_requested.emit(dict(changes), self._pending.current_item)

    @Slot()
    def _retry(self) -> None:
        pending = self._pending
        if pending is None or not pending.failed:
            return
        pending.failed = False
        self.retry_button.hide()
        self.setFocus()
        self._set_status(self.tr("保存中…"))
        self.save_requested.emit(dict(pending.changes), pending.current_item)

    def _move_on(self, closing: bool) -> None:
        if closing or self._engine.current_item is None:
            self._finish()
        else:
            self._show_current()

    def _finish(self) -> None:
        if self._ended:
            return
        self._ended = True
        self._ticker.stop()
        self._tick()
        self._lock(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat("%p%")
        self.progress_label.setText("100%")
        self._set_status(self.tr("访问已结束"))
        if self._engine is not None:
            self.finished.emit(self._engine.outcome)

    # -- keys -------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        if watched is self.history:
            return self._history_key(event)
        return self._handle_key(event)

    def _history_key(self, event: QKeyEvent) -> bool:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            row = self.history.currentItem()
            if row is not None:
                self._history_chosen(row)
            return True  # the list would also pass Enter on, which would answer the question
        if event.key() == Qt.Key.Key_Escape:
            if self._input is None or not self._input.focus_first():
                self.setFocus()
            return True
        return False

    def _handle_key(self, event: QKeyEvent) -> bool:
        key, modifiers = event.key(), event.modifiers()
        if (key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and modifiers & Qt.KeyboardModifier.ShiftModifier
                and isinstance(QApplication.focusWidget(), TextAnswerBox)):
            return False  # a new line in an open answer
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_PageDown):
            if event.isAutoRepeat():
                return True  # a held-down Enter must not race through stored answers
            if self._pending is not None and self._pending.failed:
                self._retry()
            else:
                self._confirm(return_to_furthest=bool(
                    modifiers & Qt.KeyboardModifier.ControlModifier))
            return True
        alt_left = key == Qt.Key.Key_Left and modifiers & Qt.KeyboardModifier.AltModifier
        if key in (Qt.Key.Key_Escape, Qt.Key.Key_PageUp) or alt_left:
            self._go_back()
            return True
        commands = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        if (self._idle() and self._input is not None and self._input.takes_option_keys
                and not modifiers & commands and event.text()):
            if event.text() == " " and self._input.typing:
                self._input.end_typing()  # a space ends a code (1, not the start of 10)
                return True
            if self._input.press(event.text().lower()):
                return True
            return self._input.type_into_filter(event.text())
        return False


def _shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"

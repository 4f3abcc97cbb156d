"""Correcting one answer of a closed interview (supervisors and admins): the question, the new
value — picked from the questionnaire's own list for a choice question — and why. The service
keeps the old and the new value in the answer history and the audit log."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cati.services.sample_browser import AnswerLine, ClosedInterview
from ui.plain import plain_label


def _shown(line: AnswerLine) -> str:
    label = " ".join(line.label.split())
    label = label if len(label) <= 28 else label[:27] + "…"
    value = dict(line.choices).get(line.value, line.value)
    return f"{line.question} · {label} = {value}"


class CorrectionDialog(QDialog):
    def __init__(self, interview: ClosedInterview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.interview = interview
        self.setWindowTitle(self.tr("修改答案 Correct an answer"))
        self.question = QComboBox()
        for line in interview.answers:
            self.question.addItem(_shown(line), line)
        self.choice = QComboBox()
        self.text = QLineEdit()
        self.value_stack = QStackedWidget()
        self.value_stack.addWidget(self.choice)
        self.value_stack.addWidget(self.text)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("必填,如“复核时受访者更正” Required"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save_button.setText(self.tr("保存更正 Save"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("问题 Question"), self.question)
        form.addRow(self.tr("新答案 New answer"), self.value_stack)
        form.addRow(self.tr("原因 Reason"), self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(self.tr(
            "访问 {id}（{state}）：更正会连同原值、新值、修改人和原因记入审计日志 · The old and the new "
            "value, who and why go to the audit log").format(
                id=interview.interview_id, state=interview.disposition or interview.state)))
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.question.currentIndexChanged.connect(self._question_chosen)
        for signal in (self.choice.currentIndexChanged, self.text.textChanged,
                       self.reason.textChanged):
            signal.connect(self._check)
        self._question_chosen()

    def current(self) -> AnswerLine | None:
        return self.question.currentData()

    def value(self) -> str:
        line = self.current()
        if line is not None and line.kind == "select_one" and line.choices:
            return self.choice.currentData() or ""
        return self.text.text().strip()

    def _question_chosen(self, *_args) -> None:
        line = self.current()
        self.choice.clear()
        if line is not None and line.kind == "select_one" and line.choices:
            for code, label in line.choices:
                self.choice.addItem(f"{code}. {label}", code)
            self.choice.setCurrentIndex(max(0, self.choice.findData(line.value)))
            self.value_stack.setCurrentWidget(self.choice)
        else:
            self.text.setText(line.value if line is not None else "")
            self.value_stack.setCurrentWidget(self.text)
        self._check()

    def _check(self, *_args) -> None:
        line = self.current()
        self.save_button.setEnabled(line is not None and bool(self.reason.text().strip())
                                    and self.value() != line.value)

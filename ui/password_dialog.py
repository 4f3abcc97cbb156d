"""Change one's own password: the old one, the new one twice.

The change runs on the worker (Backend.change_password: argon2id, at least 8 characters, audited);
every other session of the account must then log in again, this one stays. A refusal (a wrong
old password, a short new one) is shown in the dialog, which stays open to try again.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text


class PasswordDialog(QDialog):
    def __init__(self, backend, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend, self.tasks = backend, tasks
        self.setWindowTitle(self.tr("修改密码"))
        self.old = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.new = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.again = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.message = plain_label()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("原密码"), self.old)
        form.addRow(self.tr("新密码（至少 8 个字符）"), self.new)
        form.addRow(self.tr("再输一次新密码"), self.again)
        form.addRow(self.message)
        form.addRow(self.buttons)

    def submit(self) -> None:
        if self.new.text() != self.again.text():
            self.message.setText(self.tr("两次输入的新密码不一致"))
            return
        old, new = self.old.text(), self.new.text()
        self.buttons.setEnabled(False)
        self.message.setText(self.tr("正在保存…"))
        self.tasks.run(lambda: self.backend.change_password(old, new), self._changed,
                       self._refused)

    def _changed(self, _result: object) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(self.tr("密码已修改；其他工作站上的此账户需要重新登录"))
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(error_text(error))

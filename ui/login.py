"""The login window: username and password, checked on the worker thread."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cati.backend import Backend
from cati.errors import CatiError
from cati.services.users import UserInfo
from ui.tasks import TaskRunner


class LoginWindow(QWidget):
    logged_in = Signal(object)  # UserInfo

    def __init__(self, backend: Backend, tasks: TaskRunner) -> None:
        super().__init__()
        self._backend = backend
        self._tasks = tasks
        self.setWindowTitle(self.tr("cati — 登录 Log in"))
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.button = QPushButton(self.tr("登录 Log in"))
        self.button.setDefault(True)
        self.status = QLabel(self.tr("正在打开数据库… Opening the database…"))
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("用户名 Username"), self.username)
        form.addRow(self.tr("密码 Password"), self.password)
        layout = QVBoxLayout(self)
        title = QLabel(self.tr("公众安全感和满意度测评 · 电话访问系统"))
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.button)
        layout.addWidget(self.status)
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.button.setEnabled(False)
        self._tasks.run(self._backend.open, self._opened, self._failed)

    @Slot(object)
    def _opened(self, _result: object) -> None:
        self.status.setText("")
        self.button.setEnabled(True)
        self.username.setFocus()

    @Slot()
    def _submit(self) -> None:
        if not self.button.isEnabled():
            return
        self.button.setEnabled(False)
        self.status.setText(self.tr("正在登录… Logging in…"))
        username, password = self.username.text(), self.password.text()
        self._tasks.run(lambda: self._backend.login(username, password), self._accepted,
                        self._refused)

    def _accepted(self, user: UserInfo) -> None:
        self.status.setText("")
        self.logged_in.emit(user)

    def _refused(self, error: BaseException) -> None:
        self.button.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        self.status.setText(str(error) if isinstance(error, CatiError) else repr(error))

    def _failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("无法打开数据库 Cannot open the database: ") + str(error))

"""The login window: username and password, checked on the worker thread.

With a PostgreSQL URL that names no login (the per-person set-up, README "PostgreSQL") the
username and password are the person's own database login: the database is opened with them at
log-in (Backend.per_person), and no database password is asked for.

For a PostgreSQL server whose URL carries no password, the database password comes from the
system keyring (cati.credentials; looked up on the worker thread); without one there, the window
shows a database-password field, and a "save in the system keyring" box only when a secure
keyring exists. The password lives in the backend's URL in memory and in the keyring, never in
QSettings. A password is tried on a throw-away connection first, so a refused one can be typed
again; a refused keyring password is asked for again too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cati import credentials
from cati.backend import Backend
from cati.errors import CatiError
from cati.services.users import UserInfo
from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text


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
        self.db_password = QLineEdit()
        self.db_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.save_db_password = QCheckBox(self.tr("保存到系统钥匙串 Save in the system keyring"))
        self.button = QPushButton(self.tr("登录 Log in"))
        self.button.setDefault(True)
        self.status = plain_label(self.tr("正在打开数据库… Opening the database…"))
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("用户名 Username"), self.username)
        form.addRow(self.tr("密码 Password"), self.password)
        form.addRow(self.tr("数据库密码 Database password"), self.db_password)
        form.addRow("", self.save_db_password)
        self._db_password_label = form.labelForField(self.db_password)
        layout = QVBoxLayout(self)
        title = plain_label(self.tr("公众安全感和满意度测评 · 电话访问系统"))
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.button)
        layout.addWidget(self.status)
        self.button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.db_password.returnPressed.connect(self._submit)
        self.button.setEnabled(False)
        self._given_url = backend.db_url  # as configured: without a password unless it had one
        self._database_open = False
        self._keyring_usable = False
        self._typed_db_password = ""
        self._show_db_password(False)
        if backend.per_person:
            # Each person's name and password are their own database login: nothing to open
            # before they log in, no shared database password to ask for.
            self._opened(None)
            return
        url = self._given_url
        self._tasks.run(lambda: (credentials.resolve_url(url), credentials.secure_keyring()
                                 is not None), self._resolved, self._failed)

    def _show_db_password(self, shown: bool) -> None:
        for widget in (self.db_password, self._db_password_label):
            widget.setVisible(shown)
        self.save_db_password.setVisible(shown and self._keyring_usable)
        self.save_db_password.setChecked(False)

    @Slot(object)
    def _resolved(self, result: tuple[credentials.ResolvedUrl, bool]) -> None:
        resolved, self._keyring_usable = result
        if resolved.needs_asking:
            self._ask_db_password(self.tr("数据库 {database} 需要密码 The database {database} "
                                          "needs a password").format(
                database=credentials.keyring_key(self._given_url)))
            return
        self._tasks.run(lambda: self._open_with(resolved), self._opened, self._failed)

    def _ask_db_password(self, message: str) -> None:
        self._show_db_password(True)
        self.status.setText(message)
        self.button.setEnabled(True)
        (self.username if not self.username.text() else self.db_password).setFocus()

    def _open_with(self, resolved: credentials.ResolvedUrl, save: bool = False) -> None:
        """On the worker: open the database with the resolved URL (and save a typed password
        in the keyring when asked to, once the server has taken it)."""
        if credentials.needs_password(self._given_url):  # the backend is made once: try first
            credentials.check_connection(resolved.url)
        self._backend.db_url = resolved.url
        self._backend.open()
        if save:
            credentials.save_password(self._given_url, self._typed_db_password)

    @Slot(object)
    def _opened(self, _result: object) -> None:
        self._database_open = True
        self._show_db_password(False)
        self.status.setText("")
        self.button.setEnabled(True)
        self.username.setFocus()

    @Slot()
    def _submit(self) -> None:
        if not self.button.isEnabled():
            return
        if not self._database_open:
            self._connect_then_log_in()
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

    def _connect_then_log_in(self) -> None:
        """The database password was asked for: connect with it, then log in."""
        self.button.setEnabled(False)
        self.status.setText(self.tr("正在连接数据库… Connecting to the database…"))
        self._typed_db_password = self.db_password.text()
        save = self.save_db_password.isChecked() and self._keyring_usable
        resolved = credentials.ResolvedUrl(
            credentials.with_password(self._given_url, self._typed_db_password),
            "asked" if self._typed_db_password else "none")

        def connected(_result: object) -> None:
            self._opened(None)
            if self.username.text():
                self._submit()

        self._tasks.run(lambda: self._open_with(resolved, save), connected, self._failed)

    def _failed(self, error: BaseException) -> None:
        text = self.tr("无法打开数据库 Cannot open the database: ") + error_text(error)
        if credentials.needs_password(self._given_url) and not isinstance(error, CatiError):
            self.db_password.clear()  # refused (or no server): the password can be typed again
            self._ask_db_password(text)
            return
        self.status.setText(text)

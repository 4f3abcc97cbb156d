"""Starting the desktop app: the login window, then the main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from cati.backend import Backend
from ui.login import LoginWindow
from ui.main_window import MainWindow
from ui.tasks import TaskRunner


class CatiApp:
    """Holds the backend, the worker and the open windows for the life of the app."""

    def __init__(self, db_url: str) -> None:
        self.backend = Backend(db_url)
        self.tasks = TaskRunner()
        self.login = LoginWindow(self.backend, self.tasks)
        self.main_window: MainWindow | None = None
        self.login.logged_in.connect(self._open_main)

    def _open_main(self, user) -> None:
        self.main_window = MainWindow(self.backend, self.tasks, user)
        self.main_window.show()
        self.login.close()

    def shutdown(self) -> None:
        self.tasks.shutdown()
        self.backend.close()


def main(db_url: str) -> int:
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName("cati")
    qt_app.setOrganizationName("cati")
    app = CatiApp(db_url)
    app.login.show()
    try:
        return qt_app.exec()
    finally:
        app.shutdown()

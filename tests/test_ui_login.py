"""The first window: log in on the worker thread, then the main window lists the projects."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from cati.services.users import add_user
from cati.storage.db import Database
from ui.app import CatiApp


@pytest.fixture
def app_with_user(qtbot, sqlite_url):
    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        add_user(session, "zhou", "interview-2026", "interviewer", "周")
    database.dispose()
    app = CatiApp(sqlite_url)
    qtbot.addWidget(app.login)
    app.login.show()
    qtbot.waitUntil(app.login.button.isEnabled, timeout=10_000)
    yield app
    if app.main_window is not None:
        app.main_window.close()
    app.shutdown()


def test_wrong_password_says_so_and_stays(qtbot, app_with_user):
    login = app_with_user.login
    qtbot.keyClicks(login.username, "zhou")
    qtbot.keyClicks(login.password, "wrong-password")
    qtbot.mouseClick(login.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wrong username or password" in login.status.text(), timeout=10_000)
    assert app_with_user.main_window is None
    assert login.password.text() == ""


def test_right_password_opens_the_main_window(qtbot, app_with_user):
    login = app_with_user.login
    qtbot.keyClicks(login.username, "zhou")
    qtbot.keyClicks(login.password, "interview-2026")
    qtbot.keyClick(login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app_with_user.main_window is not None, timeout=10_000)
    assert "周" in app_with_user.main_window.windowTitle()

"""Changing one's own password from the window: a wrong old password is refused in the dialog
(which stays open), a right one changes it, and the same account on another workstation must
log in again at its next call, with the new password."""

from __future__ import annotations

import pytest

from cati.backend import Backend
from cati.errors import AuthenticationFailed, SessionExpired
from cati.services.users import add_user
from ui.password_dialog import PasswordDialog
from ui.tasks import TaskRunner


def test_a_password_change_logs_out_the_other_workstations(qtbot, database):
    with database.unit() as session:
        add_user(session, "zhou", "interview-2026", "interviewer", "周")
    here, there = Backend(database.url, "ws-here"), Backend(database.url, "ws-there")
    here.login("zhou", "interview-2026")
    there.login("zhou", "interview-2026")
    tasks = TaskRunner()
    dialog = PasswordDialog(here, tasks)
    qtbot.addWidget(dialog)
    dialog.open()

    dialog.old.setText("not-the-password")
    dialog.new.setText("new-secret-2026")
    dialog.again.setText("new-secret-2026")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: tasks.pending == 0 and dialog.buttons.isEnabled(), timeout=15_000)
    assert dialog.isVisible() and dialog.message.text()
    there.active_projects()  # nothing changed: the other session goes on

    dialog.again.setText("typo-secret-2026")
    dialog.buttons.accepted.emit()
    assert dialog.message.text() == "两次输入的新密码不一致" and tasks.pending == 0

    dialog.old.setText("interview-2026")
    dialog.again.setText("new-secret-2026")
    dialog.buttons.accepted.emit()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15_000)
    here.active_projects()  # the session that changed it stays
    with pytest.raises(SessionExpired):
        there.active_projects()
    with pytest.raises(AuthenticationFailed):
        there.login("zhou", "interview-2026")
    assert there.login("zhou", "new-secret-2026").username == "zhou"
    tasks.shutdown()
    here.close()
    there.close()

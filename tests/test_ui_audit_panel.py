"""The console's audit log tab offscreen, on SQLite and PostgreSQL: it shows what the log holds,
newest first, filters by action, account and dates, loads more on request, exports what the
filters select, shows an interviewer's refusal instead of the log, passes Qt's model tester,
and appears in the console for supervisors."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import QDate
from sqlalchemy import select

from cati.backend import Backend
from cati.services import users
from cati.services.audit import AuditService
from cati.storage.models import AuditEntry
from ui import audit_panel
from ui.audit_panel import AuditPanel
from ui.console_window import ConsoleWindow
from ui.tasks import TaskRunner

WAIT = 15_000
DAY = dt.datetime(2026, 11, 20, 12, 0).astimezone()  # noon, this workstation's time


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def people(database):
    """Users by role, and 7 audit entries: 5 failed logins on DAY, one login a day later, one
    export two days later."""
    with database.unit() as session:
        ids = {role: users.add_user(session, role, "password-123", role).id
               for role in ("supervisor", "interviewer")}
        session.add_all([AuditEntry(user_id=None, at=DAY + dt.timedelta(minutes=n),
                                    action="login_failed", details={"username": "ivan"})
                         for n in range(5)])
        session.add(AuditEntry(user_id=ids["interviewer"], at=DAY + dt.timedelta(days=1),
                               action="login", details={"username": "interviewer"}))
        session.add(AuditEntry(user_id=ids["supervisor"], at=DAY + dt.timedelta(days=2),
                               action="export", details={"with_phone": True}))
    return ids


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT)
    runner.shutdown()


def settle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: panel.tasks.pending == 0, timeout=WAIT)


def column(model, index: int) -> list[str]:
    return [model.index(row, index).data() for row in range(model.rowCount())]


def started(qtbot, panel: AuditPanel) -> AuditPanel:
    qtbot.addWidget(panel)
    panel.show()
    panel.start()
    settle(qtbot, panel)
    return panel


def test_the_panel_shows_filters_pages_exports_and_refuses_interviewers(
        qtbot, qtmodeltester, database, people, tasks, tmp_path, monkeypatch):
    monkeypatch.setattr(audit_panel, "PAGE_SIZE", 4)
    panel = started(qtbot, AuditPanel(AuditService(database, people["supervisor"]), tasks))
    assert column(panel.model, 2) == ["export", "login", "login_failed", "login_failed"]
    assert column(panel.model, 1)[:2] == ["supervisor", "interviewer"]
    assert column(panel.model, 3)[:2] == ["含电话 with_phone: 是", "用户名 username: interviewer"]
    assert panel.model.index(0, 0).data() == f"{DAY + dt.timedelta(days=2):%Y-%m-%d %H:%M:%S}"
    assert panel.more_button.isEnabled() and "7" in panel.status.text()
    panel.more_button.click()
    settle(qtbot, panel)
    assert panel.model.rowCount() == 7 and not panel.more_button.isEnabled()
    qtmodeltester.check(panel.model, force_py=True)

    actions = [panel.action.itemText(i) for i in range(panel.action.count())]
    assert actions[1:] == ["export", "login", "login_failed"]
    panel.action.setCurrentIndex(panel.action.findData("login_failed"))  # refreshes
    settle(qtbot, panel)
    assert column(panel.model, 2) == ["login_failed"] * 4 and panel.total == 5
    panel.action.setCurrentIndex(0)
    panel.user.setText("interviewer")
    panel.refresh()
    settle(qtbot, panel)
    assert column(panel.model, 2) == ["login"]
    panel.user.clear()
    panel.since_on.setChecked(True)
    panel.since.setDate(QDate(DAY.year, DAY.month, DAY.day + 1))
    panel.until_on.setChecked(True)
    panel.until.setDate(QDate(DAY.year, DAY.month, DAY.day + 1))
    panel.refresh()
    settle(qtbot, panel)
    assert column(panel.model, 2) == ["login"]

    out = tmp_path / "audit.csv"
    panel.action.setCurrentIndex(panel.action.findData("login_failed"))
    panel.since_on.setChecked(False)
    panel.until_on.setChecked(False)
    settle(qtbot, panel)
    panel.export(str(out))
    settle(qtbot, panel)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 6 and {row[3] for row in rows[1:]} == {"login_failed"}
    assert "5" in panel.status.text() and panel.export_button.isEnabled()
    with database.unit(immediate=False) as session:
        assert session.scalar(select(AuditEntry.user_id).where(
            AuditEntry.action == "audit_exported")) == people["supervisor"]

    refused = started(qtbot, AuditPanel(AuditService(database, people["interviewer"]), tasks))
    assert refused.model.rowCount() == 0 and "supervisor" in refused.status.text()


def test_the_console_has_the_audit_tab_for_supervisors(qtbot, db_url, database, people, tasks):
    backend = Backend(db_url)
    user = backend.login("supervisor", "password-123")
    with database.unit() as session:
        from cati.config import QUESTIONNAIRE_DIR
        from cati.services.projects import create_project

        create_project(session, "C", QUESTIONNAIRE_DIR / "public_safety.xlsx")
    window = ConsoleWindow(backend, tasks, user)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "audit" in window.panels, timeout=WAIT)
    panel = window.panels["audit"]
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 8, timeout=WAIT)  # 7, and the login
    assert panel.model.index(0, 2).data() == "login"
    window.close()
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=WAIT)
    backend.close()


def test_details_read_as_words_not_json():
    from ui.audit_panel import readable_details

    details = '{"case_ids":[1,2,3,4,5,6,7,8,9,10],"reason":"受访者要求","with_phone":true}'
    shown = readable_details(details)
    assert shown == ("号码 case_ids: 1, 2, 3, 4, 5, 6, 7, 8 … (+2) · 原因 reason: 受访者要求 · "
                     "含电话 with_phone: 是")
    assert "{" not in shown and '"' not in shown
    assert readable_details(details, multiline=True).splitlines()[0] == (
        "号码 case_ids: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10")

"""Assignments in the windows: the console's panel driven by its combo boxes, check box and
buttons; the interviewer's Ready page saying the project is assigned to named interviewers
instead of a silent empty queue, and which assignment it serves."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import insert, select
from test_ui_interviewer_loop import WAIT, key, logged_in, open_zone, wait_state

from cati.backend import Backend
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.services.assignments import add_assignment, list_assignments
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import AuditEntry, Case
from ui.app import CatiApp
from ui.assignments_panel import AssignmentsPanel
from ui.tasks import TaskRunner

GUHUAI, MIAOWAN = "古槐街道", "庙湾镇"


def sample(database, zone: str = "Asia/Shanghai") -> tuple[int, int]:
    """Project LOOP: three numbers of 古槐街道 drawn first, three of 庙湾镇; zhou and wu are
    interviewers. Returns (project id, wu's id)."""
    with database.unit() as session:
        add_user(session, "zhou", "interview-2026", "interviewer", "周")
        wu = add_user(session, "wu", "interview-2026", "interviewer", "吴").id
        project = create_project(session, "LOOP", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380013800{n}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": GUHUAI if n < 3 else MIAOWAN,
             "attributes": {}, "time_zone": zone, "draw": n} for n in range(6)])
    return project.id, wu


@pytest.fixture
def panel(qtbot, database, db_url):
    project, wu = sample(database, open_zone())  # claims below run on the real clock
    backend = Backend(db_url, workstation="ws-console")
    tasks = TaskRunner()
    made = AssignmentsPanel(
        lambda: (backend.assignments(project), backend.assignment_choices(project)),
        lambda user, stratum, only: backend.add_assignment(project, user, stratum=stratum,
                                                           only=only),
        lambda user, stratum: backend.remove_assignment(project, user, stratum=stratum),
        tasks)
    qtbot.addWidget(made)
    made.show()
    made.refresh()
    qtbot.waitUntil(lambda: made.interviewer.count() == 2 and made.scope.count() == 3,
                    timeout=WAIT)
    yield made, project, wu
    tasks.shutdown()
    backend.close()


def test_the_panel_assigns_a_stratum_only_and_removes_it(qtbot, panel, database):
    made, project, wu = panel
    assert [made.interviewer.itemText(i) for i in range(2)] == ["吴 (wu)", "周 (zhou)"]
    assert not made.only.isEnabled()  # the whole project: "only" means nothing there
    made.interviewer.setFocus()
    qtbot.keyClick(made.interviewer, Qt.Key.Key_Down)  # 周 (zhou)
    qtbot.keyClick(made.interviewer, Qt.Key.Key_Up)  # back to 吴 (wu)
    assert made.interviewer.currentData() == "wu"
    made.scope.setFocus()
    qtbot.keyClick(made.scope, Qt.Key.Key_Down)
    qtbot.keyClick(made.scope, Qt.Key.Key_Down)  # 庙湾镇
    assert made.scope.currentText() == MIAOWAN and made.only.isEnabled()
    qtbot.mouseClick(made.only, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(made.changed, timeout=WAIT):
        qtbot.mouseClick(made.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: made.table.rowCount() == 1, timeout=WAIT)
    assert [made.table.item(0, c).text() for c in range(3)] == ["吴 (wu)", MIAOWAN, "是"]
    assert [a.as_json() for a in list_assignments(database, project)] == [
        {"user": "wu", "stratum": MIAOWAN, "only": True}]
    claimed = claim_next_case(database, project, "ws-wu", interviewer_id=wu)
    assert claimed is not None and claimed.stratum == MIAOWAN  # before 古槐街道's numbers

    assert not made.remove_button.isEnabled()
    cell = made.table.visualItemRect(made.table.item(0, 0)).center()
    qtbot.mouseClick(made.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)
    assert made.remove_button.isEnabled()
    with qtbot.waitSignal(made.changed, timeout=WAIT):
        qtbot.mouseClick(made.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: made.table.rowCount() == 0, timeout=WAIT)
    assert list_assignments(database, project) == []
    with database.unit(immediate=False) as session:
        assert session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("assignment_%")).order_by(AuditEntry.id)).all() == [
            "assignment_added", "assignment_removed"]


def test_a_refusal_is_one_line_in_the_panel(qtbot, panel, database):
    made, project, _wu = panel
    with database.unit() as session:  # wu leaves while the panel still lists wu
        from cati.storage.models import User

        session.scalar(select(User).where(User.username == "wu")).active = False
    assert made.interviewer.currentData() == "wu"
    qtbot.mouseClick(made.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: made.status.text().startswith("失败："), timeout=WAIT)
    assert "deactivated" in made.status.text() and "\n" not in made.status.text()
    assert list_assignments(database, project) == []


@pytest.fixture
def app(qtbot, db_url, tmp_path):
    database = Database(db_url)
    database.upgrade()
    project, _wu = sample(database, open_zone())
    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    settings.setValue("interview/auto_next_seconds", 0)
    made = CatiApp(database.url, settings=settings, workstation="ws-zhou", speech=False)
    qtbot.addWidget(made.login)
    made.login.show()
    yield made, database, project
    if made.main_window is not None:
        made.main_window.close()
    made.shutdown()
    database.dispose()


def test_the_ready_page_says_the_project_is_assigned_to_others_and_what_it_serves(qtbot, app):
    made, database, project = app
    add_assignment(database, project, "wu", actor_id=None)
    window = logged_in(qtbot, made)
    page = window.ready_page
    qtbot.waitUntil(lambda: "指派给指定访问员" in page.assignment.text(), timeout=WAIT)
    key(qtbot, page.ready_button, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: "您不在其中" in page.status.text(), timeout=WAIT)
    assert window.case is None

    add_assignment(database, project, "zhou", stratum=MIAOWAN, actor_id=None)
    key(qtbot, page.ready_button, Qt.Key.Key_F12)
    wait_state(qtbot, window, "call")
    assert window.case.stratum == MIAOWAN  # zhou's own township, on wu's project
    key(qtbot, window.call_view, Qt.Key.Key_F5)  # no answer: back to Ready
    wait_state(qtbot, window, "ready")
    qtbot.waitUntil(lambda: MIAOWAN in page.assignment.text(), timeout=WAIT)
    assert "只拨这些分层" in page.assignment.text()

"""The supervisor's console: the live monitor refreshing while a simulated call centre works,
its figures checked against queries written here; interviewers cannot open it."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCharts import QValueAxis
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from sqlalchemy import func, select

from cati.calling.simulate import simulate
from cati.errors import PermissionDenied
from cati.services.demo import create_demo
from cati.services.monitor import snapshot
from cati.services.projects import get_project
from cati.services.quotas import set_quota
from cati.services.users import add_user
from cati.storage.models import CallAttempt, Case, Interview
from ui.app import CatiApp
from ui.console_window import ConsoleWindow
from ui.monitor_panel import MonitorPanel, count_axis
from ui.tasks import TaskRunner

START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
WAIT = 60_000


def test_monitor_follows_a_simulated_call_centre(qtbot, database, db_url):
    with database.unit() as session:
        create_demo(session, cases=400)
        project_id = get_project(session, "DEMO").id
    set_quota(database, project_id, "古槐街道", 3)
    now = START + dt.timedelta(minutes=100)
    tasks = TaskRunner()
    panel = MonitorPanel(lambda: snapshot(database, project_id, now=now), tasks, interval_s=1)
    qtbot.addWidget(panel)
    panel.show()
    shown = []
    panel.refreshed.connect(shown.append)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (simulate(db_url, "DEMO", 3, 90, seed=3,
                                                       speed=450, start=START), done.set()))
    worker.start()
    try:
        # The window refreshes during the run and keeps answering.
        qtbot.waitUntil(lambda: len(shown) >= 2, timeout=WAIT)
        qtbot.waitUntil(done.is_set, timeout=WAIT * 3)
    finally:
        worker.join()
    count = len(shown)
    qtbot.waitUntil(lambda: len(shown) > count + 1, timeout=WAIT)  # one after the run
    with database.unit() as session:
        calls = session.scalar(select(func.count()).select_from(CallAttempt)
                               .where(CallAttempt.disposition.is_not(None)))
        completes = session.scalar(select(func.count()).select_from(CallAttempt)
                                   .where(CallAttempt.disposition == "1.1"))
        refusals = session.scalar(select(func.count()).select_from(CallAttempt)
                                  .where(CallAttempt.disposition.in_(("2.111", "2.112"))))
        fresh = session.scalar(select(func.count()).select_from(Case)
                               .where(Case.state == "fresh"))
        guhuai = session.scalar(select(func.count()).select_from(Interview).where(
            Interview.state == "complete", Interview.stratum == "古槐街道"))
        per_user = dict(session.execute(
            select(CallAttempt.interviewer_id, func.count())
            .where(CallAttempt.disposition.is_not(None))
            .group_by(CallAttempt.interviewer_id)).all())
    today = panel.totals["today"]
    assert calls > 5  # how many depends on the machine: the simulation runs in real time
    assert (today["calls"].text(), today["completes"].text(), today["refusals"].text()) == (
        str(calls), str(completes), str(refusals))
    assert panel.totals["overall"]["calls"].text() == str(calls)
    queue = {panel.queue.item(r, 0).text(): panel.queue.item(r, 1).text()
             for r in range(panel.queue.rowCount())}
    assert queue["未拨"] == str(fresh)
    strata = {panel.strata.item(r, 0).text(): panel.strata.item(r, 1).text()
              for r in range(panel.strata.rowCount())}
    assert strata["古槐街道"] == f"{guhuai} / 3"
    people = {panel.interviewers.item(r, 0).text(): panel.interviewers.item(r, 5).text()
              for r in range(panel.interviewers.rowCount())}
    assert set(people) == {"模拟访问员1", "模拟访问员2", "模拟访问员3"}
    assert sum(per_user.values()) == calls
    # The hourly chart's count axis reaches the busiest hour in whole, distinct labels.
    [axis] = [a for a in panel.chart.axes() if isinstance(a, QValueAxis)]
    busiest = max(n for _, n, _ in shown[-1].hourly)
    assert busiest < axis.max() and (axis.max(), axis.tickCount()) == count_axis(
        busiest + max(1, busiest // 8))  # with room above the busiest bar for its label
    panel.timer.stop()
    tasks.shutdown()


def test_the_count_axis_labels_are_distinct_whole_numbers():
    for largest in range(0, 30_000, 7):
        top, ticks = count_axis(largest)
        step, rest = divmod(top, ticks - 1)
        assert top >= largest and rest == 0 and 2 <= ticks <= 6, largest
        assert top - step < max(1, largest)  # no empty step above the largest
        assert int(str(step).rstrip("0") or "0") in (1, 2, 5), largest


def test_an_interviewer_cannot_open_the_console(qtbot, sqlite_url, tmp_path):
    from cati.storage.db import Database

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        interviewer = add_user(session, "zhou", "interview-2026", "interviewer", "周")
        add_user(session, "boss", "supervise-2026", "supervisor", "督导")
    database.dispose()
    with pytest.raises(PermissionDenied):
        ConsoleWindow(None, None, interviewer)  # refused before anything is built
    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    for username, password, console in (("zhou", "interview-2026", False),
                                        ("boss", "supervise-2026", True)):
        app = CatiApp(sqlite_url, settings=settings, workstation=f"ws-{username}",
                      speech=False)
        qtbot.addWidget(app.login)
        app.login.show()
        qtbot.waitUntil(app.login.button.isEnabled, timeout=10_000)
        qtbot.keyClicks(app.login.username, username)
        qtbot.keyClicks(app.login.password, password)
        qtbot.keyClick(app.login.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda app=app: app.main_window is not None or app.console is not None,
                        timeout=10_000)
        assert (app.console is not None) is console
        assert (app.main_window is not None) is (not console)
        if app.main_window is not None:
            app.main_window.close()
        app.shutdown()


def test_the_monthly_report_button_asks_where_and_writes_off_the_gui_thread(qtbot, sqlite_url, tmp_path):
    import openpyxl

    from cati.backend import Backend
    from cati.storage.db import Database

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_demo(session, cases=50)
        boss = add_user(session, "boss", "supervise-2026", "supervisor", "督导")
    database.dispose()
    backend, tasks = Backend(sqlite_url, "ws-boss"), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: console.project is not None, timeout=10_000)
    out = tmp_path / "monthly-report.xlsx"  # typed: QTest types no Chinese (a person uses an IME)
    console.report_action.trigger()  # the toolbar button, as a supervisor presses it
    dialog = console.report_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setDirectory(str(tmp_path))  # as if the supervisor went to that folder
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    name.selectAll()
    qtbot.keyClicks(name, out.name)
    # the dialog's Save button
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    assert save.isEnabled()
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已保存" in console.statusBar().currentMessage(), timeout=30_000)
    sheets = openpyxl.load_workbook(out).sheetnames
    assert {"样本处置", "意见建议"} <= set(sheets) and len(sheets) > 3
    console.close()
    tasks.shutdown()
    backend.close()


def test_every_panel_follows_a_simulated_call_centre(qtbot, database, db_url):
    """The whole console open while simulated interviewers work: after the run, each panel
    shows what a query written here says."""
    from cati.backend import Backend
    from cati.storage.models import Appointment, Suggestion

    with database.unit() as session:
        create_demo(session, cases=300)
        project_id = get_project(session, "DEMO").id
        boss = add_user(session, "boss", "supervise-2026", "admin", "督导")
    set_quota(database, project_id, "古槐街道", 2)
    backend, tasks, reads = Backend(db_url, "ws-boss"), TaskRunner(), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss, read_tasks=reads)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: set(console.panels) >= {"sample", "appointments", "quotas",
                                                     "settings", "suggestions", "users"},
                    timeout=WAIT)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (simulate(db_url, "DEMO", 3, 60, seed=5,
                                                       speed=450, start=START), done.set()))
    worker.start()
    try:
        qtbot.waitUntil(done.is_set, timeout=WAIT * 3)
    finally:
        worker.join()
    panels = console.panels
    for name in ("appointments", "quotas", "suggestions"):
        panels[name].refresh()
    panels["sample"].model.refresh()
    qtbot.waitUntil(lambda: tasks.pending == 0 and panels["sample"].model.is_idle(),
                    timeout=WAIT)
    with database.unit() as session:
        cases = session.scalar(select(func.count()).select_from(Case))
        open_appointments = session.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.kept_by_attempt_id.is_(None), Appointment.cancelled.is_(False),
            Appointment.missed.is_(False)))
        guhuai = session.scalar(select(func.count()).select_from(Interview).where(
            Interview.state == "complete", Interview.stratum == "古槐街道"))
        suggestions = session.scalar(select(func.count()).select_from(Suggestion))
    assert panels["sample"].model.rowCount() == cases
    assert panels["appointments"].table.rowCount() == open_appointments
    [cell] = [c for c in panels["quotas"].model.cells if c.stratum == "古槐街道"]
    assert (cell.target, cell.completes) == (2, guhuai)
    assert panels["suggestions"].model.rowCount() == suggestions
    console.close()
    tasks.shutdown()
    reads.shutdown()
    backend.close()


def test_the_monitor_says_when_the_project_is_outside_its_calling_hours(qtbot, database):
    with database.unit() as session:
        create_demo(session, cases=20)
        project_id = get_project(session, "DEMO").id
    night = dt.datetime(2026, 12, 7, 19, 0, tzinfo=dt.UTC)  # 03:00 in Beijing
    tasks = TaskRunner()
    panel = MonitorPanel(lambda: snapshot(database, project_id, now=night), tasks, interval_s=60)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    qtbot.waitUntil(lambda: "不在拨打时段" in panel.status.text(), timeout=WAIT)
    assert "09:00" in panel.status.text()
    panel.timer.stop()
    tasks.shutdown()


def test_a_tab_shows_what_changed_elsewhere_when_it_is_opened(qtbot, database, db_url):
    """An appointment booked at an interviewer's desk shows when the supervisor opens the
    appointments tab, and a do-not-call from the sample tab is in the audit tab when it is
    opened: no refresh button pressed."""
    from cati.backend import Backend
    from cati.calling.outcomes import book_appointment
    from cati.calling.queue import claim_next_case

    with database.unit() as session:
        create_demo(session, cases=30)
        project_id = get_project(session, "DEMO").id
        boss = add_user(session, "boss", "supervise-2026", "supervisor", "督导")
    backend, tasks = Backend(db_url, "ws-boss"), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: {"appointments", "audit", "sample"} <= set(console.panels),
                    timeout=WAIT)
    appointments = console.panels["appointments"]
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=WAIT)
    assert appointments.table.rowCount() == 0
    claimed = claim_next_case(database, project_id, "ws-desk", now=START)  # another desk
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    book_appointment(database, claimed.case_id, "ws-desk", window_start=start,
                     window_end=start + dt.timedelta(hours=1))
    console.tabs.setCurrentWidget(appointments)  # the supervisor opens the tab
    qtbot.waitUntil(lambda: appointments.table.rowCount() == 1, timeout=WAIT)

    audit = console.panels["audit"]
    sample = console.panels["sample"]
    console.tabs.setCurrentWidget(sample)
    qtbot.waitUntil(lambda: sample.model.is_idle() and tasks.pending == 0, timeout=WAIT)
    before = audit.model.rowCount()
    sample.table.selectRow(0)
    qtbot.mouseClick(sample.dnc_button, Qt.MouseButton.LeftButton)
    sample.dnc_dialog.setTextValue("本人要求")
    sample.dnc_dialog.accept()
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=WAIT)
    console.tabs.setCurrentWidget(audit)  # the supervisor looks at the audit tab
    qtbot.waitUntil(lambda: audit.model.rowCount() > before, timeout=WAIT)
    assert "sample.add_to_dnc" in [e.action for e in audit.model.entries]
    console.close()
    tasks.shutdown()
    backend.close()


def test_the_productivity_range_ends_on_the_projects_today_not_the_workstations(qtbot):
    """At 00:30 in Beijing a workstation on UTC is still on the day before; the tab's default
    range ends on the project's day. Kiritimati (UTC+14) and Pago Pago (UTC-11) are always on
    different days, so the two panels below differ by one whatever the hour."""
    from ui.productivity_panel import ProductivityPanel

    tasks = TaskRunner()
    ahead = ProductivityPanel(lambda first, last: [], lambda path, rows: path, tasks,
                              "Pacific/Kiritimati")
    behind = ProductivityPanel(lambda first, last: [], lambda path, rows: path, tasks,
                               "Pacific/Pago_Pago")
    for panel in (ahead, behind):
        qtbot.addWidget(panel)
    assert behind.last.date().daysTo(ahead.last.date()) == 1
    assert ahead.last.date().toPython() == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    tasks.shutdown()


def test_the_productivity_tab_shows_each_interviewers_hours_and_exports_them(
        qtbot, database, db_url, tmp_path):
    import openpyxl
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    from cati.backend import Backend
    from cati.services.presence import report_presence

    with database.unit() as session:
        create_demo(session, cases=10)
        project_id = get_project(session, "DEMO").id
        boss = add_user(session, "boss", "supervise-2026", "supervisor", "督导")
        zhou = add_user(session, "zhou", "K7-uohz-2026!", "interviewer", "周")
    now = dt.datetime.now(dt.UTC)
    report_presence(database, "ws-zhou", zhou.id, project_id, "ready",
                    now=now - dt.timedelta(minutes=90))
    report_presence(database, "ws-zhou", zhou.id, project_id, "paused", reason="training",
                    now=now - dt.timedelta(minutes=60))
    report_presence(database, "ws-zhou", zhou.id, project_id, "offline",
                    now=now - dt.timedelta(minutes=30))
    backend, tasks = Backend(db_url, "ws-boss"), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: "productivity" in console.panels, timeout=WAIT)
    panel = console.panels["productivity"]
    console.tabs.setCurrentWidget(panel)  # opening the tab reads it
    qtbot.waitUntil(lambda: panel.table.rowCount() >= 1, timeout=WAIT)
    people = {panel.table.item(r, 2).text() for r in range(panel.table.rowCount())}
    assert people == {"周"}
    hours = sum(float(panel.table.item(r, 3).text()) for r in range(panel.table.rowCount()))
    paused = sum(int(panel.table.item(r, 7).text()) for r in range(panel.table.rowCount()))
    assert (hours, paused) == (1.0, 30)
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    dialog = panel.export_dialog
    dialog.setDirectory(str(tmp_path))
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    name.selectAll()
    qtbot.keyClicks(name, "team.xlsx")
    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(
        QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (tmp_path / "team.xlsx").exists(), timeout=WAIT)
    rows = list(openpyxl.load_workbook(tmp_path / "team.xlsx").active.values)
    assert rows[1][2] == "周"
    console.close()
    tasks.shutdown()
    backend.close()

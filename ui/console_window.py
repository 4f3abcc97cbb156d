"""The supervisor's console: the live monitor and the panels that manage a project.

Opened for supervisors and admins only; an interviewer account is refused (the window raises
PermissionDenied before it shows). Every panel reads and writes through the worker thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QFileDialog, QMainWindow, QTabWidget, QToolBar

from cati.backend import Backend
from cati.errors import PermissionDenied
from cati.services import changes
from cati.services.projects import ProjectInfo
from cati.services.users import UserInfo
from ui.admin_panels import ProjectSettingsPanel, QuotaPanel, UsersPanel
from ui.appointments_panel import AppointmentsPanel
from ui.assignments_panel import AssignmentsPanel
from ui.audit_panel import AuditPanel
from ui.backcheck_panel import BackcheckPanel
from ui.changes import ChangeWatcher
from ui.monitor_panel import MonitorPanel
from ui.password_dialog import PasswordDialog
from ui.plain import plain_label
from ui.productivity_panel import ProductivityPanel
from ui.qc_panel import QcPanel
from ui.sample_panel import SamplePanel
from ui.settings import Preferences, restore_geometry, save_geometry
from ui.suggestions_panel import SuggestionsPanel
from ui.tasks import TaskRunner, error_text
from ui.units_panel import UnitsPanel
from ui.waves_panel import WavesPanel
from ui.web_panel import WebPanel

CONSOLE_ROLES = ("supervisor", "admin")
STALE_TAB_MS = 30_000

# The change-feed topics each tab shows (cati.services.changes): a change to one of them
# re-reads the tab if it is on screen, else when it is next opened.
PANEL_TOPICS: dict[str, frozenset[str]] = {
    "monitor": frozenset({changes.CASES, changes.QUOTAS, changes.SETTINGS,
                          changes.ASSIGNMENTS}),
    "sample": frozenset({changes.CASES}),
    "appointments": frozenset({changes.APPOINTMENTS}),
    "suggestions": frozenset({changes.SUGGESTIONS, changes.UNITS}),
    "units": frozenset({changes.UNITS, changes.SUGGESTIONS}),
    "quotas": frozenset({changes.QUOTAS}),
    "settings": frozenset({changes.SETTINGS}),
    "web": frozenset({changes.WEB}),
    "waves": frozenset({changes.WAVES}),
    "audit": frozenset({changes.AUDIT}),
    "users": frozenset({changes.USERS}),
    "assignments": frozenset({changes.ASSIGNMENTS, changes.USERS}),
    "backcheck": frozenset({changes.BACKCHECK}),
}


class ConsoleWindow(QMainWindow):
    def __init__(self, backend: Backend, tasks: TaskRunner, user: UserInfo, *,
                 prefs: Preferences | None = None, read_tasks: TaskRunner | None = None) -> None:
        if user.role not in CONSOLE_ROLES:
            raise PermissionDenied("only supervisors and admins open the console "
                                   "(督导控制台仅限督导和管理员)")
        super().__init__()
        self.backend, self.tasks, self.user = backend, tasks, user
        # The monitor reads on its own worker, so a refresh never waits behind an action.
        self.read_tasks = read_tasks or tasks
        self.prefs = prefs or Preferences()
        self.project: ProjectInfo | None = None
        self.setWindowTitle(self.tr("cati — 督导控制台 — %1").replace(
            "%1", user.display_name or user.username))
        self.projects = QComboBox()
        self.projects.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.projects.currentIndexChanged.connect(self._project_chosen)
        bar = QToolBar()
        bar.addWidget(plain_label(self.tr("项目 ")))
        bar.addWidget(self.projects)
        self.actions_bar = bar
        self.addToolBar(bar)
        self.import_action = self.add_action(self.tr("导入号码…"), self.open_import)
        self.report_action = self.add_action(self.tr("月度报告…"), self.save_monthly_report)
        self.rule_action = self.add_action(self.tr("指数规则…"), self.open_rule)
        self.rule_dialog = None
        self.password_action = self.add_action(self.tr("修改密码…"), self.change_password)
        self.import_dialog = None
        self.report_dialog: QFileDialog | None = None
        self.tabs = QTabWidget()
        self.tabs.currentChanged.connect(self._tab_shown)
        self.setCentralWidget(self.tabs)
        # The tab in view re-reads what others change (interviewers booking appointments,
        # actions audited at other desks) while it stays open.
        self.stale_timer = QTimer(self)
        self.stale_timer.setInterval(STALE_TAB_MS)
        self.stale_timer.timeout.connect(lambda: self._tab_shown(self.tabs.currentIndex()))
        self.stale_timer.start()
        # Every tab follows the room's audited changes (cati.services.changes): what one tab
        # or another desk changes shows in the tabs that show it, without a refresh button.
        user_id = user.id
        self.watcher = ChangeWatcher(
            lambda cursor: self.backend.changes_since(cursor, user_id), self.read_tasks, self)
        self.watcher.start()
        self.monitor: MonitorPanel | None = None
        self.panels: dict[str, Any] = {}
        self.resize(1280, 820)
        restore_geometry(self, "console")
        self.tasks.run(self.backend.active_projects, self._show_projects)

    def change_password(self) -> PasswordDialog:
        dialog = PasswordDialog(self.backend, self.tasks, self)
        dialog.open()
        return dialog

    def add_action(self, text: str, slot) -> QAction:
        action = QAction(text, self)
        # ``triggered`` passes ``checked``: never let it reach a slot's own parameters
        action.triggered.connect(lambda _checked=False: slot())
        self.actions_bar.addAction(action)
        return action

    def _show_projects(self, projects: list[ProjectInfo]) -> None:
        self.projects.blockSignals(True)
        self.projects.clear()
        for project in projects:
            self.projects.addItem(f"{project.code} · {project.name}", project)
        self.projects.blockSignals(False)
        if projects:
            self._project_chosen(0)

    def _project_chosen(self, index: int) -> None:
        project = self.projects.itemData(index)
        if project is None:
            return
        self.project = project
        self._build_tabs(project)

    def _build_tabs(self, project: ProjectInfo) -> None:
        if self.monitor is not None:
            self.monitor.timer.stop()
        self.tabs.clear()
        self.watcher.forget_views()
        project_id = project.id
        self.monitor = MonitorPanel(lambda: self.backend.monitor_snapshot(project_id),
                                    self.read_tasks,
                                    interval_s=self.prefs.monitor_refresh_seconds)
        self.tabs.addTab(self.monitor, self.tr("实时监控"))
        self.monitor.refresh()
        user_id = self.user.id
        sample = SamplePanel(self.backend.sample_browser(user_id), self.tasks, project_id,
                             user_id)
        self.panels["sample"] = sample
        self.tabs.addTab(sample, self.tr("样本"))
        admin = self.backend.admin_service()
        self.tasks.run(lambda: admin.project_strata(user_id, project_id), sample.set_strata,
                       lambda _e: None)
        appointments = AppointmentsPanel(
            lambda closed: self.backend.list_appointments(project_id, closed),
            lambda appointment_id, start, end: self.backend.move_appointment(
                appointment_id, start, end, user_id=user_id),
            lambda appointment_id: self.backend.cancel_appointment(appointment_id,
                                                                   user_id=user_id),
            self.tasks)
        self.panels["appointments"] = appointments
        self.tabs.addTab(appointments, self.tr("预约"))
        appointments.refresh()
        suggestions = SuggestionsPanel(self.backend.suggestion_service(), self.tasks,
                                       project_id, user_id)
        self.panels["suggestions"] = suggestions
        self.tabs.addTab(suggestions, self.tr("建议"))
        units = UnitsPanel(self.backend.unit_service(), self.tasks, project_id, user_id)
        self.panels["units"] = units
        self.tabs.addTab(units, self.tr("责任单位"))
        quotas = QuotaPanel(admin, self.tasks, project_id, user_id)
        settings = ProjectSettingsPanel(admin, self.tasks, project_id, user_id)
        self.panels.update(quotas=quotas, settings=settings)
        self.tabs.addTab(quotas, self.tr("配额"))
        self.tabs.addTab(settings, self.tr("项目设置"))
        code = project.code
        web = WebPanel(lambda: self.backend.web_activity(code), self.read_tasks)
        self.panels["web"] = web
        self.tabs.addTab(web, self.tr("网上填答"))
        productivity = ProductivityPanel(
            lambda first, last: self.backend.productivity(project_id, first, last),
            self.backend.write_productivity, self.tasks,
            (project.settings or {}).get("time_zone", "Asia/Shanghai"))
        self.panels["productivity"] = productivity
        self.tabs.addTab(productivity, self.tr("绩效"))
        waves = WavesPanel(lambda: self.backend.series_waves(code),
                           lambda: self.backend.close_wave(code), self.tasks, code)
        self.panels["waves"] = waves
        self.tabs.addTab(waves, self.tr("调查期"))
        assignments = AssignmentsPanel(
            lambda: (self.backend.assignments(project_id),
                     self.backend.assignment_choices(project_id)),
            lambda user, stratum, only: self.backend.add_assignment(
                project_id, user, stratum=stratum, only=only),
            lambda user, stratum: self.backend.remove_assignment(project_id, user,
                                                                 stratum=stratum),
            self.tasks)
        self.panels["assignments"] = assignments
        self.tabs.addTab(assignments, self.tr("指派"))
        backcheck = BackcheckPanel(self.backend.backcheck_service(), self.tasks, project_id,
                                   user_id)
        self.panels["backcheck"] = backcheck
        self.tabs.addTab(backcheck, self.tr("复核"))
        listening = QcPanel(self.backend.qc_service(), self.tasks, project_id, user_id)
        self.panels["qc"] = listening
        self.tabs.addTab(listening, self.tr("录音抽查"))
        audit = AuditPanel(self.backend.audit_service(user_id), self.tasks)
        self.panels["audit"] = audit
        self.tabs.addTab(audit, self.tr("审计日志"))
        audit.start()
        # What one tab changes, the others show at once (the watcher reads the feed now).
        for signal in (sample.sample_changed, appointments.changed, suggestions.changed,
                       units.changed, backcheck.changed, assignments.changed,
                       listening.changed):
            signal.connect(self.watcher.poke)
        self._follow_changes()
        if self.user.role == "admin":
            users = UsersPanel(admin, self.tasks, user_id)
            self.panels["users"] = users
            self.tabs.addTab(users, self.tr("用户"))
            self.watcher.follow(users, PANEL_TOPICS["users"])

    def _follow_changes(self) -> None:
        """Each tab follows the topics it shows (PANEL_TOPICS)."""
        if self.monitor is not None:
            self.watcher.follow(self.monitor, PANEL_TOPICS["monitor"])
        for name, panel in self.panels.items():
            topics = PANEL_TOPICS.get(name)
            if topics:
                # The sample's long table is not re-read under the supervisor's selection.
                refresh = panel.model.refresh if name == "sample" else None
                self.watcher.follow(panel, topics, refresh, live=name != "sample")

    # Tabs that read again when shown (and every STALE_TAB_MS while shown): cheap reads only,
    # not the sample's table (its pages load as they scroll) nor the monitor (its own timer).
    REFRESHED_TABS = ("appointments", "audit", "suggestions", "units", "web", "quotas",
                      "productivity", "waves", "backcheck", "assignments", "qc")

    def _tab_shown(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is not None:
            self.watcher.shown(widget)
        for name in self.REFRESHED_TABS:
            panel = self.panels.get(name)
            if panel is not None and panel is widget:
                panel.refresh()

    def save_monthly_report(self) -> QFileDialog | None:
        """Ask where to save the monthly report (a window-modal dialog, not a nested event
        loop), then write it on the worker; the window stays live. The Word 通报 (.docx) is
        offered first, the workbook (.xlsx) second; the file's extension decides which."""
        if self.project is None:
            return None
        word, excel = self.tr("Word 通报 (*.docx)"), self.tr("Excel 数据表 (*.xlsx)")
        dialog = QFileDialog(self, self.tr("保存月度报告"), f"{self.project.code}-月度报告.docx",
                             f"{word};;{excel}")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("docx")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)  # the same everywhere
        dialog.filterSelected.connect(
            lambda chosen: dialog.setDefaultSuffix("xlsx" if chosen == excel else "docx"))
        dialog.fileSelected.connect(self._write_monthly_report)
        self.report_dialog = dialog
        dialog.open()
        return dialog

    def _write_monthly_report(self, path: str) -> None:
        if self.project is None or not path:
            return
        code = self.project.code
        self.statusBar().showMessage(self.tr("正在生成月度报告…"))
        self.tasks.run(lambda: self.backend.write_monthly_report(code, path),
                       lambda written: self.statusBar().showMessage(
                           self.tr("月度报告已保存：") + str(written)),
                       lambda error: self.statusBar().showMessage(
                           self.tr("月度报告失败：") + error_text(error)))

    def open_rule(self):
        """The index rule of the chosen project: view, and change for it or its series."""
        if self.project is None:
            return None
        from ui.rule_dialog import RuleDialog

        self.rule_dialog = RuleDialog(self.backend, self.tasks, self.project.code, self)
        self.rule_dialog.open()
        return self.rule_dialog

    def open_import(self) -> None:
        """The phone-list import dialog for the chosen project (window-modal, not blocking)."""
        if self.project is None:
            return
        from ui.import_dialog import ImportDialog

        dialog = ImportDialog(self.backend.import_service(), self.tasks, self.project.code,
                              self.user.id, self)
        dialog.finished.connect(self._import_closed)
        self.import_dialog = dialog
        dialog.open()

    def _import_closed(self, _result: int) -> None:
        self.import_dialog = None
        if self.monitor is not None:
            self.monitor.refresh()

    def closeEvent(self, event) -> None:
        self.stale_timer.stop()
        self.watcher.stop()
        save_geometry(self, "console")
        if self.monitor is not None:
            self.monitor.timer.stop()
        super().closeEvent(event)




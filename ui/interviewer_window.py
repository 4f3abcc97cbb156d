"""The interviewer's window: choose a project, Ready, take the next call, record its outcome or
run the interview, and on to the next call after a short countdown.

Every database call goes through the TaskRunner (one worker thread, results back by signal);
the GUI thread only walks the in-memory interview engine. An answer is shown as saved, and the
next question appears, only after the worker has committed it (InterviewView's save handshake).

Answers and outcomes go through the workstation's journal (cati.journal): when the database
cannot be reached, the answer is committed to the journal on this workstation instead, the
interview goes on, a banner says that the window is reconnecting, and the journal is written to
the database in order as soon as it is back (tried every RECONNECT_MS). No new case is claimed
while entries wait. When the case went to another workstation meanwhile, the interview ends here
and its unwritten answers stay in the journal for a supervisor (``cati journal list``).

The softphone (ui.softphone, a seat with phone.json): chosen when the project opens; preview
mode shows the case and dials on Ctrl+D (or after the seat's countdown), progressive dials as
soon as the case is claimed. The call's progress is shown on the call screen; an unanswered
ending pre-selects its proposed disposition. Whatever ends the call's coding (an outcome, the
interview's end, an appointment) hangs up first and waits for the call's end (by signal), then
stores the attempt with the call: the machine outcome, SIP status, proposed code and SIP times,
and the recording when the project records (cati.services.recordings). Without phone.json, or
when the softphone cannot start, the window is in manual mode (the tel: link) as before.

Keys: Ready F12 · Pause Ctrl+P · cancel the countdown Esc · field interview Ctrl+N · on the call
screen the outcome keys of the project's disposition table, Start interview F9, Appointment F10,
web link F11, with the softphone Dial Ctrl+D, Hang up Ctrl+H, Enter confirms a proposed outcome ·
in the interview read aloud F5, appointment Ctrl+F10, respondent hung up Ctrl+H.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cati.backend import Backend
from cati.questionnaire.engine import InterviewEngine
from cati.services.clock import utc_now
from cati.services.projects import ProjectInfo
from cati.services.users import UserInfo
from cati.services.workstation import CallInfo, DispositionButton, NoCallReason
from ui.appointment_dialog import AppointmentDialog
from ui.call_view import CallView
from ui.interview_view import InterviewView
from ui.password_dialog import PasswordDialog
from ui.plain import plain_label, plain_tip
from ui.settings import Preferences, restore_geometry, save_geometry
from ui.softphone import Softphone
from ui.tasks import TaskRunner, error_text
from ui.web_handover_dialog import WebHandoverDialog

PRESENCE_MS = 60_000  # "still here" for the supervisor's monitor
# Window states as the monitor names them.
PRESENCE = {"choosing": "ready", "ready": "ready", "claiming": "ready", "paused": "paused",
            "call": "call", "interview": "interviewing"}
HEARTBEAT_MS = 60_000  # lease renewal while a case is open (the lease is 10 minutes)
EMPTY_QUEUE_RETRY_MS = 30_000
RECONNECT_MS = 2_000  # while the journal waits for the database
PARTIAL, BREAK_OFF, QUOTA_FULL, COMPLETE = "1.2", "2.12", "4.80", "1.1"


def local_label(moment, time_zone: str | None) -> str:
    """A time as the respondents' clock reads it: 北京时间 14:00 for China, else with the zone;
    the date too when it is not today there."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(time_zone or "Asia/Shanghai")
    local = moment.astimezone(zone)
    today = utc_now().astimezone(zone).date()
    when = f"{local:%H:%M}" if local.date() == today else f"{local:%m-%d %H:%M}"
    if time_zone in (None, "Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"):
        return QCoreApplication.translate("InterviewerWindow", "北京时间 {when}").format(when=when)
    return f"{when} ({time_zone})"


def no_call_text(why: NoCallReason, tr) -> str:
    """The Ready page's line when the queue handed out nothing: why, and until when."""
    retry = tr("30 秒后再试")
    if why.reason == "outside_hours" and why.next_at is not None:
        return tr("现在不在拨打时段；{at} 开始拨打 · Outside calling hours: calls start at {at}"
                  ).format(at=local_label(why.next_at, why.time_zone))
    if why.reason == "none_due" and why.next_at is not None:
        return tr("暂时没有到时的号码；下一个 {at} 到时 · Nothing due now: the next number is "
                  "due at {at}").format(at=local_label(why.next_at, why.time_zone))
    if why.reason == "paused":
        return tr("项目已暂停，督导恢复后才能取号 · The project is paused by the supervisor")
    if why.reason == "closed":
        return tr("项目已结束 · The project is closed")
    if why.reason == "none_left":
        return tr("本项目已没有可拨的号码 · No numbers left to call in this project")
    return tr("可拨的号码都在其他坐席或配额已满，{retry} · Every callable number is held by "
              "another workstation or its quota is full").format(retry=retry)


class ReadyPage(QWidget):
    """Between calls: Ready / Pause, the countdown to the next call, field interviews."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = plain_label()
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setWordWrap(True)
        font = QFont(self.status.font())
        font.setPointSize(18)
        self.status.setFont(font)
        self.ready_button = QPushButton(self.tr("就绪 · 取下一个号码 (F12)"))
        self.ready_button.setMinimumHeight(64)
        self.pause_button = QPushButton(self.tr("暂停 (Ctrl+P)"))
        self.pause_button.setCheckable(True)
        self.pause_reason = QComboBox()  # why: the supervisor's monitor and history show it
        for reason, label in (("break", self.tr("休息")), ("training", self.tr("培训")),
                              ("meeting", self.tr("会议")), ("other", self.tr("其他"))):
            self.pause_reason.addItem(label, reason)
        self.cancel_button = QPushButton(self.tr("取消自动拨号 (Esc)"))
        self.field_button = QPushButton(self.tr("实地访问 · 不经电话 (Ctrl+N)"))
        self.today = plain_label()  # the interviewer's own figures today
        self.today.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.today.setObjectName("myDay")
        self.assignment = plain_label()  # which assignment this interviewer's calls serve
        self.assignment.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.assignment.setObjectName("assignment")
        self.assignment.setWordWrap(True)
        row = QHBoxLayout()
        for button in (self.pause_button, self.pause_reason, self.cancel_button,
                       self.field_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addWidget(self.ready_button)
        layout.addLayout(row)
        layout.addWidget(self.today)
        layout.addWidget(self.assignment)
        layout.addStretch(2)
        self.cancel_button.hide()


class ProjectPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = plain_label(self.tr("请选择项目"))
        self.projects = QListWidget()
        self.choose = QPushButton(self.tr("进入项目"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.projects)
        layout.addWidget(self.choose)


class InterviewPage(QWidget):
    """The interview view with the actions a phone interview needs around it."""

    def __init__(self, view: InterviewView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.read_button = QPushButton(self.tr("朗读 (F5)"))
        self.appointment_button = QPushButton(self.tr("约访 (Ctrl+F10)"))
        self.hangup_button = QPushButton(self.tr("对方挂断 (Ctrl+H)"))
        self.phone_label = plain_label()
        font = QFont(self.phone_label.font())
        font.setPointSize(16)
        font.setBold(True)
        self.phone_label.setFont(font)
        bar = QHBoxLayout()
        bar.addWidget(self.phone_label, 1)
        for button in (self.read_button, self.appointment_button, self.hangup_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(view, 1)


class InterviewerWindow(QMainWindow):
    """One interviewer's session. ``speaker`` is a ui.speech.Speaker or None (no engine)."""

    state_changed = Signal(str)  # choosing | ready | paused | claiming | call | interview

    def __init__(self, backend: Backend, tasks: TaskRunner, user: UserInfo, *,
                 prefs: Preferences | None = None, speaker: Any = None,
                 speech_problem: str = "", settings: QSettings | None = None) -> None:
        super().__init__()
        self.backend, self.tasks, self.user = backend, tasks, user
        self.assignment_scope = None  # the project's named interviewers, as they concern me
        self.prefs = prefs or Preferences()
        self.speaker = speaker
        self.speech_problem = speech_problem
        self.voices: list = []
        self.settings = settings
        self.setWindowTitle(self.tr("cati — 访问员 %1").replace("%1", user.display_name
                                                                 or user.username))
        self.project: ProjectInfo | None = None
        self.form = None
        self.buttons: list[DispositionButton] = []
        self.case: CallInfo | None = None
        self.interview = None  # InterviewInfo
        self.engine: InterviewEngine | None = None
        self.call_started_at: dt.datetime | None = None
        self.first_claim = True
        self.paused = False
        self.state = "choosing"
        self.countdown_left = 0
        self.quota_message = ""
        self.logged_in_at = utc_now()
        self.web_confirm: QMessageBox | None = None
        self.hangup_box: QMessageBox | None = None
        self.appointment_dialog: AppointmentDialog | None = None
        self.web_dialog: WebHandoverDialog | None = None
        self.softphone: Softphone | None = None
        self.phone_project = None  # cati.services.phone_settings.PhoneProjectSettings
        self.call_result = None  # the held case's call, once it ended (CallResult)
        self._after_call: Callable[[], None] | None = None  # waits for the call's end
        self.dialled_case: int | None = None  # the case the softphone's call is for
        self._dial_when_free = False  # a case to dial once the previous call has ended

        self.pages = QStackedWidget()
        self.project_page = ProjectPage()
        self.ready_page = ReadyPage()
        self.call_view = CallView()
        self.interview_view = InterviewView()
        self.interview_view.set_font_point_size(self.prefs.question_font_pt)
        self.interview_page = InterviewPage(self.interview_view)
        for page in (self.project_page, self.ready_page, self.call_view, self.interview_page):
            self.pages.addWidget(page)
        self.connection_banner = plain_label()
        self.connection_banner.setWordWrap(True)
        self.connection_banner.setStyleSheet(
            "background: #fff3cd; color: #664d03; padding: 6px; font-weight: bold;")
        self.connection_banner.hide()
        # Another window of this account runs on this machine: say what that means (made at
        # log-in on the worker; reading it here is no I/O).
        self.window_note = plain_label(backend.window_note)
        self.window_note.setWordWrap(True)
        self.window_note.setStyleSheet("background: #cff4fc; color: #055160; padding: 6px;")
        self.window_note.setVisible(bool(backend.window_note))
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.window_note)
        column.addWidget(self.connection_banner)
        column.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.journal_waiting = 0  # entries the database has not taken yet
        self._writing_journal = False
        self.busy_label = plain_label()
        self.statusBar().addPermanentWidget(self.busy_label)

        self._countdown = QTimer(self, interval=1000)
        self._countdown.timeout.connect(self._tick)
        self._heartbeat = QTimer(self, interval=HEARTBEAT_MS)
        self._heartbeat.timeout.connect(self._renew)
        self._retry = QTimer(self, singleShot=True, interval=EMPTY_QUEUE_RETRY_MS)
        self._retry.timeout.connect(self._auto_claim)
        self._presence = QTimer(self, interval=PRESENCE_MS)
        self._presence.timeout.connect(self._report_presence)
        self._presence.start()
        self._reconnect = QTimer(self, interval=RECONNECT_MS)
        self._reconnect.timeout.connect(self._write_journal)
        self._wire()
        self._set_state("choosing")
        self.resize(1100, 760)
        restore_geometry(self, "interviewer", self.settings)  # QSettings, not the database
        self._run(self.backend.active_projects, self._show_projects)
        self._write_journal()  # what a previous session could not write

    # -- wiring ------------------------------------------------------------------------------
    def _wire(self) -> None:
        self.project_page.choose.clicked.connect(self._choose_project)
        self.project_page.projects.itemActivated.connect(lambda _item: self._choose_project())
        ready = self.ready_page
        ready.ready_button.clicked.connect(self.ready)
        ready.pause_button.toggled.connect(self.set_paused)
        ready.pause_reason.currentIndexChanged.connect(
            lambda _index: self._report_presence() if self.state == "paused" else None)
        ready.cancel_button.clicked.connect(self.cancel_countdown)
        ready.field_button.clicked.connect(self.start_field_interview)
        self._shortcut("F12", self.ready, self.ready_page)
        self._shortcut("Ctrl+P", ready.pause_button.toggle, self.ready_page)
        self._shortcut("Esc", self.cancel_countdown, self.ready_page)
        self._shortcut("Ctrl+N", self.start_field_interview, self.ready_page)
        self.call_view.outcome_chosen.connect(self._outcome_chosen)
        self.call_view.start_interview.connect(self.start_interview)
        self.call_view.appointment_chosen.connect(self._appointment_chosen)
        self.call_view.web_chosen.connect(self.hand_over_to_web)
        self.call_view.dial_requested.connect(self.dial)
        self.call_view.hang_up_requested.connect(self.hang_up)
        view = self.interview_view
        view.save_requested.connect(self._save)
        view.finished.connect(self._interview_finished)
        view.closing_read.connect(lambda: self._end_interview(QUOTA_FULL))
        page = self.interview_page
        page.read_button.clicked.connect(self.read_aloud)
        page.appointment_button.clicked.connect(self._appointment_in_interview)
        page.hangup_button.clicked.connect(self.respondent_hung_up)
        self._shortcut("F5", self.read_aloud, page)
        self._shortcut("Ctrl+F10", self._appointment_in_interview, page)
        self._shortcut("Ctrl+H", self.respondent_hung_up, page)
        if self.speaker is None:
            self.set_speech_problem(self.speech_problem or self.tr("朗读不可用"))
        settings_action = QAction(self.tr("设置…"), self)
        settings_action.triggered.connect(self.open_settings)
        self.menuBar().addAction(settings_action)
        password_action = QAction(self.tr("修改密码…"), self)
        password_action.triggered.connect(self.change_password)
        self.menuBar().addAction(password_action)

    def set_speaker(self, speaker: Any, voices: list | None = None) -> None:
        """The speech engine is ready (probed off the GUI thread after login)."""
        self.speaker = speaker
        self.voices = list(voices or [])
        self.interview_page.read_button.setEnabled(True)
        self.interview_page.read_button.setToolTip(self.tr("朗读当前问题和选项 (F5)"))
        failed = getattr(speaker, "failed", None)
        if failed is not None:  # no sound device, a voice gone …: said, never silent
            failed.connect(self._speech_failed)

    @Slot(str)
    def _speech_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)
        self.interview_page.read_button.setToolTip(plain_tip(message))

    def set_speech_problem(self, problem: str) -> None:
        """No speech engine: the read-aloud button is disabled and says what to install."""
        self.interview_page.read_button.setEnabled(False)
        self.interview_page.read_button.setToolTip(plain_tip(problem))

    def _shortcut(self, keys: str, slot: Callable[[], object], page: QWidget) -> None:
        shortcut = QShortcut(QKeySequence(keys), page)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(slot)

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None],
             waiting: str = "") -> None:
        """Run database work on the worker; the window shows that it waits and stays live."""
        self.busy_label.setText(waiting or self.tr("正在处理…"))

        def finished(result: Any) -> None:
            self.busy_label.setText("")
            done(result)

        self.tasks.run(work, finished, self._failed)

    def _failed(self, error: BaseException) -> None:
        self.busy_label.setText("")
        self.call_view.set_busy(False)
        self.statusBar().showMessage(self.tr("出错：") + error_text(error))
        if self.state == "claiming":
            self._set_state("ready")
            self.ready_page.status.setText(self.tr("取号失败：") + error_text(error))

    def _set_state(self, state: str) -> None:
        self.state = state
        page = {"choosing": self.project_page, "ready": self.ready_page,
                "paused": self.ready_page, "claiming": self.ready_page,
                "call": self.call_view, "interview": self.interview_page}[state]
        self.pages.setCurrentWidget(page)
        self.ready_page.ready_button.setEnabled(state in ("ready", "paused"))
        focus = {"ready": self.ready_page.ready_button, "paused": self.ready_page.ready_button,
                 "call": self.call_view, "choosing": self.project_page.projects}.get(state)
        if focus is not None:
            focus.setFocus()
        self._report_presence()
        if state == "ready" and self.project is not None:
            project_id = self.project.id
            self.tasks.run(lambda: self.backend.my_day(project_id), self._show_my_day,
                           lambda _error: None)
            user_id = self.user.id
            self.tasks.run(lambda: self.backend.assignment_scope(project_id, user_id),
                           self._show_assignment, lambda _error: None)
        self.state_changed.emit(state)

    def _show_assignment(self, scope) -> None:
        self.assignment_scope = scope
        self.ready_page.assignment.setText(self._assignment_text(scope))

    def _assignment_text(self, scope) -> str:
        """The Ready page's line on the project's named interviewers (cati.services.assignments);
        "" when the project assigns nobody."""
        if scope is None or not scope.applies:
            return ""
        if scope.refused:
            return self.tr("本项目已指派给指定访问员，您不在其中；如需拨打请联系督导")
        strata = "、".join(scope.mine)
        if scope.mine and scope.only:
            return self.tr("您被指派到：{strata}（只拨这些分层）").format(strata=strata)
        if scope.mine:
            return self.tr("您被指派到：{strata}（优先拨打）").format(strata=strata)
        if scope.restricted:
            return self.tr("本项目指派给指定访问员，您是其中之一")
        return ""

    def _show_my_day(self, day) -> None:
        online = utc_now() - self.logged_in_at
        hours, minutes = divmod(int(online.total_seconds() // 60), 60)
        self.ready_page.today.setText(self.tr(
            "今日：拨打 {calls} · 接通 {contacts} · 完成 {completes} · 访问 {minutes} 分钟 · "
            "在线 {hours}:{mins:02d}").format(
                calls=day.calls, contacts=day.contacts, completes=day.completes,
                minutes=f"{day.interview_minutes:.0f}", hours=hours, mins=minutes))

    def _report_presence(self, state: str | None = None) -> None:
        """Tell the monitor what this workstation is doing (fire and forget, on the worker)."""
        shown = state or PRESENCE[self.state]
        project_id = self.project.id if self.project else None
        case_id = self.case.case_id if self.case and shown in ("call", "interviewing") else None
        reason = self.ready_page.pause_reason.currentData() if shown == "paused" else ""
        user_id = self.user.id
        self.tasks.run(lambda: self.backend.report_presence(user_id, project_id, shown, case_id,
                                                            reason),
                       lambda _r: None, lambda _e: None)

    # -- project -----------------------------------------------------------------------------
    def _show_projects(self, projects: list[ProjectInfo]) -> None:
        listing = self.project_page.projects
        listing.clear()
        for project in projects:
            item = QListWidgetItem(f"{project.code} · {project.name} · {project.cases}")
            item.setData(Qt.ItemDataRole.UserRole, project)
            listing.addItem(item)
        if not projects:
            self.project_page.heading.setText(self.tr("没有进行中的项目"))
            return
        listing.setCurrentRow(0)
        if len(projects) == 1:
            self._choose_project()

    def _choose_project(self) -> None:
        item = self.project_page.projects.currentItem()
        if item is None:
            return
        project: ProjectInfo = item.data(Qt.ItemDataRole.UserRole)
        self.project = project

        def load() -> tuple[Any, list[DispositionButton]]:
            return self.backend.project_form(project.id), self.backend.call_buttons(project.id)

        self._run(load, self._project_loaded, self.tr("正在打开项目…"))

    def _project_loaded(self, loaded: tuple[Any, list[DispositionButton]]) -> None:
        self.form, self.buttons = loaded
        assert self.project is not None
        self.setWindowTitle(f"cati — {self.project.name} — "
                            f"{self.user.display_name or self.user.username}")
        self._set_state("ready")
        self.ready_page.status.setText(self.tr("准备好后按“就绪”取下一个号码"))
        code = self.project.code
        self.tasks.run(lambda: self.backend.phone_setup(code), self._phone_setup,
                       lambda error: self.statusBar().showMessage(
                           self.tr("软电话设置有误,用话机拨打:") + error_text(error)))

    # -- the softphone -----------------------------------------------------------------------
    def _phone_setup(self, setup) -> None:
        seat, project = setup
        self.phone_project = project
        if seat is None or not seat.has_account or self.softphone is not None:
            return  # manual mode: the interviewer dials on the desk phone
        phone = Softphone(seat, record=project.record_calls, parent=self)
        phone.ready.connect(lambda: self.statusBar().showMessage(
            self.tr("软电话已就绪 {aor}").format(aor=seat.aor), 10_000))
        phone.start_failed.connect(self._phone_start_failed)
        phone.progress.connect(self._call_progress)
        phone.finished.connect(self._call_finished)
        phone.failed.connect(self._call_failed)
        self.softphone = phone

    def _phone_start_failed(self, message: str) -> None:
        self.softphone = None
        self.statusBar().showMessage(self.tr("软电话未能启动,用话机拨打:") + message)

    @property
    def phone_on(self) -> bool:
        return self.softphone is not None and self.softphone.is_ready

    @Slot()
    def dial(self) -> None:
        """Dial the held case's number through the softphone."""
        phone, case, project = self.softphone, self.case, self.phone_project
        if not self.phone_on or case is None or self.state != "call" \
                or self.call_result is not None or project is None \
                or self.dialled_case == case.case_id:
            return
        if phone.in_call:  # the previous case's line is still being hung up
            self._dial_when_free = True
            phone.hang_up()
            return
        from cati.telephony.dialing import dial_uri

        try:
            digits = phone.settings.dial_plan({"dialing": project.dialing}).digits(
                case.phone_e164)
        except Exception as exc:  # a number the plan cannot dial: dialled by hand
            self.call_view.call_progress("failed", None, error_text(exc))
            return
        self.dialled_case = case.case_id
        phone.dial(dial_uri(digits, phone.settings.domain), record_to=phone.recording_target(),
                   no_answer_after=project.no_answer_after_s,
                   outcome_settings={"call_outcome_dispositions": project.proposals},
                   tag=case.case_id)

    def _mine(self, tag) -> bool:
        """Whether a call's signal is of the held case's call (not of an earlier case's)."""
        return self.case is not None and tag == self.case.case_id == self.dialled_case

    @Slot()
    def hang_up(self) -> None:
        if self.softphone is not None:
            self.softphone.hang_up()

    def _call_progress(self, tag, stage: str, at) -> None:
        if not self._mine(tag) or stage == "ended":
            return  # "ended" is shown with its reason when the result comes
        self.call_view.call_progress(stage, at)

    def _call_finished(self, tag, result) -> None:
        if not self._mine(tag):  # an earlier case's call (the web link's): nothing takes it
            if result.recording is not None:  # no attempt will hold it: not kept
                path = result.recording.path
                self.tasks.run(lambda: Path(path).unlink(missing_ok=True), lambda _r: None,
                               lambda _e: None)
            self._dial_next_if_waiting()
            return
        self.call_result = result
        self.call_view.call_progress("ended", result.ended_at, self._ending_text(result))
        after, self._after_call = self._after_call, None
        if after is not None:
            after()
            return
        if self.state == "interview":
            self.statusBar().showMessage(self.tr("通话已结束(对方挂断) · The call ended"),
                                         15_000)
        elif result.outcome != "answered":
            self.call_view.propose(result.proposed_disposition)

    def _dial_next_if_waiting(self) -> None:
        if self._dial_when_free:
            self._dial_when_free = False
            self.dial()

    def _call_failed(self, tag, message: str) -> None:
        if not self._mine(tag):
            self._dial_next_if_waiting()
            return
        self.call_view.call_progress("failed", None, message)
        after, self._after_call = self._after_call, None
        if after is not None:
            after()

    def _ending_text(self, result) -> str:
        names = {"answered": self.tr("通话结束"), "busy": self.tr("忙音"),
                 "no_answer": self.tr("无人接听"), "rejected": self.tr("被拒接"),
                 "not_found": self.tr("空号"), "failed": self.tr("未能接通")}
        text = names.get(result.outcome, result.outcome)
        if result.reason:
            text += f" ({result.reason})"
        return text

    def _when_call_over(self, then: Callable[[], None]) -> bool:
        """A call still up: hang it up and run ``then`` when it has ended (True); else False."""
        if self.softphone is None or not self.softphone.in_call:
            return False
        self._after_call = then
        self.call_view.set_busy(True, self.tr("正在挂断…"))
        self.softphone.hang_up()
        return True

    def _finished_call(self):
        """The held case's call as the attempt stores it, or None (not dialled here)."""
        result, project = self.call_result, self.project
        if result is None or project is None:
            return None
        from cati.services.recordings import CallFacts, FinishedCall

        return FinishedCall(CallFacts.from_result(result),
                            result.recording.path if result.recording else None, project.code)

    # -- ready, pause, countdown --------------------------------------------------------------
    @Slot()
    def ready(self) -> None:
        if self.state not in ("ready", "paused") or self.project is None:
            return
        if self.paused:
            self.ready_page.pause_button.setChecked(False)
        self.cancel_countdown()
        self._claim()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self.cancel_countdown()
            self._retry.stop()
            if self.state in ("ready", "paused"):
                self._set_state("paused")
                self.ready_page.status.setText(self.tr("已暂停：不再自动取号"))
        elif self.state == "paused":
            self._set_state("ready")
            self.ready_page.status.setText(self.tr("准备好后按“就绪”取下一个号码"))

    def cancel_countdown(self) -> None:
        if self._countdown.isActive():
            self._countdown.stop()
            self.ready_page.status.setText(self.tr("已取消自动拨号；按“就绪”继续"))
        self.ready_page.cancel_button.hide()

    def _start_countdown(self) -> None:
        seconds = self.prefs.auto_next_seconds
        if self.paused or seconds <= 0:
            return
        self.countdown_left = seconds
        self.ready_page.cancel_button.show()
        self._show_countdown()
        self._countdown.start()

    def _show_countdown(self) -> None:
        self.ready_page.status.setText(
            self.tr("%1 秒后自动取下一个号码（Esc 取消）").replace("%1", str(self.countdown_left)))

    def _tick(self) -> None:
        self.countdown_left -= 1
        if self.countdown_left > 0:
            self._show_countdown()
            return
        self._countdown.stop()
        self.ready_page.cancel_button.hide()
        self._auto_claim()

    def _auto_claim(self) -> None:
        if self.state == "ready" and not self.paused:
            self._claim()

    # -- the call ----------------------------------------------------------------------------
    def _claim(self) -> None:
        if self.journal_waiting:
            self.ready_page.status.setText(self.tr("数据库恢复、本机记录写入后再取号"))
            return
        assert self.project is not None
        project_id, user_id, take_back = self.project.id, self.user.id, self.first_claim
        self._set_state("claiming")
        self.ready_page.status.setText(self.tr("正在取号…"))
        self._run(lambda: self.backend.next_call(project_id, user_id, take_back=take_back),
                  self._got_call, self.tr("正在取号…"))

    def _got_call(self, info: CallInfo | None) -> None:
        take_back, self.first_claim = self.first_claim, False
        if info is None:
            self._set_state("ready")
            self.ready_page.status.setText(self.tr("暂时没有可拨的号码，30 秒后再试"))
            self._retry.start()
            if self.project is not None:  # why, and until when (read on the worker)
                project_id = self.project.id
                self.tasks.run(lambda: self.backend.why_no_call(project_id),
                               self._show_no_call, lambda _error: None)
            return
        self.case = info
        self.call_started_at = utc_now()
        self._heartbeat.start()
        self.call_result, self._after_call = None, None
        self.call_view.set_phone_mode(self.phone_on)
        self.call_view.show_call(info, self.buttons)
        self._set_state("call")
        if self.phone_on:
            seat = self.softphone.settings
            if seat.dial_mode == "progressive":
                self.call_view.phone_idle()
                self.dial()
            else:
                self.call_view.phone_idle(int(seat.auto_dial_s))
        if take_back and info.interview_id is not None:
            self.start_interview()  # the window was killed mid-interview: straight back in

    def _show_no_call(self, why) -> None:
        if self.state != "ready":
            return
        scope = self.assignment_scope
        if scope is not None and scope.refused and why.reason not in ("paused", "closed"):
            self.ready_page.status.setText(self._assignment_text(scope))
            return
        self.ready_page.status.setText(no_call_text(why, self.tr))

    def _renew(self) -> None:
        if self.case is None:
            self._heartbeat.stop()
            return
        case_id = self.case.case_id
        self.tasks.run(lambda: self.backend.renew_lease(case_id), self._renewed, self._failed)

    def _renewed(self, held: bool) -> None:
        if not held:
            self.statusBar().showMessage(self.tr("本机已不再持有该号码（租约已过期）；请联系督导"))

    def _outcome_chosen(self, code: str, note: str) -> None:
        if self.case is None:
            return
        if self._when_call_over(lambda: self._outcome_chosen(code, note)):
            return
        case_id, started, call = self.case.case_id, self.call_started_at, self._finished_call()
        self.call_view.set_busy(True, self.tr("正在保存…"))
        self._run(lambda: self.backend.record_outcome_journaled(
            case_id, code, interviewer_id=self.user.id, note=note, started_at=started,
            call=call), self._outcome_kept, self.tr("正在保存…"))

    def _appointment_chosen(self, start: dt.datetime, end: dt.datetime, hard: bool,
                            note: str) -> None:
        if self.case is None:
            return
        if self._when_call_over(lambda: self._appointment_chosen(start, end, hard, note)):
            return
        case_id, started, call = self.case.case_id, self.call_started_at, self._finished_call()
        user_id = self.user.id
        self.call_view.set_busy(True, self.tr("正在保存预约…"))

        def book():
            booked = self.backend.book_appointment(
                case_id, start, end, hard=hard, note=note, interviewer_id=user_id,
                started_at=started)
            if call is not None:
                self.backend.store_call(booked.attempt_id, call, user_id=user_id)
            return booked

        self._run(book, lambda _result: self._call_done(), self.tr("正在保存预约…"))

    def _outcome_kept(self, flushed) -> None:
        self._journal_state(flushed)
        if flushed.refused:
            self._case_lost(flushed.refused)
        else:
            self._call_done()

    # -- the journal while the database is away ----------------------------------------------
    def _journal_state(self, flushed) -> None:
        """Show whether entries wait for the database, and keep trying while they do."""
        was_waiting = self.journal_waiting
        self.journal_waiting = flushed.waiting
        if flushed.waiting:
            heading = (self.tr("数据库连接中断，正在重连…本机已保存 %1 条记录，恢复后自动写入。")
                       if flushed.cut_off else
                       self.tr("数据库暂时不能写入，正在重试…本机已保存 %1 条记录，恢复后自动写入。"))
            self.connection_banner.setText(heading.replace("%1", str(flushed.waiting)) + "\n"
                                           + flushed.offline)
            self.connection_banner.show()
            if not self._reconnect.isActive():
                self._reconnect.start()
            return
        self._reconnect.stop()
        self.connection_banner.hide()
        if was_waiting:
            self.statusBar().showMessage(self.tr("数据库已恢复，本机记录已全部写入"), 10_000)
            if self.state == "ready" and not self.paused and self.prefs.auto_next_seconds > 0:
                self._start_countdown()

    def _write_journal(self) -> None:
        if self._writing_journal:
            return
        self._writing_journal = True

        def done(flushed) -> None:
            self._writing_journal = False
            self._journal_state(flushed)
            if flushed.refused and self.case is not None:
                self._case_lost(flushed.refused)

        def failed(error: BaseException) -> None:
            self._writing_journal = False
            self.connection_banner.setText(self.tr("本机记录写入失败：") + error_text(error))
            self.connection_banner.show()

        self.tasks.run(self.backend.write_journal, done, failed)

    def _case_lost(self, reason: str) -> None:
        """The case went to another workstation while this one was cut off: end here; the
        unwritten answers stay in the journal for a supervisor."""
        self.cancel_countdown()
        self._call_done()
        self.cancel_countdown()
        message = self.tr("该号码已由其他座席接手（断线期间租约已过期）。本机未写入的答案已保存在"
                          "本机日志中，请联系督导合并。") + " " + reason
        self.ready_page.status.setText(message)
        self.statusBar().showMessage(message)

    @Slot()
    def hand_over_to_web(self) -> None:
        """The respondent prefers the web (F11): the call is stored, the case waits for the
        web interview, and the dialog shows the link and the text message to send."""
        if self.case is None or self.state != "call" or self.web_confirm is not None:
            return
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("转为网上填答"))
        box.setText(self.tr("受访者愿意在网上填答吗？将生成只限本人使用的链接，本号码在链接有效期内不再拨打。"))
        send = box.addButton(self.tr("生成链接"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(send)

        def chosen(button) -> None:
            self.web_confirm = None
            if button is send:
                self._make_web_link()

        box.buttonClicked.connect(chosen)
        self.web_confirm = box
        box.open()  # window-modal; the event loop is not nested

    def _make_web_link(self) -> None:
        if self.case is None or self.state != "call":
            return
        case_id, started = self.case.case_id, self.call_started_at
        self.call_view.set_busy(True, self.tr("正在生成网上填答链接…"))
        self._run(lambda: self.backend.hand_over_to_web(case_id, interviewer_id=self.user.id,
                                                        started_at=started),
                  self._handed_over, self.tr("正在生成网上填答链接…"))

    def _handed_over(self, handover) -> None:
        expires = handover.invitation.expires_at.astimezone().strftime("%Y-%m-%d %H:%M")
        dialog = WebHandoverDialog(handover.url, handover.sms, expires, self)
        self.web_dialog = dialog

        def closed(_result: int) -> None:
            self.web_dialog = None
            self._call_done()

        dialog.finished.connect(closed)
        dialog.open()

    def _call_done(self) -> None:
        if self.softphone is not None and self.softphone.in_call:
            self.softphone.hang_up()  # never leave a line open behind the next case
        self.call_result, self._after_call = None, None
        self.dialled_case, self._dial_when_free = None, False
        self._heartbeat.stop()
        self.case = None
        self.interview = None
        self.engine = None
        self.call_view.set_busy(False)
        self.call_view.clear()
        self._set_state("paused" if self.paused else "ready")
        if self.paused:
            self.ready_page.status.setText(self.tr("已暂停：不再自动取号"))
        elif self.prefs.auto_next_seconds > 0:
            self._start_countdown()
        else:
            self.ready_page.status.setText(self.tr("准备好后按“就绪”取下一个号码"))

    # -- the interview -----------------------------------------------------------------------
    @Slot()
    def start_interview(self) -> None:
        if self.case is None or self.project is None or self.state != "call":
            return
        project_id, case_id = self.project.id, self.case.case_id
        self.call_view.set_busy(True, self.tr("正在打开问卷…"))
        self._run(lambda: self.backend.open_interview(project_id, case_id=case_id,
                                                      interviewer_id=self.user.id),
                  self._interview_opened, self.tr("正在打开问卷…"))

    def start_field_interview(self) -> None:
        if self.state not in ("ready", "paused") or self.project is None:
            return
        self.cancel_countdown()
        project_id = self.project.id
        self._run(lambda: self.backend.open_interview(project_id, case_id=None,
                                                      interviewer_id=self.user.id,
                                                      mode="field"),
                  self._interview_opened, self.tr("正在打开问卷…"))

    def _interview_opened(self, info) -> None:
        self.interview = info
        self.call_view.set_busy(False)
        # The case's data (a follow-up case: the complaint, unit, reply) for the form's
        # cati::case_data rows, which the questions' ${…} pipe.
        case_data = self.case.case_data if self.case is not None else None
        if info.answers:
            self.engine = InterviewEngine.resume(self.form, info.answers, seed=info.seed,
                                                 clock=utc_now, at=info.current_item,
                                                 case_data=case_data, context=info.context)
        else:
            self.engine = InterviewEngine.start(self.form, seed=info.seed, clock=utc_now,
                                                case_data=case_data, context=info.context)
        phone = (f"{self.case.phone_display}  ·  {self.case.stratum}" if self.case
                 else self.tr("实地访问"))
        self.interview_page.phone_label.setText(phone)
        field = self.case is None
        self.interview_page.appointment_button.setEnabled(not field)
        self.interview_page.hangup_button.setText(
            self.tr("中止访问 (Ctrl+H)") if field else self.tr("对方挂断 (Ctrl+H)"))
        self.interview_view.begin(self.engine)
        self._set_state("interview")

    def _save(self, changes: dict, current_item: object) -> None:
        if self.interview is None:
            return
        interview_id = self.interview.id
        case_id = self.case.case_id if self.case is not None else None
        self.tasks.run(lambda: self.backend.save_answers_journaled(
            interview_id, changes, current_item=current_item, case_id=case_id,
            user_id=self.user.id), self._saved, self._save_failed)

    def _saved(self, flushed) -> None:
        """The answer is in the database, or (offline) in the journal: go on either way."""
        self._journal_state(flushed)
        if flushed.refused:
            self._case_lost(flushed.refused)
            return
        result = flushed.result
        # A full quota: the respondent is still on the line. The closing words are shown to be
        # read; the interview ends (4.80) and the next call's countdown starts only after.
        if flushed.written and result is not None and result.quota_full:
            cell = result.quota_cell
            if cell:  # a quota cell with a condition (e.g. sex × age band) is full
                self.quota_message = self.tr(
                    "配额“{cell}”已满，访问到此结束（4.80）。").format(cell=cell)
                self.interview_view.show_closing(self.quota_message, self.tr(
                    "谢谢您的配合！像您这样的受访者我们已经访问够了，这次就不再打扰您了。"
                    "祝您生活愉快，再见！"))
                return
            self.quota_message = self.tr("该乡镇（街道）的样本配额已满，访问到此结束（4.80）。")
            self.interview_view.show_closing(self.quota_message, self.tr(
                "谢谢您的配合！您所在乡镇（街道）的访问名额已经满了，这次就不再打扰您了。"
                "祝您生活愉快，再见！"))
            return
        self.interview_view.saved()

    def _save_failed(self, error: BaseException) -> None:
        self.interview_view.save_failed(error_text(error))

    def _interview_finished(self, outcome) -> None:
        self._end_interview(outcome.disposition or COMPLETE)

    def _end_interview(self, code: str) -> None:
        interview = self.interview
        if interview is None:
            return
        if self.case is None:  # field mode
            self._run(lambda: self.backend.close_field_interview_journaled(interview.id, code),
                      self._outcome_kept, self.tr("正在保存…"))
            return
        if self._when_call_over(lambda: self._end_interview(code)):
            return
        case_id, started, call = self.case.case_id, self.call_started_at, self._finished_call()
        self._run(lambda: self.backend.record_outcome_journaled(
            case_id, code, interviewer_id=self.user.id, started_at=started,
            interview_id=interview.id, call=call), self._outcome_kept, self.tr("正在保存…"))

    @Slot()
    def respondent_hung_up(self) -> None:
        """Ask whether the interview counts as partial or a break-off; both are called back
        to resume where it stopped (field interviews are closed with the code)."""
        if self.state != "interview":
            return
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("中止访问"))
        box.setText(self.tr("访问未完成。记为："))
        partial = box.addButton(self.tr("部分完成 1.2（已答大部分）"),
                                QMessageBox.ButtonRole.AcceptRole)
        breakoff = box.addButton(self.tr("中途挂断 2.12"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("继续访问"), QMessageBox.ButtonRole.RejectRole)
        codes = {partial: PARTIAL, breakoff: BREAK_OFF}

        def chosen(button) -> None:
            self.hangup_box = None
            if button in codes:
                self._end_interview(codes[button])

        box.buttonClicked.connect(chosen)
        self.hangup_box = box
        box.open()  # window-modal, but the event loop is not nested

    def _appointment_in_interview(self) -> None:
        if self.state != "interview" or self.case is None:
            return
        dialog = AppointmentDialog(self.case.time_zone, utc_now(), self)

        def accepted() -> None:
            self.appointment_dialog = None
            start, end = dialog.window_utc()
            self._appointment_chosen(start, end, dialog.hard(), dialog.note())

        dialog.accepted.connect(accepted)
        self.appointment_dialog = dialog
        dialog.open()

    # -- read aloud, settings ----------------------------------------------------------------
    @Slot()
    def read_aloud(self) -> None:
        if self.speaker is None or self.state != "interview":
            return
        if getattr(self.speaker, "speaking", False):
            self.speaker.stop()
        else:
            self.speaker.speak(self.interview_view.current_question_text())

    def change_password(self) -> PasswordDialog:
        dialog = PasswordDialog(self.backend, self.tasks, self)
        dialog.open()
        return dialog

    def open_settings(self) -> None:
        from ui.settings import SettingsDialog

        dialog = SettingsDialog(self.prefs, self.voices, self)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        self.prefs = dialog.preferences()
        if self.settings is not None:
            self.prefs.save(self.settings)
        self.interview_view.set_font_point_size(self.prefs.question_font_pt)
        if self.speaker is not None:
            self.speaker.set_voice(self.prefs.voice_id or None)
            self.speaker.set_rate(self.prefs.speech_rate)

    def closeEvent(self, event) -> None:
        save_geometry(self, "interviewer", self.settings)
        self._presence.stop()
        self._report_presence("offline")
        self._heartbeat.stop()
        self._countdown.stop()
        self._retry.stop()
        if self.softphone is not None:
            self.softphone.close()  # hangs up and stops baresip on the phone's thread
        if self.case is not None and self.state == "call":
            case_id = self.case.case_id
            self.tasks.run(lambda: self.backend.release_case(case_id), lambda _r: None,
                           lambda _e: None)
        super().closeEvent(event)

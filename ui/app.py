"""Starting the desktop app: the login window, then the interviewer's window.

Preferences (language, font size, voice, countdown) live in QSettings, never in the database.
The speech engine is probed on its own worker thread after login, so a slow or missing engine
never delays the window: until it answers, the read-aloud button stays disabled.

When the backend finds the session expired (the password was changed on another workstation or
reset by an admin, the role changed, the account was deactivated), the open windows close and
the login window shows why; every call is refused until someone logs in again.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QApplication

from cati.backend import Backend
from cati.errors import CatiError
from ui.console_window import CONSOLE_ROLES, ConsoleWindow
from ui.interviewer_window import InterviewerWindow
from ui.login import LoginWindow
from ui.settings import Preferences
from ui.tasks import TaskRunner

PHONE_STOP_S = 10.0  # at exit: the softphone hangs up and stops baresip (about 1 s)


class CatiApp:
    """Holds the backend, the workers and the open windows for the life of the app."""

    def __init__(self, db_url: str, *, settings: QSettings | None = None,
                 workstation: str | None = None, speech: bool = True) -> None:
        self.settings = settings if settings is not None else QSettings()
        self.prefs = Preferences.load(self.settings)
        self.backend = Backend(db_url, workstation)
        self.tasks = TaskRunner()
        self.speech_tasks = TaskRunner()
        self.speech = speech
        self.speaker = None
        self.login = LoginWindow(self.backend, self.tasks)
        self.read_tasks = TaskRunner()  # the console's monitor reads beside the actions
        self.main_window: InterviewerWindow | None = None
        self.console: ConsoleWindow | None = None
        self.user = None
        self.voices: list = []
        self._speech_probed = False
        self._closed = False
        self.login.logged_in.connect(self._open_main)
        self._expiry = _SessionExpiry()
        self._expiry.expired.connect(self._session_expired, Qt.ConnectionType.QueuedConnection)
        self.backend.on_session_expired = self._expiry.expired.emit  # from the worker thread

    def _open_main(self, user) -> None:
        """Supervisors and admins get the console (with the interviewer window one click
        away); interviewers get the interviewer window and nothing else."""
        self.user = user
        if user.role in CONSOLE_ROLES:
            self.console = ConsoleWindow(self.backend, self.tasks, user, prefs=self.prefs,
                                         read_tasks=self.read_tasks)
            self.console.add_action(self.console.tr("访问员窗口"), self.open_interviewer_window)
            self.console.show()
        else:
            self.open_interviewer_window()
        self.login.close()

    def _session_expired(self, message: str) -> None:
        """Close the account's windows and show the login with the reason (once)."""
        if self.user is None or self._closed:
            return
        self.user = None
        for window in (self.console, self.main_window):
            if window is not None:
                window.close()
                window.deleteLater()
        self.console = self.main_window = None
        self.login.password.clear()
        self.login.button.setEnabled(True)
        self.login.status.setText(message)
        self.login.show()

    def open_interviewer_window(self) -> None:
        if self.main_window is None:
            self.main_window = InterviewerWindow(self.backend, self.tasks, self.user,
                                                 prefs=self.prefs, settings=self.settings)
            if self.speaker is not None:
                self.main_window.set_speaker(self.speaker, self.voices)
        self.main_window.show()
        self.main_window.raise_()
        if self.speech and self.speaker is None and not self._speech_probed:
            self._speech_probed = True
            self.speech_tasks.run(_probe_speech, self._speech_checked, lambda _e: None)

    def _speech_checked(self, result: tuple[bool, str, list]) -> None:
        available, problem, voices = result
        if self.main_window is None or self._closed:  # the answer came after shutdown
            return
        if not available:
            self.main_window.set_speech_problem(problem)
            return
        from ui.speech import Speaker

        self.voices = voices
        self.speaker = Speaker()
        self.speaker.set_voice(self.prefs.voice_id or None)
        self.speaker.set_rate(self.prefs.speech_rate)
        self.main_window.set_speaker(self.speaker, voices)

    def shutdown(self) -> None:
        self._closed = True
        if self.console is not None:
            self.console.close()
        if self.speaker is not None:
            self.speaker.close()
        phone = getattr(self.main_window, "softphone", None)
        if phone is not None:  # baresip runs in its own session: stopped before we exit
            phone.close()
            phone.join(PHONE_STOP_S)
        self.speech_tasks.shutdown()
        self.read_tasks.shutdown()
        self.tasks.shutdown()
        self.backend.close()


class _SessionExpiry(QObject):
    expired = Signal(str)


def _probe_speech() -> tuple[bool, str, list]:
    """On the speech worker: is there an engine, and which voices does it have."""
    from ui.speech import list_voices, speech_available

    available, problem = speech_available()
    return available, problem, list_voices() if available else []


def missing_screen(environ=os.environ, platform: str = sys.platform) -> str | None:
    """Why the desktop app cannot start here (a Linux session with no screen: Qt would abort
    with a message about its xcb plugin), or None."""
    if not platform.startswith("linux") or QApplication.instance() is not None:
        return None
    if any(environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return None
    return ("no screen: DISPLAY and WAYLAND_DISPLAY are not set, and the desktop app needs one; "
            "start it in a desktop session, over `ssh -X`, or on a virtual screen with "
            "`scripts/run --xvfb` (没有显示器,无法启动桌面程序)")


def main(db_url: str) -> int:
    problem = missing_screen()
    if problem is not None:
        raise CatiError(problem)
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setApplicationName("cati")
    qt_app.setOrganizationName("cati")
    from ui.i18n import install_translator

    prefs = Preferences.load(QSettings())
    install_translator(qt_app, prefs.language)
    app = CatiApp(db_url)
    app.login.show()
    try:
        return qt_app.exec()
    finally:
        app.shutdown()

"""The child process of tests/test_ui_crash_resume.py (not a test): runs the real interviewer
window, logs in, presses Ready (F12) and Start (F9), answers the questions given on the command
line with the keyboard, then prints ``AT <item> interview=<id> case=<id>`` once the last answer
has been committed and the next question is on screen, and keeps running until it is killed.

    python tests/ui_crash_child.py DB_URL SETTINGS_INI WORKSTATION USERNAME PASSWORD STEPS_JSON

STEPS_JSON is a list of [item name, value or null]. Anything that goes wrong is printed to
stderr and the process exits with 1 (the test shows that output).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_driving import answer

from ui.app import CatiApp

WAIT_S = 30.0
LIFETIME_MS = 600_000  # a child the test forgot stops by itself


def process_events(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds. (Not QTest.qWait: PySide6 holds the GIL
    through its sleeps, which starves the window's database worker thread.)"""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        process_events(10)


def run(qt_app: QApplication, argv: list[str]) -> CatiApp:
    db_url, ini, workstation, username, password, steps_json = argv
    steps = json.loads(steps_json)
    settings = QSettings(ini, QSettings.Format.IniFormat)
    app = CatiApp(db_url, settings=settings, workstation=workstation, speech=False)
    login = app.login
    login.show()
    wait_until(login.button.isEnabled, "the database to open")
    QTest.keyClicks(login.username, username)
    QTest.keyClicks(login.password, password)
    QTest.keyClick(login.password, Qt.Key.Key_Return)
    wait_until(lambda: app.main_window is not None, "the main window")
    window = app.main_window
    wait_until(lambda: window.state == "ready" and window.tasks.pending == 0, "Ready")
    QTest.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)
    wait_until(lambda: window.state == "call" and window.tasks.pending == 0, "a call")
    QTest.keyClick(window.call_view, Qt.Key.Key_F9)
    wait_until(lambda: window.state == "interview" and window.tasks.pending == 0,
               "the interview")
    for name, value in steps:
        shown = window.engine.current_item.name
        if shown != name:
            raise AssertionError(f"expected item {name!r} on screen, found {shown!r}")
        answer(wait_until, window, value)
    if window.state != "interview":
        raise AssertionError(f"the interview ended early (state {window.state!r})")
    current = window.engine.current_item.name
    print(f"AT {current} interview={window.interview.id} case={window.case.case_id}",
          flush=True)
    return app


def exit_when_parent_goes() -> None:
    """The test holds our stdin open: at its end (EOF) nobody is left to kill us."""
    sys.stdin.read()
    os._exit(3)


def main() -> int:
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    QTimer.singleShot(LIFETIME_MS, lambda: os._exit(4))
    try:
        app = run(qt_app, sys.argv[1:])
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    qt_app.exec()  # until SIGKILL
    app.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

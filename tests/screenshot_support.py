"""What the screenshot children share: waiting on the event loop, and saving a window."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QWidget


def wait_until(condition: Callable[[], bool], what: str, guard_s: float = 120) -> None:
    """Run the event loop until `condition` holds (a QEventLoop, not QTest.qWait, which starves
    worker threads under PySide6 6.11). Exits the program after `guard_s` seconds: only so that
    a wedged child cannot hold its caller."""
    if condition():
        return
    loop = QEventLoop()
    poll = QTimer()
    poll.timeout.connect(lambda: condition() and loop.quit())
    poll.start(50)
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(loop.quit)
    guard.start(int(guard_s * 1000))
    loop.exec()
    poll.stop()
    if not condition():
        raise SystemExit(f"gave up waiting for {what}")


def save_png(window: QWidget, out: Path) -> dict:
    """The window grabbed to `out`; its file and pixel size for the child's report."""
    pixmap = window.grab()
    if not pixmap.save(str(out), "PNG"):
        raise SystemExit(f"cannot write {out}")
    return {"file": str(out), "size": [pixmap.width(), pixmap.height()]}

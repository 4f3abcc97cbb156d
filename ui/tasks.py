"""Database work off the GUI thread: one worker thread runs every call, in order; results come
back to the GUI thread through a queued signal. The event loop never waits.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from cati.errors import CatiError

Success = Callable[[Any], None]
Failure = Callable[[BaseException], None]


class TaskRunner(QObject):
    """Runs plain functions on one background thread; calls back on the GUI thread."""

    _finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cati-db")
        # Queued even when the work finished before run() returned (the done-callback then
        # runs on the calling thread): results always arrive later, through the event loop.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.pending = 0
        self.closed = False

    def run(self, work: Callable[[], Any], on_success: Success,
            on_failure: Failure | None = None) -> None:
        if self.closed:  # the window is closing: a timer's late read is dropped, not an error
            return
        self.pending += 1
        future = self._executor.submit(work)
        future.add_done_callback(lambda f: self._finished.emit((f, on_success, on_failure)))

    @Slot(object)
    def _deliver(self, payload: tuple[Future, Success, Failure | None]) -> None:
        future, on_success, on_failure = payload
        self.pending -= 1
        error = future.exception()
        if error is None:
            on_success(future.result())
        elif on_failure is not None:
            on_failure(error)
        else:
            raise error

    def shutdown(self) -> None:
        self.closed = True
        self._executor.shutdown(wait=True)


def error_text(error: BaseException) -> str:
    """A failure as one line for the window: our own errors as they are, anything else by its
    kind and first line (never a traceback)."""
    if isinstance(error, CatiError):
        return " ".join(str(error).split())
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".strip()[:300]

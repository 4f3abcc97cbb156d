"""Open views that update themselves: the console follows the room's change feed
(cati.services.changes) and tells each tab when something it shows has changed.

One watcher per window reads the feed on the read worker every few seconds (one indexed
statement), and at once after an action of this window (``poke``): an action taken in one tab
shows in every other tab that shows the same thing, and an action taken at another desk shows
within the poll interval. Views name the topics they show when they register; a view on screen
re-reads at once, a hidden one is marked stale and re-reads when it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from cati.services.changes import Changes
from ui.tasks import TaskRunner

POLL_MS = 5_000


class ChangeWatcher(QObject):
    """Follows the change feed for one window; ``changed`` carries the Changes read."""

    changed = Signal(object)  # cati.services.changes.Changes with something in it

    def __init__(self, read: Callable[[int | None], Changes], tasks: TaskRunner,
                 parent: QObject | None = None, *, interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.read, self.tasks = read, tasks
        self.cursor: int | None = None
        self.in_flight = False
        self.again = False  # a poke arrived while a read was out: read once more after it
        self.views: list[tuple[QWidget, frozenset[str], Callable[[], None], bool]] = []
        self.stale: set[int] = set()  # id() of hidden views that missed a change
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self.changed.connect(self._dispatch)

    def start(self) -> None:
        """Take where the log stands now as the starting point, then follow it."""
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def follow(self, view: QWidget, topics: Iterable[str],
               refresh: Callable[[], None] | None = None, *, live: bool = True) -> None:
        """``view`` shows ``topics``; ``refresh`` (default ``view.refresh``) re-reads it. A view
        that is not ``live`` (a long table the user scrolls and selects in) is not re-read
        under the user's hands: it is marked stale and re-read when it is next shown."""
        self.views.append((view, frozenset(topics), refresh or view.refresh, live))

    def forget_views(self) -> None:
        self.views.clear()
        self.stale.clear()

    def poke(self, *_args) -> None:
        """This window did something: read the feed now rather than at the next tick."""
        if self.in_flight:
            self.again = True
            return
        self.poll()

    def poll(self) -> None:
        if self.in_flight:
            return
        self.in_flight = True
        cursor = self.cursor
        self.tasks.run(lambda: self.read(cursor), self._read, self._failed)

    def shown(self, view: QWidget) -> None:
        """``view`` came into sight: re-read it if it missed a change while hidden."""
        if id(view) in self.stale:
            self.stale.discard(id(view))
            for known, _topics, refresh, _live in self.views:
                if known is view:
                    refresh()

    def _read(self, changes: Changes) -> None:
        self.in_flight = False
        first = self.cursor is None
        self.cursor = changes.cursor
        if not first and (changes.topics or changes.everything):
            self.changed.emit(changes)
        if self.again:
            self.again = False
            self.poll()

    def _failed(self, _error: BaseException) -> None:
        # A read that failed (the server restarting, the session ended) is tried at the next
        # tick; the window's own error paths say what is wrong.
        self.in_flight = False
        self.again = False

    def _dispatch(self, changes: Changes) -> None:
        for view, topics, refresh, live in self.views:
            if not changes.touches(topics):
                continue
            if live and view.isVisible():
                refresh()
            else:
                self.stale.add(id(view))

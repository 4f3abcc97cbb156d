"""The sample table's model: every case of the filtered sample as a row, loaded lazily in pages.

The model knows the row count (one count query, sent after the first page so the first rows
show before it is known: they are inserted, then the rest when the count comes) and keeps a few
pages of rows (an LRU). A row whose page is not here shows a placeholder while its page loads
on the database thread; when it arrives the rows change (dataChanged). Requests are deduplicated and only the pages asked for
most recently are fetched, so scrolling fast through 1M rows loads where the view stops, not
everything it passed. A new filter or sort starts over (a reset). Pages sorted by id go by
keyset (after the previous page's last id) when that page is at hand.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from shiboken6 import isValid

from cati.services.sample_browser import (
    DEFAULT_PAGE_SIZE,
    SORT_COLUMNS,
    CaseRow,
    SampleBrowser,
    SampleFilters,
    SampleSort,
)
from ui.plain import local_zone_label
from ui.tasks import TaskRunner

PLACEHOLDER = "…"
CASE_ID_ROLE = Qt.ItemDataRole.UserRole
CASE_ROW_ROLE = Qt.ItemDataRole.UserRole + 1
TIME_FORMAT = "%m-%d %H:%M"
DEFAULT_MAX_PAGES = 50  # 10,000 rows kept
MAX_WANTED = 4  # pages asked for but not yet sent: only the newest are kept
_NUMERIC = frozenset({"id", "attempts", "priority"})

AnyIndex = QModelIndex | QPersistentModelIndex


class SampleTableModel(QAbstractTableModel):
    """The cases of one project, filtered and sorted, fetched by page through ``tasks``."""

    count_changed = Signal(int)  # the number of rows, once the count arrived
    idle = Signal()  # nothing asked for is still loading
    load_failed = Signal(str)

    def __init__(self, service: SampleBrowser, tasks: TaskRunner, project_id: int, *,
                 page_size: int = DEFAULT_PAGE_SIZE, max_pages: int = DEFAULT_MAX_PAGES,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._tasks = tasks
        self._project_id = project_id
        self._page_size = page_size
        self._max_pages = max(2, max_pages)
        self._filters = SampleFilters()
        self._sort = SampleSort()
        self._generation = 0
        self._rows = 0
        self._count_known = False
        self._pages: OrderedDict[int, list[CaseRow]] = OrderedDict()
        self._wanted: OrderedDict[int, None] = OrderedDict()
        self._in_flight: set[int] = set()
        self._counting = False
        self._titles = self._column_titles()
        self._state_names = self._state_labels()
        self._placeholder_brush = QBrush(QColor("#999999"))
        self.refresh()

    # -- what the owner calls -----------------------------------------------------------------

    @property
    def filters(self) -> SampleFilters:
        return self._filters

    @property
    def sort_order(self) -> SampleSort:
        return self._sort

    @property
    def count_known(self) -> bool:
        return self._count_known

    def set_filters(self, filters: SampleFilters) -> None:
        """Show the cases that pass ``filters`` (starts over)."""
        self._filters = filters
        self.refresh()

    def set_sort(self, sort: SampleSort) -> None:
        self._sort = sort
        self.refresh()

    def refresh(self) -> None:
        """Forget every row and load again: the first page, then the count."""
        self._generation += 1
        self.beginResetModel()
        self._rows = 0
        self._count_known = False
        self._pages.clear()
        self._wanted.clear()
        self._in_flight.clear()
        self.endResetModel()
        generation, filters = self._generation, self._filters
        self._request(0)  # before the count: the first rows can show before it is known
        self._counting = True
        self._tasks.run(partial(self._service.count, self._project_id, filters),
                        partial(self._count_arrived, generation),
                        partial(self._failed, generation, None))

    def update_rows(self, rows: Iterable[CaseRow]) -> None:
        """Show new values of cases already loaded (after an action), where they are."""
        fresh = {row.id: row for row in rows}
        if not fresh:
            return
        last_column = len(SORT_COLUMNS) - 1
        for page, loaded in self._pages.items():
            for offset, row in enumerate(loaded):
                if row.id in fresh:
                    loaded[offset] = fresh[row.id]
                    position = page * self._page_size + offset
                    if position < self._rows:
                        self.dataChanged.emit(self.index(position, 0),
                                              self.index(position, last_column))

    def case_row(self, row: int) -> CaseRow | None:
        """The loaded case at ``row``; None while its page is loading."""
        page, offset = divmod(row, self._page_size)
        loaded = self._pages.get(page)
        if loaded is None or offset >= len(loaded):
            return None
        return loaded[offset]

    def case_ids(self, selection: QItemSelection) -> tuple[list[int], int]:
        """The ids of the selected rows that are loaded, and how many selected rows are not.

        Works page by page, so selecting all of 1M rows costs no row-by-row walk."""
        ids: list[int] = []
        selected = 0
        for selection_range in selection:
            top, bottom = selection_range.top(), selection_range.bottom()
            selected += bottom - top + 1
            for page, loaded in self._pages.items():
                first = page * self._page_size
                start, stop = max(top, first), min(bottom, first + len(loaded) - 1)
                if start <= stop:
                    ids.extend(row.id for row in loaded[start - first:stop - first + 1])
        unique = sorted(set(ids))
        return unique, max(0, selected - len(ids))

    def is_idle(self) -> bool:
        return self._count_known and not self._counting and not self._in_flight \
            and not self._wanted

    # -- Qt's model interface -----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(SORT_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._titles) \
                and role == Qt.ItemDataRole.DisplayRole:
            return self._titles[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._rows:
            return None
        page = index.row() // self._page_size
        if page in self._pages:
            self._pages.move_to_end(page)  # in view: the last page to forget
        else:
            self._request(page)
        row = self.case_row(index.row())
        column = SORT_COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if row is None:
                return "" if page in self._pages else PLACEHOLDER
            return self._text(column, getattr(row, column))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and row is None:
            return self._placeholder_brush
        if role == CASE_ID_ROLE:
            return None if row is None else row.id
        if role == CASE_ROW_ROLE:
            return row
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(SORT_COLUMNS):
            wanted = SampleSort(SORT_COLUMNS[column], order == Qt.SortOrder.DescendingOrder)
            if wanted != self._sort:
                self.set_sort(wanted)

    # -- loading ------------------------------------------------------------------------------

    def _request(self, page: int) -> None:
        if page in self._pages or page in self._in_flight:
            return
        self._wanted[page] = None
        self._wanted.move_to_end(page)
        while len(self._wanted) > MAX_WANTED:  # scrolled past: no longer worth loading
            self._wanted.popitem(last=False)
        self._dispatch()

    def _dispatch(self) -> None:
        # One page at a time: the next one sent is the one asked for last.
        while not self._in_flight and self._wanted:
            page, _ = self._wanted.popitem(last=True)
            self._in_flight.add(page)
            after_id = None
            previous = self._pages.get(page - 1)
            if self._sort.column == "id" and previous and len(previous) == self._page_size:
                after_id = previous[-1].id
            work = partial(self._service.page, self._project_id, self._filters, self._sort,
                           page * self._page_size, self._page_size, after_id=after_id)
            self._tasks.run(work, partial(self._page_arrived, self._generation, page),
                            partial(self._failed, self._generation, page))

    def _alive(self, generation: int) -> bool:
        return isValid(self) and generation == self._generation

    def _page_arrived(self, generation: int, page: int, rows: list[CaseRow]) -> None:
        if not self._alive(generation):
            return
        self._in_flight.discard(page)
        self._pages[page] = list(rows)
        self._pages.move_to_end(page)
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)
        first = page * self._page_size
        if not self._count_known and page == 0 and rows and self._rows == 0:
            self._set_rows(len(rows))  # shown before the count arrives
        last = min(first + len(rows), self._rows) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(SORT_COLUMNS) - 1))
        self._dispatch()
        self._maybe_idle()

    def _count_arrived(self, generation: int, count: int) -> None:
        if not self._alive(generation):
            return
        self._counting = False
        self._count_known = True
        self._set_rows(count)
        self.count_changed.emit(count)
        self._maybe_idle()

    def _failed(self, generation: int, page: int | None, error: BaseException) -> None:
        if not self._alive(generation):
            return
        if page is None:
            self._counting = False
            self._count_known = True
        else:
            self._in_flight.discard(page)
            self._dispatch()
        self.load_failed.emit(str(error))
        self._maybe_idle()

    def _set_rows(self, count: int) -> None:
        if count > self._rows:
            self.beginInsertRows(QModelIndex(), self._rows, count - 1)
            self._rows = count
            self.endInsertRows()
        elif count < self._rows:
            self.beginRemoveRows(QModelIndex(), count, self._rows - 1)
            self._rows = count
            self.endRemoveRows()

    def _maybe_idle(self) -> None:
        if self.is_idle():
            self.idle.emit()

    # -- showing values -----------------------------------------------------------------------

    def _text(self, column: str, value: Any) -> str:
        if value is None:
            return ""
        if column == "state":
            return self._state_names.get(value, value)
        if isinstance(value, dt.datetime):
            return value.astimezone().strftime(TIME_FORMAT)  # this workstation's local time
        return str(value)

    def _column_titles(self) -> tuple[str, ...]:
        titles: dict[str, Callable[[], str]] = {
            "id": lambda: self.tr("编号 ID"),
            "phone_e164": lambda: self.tr("号码 Phone"),
            "stratum": lambda: self.tr("样本层 Stratum"),
            "state": lambda: self.tr("状态 State"),
            "disposition": lambda: self.tr("结果代码 Disposition"),
            "attempts": lambda: self.tr("拨打次数 Attempts"),
            "next_call_at": lambda: self.tr("下次拨打 Next call") + f" ({local_zone_label()})",
            "priority": lambda: self.tr("优先级 Priority"),
            "lease_holder": lambda: self.tr("占用工作站 Held by"),
            "lease_expires_at": lambda: self.tr("占用至 Held until") + f" ({local_zone_label()})",
            "region": lambda: self.tr("归属地 Region"),
            "carrier": lambda: self.tr("运营商 Carrier"),
        }
        return tuple(titles[column]() for column in SORT_COLUMNS)

    def _state_labels(self) -> dict[str, str]:
        return {
            "fresh": self.tr("新号码 fresh"),
            "scheduled": self.tr("待重拨 scheduled"),
            "appointment": self.tr("预约 appointment"),
            "resume": self.tr("待续访 resume"),
            "closed": self.tr("已结束 closed"),
            "locked": self.tr("锁定 locked"),
        }

    def state_labels(self) -> dict[str, str]:
        """Each case state as the table shows it (for a filter list)."""
        return dict(self._state_names)

"""The supervisor console's "project and people": quotas, project settings, and accounts.

Three panels, each bound to a cati.services.admin.AdminService, a TaskRunner and the signed-in
user's id. Every database call runs on the TaskRunner's worker thread; the panel shows "busy"
and disables its actions meanwhile, and shows a refused operation's one-line message. Who may do
what is decided by the service from the database (an interviewer gets PermissionDenied), never
by the window.

- QuotaPanel: strata with their target (edit it in place: a spin box), completes, a progress
  bar and a full marker; add a stratum, remove one. A stratum set full stops at the next claim.
- ProjectSettingsPanel: pause / resume; calling hours per weekday (from, a midday break, until;
  an end of 00:00 is midnight, shown as 24:00); maximum attempts and attempts per day; save.
- UsersPanel (admins only): accounts with role and state; add, deactivate, reactivate, reset a
  password (typed twice), change the role.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    Qt,
    QTime,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from cati.calling.hours import CallingHours
from cati.errors import PermissionDenied
from cati.services.admin import MAX_CAP, AdminService, ProjectSettings
from cati.services.quotas import QuotaCell
from cati.services.users import MIN_PASSWORD_LENGTH, ROLES, UserInfo
from ui.list_model import RIGHT, AnyIndex, Column, ListTableModel
from ui.plain import plain_label, plain_tip
from ui.tasks import TaskRunner, error_text

MAX_TARGET = 1_000_000
TIME_FORMAT = "HH:mm"
ERROR_STYLE = "color: #b00020;"
NOTE_STYLE = "color: #555;"
FULL_COLOUR = QColor("#fde2e1")
INACTIVE_COLOUR = QColor("#888888")


class _Panel(QWidget):
    """Runs service calls on the worker thread, one at a time; a line for busy and errors."""

    def __init__(self, service: AdminService, tasks: TaskRunner, user_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks, self.user_id = service, tasks, user_id
        self.busy = False
        self.message = plain_label()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def _run(self, work: Callable[[], Any], on_success: Callable[[Any], None],
             on_failure: Callable[[BaseException], None] | None = None) -> bool:
        if self.busy:
            self._show(self.tr("请等上一个操作完成 Wait for the last operation to finish"),
                       error=True)
            return False
        self.busy = True
        self._show(self.tr("正在处理… Working…"))
        self._enable()

        def succeeded(result: Any) -> None:
            if not shiboken6.isValid(self):  # the panel was closed meanwhile
                return
            self.busy = False
            self._show("")
            on_success(result)
            self._enable()

        def failed(error: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self.busy = False
            self._show(error_text(error), error=True)
            if on_failure is not None:
                on_failure(error)
            self._enable()

        self.tasks.run(work, succeeded, failed)
        return True

    def _show(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)
        self.message.setText(text)

    def _enable(self) -> None:  # the panels say which actions are usable now
        pass


# -- quotas -----------------------------------------------------------------------------------


class QuotaModel(ListTableModel[QuotaCell]):
    """One row per stratum with a quota, and per cell with a condition (its condition in the
    last column), sorted by name. Editing a target does not change the row: it emits
    ``target_edited`` and the panel saves it (a cell keeps its condition); the saved cell comes
    back through update_cell."""

    target_edited = Signal(str, int)  # stratum, new target

    STRATUM, TARGET, COMPLETES, PROGRESS, STATE, CONDITION = range(6)
    FRACTION_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent, key=lambda c: c.stratum, order=lambda c: c.stratum,
                         background=lambda c: FULL_COLOUR if c.full else None)

    def columns(self) -> list[Column[QuotaCell]]:
        return [
            Column(self.tr("样本层或名称 Stratum or name"), lambda c: c.stratum),
            Column(self.tr("目标 Target"), lambda c: str(c.target), align=RIGHT,
                   edit=lambda c: c.target, edited=self._target_typed),
            Column(self.tr("完成 Completes"), lambda c: str(c.completes), align=RIGHT),
            Column(self.tr("进度 Progress"), lambda c: f"{c.completes}/{c.target}",
                   roles={self.FRACTION_ROLE: lambda c: 1.0 if c.target <= 0
                          else min(1.0, c.completes / c.target)}),
            Column(self.tr("状态 State"),
                   lambda c: self.tr("已满 full") if c.full else self.tr("进行中 open"),
                   tooltip=self._full_tip),
            Column(self.tr("条件 Condition"),
                   lambda c: c.condition or self.tr("（样本层）(stratum)"),
                   tooltip=self._condition_tip),
        ]

    def _full_tip(self, cell: QuotaCell) -> str | None:
        if not cell.full:
            return None
        if cell.condition and cell.sample_only:
            return self.tr("已满:不再拨打样本属于该配额的号码 "
                           "Full: no more calls to numbers whose sample is in this cell")
        if cell.condition:
            return self.tr("已满:符合条件的受访者以 4.80 结束 "
                           "Full: respondents who meet the condition end with 4.80")
        return self.tr("已满:不再拨打该层的号码 Full: no more calls in this stratum")

    def _condition_tip(self, cell: QuotaCell) -> str | None:
        if not cell.condition:
            return None
        return self.tr("只看样本列:拨号前即排除 Reads sample columns only: "
                       "skipped before dialling") if cell.sample_only \
            else self.tr("按回答判断:访问中确定后结束 Reads answers: ends "
                         "the interview once certain")

    def _target_typed(self, cell: QuotaCell, value: Any) -> None:
        try:
            target = int(value)
        except (TypeError, ValueError):
            return
        if target != cell.target:
            self.target_edited.emit(cell.stratum, target)

    @property
    def cells(self) -> list[QuotaCell]:
        return self.rows

    def set_cells(self, cells: Sequence[QuotaCell]) -> None:
        self.set_rows(cells)

    def update_cell(self, cell: QuotaCell) -> None:
        self.update_row(cell, insert=True)

    def remove_stratum(self, stratum: str) -> None:
        self.remove_row(stratum)

    def condition_of(self, stratum: str) -> str | None:
        """The condition of the row of that name (None: a stratum, or no such row)."""
        row = self.row_of(stratum)
        return (self.cells[row].condition or None) if row >= 0 else None


class TargetDelegate(QStyledItemDelegate):
    """A spin box for the target (0 stops the stratum)."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: AnyIndex) -> QWidget:
        spin = QSpinBox(parent)
        spin.setRange(0, MAX_TARGET)
        spin.setFrame(False)
        return spin

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        assert isinstance(editor, QSpinBox)
        editor.setValue(int(index.data(Qt.ItemDataRole.EditRole) or 0))

    def setModelData(self, editor: QWidget, model: Any, index: AnyIndex) -> None:
        assert isinstance(editor, QSpinBox)
        editor.interpretText()
        model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)


class ProgressDelegate(QStyledItemDelegate):
    """Draws completes against the target as a progress bar."""

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        fraction = index.data(QuotaModel.FRACTION_ROLE)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = round(float(fraction) * 1000)
        bar.text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        bar.textVisible = True
        bar.state = option.state
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class QuotaPanel(_Panel):
    """Quotas of one project: edit a target in place, add a stratum or a cell with a condition
    (an XLSForm expression over the questionnaire's answers and the sample's columns, e.g.
    ``${gender} = '1' and ${resp_age} < 35``), remove one, paste many."""

    def __init__(self, service: AdminService, tasks: TaskRunner, project_id: int, user_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(service, tasks, user_id, parent)
        self.project_id = project_id
        self.model = QuotaModel(self)
        self.model.target_edited.connect(self.save_target)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(QuotaModel.TARGET, TargetDelegate(self.table))
        self.table.setItemDelegateForColumn(QuotaModel.PROGRESS, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QuotaModel.STRATUM, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(QuotaModel.PROGRESS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(QuotaModel.CONDITION, QHeaderView.ResizeMode.Stretch)
        self.stratum_edit = QComboBox()
        self.stratum_edit.setEditable(True)
        self.stratum_edit.setMinimumContentsLength(12)
        self.stratum_edit.lineEdit().setPlaceholderText(self.tr("样本层或名称 Stratum or name"))
        self.condition_edit = QLineEdit()
        self.condition_edit.setPlaceholderText(self.tr(
            "条件(可空),如 ${gender} = '1' and ${resp_age} < 35 "
            "Condition (optional)"))
        self.condition_edit.setToolTip(self.tr(
            "用问卷题目名或样本列名 ${名称};留空即按样本层设配额 "
            "Name questions or sample columns as ${name}; empty: a stratum quota"))
        self.target_spin = QSpinBox()
        self.target_spin.setRange(0, MAX_TARGET)
        self.target_spin.setValue(100)
        self.add_button = QPushButton(self.tr("添加配额 Add quota"))
        self.remove_button = QPushButton(self.tr("删除配额 Remove quota"))
        self.refresh_button = QPushButton(self.tr("刷新 Refresh"))
        self.paste_button = QPushButton(self.tr("粘贴配额… Paste quotas…"))
        self.paste_button.setToolTip(self.tr("从表格复制两列(样本层、目标)或三列(名称、目标、条件)"
                                             "粘贴进来,一次设置多个 "
                                             "Paste two columns (stratum, target) or three "
                                             "(name, target, condition) copied from a "
                                             "spreadsheet: all are set, or none"))
        self.paste_button.clicked.connect(self.ask_pasted_quotas)
        self.paste_dialog: QInputDialog | None = None
        self.add_button.clicked.connect(self.add_stratum)
        self.remove_button.clicked.connect(self.remove_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.stratum_edit.lineEdit().returnPressed.connect(self.add_stratum)
        self.condition_edit.returnPressed.connect(self.add_stratum)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        adding = QHBoxLayout()
        adding.addWidget(plain_label(self.tr("样本层 Stratum")))
        adding.addWidget(self.stratum_edit, 1)
        adding.addWidget(plain_label(self.tr("目标 Target")))
        adding.addWidget(self.target_spin)
        adding.addWidget(plain_label(self.tr("条件 Condition")))
        adding.addWidget(self.condition_edit, 2)
        adding.addWidget(self.add_button)
        actions = QHBoxLayout()
        actions.addWidget(self.remove_button)
        actions.addWidget(self.paste_button)
        actions.addStretch(1)
        actions.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(self.tr("配额:每层(或每个条件)完成访问的目标数,已满的不再拨打"
                                             "或以 4.80 结束 "
                                             "Quotas: completes wanted per stratum (or per "
                                             "condition); full ones get no more calls or end "
                                             "with 4.80")))
        layout.addWidget(self.table, 1)
        layout.addLayout(adding)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        self.strata: list[str] = []
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        user, project = self.user_id, self.project_id

        def load() -> tuple[list[QuotaCell], list[str]]:
            return (self.service.list_quotas(user, project),
                    self.service.project_strata(user, project))

        self._run(load, self._loaded)

    def _loaded(self, result: tuple[list[QuotaCell], list[str]]) -> None:
        cells, strata = result
        self.model.set_cells(cells)
        self.strata = strata
        self._fill_strata()

    def _fill_strata(self) -> None:
        typed = self.stratum_edit.currentText()
        with_quota = {c.stratum for c in self.model.cells}
        self.stratum_edit.clear()
        self.stratum_edit.addItems([s for s in self.strata if s not in with_quota])
        self.stratum_edit.setEditText(typed)

    @Slot(str, int)
    def save_target(self, stratum: str, target: int, condition: str | None = None) -> None:
        """Save a target; a cell's condition is kept (None: the service keeps it)."""
        user, project = self.user_id, self.project_id
        self._run(lambda: self.service.set_quota(user, project, stratum, target, condition),
                  self._saved)

    @Slot()
    def add_stratum(self) -> None:
        stratum = self.stratum_edit.currentText().strip()
        if not stratum:
            self._show(self.tr("请先填写样本层 Enter a stratum first"), error=True)
            return
        self.save_target(stratum, self.target_spin.value(),
                         self.condition_edit.text().strip() or None)

    @Slot()
    def ask_pasted_quotas(self) -> None:
        """A box to paste quotas into (a dialog that does not block), then all are set."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("粘贴配额 Paste quotas"))
        dialog.setLabelText(self.tr("每行一个样本层和目标数,如“古槐街道<Tab>30”;或名称、目标数和"
                                    "条件,以 Tab 分隔 One stratum and its target per line, "
                                    "or a name, a target and a condition separated by tabs:"))
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput, True)
        dialog.textValueSelected.connect(self._quotas_pasted)
        dialog.finished.connect(dialog.deleteLater)
        self.paste_dialog = dialog
        dialog.open()

    def _quotas_pasted(self, text: str) -> None:
        self.paste_dialog = None
        user, project = self.user_id, self.project_id
        self._run(lambda: self.service.set_quotas_from_text(user, project, text),
                  self._pasted)

    def _pasted(self, cells: list[QuotaCell]) -> None:
        for cell in cells:
            self.model.update_cell(cell)
        self._fill_strata()
        self._show(self.tr("已保存 {n} 个配额 Saved {n} quotas").format(n=len(cells)))

    def _saved(self, cell: QuotaCell) -> None:
        self.model.update_cell(cell)
        if self.stratum_edit.currentText().strip() == cell.stratum:
            self.stratum_edit.setEditText("")
            self.condition_edit.clear()
        self._fill_strata()
        self._show(self.tr("已保存 Saved: {stratum} → {target}").format(
            stratum=cell.stratum, target=cell.target))

    @Slot()
    def remove_selected(self) -> None:
        stratum = self.selected_stratum()
        if stratum is None:
            return
        user, project = self.user_id, self.project_id
        self._run(lambda: self.service.remove_quota(user, project, stratum),
                  lambda _removed: self._removed(stratum))

    def _removed(self, stratum: str) -> None:
        self.model.remove_stratum(stratum)
        self._fill_strata()
        self._show(self.tr("已删除 Removed: {stratum}").format(stratum=stratum))

    def selected_stratum(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.model.cells):
            return None
        return self.model.cells[rows[0].row()].stratum

    def _enable(self) -> None:
        idle = not self.busy
        self.add_button.setEnabled(idle)
        self.paste_button.setEnabled(idle)
        self.refresh_button.setEnabled(idle)
        self.remove_button.setEnabled(idle and self.selected_stratum() is not None)


# -- project settings -------------------------------------------------------------------------


_DEFAULT_DAY = (dt.time(9), dt.time(12), dt.time(14), dt.time(21))


def _qtime(value: dt.time) -> QTime:
    return QTime(value.hour, value.minute)


def _pytime(value: Any) -> dt.time:
    if isinstance(value, QTime):
        return dt.time(value.hour(), value.minute())
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    raise TypeError(f"not a time: {value!r}")


class CallingHoursModel(QStandardItemModel):
    """Seven rows, Monday first: calls on that day (checkable), from, a midday break (checkable),
    the break from and until, until. The time cells hold a QTime; an end of 00:00 is midnight."""

    DAY, START, BREAK, BREAK_START, BREAK_END, END = range(6)
    TIME_COLUMNS = (START, BREAK_START, BREAK_END, END)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(7, 6, parent)
        self.setHorizontalHeaderLabels([
            self.tr("呼叫日 Day"), self.tr("开始 From"), self.tr("午休 Midday break"),
            self.tr("午休开始 Break from"), self.tr("午休结束 Break until"), self.tr("结束 Until")])
        self.dropped_windows = False  # a stored day had more than two windows
        day_names = (self.tr("周一 Mon"), self.tr("周二 Tue"), self.tr("周三 Wed"),
                     self.tr("周四 Thu"), self.tr("周五 Fri"), self.tr("周六 Sat"),
                     self.tr("周日 Sun"))
        for row in range(7):
            day = QStandardItem(day_names[row])
            day.setCheckable(True)
            day.setEditable(False)
            pause = QStandardItem(self.tr("午休 break"))
            pause.setCheckable(True)
            pause.setEditable(False)
            self.setItem(row, self.DAY, day)
            self.setItem(row, self.BREAK, pause)
            for column in self.TIME_COLUMNS:
                self.setItem(row, column, QStandardItem())
        self.itemChanged.connect(self._grey_out)
        self.set_hours(CallingHours())

    def set_hours(self, hours: CallingHours) -> None:
        self.dropped_windows = False
        for row, windows in enumerate(hours.days):
            start, break_start, break_end, end = _DEFAULT_DAY
            on, pause = bool(windows), len(windows) >= 2
            if len(windows) == 1:
                start, end = windows[0]
            elif pause:
                (start, break_start), (break_end, end) = windows[0], windows[1]
                self.dropped_windows = self.dropped_windows or len(windows) > 2
            self.set_day(row, on=on, start=start, end=end,
                         midday_break=(break_start, break_end) if pause else None,
                         keep_break_times=not pause)

    def set_day(self, row: int, *, on: bool, start: dt.time, end: dt.time,
                midday_break: tuple[dt.time, dt.time] | None = None,
                keep_break_times: bool = False) -> None:
        """One weekday; without a break its break times stay as they are (or the defaults)."""
        checked, unchecked = Qt.CheckState.Checked, Qt.CheckState.Unchecked
        self.item(row, self.DAY).setCheckState(checked if on else unchecked)
        self.item(row, self.BREAK).setCheckState(checked if midday_break else unchecked)
        self.item(row, self.START).setData(_qtime(start), Qt.ItemDataRole.EditRole)
        self.item(row, self.END).setData(_qtime(end), Qt.ItemDataRole.EditRole)
        if midday_break is not None:
            pairs = zip((self.BREAK_START, self.BREAK_END), midday_break, strict=True)
        elif keep_break_times and self.item(row, self.BREAK_START).data(
                Qt.ItemDataRole.EditRole) is not None:
            pairs = ()
        else:
            pairs = zip((self.BREAK_START, self.BREAK_END), _DEFAULT_DAY[1:3], strict=True)
        for column, value in pairs:
            self.item(row, column).setData(_qtime(value), Qt.ItemDataRole.EditRole)
        self._grey_out(self.item(row, self.DAY))

    def copy_day(self, source: int) -> None:
        """Give every weekday the hours of ``source``."""
        on = self.item(source, self.DAY).checkState() == Qt.CheckState.Checked
        pause = self.item(source, self.BREAK).checkState() == Qt.CheckState.Checked
        times = [self.time(source, column) for column in self.TIME_COLUMNS]
        for row in range(7):
            if row != source:
                self.set_day(row, on=on, start=times[0], end=times[3],
                             midday_break=(times[1], times[2]) if pause else None)

    def time(self, row: int, column: int) -> dt.time:
        return _pytime(self.item(row, column).data(Qt.ItemDataRole.EditRole))

    def windows(self) -> list[list[tuple[dt.time, dt.time]]]:
        """The calling windows of each weekday, as the service takes them."""
        days: list[list[tuple[dt.time, dt.time]]] = []
        for row in range(7):
            if self.item(row, self.DAY).checkState() != Qt.CheckState.Checked:
                days.append([])
                continue
            start, break_start, break_end, end = (self.time(row, c) for c in self.TIME_COLUMNS)
            if self.item(row, self.BREAK).checkState() == Qt.CheckState.Checked:
                days.append([(start, break_start), (break_end, end)])
            else:
                days.append([(start, end)])
        return days

    def _grey_out(self, item: QStandardItem) -> None:
        row = item.row()
        if item.column() not in (self.DAY, self.BREAK) or row < 0:
            return
        on = self.item(row, self.DAY).checkState() == Qt.CheckState.Checked
        pause = self.item(row, self.BREAK).checkState() == Qt.CheckState.Checked
        usable = {self.START: on, self.END: on, self.BREAK: on,
                  self.BREAK_START: on and pause, self.BREAK_END: on and pause}
        for column, enabled in usable.items():
            cell = self.item(row, column)
            if cell.isEnabled() != enabled:
                cell.setEnabled(enabled)


class TimeDelegate(QStyledItemDelegate):
    """HH:mm in a QTimeEdit; the end of the day shows 00:00 as 24:00 (midnight)."""

    def displayText(self, value: Any, locale: Any) -> str:
        if isinstance(value, (QTime, dt.time)):
            return _pytime(value).strftime("%H:%M")
        return super().displayText(value, locale)

    def initStyleOption(self, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        super().initStyleOption(option, index)
        if index.column() == CallingHoursModel.END and option.text == "00:00":
            option.text = "24:00"

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: AnyIndex) -> QWidget:
        edit = QTimeEdit(parent)
        edit.setDisplayFormat(TIME_FORMAT)
        edit.setFrame(False)
        return edit

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:
        assert isinstance(editor, QTimeEdit)
        value = index.data(Qt.ItemDataRole.EditRole)
        editor.setTime(value if isinstance(value, QTime) else QTime(0, 0))

    def setModelData(self, editor: QWidget, model: Any, index: AnyIndex) -> None:
        assert isinstance(editor, QTimeEdit)
        value = editor.time()
        model.setData(index, QTime(value.hour(), value.minute()), Qt.ItemDataRole.EditRole)


class ProjectSettingsPanel(_Panel):
    """Pause / resume the project; calling hours per weekday; the attempt caps; save."""

    def __init__(self, service: AdminService, tasks: TaskRunner, project_id: int, user_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(service, tasks, user_id, parent)
        self.project_id = project_id
        self.settings: ProjectSettings | None = None
        self.status_label = plain_label()
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        self.pause_button = QPushButton()
        self.pause_button.clicked.connect(self.toggle_pause)
        self.hours_model = CallingHoursModel(self)
        self.hours_table = QTableView()
        self.hours_table.setModel(self.hours_model)
        delegate = TimeDelegate(self.hours_table)
        for column in CallingHoursModel.TIME_COLUMNS:
            self.hours_table.setItemDelegateForColumn(column, delegate)
        self.hours_table.verticalHeader().setVisible(False)
        self.hours_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.hours_table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                         | QAbstractItemView.EditTrigger.EditKeyPressed
                                         | QAbstractItemView.EditTrigger.SelectedClicked)
        self.copy_button = QPushButton(self.tr("所选日期的时段用于每天 Apply the selected day "
                                               "to every day"))
        self.copy_button.clicked.connect(self.copy_selected_day)
        self.hours_note = plain_label()
        self.hours_note.setWordWrap(True)
        self.hours_note.setStyleSheet(NOTE_STYLE)
        self.max_attempts = QSpinBox()
        self.max_attempts.setRange(1, MAX_CAP)
        self.per_day = QSpinBox()
        self.per_day.setRange(1, MAX_CAP)
        self.save_button = QPushButton(self.tr("保存设置 Save settings"))
        self.save_button.clicked.connect(self.save)
        top = QHBoxLayout()
        top.addWidget(self.status_label, 1)
        top.addWidget(self.pause_button)
        caps = QFormLayout()
        caps.addRow(self.tr("最多拨打次数 Maximum attempts"), self.max_attempts)
        caps.addRow(self.tr("每天最多拨打次数 Attempts per day"), self.per_day)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(plain_label(self.tr("呼叫时间（受访者当地时间，结束 00:00 即午夜） "
                                             "Calling hours in the respondent's local time "
                                             "(an end of 00:00 is midnight)")))
        layout.addWidget(self.hours_table, 1)
        layout.addWidget(self.hours_note)
        layout.addWidget(self.copy_button)
        layout.addLayout(caps)
        layout.addWidget(self.save_button)
        layout.addWidget(self.message)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        user, project = self.user_id, self.project_id
        self._run(lambda: self.service.project_settings(user, project), self._loaded)

    def _loaded(self, settings: ProjectSettings) -> None:
        self._show_state(settings)
        self.hours_model.set_hours(settings.calling_hours)
        self.hours_note.setText(self.tr("注意:某天的时段多于两个,保存时只保留前两个 "
                                        "Note: a day has more than two windows; only the "
                                        "first two are kept when saved")
                                if self.hours_model.dropped_windows else "")
        self.max_attempts.setValue(settings.max_attempts)
        self.per_day.setValue(settings.max_attempts_per_day)

    def _show_state(self, settings: ProjectSettings) -> None:
        self.settings = settings
        states = {"active": self.tr("进行中 active"), "paused": self.tr("已暂停 paused"),
                  "closed": self.tr("已结束 closed")}
        self.status_label.setText(self.tr("项目状态 Project {code}: {state}").format(
            code=settings.code, state=states.get(settings.status, settings.status)))
        self.pause_button.setText(self.tr("恢复拨打 Resume project") if settings.paused
                                  else self.tr("暂停拨打 Pause project"))

    @Slot()
    def toggle_pause(self) -> None:
        if self.settings is None:
            return
        user, project = self.user_id, self.project_id
        work = (self.service.resume_project if self.settings.paused
                else self.service.pause_project)
        self._run(lambda: work(user, project), self._status_changed)

    def _status_changed(self, settings: ProjectSettings) -> None:
        self._show_state(settings)
        self._show(self.tr("已暂停:不再分配号码 Paused: no numbers are handed out")
                   if settings.paused else self.tr("已恢复 Resumed"))

    @Slot()
    def copy_selected_day(self) -> None:
        current = self.hours_table.currentIndex()
        self.hours_model.copy_day(current.row() if current.isValid() else 0)

    @Slot()
    def save(self) -> None:
        if self.settings is None:
            return
        user, project = self.user_id, self.project_id
        days = self.hours_model.windows()
        attempts, per_day = self.max_attempts.value(), self.per_day.value()
        self._run(lambda: self.service.update_project_settings(
            user, project, calling_hours=days, max_attempts=attempts,
            max_attempts_per_day=per_day), self._saved)

    def _saved(self, settings: ProjectSettings) -> None:
        self._loaded(settings)
        self._show(self.tr("已保存 Saved"))

    def _enable(self) -> None:
        idle, loaded = not self.busy, self.settings is not None
        closed = loaded and self.settings.status == "closed"
        self.pause_button.setEnabled(idle and loaded and not closed)
        for widget in (self.save_button, self.copy_button, self.hours_table, self.max_attempts,
                       self.per_day):
            widget.setEnabled(idle and loaded)


# -- users --------------------------------------------------------------------------------------


def _role_names() -> dict[str, str]:
    """Each role's name in the interface language."""
    return {"interviewer": QCoreApplication.translate("UsersPanel", "访问员 interviewer"),
            "supervisor": QCoreApplication.translate("UsersPanel", "督导 supervisor"),
            "admin": QCoreApplication.translate("UsersPanel", "管理员 admin")}


class UsersModel(ListTableModel[UserInfo]):
    """Accounts sorted by username (which never changes: it names the row); an inactive one
    in grey."""

    USERNAME, NAME, ROLE, ACTIVE = range(4)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent, key=lambda u: u.username, order=lambda u: u.username,
                         foreground=lambda u: None if u.active else INACTIVE_COLOUR)

    def columns(self) -> list[Column[UserInfo]]:
        roles = _role_names()
        return [
            Column(self.tr("用户名 Username"), lambda u: u.username),
            Column(self.tr("姓名 Name"), lambda u: u.display_name),
            Column(self.tr("角色 Role"), lambda u: roles.get(u.role, u.role)),
            Column(self.tr("状态 State"), lambda u: self.tr("在用 active") if u.active
                   else self.tr("已停用 inactive")),
        ]

    @property
    def users(self) -> list[UserInfo]:
        return self.rows

    def set_users(self, users: Sequence[UserInfo]) -> None:
        self.set_rows(users)

    def update_user(self, user: UserInfo) -> None:
        self.update_row(user, insert=True)


class _SubmitDialog(QDialog):
    """A dialog whose OK asks the panel to save; it closes only when the save succeeded."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._ok)
        self.buttons.rejected.connect(self.reject)
        self.error_label = plain_label()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)

    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _ok(self) -> None:
        problem = self.problem()
        if problem:
            self.error_label.setText(problem)
            return
        self.error_label.clear()
        self.ok_button().setEnabled(False)
        self.submitted.emit()

    def problem(self) -> str:
        return ""

    def failed(self, message: str) -> None:
        self.error_label.setText(message)
        self.ok_button().setEnabled(True)


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class PasswordDialog(_SubmitDialog):
    """A password typed twice; with ``new_account`` also the username, name and role."""

    def __init__(self, username: str = "", parent: QWidget | None = None, *,
                 new_account: bool = False) -> None:
        super().__init__(parent)
        self.new_account = new_account
        self.username = QLineEdit(username)
        self.display_name = QLineEdit()
        self.role = QComboBox()
        for role, name in _role_names().items():
            self.role.addItem(name, role)
        self.password = _password_field()
        self.repeat = _password_field()
        form = QFormLayout(self)
        if new_account:
            self.setWindowTitle(self.tr("新增用户 Add user"))
            form.addRow(self.tr("用户名 Username"), self.username)
            form.addRow(self.tr("姓名 Name"), self.display_name)
            form.addRow(self.tr("角色 Role"), self.role)
            form.addRow(self.tr("密码 Password"), self.password)
        else:
            self.setWindowTitle(self.tr("重置密码 Reset password"))
            self.username.setReadOnly(True)
            form.addRow(self.tr("用户名 Username"), self.username)
            form.addRow(self.tr("新密码 New password"), self.password)
        form.addRow(self.tr("再输入一次 Repeat"), self.repeat)
        form.addRow(plain_label(self.tr("密码至少 {n} 个字符 At least {n} characters").format(n=MIN_PASSWORD_LENGTH)))
        form.addRow(self.error_label)
        form.addRow(self.buttons)

    def problem(self) -> str:
        if self.new_account and not self.username.text().strip():
            return self.tr("请填写用户名 Enter a username")
        if self.password.text() != self.repeat.text():
            return self.tr("两次输入的密码不一致 The passwords differ")
        if len(self.password.text()) < MIN_PASSWORD_LENGTH:
            return self.tr("密码至少 {n} 个字符 At least {n} characters").format(n=MIN_PASSWORD_LENGTH)
        return ""

    def values(self) -> tuple[str, str, str, str]:
        """(username, password, role, display name)"""
        return (self.username.text().strip(), self.password.text(),
                str(self.role.currentData()), self.display_name.text().strip())


class UsersPanel(_Panel):
    """Accounts (admins only: anyone else sees the refusal and no actions)."""

    def __init__(self, service: AdminService, tasks: TaskRunner, user_id: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(service, tasks, user_id, parent)
        self.refused = False
        self.loaded = False
        self.dialog: _SubmitDialog | None = None
        self.model = UsersModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        self.add_button = QPushButton(self.tr("新增用户 Add user"))
        self.deactivate_button = QPushButton(self.tr("停用 Deactivate"))
        self.reactivate_button = QPushButton(self.tr("启用 Reactivate"))
        self.password_button = QPushButton(self.tr("重置密码 Reset password"))
        self.role_combo = QComboBox()
        for role in ROLES:
            self.role_combo.addItem(_role_names()[role], role)
        self.role_button = QPushButton(self.tr("更改角色 Change role"))
        self.add_button.clicked.connect(self.open_add_dialog)
        self.deactivate_button.clicked.connect(lambda: self.set_active(False))
        self.reactivate_button.clicked.connect(lambda: self.set_active(True))
        self.password_button.clicked.connect(self.open_password_dialog)
        self.role_button.clicked.connect(self.change_role)
        self.refusal = plain_label()
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet(ERROR_STYLE)
        self.refusal.hide()
        self.actions = QWidget()
        row = QHBoxLayout(self.actions)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.add_button, self.deactivate_button, self.reactivate_button,
                       self.password_button):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.role_combo)
        row.addWidget(self.role_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.refusal)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.actions)
        layout.addWidget(self.message)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        self._run(lambda: self.service.list_users(self.user_id), self._loaded, self._load_failed)

    def _loaded(self, users: list[UserInfo]) -> None:
        self.loaded, self.refused = True, False
        self.refusal.hide()
        self.table.show()
        self.actions.show()
        self.model.set_users(users)
        self._selected()

    def _load_failed(self, error: BaseException) -> None:
        if isinstance(error, PermissionDenied):
            self._refuse(str(error))

    def _refuse(self, text: str) -> None:
        self.refused = True
        self.model.set_users([])
        self.table.hide()
        self.actions.hide()
        self.refusal.setText(self.tr("仅管理员可以管理用户 Only an admin can manage users"))
        self.refusal.setToolTip(plain_tip(text))
        self.refusal.show()
        self._show("")

    def selected_user(self) -> UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.model.users):
            return None
        return self.model.users[rows[0].row()]

    def select(self, username: str) -> None:
        row = self.model.row_of(username)
        if row >= 0:
            self.table.selectRow(row)

    def _selected(self) -> None:
        user = self.selected_user()
        if user is not None:
            self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(user.role)))
        self._enable()

    def _enable(self) -> None:
        user = self.selected_user()
        usable = not self.busy and self.loaded and not self.refused
        self.add_button.setEnabled(usable)
        self.deactivate_button.setEnabled(usable and user is not None and user.active)
        self.reactivate_button.setEnabled(usable and user is not None and not user.active)
        self.password_button.setEnabled(usable and user is not None)
        self.role_combo.setEnabled(usable and user is not None)
        self.role_button.setEnabled(usable and user is not None)

    def _changed(self, user: UserInfo, text: str) -> None:
        self.model.update_user(user)
        self.select(user.username)
        self._selected()
        self._show(text)

    def _action_failed(self, error: BaseException) -> None:
        if isinstance(error, PermissionDenied):  # our own account lost its admin role
            self._refuse(str(error))

    @Slot()
    def set_active(self, active: bool) -> None:
        user = self.selected_user()
        if user is None:
            return
        work = self.service.reactivate_user if active else self.service.deactivate_user
        text = (self.tr("已启用 Reactivated: {username}") if active
                else self.tr("已停用 Deactivated: {username}")).format(username=user.username)
        self._run(lambda: work(self.user_id, user.id), lambda u: self._changed(u, text),
                  self._action_failed)

    @Slot()
    def change_role(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        role = str(self.role_combo.currentData())
        text = self.tr("已更改角色 Role changed: {username} → {role}").format(
            username=user.username, role=_role_names()[role])
        self._run(lambda: self.service.change_role(self.user_id, user.id, role),
                  lambda u: self._changed(u, text), self._action_failed)

    @Slot()
    def open_add_dialog(self) -> None:
        dialog = PasswordDialog(parent=self, new_account=True)
        dialog.submitted.connect(lambda: self._add(dialog))
        self._open(dialog)

    def _add(self, dialog: PasswordDialog) -> None:
        username, password, role, name = dialog.values()
        self._submit(dialog, lambda: self.service.add_user(self.user_id, username, password,
                                                           role, name),
                     self.tr("已新增 Added: {username}"))

    @Slot()
    def open_password_dialog(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        dialog = PasswordDialog(user.username, self)
        dialog.submitted.connect(lambda: self._reset(dialog, user))
        self._open(dialog)

    def _reset(self, dialog: PasswordDialog, user: UserInfo) -> None:
        password = dialog.password.text()
        self._submit(dialog, lambda: self.service.reset_password(self.user_id, user.id,
                                                                 password),
                     self.tr("已重置密码 Password reset: {username}"))

    def _open(self, dialog: _SubmitDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.dialog = dialog
        dialog.open()

    def _dialog_closed(self, dialog: _SubmitDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _submit(self, dialog: _SubmitDialog, work: Callable[[], UserInfo], text: str) -> None:
        def done(user: UserInfo) -> None:
            self._changed(user, text.format(username=user.username))
            if shiboken6.isValid(dialog):  # it may have been cancelled meanwhile
                dialog.accept()

        def failed(error: BaseException) -> None:
            if shiboken6.isValid(dialog):
                dialog.failed(error_text(error))
            self._action_failed(error)

        if not self._run(work, done, failed):
            dialog.failed(self.tr("请稍候 Please wait"))

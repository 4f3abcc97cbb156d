"""The supervisor console's "sample" panel: the project's cases as a paged table with filters,
the actions a supervisor takes on the selected cases, and for the current case its call history
and why it is or is not callable now.

Every database call goes through the TaskRunner; a finished action shows the new values of the
cases it touched where they stand in the table (a case that no longer passes the filters stays
until the next refresh) and is announced by ``sample_changed`` for the rest of the console.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStyle,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from cati.calling.views import Explanation
from cati.errors import CatiError
from cati.services.sample_browser import (
    NO_DISPOSITION,
    PRIORITY_RANGE,
    SORT_COLUMNS,
    ActionResult,
    AttemptRecord,
    ClosedInterview,
    DispositionChoice,
    DncActionResult,
    SampleBrowser,
    SampleFilters,
)
from ui.correction_dialog import CorrectionDialog
from ui.i18n import in_language
from ui.plain import local_zone_label, plain_label
from ui.sample_model import SampleTableModel
from ui.tasks import TaskRunner

TIME_FORMAT = "%Y-%m-%d %H:%M"
PHONE_DELAY_MS = 400  # typing a number: search once the typing pauses
CURRENT_DELAY_MS = 150  # moving through the table: load the history where it stops
MAX_ATTEMPTS_SPIN = 99


# The widest value each column usually holds: the columns are sized from these and their
# titles (measuring the rows themselves would read every page of a million-row table).
TYPICAL_VALUES = {
    "id": "10000000", "phone_e164": "+8613707549135", "stratum": "经济技术开发区",
    "state": "待重拨 scheduled", "disposition": "2.111", "attempts": "10",
    "next_call_at": "2026-12-07 16:30", "priority": "-1000",
    "lease_holder": "workstation-01:interviewer", "lease_expires_at": "2026-12-07 16:30",
    "region": "河南省驻马店市", "carrier": "中国移动"}


def _local(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime(TIME_FORMAT)


def _read_only_table(titles: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(titles))
    table.setHorizontalHeaderLabels(list(titles))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    for column in range(len(titles) - 1):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))


class SamplePanel(QWidget):
    """The sample of one project for a supervisor (``user_id``, who is named in the audit)."""

    sample_changed = Signal(object)  # the ActionResult / DncActionResult of a finished action

    def __init__(self, service: SampleBrowser, tasks: TaskRunner, project_id: int,
                 user_id: int, strata: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._tasks = tasks
        self._project_id = project_id
        self._user_id = user_id
        self._acting = False
        self._shown_case: int | None = None  # the case whose history is shown
        self.dnc_dialog: QInputDialog | None = None
        self.reopen_dialog: QInputDialog | None = None
        self.model = SampleTableModel(service, tasks, project_id, parent=self)
        self._build(strata)
        self._connect()
        self._update_buttons()
        self._run(partial(service.disposition_choices, project_id), self._show_dispositions)
        self._run(service.interviewers, self._show_interviewers)

    # -- building -----------------------------------------------------------------------------

    def set_strata(self, strata: Sequence[str]) -> None:
        """The strata offered in the filter (loaded after the panel opened)."""
        chosen = self.stratum_combo.currentData()
        self.stratum_combo.blockSignals(True)
        while self.stratum_combo.count() > 1:
            self.stratum_combo.removeItem(1)
        for stratum in strata:
            self.stratum_combo.addItem(stratum or self.tr("无 none"), stratum)
        index = self.stratum_combo.findData(chosen)
        self.stratum_combo.setCurrentIndex(max(index, 0))
        self.stratum_combo.blockSignals(False)

    def _build(self, strata: Sequence[str]) -> None:
        self.stratum_combo = QComboBox()
        self.stratum_combo.addItem(self.tr("全部 All"), None)
        for stratum in strata:
            self.stratum_combo.addItem(stratum or self.tr("无 none"), stratum)
        self.state_combo = QComboBox()
        self.state_combo.addItem(self.tr("全部 All"), None)
        for state, label in self.model.state_labels().items():
            self.state_combo.addItem(label, state)
        self.disposition_combo = QComboBox()
        self.disposition_combo.addItem(self.tr("全部 All"), None)
        self.disposition_combo.addItem(self.tr("无结果 None yet"), NO_DISPOSITION)
        self.min_attempts_spin = QSpinBox()
        self.min_attempts_spin.setRange(0, MAX_ATTEMPTS_SPIN)
        self.min_attempts_spin.setSpecialValueText(self.tr("不限 any"))
        self.max_attempts_spin = QSpinBox()
        self.max_attempts_spin.setRange(-1, MAX_ATTEMPTS_SPIN)
        self.max_attempts_spin.setSpecialValueText(self.tr("不限 any"))
        self.max_attempts_spin.setValue(-1)
        self.phone_edit = QLineEdit()
        self.phone_edit.setPlaceholderText(self.tr("号码中的数字 digits of the number"))
        self.phone_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"\d{0,20}"), self.phone_edit))
        self.phone_edit.setClearButtonEnabled(True)
        self.phone_edit.setToolTip(self.tr("按号码中任意位置的数字查找,需逐个比对全部样本,较慢 "
                                           "Digits anywhere in the number: a slow search through "
                                           "the whole sample"))
        self.refresh_button = QPushButton(self.tr("刷新 Refresh"))
        self.count_label = plain_label()
        self.table = self._sample_table()
        self.release_button = QPushButton(self.tr("释放占用 Release lease"))
        self.reopen_button = QPushButton(self.tr("重新开放 Reopen"))
        self.call_now_button = QPushButton(self.tr("立即拨打 Call now"))
        self.call_now_button.setToolTip(self.tr(
            "选中的号码排在最前，两小时内由下一位就绪的访问员（或下面指定的访问员）拨打 · The selected "
            "cases are called next, within two hours, by the next interviewer ready (or the one "
            "chosen beside)"))
        self.assign_combo = QComboBox()
        self.assign_combo.addItem(self.tr("任何访问员 Anyone"), None)
        self.priority_spin = QSpinBox()
        self.priority_spin.setRange(*PRIORITY_RANGE)
        self.priority_button = QPushButton(self.tr("设置优先级 Set priority"))
        self.dnc_button = QPushButton(self.tr("加入免打扰 Do not call"))
        self.explain_button = QPushButton(self.tr("为何现在不能拨打 Why not now?"))
        self.correct_button = QPushButton(self.tr("修改答案… Correct an answer…"))
        self.correction_dialog: CorrectionDialog | None = None
        self.history_title = plain_label(self.tr("拨打记录 Call history"))
        self.history_table = _read_only_table([
            self.tr("时间 Time") + f" ({local_zone_label()})", self.tr("访问员 Interviewer"),
            self.tr("结果 Outcome"),
            self.tr("备注 Note")])
        self.explain_summary = plain_label()
        self.explain_summary.setWordWrap(True)
        self.explain_table = _read_only_table([
            self.tr("规则 Rule"), self.tr("阻止 Blocks"), self.tr("说明 Detail"),
            self.tr("解除时间 Until") + f" ({local_zone_label()})"])
        self.status_label = plain_label()
        self.status_label.setWordWrap(True)
        self._lay_out()

    def _sample_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        rows = table.verticalHeader()
        rows.setVisible(False)
        # Fixed heights: with 1M rows the view must never measure rows to scroll.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)  # the model's own order
        table.setSortingEnabled(True)
        self._size_columns(table)
        return table

    def _size_columns(self, table: QTableView) -> None:
        """Every title and a typical value fit, so nothing is clipped when the tab opens (the
        interviewer can still drag a column narrower or wider)."""
        header = table.horizontalHeader()
        cells, titles = table.fontMetrics(), header.fontMetrics()
        for column, name in enumerate(SORT_COLUMNS):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            sort_arrow = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize)
            width = max(titles.horizontalAdvance(title) + sort_arrow + 24,
                        cells.horizontalAdvance(TYPICAL_VALUES.get(name, "")) + 16)
            header.resizeSection(column, width)

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        for label, widget in ((self.tr("样本层 Stratum"), self.stratum_combo),
                              (self.tr("状态 State"), self.state_combo),
                              (self.tr("结果 Disposition"), self.disposition_combo),
                              (self.tr("拨打次数从 Attempts from"), self.min_attempts_spin),
                              (self.tr("至 to"), self.max_attempts_spin),
                              (self.tr("号码 Phone"), self.phone_edit)):
            filters.addWidget(plain_label(label))
            filters.addWidget(widget, 1 if widget is self.phone_edit else 0)
        filters.addWidget(self.refresh_button)
        actions = QHBoxLayout()
        for widget in (self.release_button, self.reopen_button, self.call_now_button,
                       self.assign_combo, self.priority_spin, self.priority_button,
                       self.dnc_button, self.explain_button, self.correct_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.history_title)
        side_layout.addWidget(self.history_table, 1)
        explain_form = QFormLayout()
        explain_form.addRow(self.tr("能否拨打 Callable"), self.explain_summary)
        side_layout.addLayout(explain_form)
        side_layout.addWidget(self.explain_table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.count_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(actions)
        layout.addWidget(self.status_label)

    def _connect(self) -> None:
        self._phone_timer = QTimer(self)
        self._phone_timer.setSingleShot(True)
        self._phone_timer.setInterval(PHONE_DELAY_MS)
        self._phone_timer.timeout.connect(self.apply_filters)
        self._current_timer = QTimer(self)
        self._current_timer.setSingleShot(True)
        self._current_timer.setInterval(CURRENT_DELAY_MS)
        self._current_timer.timeout.connect(self._load_current_history)
        for combo in (self.stratum_combo, self.state_combo, self.disposition_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        for spin in (self.min_attempts_spin, self.max_attempts_spin):
            spin.valueChanged.connect(self.apply_filters)
        self.phone_edit.textChanged.connect(lambda _text: self._phone_timer.start())
        self.phone_edit.returnPressed.connect(self.apply_filters)
        self.refresh_button.clicked.connect(self.model.refresh)
        self.model.count_changed.connect(self._show_count)
        self.model.modelReset.connect(self._model_reset)
        self.model.load_failed.connect(self._show_error)
        self.model.dataChanged.connect(self._rows_arrived)
        selection = self.table.selectionModel()
        selection.selectionChanged.connect(self._update_buttons)
        selection.currentRowChanged.connect(lambda *_: self._current_timer.start())
        self.release_button.clicked.connect(self.release_lease)
        self.reopen_button.clicked.connect(self.reopen)
        self.call_now_button.clicked.connect(self.call_now)
        self.correct_button.clicked.connect(self.open_correction)
        self.priority_button.clicked.connect(self.set_priority)
        self.dnc_button.clicked.connect(self.ask_dnc_reason)
        self.explain_button.clicked.connect(self.explain_current)

    # -- filters ------------------------------------------------------------------------------

    def filters(self) -> SampleFilters:
        """The filters as the bar shows them."""
        high = self.max_attempts_spin.value()
        return SampleFilters(
            stratum=self.stratum_combo.currentData(),
            state=self.state_combo.currentData(),
            disposition=self.disposition_combo.currentData(),
            min_attempts=self.min_attempts_spin.value() or None,
            max_attempts=None if high < 0 else high,
            phone=self.phone_edit.text().strip() or None)

    @Slot()
    def apply_filters(self) -> None:
        self._phone_timer.stop()
        filters = self.filters()
        if filters != self.model.filters:
            self.model.set_filters(filters)

    @Slot(object)
    def _show_interviewers(self, people: list[tuple[int, str]]) -> None:
        for user_id, name in people:
            self.assign_combo.addItem(self.tr("指派给 {name}").format(name=name), user_id)

    @Slot()
    def open_correction(self) -> None:
        """The current case's closed interview, read on the worker, then the dialog."""
        row = self.model.case_row(self.table.currentIndex().row())
        if row is None:
            return
        self._run(partial(self._service.closed_interview, row.id), self._show_correction)

    def _show_correction(self, interview: ClosedInterview | None) -> None:
        if interview is None or not interview.answers:
            self._show_error(self.tr("该号码没有已结束的访问 This case has no closed interview"))
            return
        dialog = CorrectionDialog(interview, self)
        dialog.accepted.connect(partial(self._correction_given, dialog))
        dialog.finished.connect(dialog.deleteLater)
        self.correction_dialog = dialog
        dialog.open()

    def _correction_given(self, dialog: CorrectionDialog) -> None:
        self.correction_dialog = None
        line, value, reason = dialog.current(), dialog.value(), dialog.reason.text()
        interview_id = dialog.interview.interview_id
        self.status_label.setStyleSheet("color: #555;")
        self.status_label.setText(self.tr("正在处理… Working…"))
        self._run(lambda: self._service.correct_answer(interview_id, line.question, value,
                                                       self._user_id, reason=reason),
                  self._corrected, self._action_failed)

    def _corrected(self, correction) -> None:
        self.status_label.setStyleSheet("color: #1b5e20;")
        self.status_label.setText(self.tr("已更正 corrected: {q} {old} → {new}").format(
            q=correction.question, old=correction.old_value or "—", new=correction.new_value))

    @Slot()
    def call_now(self) -> None:
        interviewer_id = self.assign_combo.currentData()
        name = self.assign_combo.currentText()
        self._act(lambda ids: self._service.call_now(ids, self._user_id,
                                                     interviewer_id=interviewer_id),
                  lambda r: (self.tr("{n} 个号码将立即拨打 {n} called next").format(
                      n=len(r.changed)) + ("" if interviewer_id is None else f" · {name}")))

    @Slot(object)
    def _show_dispositions(self, choices: list[DispositionChoice]) -> None:
        self.disposition_combo.blockSignals(True)
        for choice in choices:
            self.disposition_combo.addItem(f"{choice.code} {in_language(choice.label_zh, choice.label_en)}", choice.code)
        self.disposition_combo.blockSignals(False)

    @Slot()
    def _model_reset(self) -> None:
        self.count_label.setText(self.tr("正在计数… Counting…"))
        self._shown_case = None
        self._update_buttons()

    @Slot(int)
    def _show_count(self, count: int) -> None:
        self.count_label.setText(self.tr("共 {n} 个号码 Cases: {n}").format(n=f"{count:,}"))

    # -- the current case: history and explanation --------------------------------------------

    def current_case_id(self) -> int | None:
        current = self.table.currentIndex()
        if not current.isValid():
            return None
        row = self.model.case_row(current.row())
        return None if row is None else row.id

    @Slot()
    def _rows_arrived(self, *_: Any) -> None:
        if self._shown_case is None and self.current_case_id() is not None:
            self._current_timer.start()

    @Slot()
    def _load_current_history(self) -> None:
        case_id = self.current_case_id()
        self._update_buttons()
        if case_id is None or case_id == self._shown_case:
            return
        self._shown_case = case_id
        self.history_title.setText(self.tr("拨打记录 Call history") + f" · {case_id}")
        self.explain_table.setRowCount(0)
        self.explain_summary.clear()
        self._run(partial(self._service.attempts, case_id), partial(self._show_history, case_id))

    def _show_history(self, case_id: int, attempts: list[AttemptRecord]) -> None:
        if case_id != self._shown_case:
            return
        _fill(self.history_table, [
            (_local(a.started_at), a.interviewer or a.workstation,
             f"{a.disposition or ''} {in_language(a.label_zh, a.label_en)}".strip(), a.note) for a in attempts])

    @Slot()
    def explain_current(self) -> None:
        case_id = self.current_case_id()
        if case_id is None:
            self._show_error(self.tr("请先选中一个号码 Select a case first"))
            return
        self._run(partial(self._service.explain, case_id),
                  partial(self._show_explanation, case_id))

    def _show_explanation(self, case_id: int, explanation: Explanation) -> None:
        if case_id != self.current_case_id():
            return
        yes, no = self.tr("是 yes"), self.tr("否 no")
        _fill(self.explain_table, [
            (check.rule, yes if check.blocks else no, check.detail, _local(check.until))
            for check in explanation.checks])
        if explanation.callable_now:
            summary = self.tr("现在可以拨打 callable now")
        elif explanation.next_callable_at is not None:
            summary = self.tr("须等到 {at} 才能拨打 Not callable before {at}").format(
                at=_local(explanation.next_callable_at))
        else:
            summary = self.tr("不会再拨打 never callable as it stands")
        self.explain_summary.setText(f"{case_id}: {summary}")

    # -- actions ------------------------------------------------------------------------------

    def selected_case_ids(self) -> list[int] | None:
        """The selected cases; None (and a message) when none is or some are still loading."""
        ids, loading = self.model.case_ids(self.table.selectionModel().selection())
        if loading:
            self._show_error(self.tr("有 {n} 个选中的行仍在加载,请稍候再试 "
                                     "Still loading {n} of the selected rows: try again shortly").format(n=loading))
            return None
        if not ids:
            self._show_error(self.tr("请先选择号码 Select cases first"))
            return None
        return ids

    @Slot()
    def release_lease(self) -> None:
        self._act(partial(self._service.release_lease, user_id=self._user_id),
                  lambda r: self.tr("已释放 {n} 个号码 released {n}").format(n=len(r.changed)))

    @Slot()
    def reopen(self) -> None:
        """Asks why (a dialog that does not block; reopening a closed case is audited with its
        reason, and voids a completed interview), then reopens the cases."""
        ids = self.selected_case_ids()
        if ids is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("重新开放 Reopen"))
        dialog.setLabelText(self.tr(
            "重新开放 {n} 个已结束的号码。已完成的访问将作废(保留,不计入指数、配额和导出)。原因 "
            "Reopen {n} closed cases. A completed interview is voided (kept, counted nowhere). "
            "Reason:").format(n=len(ids)))
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.textValueSelected.connect(partial(self._reopen_reason_given, ids))
        dialog.finished.connect(dialog.deleteLater)
        self.reopen_dialog = dialog
        dialog.open()

    def _reopen_reason_given(self, ids: list[int], reason: str) -> None:
        self.reopen_dialog = None
        self._act(lambda _: self._service.reopen(ids, self._user_id, reason=reason),
                  lambda r: self.tr("已重新开放 {n} 个号码 reopened {n}").format(
                      n=len(r.changed)), ids=ids)

    @Slot()
    def set_priority(self) -> None:
        priority = self.priority_spin.value()
        self._act(lambda ids: self._service.set_priority(ids, priority, self._user_id),
                  lambda r: self.tr("优先级 {p}:已设置 {n} 个号码 Priority {p} set on {n} cases")
                  .format(n=len(r.changed), p=priority))

    @Slot()
    def ask_dnc_reason(self) -> None:
        """Asks for the reason (a dialog that does not block), then adds the numbers."""
        ids = self.selected_case_ids()
        if ids is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("加入免打扰名单 Do not call"))
        dialog.setLabelText(self.tr("将把 {n} 个号码加入免打扰名单并结案,原因 "
                                    "The {n} numbers go on the do-not-call list and their "
                                    "cases close. Reason:").format(
            n=len(ids)))
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.textValueSelected.connect(partial(self._dnc_reason_given, ids))
        dialog.finished.connect(dialog.deleteLater)
        self.dnc_dialog = dialog
        dialog.open()

    def _dnc_reason_given(self, ids: list[int], reason: str) -> None:
        self.dnc_dialog = None
        self._act(lambda _: self._service.add_to_dnc(ids, reason, self._user_id),
                  self._dnc_text, ids=ids)

    def _dnc_text(self, result: DncActionResult) -> str:
        text = self.tr("免打扰名单新增 {added} 个号码,结案 {closed} 个 "
                       "added {added} to do-not-call, closed {closed}").format(
            added=result.added, closed=len(result.changed))
        if result.invalid:
            text += " · " + self.tr("未能加入 not added: {numbers}").format(
                numbers=", ".join(f"{number} ({why})" for number, why in result.invalid))
        return text

    def _act(self, work: Callable[[list[int]], ActionResult | DncActionResult],
             describe: Callable[[Any], str], ids: list[int] | None = None) -> None:
        if self._acting:
            return
        ids = ids if ids is not None else self.selected_case_ids()
        if ids is None:
            return
        self._acting = True
        self._update_buttons()
        self.status_label.setStyleSheet("color: #555;")
        self.status_label.setText(self.tr("正在处理… Working…"))
        self._run(partial(work, ids), partial(self._action_done, describe), self._action_failed)

    def _action_done(self, describe: Callable[[Any], str],
                     result: ActionResult | DncActionResult) -> None:
        self._acting = False
        self.model.update_rows(result.rows)
        self.status_label.setStyleSheet("color: #1b5e20;")
        self.status_label.setText(describe(result))
        self._update_buttons()
        if self._shown_case is not None and self._shown_case in result.changed:
            self._shown_case = None
            self._current_timer.start()
        self.sample_changed.emit(result)

    def _action_failed(self, error: BaseException) -> None:
        self._acting = False
        self._update_buttons()
        self._show_failure(error)

    # -- the database thread ------------------------------------------------------------------

    def _run(self, work: Callable[[], Any], on_success: Callable[[Any], None],
             on_failure: Callable[[BaseException], None] | None = None) -> None:
        """tasks.run, with the answer dropped when this panel was closed meanwhile."""
        failure = on_failure or self._show_failure
        self._tasks.run(work, lambda result: isValid(self) and on_success(result),
                        lambda error: isValid(self) and failure(error))

    # -- messages -----------------------------------------------------------------------------

    def _show_failure(self, error: BaseException) -> None:
        if isinstance(error, CatiError):
            self._show_error(str(error))
        else:  # a bug: say so, with what Python said
            self._show_error(self.tr("出错了 Something went wrong: {error}").format(
                error=f"{type(error).__name__}: {error}"))

    @Slot(str)
    def _show_error(self, message: str) -> None:
        self.status_label.setStyleSheet("color: #b00020;")
        self.status_label.setText(message)

    @Slot()
    def _update_buttons(self, *_: Any) -> None:
        selected = self.table.selectionModel().hasSelection()
        for button in (self.release_button, self.reopen_button, self.priority_button,
                       self.dnc_button, self.call_now_button):
            button.setEnabled(selected and not self._acting)
        self.explain_button.setEnabled(self.table.currentIndex().isValid())
        self.correct_button.setEnabled(self.table.currentIndex().isValid() and not self._acting)

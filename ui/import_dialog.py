"""The supervisor's phone-list import: choose a file, check its layout on a preview, dry-run,
import with progress and a cancel, then see the counts and the rejected rows and save them.

Nothing here touches the disk or the database on the GUI thread: previews and saving the rejects
go through the shared TaskRunner; a dry run or an import (long, with progress) runs on its own
thread, so the shared worker stays free, and reports back by queued signals. The file dialogs
are Qt's own. Closing the window during an import cancels it and closes once it has stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cati.errors import CatiError
from cati.services.import_session import (
    ImportPreview,
    ImportReport,
    ImportService,
    LayoutChoice,
)
from cati.services.sample_import import ImportCancelled, ImportProgress
from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text

log = logging.getLogger(__name__)

COUNT_KEYS = ("rows", "imported", "invalid", "duplicate_in_file", "duplicate_existing", "dnc")
MAX_HEADER_ROW = 1_000_000
ERROR_STYLE = "color: #b00020;"
DELIMITER_NAMES = {",": ",", ";": ";", "\t": "Tab"}

# work(progress, should_cancel) -> the report: a dry run or an import, on the run's own thread
RunWork = Callable[[Callable[[ImportProgress], None], Callable[[], bool]], ImportReport]


class _ImportRun(QObject):
    """One dry run or import on its own thread; signals arrive queued on the GUI thread.

    Not parented: it lives as long as its thread, even if the window goes first."""

    progressed = Signal(object)   # ImportProgress
    succeeded = Signal(object)    # ImportReport
    failed = Signal(object)       # BaseException, without its traceback

    def __init__(self, work: RunWork, dry_run: bool) -> None:
        super().__init__()
        self.dry_run = dry_run
        self.cancel_requested = threading.Event()
        self._work = work
        self._thread = threading.Thread(target=self._run, name="cati-import", daemon=False)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self.cancel_requested.set()

    def _run(self) -> None:
        try:
            report = self._work(self.progressed.emit, self.cancel_requested.is_set)
        except Exception as error:
            if not isinstance(error, CatiError):
                log.error("the import failed", exc_info=error)
            # Dropping the traceback frees the import's frames (and its process pool) now.
            error.__traceback__ = None
            self.failed.emit(error)
        else:
            self.succeeded.emit(report)


class ImportDialog(QDialog):
    """Import a phone list into the project ``project_code`` as user ``user_id``."""

    preview_shown = Signal(object)    # ImportPreview
    progressed = Signal(object)       # ImportProgress
    run_finished = Signal(object)     # ImportReport (a dry run or an import)
    run_cancelled = Signal()
    failed = Signal(str)              # the one line shown
    rejects_saved = Signal(str)       # the path written

    def __init__(self, service: ImportService, tasks: TaskRunner, project_code: str,
                 user_id: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.project_code, self.user_id = project_code, user_id
        self.path: str | None = None
        self.preview: ImportPreview | None = None
        self.report: ImportReport | None = None
        self.error: str | None = None
        self.cancelled = False
        self._run: _ImportRun | None = None
        self._preview_serial = 0
        self._previewing = False
        self._saving = False
        self._close_result: int | None = None
        self.setWindowTitle(self.tr("导入电话样本 Import a phone list") + f" — {project_code}")
        self.resize(900, 760)
        self._build()
        self._update_enabled()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText(self.tr("请选择 Excel 或 CSV 文件 Choose an Excel or "
                                                  "CSV file"))
        self.choose_button = QPushButton(self.tr("选择文件… Choose file…"))
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.choose_button)

        self.sheet_combo = QComboBox()
        self.header_spin = QSpinBox()
        self.header_spin.setRange(1, MAX_HEADER_ROW)
        self.header_spin.setKeyboardTracking(False)  # one preview when the number is entered
        self.phone_combo = QComboBox()
        self.stratum_combo = QComboBox()
        self.sheet_combo.currentIndexChanged.connect(self._sheet_changed)
        self.header_spin.valueChanged.connect(self._header_changed)
        self.phone_combo.currentIndexChanged.connect(self._phone_changed)
        self.stratum_combo.currentIndexChanged.connect(self._stratum_changed)
        self.format_label = plain_label()
        self.format_label.setStyleSheet("color: #555;")
        layout_form = QFormLayout()
        layout_form.addRow(self.tr("工作表 Sheet"), self.sheet_combo)
        layout_form.addRow(self.tr("表头行 Header row"), self.header_spin)
        layout_form.addRow(self.tr("电话列 Phone column"), self.phone_combo)
        layout_form.addRow(self.tr("分层列 Stratum column"), self.stratum_combo)
        layout_form.addRow(self.format_label)
        self.preview_table = self._table()
        preview_box = QGroupBox(self.tr("预览 Preview"))
        preview_layout = QHBoxLayout(preview_box)
        preview_layout.addLayout(layout_form)
        preview_layout.addWidget(self.preview_table, 1)

        self.message = plain_label()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.dry_run_button = QPushButton(self.tr("试导入 Dry run"))
        self.import_button = QPushButton(self.tr("导入 Import"))
        self.cancel_button = QPushButton(self.tr("取消导入 Cancel"))
        self.dry_run_button.clicked.connect(self.dry_run)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button.clicked.connect(self.cancel_import)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(False)
        self.progress_label = plain_label()
        actions = QHBoxLayout()
        actions.addWidget(self.dry_run_button)
        actions.addWidget(self.import_button)
        actions.addWidget(self.progress_bar, 1)
        actions.addWidget(self.cancel_button)

        result_box = QGroupBox(self.tr("结果 Result"))
        self.summary_label = plain_label()
        self.summary_label.setWordWrap(True)
        counts = QGridLayout()
        self.count_titles: dict[str, QLabel] = {}
        self.count_labels: dict[str, QLabel] = {}
        for index, key in enumerate(COUNT_KEYS):
            title, value = plain_label(), plain_label("—")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            bold = value.font()
            bold.setBold(True)
            value.setFont(bold)
            self.count_titles[key], self.count_labels[key] = title, value
            counts.addWidget(title, index // 3, (index % 3) * 2)
            counts.addWidget(value, index // 3, (index % 3) * 2 + 1)
        self._title_counts(dry_run=True)
        self.rejects_label = plain_label()
        self.rejects_table = self._table()
        self.rejects_table.setColumnCount(3)
        self.rejects_table.setHorizontalHeaderLabels([
            self.tr("行号 Row"), self.tr("原始号码 As given"), self.tr("原因 Reason")])
        self.save_rejects_button = QPushButton(self.tr("保存拒绝清单 Save rejects as .xlsx"))
        self.save_rejects_button.clicked.connect(self.choose_rejects_target)
        result_layout = QVBoxLayout(result_box)
        result_layout.addWidget(self.summary_label)
        result_layout.addLayout(counts)
        result_layout.addWidget(self.rejects_label)
        result_layout.addWidget(self.rejects_table, 1)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.save_rejects_button)
        result_layout.addLayout(save_row)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(file_row)
        layout.addWidget(preview_box, 3)
        layout.addWidget(self.message)
        layout.addLayout(actions)
        layout.addWidget(self.progress_label)
        layout.addWidget(result_box, 2)
        layout.addWidget(self.buttons)

    def _table(self) -> QTableWidget:
        table = QTableWidget(0, 0)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def _title_counts(self, *, dry_run: bool) -> None:
        titles = {
            "rows": self.tr("行数 Rows"),
            "imported": self.tr("可导入 Would import") if dry_run else self.tr("已导入 Imported"),
            "invalid": self.tr("无效号码 Invalid"),
            "duplicate_in_file": self.tr("文件内重复 Duplicates in the file"),
            "duplicate_existing": self.tr("项目中已有 Already in the project"),
            "dnc": self.tr("免打扰名单 On the do-not-call list"),
        }
        for key, text in titles.items():
            self.count_titles[key].setText(text)

    # -- state --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """A dry run or an import is under way."""
        return self._run is not None

    @property
    def busy(self) -> bool:
        """Some work for this window is under way (preview, run or saving)."""
        return self._previewing or self._saving or self._run is not None

    def _update_enabled(self) -> None:
        running = self._run is not None
        has_file = self.path is not None
        self.choose_button.setEnabled(not running)
        self.sheet_combo.setEnabled(not running and self.sheet_combo.count() > 1)
        self.header_spin.setEnabled(not running and has_file)
        self.phone_combo.setEnabled(not running and self.phone_combo.count() > 0)
        self.stratum_combo.setEnabled(not running and self.stratum_combo.count() > 0)
        ready = not running and not self._previewing and self.preview is not None
        self.dry_run_button.setEnabled(ready)
        self.import_button.setEnabled(ready)
        self.cancel_button.setEnabled(running and not self._run.cancel_requested.is_set())
        rejects_file = self.report.result.rejects_file if self.report else None
        self.save_rejects_button.setEnabled(
            not running and not self._saving and rejects_file is not None)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else "")
        self.message.setText(text)

    def _fail(self, error: BaseException) -> None:
        line = error_text(error)
        self.error = line
        self._say(line, error=True)
        self.failed.emit(line)

    # -- the file and its preview -------------------------------------------------------------

    @Slot()
    def choose_file(self) -> None:
        start = str(Path(self.path).parent) if self.path else ""
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("选择电话样本 Choose a phone list"), start,
            self.tr("电话样本 Phone lists") + " (*.xlsx *.xlsm *.xls *.xlsb *.ods *.csv *.txt);;"
            + self.tr("所有文件 All files") + " (*)")
        if path:
            self.set_file(path)

    def set_file(self, path: str | Path) -> None:
        """Show ``path`` and preview it with the layout detected."""
        if self._run is not None:
            return
        self.path = str(path)
        self.file_edit.setText(self.path)
        self.preview = None
        self.cancelled = False
        self._clear_layout_controls()
        self._clear_result()
        self.preview_table.setRowCount(0)
        self.preview_table.setColumnCount(0)
        # The sheets first (the worker runs calls in order): a layout that cannot be found on
        # the sheet read by default must still leave the others to choose from.
        # (TaskRunner may call back before run() returns, when the work was quick.)
        path_text = self.path
        service = self.service
        self.tasks.run(lambda: service.sheets(path_text),
                       lambda sheets: self._sheets_listed(path_text, sheets), lambda _error: None)
        self._request_preview(LayoutChoice())

    def _sheets_listed(self, path: str, sheets: tuple[str, ...]) -> None:
        if path != self.path or self.sheet_combo.count():
            return  # another file since, or its preview has listed them already
        self.sheet_combo.blockSignals(True)
        for name in sheets:
            self.sheet_combo.addItem(name, name)
        self.sheet_combo.blockSignals(False)
        self._update_enabled()

    def _request_preview(self, choice: LayoutChoice) -> None:
        path = self.path
        if path is None:
            return
        self._preview_serial += 1
        serial = self._preview_serial
        self._previewing = True
        self.error = None
        self._say(self.tr("正在读取文件… Reading the file…"))
        self._update_enabled()
        service = self.service
        self.tasks.run(lambda: service.preview(path, choice),
                       lambda preview: self._previewed(serial, preview),
                       lambda error: self._preview_failed(serial, error))

    def _previewed(self, serial: int, preview: ImportPreview) -> None:
        if serial != self._preview_serial:
            return  # a later choice has been asked for
        self._previewing = False
        self.preview = preview
        self._show_layout(preview)
        self._show_preview_rows(preview)
        self._say(self.tr("检查表头行和电话列,然后试导入或导入 Check the header row and the "
                          "phone column, then dry-run or import"))
        self._update_enabled()
        self.preview_shown.emit(preview)

    def _preview_failed(self, serial: int, error: BaseException) -> None:
        if serial != self._preview_serial:
            return
        self._previewing = False
        self.preview = None
        self.preview_table.setRowCount(0)
        sheet = getattr(error, "sheet", None)  # the sheet read, when the reader names one
        if sheet is not None and self.sheet_combo.findData(sheet) >= 0:
            self.sheet_combo.blockSignals(True)
            self.sheet_combo.setCurrentIndex(self.sheet_combo.findData(sheet))
            self.sheet_combo.blockSignals(False)
        self._fail(error)
        self._update_enabled()

    def _clear_layout_controls(self) -> None:
        for combo in (self.sheet_combo, self.phone_combo, self.stratum_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self.header_spin.blockSignals(True)
        self.header_spin.setValue(1)
        self.header_spin.blockSignals(False)
        self.format_label.clear()

    def _show_layout(self, preview: ImportPreview) -> None:
        layout = preview.layout
        self._clear_layout_controls()
        widgets = (self.sheet_combo, self.header_spin, self.phone_combo, self.stratum_combo)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            for name in preview.sheets:
                self.sheet_combo.addItem(name, name)
            if layout.sheet is not None:
                self.sheet_combo.setCurrentIndex(max(0, self.sheet_combo.findData(layout.sheet)))
            self.header_spin.setValue(layout.header_row)
            for name in layout.columns:
                self.phone_combo.addItem(name, name)
            self.phone_combo.setCurrentIndex(self.phone_combo.findData(layout.phone_column))
            if layout.stratum_column is None:
                self.stratum_combo.addItem(self.tr("(无 None)"), None)
            for name in layout.columns:
                if name != layout.phone_column:
                    self.stratum_combo.addItem(name, name)
            self.stratum_combo.setCurrentIndex(
                max(0, self.stratum_combo.findData(layout.stratum_column)))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        if layout.encoding is not None:
            delimiter = layout.delimiter or ""
            self.format_label.setText(
                self.tr("文本文件 Text file") + " · "
                + self.tr("编码 Encoding: {encoding}").format(encoding=layout.encoding) + " · "
                + self.tr("分隔符 Delimiter: {delimiter}").format(
                    delimiter=DELIMITER_NAMES.get(delimiter, repr(delimiter))))

    def _show_preview_rows(self, preview: ImportPreview) -> None:
        table = self.preview_table
        layout = preview.layout
        table.clear()
        table.setColumnCount(len(preview.columns) + 1)
        table.setRowCount(len(preview.rows))
        table.setHorizontalHeaderItem(0, QTableWidgetItem(self.tr("行 Row")))
        for column, name in enumerate(preview.columns, start=1):
            item = QTableWidgetItem(name)
            if name == layout.phone_column:
                item.setToolTip(self.tr("电话列 Phone column"))
            elif name == layout.stratum_column:
                item.setToolTip(self.tr("分层列 Stratum column"))
            if name in (layout.phone_column, layout.stratum_column):
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            table.setHorizontalHeaderItem(column, item)
        for row_index, row in enumerate(preview.rows):
            number = QTableWidgetItem(str(row.row_number))
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row_index, 0, number)
            for column, text in enumerate(row.cells, start=1):
                table.setItem(row_index, column, QTableWidgetItem(text))
        table.resizeColumnsToContents()

    def _current_choice(self) -> LayoutChoice:
        """The layout on screen, as far as the last good preview knows it."""
        if self.preview is not None:
            return self.preview.choice
        return LayoutChoice(sheet=self.sheet_combo.currentData(),
                            header_row=self.header_spin.value() if self.phone_combo.count()
                            else None,
                            phone_column=self.phone_combo.currentData(),
                            stratum_column=self.stratum_combo.currentData())

    @Slot(int)
    def _sheet_changed(self, _index: int) -> None:
        # Another sheet has its own header and columns: detect them again.
        self._request_preview(LayoutChoice(sheet=self.sheet_combo.currentData()))

    @Slot(int)
    def _header_changed(self, value: int) -> None:
        self._request_preview(LayoutChoice(sheet=self.sheet_combo.currentData(),
                                           header_row=value))

    @Slot(int)
    def _phone_changed(self, _index: int) -> None:
        phone = self.phone_combo.currentData()
        current = self._current_choice()
        stratum = current.stratum_column if current.stratum_column != phone else None
        self._request_preview(LayoutChoice(sheet=current.sheet, header_row=current.header_row,
                                           phone_column=phone, stratum_column=stratum))

    @Slot(int)
    def _stratum_changed(self, _index: int) -> None:
        current = self._current_choice()
        self._request_preview(LayoutChoice(sheet=current.sheet, header_row=current.header_row,
                                           phone_column=current.phone_column,
                                           stratum_column=self.stratum_combo.currentData()))

    # -- dry run and import -------------------------------------------------------------------

    @Slot()
    def dry_run(self) -> None:
        """Classify every row as the import would, change nothing, show the counts."""
        self._start(dry_run=True)

    @Slot()
    def start_import(self) -> None:
        """Import the list as previewed, with progress; Cancel leaves the project unchanged."""
        self._start(dry_run=False)

    def _start(self, *, dry_run: bool) -> None:
        if self._run is not None or self._previewing or self.preview is None:
            return
        service, code, user_id = self.service, self.project_code, self.user_id
        path, choice = self.preview.path, self.preview.choice

        def work(progress, should_cancel) -> ImportReport:
            return service.run(code, path, choice, dry_run=dry_run, user_id=user_id,
                               progress=progress, should_cancel=should_cancel)

        run = _ImportRun(work, dry_run)
        run.progressed.connect(self._progressed)
        run.succeeded.connect(self._run_succeeded)
        run.failed.connect(self._run_failed)
        self._run = run
        self.cancelled = False
        self.error = None
        self._clear_result()
        self._title_counts(dry_run=dry_run)
        self.progress_bar.setRange(0, 0)  # the number of rows is known only at the end
        self.progress_label.setText(self.tr("正在打开文件… Opening the file…"))
        self._say(self.tr("正在试导入… Dry run under way…") if dry_run
                  else self.tr("正在导入… Import under way…"))
        self._update_enabled()
        run.start()

    @Slot()
    def cancel_import(self) -> None:
        """Stop the run at its next step; an import then changes nothing."""
        if self._run is None:
            return
        self._run.cancel()
        self.progress_label.setText(self.tr("正在取消… Cancelling…"))
        self._update_enabled()

    @Slot(object)
    def _progressed(self, progress: ImportProgress) -> None:
        if self._run is None:
            return
        rows = f"{progress.rows:,}"
        if progress.phase == "reading":
            text = self.tr("已读取 {rows} 行 Read {rows} rows").format(rows=rows)
        elif progress.phase == "writing":
            text = self.tr("正在写入数据库:{rows} 行 Writing {rows} rows to the database").format(
                rows=rows)
        else:
            text = self.tr("已完成 {rows} 行 Done: {rows} rows").format(rows=rows)
        if self._run.cancel_requested.is_set():
            text += " · " + self.tr("正在取消… Cancelling…")
        self.progress_label.setText(text)
        self.progressed.emit(progress)

    @Slot(object)
    def _run_succeeded(self, report: ImportReport) -> None:
        self._end_run()
        self.report = report
        result = report.result
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        self.progress_label.setText(self.tr("用时 {seconds} 秒 Took {seconds} s").format(
            seconds=f"{result.seconds:.1f}"))
        if result.dry_run:
            self._say(self.tr("试导入完成:数据库没有任何改动 Dry run finished: nothing was "
                              "written"))
            self.summary_label.setText(self.tr(
                "这是试导入:正式导入将得到以下结果 A dry run: the import would give these counts"))
        else:
            self._say(self.tr("导入完成 Import finished"))
            self.summary_label.setText(self.tr(
                "已导入为第 {batch} 批 Imported as batch {batch}").format(
                    batch=result.batch_id if result.batch_id is not None else "—"))
        counts = result.counts()
        for key in COUNT_KEYS:
            self.count_labels[key].setText(f"{counts[key]:,}")
        warning = result.unknown_strata_warning()
        if warning:  # imported all the same: said, not silent
            self.summary_label.setText(self.summary_label.text() + "\n" + warning)
        self._show_rejects(report)
        self._update_enabled()
        self.run_finished.emit(report)
        self._close_if_asked()

    @Slot(object)
    def _run_failed(self, error: BaseException) -> None:
        run = self._run
        self._end_run()
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_label.clear()
        if isinstance(error, ImportCancelled):
            self.cancelled = True
            if run is not None and run.dry_run:
                self._say(self.tr("试导入已取消 Dry run cancelled"))
            else:
                self._say(self.tr("导入已取消,项目未做任何更改 Import cancelled: the project is "
                                  "unchanged"))
            self.run_cancelled.emit()
        else:
            self._fail(error)
        self._update_enabled()
        self._close_if_asked()

    def _end_run(self) -> None:
        run, self._run = self._run, None
        if run is not None:
            for signal in (run.progressed, run.succeeded, run.failed):
                signal.disconnect()

    def _clear_result(self) -> None:
        self.report = None
        self.summary_label.clear()
        for label in self.count_labels.values():
            label.setText("—")
        self.rejects_label.clear()
        self.rejects_table.setRowCount(0)
        self.progress_label.clear()

    def _show_rejects(self, report: ImportReport) -> None:
        total, shown = report.rejects_total, len(report.rejects)
        if total == 0:
            self.rejects_label.setText(self.tr("没有被拒绝的行 No rows were rejected"))
        elif shown < total:
            self.rejects_label.setText(self.tr(
                "拒绝 {total} 行,下表列出前 {shown} 行 Rejected {total} rows; the first {shown} "
                "are listed").format(total=f"{total:,}", shown=f"{shown:,}"))
        else:
            self.rejects_label.setText(self.tr("拒绝 {total} 行 Rejected {total} rows").format(
                total=f"{total:,}"))
        table = self.rejects_table
        table.setRowCount(shown)
        for row_index, reject in enumerate(report.rejects):
            number = QTableWidgetItem(str(reject.row_number))
            number.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row_index, 0, number)
            table.setItem(row_index, 1, QTableWidgetItem(reject.phone_text))
            table.setItem(row_index, 2, QTableWidgetItem(reject.reason))
        table.resizeColumnToContents(0)
        table.resizeColumnToContents(1)

    # -- the rejects workbook -----------------------------------------------------------------

    @Slot()
    def choose_rejects_target(self) -> None:
        source = self.report.result.rejects_file if self.report else None
        if source is None:
            return
        folder = Path(self.path).parent if self.path else Path(source).parent
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("保存拒绝清单 Save the rejects"), str(folder / Path(source).name),
            self.tr("Excel 工作簿 Excel workbook") + " (*.xlsx)")
        if path:
            self.save_rejects(path)

    def save_rejects(self, path: str | Path) -> bool:
        """Write the rejects workbook of the last run to ``path`` (on the worker); False when
        there is nothing to save."""
        source = self.report.result.rejects_file if self.report else None
        if source is None or self._run is not None:
            return False
        self._saving = True
        self._update_enabled()
        service, target = self.service, str(path)
        self.tasks.run(lambda: service.save_rejects(source, target), self._rejects_saved,
                       self._save_failed)
        return True

    def _rejects_saved(self, path: Path) -> None:
        self._saving = False
        self._say(self.tr("已保存拒绝清单 Rejects saved to {path}").format(path=str(path)))
        self._update_enabled()
        self.rejects_saved.emit(str(path))

    def _save_failed(self, error: BaseException) -> None:
        self._saving = False
        self._fail(error)
        self._update_enabled()

    # -- closing ------------------------------------------------------------------------------

    def done(self, result: int) -> None:
        """Closing during a run cancels it; the window closes once the run has stopped."""
        if self._run is not None:
            self._close_result = result
            self.cancel_import()
            return
        super().done(result)

    def _close_if_asked(self) -> None:
        if self._close_result is not None:
            result, self._close_result = self._close_result, None
            super().done(result)

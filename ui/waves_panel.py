"""The console's waves tab: the waves of the chosen project's series (period, project, state,
completes, when closed), and closing the current one after a confirmation. Closing freezes the
wave for good — no answer of any mode is taken afterwards and its reports keep their numbers —
so the question says so and the default button is Cancel. Reads and the close run on the
worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text

STATES = {"active": "进行中", "paused": "已暂停", "closed": "已结束"}


class WavesPanel(QWidget):
    def __init__(self, load: Callable[[], Any], close: Callable[[], Any], tasks: TaskRunner,
                 project_code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load, self._close, self._tasks = load, close, tasks
        self.project_code = project_code
        self.waves: list[Any] = []
        self.confirm: QMessageBox | None = None
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([self.tr("调查期"), self.tr("项目"), self.tr("状态"),
                                              self.tr("完成访问"), self.tr("结束时间")])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.close_button = QPushButton(self.tr("结束本期…"))
        self.close_button.setEnabled(False)
        self.close_button.clicked.connect(self.ask_to_close)
        self.status = plain_label()
        row = QHBoxLayout()
        row.addWidget(plain_label(self.tr("本测评系列的各期调查（结束后数据冻结，报告不再变化）")))
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        self._tasks.run(self._load, self._show, self._failed)

    def _show(self, waves) -> None:
        self.waves = list(waves)
        self.table.setRowCount(len(self.waves))
        for row, wave in enumerate(self.waves):
            closed = wave.closed_at.astimezone().strftime("%Y-%m-%d %H:%M") \
                if wave.closed_at else ""
            for column, value in enumerate((wave.period or "—", wave.code,
                                            STATES.get(wave.status, wave.status),
                                            str(wave.completes), closed)):
                self.table.setItem(row, column, QTableWidgetItem(value))
        mine = next((w for w in self.waves if w.code == self.project_code), None)
        self.close_button.setEnabled(mine is not None and mine.status != "closed")

    def ask_to_close(self) -> QMessageBox:
        """Ask first (window-modal, not a nested event loop)."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("结束本期"))
        box.setText(self.tr("结束 %1 后，电话、网上、实地的回答都不再接收，报告按现在的数据和规则冻结。"
                            "此操作不能撤销。").replace("%1", self.project_code))
        self.close_yes = box.addButton(self.tr("结束本期"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.buttonClicked.connect(self._chosen)
        self.confirm = box
        box.open()
        return box

    def _chosen(self, button) -> None:
        self.confirm = None
        if button is not self.close_yes:
            return
        self.close_button.setEnabled(False)
        self.status.setText(self.tr("正在结束本期…"))
        self._tasks.run(self._close, self._closed, self._failed)

    def _closed(self, wave) -> None:
        self.status.setText(self.tr("本期已结束，数据已冻结：") + wave.code)
        self.refresh()

    def _failed(self, error) -> None:
        self.status.setText(self.tr("失败：") + error_text(error))
        self.refresh_enabled()

    def refresh_enabled(self) -> None:
        mine = next((w for w in self.waves if w.code == self.project_code), None)
        self.close_button.setEnabled(mine is not None and mine.status != "closed")

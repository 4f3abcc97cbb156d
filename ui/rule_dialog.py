"""The index rule of a project, seen and changed by the centre (supervisors and admins): per
index its positive answers and the answers left out of the denominator (不了解 …), a
composite's weights, the minimum n to be ranked, and whether partial interviews count. The
rule is saved for this project alone or for its whole series; the service checks it against
the questionnaire, and a mistake is shown in one line with nothing stored. A closed wave's
rule is frozen: shown, not editable. Reads and writes run on the worker."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text

COLUMNS = 5  # index, method, positive, excluded, weights
METHODS = {"rate": "率", "score": "得分", "mean": "加权平均"}


def _codes(text: str) -> list[str]:
    return [part for part in text.replace("，", ",").replace(" ", ",").split(",") if part]


class RuleDialog(QDialog):
    def __init__(self, backend, tasks: TaskRunner, project_code: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend, self.tasks, self.project_code = backend, tasks, project_code
        self.view = None
        self.setWindowTitle(self.tr("指数规则 Index rule — %1").replace("%1", project_code))
        self.source = plain_label("")
        self.table = QTableWidget(0, COLUMNS)
        self.table.setHorizontalHeaderLabels([
            self.tr("指数 Index"), self.tr("方法 Method"), self.tr("正面回答 Positive"),
            self.tr("不计入分母 Excluded"), self.tr("权重 Weights")])
        self.min_n = QSpinBox()
        self.min_n.setRange(1, 100_000)
        self.partials = QCheckBox(self.tr("计入部分完成的访问 Count partial interviews"))
        self.target = QComboBox()
        self.status = plain_label("")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Close)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(self.tr("保存规则 Save"))
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("最低样本量(低于则不排名) Minimum n to rank"), self.min_n)
        form.addRow("", self.partials)
        form.addRow(self.tr("保存到 Save for"), self.target)
        layout = QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addWidget(plain_label(self.tr(
            "选项代码用逗号分隔,如 1,2;不了解(8)放入“不计入分母”即不计入 · Choice codes separated "
            "by commas; put 不了解 (8) under Excluded to leave it out")))
        layout.addWidget(self.table)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(860, 520)
        self.tasks.run(lambda: self.backend.index_rule(project_code), self._show,
                       self._failed)

    def _show(self, view) -> None:
        self.view = view
        sources = {"frozen": self.tr("本期结束时冻结的规则(不可修改)"),
                   "project": self.tr("本项目的设置"), "series": self.tr("所属测评系列的规则"),
                   "questionnaire": self.tr("问卷的指数定义")}
        shown = sources.get(view.source, view.source)
        if view.frozen_at is not None:
            shown += " " + view.frozen_at.isoformat(timespec="minutes")
        self.source.setText(self.tr("规则来源 Rule from: ") + shown)
        self.table.setRowCount(len(view.indices))
        for row, index in enumerate(view.indices):
            cells = (f"{index.label} [{index.name}]", METHODS.get(index.method, index.method),
                     ",".join(index.positive), ",".join(index.excluded),
                     ",".join(index.weights))
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                editable = not view.frozen and (
                    (column in (2, 3) and index.method != "mean")
                    or (column == 4 and index.method == "mean"))
                if not editable:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.min_n.setValue(view.min_n)
        self.partials.setChecked(view.include_partials)
        self.target.clear()
        self.target.addItem(self.tr("本项目(本期)This project"), False)
        if view.series is not None:
            self.target.addItem(self.tr("整个测评系列 The series %1").replace("%1", view.series),
                                True)
            if view.source == "series":
                self.target.setCurrentIndex(1)
        for widget in (self.min_n, self.partials, self.target):
            widget.setEnabled(not view.frozen)
        self.save_button.setEnabled(not view.frozen)

    def policy(self) -> dict:
        """The rule as the table and the fields hold it (an index_policy object)."""
        assert self.view is not None
        positive, excluded, weights = {}, {}, {}
        for row, index in enumerate(self.view.indices):
            if index.method == "mean":
                values = []
                for text in _codes(self.table.item(row, 4).text()):
                    try:
                        values.append(int(text) if text.isdigit() else float(text))
                    except ValueError:
                        values.append(text)  # the service names it in one line
                weights[index.name] = values
            else:
                positive[index.name] = _codes(self.table.item(row, 2).text())
                excluded[index.name] = _codes(self.table.item(row, 3).text())
        return {"include_partials": self.partials.isChecked(), "positive": positive,
                "excluded": excluded, "weights": weights, "min_n": self.min_n.value()}

    def save(self) -> None:
        if self.view is None or self.view.frozen:
            return
        policy, for_series = self.policy(), bool(self.target.currentData())
        self.save_button.setEnabled(False)
        self.status.setText(self.tr("正在保存…"))
        self.tasks.run(lambda: self.backend.set_index_rule(self.project_code, policy,
                                                           for_series=for_series),
                       self._saved, self._failed)

    def _saved(self, view) -> None:
        self._show(view)
        self.status.setText(self.tr("规则已保存,此后的报告按新规则计算 Saved"))

    def _failed(self, error) -> None:
        self.status.setText(self.tr("未保存:") + error_text(error))
        self.save_button.setEnabled(self.view is not None and not self.view.frozen)

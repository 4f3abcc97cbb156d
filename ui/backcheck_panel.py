"""The console's back-check tab (复核): draw a share of every interviewer's completed interviews
for verification calls, the drawn interviews with their results (a colour per result), and the
figures per interviewer.

The panel is bound to a cati.services.backcheck.BackcheckService (or the backend's guarded
one), a TaskRunner and the signed-in user's id; every call runs on the worker, one at a time,
and each reading also writes the results of the calls that have one (the service's rule). A
bad rate or a refusal shows as one line under the tables. A not-confirmed interview is voided,
when the supervisor decides so, from the sample tab (reopen with a reason), not here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.plain import plain_label, plain_tip
from ui.tasks import TaskRunner, error_text

ERROR_STYLE = "color: #b00020;"
# Background of a row by result: green confirmed, red not confirmed, grey unreachable, amber
# refused; pending rows stay white.
RESULT_COLOURS = {"confirmed": QColor("#d7f0d8"), "not_confirmed": QColor("#f8d0d0"),
                  "unreachable": QColor("#e4e4e4"), "refused": QColor("#fbe6c2")}


class BackcheckPanel(QWidget):
    changed = Signal()  # a draw added cases (the sample and the audit log changed)

    LIST_COLUMNS = 6
    FIGURE_COLUMNS = 9

    def __init__(self, service: Any, tasks: TaskRunner, project_id: int, user_id: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.project_id, self.user_id = project_id, user_id
        self.busy = False
        self.view: Any = None
        self.last_draw: Any = None
        self.rate = QLineEdit("5%")
        self.rate.setMaximumWidth(80)
        self.rate.setToolTip(self.tr("抽取比例,如 5% 或 0.05"))
        self.minimum = QSpinBox()
        self.minimum.setRange(0, 99)
        self.minimum.setValue(1)
        self.draw_button = QPushButton(self.tr("抽取"))
        self.refresh_button = QPushButton(self.tr("刷新"))
        self.project_label = plain_label()
        self.message = plain_label()
        self.message.setWordWrap(True)
        self.list = self._table([self.tr("访问员"), self.tr("原访问日期"), self.tr("访问编号"),
                                 self.tr("复核结果"), self.tr("差异"), self.tr("复核时间")])
        self.figures = self._table([self.tr("访问员"), self.tr("成功访问"), self.tr("已抽取"),
                                    self.tr("已复核"), self.tr("核实无误"), self.tr("未能核实"),
                                    self.tr("未联系上"), self.tr("拒绝复核"), self.tr("核实率")])
        self.list.horizontalHeader().setStretchLastSection(False)
        self.list.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self._lay_out()
        self.draw_button.clicked.connect(lambda _checked=False: self.draw())
        self.refresh_button.clicked.connect(lambda _checked=False: self.refresh())
        self.rate.returnPressed.connect(self.draw)

    def _table(self, headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    def _lay_out(self) -> None:
        row = QHBoxLayout()
        for widget in (plain_label(self.tr("抽取比例")), self.rate,
                       plain_label(self.tr("每位访问员至少")), self.minimum, self.draw_button,
                       self.refresh_button):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.project_label)
        lists = QWidget()
        lists_layout = QVBoxLayout(lists)
        lists_layout.setContentsMargins(0, 0, 0, 0)
        lists_layout.addWidget(plain_label(self.tr("抽中的访问")))
        lists_layout.addWidget(self.list)
        figures = QWidget()
        figures_layout = QVBoxLayout(figures)
        figures_layout.setContentsMargins(0, 0, 0, 0)
        figures_layout.addWidget(plain_label(self.tr("按访问员统计")))
        figures_layout.addWidget(self.figures)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(lists)
        split.addWidget(figures)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

    def result_names(self) -> dict[str | None, str]:
        return {"confirmed": self.tr("核实无误"), "not_confirmed": self.tr("未能核实"),
                "unreachable": self.tr("未联系上"), "refused": self.tr("拒绝复核"),
                None: self.tr("待复核")}

    def finding_text(self, finding: dict) -> str:
        """One discrepancy in the window's language (the values compared are the forms')."""
        names = {"did_not_take_part": self.tr("受访者说没有接受过调查"),
                 "does_not_remember": self.tr("受访者记不清是否接受过调查"),
                 "not_public_safety": self.tr("受访者说调查不是关于公众安全"),
                 "age_band": self.tr("年龄段不符"), "township": self.tr("乡镇不符")}
        code = str(finding.get("code", ""))
        text = names.get(code, code)
        if "original" in finding:
            text += self.tr("(原:{original},复核:{reported})").format(
                original=finding["original"], reported=finding.get("reported", ""))
        return text

    # -- work on the worker -------------------------------------------------------------------

    def _run(self, work: Callable[[], Any], on_success: Callable[[Any], None]) -> None:
        self.busy = True
        self.draw_button.setEnabled(False)
        self.refresh_button.setEnabled(False)

        def succeeded(result: Any) -> None:
            self._idle()
            on_success(result)

        def failed(error: BaseException) -> None:
            self._idle()
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(error_text(error))

        self.tasks.run(work, succeeded, failed)

    def _idle(self) -> None:
        self.busy = False
        self.draw_button.setEnabled(True)
        self.refresh_button.setEnabled(True)

    def refresh(self) -> None:
        service, project_id, user_id = self.service, self.project_id, self.user_id
        self._run(lambda: service.view(project_id, user_id=user_id), self._show)

    def draw(self) -> None:
        """Draw at the rate in the box, then show the list and figures again."""
        if self.busy:
            return
        service, project_id, user_id = self.service, self.project_id, self.user_id
        rate, minimum = self.rate.text().strip(), self.minimum.value()

        def work() -> tuple[Any, Any]:
            drawn = service.draw(project_id, rate, minimum, user_id=user_id)
            return drawn, service.view(project_id, user_id=user_id)

        def done(result: tuple[Any, Any]) -> None:
            drawn, view = result
            self.last_draw = drawn
            self._show(view)
            self.message.setStyleSheet("")
            self.message.setText(self.tr("抽取了 {n} 个成功访问,放入复核项目 {code}")
                                 .format(n=drawn.drawn, code=drawn.project))
            if drawn.drawn:
                self.changed.emit()

        self._run(work, done)

    # -- showing ------------------------------------------------------------------------------

    def _show(self, view: Any) -> None:
        self.view = view
        self.message.setStyleSheet("")
        self.message.setText("")
        self.project_label.setText(
            self.tr("复核项目:") + view.project if view.project else self.tr("尚未抽取"))
        names = self.result_names()
        self.list.setRowCount(len(view.rows))
        for r, row in enumerate(view.rows):
            date = row.original_date.astimezone().strftime("%Y-%m-%d") \
                if row.original_date else ""
            checked = row.checked_at.astimezone().strftime("%Y-%m-%d") if row.checked_at else ""
            result = names.get(row.result, row.result or "")
            if row.void:
                result += self.tr("(已作废)")
            values = [row.interviewer_name, date, str(row.interview_id), result,
                      self.tr("；").join(self.finding_text(f) for f in row.findings), checked]
            colour = RESULT_COLOURS.get(row.result or "")
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if colour is not None:
                    item.setBackground(QBrush(colour))
                if c == 4 and (value or row.notes):
                    item.setToolTip(plain_tip("\n".join([value, *row.notes]).strip()))
                self.list.setItem(r, c, item)
        self.figures.setRowCount(len(view.figures))
        for r, figure in enumerate(view.figures):
            rate = "" if figure.rate is None else f"{figure.rate:.0%}"
            values = [figure.interviewer_name, str(figure.completes), str(figure.drawn),
                      str(figure.checked), str(figure.confirmed), str(figure.not_confirmed),
                      str(figure.unreachable), str(figure.refused), rate]
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                if c == 5 and figure.not_confirmed:
                    item.setForeground(QBrush(QColor("#b00020")))
                self.figures.setItem(r, c, item)

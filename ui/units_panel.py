"""Units held to account, for the supervisor: five pages of one panel (seeds 002, 003).

* 责任单位 Units: the project's units; add one, change the selected one (name, kind, township,
  active), remove it (a unit in use is deactivated), and "default units" (the units and routing
  rules of a county that are missing).
* 分派规则 Routing: the rules category [× subcategory] × township → unit; set one (replacing
  the rule of the same key) or remove the selected one.
* 超期 Overdue: the suggestions still with their unit after the deadline, most days first.
* 单位考核 Figures: per unit, received, answered in time, overdue, solved, call-back
  satisfaction.
* 人工录入 Intake: one opinion from the hotline, a letter, a box or a 110 record, or a whole
  .csv/.xlsx file (all or nothing; a bad row is named in one line).
* 分类与期限 Categories: the categories, their subcategories (separated by 、) and the days a
  unit has to answer each, edited in place and saved as the project's settings.

Bound to a cati.services.units.UnitService, a TaskRunner, the project and the signed-in user;
every service call runs on the worker thread, one at a time. ``clock`` gives "now" for the
overdue list and the figures (the real clock unless told otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QDate, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cati.services.clock import utc_now
from cati.services.units import (
    ANY_TOWNSHIP,
    CHANNELS,
    KINDS,
    IntakeItem,
    IntakeResult,
    OverdueRow,
    RuleRow,
    SeedResult,
    UnitFigures,
    UnitRow,
)
from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text

ERROR_STYLE = "color: #b00020;"
NOTE_STYLE = "color: #555;"


def _table(titles: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(titles))
    table.setHorizontalHeaderLabels(list(titles))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[Any]], keys: Sequence[Any]) -> None:
    table.setRowCount(0)
    table.setRowCount(len(rows))
    for r, (values, key) in enumerate(zip(rows, keys, strict=True)):
        for c, value in enumerate(values):
            item = QTableWidgetItem("" if value is None else str(value))
            if c == 0:
                item.setData(Qt.ItemDataRole.UserRole, key)
            table.setItem(r, c, item)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


class UnitsPanel(QWidget):
    """The units, routing, overdue, figures and intake pages; see the module docstring."""

    changed = Signal()

    def __init__(self, service: Any, tasks: TaskRunner, project_id: int, user_id: int,
                 parent: QWidget | None = None, *,
                 clock: Callable[[], dt.datetime] = utc_now) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.project_id, self.user_id, self.clock = project_id, user_id, clock
        self.busy = False
        self.units: list[UnitRow] = []
        self.rules: list[RuleRow] = []
        self.overdue_rows: list[OverdueRow] = []
        self.figures: list[UnitFigures] = []
        self.categories: tuple[str, ...] = ()
        self.subcategories: dict[str, tuple[str, ...]] = {}
        self.townships: tuple[str, ...] = ()
        self.last_intake: IntakeResult | None = None
        self.file_dialog: QFileDialog | None = None

        self.pages = QTabWidget()
        self.pages.addTab(self._units_page(), self.tr("责任单位 Units"))
        self.pages.addTab(self._routing_page(), self.tr("分派规则 Routing"))
        self.pages.addTab(self._overdue_page(), self.tr("超期 Overdue"))
        self.pages.addTab(self._figures_page(), self.tr("单位考核 Figures"))
        self.pages.addTab(self._intake_page(), self.tr("人工录入 Intake"))
        self.pages.addTab(self._categories_page(), self.tr("分类与期限 Categories"))
        self.message = plain_label()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.message)
        self._enable()
        self.refresh()

    # -- pages --------------------------------------------------------------------------------

    def _units_page(self) -> QWidget:
        page = QWidget()
        self.units_table = _table((self.tr("编号 ID"), self.tr("类型 Kind"),
                                   self.tr("乡镇 Township"), self.tr("名称 Name"),
                                   self.tr("状态 Active"), self.tr("建议 Suggestions")))
        self.units_table.itemSelectionChanged.connect(self._unit_selected)
        self.unit_name = QLineEdit()
        self.unit_name.setPlaceholderText(self.tr("单位名称 Unit name"))
        self.unit_kind = QComboBox()
        for kind in KINDS:
            self.unit_kind.addItem(kind, kind)
        self.unit_township = QComboBox()
        self.unit_active = QCheckBox(self.tr("启用 Active"))
        self.unit_active.setChecked(True)
        self.add_unit_button = QPushButton(self.tr("添加 Add"))
        self.save_unit_button = QPushButton(self.tr("保存所选 Save selected"))
        self.remove_unit_button = QPushButton(self.tr("删除或停用 Remove"))
        self.seed_button = QPushButton(self.tr("默认单位 Default units"))
        self.add_unit_button.clicked.connect(self.add_unit)
        self.save_unit_button.clicked.connect(self.save_unit)
        self.remove_unit_button.clicked.connect(self.remove_unit)
        self.seed_button.clicked.connect(self.seed)
        form = QFormLayout()
        form.addRow(self.tr("名称 Name"), self.unit_name)
        form.addRow(self.tr("类型 Kind"), self.unit_kind)
        form.addRow(self.tr("乡镇 Township"), self.unit_township)
        form.addRow("", self.unit_active)
        buttons = QHBoxLayout()
        for button in (self.seed_button, self.add_unit_button, self.save_unit_button,
                       self.remove_unit_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.units_table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        return page

    def _routing_page(self) -> QWidget:
        page = QWidget()
        self.rules_table = _table((self.tr("编号 ID"), self.tr("分类 Category"),
                                   self.tr("子类 Subcategory"), self.tr("乡镇 Township"),
                                   self.tr("责任单位 Unit")))
        self.rule_category = QComboBox()
        self.rule_subcategory = QComboBox()
        self.rule_township = QComboBox()
        self.rule_unit = QComboBox()
        self.rule_category.currentIndexChanged.connect(
            lambda _i: self._fill_subcategories(self.rule_category, self.rule_subcategory))
        self.set_rule_button = QPushButton(self.tr("设置规则 Set rule"))
        self.remove_rule_button = QPushButton(self.tr("删除所选规则 Remove selected"))
        self.set_rule_button.clicked.connect(self.set_rule)
        self.remove_rule_button.clicked.connect(self.remove_rule)
        self.rules_table.itemSelectionChanged.connect(self._enable)
        form = QFormLayout()
        form.addRow(self.tr("分类 Category"), self.rule_category)
        form.addRow(self.tr("子类 Subcategory"), self.rule_subcategory)
        form.addRow(self.tr("乡镇 Township"), self.rule_township)
        form.addRow(self.tr("责任单位 Unit"), self.rule_unit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.set_rule_button)
        buttons.addWidget(self.remove_rule_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.rules_table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        return page

    def _overdue_page(self) -> QWidget:
        page = QWidget()
        self.overdue_table = _table((self.tr("编号 ID"), self.tr("超期天数 Days overdue"),
                                     self.tr("责任单位 Unit"), self.tr("分类 Category"),
                                     self.tr("乡镇 Township"), self.tr("期限 Due"),
                                     self.tr("内容 Text")))
        self.refresh_button = QPushButton(self.tr("刷新 Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        layout = QVBoxLayout(page)
        layout.addWidget(self.overdue_table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        return page

    def _figures_page(self) -> QWidget:
        page = QWidget()
        self.figures_table = _table((self.tr("责任单位 Unit"), self.tr("类型 Kind"),
                                     self.tr("交办 Received"), self.tr("已答复 Answered"),
                                     self.tr("按时率 In time"), self.tr("超期 Overdue"),
                                     self.tr("解决率 Solved"), self.tr("回访满意率 Satisfied")))
        layout = QVBoxLayout(page)
        layout.addWidget(self.figures_table, 1)
        return page

    def _intake_page(self) -> QWidget:
        page = QWidget()
        self.intake_date = QDateEdit()
        self.intake_date.setCalendarPopup(True)
        self.intake_date.setDisplayFormat("yyyy-MM-dd")
        today = self.clock().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        self.intake_date.setDate(QDate(today.year, today.month, today.day))
        self.intake_channel = QComboBox()
        for key, label in CHANNELS.items():
            self.intake_channel.addItem(f"{label} {key}", key)
        self.intake_text = QPlainTextEdit()
        self.intake_text.setMaximumHeight(80)
        self.intake_township = QComboBox()
        self.intake_name = QLineEdit()
        self.intake_phone = QLineEdit()
        self.intake_consent = QCheckBox(self.tr("同意回访 Agrees to a call-back"))
        self.intake_category = QComboBox()
        self.intake_subcategory = QComboBox()
        self.intake_category.currentIndexChanged.connect(
            lambda _i: self._fill_subcategories(self.intake_category, self.intake_subcategory))
        self.intake_button = QPushButton(self.tr("录入 Take in"))
        self.import_button = QPushButton(self.tr("从文件导入… Import a file…"))
        self.intake_button.clicked.connect(self.take_in)
        self.import_button.clicked.connect(self.choose_file)
        form = QFormLayout()
        form.addRow(self.tr("日期 Date"), self.intake_date)
        form.addRow(self.tr("渠道 Channel"), self.intake_channel)
        form.addRow(self.tr("内容 Text"), self.intake_text)
        form.addRow(self.tr("乡镇 Township"), self.intake_township)
        form.addRow(self.tr("姓名 Name"), self.intake_name)
        form.addRow(self.tr("电话 Phone"), self.intake_phone)
        form.addRow("", self.intake_consent)
        form.addRow(self.tr("分类 Category"), self.intake_category)
        form.addRow(self.tr("子类 Subcategory"), self.intake_subcategory)
        buttons = QHBoxLayout()
        buttons.addWidget(self.intake_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return page

    def _categories_page(self) -> QWidget:
        page = QWidget()
        self.categories_table = QTableWidget(0, 3)
        self.categories_table.setHorizontalHeaderLabels(
            [self.tr("分类 Category"), self.tr("子类(以、分隔) Subcategories"),
             self.tr("办理期限(天) Deadline (days)")])
        self.categories_table.verticalHeader().setVisible(False)
        self.categories_table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.Stretch)
        self.add_category_button = QPushButton(self.tr("添加分类 Add category"))
        self.save_categories_button = QPushButton(self.tr("保存分类 Save categories"))
        self.add_category_button.clicked.connect(self.add_category_row)
        self.save_categories_button.clicked.connect(self.save_categories)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_category_button)
        buttons.addWidget(self.save_categories_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.categories_table, 1)
        layout.addLayout(buttons)
        return page

    # -- running service calls ------------------------------------------------------------------

    def _run(self, work: Callable[[], Any], on_success: Callable[[Any], None]) -> bool:
        if self.busy:
            self._show(self.tr("请等上一个操作完成 Wait for the last operation to finish"),
                       error=True)
            return False
        self.busy = True
        self._enable()

        def succeeded(result: Any) -> None:
            if not shiboken6.isValid(self):
                return
            self.busy = False
            on_success(result)
            self._enable()

        def failed(error: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self.busy = False
            self._show(error_text(error), error=True)
            self._enable()

        self.tasks.run(work, succeeded, failed)
        return True

    def _show(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)
        self.message.setText(text)

    def _enable(self) -> None:
        idle = not self.busy
        unit = self.selected_unit() is not None
        for button in (self.add_unit_button, self.seed_button, self.set_rule_button,
                       self.intake_button, self.import_button, self.refresh_button,
                       self.add_category_button, self.save_categories_button):
            button.setEnabled(idle)
        self.save_unit_button.setEnabled(idle and unit)
        self.remove_unit_button.setEnabled(idle and unit)
        self.remove_rule_button.setEnabled(idle and self.selected_rule() is not None)

    # -- loading --------------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        service, project_id, now = self.service, self.project_id, self.clock()

        def work() -> tuple[Any, ...]:
            settings = service.settings(project_id)
            return (settings, service.townships(project_id), service.units(project_id),
                    service.rules(project_id), service.overdue(project_id, now=now),
                    service.figures(project_id, now=now))

        self._run(work, self._loaded)

    def _loaded(self, result: tuple[Any, ...]) -> None:
        settings, townships, units, rules, late, figures = result
        self.categories = tuple(settings.categories)
        self.subcategories = dict(settings.subcategories)
        self.categories_table.setRowCount(0)
        for category in self.categories:
            self.add_category_row(category, "、".join(self.subcategories.get(category, ())),
                                  str(settings.deadline_days(category)))
        self.townships = tuple(townships)
        self.units, self.rules, self.overdue_rows, self.figures = units, rules, late, figures
        _fill(self.units_table,
              [(u.id, u.kind, u.township, u.name,
                self.tr("启用 active") if u.active else self.tr("停用 inactive"), u.suggestions)
               for u in units], [u.id for u in units])
        _fill(self.rules_table,
              [(r.id, r.category, r.subcategory or self.tr("(任何 any)"),
                self.tr("(任何 any)") if r.township == ANY_TOWNSHIP else r.township, r.unit)
               for r in rules], [r.id for r in rules])
        _fill(self.overdue_table,
              [(o.id, o.days_overdue, o.responsible_unit or "", o.category or "", o.township,
                o.due_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d"),
                " ".join(o.text.split())) for o in late], [o.id for o in late])
        _fill(self.figures_table,
              [(f.unit, f.kind, f.received, f.answered, _rate(f.in_time_rate), f.overdue,
                _rate(f.solved_rate), _rate(f.satisfaction_rate)) for f in figures],
              [f.unit for f in figures])
        self._fill_choices()
        self._enable()

    def _fill_choices(self) -> None:
        def refill(combo: QComboBox, items: Sequence[tuple[str, Any]]) -> None:
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for text, data in items:
                combo.addItem(text, data)
            position = combo.findData(current)
            combo.setCurrentIndex(max(position, 0))
            combo.blockSignals(False)

        towns = [(t, t) for t in self.townships]
        refill(self.unit_township, [(self.tr("(全县 county)"), ""), *towns])
        refill(self.rule_township, [(self.tr("(任何乡镇 any) *"), ANY_TOWNSHIP), *towns])
        refill(self.intake_township, [(self.tr("(不详 unknown)"), ""), *towns])
        refill(self.rule_category, [(c, c) for c in self.categories])
        refill(self.intake_category, [(self.tr("(自动 automatic)"), ""),
                                      *[(c, c) for c in self.categories]])
        refill(self.rule_unit, [(u.name, u.name) for u in self.units if u.active])
        self._fill_subcategories(self.rule_category, self.rule_subcategory)
        self._fill_subcategories(self.intake_category, self.intake_subcategory)

    def _fill_subcategories(self, category: QComboBox, sub: QComboBox) -> None:
        sub.clear()
        sub.addItem(self.tr("(任何 any)"), "")
        for name in self.subcategories.get(category.currentData() or "", ()):
            sub.addItem(name, name)

    # -- units ---------------------------------------------------------------------------------

    def selected_unit(self) -> UnitRow | None:
        rows = self.units_table.selectionModel().selectedRows()
        if not rows:
            return None
        key = self.units_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((u for u in self.units if u.id == key), None)

    def selected_rule(self) -> RuleRow | None:
        rows = self.rules_table.selectionModel().selectedRows()
        if not rows:
            return None
        key = self.rules_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((r for r in self.rules if r.id == key), None)

    def _unit_selected(self) -> None:
        unit = self.selected_unit()
        if unit is not None:
            self.unit_name.setText(unit.name)
            self.unit_kind.setCurrentIndex(max(self.unit_kind.findData(unit.kind), 0))
            self.unit_township.setCurrentIndex(max(self.unit_township.findData(unit.township),
                                                   0))
            self.unit_active.setChecked(unit.active)
        self._enable()

    def _after_change(self, text: str) -> None:
        self._show(text)
        self.changed.emit()
        self.refresh()

    @Slot()
    def seed(self) -> None:
        service, project_id, user_id = self.service, self.project_id, self.user_id

        def done(result: SeedResult) -> None:
            self._after_change(self.tr("添加了 %1 个单位、%2 条规则 Added %1 units and %2 "
                                       "routing rules").replace("%1", str(result.units_added))
                               .replace("%2", str(result.rules_added)))

        self._run(lambda: service.seed(project_id, user_id), done)

    @Slot()
    def add_unit(self) -> None:
        service, project_id, user_id = self.service, self.project_id, self.user_id
        name, kind = self.unit_name.text(), self.unit_kind.currentData()
        township = self.unit_township.currentData() or ""
        self._run(lambda: service.add(project_id, name, kind, township, user_id),
                  lambda row: self._after_change(self.tr("已添加 Added: %1")
                                                 .replace("%1", row.name)))

    @Slot()
    def save_unit(self) -> None:
        unit = self.selected_unit()
        if unit is None:
            return
        service, project_id, user_id = self.service, self.project_id, self.user_id
        changes = {"name": self.unit_name.text(), "kind": self.unit_kind.currentData(),
                   "township": self.unit_township.currentData() or "",
                   "active": self.unit_active.isChecked()}
        self._run(lambda: service.update(project_id, unit.id, user_id, **changes),
                  lambda row: self._after_change(self.tr("已保存 Saved: %1")
                                                 .replace("%1", row.name)))

    @Slot()
    def remove_unit(self) -> None:
        unit = self.selected_unit()
        if unit is None:
            return
        service, project_id, user_id = self.service, self.project_id, self.user_id

        def done(deleted: bool) -> None:
            self._after_change(self.tr("已删除 Removed") if deleted else
                               self.tr("已停用:仍有建议或规则引用它 Deactivated: suggestions or "
                                       "rules name it"))

        self._run(lambda: service.remove(project_id, unit.id, user_id), done)

    # -- routing -------------------------------------------------------------------------------

    @Slot()
    def set_rule(self) -> None:
        service, project_id, user_id = self.service, self.project_id, self.user_id
        category = self.rule_category.currentData() or ""
        subcategory = self.rule_subcategory.currentData() or ""
        township = self.rule_township.currentData() or ANY_TOWNSHIP
        unit = self.rule_unit.currentData() or ""
        self._run(lambda: service.set_rule(project_id, category, township, unit, subcategory,
                                           user_id),
                  lambda row: self._after_change(self.tr("规则已设置 Rule set: %1 → %2")
                                                 .replace("%1", row.category)
                                                 .replace("%2", row.unit)))

    @Slot()
    def remove_rule(self) -> None:
        rule = self.selected_rule()
        if rule is None:
            return
        service, project_id, user_id = self.service, self.project_id, self.user_id
        self._run(lambda: service.remove_rule(project_id, rule.id, user_id),
                  lambda _r: self._after_change(self.tr("规则已删除 Rule removed")))

    # -- categories ----------------------------------------------------------------------------

    @Slot()
    def add_category_row(self, name: str = "", subcategories: str = "",
                         days: str = "15") -> None:
        row = self.categories_table.rowCount()
        self.categories_table.insertRow(row)
        for column, text in enumerate((name, subcategories, days)):
            self.categories_table.setItem(row, column, QTableWidgetItem(text))

    @Slot()
    def save_categories(self) -> None:
        table, rows = self.categories_table, []
        for row in range(table.rowCount()):
            cells = [(table.item(row, c).text() if table.item(row, c) else "").strip()
                     for c in range(3)]
            if not any(cells):
                continue
            try:
                days = int(cells[2])
            except ValueError:
                self._show(self.tr("第 %1 行的期限不是天数 Row %1: the deadline is not a number "
                                   "of days").replace("%1", str(row + 1)), error=True)
                return
            subs = [part.strip() for part in
                    cells[1].replace("，", "、").replace(",", "、").split("、") if part.strip()]
            rows.append((cells[0], subs, days))
        service, project_id, user_id = self.service, self.project_id, self.user_id
        self._run(lambda: service.save_categories(project_id, rows, user_id),
                  lambda _s: self._after_change(self.tr("分类已保存 Categories saved")))

    # -- intake --------------------------------------------------------------------------------

    @Slot()
    def take_in(self) -> None:
        date = self.intake_date.date()
        item = IntakeItem(
            received_on=dt.date(date.year(), date.month(), date.day()),
            channel=self.intake_channel.currentData(), text=self.intake_text.toPlainText(),
            township=self.intake_township.currentData() or "",
            contact_name=self.intake_name.text(), phone=self.intake_phone.text(),
            consent=self.intake_consent.isChecked(),
            category=self.intake_category.currentData() or "",
            subcategory=self.intake_subcategory.currentData() or "")
        service, project_id, user_id = self.service, self.project_id, self.user_id

        def done(suggestion_id: int) -> None:
            self.intake_text.clear()
            self.intake_name.clear()
            self.intake_phone.clear()
            self.intake_consent.setChecked(False)
            self._after_change(self.tr("已录入为建议 %1 Taken in as suggestion %1")
                               .replace("%1", str(suggestion_id)))

        self._run(lambda: service.intake(project_id, item, user_id), done)

    @Slot()
    def choose_file(self) -> QFileDialog:
        """Ask for the file (a window-modal dialog, not a nested event loop), then import it
        on the worker."""
        dialog = QFileDialog(self, self.tr("导入意见 Import opinions"), "",
                             "CSV / Excel (*.csv *.xlsx)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.fileSelected.connect(self.import_file)
        self.file_dialog = dialog
        dialog.open()
        return dialog

    @Slot(str)
    def import_file(self, path: str) -> None:
        if not path:
            return
        service, project_id, user_id = self.service, self.project_id, self.user_id

        def done(result: IntakeResult) -> None:
            self.last_intake = result
            self._after_change(self.tr("导入 %1 条意见,%2 条已分派 Took in %1 opinions, %2 "
                                       "routed").replace("%1", str(result.added))
                               .replace("%2", str(result.routed)))

        self._run(lambda: service.intake_file(project_id, path, user_id), done)

"""Residents' suggestions for the supervisor: review, route, and call back (seeds 002, 003).

A table of the project's suggestions (filtered by status and category), an editor for the
selected one (valid or not, category, responsible unit, status, the unit's reply, notes),
"collect new" (new open answers of completed interviews become suggestions; follow-up calls
with a result set theirs checked, reopened (not solved or dissatisfied: shown in red, back with
the unit), unreachable or refused) and "create follow-up project" (the resolved suggestions whose respondent agreed to be
called back become the sample of a new project; its code and size are shown).

The panel is bound to a cati.services.suggestions.SuggestionService, a TaskRunner and the
signed-in user's id; every service call runs on the TaskRunner's worker thread, one at a time.
The service checks the role and the status rules; a refusal shows as one line under the table.
A category shown in grey italics is the keyword rules' proposal: it is confirmed by setting the
suggestion valid (or not valid).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import (
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati.services.suggestions import (
    OUTCOME_LABELS,
    REOPENED,
    SATISFACTION_LABELS,
    STATUSES,
    CollectResult,
    FollowUpResult,
    SuggestionRow,
    SuggestionService,
    SuggestionSettings,
)
from ui.list_model import RIGHT, Column, ListTableModel
from ui.plain import plain_label
from ui.tasks import TaskRunner, error_text

ERROR_STYLE = "color: #b00020;"
NOTE_STYLE = "color: #555;"
PROPOSED_COLOUR = QColor("#777777")
REOPENED_COLOUR = QColor("#b00020")


class SuggestionModel(ListTableModel[SuggestionRow]):
    """One row per suggestion, read-only (the panel's editor changes them), named by id."""

    ID, STRATUM, QUESTION, TEXT, VALID, CATEGORY, UNIT, STATUS, FOLLOW_UP, NOTES = range(10)
    COLUMNS = 10

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent, key=lambda row: row.id)

    def columns(self) -> list[Column[SuggestionRow]]:
        proposed_font = QFont()
        proposed_font.setItalic(True)
        return [
            Column(self.tr("编号 ID"), lambda row: str(row.id), align=RIGHT),
            Column(self.tr("样本层 Stratum"), lambda row: row.stratum),
            Column(self.tr("题目 Question"), lambda row: row.question),
            Column(self.tr("内容 Text"), lambda row: " ".join(row.text.split()),
                   tooltip=lambda row: row.text),
            Column(self.tr("有效 Valid"), lambda row: valid_name(self, row.valid)),
            Column(self.tr("分类 Category"), self._category,
                   tooltip=lambda row: self.tr(
                       "自动建议的分类,设为有效或无效即确认 "
                       "Proposed by the keyword rules: set valid or not valid to confirm")
                   if row.proposed else None,
                   foreground=lambda row: PROPOSED_COLOUR if row.proposed else None,
                   font=lambda row: proposed_font if row.proposed else None),
            Column(self.tr("责任单位 Responsible unit"), lambda row: row.responsible_unit or ""),
            Column(self.tr("状态 Status"),
                   lambda row: status_names(self).get(row.status, row.status),
                   foreground=lambda row: REOPENED_COLOUR if row.status == REOPENED else None),
            Column(self.tr("回访 Follow-up"), self._follow_up),
            Column(self.tr("备注 Notes"), lambda row: " ".join(row.notes.split()),
                   tooltip=lambda row: row.notes),
        ]

    def _category(self, row: SuggestionRow) -> str:
        if row.category and row.proposed:
            return self.tr("%1(建议) (proposed)").replace("%1", row.category)
        return row.category or ""

    def _follow_up(self, row: SuggestionRow) -> str:
        if row.follow_up_project:
            result = OUTCOME_LABELS.get(row.follow_up_outcome or "", "")
            satisfaction = SATISFACTION_LABELS.get(row.follow_up_satisfaction or "")
            if satisfaction:
                result = f"{result}/{satisfaction}"
            return f"{row.follow_up_project} {result}".strip()
        return self.tr("同意回访 agreed") if row.follow_up_ok else ""


def status_names(owner: Any) -> dict[str, str]:
    return {"new": owner.tr("新建 new"), "assigned": owner.tr("已交办 assigned"),
            "resolved": owner.tr("已办结 resolved"),
            "reopened": owner.tr("回访未解决 reopened"),
            "checked": owner.tr("已回访核实 checked"),
            "unreachable": owner.tr("回访未联系上 unreachable"),
            "refused": owner.tr("回访拒访 refused")}


def valid_name(owner: Any, valid: bool | None) -> str:
    if valid is None:
        return owner.tr("未审核 unreviewed")
    return owner.tr("有效 valid") if valid else owner.tr("无效 not valid")


class SuggestionsPanel(QWidget):
    """The suggestions of one project; see the module docstring."""

    changed = Signal()

    def __init__(self, service: SuggestionService, tasks: TaskRunner, project_id: int,
                 user_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.tasks = service, tasks
        self.project_id, self.user_id = project_id, user_id
        self.busy = False
        self._stale = False  # a filter changed while busy: list again afterwards
        self.settings: SuggestionSettings | None = None
        self.last_collect: CollectResult | None = None
        self.last_follow_up: FollowUpResult | None = None

        self.model = SuggestionModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SuggestionModel.TEXT, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected_changed())

        self.status_filter = QComboBox()
        self.status_filter.addItem(self.tr("全部状态 All statuses"), None)
        names = status_names(self)
        for status in STATUSES:
            self.status_filter.addItem(names[status], status)
        self.category_filter = QComboBox()
        self._fill_category_filter(())
        self.collect_button = QPushButton(self.tr("收集新建议 Collect new"))
        self.follow_up_button = QPushButton(self.tr("创建回访项目 Create follow-up project"))
        self.status_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.category_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.collect_button.clicked.connect(self.refresh)
        self.follow_up_button.clicked.connect(self.create_follow_up)

        self.valid_edit = QComboBox()
        for valid in (None, True, False):
            self.valid_edit.addItem(valid_name(self, valid), valid)
        self.category_edit = QComboBox()
        self.unit_edit = QComboBox()
        self.unit_edit.setEditable(True)
        self.unit_edit.lineEdit().setPlaceholderText(self.tr("责任单位 Responsible unit"))
        self.status_edit = QComboBox()
        for status in STATUSES:
            self.status_edit.addItem(names[status], status)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setMaximumHeight(70)
        self.reply_edit = QPlainTextEdit()
        self.reply_edit.setMaximumHeight(60)
        self.reply_edit.setPlaceholderText(self.tr("责任单位的答复:做了什么(回访时读给群众) "
                                                   "The unit's reply: what was done (read to "
                                                   "the resident on the call-back)"))
        self.replied_label = plain_label()
        self.replied_label.setStyleSheet(NOTE_STYLE)
        self.text_view = plain_label()
        self.text_view.setWordWrap(True)
        self.text_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.proposal_note = plain_label(self.tr("分类为自动建议:设为有效或无效即确认 "
                                                 "The category is a proposal: set valid or not "
                                                 "valid to confirm it"))
        self.proposal_note.setStyleSheet(NOTE_STYLE)
        self.proposal_note.setVisible(False)
        self.save_button = QPushButton(self.tr("保存 Save"))
        self.save_button.clicked.connect(self.save_selected)

        self.message = plain_label()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._lay_out()
        self._load_editor(None)
        self._enable()
        self.refresh()

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(plain_label(self.tr("状态 Status")))
        filters.addWidget(self.status_filter)
        filters.addWidget(plain_label(self.tr("分类 Category")))
        filters.addWidget(self.category_filter)
        filters.addStretch(1)
        filters.addWidget(self.collect_button)
        filters.addWidget(self.follow_up_button)
        form = QFormLayout()
        form.addRow(self.tr("内容 Text"), self.text_view)
        form.addRow(self.tr("是否有效 Valid"), self.valid_edit)
        form.addRow(self.tr("分类 Category"), self.category_edit)
        form.addRow("", self.proposal_note)
        form.addRow(self.tr("责任单位 Responsible unit"), self.unit_edit)
        form.addRow(self.tr("状态 Status"), self.status_edit)
        form.addRow(self.tr("答复 Reply"), self.reply_edit)
        form.addRow("", self.replied_label)
        form.addRow(self.tr("备注 Notes"), self.notes_edit)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(actions)
        layout.addWidget(self.message)

    # -- running service calls -------------------------------------------------------------

    def _run(self, work: Callable[[], Any], on_success: Callable[[Any], None], *,
             quiet: bool = False) -> bool:
        if self.busy:
            self._show(self.tr("请等上一个操作完成 Wait for the last operation to finish"),
                       error=True)
            return False
        self.busy = True
        if not quiet:
            self._show(self.tr("正在处理… Working…"))
        self._enable()

        def succeeded(result: Any) -> None:
            if not shiboken6.isValid(self):  # the panel was closed meanwhile
                return
            self.busy = False
            if not quiet:
                self._show("")
            on_success(result)
            self._after()

        def failed(error: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self.busy = False
            self._show(error_text(error), error=True)
            self._after()

        self.tasks.run(work, succeeded, failed)
        return True

    def _after(self) -> None:
        self._enable()
        if self._stale:
            self._stale = False
            self.reload()

    def _show(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)
        self.message.setText(text)

    def _enable(self) -> None:
        selected = self.selected() is not None
        idle = not self.busy
        self.collect_button.setEnabled(idle)
        self.follow_up_button.setEnabled(idle)
        for widget in (self.valid_edit, self.category_edit, self.unit_edit, self.status_edit,
                       self.reply_edit, self.notes_edit, self.save_button):
            widget.setEnabled(idle and selected)

    # -- filters ------------------------------------------------------------------------------

    def _filters(self) -> tuple[str | None, str | None]:
        return self.status_filter.currentData(), self.category_filter.currentData()

    def _fill_category_filter(self, categories: Sequence[str]) -> None:
        current = self.category_filter.currentData() if self.category_filter.count() else None
        self.category_filter.blockSignals(True)
        self.category_filter.clear()
        self.category_filter.addItem(self.tr("全部分类 All categories"), None)
        self.category_filter.addItem(self.tr("未分类 No category"), "")
        for category in categories:
            self.category_filter.addItem(category, category)
        position = self.category_filter.findData(current) if current is not None else 0
        self.category_filter.setCurrentIndex(max(position, 0))
        self.category_filter.blockSignals(False)

    def _apply_settings(self, settings: SuggestionSettings) -> None:
        self.settings = settings
        self._fill_category_filter(settings.categories)

    # -- loading ------------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Collect new suggestions (and checks from completed follow-up calls), then list."""
        status, category = self._filters()
        service, project_id, user_id = self.service, self.project_id, self.user_id

        def work() -> tuple[SuggestionSettings, CollectResult, list[SuggestionRow]]:
            settings = service.settings(project_id)
            collected = service.collect(project_id, user_id)
            return settings, collected, service.list(project_id, status=status,
                                                     category=category, user_id=user_id)

        def done(result: tuple[SuggestionSettings, CollectResult, list[SuggestionRow]]) -> None:
            settings, collected, rows = result
            self.last_collect = collected
            self._apply_settings(settings)
            self._set_rows(rows)
            self._show(self.tr("新收集 %1 条建议;回访:%2 条核实解决,%3 条未解决已退回,"
                               "%4 条未联系上,%5 条拒访 Collected %1 new suggestions; "
                               "call-backs: %2 checked, %3 reopened, %4 unreachable, "
                               "%5 refused")
                       .replace("%1", str(collected.added)).replace("%2", str(collected.checked))
                       .replace("%3", str(collected.reopened))
                       .replace("%4", str(collected.unreachable))
                       .replace("%5", str(collected.refused)))
            if collected.added or collected.checked or collected.reopened \
                    or collected.unreachable or collected.refused:
                self.changed.emit()

        self._run(work, done)

    @Slot()
    def reload(self) -> None:
        """List again with the current filters (no collecting)."""
        if self.busy:
            self._stale = True
            return
        status, category = self._filters()
        service, project_id, user_id = self.service, self.project_id, self.user_id
        self._run(lambda: service.list(project_id, status=status, category=category,
                                       user_id=user_id), self._set_rows, quiet=True)

    def _set_rows(self, rows: list[SuggestionRow]) -> None:
        chosen = self.selected()
        self.model.set_rows(rows)
        if chosen is not None:
            self.select_id(chosen.id)
        self._selected_changed()

    # -- selection and editing ----------------------------------------------------------------

    def selected(self) -> SuggestionRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.model.rows):
            return None
        return self.model.rows[rows[0].row()]

    def select_id(self, suggestion_id: int) -> bool:
        position = self.model.row_of(suggestion_id)
        if position < 0:
            return False
        self.table.selectRow(position)
        return True

    def _selected_changed(self) -> None:
        self._load_editor(self.selected())
        self._enable()

    def _load_editor(self, row: SuggestionRow | None) -> None:
        settings = self.settings
        categories = list(settings.categories) if settings else []
        units = list(settings.units) if settings else []
        if row is not None and row.category and row.category not in categories:
            categories.append(row.category)  # a category no longer in the settings
        self.category_edit.clear()
        self.category_edit.addItem(self.tr("(未分类) (none)"), None)
        for category in categories:
            self.category_edit.addItem(category, category)
        self.unit_edit.clear()
        self.unit_edit.addItems(["", *units])
        if row is None:
            self.text_view.setText("")
            self.valid_edit.setCurrentIndex(0)
            self.status_edit.setCurrentIndex(0)
            self.notes_edit.setPlainText("")
            self.reply_edit.setPlainText("")
            self.replied_label.setText("")
            self.proposal_note.setVisible(False)
            return
        self.text_view.setText(row.text)
        self.valid_edit.setCurrentIndex(max(self.valid_edit.findData(row.valid), 0)
                                        if row.valid is not None else 0)
        self.category_edit.setCurrentIndex(max(self.category_edit.findData(row.category), 0)
                                           if row.category else 0)
        self.unit_edit.setEditText(row.responsible_unit or "")
        self.status_edit.setCurrentIndex(max(self.status_edit.findData(row.status), 0))
        self.notes_edit.setPlainText(row.notes)
        self.reply_edit.setPlainText(row.reply)
        self.replied_label.setText(
            self.tr("答复于 Replied on %1").replace(
                "%1", row.replied_at.astimezone().strftime("%Y-%m-%d %H:%M"))
            if row.replied_at else "")
        self.proposal_note.setVisible(row.proposed)

    def edited_values(self) -> dict[str, Any]:
        """What the editor holds, as update_suggestion's keyword arguments."""
        return {"valid": self.valid_edit.currentData(),
                "category": self.category_edit.currentData(),
                "responsible_unit": self.unit_edit.currentText().strip() or None,
                "status": self.status_edit.currentData(),
                "notes": self.notes_edit.toPlainText(),
                "reply": self.reply_edit.toPlainText()}

    @Slot()
    def save_selected(self) -> None:
        row = self.selected()
        if row is None:
            return
        changes = self.edited_values()
        service, user_id = self.service, self.user_id

        def done(saved: SuggestionRow) -> None:
            self.model.update_row(saved)
            self.select_id(saved.id)
            self._load_editor(saved)
            self._show(self.tr("已保存 Saved: %1").replace("%1", str(saved.id)))
            self.changed.emit()

        self._run(lambda: service.update(row.id, user_id, **changes), done)

    # -- follow-up ------------------------------------------------------------------------------

    @Slot()
    def create_follow_up(self) -> None:
        status, category = self._filters()
        service, project_id, user_id = self.service, self.project_id, self.user_id

        def work() -> tuple[FollowUpResult, list[SuggestionRow]]:
            result = service.create_follow_up(project_id, user_id)
            return result, service.list(project_id, status=status, category=category,
                                        user_id=user_id)

        def done(result: tuple[FollowUpResult, list[SuggestionRow]]) -> None:
            created, rows = result
            self.last_follow_up = created
            self._set_rows(rows)
            self._show(self.tr("已创建回访项目 Created follow-up project %1: %2 numbers "
                               "for %3 suggestions")
                       .replace("%1", created.code).replace("%2", str(created.cases))
                       .replace("%3", str(created.suggestions)))
            self.changed.emit()

        self._run(work, done)

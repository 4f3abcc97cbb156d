"""The console's index-rule dialog, driven as a supervisor does: open it from the toolbar,
type into the table and the fields, press Save; a mistake is one line and nothing is stored;
a closed wave's rule is shown frozen, not editable."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from cati.backend import Backend
from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.services.series import close_wave, rule_view
from cati.services.users import add_user
from cati.storage.db import Database
from ui.console_window import ConsoleWindow
from ui.tasks import TaskRunner


def _type_into_cell(qtbot, table, row: int, column: int, text: str) -> None:
    rect = table.visualRect(table.model().index(row, column))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = table.focusWidget()
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)


def _open(qtbot, console):
    console.rule_action.trigger()  # the toolbar button
    dialog = console.rule_dialog
    qtbot.waitUntil(lambda: dialog.view is not None, timeout=10_000)
    return dialog


def test_the_rule_dialog_changes_the_rule_and_refuses_a_mistake(qtbot, sqlite_url):
    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_project(session, "PS2611", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        boss = add_user(session, "boss", "supervise-2026", "supervisor", "督导")
    backend, tasks = Backend(sqlite_url, "ws-boss"), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: console.project is not None, timeout=10_000)
    dialog = _open(qtbot, console)
    assert "问卷的指数定义" in dialog.source.text()
    row = [i.name for i in dialog.view.indices].index("sat_police_rate")
    assert dialog.table.item(row, 2).text() == "1,2"
    _type_into_cell(qtbot, dialog.table, row, 2, "7")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "未保存" in dialog.status.text(), timeout=10_000)
    assert "'7' is not a choice" in dialog.status.text()
    with database.unit(immediate=False) as session:
        assert rule_view(session, "PS2611").source == "questionnaire"  # nothing stored

    _type_into_cell(qtbot, dialog.table, row, 2, "1")
    dialog.min_n.selectAll()
    qtbot.keyClicks(dialog.min_n, "20")
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已保存" in dialog.status.text(), timeout=10_000)
    with database.unit(immediate=False) as session:
        stored = rule_view(session, "PS2611")
    police = next(i for i in stored.indices if i.name == "sat_police_rate")
    assert (stored.source, stored.min_n, police.positive) == ("project", 20, ("1",))
    assert "本项目的设置" in dialog.source.text()
    dialog.close()

    with database.unit() as session:
        close_wave(session, "PS2611")
    frozen = _open(qtbot, console)
    assert "冻结" in frozen.source.text()
    assert not frozen.save_button.isEnabled() and not frozen.min_n.isEnabled()
    assert frozen.min_n.value() == 20
    console.close()
    tasks.shutdown()
    backend.close()
    database.dispose()

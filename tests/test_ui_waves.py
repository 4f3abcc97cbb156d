"""The console's waves tab and index-rule dialog, driven as a supervisor does: the rule dialog
from the toolbar (type into the table and the fields, press Save; a mistake is one line and
nothing is stored; a closed wave's rule is shown frozen, not editable); the waves tab's close
button, its confirmation (Cancel keeps the wave open, the close button freezes it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from cati.backend import Backend
from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.services.series import close_wave, create_series, rule_view, start_wave, waves
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


def test_the_waves_tab_closes_the_wave_after_asking(qtbot, sqlite_url):
    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_series(session, "PS", "公众安全感月度测评")
        start_wave(session, "PS", "2026-11", "PS2611",
                   form_path=str(QUESTIONNAIRE_DIR / "public_safety.xlsx"))
        boss = add_user(session, "boss", "supervise-2026", "supervisor", "督导")
    backend, tasks = Backend(sqlite_url, "ws-boss"), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss)
    qtbot.addWidget(console)
    console.show()
    qtbot.waitUntil(lambda: "waves" in console.panels, timeout=10_000)
    panel = console.panels["waves"]
    bar = console.tabs.tabBar()  # the supervisor clicks the tab
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.tabRect(console.tabs.indexOf(panel)).center())
    assert console.tabs.currentWidget() is panel
    qtbot.waitUntil(panel.close_button.isEnabled, timeout=10_000)
    assert panel.table.item(0, 0).text() == "2026-11"
    assert panel.table.item(0, 2).text() == "进行中"

    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    box = panel.confirm
    assert box is not None and "不能撤销" in box.text()
    assert box.defaultButton().text() == "取消"
    qtbot.mouseClick(box.defaultButton(), Qt.MouseButton.LeftButton)  # Cancel
    with database.unit(immediate=False) as session:
        assert waves(session, "PS")[0].status == "active"

    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    yes = next(b for b in panel.confirm.buttons()
               if panel.confirm.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已结束" in panel.status.text(), timeout=10_000)
    qtbot.waitUntil(lambda: panel.table.item(0, 2).text() == "已结束", timeout=10_000)
    assert not panel.close_button.isEnabled()
    with database.unit(immediate=False) as session:
        [wave] = waves(session, "PS")
    assert wave.status == "closed" and wave.closed_at is not None
    console.close()
    tasks.shutdown()
    backend.close()
    database.dispose()

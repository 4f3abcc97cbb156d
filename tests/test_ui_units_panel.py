"""The units panel as a real widget offscreen, on SQLite and PostgreSQL, driven by its buttons:
default units and rules seeded, a unit added and deactivated, a routing rule set, an opinion
taken in by the form (routed by the new rule) and a file imported through the file dialog (a
bad file names its row and changes nothing), and, with the clock past the deadline, the
overdue list and the unit's figures."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate
from sqlalchemy import func, select
from test_suggestions import NOW, build_survey

from cati.services.suggestions import list_suggestions, update_suggestion
from cati.services.units import UnitService, list_rules, list_units
from cati.storage.models import Suggestion
from ui.tasks import TaskRunner
from ui.units_panel import UnitsPanel

WAIT = 20_000


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT)
    runner.shutdown()


def settle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.busy and panel.tasks.pending == 0, timeout=WAIT)


def choose(combo, data) -> None:
    position = combo.findData(data)
    assert position >= 0, data
    combo.setCurrentIndex(position)


def select_row(table, key) -> None:
    for row in range(table.rowCount()):
        if table.item(row, 0).data(256) == key:  # Qt.UserRole
            table.selectRow(row)
            return
    raise AssertionError(key)


def count(database) -> int:
    with database.unit(immediate=False) as session:
        return session.scalar(select(func.count()).select_from(Suggestion))


def test_the_panel_seeds_routes_takes_in_and_shows_overdue_and_figures(qtbot, database, tasks,
                                                                       tmp_path):
    survey = build_survey(database)
    clock = {"now": NOW}
    panel = UnitsPanel(UnitService(database), tasks, survey.project_id, survey.supervisor,
                       clock=lambda: clock["now"])
    qtbot.addWidget(panel)
    panel.show()
    settle(qtbot, panel)
    assert panel.units_table.rowCount() == 0

    panel.seed_button.click()
    settle(qtbot, panel)
    assert panel.units_table.rowCount() == len(list_units(database, survey.project_id)) > 40
    assert "添加了" in panel.message.text()

    # A unit of its own, and 交通管理 in 古槐街道 routed to it.
    panel.unit_name.setText("古槐交警中队")
    choose(panel.unit_kind, "交警")
    choose(panel.unit_township, "古槐街道")
    panel.add_unit_button.click()
    settle(qtbot, panel)
    [squad] = [u for u in panel.units if u.name == "古槐交警中队"]
    assert (squad.kind, squad.township, squad.active) == ("交警", "古槐街道", True)
    panel.pages.setCurrentIndex(1)
    choose(panel.rule_category, "交通管理")
    choose(panel.rule_township, "古槐街道")
    choose(panel.rule_unit, "古槐交警中队")
    panel.set_rule_button.click()
    settle(qtbot, panel)
    assert any((r.category, r.township, r.unit) == ("交通管理", "古槐街道", "古槐交警中队")
               for r in list_rules(database, survey.project_id))

    # An opinion by the form: routed by that rule.
    panel.pages.setCurrentIndex(4)
    panel.intake_date.setDate(QDate(2026, 11, 22))
    choose(panel.intake_channel, "hotline")
    panel.intake_text.setPlainText("学府路口红绿灯坏了三天")
    choose(panel.intake_township, "古槐街道")
    panel.intake_phone.setText("13800138000")
    panel.intake_consent.setChecked(True)
    panel.intake_button.click()
    settle(qtbot, panel)
    assert "已录入为建议" in panel.message.text()
    [taken] = [r for r in list_suggestions(database, survey.project_id)
               if r.text == "学府路口红绿灯坏了三天"]
    assert (taken.responsible_unit, taken.channel, taken.category) == \
        ("古槐交警中队", "hotline", "交通管理")
    # A bad phone: one line, nothing stored.
    before = count(database)
    panel.intake_text.setPlainText("路灯不亮")
    panel.intake_phone.setText("12345")
    panel.intake_button.click()
    settle(qtbot, panel)
    assert panel.message.text().startswith("电话 phone:") and count(database) == before

    # A file through the dialog: a bad one changes nothing, a good one is taken in.
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,渠道,内容\n2026-11-20,12345,路灯坏了\n2026-11-20,微信,太吵\n",
                   encoding="utf-8")
    dialog = panel.choose_file()
    dialog.selectFile(str(bad))
    dialog.accept()
    settle(qtbot, panel)
    assert panel.message.text().startswith("bad.csv: row 3, column 渠道 channel")
    assert count(database) == before
    good = tmp_path / "box.csv"
    good.write_text("日期,渠道,内容,乡镇\n2026-11-20,意见箱,路口电动车乱窜,古槐街道\n"
                    "2026-11-21,来信,学校门口堵车,清河街道\n", encoding="utf-8")
    dialog = panel.choose_file()
    dialog.selectFile(str(good))
    dialog.accept()
    settle(qtbot, panel)
    assert (panel.last_intake.added, panel.last_intake.routed) == (2, 2)
    assert count(database) == before + 2

    # Assigned, then the clock passes the deadline (交通管理: 15 days).
    update_suggestion(database, taken.id, valid=True, status="assigned", now=NOW)
    clock["now"] = NOW + dt.timedelta(days=17)
    panel.refresh_button.click()
    settle(qtbot, panel)
    assert panel.overdue_table.rowCount() == 1
    assert panel.overdue_table.item(0, 1).text() == "2"
    assert panel.overdue_table.item(0, 2).text() == "古槐交警中队"
    row = next(r for r in range(panel.figures_table.rowCount())
               if panel.figures_table.item(r, 0).text() == "古槐交警中队")
    assert [panel.figures_table.item(row, c).text() for c in (2, 3, 4, 5)] == \
        ["1", "0", "0%", "1"]

    # The squad named by a suggestion and a rule: removing it deactivates it.
    panel.pages.setCurrentIndex(0)
    select_row(panel.units_table, squad.id)
    assert panel.remove_unit_button.isEnabled()
    panel.remove_unit_button.click()
    settle(qtbot, panel)
    assert "已停用" in panel.message.text()
    assert not next(u for u in list_units(database, survey.project_id)
                    if u.id == squad.id).active


def test_an_interviewer_is_refused_in_one_line(qtbot, database, tasks):
    survey = build_survey(database)
    panel = UnitsPanel(UnitService(database), tasks, survey.project_id, survey.interviewer)
    qtbot.addWidget(panel)
    settle(qtbot, panel)
    panel.seed_button.click()
    settle(qtbot, panel)
    assert "仅督导或管理员" in panel.message.text()
    assert list_units(database, survey.project_id) == []


def test_categories_subcategories_and_deadlines_are_edited_in_place(qtbot, database, tasks):
    from cati.services.suggestions import project_suggestion_settings

    survey = build_survey(database)
    panel = UnitsPanel(UnitService(database), tasks, survey.project_id, survey.supervisor)
    qtbot.addWidget(panel)
    panel.show()
    settle(qtbot, panel)
    panel.pages.setCurrentIndex(5)
    table = panel.categories_table
    [traffic] = [r for r in range(table.rowCount()) if table.item(r, 0).text() == "交通管理"]
    assert table.item(traffic, 2).text() == "15"
    table.item(traffic, 2).setText("3")
    panel.add_category_button.click()
    last = table.rowCount() - 1
    table.item(last, 0).setText("信访")
    table.item(last, 1).setText("重复信访、越级上访")
    table.item(last, 2).setText("20")
    panel.save_categories_button.click()
    settle(qtbot, panel)
    assert "分类已保存" in panel.message.text()
    settings = project_suggestion_settings(database, survey.project_id)
    assert settings.categories[-1] == "信访" and settings.deadline_days("交通管理") == 3
    assert settings.subcategories_of("信访") == ("重复信访", "越级上访")
    # A deadline that is no number: one line, nothing saved.
    table.item(last, 2).setText("二十")
    panel.save_categories_button.click()
    assert panel.message.text().startswith("第 ")
    assert project_suggestion_settings(database, survey.project_id).deadline_days("信访") == 20

"""The supervisor console's quota, project-settings and users panels as real widgets offscreen,
on SQLite and PostgreSQL: each shows what the database holds, each edit reaches the database, a
user who is not an admin is refused the users panel, and the models pass Qt's model tester."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QDialogButtonBox, QSpinBox, QStyleOptionViewItem
from sqlalchemy import func, insert, select

from cati.calling.hours import CallingHours
from cati.config import QUESTIONNAIRE_DIR
from cati.services.admin import AdminService, project_calling_hours
from cati.services.projects import create_project
from cati.services.quotas import QuotaCell
from cati.services.users import UserInfo, add_user, authenticate
from cati.storage.models import Case, Interview, Project, Quota, User
from ui.admin_panels import (
    CallingHoursModel,
    ProjectSettingsPanel,
    QuotaModel,
    QuotaPanel,
    UsersModel,
    UsersPanel,
)
from ui.tasks import TaskRunner

WAIT = 15_000
T = dt.time
STARTED = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(database):
    """Users by role, and a project: strata 古槐 (quota 3, 3 completes: full), 清河 (quota 10,
    1 complete) and 东皇 (numbers, no quota)."""
    with database.unit() as session:
        ids = {role: add_user(session, role, "password-123", role, role.title()).id
               for role in ("admin", "supervisor", "interviewer")}
        project = create_project(session, "PANELS", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+8613800000{n:03d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": stratum, "attributes": {},
             "time_zone": "Asia/Shanghai", "draw": n}
            for n, stratum in enumerate(["古槐街道", "清河街道", "东皇街道", "东皇街道"])])
        session.execute(insert(Quota), [
            {"project_id": project.id, "stratum": "古槐街道", "target": 3},
            {"project_id": project.id, "stratum": "清河街道", "target": 10}])
        session.execute(insert(Interview), [
            {"project_id": project.id, "questionnaire_id": project.questionnaire_id,
             "state": "complete", "stratum": stratum, "started_at": STARTED, "seed": n,
             "mode": "field", "language": ""}
            for n, stratum in enumerate(["古槐街道"] * 3 + ["清河街道"])])
    ids["project"] = project.id
    return ids


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT)
    runner.shutdown()


@pytest.fixture
def service(database):
    return AdminService(database)


def settle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.busy and panel.tasks.pending == 0, timeout=WAIT)


def shown(qtbot, panel):
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    settle(qtbot, panel)
    return panel


def table_text(model) -> list[list[str]]:
    return [[model.index(row, column).data() for column in range(model.columnCount())]
            for row in range(model.rowCount())]


def quota_query(database, project_id) -> list[tuple[str, int, int]]:
    """(stratum, target, completes) straight from the tables."""
    with database.unit(immediate=False) as session:
        targets = session.execute(select(Quota.stratum, Quota.target)
                                  .where(Quota.project_id == project_id)
                                  .order_by(Quota.stratum)).all()
        done = dict(session.execute(
            select(Interview.stratum, func.count()).where(Interview.state == "complete")
            .group_by(Interview.stratum)).all())
    return [(stratum, target, done.get(stratum, 0)) for stratum, target in targets]


# -- quotas -------------------------------------------------------------------------------------


def test_the_quota_panel_shows_the_quotas_in_the_database(qtbot, database, service, tasks,
                                                          store):
    panel = shown(qtbot, QuotaPanel(service, tasks, store["project"], store["supervisor"]))
    expected = quota_query(database, store["project"])
    assert expected == [("古槐街道", 3, 3), ("清河街道", 10, 1)]
    assert table_text(panel.model) == [
        [stratum, str(target), str(done), f"{done}/{target}",
         "已满 full" if done >= target else "进行中 open", "（样本层）(stratum)"]
        for stratum, target, done in expected]
    fractions = [panel.model.index(row, QuotaModel.PROGRESS).data(QuotaModel.FRACTION_ROLE)
                 for row in range(2)]
    assert fractions == [1.0, 0.1]
    assert panel.model.index(0, QuotaModel.TARGET).flags() & Qt.ItemFlag.ItemIsEditable
    assert not panel.model.index(0, QuotaModel.COMPLETES).flags() & Qt.ItemFlag.ItemIsEditable
    # The stratum box offers the sample's strata that have no quota yet.
    offered = [panel.stratum_edit.itemText(i) for i in range(panel.stratum_edit.count())]
    assert offered == ["东皇街道"]
    panel.grab()  # paints the progress bars


def test_editing_a_target_in_its_spin_box_saves_it(qtbot, database, service, tasks, store):
    panel = shown(qtbot, QuotaPanel(service, tasks, store["project"], store["supervisor"]))
    index = panel.model.index(panel.model.row_of("清河街道"), QuotaModel.TARGET)
    panel.table.setCurrentIndex(index)
    panel.table.edit(index)
    editor = panel.table.indexWidget(index) or panel.table.findChild(QSpinBox)
    assert isinstance(editor, QSpinBox) and editor.value() == 10
    editor.setValue(1)
    with qtbot.waitSignal(panel.model.target_edited, timeout=WAIT):  # the commit is queued
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    settle(qtbot, panel)
    assert quota_query(database, store["project"])[1] == ("清河街道", 1, 1)
    assert table_text(panel.model)[1] == ["清河街道", "1", "1", "1/1", "已满 full",
                                          "（样本层）(stratum)"]


def test_adding_and_removing_a_stratum(qtbot, database, service, tasks, store):
    panel = shown(qtbot, QuotaPanel(service, tasks, store["project"], store["admin"]))
    panel.stratum_edit.setCurrentText("东皇街道")
    panel.target_spin.setValue(40)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert ("东皇街道", 40, 0) in quota_query(database, store["project"])
    assert [row[0] for row in table_text(panel.model)] == ["东皇街道", "古槐街道", "清河街道"]
    assert panel.stratum_edit.count() == 0 and panel.stratum_edit.currentText() == ""

    panel.table.selectRow(panel.model.row_of("古槐街道"))
    assert panel.remove_button.isEnabled()
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert [row[0] for row in quota_query(database, store["project"])] == ["东皇街道", "清河街道"]
    assert [row[0] for row in table_text(panel.model)] == ["东皇街道", "清河街道"]


def test_a_refused_quota_shows_its_one_line_and_changes_nothing(qtbot, database, service,
                                                                tasks, store):
    panel = shown(qtbot, QuotaPanel(service, tasks, store["project"], store["supervisor"]))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)  # no stratum typed
    assert "Enter a stratum first" in panel.message.text()
    interviewer = shown(qtbot, QuotaPanel(service, tasks, store["project"],
                                          store["interviewer"]))
    assert interviewer.model.rowCount() == 0
    assert "only a supervisor or an admin" in interviewer.message.text()
    assert len(quota_query(database, store["project"])) == 2


# -- project settings ------------------------------------------------------------------------


def stored_project(database, project_id) -> Project:
    with database.unit(immediate=False) as session:
        return session.get(Project, project_id)


def test_the_settings_panel_shows_the_stored_settings(qtbot, database, service, tasks, store):
    panel = shown(qtbot, ProjectSettingsPanel(service, tasks, store["project"],
                                              store["supervisor"]))
    project = stored_project(database, store["project"])
    assert project.status == "active"
    assert "进行中 active" in panel.status_label.text() and "PANELS" in panel.status_label.text()
    assert panel.pause_button.text() == "暂停拨打 Pause project"
    hours = project_calling_hours(project.settings)
    assert [[tuple(w) for w in day] for day in panel.hours_model.windows()] == [
        list(day) for day in hours.days]
    assert (panel.max_attempts.value(), panel.per_day.value()) == (
        project.settings["max_attempts"], project.settings["max_attempts_per_day"])
    texts = [panel.hours_table.itemDelegateForColumn(CallingHoursModel.END).displayText(
        panel.hours_model.index(0, CallingHoursModel.END).data(), None)]
    assert texts == ["21:00"]


def test_pause_and_resume_from_the_panel(qtbot, database, service, tasks, store):
    panel = shown(qtbot, ProjectSettingsPanel(service, tasks, store["project"], store["admin"]))
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert stored_project(database, store["project"]).status == "paused"
    assert "已暂停 paused" in panel.status_label.text()
    assert panel.pause_button.text() == "恢复拨打 Resume project"
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert stored_project(database, store["project"]).status == "active"
    assert panel.pause_button.text() == "暂停拨打 Pause project"


def test_editing_calling_hours_and_caps_saves_them(qtbot, database, service, tasks, store):
    panel = shown(qtbot, ProjectSettingsPanel(service, tasks, store["project"],
                                              store["supervisor"]))
    model = panel.hours_model
    # Monday: 08:00–11:30, break until 13:00, until 20:00; then copied to every day.
    for column, value in ((model.START, QTime(8, 0)), (model.BREAK_START, QTime(11, 30)),
                          (model.BREAK_END, QTime(13, 0)), (model.END, QTime(20, 0))):
        assert model.setData(model.index(0, column), value, Qt.ItemDataRole.EditRole)
    panel.hours_table.setCurrentIndex(model.index(0, model.START))
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    # Saturday without a break until midnight; no calls on Sunday.
    model.item(5, model.BREAK).setCheckState(Qt.CheckState.Unchecked)
    model.setData(model.index(5, model.END), QTime(0, 0), Qt.ItemDataRole.EditRole)
    model.item(6, model.DAY).setCheckState(Qt.CheckState.Unchecked)
    assert not model.item(6, model.START).isEnabled()
    assert not model.item(5, model.BREAK_START).isEnabled()
    panel.max_attempts.setValue(8)
    panel.per_day.setValue(2)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert "已保存 Saved" in panel.message.text()
    settings = stored_project(database, store["project"]).settings
    weekday = [["08:00", "11:30"], ["13:00", "20:00"]]
    assert settings["calling_hours"] == {"mon": weekday, "tue": weekday, "wed": weekday,
                                         "thu": weekday, "fri": weekday,
                                         "sat": [["08:00", "24:00"]], "sun": []}
    assert (settings["max_attempts"], settings["max_attempts_per_day"]) == (8, 2)
    # Midnight shows as 24:00 at the end of the day.
    style_option = QStyleOptionViewItem()
    panel.hours_table.itemDelegateForColumn(CallingHoursModel.END).initStyleOption(
        style_option, panel.hours_model.index(5, CallingHoursModel.END))
    assert style_option.text == "24:00"


def test_a_mistake_in_the_hours_shows_one_line_and_saves_nothing(qtbot, database, service,
                                                                  tasks, store):
    panel = shown(qtbot, ProjectSettingsPanel(service, tasks, store["project"],
                                              store["supervisor"]))
    before = dict(stored_project(database, store["project"]).settings)
    model = panel.hours_model
    model.setData(model.index(1, model.BREAK_START), QTime(8, 0), Qt.ItemDataRole.EditRole)
    panel.per_day.setValue(1)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert panel.message.text() == ("calling hours, Tuesday (周二): 09:00–08:00 does not end "
                                    "after it starts (结束时间须晚于开始时间)")
    assert stored_project(database, store["project"]).settings == before


def test_an_interviewer_gets_no_project_settings(qtbot, database, service, tasks, store):
    panel = shown(qtbot, ProjectSettingsPanel(service, tasks, store["project"],
                                              store["interviewer"]))
    assert "only a supervisor or an admin" in panel.message.text()
    assert not panel.pause_button.isEnabled() and not panel.save_button.isEnabled()


# -- users ------------------------------------------------------------------------------------


def users_query(database) -> list[tuple[str, str, str, bool]]:
    with database.unit(immediate=False) as session:
        return [tuple(row) for row in session.execute(
            select(User.username, User.display_name, User.role, User.active)
            .order_by(User.username))]


ROLE_TEXT = {"admin": "管理员 admin", "supervisor": "督导 supervisor",
             "interviewer": "访问员 interviewer"}


def test_the_users_panel_lists_the_accounts(qtbot, database, service, tasks, store):
    panel = shown(qtbot, UsersPanel(service, tasks, store["admin"]))
    assert not panel.refused and panel.table.isVisible()
    assert table_text(panel.model) == [
        [username, name, ROLE_TEXT[role], "在用 active" if active else "已停用 inactive"]
        for username, name, role, active in users_query(database)]


def test_adding_a_user_asks_the_password_twice(qtbot, database, service, tasks, store):
    panel = shown(qtbot, UsersPanel(service, tasks, store["admin"]))
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.username.setText("zhou")
    dialog.display_name.setText("周")
    dialog.role.setCurrentIndex(dialog.role.findData("supervisor"))
    dialog.password.setText("pass-Q9-uohz-1")
    dialog.repeat.setText("pass-Q9-uohz-2")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "两次输入的密码不一致 The passwords differ"
    assert dialog.isVisible() and ("zhou", "周", "supervisor", True) not in users_query(database)
    dialog.repeat.setText("pass-Q9-uohz-1")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    qtbot.waitUntil(lambda: panel.dialog is None, timeout=WAIT)
    assert ("zhou", "周", "supervisor", True) in users_query(database)
    assert panel.selected_user().username == "zhou"
    assert panel.model.row_of("zhou") >= 0


def test_a_refused_new_user_keeps_the_dialog_open_with_the_reason(qtbot, database, service,
                                                                  tasks, store):
    panel = shown(qtbot, UsersPanel(service, tasks, store["admin"]))
    panel.open_add_dialog()
    dialog = panel.dialog
    dialog.username.setText("supervisor")  # taken
    dialog.password.setText("pass-Q9-uohz-1")
    dialog.repeat.setText("pass-Q9-uohz-1")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert dialog.isVisible()
    assert dialog.error_label.text() == "user 'supervisor' already exists"
    dialog.reject()
    assert len(users_query(database)) == 3


def test_deactivate_reactivate_reset_and_change_role(qtbot, database, service, tasks, store):
    panel = shown(qtbot, UsersPanel(service, tasks, store["admin"]))
    panel.select("interviewer")
    assert panel.deactivate_button.isEnabled() and not panel.reactivate_button.isEnabled()
    assert panel.role_combo.currentData() == "interviewer"
    qtbot.mouseClick(panel.deactivate_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert ("interviewer", "Interviewer", "interviewer", False) in users_query(database)
    assert table_text(panel.model)[panel.model.row_of("interviewer")][3] == "已停用 inactive"
    assert panel.reactivate_button.isEnabled() and not panel.deactivate_button.isEnabled()
    qtbot.mouseClick(panel.reactivate_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert ("interviewer", "Interviewer", "interviewer", True) in users_query(database)

    qtbot.mouseClick(panel.password_button, Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert dialog.username.text() == "interviewer" and dialog.username.isReadOnly()
    dialog.password.setText("new-secret-99")
    dialog.repeat.setText("new-secret-99")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    qtbot.waitUntil(lambda: panel.dialog is None, timeout=WAIT)
    with database.unit() as session:
        assert authenticate(session, "interviewer", "new-secret-99").id == store["interviewer"]

    panel.role_combo.setCurrentIndex(panel.role_combo.findData("supervisor"))
    qtbot.mouseClick(panel.role_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert ("interviewer", "Interviewer", "supervisor", True) in users_query(database)
    assert table_text(panel.model)[panel.model.row_of("interviewer")][2] == "督导 supervisor"


def test_the_last_admin_is_told_why_they_cannot_leave(qtbot, database, service, tasks, store):
    panel = shown(qtbot, UsersPanel(service, tasks, store["admin"]))
    panel.select("admin")
    qtbot.mouseClick(panel.deactivate_button, Qt.MouseButton.LeftButton)
    settle(qtbot, panel)
    assert panel.message.text() == ("'admin' is the last active admin: make another user admin "
                                    "first (至少要保留一个在用的管理员)")
    assert ("admin", "Admin", "admin", True) in users_query(database)


@pytest.mark.parametrize("role", ["supervisor", "interviewer"])
def test_the_users_panel_refuses_anyone_but_an_admin(qtbot, database, service, tasks, store,
                                                     role):
    panel = shown(qtbot, UsersPanel(service, tasks, store[role]))
    assert panel.refused
    assert panel.refusal.isVisible()
    assert panel.refusal.text() == "仅管理员可以管理用户 Only an admin can manage users"
    assert not panel.table.isVisible() and not panel.actions.isVisible()
    assert panel.model.rowCount() == 0
    assert not panel.add_button.isEnabled()


# -- the models --------------------------------------------------------------------------------


def test_the_models_pass_the_qt_model_tester(qtmodeltester):
    quotas = QuotaModel()
    quotas.set_cells([QuotaCell("古槐街道", 3, 3), QuotaCell("清河街道", 10, 1),
                      QuotaCell("东皇街道", 0, 0)])
    qtmodeltester.check(quotas)
    quotas.update_cell(QuotaCell("清河街道", 1, 1))
    quotas.update_cell(QuotaCell("三里湾", 5, 0))
    quotas.remove_stratum("古槐街道")
    qtmodeltester.check(quotas)
    assert [c.stratum for c in quotas.cells] == ["三里湾", "东皇街道", "清河街道"]

    users = UsersModel()
    users.set_users([UserInfo(1, "admin", "Admin", "admin", True),
                     UserInfo(2, "zhou", "周", "interviewer", False)])
    qtmodeltester.check(users)
    users.update_user(UserInfo(3, "li", "李", "supervisor", True))
    qtmodeltester.check(users)

    hours = CallingHoursModel()
    hours.set_hours(CallingHours.by_weekday({0: [(T(9), T(12)), (T(14), T(21))],
                                             3: [(T(10), T(18))]}))
    qtmodeltester.check(hours)
    assert hours.windows() == [[(T(9), T(12)), (T(14), T(21))], [], [], [(T(10), T(18))],
                               [], [], []]


def test_the_quota_model_asks_for_a_save_instead_of_changing_itself(qtbot):
    model = QuotaModel()
    model.set_cells([QuotaCell("古槐街道", 3, 3)])
    with qtbot.waitSignal(model.target_edited) as edited:
        assert not model.setData(model.index(0, QuotaModel.TARGET), 7)
    assert edited.args == ["古槐街道", 7]
    assert model.cells[0].target == 3
    assert not model.setData(model.index(0, QuotaModel.STRATUM), "x")


def test_quotas_pasted_from_a_spreadsheet_are_set_all_or_none(qtbot, database, service, tasks,
                                                             store):
    panel = shown(qtbot, QuotaPanel(service, tasks, store["project"], store["supervisor"]))
    qtbot.mouseClick(panel.paste_button, Qt.MouseButton.LeftButton)
    dialog = panel.paste_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("乡镇\t目标\n古槐街道\t3\n东皇街道\t25\n清河街道\tx\n")  # a bad line
    dialog.accept()
    settle(qtbot, panel)
    assert "line 4" in panel.message.text()
    assert quota_query(database, store["project"]) == [("古槐街道", 3, 3), ("清河街道", 10, 1)]
    qtbot.mouseClick(panel.paste_button, Qt.MouseButton.LeftButton)
    panel.paste_dialog.setTextValue("乡镇\t目标\n古槐街道\t5\n东皇街道\t25\n清河街道\t12\n")
    panel.paste_dialog.accept()
    settle(qtbot, panel)
    assert quota_query(database, store["project"]) == [
        ("东皇街道", 25, 0), ("古槐街道", 5, 3), ("清河街道", 12, 1)]
    assert [row[:2] for row in table_text(panel.model)] == [
        ["东皇街道", "25"], ["古槐街道", "5"], ["清河街道", "12"]]
    assert "3" in panel.message.text()

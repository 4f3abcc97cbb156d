"""Quota cells with a condition in the real windows, both backends: a sex × age band cell
filled by an interview in the interviewer's window, the next respondent in it shown the closing
words and ended with 4.80 only when the interviewer presses Enter; the console's quota tab
adding a cell and refusing a pasted list with a bad condition whole."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import insert, select
from test_ui_interviewer_loop import COMPLETE, WAIT, key, logged_in, open_zone, rows, wait_state
from ui_driving import answer, play_to_end, qtbot_wait

from cati.config import QUESTIONNAIRE_DIR
from cati.services.admin import AdminService
from cati.services.projects import create_project
from cati.services.quotas import list_quotas, set_quota
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import CallAttempt, Case, Quota
from ui.admin_panels import QuotaModel, QuotaPanel
from ui.app import CatiApp
from ui.tasks import TaskRunner

WOMEN_18_49 = "${gender} = '2' and ${resp_age} >= 18 and ${resp_age} < 50"


@pytest.fixture
def store(db_url):
    database = Database(db_url)
    database.upgrade()
    zone = open_zone()
    with database.unit() as session:
        add_user(session, "zhou", "interview-2026", "interviewer", "周")
        add_user(session, "zhang", "password-123", "supervisor", "张")
        project = create_project(session, "CELLUI", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380013800{n}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {"性别": sex},
             "time_zone": zone, "draw": n} for n, sex in enumerate(["女", "女", "男", "男"])])
    yield database
    database.dispose()


@pytest.fixture
def app(qtbot, store, tmp_path):
    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    settings.setValue("interview/auto_next_seconds", 1)
    app = CatiApp(store.url, settings=settings, workstation="ws-cells", speech=False)
    qtbot.addWidget(app.login)
    app.login.show()
    qtbot.waitUntil(app.login.button.isEnabled, timeout=WAIT)
    yield app
    if app.main_window is not None:
        app.main_window.close()
    app.shutdown()


def test_a_full_sex_by_age_cell_ends_the_next_respondent_with_closing_words(qtbot, app, store):
    with store.unit(immediate=False) as session:
        project_id = session.scalar(select(Case.project_id).limit(1))
    set_quota(store, project_id, "女18-49", 1, WOMEN_18_49)
    window = logged_in(qtbot, app)
    wait = qtbot_wait(qtbot)
    # The first woman of 46 completes: the cell is full.
    key(qtbot, window.ready_page.ready_button, Qt.Key.Key_F12)
    wait_state(qtbot, window, "call")
    key(qtbot, window.call_view, Qt.Key.Key_F9)
    wait_state(qtbot, window, "interview")
    play_to_end(wait, window, COMPLETE)
    assert [(c.name, c.completes, c.full) for c in list_quotas(store, project_id)] == [
        ("女18-49", 1, True)]
    # The next woman of 46: nothing ends before her sex is recorded; then closing words.
    wait_state(qtbot, window, "call")
    case_id = window.case.case_id
    key(qtbot, window.call_view, Qt.Key.Key_F9)
    wait_state(qtbot, window, "interview")
    while window.engine.current_item.name != "gender":
        assert window.interview_view.next_button.text() != "结束访问"
        name = window.engine.current_item.name
        answer(wait, window, COMPLETE.get(name))
    answer(wait, window, "2")
    view = window.interview_view
    qtbot.waitUntil(lambda: "4.80" in view.hint_label.text(), timeout=WAIT)
    assert "像您这样的受访者我们已经访问够了" in view.question_label.text()
    assert "女18-49" in view.hint_label.text()
    assert view.next_button.text().startswith("结束访问")
    qtbot.wait(1500)  # longer than the countdown: still with the respondent
    assert window.state == "interview" and window.case.case_id == case_id
    assert rows(store, select(CallAttempt.disposition).where(
        CallAttempt.case_id == case_id)) == []
    key(qtbot, view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rows(store, select(Case.disposition).where(
        Case.id == case_id)) == [("4.80",)], timeout=WAIT)
    assert [(c.name, c.completes) for c in list_quotas(store, project_id)] == [("女18-49", 1)]


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT)
    runner.shutdown()


def _settle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.busy and panel.tasks.pending == 0, timeout=WAIT)


def _quotas(database) -> list[tuple[str, int, str | None]]:
    with database.unit(immediate=False) as session:
        return [tuple(row) for row in session.execute(
            select(Quota.stratum, Quota.target, Quota.expression).order_by(Quota.stratum))]


def test_the_quota_tab_adds_a_cell_and_refuses_a_bad_pasted_list_whole(qtbot, store, tasks):
    with store.unit(immediate=False) as session:
        project_id = session.scalar(select(Case.project_id).limit(1))
        from cati.storage.models import User

        supervisor = session.scalar(select(User.id).where(User.username == "zhang"))
    panel = QuotaPanel(AdminService(store), tasks, project_id, supervisor)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    _settle(qtbot, panel)
    # A cell on a sample column, typed in and added with the button.
    panel.stratum_edit.lineEdit().insert("样本女性")  # Chinese comes in through the input method
    panel.target_spin.selectAll()
    qtbot.keyClicks(panel.target_spin, "2")
    panel.condition_edit.setFocus()
    qtbot.keyClicks(panel.condition_edit, "${")
    panel.condition_edit.insert("性别")
    qtbot.keyClicks(panel.condition_edit, "} = '")
    panel.condition_edit.insert("女")
    qtbot.keyClicks(panel.condition_edit, "'")
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, panel)
    assert _quotas(store) == [("样本女性", 2, "${性别} = '女'")]
    row = panel.model.row_of("样本女性")
    assert panel.model.index(row, QuotaModel.CONDITION).data() == "${性别} = '女'"
    # A list with one bad condition: nothing is set, the message names it in one line.
    qtbot.mouseClick(panel.paste_button, Qt.MouseButton.LeftButton)
    dialog = panel.paste_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue(f"名称\t目标\t条件\n女18-49\t40\t{WOMEN_18_49}\n"
                        "男18-49\t40\t${gender} = '1' and ${age_band} < 50\n")
    dialog.accept()
    _settle(qtbot, panel)
    assert "${age_band} is neither a question" in panel.message.text()
    assert "\n" not in panel.message.text()
    assert _quotas(store) == [("样本女性", 2, "${性别} = '女'")]
    # The good list is set whole; the table shows the cells with their conditions.
    qtbot.mouseClick(panel.paste_button, Qt.MouseButton.LeftButton)
    panel.paste_dialog.setTextValue(f"女18-49\t40\t{WOMEN_18_49}\n样本女性\t3\n")
    panel.paste_dialog.accept()
    _settle(qtbot, panel)
    assert _quotas(store) == [("女18-49", 40, WOMEN_18_49), ("样本女性", 3, "${性别} = '女'")]
    assert [panel.model.index(r, QuotaModel.CONDITION).data()
            for r in range(panel.model.rowCount())] == [WOMEN_18_49, "${性别} = '女'"]


def test_the_monitor_shows_the_cells_beside_the_strata(qtbot, store, tasks):
    from cati.services.monitor import snapshot
    from ui.monitor_panel import MonitorPanel

    with store.unit(immediate=False) as session:
        project_id = session.scalar(select(Case.project_id).limit(1))
    set_quota(store, project_id, "古槐街道", 10)
    set_quota(store, project_id, "样本女性", 0, "${性别} = '女'")
    panel = MonitorPanel(lambda: snapshot(store, project_id), tasks, interval_s=1)
    qtbot.addWidget(panel)
    shown = []
    panel.refreshed.connect(shown.append)
    panel.show()
    qtbot.waitUntil(lambda: len(shown) >= 1, timeout=WAIT)
    table = panel.strata
    cells = {table.item(row, 0).text(): row for row in range(table.rowCount())}
    assert "配额：样本女性" in cells and "古槐街道" in cells
    row = cells["配额：样本女性"]
    assert table.item(row, 1).text() == "0 / 0" and table.item(row, 5).text() == "已满"
    assert "${性别} = '女'" in table.item(row, 0).toolTip()

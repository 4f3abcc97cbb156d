"""The supervisor's sample panel, offscreen on SQLite and PostgreSQL: the lazily loaded table
model (checked by Qt's model tester), the filters, and the actions as the database sees them."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from sqlalchemy import func, insert, select

from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.services.sample_browser import SORT_COLUMNS, SampleBrowser, SampleFilters
from cati.storage.models import CallAttempt, Case, DoNotCall, User
from ui.sample_model import PLACEHOLDER, SampleTableModel
from ui.sample_panel import SamplePanel
from ui.tasks import TaskRunner

WAIT = 20_000
STRATA = ("东皇街道", "古槐街道", "万金店镇")
MORNING = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
PHONE = SORT_COLUMNS.index("phone_e164")
STATE = SORT_COLUMNS.index("state")
LEASE = SORT_COLUMNS.index("lease_holder")
PRIORITY = SORT_COLUMNS.index("priority")


class CountingBrowser(SampleBrowser):
    """The real service, counting what the table asks of it (on the database thread)."""

    def __init__(self, database) -> None:
        super().__init__(database)
        self.rows_fetched = 0
        self.pages = 0
        self.counts = 0

    def page(self, *args, **kwargs):
        rows = super().page(*args, **kwargs)
        self.pages += 1
        self.rows_fetched += len(rows)
        return rows

    def count(self, *args, **kwargs):
        self.counts += 1
        return super().count(*args, **kwargs)


def fill(database, cases: int) -> tuple[int, int]:
    """A project with ``cases`` cases (every fifth closed, every fifth leased) and a supervisor."""
    with database.unit() as session:
        project = create_project(session, "P", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [{
            "project_id": project.id, "phone_e164": f"+86139{(n * 7919) % 10**8:08d}",
            "phone_raw": "", "number_type": "mobile", "region": "驻马店", "carrier": "中国移动",
            "time_zone": "Asia/Shanghai", "stratum": STRATA[n % 3], "attributes": {},
            "state": ("closed", "scheduled", "fresh", "fresh", "fresh")[n % 5],
            "disposition": ("1.1", "3.13", None, None, None)[n % 5], "attempts": n % 4,
            "priority": 0, "next_call_at": None, "draw": n,
            "lease_holder": "ws1" if n % 5 == 4 else None,
            "lease_expires_at": MORNING + dt.timedelta(hours=1) if n % 5 == 4 else None,
        } for n in range(cases)])
        boss = session.execute(insert(User).returning(User.id), [{
            "username": "boss", "display_name": "督导王", "role": "supervisor",
            "password_hash": "x", "active": True, "created_at": MORNING}]).scalar_one()
    return project.id, boss


@pytest.fixture
def tasks(qapp):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def settle(qtbot, model: SampleTableModel, tasks: TaskRunner) -> None:
    qtbot.waitUntil(lambda: model.is_idle() and tasks.pending == 0, timeout=WAIT)


def open_panel(qtbot, database, tasks, cases: int) -> tuple[SamplePanel, CountingBrowser]:
    project_id, boss = fill(database, cases)
    browser = CountingBrowser(database)
    panel = SamplePanel(browser, tasks, project_id, boss, strata=list(STRATA))
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    qtbot.waitExposed(panel)
    settle(qtbot, panel.model, tasks)
    return panel, browser


def shown(model: SampleTableModel, row: int, column: int) -> str:
    return model.data(model.index(row, column))


def query(database, statement):
    with database.unit(immediate=False) as session:
        return session.execute(statement).all()


def select_cases(panel: SamplePanel, case_ids) -> None:
    model, wanted = panel.model, set(case_ids)
    selection = QItemSelection()
    for row in range(model.rowCount()):
        loaded = model.case_row(row)
        if loaded is not None and loaded.id in wanted:
            selection.select(model.index(row, 0), model.index(row, model.columnCount() - 1))
    assert selection.count() == len(wanted)
    panel.table.selectionModel().select(
        selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def row_of(model: SampleTableModel, case_id: int) -> int:
    return next(r for r in range(model.rowCount()) if model.case_row(r).id == case_id)


def case_ids(database, **values) -> list[int]:
    return [r[0] for r in query(database, select(Case.id).filter_by(**values).order_by(Case.id))]


@pytest.mark.parametrize("force_py", [False, True], ids=["qt-tester", "py-tester"])
def test_the_lazy_model_passes_the_model_tester(qtbot, qtmodeltester, qtlog, database, tasks,
                                                force_py):
    project_id, _ = fill(database, 450)
    browser = SampleBrowser(database)
    model = SampleTableModel(browser, tasks, project_id, page_size=100)
    settle(qtbot, model, tasks)
    qtmodeltester.check(model, force_py=force_py)
    settle(qtbot, model, tasks)  # the pages the tester's reads asked for
    assert shown(model, 449, 0) == PLACEHOLDER
    settle(qtbot, model, tasks)
    assert shown(model, 449, 0) == str(max(case_ids(database)))
    model.sort(PHONE, Qt.SortOrder.DescendingOrder)
    settle(qtbot, model, tasks)
    model.set_filters(SampleFilters(state="closed"))
    settle(qtbot, model, tasks)
    assert model.rowCount() == 90
    model.update_rows(browser.rows([model.case_row(0).id]))
    model.refresh()
    settle(qtbot, model, tasks)
    failures = [r.message for r in qtlog.records if "FAIL" in r.message]
    assert failures == []


def test_the_table_shows_the_count_and_first_rows_and_loads_only_what_is_seen(
        qtbot, database, tasks):
    panel, browser = open_panel(qtbot, database, tasks, 5000)
    model = panel.model
    assert model.rowCount() == 5000
    assert "5,000" in panel.count_label.text()
    first = query(database, select(Case.id, Case.phone_e164).order_by(Case.id).limit(30))
    assert [(int(shown(model, r, 0)), shown(model, r, PHONE)) for r in range(30)] == \
        [(case_id, phone) for case_id, phone in first]
    assert browser.counts == 1 and browser.rows_fetched <= 400

    panel.table.scrollToBottom()
    assert shown(model, 4999, PHONE) == PLACEHOLDER  # asked for, not there yet
    settle(qtbot, model, tasks)
    [(last_phone,)] = query(database, select(Case.phone_e164).order_by(Case.id.desc()).limit(1))
    assert shown(model, 4999, PHONE) == last_phone
    assert browser.rows_fetched <= 800, "the rows scrolled past were loaded"


def test_sorting_by_a_header_reorders_from_the_database(qtbot, database, tasks):
    panel, _ = open_panel(qtbot, database, tasks, 600)
    panel.table.sortByColumn(PHONE, Qt.SortOrder.DescendingOrder)
    settle(qtbot, panel.model, tasks)
    expected = query(database, select(Case.phone_e164)
                     .order_by(Case.phone_e164.desc(), Case.id.desc()).limit(15))
    assert [shown(panel.model, r, PHONE) for r in range(15)] == [p for (p,) in expected]


def test_filters_narrow_the_table(qtbot, database, tasks):
    panel, _ = open_panel(qtbot, database, tasks, 600)
    model = panel.model
    panel.state_combo.setCurrentIndex(panel.state_combo.findData("closed"))
    settle(qtbot, model, tasks)
    [(closed,)] = query(database, select(func.count()).where(Case.state == "closed"))
    assert model.rowCount() == closed == 120
    assert f"{closed:,}" in panel.count_label.text()
    assert {shown(model, r, STATE) for r in range(closed)} == {"已结束 closed"}

    panel.state_combo.setCurrentIndex(0)
    panel.disposition_combo.setCurrentIndex(panel.disposition_combo.findData("3.13"))
    settle(qtbot, model, tasks)
    assert model.rowCount() == 120
    assert {shown(model, r, SORT_COLUMNS.index("disposition")) for r in range(120)} == {"3.13"}

    panel.disposition_combo.setCurrentIndex(0)
    panel.stratum_combo.setCurrentIndex(panel.stratum_combo.findData(STRATA[1]))
    panel.min_attempts_spin.setValue(2)
    settle(qtbot, model, tasks)
    [(narrowed,)] = query(database, select(func.count()).where(
        Case.stratum == STRATA[1], Case.attempts >= 2))
    assert model.rowCount() == narrowed and 0 < narrowed < 600

    panel.stratum_combo.setCurrentIndex(0)
    panel.min_attempts_spin.setValue(0)
    panel.phone_edit.setText("79")
    qtbot.waitUntil(lambda: model.filters.phone == "79", timeout=WAIT)
    settle(qtbot, model, tasks)
    [(matching,)] = query(database, select(func.count()).where(Case.phone_e164.like("%79%")))
    assert model.rowCount() == matching and 0 < matching < 600


def test_release_reopen_and_priority_change_the_database_and_the_rows(qtbot, database, tasks):
    panel, _ = open_panel(qtbot, database, tasks, 60)
    model = panel.model
    leased = case_ids(database, lease_holder="ws1")[:3]
    select_cases(panel, leased)
    with qtbot.waitSignal(panel.sample_changed, timeout=WAIT):
        qtbot.mouseClick(panel.release_button, Qt.MouseButton.LeftButton)
    still_held = case_ids(database, lease_holder="ws1")
    assert len(still_held) == 9 and not set(leased) & set(still_held)
    assert [shown(model, row_of(model, c), LEASE) for c in leased] == ["", "", ""]

    closed = case_ids(database, state="closed")[:2]
    select_cases(panel, closed)
    qtbot.mouseClick(panel.reopen_button, Qt.MouseButton.LeftButton)
    dialog = panel.reopen_dialog
    assert dialog is not None and dialog.isVisible() and "作废" in dialog.labelText()
    dialog.setTextValue("")  # no reason: refused, nothing changes
    dialog.accept()
    qtbot.waitUntil(lambda: "reason" in panel.status_label.text(), timeout=WAIT)
    assert case_ids(database, state="closed", id=closed[0]) == [closed[0]]
    qtbot.mouseClick(panel.reopen_button, Qt.MouseButton.LeftButton)
    panel.reopen_dialog.setTextValue("受访者要求重访")
    with qtbot.waitSignal(panel.sample_changed, timeout=WAIT):
        panel.reopen_dialog.accept()
    assert query(database, select(Case.state, Case.disposition).where(Case.id.in_(closed))) \
        == [("scheduled", "1.1"), ("scheduled", "1.1")]
    assert {shown(model, row_of(model, c), STATE) for c in closed} == {"待重拨 scheduled"}

    fresh = case_ids(database, state="fresh")[0]
    select_cases(panel, [fresh])
    qtbot.mouseClick(panel.reopen_button, Qt.MouseButton.LeftButton)
    panel.reopen_dialog.setTextValue("再拨")
    panel.reopen_dialog.accept()
    qtbot.waitUntil(lambda: "only closed" in panel.status_label.text(), timeout=WAIT)
    assert case_ids(database, id=fresh, state="fresh") == [fresh]

    select_cases(panel, [fresh, *closed])
    panel.priority_spin.setValue(9)
    with qtbot.waitSignal(panel.sample_changed, timeout=WAIT):
        qtbot.mouseClick(panel.priority_button, Qt.MouseButton.LeftButton)
    assert case_ids(database, priority=9) == sorted([fresh, *closed])
    assert {shown(model, row_of(model, c), PRIORITY) for c in (fresh, *closed)} == {"9"}


def test_do_not_call_asks_a_reason_lists_the_numbers_and_closes_the_cases(
        qtbot, database, tasks):
    panel, _ = open_panel(qtbot, database, tasks, 60)
    chosen = case_ids(database, state="fresh")[:2]
    select_cases(panel, chosen)
    qtbot.mouseClick(panel.dnc_button, Qt.MouseButton.LeftButton)
    dialog = panel.dnc_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("本人要求不再来电")
    with qtbot.waitSignal(panel.sample_changed, timeout=WAIT):
        dialog.accept()
    phones = [p for (p,) in query(database, select(Case.phone_e164).where(Case.id.in_(chosen)))]
    listed = query(database, select(DoNotCall.phone_e164, DoNotCall.reason))
    assert sorted(listed) == sorted((p, "本人要求不再来电") for p in phones)
    assert case_ids(database, state="closed", id=chosen[0]) == [chosen[0]]
    assert {shown(panel.model, row_of(panel.model, c), STATE) for c in chosen} == \
        {"已结束 closed"}
    assert "closed 2" in panel.status_label.text()


def test_the_current_case_shows_its_history_and_why_it_is_not_callable(qtbot, database, tasks):
    panel, _ = open_panel(qtbot, database, tasks, 60)
    closed = case_ids(database, state="closed")[0]
    with database.unit() as session:
        session.add_all([
            CallAttempt(case_id=closed, workstation="ws1", started_at=MORNING,
                        disposition="3.13", note=""),
            CallAttempt(case_id=closed, workstation="ws2", note="完成",
                        started_at=MORNING + dt.timedelta(hours=3), disposition="1.1")])
    panel.table.setCurrentIndex(panel.model.index(row_of(panel.model, closed), 0))
    qtbot.waitUntil(lambda: panel.history_table.rowCount() == 2, timeout=WAIT)
    assert panel.history_table.item(1, 2).text() == "1.1 完成访问"
    assert panel.history_table.item(1, 3).text() == "完成"
    qtbot.mouseClick(panel.explain_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.explain_table.rowCount() >= 8, timeout=WAIT)
    rules = {panel.explain_table.item(r, 0).text(): panel.explain_table.item(r, 1).text()
             for r in range(panel.explain_table.rowCount())}
    assert rules["closed"] == "是 yes" and rules["quota"] == "否 no"
    assert "never callable" in panel.explain_summary.text()


def test_no_column_title_or_phone_number_is_clipped_when_the_tab_opens(qtbot, database, tasks):
    panel, _ = open_panel(qtbot, database, tasks, 60)
    header = panel.table.horizontalHeader()
    titles, cells = header.fontMetrics(), panel.table.fontMetrics()
    for column in range(panel.model.columnCount()):
        title = panel.model.headerData(column, Qt.Orientation.Horizontal)
        assert header.sectionSize(column) > titles.horizontalAdvance(title), title
    phone = panel.model.index(0, SORT_COLUMNS.index("phone_e164"))
    assert header.sectionSize(phone.column()) > cells.horizontalAdvance(
        panel.model.data(phone)) + 8


def test_times_say_which_clock_they_are_in(qtbot, database, tasks):
    """The sample's times are this workstation's; the title says so (北京时间 at UTC+8)."""
    from ui.plain import local_zone_label

    panel, _ = open_panel(qtbot, database, tasks, 10)
    titles = [panel.model.headerData(c, Qt.Orientation.Horizontal)
              for c in range(panel.model.columnCount())]
    label = local_zone_label()
    assert label in titles[SORT_COLUMNS.index("next_call_at")]
    assert label in panel.history_table.horizontalHeaderItem(0).text()
    beijing = dt.datetime(2026, 12, 7, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert local_zone_label(beijing) == "北京时间"
    assert local_zone_label(beijing.astimezone(dt.UTC)) == "本机时间 UTC+00:00"


def test_call_now_gives_the_chosen_cases_to_a_named_interviewer(qtbot, database, tasks):
    from cati.storage.models import Appointment

    with database.unit() as session:
        zhou = session.execute(insert(User).returning(User.id), [{
            "username": "zhou", "display_name": "访问员周", "role": "interviewer",
            "password_hash": "x", "active": True, "created_at": MORNING}]).scalar_one()
    panel, _ = open_panel(qtbot, database, tasks, 30)
    qtbot.waitUntil(lambda: panel.assign_combo.count() == 2, timeout=WAIT)
    chosen = case_ids(database, state="scheduled")[:2]
    select_cases(panel, chosen)
    panel.assign_combo.setCurrentIndex(panel.assign_combo.findData(zhou))
    with qtbot.waitSignal(panel.sample_changed, timeout=WAIT):
        qtbot.mouseClick(panel.call_now_button, Qt.MouseButton.LeftButton)
    booked = query(database, select(Appointment.case_id, Appointment.hard,
                                    Appointment.interviewer_id).order_by(Appointment.case_id))
    assert booked == [(case_id, True, zhou) for case_id in chosen]
    assert "called next" in panel.status_label.text() and "访问员周" in panel.status_label.text()


def test_a_supervisor_corrects_a_closed_interviews_answer_with_a_reason(qtbot, database, tasks):
    from PySide6.QtWidgets import QDialogButtonBox
    from sqlalchemy import update

    from cati.calling.outcomes import record_outcome
    from cati.services.interviews import open_interview, save_answers
    from cati.storage.models import Answer, AuditEntry

    panel, _ = open_panel(qtbot, database, tasks, 10)
    case_id = case_ids(database, state="fresh")[0]
    with database.unit() as session:
        project_id = session.scalar(select(Case.project_id).where(Case.id == case_id))
        session.execute(update(Case).where(Case.id == case_id).values(
            lease_holder="ws-t", lease_expires_at=MORNING + dt.timedelta(days=3650)))
    interview = open_interview(database, project_id, case_id=case_id, interviewer_id=None,
                               workstation="ws-t")
    save_answers(database, interview.id, {"phone_kind": "1", "age": "40"}, current_item=None,
                 workstation="ws-t")
    record_outcome(database, case_id, "ws-t", "1.1", interview_id=interview.id)

    panel.table.setCurrentIndex(panel.model.index(row_of(panel.model, case_id), 0))
    qtbot.mouseClick(panel.correct_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.correction_dialog is not None, timeout=WAIT)
    dialog = panel.correction_dialog
    dialog.question.setCurrentIndex(
        [dialog.question.itemData(i).question for i in range(dialog.question.count())]
        .index("age"))
    assert dialog.text.text() == "40"
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.text.setText("41")
    assert not save.isEnabled()  # no reason yet
    qtbot.keyClicks(dialog.reason, "recheck: respondent corrected")
    assert save.isEnabled()
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "corrected" in panel.status_label.text(), timeout=WAIT)
    assert query(database, select(Answer.value).where(
        Answer.interview_id == interview.id, Answer.question == "age")) == [("41",)]
    [(details,)] = query(database, select(AuditEntry.details).where(
        AuditEntry.action == "answer_corrected"))
    assert details["reason"] == "recheck: respondent corrected"

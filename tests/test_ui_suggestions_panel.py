"""The suggestions panel as a real widget offscreen, on SQLite and PostgreSQL: it collects and
shows the rows the service's query gives (with the filters), its edits reach the database (and
a refused status change shows one line and changes nothing), the follow-up button creates the
callback project, an interviewer is refused, and the model passes Qt's model tester."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select
from test_suggestions import CODE, build_survey

from cati.services.suggestions import SuggestionRow, SuggestionService, list_suggestions
from cati.storage.models import AuditEntry, Case, Project
from ui.suggestions_panel import SuggestionModel, SuggestionsPanel
from ui.tasks import TaskRunner

WAIT = 20_000


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT)
    runner.shutdown()


@pytest.fixture
def survey(database):
    return build_survey(database)


@pytest.fixture
def service(database):
    return SuggestionService(database)


def settle(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: not panel.busy and panel.tasks.pending == 0, timeout=WAIT)


def opened(qtbot, panel):
    qtbot.addWidget(panel)
    panel.show()
    settle(qtbot, panel)
    return panel


def shown_ids(panel) -> list[int]:
    model = panel.model
    return [int(model.data(model.index(row, SuggestionModel.ID))) for row in
            range(model.rowCount())]


def choose(combo, data) -> None:
    position = combo.findData(data)
    assert position >= 0, data
    combo.setCurrentIndex(position)


def test_the_panel_collects_and_shows_what_the_query_says(qtbot, database, service, tasks,
                                                          survey):
    panel = opened(qtbot, SuggestionsPanel(service, tasks, survey.project_id, survey.supervisor))
    expected = list_suggestions(database, survey.project_id)
    assert len(expected) == 7  # the panel's refresh collected them
    assert shown_ids(panel) == [r.id for r in expected]
    assert panel.last_collect.added == 7
    assert "7" in panel.message.text()
    model = panel.model
    texts = [model.data(model.index(row, SuggestionModel.TEXT)) for row in range(7)]
    assert texts == [r.text for r in expected]
    first = model.index(0, SuggestionModel.CATEGORY)
    assert model.data(first) == f"{expected[0].category}(建议) (proposed)"
    assert model.data(first, Qt.ItemDataRole.FontRole).italic()
    assert model.data(model.index(0, SuggestionModel.VALID)) == "未审核 unreviewed"
    assert model.data(model.index(0, SuggestionModel.STATUS)) == "新建 new"

    choose(panel.category_filter, "违法犯罪")
    settle(qtbot, panel)
    assert shown_ids(panel) == [r.id for r in list_suggestions(
        database, survey.project_id, category="违法犯罪")]
    assert len(shown_ids(panel)) == 2
    choose(panel.category_filter, None)
    choose(panel.status_filter, "assigned")
    settle(qtbot, panel)
    assert shown_ids(panel) == []
    choose(panel.status_filter, None)
    settle(qtbot, panel)
    assert len(shown_ids(panel)) == 7
    panel.collect_button.click()  # collecting again adds nothing
    settle(qtbot, panel)
    assert panel.last_collect.added == 0 and len(shown_ids(panel)) == 7


def test_edits_reach_the_database_and_refusals_show_one_line(qtbot, database, service, tasks,
                                                              survey):
    panel = opened(qtbot, SuggestionsPanel(service, tasks, survey.project_id, survey.supervisor))
    target = next(r for r in panel.model.rows if r.text.startswith("路口红绿灯"))
    assert not panel.save_button.isEnabled()  # nothing selected
    assert panel.select_id(target.id)
    assert panel.save_button.isEnabled()
    assert panel.category_edit.currentData() == "交通管理"
    assert panel.proposal_note.isVisibleTo(panel)
    choose(panel.valid_edit, True)
    panel.unit_edit.setEditText("交警大队")
    choose(panel.status_edit, "assigned")
    panel.notes_edit.setPlainText("转交警大队调整配时")
    panel.save_button.click()
    settle(qtbot, panel)
    [stored] = [r for r in list_suggestions(database, survey.project_id) if r.id == target.id]
    assert (stored.valid, stored.category, stored.responsible_unit, stored.status,
            stored.notes) == (True, "交通管理", "交警大队", "assigned", "转交警大队调整配时")
    assert panel.model.rows[panel.model.row_of(target.id)] == stored
    assert not panel.proposal_note.isVisibleTo(panel)
    with database.unit(immediate=False) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "suggestion_updated")).one()
    assert entry.user_id == survey.supervisor and entry.details["suggestion_id"] == target.id

    choose(panel.status_edit, "checked")  # assigned -> checked is not a step
    panel.save_button.click()
    settle(qtbot, panel)
    assert panel.message.text().startswith("a suggestion cannot go from assigned to checked")
    assert len(panel.message.text().splitlines()) == 1
    [after] = [r for r in list_suggestions(database, survey.project_id) if r.id == target.id]
    assert after == stored


def test_the_follow_up_button_creates_the_callback_project(qtbot, database, service, tasks,
                                                           survey):
    panel = opened(qtbot, SuggestionsPanel(service, tasks, survey.project_id, survey.supervisor))
    target = next(r for r in panel.model.rows if r.text.startswith("路口红绿灯"))
    service.update(target.id, survey.supervisor, valid=True, responsible_unit="交警大队",
                   status="assigned")
    service.update(target.id, survey.supervisor, status="resolved")
    panel.follow_up_button.click()
    settle(qtbot, panel)
    assert panel.last_follow_up.code == f"{CODE}_FU1"
    assert panel.message.text() == (f"已创建回访项目 Created follow-up project {CODE}_FU1: "
                                    "1 numbers for 1 suggestions")
    model = panel.model
    row = model.row_of(target.id)
    assert model.data(model.index(row, SuggestionModel.FOLLOW_UP)) == f"{CODE}_FU1"
    with database.unit(immediate=False) as session:
        project_id = session.scalar(select(Project.id).where(Project.code == f"{CODE}_FU1"))
        phones = session.scalars(select(Case.phone_e164)
                                 .where(Case.project_id == project_id)).all()
    assert phones == [survey.phones["A"]]
    panel.follow_up_button.click()  # nothing left to call back: one line, nothing created
    settle(qtbot, panel)
    assert panel.message.text().startswith("no resolved suggestion")


def test_an_interviewer_is_refused(qtbot, service, tasks, survey):
    panel = opened(qtbot, SuggestionsPanel(service, tasks, survey.project_id, survey.interviewer))
    assert panel.model.rowCount() == 0
    assert "only a supervisor or an admin" in panel.message.text()


def row(n: int, **changes) -> SuggestionRow:
    values = dict(id=n, interview_id=n, case_id=n, stratum="古槐街道", question="suggestion",
                  text=f"建议 {n}", valid=None, category="交通管理", responsible_unit=None,
                  status="new", notes="", follow_up_ok=True, follow_up_case_id=None,
                  follow_up_project=None,
                  interview_ended_at=dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    values.update(changes)
    return SuggestionRow(**values)


def test_the_model_passes_the_qt_model_tester(qtmodeltester):
    model = SuggestionModel()
    qtmodeltester.check(model)
    model.set_rows([row(1), row(2, valid=True, status="assigned", responsible_unit="交警大队"),
                    row(3, category=None, follow_up_project="X_FU1", notes="第一行\n第二行")])
    qtmodeltester.check(model)
    assert model.update_row(row(2, valid=False, status="new")) == 1
    assert model.update_row(row(9)) == -1
    qtmodeltester.check(model)
    assert model.data(model.index(1, SuggestionModel.VALID)) == "无效 not valid"
    assert model.data(model.index(2, SuggestionModel.NOTES)) == "第一行 第二行"
    assert model.data(model.index(2, SuggestionModel.FOLLOW_UP)) == "X_FU1"


def test_the_units_reply_is_typed_in_the_editor_and_saved(qtbot, database, service, tasks,
                                                          survey):
    panel = opened(qtbot, SuggestionsPanel(service, tasks, survey.project_id, survey.supervisor))
    target = next(r for r in panel.model.rows if r.text.startswith("路口红绿灯"))
    service.update(target.id, survey.supervisor, valid=True, responsible_unit="交警大队",
                   status="assigned")
    panel.reload()
    settle(qtbot, panel)
    assert panel.select_id(target.id)
    assert panel.replied_label.text() == ""
    panel.reply_edit.setFocus()
    panel.reply_edit.insertPlainText("已调整信号灯配时")  # as an input method commits Chinese
    choose(panel.status_edit, "resolved")
    panel.save_button.click()
    settle(qtbot, panel)
    [stored] = [r for r in list_suggestions(database, survey.project_id) if r.id == target.id]
    assert (stored.status, stored.reply) == ("resolved", "已调整信号灯配时")
    assert stored.replied_at is not None
    assert panel.replied_label.text().startswith("答复于 Replied on ")
    assert panel.reply_edit.toPlainText() == "已调整信号灯配时"


def test_call_back_results_are_shown(qtmodeltester):
    model = SuggestionModel()
    model.set_rows([row(1, status="reopened", follow_up_project="X_FU1",
                        follow_up_outcome="not_solved", follow_up_satisfaction="dissatisfied"),
                    row(2, status="unreachable", follow_up_project="X_FU1",
                        follow_up_outcome="unreachable")])
    qtmodeltester.check(model)
    status = model.index(0, SuggestionModel.STATUS)
    assert model.data(status) == "回访未解决 reopened"
    assert model.data(status, Qt.ItemDataRole.ForegroundRole).color().name() == "#b00020"
    assert model.data(model.index(0, SuggestionModel.FOLLOW_UP)) == "X_FU1 没有解决/不满意"
    assert model.data(model.index(1, SuggestionModel.STATUS)) == "回访未联系上 unreachable"
    assert model.data(model.index(1, SuggestionModel.FOLLOW_UP)) == "X_FU1 未联系上"

"""The back-check tab as a real widget offscreen, on SQLite and PostgreSQL: a supervisor types a
rate and presses 抽取, the list and the per-interviewer figures fill; a bad rate is one line
and draws nothing; a back-check call made through the interviewer's path shows its result in
its colour after 刷新."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from sqlalchemy import func, select
from test_backcheck import CALLS, LATER, build_survey, play_call

from cati.services.backcheck import BackcheckService
from cati.services.workstation import next_call
from cati.storage.models import Backcheck
from ui.backcheck_panel import RESULT_COLOURS, BackcheckPanel
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


def opened(qtbot, survey, tasks) -> BackcheckPanel:
    database, project_id, boss, _people, _void = survey
    panel = BackcheckPanel(BackcheckService(database), tasks, project_id, boss)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.view is not None and not panel.busy, timeout=WAIT)
    return panel


def type_rate(panel: BackcheckPanel, text: str) -> None:
    panel.rate.selectAll()
    QTest.keyClick(panel.rate, Qt.Key.Key_Backspace)
    QTest.keyClicks(panel.rate, text)


def cells(table, column: int) -> list[str]:
    return [table.item(row, column).text() for row in range(table.rowCount())]


def test_pressing_draw_with_a_rate_fills_the_list_and_the_figures(qtbot, survey, tasks):
    database = survey[0]
    panel = opened(qtbot, survey, tasks)
    assert panel.list.rowCount() == 0 and panel.project_label.text() == "尚未抽取"
    assert cells(panel.figures, 1) == ["12", "20", "2"]  # li, wang, zhao: completes

    type_rate(panel, "abc")
    QTest.mouseClick(panel.draw_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not a share" in panel.message.text(), timeout=WAIT)
    assert panel.list.rowCount() == 0

    type_rate(panel, "10%")
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        QTest.mouseClick(panel.draw_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT)
    assert panel.list.rowCount() == 5  # 2 + 2 + 1
    assert sorted(cells(panel.list, 0)) == ["Li", "Li", "Wang", "Wang", "Zhao"]
    assert set(cells(panel.list, 3)) == {"待复核"}
    assert cells(panel.figures, 2) == ["2", "2", "1"]
    assert panel.project_label.text() == "复核项目:PY2026_11-FH"
    assert "5" in panel.message.text() and "PY2026_11-FH" in panel.message.text()
    with database.unit(immediate=False) as session:
        assert session.scalar(select(func.count()).select_from(Backcheck)) == 5


def test_a_result_shows_in_its_colour_after_refresh(qtbot, survey, tasks):
    database, _project_id, _boss, people, _void = survey
    panel = opened(qtbot, survey, tasks)
    type_rate(panel, "5%")
    QTest.keyClick(panel.rate, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.list.rowCount() == 3 and not panel.busy, timeout=WAIT)
    checks = panel.last_draw.project_id
    for answers in (CALLS["confirmed"], CALLS["other_person"]):
        call = next_call(database, checks, people["li"], "ws-check", now=LATER)
        play_call(database, checks, call, answers, people["li"], "ws-check")
    QTest.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "核实无误" in cells(panel.list, 3) and not panel.busy,
                    timeout=WAIT)
    results = cells(panel.list, 3)
    assert sorted(results) == ["待复核", "未能核实", "核实无误"]
    good = results.index("核实无误")
    bad = results.index("未能核实")
    assert panel.list.item(good, 0).background().color() == RESULT_COLOURS["confirmed"]
    assert panel.list.item(bad, 0).background().color() == RESULT_COLOURS["not_confirmed"]
    assert "乡镇不符" in panel.list.item(bad, 4).text()
    assert sum(int(n) for n in cells(panel.figures, 4)) == 1

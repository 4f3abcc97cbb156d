"""The listening tab (录音抽查) as a real widget offscreen, on SQLite and PostgreSQL: a
supervisor draws recorded completes, picks one, sees its answers and timings, plays it, scores
it with the keyboard and 保存评分; another judged invalid is voided; the figures follow."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from test_qc import NOW, build_survey

from cati.services.monitor import snapshot
from cati.services.qc import QcService
from cati.storage.models import Interview, QcReview
from ui.monitor_panel import MonitorPanel
from ui.qc_panel import QcPanel
from ui.tasks import TaskRunner

WAIT = 20_000


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT)
    runner.shutdown()


def cells(table, column: int) -> list[str]:
    return [table.item(row, column).text() for row in range(table.rowCount())]


def choose(qtbot, panel: QcPanel, interviewer: str) -> None:
    row = cells(panel.list, 0).index(interviewer)
    rect = panel.list.visualItemRect(panel.list.item(row, 1))
    QTest.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: panel.answers.rowCount() > 2, timeout=WAIT)


def type_score(box, value: str) -> None:
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, value)


def test_draw_listen_score_and_judge_invalid(qtbot, database, tmp_path, tasks):
    database, project_id, boss, _people, _interviews, _unrecorded = build_survey(database,
                                                                                 tmp_path)
    panel = QcPanel(QcService(database), tasks, project_id, boss)
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.view is not None and not panel.busy, timeout=WAIT)
    assert panel.list.rowCount() == 0 and cells(panel.figures, 1) == ["4", "10", "2"]
    panel.rate.selectAll()
    QTest.keyClicks(panel.rate, "10%")
    QTest.mouseClick(panel.draw_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.list.rowCount() == 3 and not panel.busy, timeout=WAIT)
    assert panel.message.text() == "抽取了 3 个有录音的成功访问"
    assert cells(panel.list, 3) == ["正常"] * 3 and cells(panel.list, 4) == ["待评分"] * 3
    assert not panel.save_button.isEnabled()  # nothing chosen yet

    choose(qtbot, panel, "wang")
    assert cells(panel.answers, 0)[:2] == ["通话时长 talk", "访问时长 interview"]
    assert cells(panel.answers, 1)[:2] == ["10:55", "12:00"]
    assert panel.save_button.isEnabled()
    QTest.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)
    review = panel.current()
    assert panel.player.source().toLocalFile() == review.recording.path
    type_score(panel.scores["coding"], "3")
    QTest.keyClicks(panel.note, "Q7 coded 2, said 1")
    QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.last_score is not None and not panel.busy, timeout=WAIT)
    assert panel.last_score.scores == {"read": 5, "leading": 5, "coding": 3, "polite": 5}
    row = cells(panel.list, 0).index("wang")
    assert (panel.list.item(row, 4).text(), panel.list.item(row, 5).text()) == (
        "有效", "5 5 3 5")
    assert not panel.save_button.isEnabled()  # scored once
    wang = cells(panel.figures, 0).index("wang")
    assert panel.figures.item(wang, 6).text() == "3.00"

    choose(qtbot, panel, "li")
    QTest.mouseClick(panel.invalid, Qt.MouseButton.LeftButton)
    assert panel.invalid.isChecked()
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        QTest.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT)
    assert panel.message.text() == "已评分:无效,该访问已作废"
    li = cells(panel.figures, 0).index("li")
    assert (panel.figures.item(li, 1).text(), panel.figures.item(li, 8).text()) == ("3", "1")
    with database.unit(immediate=False) as session:
        voided = session.get(Interview, panel.last_score.interview_id)
        assert voided.state == "void"
        assert session.get(QcReview, panel.last_score.review_id).verdict == "invalid"

    # The monitor's 录音抽查 column: the day's interviewers with their listening figures.
    monitor = MonitorPanel(lambda: snapshot(database, project_id,
                                            now=NOW + dt.timedelta(hours=1)), tasks,
                           interval_s=60)
    qtbot.addWidget(monitor)
    monitor.refresh()
    qtbot.waitUntil(lambda: monitor.snapshot is not None, timeout=WAIT)
    listening = dict(zip(cells(monitor.interviewers, 0), cells(monitor.interviewers, 9),
                         strict=True))
    assert listening == {"Wang": "4.5 分 (1 条)", "Li": "5.0 分 (1 条) · 无效 1", "Zhao": ""}
    wang = cells(monitor.interviewers, 0).index("Wang")
    assert monitor.interviewers.item(wang, 9).toolTip() == "照本宣读 5.0; 无诱导 5.0; 编码正确 3.0; 礼貌 5.0"

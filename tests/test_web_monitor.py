"""The supervisor's monitor shows web interviews beside the phone ones: today's interviews by mode
in the snapshot (the service) and on the monitor panel (offscreen Qt)."""

from __future__ import annotations

import datetime as dt

import pytest
from test_web_links import COMPLETE, NOW, SCREEN_OUT, answer_through, web_client

from cati.services.interviews import open_interview
from cati.services.monitor import snapshot
from cati.web.links import point_link


def test_the_monitor_counts_todays_interviews_by_mode(database, one_case_project):
    link = point_link(database, "ONE", "东门")
    for n, answers in enumerate((COMPLETE, COMPLETE, SCREEN_OUT, {})):
        answer_through(web_client(database, one_case_project, address=f"10.0.0.{n}"),
                       link.path, answers)
    open_interview(database, one_case_project, mode="field", now=NOW)
    yesterday = NOW - dt.timedelta(days=1)
    answer_through(web_client(database, one_case_project, address="10.0.9.9", now=yesterday),
                   link.path, COMPLETE)
    shot = snapshot(database, one_case_project, now=NOW + dt.timedelta(minutes=5))
    modes = {m.mode: m for m in shot.modes}
    assert set(modes) == {"web", "field"}
    web = modes["web"]
    assert (web.complete, web.screened_out, web.in_progress) == (2, 1, 1)  # not yesterday's
    assert modes["field"].in_progress == 1
    # The completes count them too (they have no call), split by mode; yesterday's only overall.
    assert (shot.today.completes, shot.today.completes_by_mode) == (2, {"web": 2})
    assert (shot.overall.completes, shot.overall.completes_by_mode) == (3, {"web": 3})
    assert shot.today.calls == 0
    # … and in the hourly chart, at the hour they began (NOW is 10:00 in Beijing).
    assert [(hour, calls, done) for hour, calls, done in shot.hourly if calls or done] == [
        (10, 0, 2)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_monitor_panel_shows_web_beside_phone(qtbot, database, one_case_project):
    from ui.monitor_panel import MonitorPanel
    from ui.tasks import TaskRunner

    link = point_link(database, "ONE", "东门")
    answer_through(web_client(database, one_case_project), link.path, COMPLETE)
    tasks = TaskRunner()
    panel = MonitorPanel(lambda: snapshot(database, one_case_project,
                                          now=NOW + dt.timedelta(minutes=5)), tasks,
                         interval_s=3600)
    qtbot.addWidget(panel)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=10_000)
    text = panel.modes.text()
    assert "网上自填：完成 1 · 筛除 0 · 进行中 0" in text
    completes = panel.totals["today"]["completes"]
    assert completes.text().startswith("1<span") and "网上自填 1" in completes.text()
    assert completes.toolTip() == "网上自填 1"
    tasks.shutdown()

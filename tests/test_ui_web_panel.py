"""The console's web tab: completions per collection point per hour (ballot-stuffing shows
there first) and today's interviews by mode, read from web interviews answered through the real
web app; only supervisors and admins see it."""

from __future__ import annotations

import datetime as dt

import pytest
from test_web_links import COMPLETE, NOW, SCREEN_OUT, answer_through, web_client

from cati.errors import PermissionDenied
from cati.services.users import add_user
from cati.web.activity import web_activity
from cati.web.links import point_link

LATER = NOW + dt.timedelta(hours=1)


def answer_at(database, project_id, link, answers, address, when):
    answer_through(web_client(database, project_id, address=address, now=when), link.path,
                   answers)


def test_completions_per_point_and_hour(qtbot, database, one_case_project):
    from ui.tasks import TaskRunner
    from ui.web_panel import WebPanel

    east, west = point_link(database, "ONE", "东门超市"), point_link(database, "ONE", "西街社区")
    for n in range(3):  # three completes at the east gate within 10:00-11:00 Beijing
        answer_at(database, one_case_project, east, COMPLETE, f"10.0.1.{n}", NOW)
    answer_at(database, one_case_project, west, COMPLETE, "10.0.2.1", LATER)
    answer_at(database, one_case_project, west, SCREEN_OUT, "10.0.2.2", LATER)
    with database.unit() as session:
        boss = add_user(session, "boss", "password-123", "supervisor").id
        clerk = add_user(session, "clerk", "password-123", "interviewer").id

    now = LATER + dt.timedelta(minutes=30)
    activity = web_activity(database, "ONE", user_id=boss, now=now)
    assert len(activity.hours) == 24 and activity.hours[-1].hour == 11  # Beijing
    rows = {row.point: row for row in activity.points}
    assert [row.point for row in activity.points] == ["东门超市", "西街社区"]  # most first
    assert rows["东门超市"].per_hour[-2:] == (3, 0) and rows["东门超市"].total == 3
    assert rows["西街社区"].per_hour[-2:] == (0, 1) and rows["西街社区"].total == 1
    [web] = [m for m in activity.modes if m.mode == "web"]
    assert (web.complete, web.screened_out) == (4, 1)
    with pytest.raises(PermissionDenied):
        web_activity(database, "ONE", user_id=clerk, now=now)

    tasks = TaskRunner()
    panel = WebPanel(lambda: web_activity(database, "ONE", user_id=boss, now=now), tasks)
    qtbot.addWidget(panel)
    panel.show()  # showing the tab reads it
    qtbot.waitUntil(lambda: panel.activity is not None, timeout=10_000)
    table = panel.table
    assert [table.verticalHeaderItem(r).text() for r in range(table.rowCount())] == [
        "东门超市", "西街社区"]
    last = table.columnCount() - 1
    assert table.horizontalHeaderItem(last - 2).text() == "10时"
    assert [table.item(0, c).text() for c in (last - 2, last - 1, last)] == ["3", "", "3"]
    assert [table.item(1, c).text() for c in (last - 2, last - 1, last)] == ["", "1", "1"]
    assert "网上：完成 4" in panel.modes.text()
    tasks.shutdown()

"""Open views update themselves: what another desk changes shows in the console's tabs that
show it, without a refresh button (cati.services.changes, ui.changes)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cati.backend import Backend
from cati.errors import PermissionDenied
from cati.services import admin
from cati.services.changes import changes_since, topics_of
from cati.services.demo import create_demo
from cati.services.projects import get_project
from cati.services.users import add_user
from cati.storage.models import Case
from ui.console_window import ConsoleWindow
from ui.tasks import TaskRunner

WAIT = 30_000


def test_the_feed_names_what_changed_after_the_cursor_and_nothing_before(database):
    with database.unit() as session:
        create_demo(session, cases=10)
        project_id = get_project(session, "DEMO").id
        boss = add_user(session, "boss", "K7-ssob-2026!", "supervisor", "督导").id
        desk = add_user(session, "desk", "K7-ksed-2026!", "interviewer", "访员").id
    start = changes_since(database, boss, None)
    assert changes_since(database, boss, start.cursor).topics == frozenset()
    admin.set_quota(database, boss, project_id, "城关镇", 12)
    after_quota = changes_since(database, boss, start.cursor)
    assert after_quota.topics == {"quotas", "audit"}
    assert after_quota.cursor > start.cursor
    # Read from the new cursor, the same change is not announced twice.
    assert changes_since(database, boss, after_quota.cursor).topics == frozenset()
    with pytest.raises(PermissionDenied):
        changes_since(database, desk, start.cursor)


def test_topics_come_from_the_actions_words():
    assert topics_of("sample.add_to_dnc") == {"cases", "appointments", "audit"}
    assert topics_of("appointment_moved") == {"appointments", "cases", "audit"}
    assert topics_of("db_quotas_update") == {"quotas", "audit"}
    assert topics_of("unit_updated") == {"units", "suggestions", "audit"}
    assert topics_of("something_new") == {"audit"}


def _console(qtbot, db_url, database):
    with database.unit() as session:
        create_demo(session, cases=30)
        project_id = get_project(session, "DEMO").id
        boss = add_user(session, "boss", "K7-ssob-2026!", "supervisor", "督导")
        other = add_user(session, "other", "K7-rehto-2026!", "supervisor", "另一位督导").id
    backend, tasks = Backend(db_url, "ws-boss"), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss)
    console.watcher.timer.setInterval(200)
    qtbot.addWidget(console)
    console.show()
    qtbot.waitUntil(lambda: {"quotas", "sample", "audit"} <= set(console.panels), timeout=WAIT)
    qtbot.waitUntil(lambda: console.watcher.cursor is not None and tasks.pending == 0,
                    timeout=WAIT)
    return console, backend, tasks, project_id, other


def test_a_quota_set_at_another_desk_shows_in_the_open_quota_tab(qtbot, database, db_url):
    console, backend, tasks, project_id, other = _console(qtbot, db_url, database)
    quotas = console.panels["quotas"]
    console.tabs.setCurrentWidget(quotas)
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=WAIT)
    assert "城关镇" not in [cell.stratum for cell in quotas.model.cells]
    console.stale_timer.stop()  # only the change feed may bring it
    admin.set_quota(database, other, project_id, "城关镇", 25)  # another supervisor's desk
    qtbot.waitUntil(lambda: [(c.stratum, c.target) for c in quotas.model.cells
                             if c.stratum == "城关镇"] == [("城关镇", 25)], timeout=WAIT)
    console.close()
    tasks.shutdown()
    backend.close()


def test_a_hidden_sample_tab_shows_another_desks_do_not_call_when_opened(qtbot, database,
                                                                         db_url):
    console, backend, tasks, _project_id, other = _console(qtbot, db_url, database)
    sample = console.panels["sample"]
    console.tabs.setCurrentWidget(sample)
    qtbot.waitUntil(lambda: sample.model.is_idle() and tasks.pending == 0, timeout=WAIT)
    first = sample.model.case_row(0)
    assert first is not None and first.state != "closed"
    console.tabs.setCurrentWidget(console.panels["quotas"])
    console.stale_timer.stop()
    Backend(db_url, "ws-other").sample_browser(other).add_to_dnc([first.id], "本人要求", other)
    with database.unit() as session:
        assert session.scalar(select(Case.state).where(Case.id == first.id)) == "closed"
    qtbot.waitUntil(lambda: id(sample) in console.watcher.stale, timeout=WAIT)
    console.tabs.setCurrentWidget(sample)
    qtbot.waitUntil(lambda: sample.model.is_idle() and tasks.pending == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: any(
        (row := sample.model.case_row(r)) is not None and row.id == first.id
        and row.state == "closed" for r in range(sample.model.rowCount())), timeout=WAIT)
    console.close()
    tasks.shutdown()
    backend.close()

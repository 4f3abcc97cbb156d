"""The English interface says everything in English: every tab of the console and every page
of the interviewer's window walked in English, with no Chinese left in the program's own words
(the questionnaire's and the project's words stay as they were written)."""

from __future__ import annotations

import pytest
from english_scan import chinese_words
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import insert

from cati.config import QUESTIONNAIRE_DIR
from cati.questionnaire.loader import load_form
from cati.services.demo import create_demo
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Case
from ui.app import CatiApp
from ui.console_window import ConsoleWindow
from ui.i18n import install_translator, remove_translators
from ui.tasks import TaskRunner

WAIT = 30_000


@pytest.fixture
def english(qapp):
    assert install_translator(qapp, "en")
    yield
    remove_translators(qapp)


def test_every_console_tab_is_english(qtbot, english, sqlite_url):
    from cati.backend import Backend

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_demo(session, cases=40)
        boss = add_user(session, "boss", "K7-ssob-2026!", "admin", "Boss")
    backend, tasks = Backend(sqlite_url, "ws-en"), TaskRunner()
    console = ConsoleWindow(backend, tasks, boss)
    qtbot.addWidget(console)
    console.show()
    qtbot.waitUntil(lambda: "users" in console.panels and tasks.pending == 0, timeout=WAIT)
    found = {}
    for index in range(console.tabs.count()):
        console.tabs.setCurrentIndex(index)
        qtbot.waitUntil(lambda: tasks.pending == 0, timeout=WAIT)
        qtbot.wait(300)
        words = chinese_words(console.tabs.widget(index))
        if words:
            found[console.tabs.tabText(index)] = words
    toolbar = chinese_words(console.actions_bar, data=("DEMO",))
    if toolbar:
        found["toolbar"] = toolbar
    # The dialogs of the toolbar, opened with its buttons.
    for action in (console.import_action, console.rule_action, console.password_action,
                   console.report_action):
        action.trigger()
        qtbot.waitUntil(lambda: tasks.pending == 0, timeout=WAIT)
        qtbot.wait(300)
        for dialog in console.findChildren(QDialog):
            if dialog.isVisible():
                if words := chinese_words(dialog, data=("DEMO",)):
                    found[action.text()] = words
                dialog.reject()
    console.close()
    tasks.shutdown()
    backend.close()
    database.dispose()
    assert found == {}


def _form_words() -> tuple[str, ...]:
    """Every text of the shipped questionnaire: the respondent hears it as written."""
    form = load_form(QUESTIONNAIRE_DIR / "public_safety.xlsx")
    texts: list = [form.title]
    for item in form.items:
        texts += [*item.labels.values(), *item.hints.values()]
    for choices in form.choices.values():
        for choice in choices:
            texts += list(choice.labels.values())
    words = {line.strip() for text in texts for line in str(text).splitlines() if line.strip()}
    return tuple(sorted(words, key=len, reverse=True))


def test_the_interviewers_pages_are_english(qtbot, english, sqlite_url, tmp_path):
    from test_ui_interviewer_loop import open_zone

    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        add_user(session, "zhou", "K7-uohz-2026!", "interviewer", "Zhou")
        project = create_project(session, "EN", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380013800{n}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {},
             "time_zone": open_zone(), "draw": n} for n in range(3)])
        project_name = project.name
    settings = QSettings(str(tmp_path / "cati.ini"), QSettings.Format.IniFormat)
    settings.setValue("ui/language", "en")
    app = CatiApp(sqlite_url, settings=settings, workstation="ws-en", speech=False)
    qtbot.addWidget(app.login)
    app.login.show()
    qtbot.waitUntil(app.login.button.isEnabled, timeout=WAIT)
    found = {}
    data = (project_name, "古槐街道", "EN", *_form_words())
    if words := chinese_words(app.login, data=data):
        found["login"] = words
    qtbot.keyClicks(app.login.username, "zhou")
    qtbot.keyClicks(app.login.password, "K7-uohz-2026!")
    qtbot.keyClick(app.login.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: app.main_window is not None, timeout=WAIT)
    window = app.main_window
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0, timeout=WAIT)
    if words := chinese_words(window, data=data):
        found["ready"] = words
    qtbot.keyClick(window, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: window.state == "call" and window.tasks.pending == 0, timeout=WAIT)
    if words := chinese_words(window, data=data):
        found["call"] = words
    qtbot.mouseClick(window.call_view.appointment_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.call_view.appointment_dialog is not None, timeout=WAIT)
    if words := chinese_words(window.call_view.appointment_dialog, data=data):
        found["appointment"] = words
    window.call_view.appointment_dialog.reject()
    qtbot.keyClick(window, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: window.state == "interview" and window.tasks.pending == 0,
                    timeout=WAIT)
    if words := chinese_words(window, data=data):
        found["interview"] = words
    qtbot.mouseClick(window.interview_page.hangup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.hangup_box is not None, timeout=WAIT)
    if words := chinese_words(window.hangup_box, data=data):
        found["hung up"] = words
    window.hangup_box.reject()
    window.close()
    app.shutdown()
    database.dispose()
    assert found == {}

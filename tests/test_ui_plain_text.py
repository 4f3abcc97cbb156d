"""Text from outside is shown as it is, never as rich text.

A web respondent's suggestion, a phone list's strata and notes, a typed log-in name, a user's
display name: Qt renders a label (its default format is "auto") or a tooltip that looks like
HTML as HTML, so ``<h1 style=color:red>…`` became a fake notice, ``<img src="file:///…"
width=20000 height=20000>`` a huge image and ``<a href=…>`` a link. The hostile texts go in
through the real data path (the database, the services, the widgets) and must come out with
their markup characters on screen; tooltips are escaped; and a scan of ui/ keeps it that way.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from forms import start
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QWidget
from sqlalchemy import insert, update
from test_suggestions import RESPONDENTS, build_survey, complete_call
from test_ui_interviewer_loop import open_zone

from cati.backend import Backend
from cati.calling.outcomes import book_appointment
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import AuthenticationFailed
from cati.services import users
from cati.services.audit import AuditService
from cati.services.projects import create_project
from cati.services.suggestions import SuggestionService
from cati.services.workstation import DispositionButton, call_info
from cati.storage.models import Case
from ui.audit_panel import AuditPanel
from ui.call_view import CallView, OutcomeButton
from ui.console_window import ConsoleWindow
from ui.interview_view import InterviewView
from ui.interviewer_window import InterviewerWindow
from ui.plain import plain_label, plain_tip
from ui.suggestions_panel import SuggestionModel, SuggestionsPanel
from ui.tasks import TaskRunner

WAIT = 20_000
UI_DIR = Path(__file__).resolve().parent.parent / "ui"
NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing

NOTICE = "<h1 style=color:red>账户已过期，请致电 400-123-4567</h1>"
IMAGE = '<img src="file:///etc/passwd" width=20000 height=20000>'
LINK = '<a href="//host/share">点此查看通知</a>'
HOSTILE = (NOTICE, IMAGE, LINK, "&lt;b&gt;不是粗体&lt;/b&gt;", "<b>粗体</b>\n第二行 <i>x</i>")


def shown_tip(tip: str | None) -> str:
    """What a tooltip puts on screen: Qt takes it for rich text when mightBeRichText says so."""
    if not tip or not GuiQt.mightBeRichText(tip):
        return tip or ""
    document = QTextDocument()
    document.setHtml(tip)
    return document.toPlainText()


def shown(label: QLabel) -> str:
    """What a label puts on screen, as text."""
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text))
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def assert_plain(label: QLabel, expected: str) -> None:
    assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
    assert expected in label.text()
    assert expected in shown(label)


def rich_looking_labels(widget: QWidget) -> list[str]:
    """The labels under ``widget`` whose text Qt would take for HTML if it looked like it:
    AutoText ones, except those a QFormLayout makes for our own row titles (they have a
    buddy)."""
    return [f"{label.objectName() or type(label.parent()).__name__}: {label.text()!r}"
            for label in widget.findChildren(QLabel)
            if label.textFormat() == Qt.TextFormat.AutoText and label.buddy() is None]


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending == 0, timeout=WAIT)
    runner.shutdown()


# -- the helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [*HOSTILE, "普通的提示", "a < b > c", "第一行\n第二行", ""])
def test_a_tip_shows_exactly_its_text(text):
    assert shown_tip(plain_tip(text)) == text


def test_a_tip_without_markup_is_left_as_it_is():
    assert plain_tip("路灯坏了 <没人修") == "路灯坏了 <没人修"  # Qt shows it plain already
    assert plain_tip(None) == ""


def test_a_plain_label_stays_plain_whatever_it_is_given(qtbot):
    label = plain_label(NOTICE)
    qtbot.addWidget(label)
    assert_plain(label, NOTICE)
    label.setText(IMAGE)
    assert_plain(label, IMAGE)


# -- through the real data path -------------------------------------------------------------------


def test_a_web_respondents_suggestion_shows_as_typed(qtbot, database, tasks):
    survey = build_survey(database)
    with database.unit() as session:  # one more respondent, with a hostile suggestion
        session.execute(insert(Case), [{
            "project_id": survey.project_id, "phone_e164": "+8613800009999", "state": "fresh",
            "attempts": 0, "priority": 0, "stratum": "样本", "attributes": {},
            "time_zone": "Asia/Shanghai", "number_type": "mobile", "draw": 99}])
    answers = {**RESPONDENTS["A"], "suggestion": NOTICE, "unsat_reason": IMAGE}
    complete_call(database, survey.project_id, answers, workstation="ws1",
                  interviewer=survey.interviewer)
    service = SuggestionService(database)
    panel = SuggestionsPanel(service, tasks, survey.project_id, survey.supervisor)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: not panel.busy and tasks.pending == 0, timeout=WAIT)
    rows = {row.text: row for row in panel.model.rows}
    assert NOTICE in rows and IMAGE in rows
    model = panel.model
    for text in (NOTICE, IMAGE):
        position = model.row_of(rows[text].id)
        assert panel.select_id(rows[text].id)
        assert_plain(panel.text_view, text)
        assert panel.text_view.text() == text
        tip = model.data(model.index(position, SuggestionModel.TEXT), Qt.ItemDataRole.ToolTipRole)
        assert shown_tip(tip) == text
    service.update(rows[NOTICE].id, survey.supervisor, notes=LINK)  # the notes too
    panel.reload()
    qtbot.waitUntil(lambda: not panel.busy and tasks.pending == 0, timeout=WAIT)
    position = model.row_of(rows[NOTICE].id)
    tip = model.data(model.index(position, SuggestionModel.NOTES), Qt.ItemDataRole.ToolTipRole)
    assert shown_tip(tip) == LINK
    assert rich_looking_labels(panel) == []


def test_the_call_screen_shows_the_sample_the_notes_and_the_names_as_typed(qtbot, database):
    with database.unit() as session:
        booker = users.add_user(session, "evil", "password-123", "interviewer", NOTICE).id
        project = create_project(session, "PLAIN", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [{
            "project_id": project.id, "phone_e164": "+8613800138000", "state": "fresh",
            "attempts": 0, "priority": 0, "stratum": NOTICE, "attributes": {"note": IMAGE},
            "region": IMAGE, "carrier": LINK, "time_zone": "Asia/Shanghai"}])
    claimed = claim_next_case(database, project.id, "ws1", interviewer_id=booker, now=NOW)
    assert claimed is not None
    book_appointment(database, claimed.case_id, "ws1", window_start=NOW + dt.timedelta(hours=1),
                     window_end=NOW + dt.timedelta(hours=2), hard=True, note=LINK,
                     interviewer_id=booker, now=NOW)
    with database.unit(immediate=False) as session:
        info = call_info(session, claimed.case_id, NOW + dt.timedelta(minutes=10))
    view = CallView(now=lambda: NOW)
    qtbot.addWidget(view)
    view.show_call(info, [DispositionButton("3.13", "无人接听", NOTICE, "F2", False, False)])
    assert_plain(view.stratum_label, NOTICE)
    assert_plain(view.place_label, IMAGE)
    assert_plain(view.place_label, LINK)
    assert_plain(view.appointment_label, NOTICE)  # booked by, reserved for: the display name
    assert_plain(view.appointment_label, LINK)  # the note
    assert view.history_table.item(0, 1).text() == NOTICE  # item views draw plain text
    assert view.history_table.item(0, 3).text() == LINK
    button = view.outcome_buttons["3.13"]
    assert shown_tip(button.toolTip()).startswith(NOTICE)
    assert rich_looking_labels(view) == []


def test_only_a_real_number_becomes_a_link(qtbot, database):
    with database.unit() as session:
        project = create_project(session, "LINK", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [{
            "project_id": project.id, "phone_e164": "//host/share", "state": "fresh",
            "attempts": 0, "priority": 0, "stratum": "", "attributes": {},
            "time_zone": "Asia/Shanghai"}])
    claimed = claim_next_case(database, project.id, "ws1", now=NOW)
    with database.unit(immediate=False) as session:
        info = call_info(session, claimed.case_id, NOW + dt.timedelta(minutes=10))
    view = CallView(now=lambda: NOW)
    qtbot.addWidget(view)
    view.show_call(info, [])
    assert "href" not in view.number_label.text()
    assert shown(view.number_label) == "//host/share"
    assert view.number_label.toolTip() == ""
    with database.unit() as session:  # the same case with a phone number: a tel: link
        session.execute(update(Case).values(phone_e164="+8613800138000"))
        info = call_info(session, claimed.case_id, NOW + dt.timedelta(minutes=10))
    view.show_call(info, [])
    assert 'href="tel:+8613800138000"' in view.number_label.text()


def test_an_outcome_buttons_labels_are_plain(qtbot):
    button = OutcomeButton(DispositionButton("9.9", NOTICE, IMAGE, "", True, False), None)
    qtbot.addWidget(button)
    assert_plain(button.label, NOTICE)
    assert shown_tip(button.toolTip()).startswith(f"{IMAGE} (9.9)")


def test_a_typed_log_in_name_shows_as_typed_in_the_audit_log(qtbot, database, tasks):
    with pytest.raises(AuthenticationFailed):
        users.log_in(database, NOTICE, "wrong-password")
    with database.unit() as session:
        supervisor = users.add_user(session, "chen", "password-123", "supervisor").id
    panel = AuditPanel(AuditService(database, supervisor), tasks)
    qtbot.addWidget(panel)
    panel.start()
    qtbot.waitUntil(lambda: tasks.pending == 0 and panel.model.rowCount() == 1, timeout=WAIT)
    model = panel.model
    details = model.data(model.index(0, 3))
    assert NOTICE in details
    assert shown_tip(model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole)) == details
    assert rich_looking_labels(panel) == []


LABELLED = f"""
| survey |
| | type | name | label |
| | text | remark | {NOTICE}还有什么要说的? |
| | text | again | 您说的是:${{remark}} |
"""


def test_the_interview_shows_answers_and_labels_as_typed(qtbot):
    view = InterviewView()
    qtbot.addWidget(view)
    saves = []
    view.save_requested.connect(lambda changes, at: saves.append(changes))
    view.begin(start(LABELLED))
    assert_plain(view.question_label, NOTICE)
    view.answer_line.setText(IMAGE)
    view._confirm()
    view.saved()
    assert saves == [{"remark": IMAGE}]
    assert_plain(view.question_label, IMAGE)  # the answer, piped into the next label
    first = view.history.item(0)
    assert shown_tip(first.toolTip()) == f"{NOTICE}还有什么要说的?"
    view.answer_line.setText("好")
    view._confirm()
    view.save_failed(LINK)  # a failure's message may quote what was typed
    assert_plain(view.status_label, LINK)
    assert rich_looking_labels(view) == []


def test_a_stratum_from_the_phone_list_shows_as_typed_in_the_quota_panel(qtbot, db_url,
                                                                         database, tasks):
    with database.unit() as session:
        users.add_user(session, "admin", "password-123", "admin", LINK)
        project = create_project(session, "STRATA", QUESTIONNAIRE_DIR / "public_safety.xlsx",
                                 name=IMAGE)
        session.execute(insert(Case), [{
            "project_id": project.id, "phone_e164": "+8613800138000", "state": "fresh",
            "attempts": 0, "priority": 0, "stratum": NOTICE, "attributes": {},
            "time_zone": "Asia/Shanghai"}])
    backend = Backend(db_url)
    user = backend.login("admin", "password-123")
    window = ConsoleWindow(backend, tasks, user)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "users" in window.panels, timeout=WAIT)
    quotas = window.panels["quotas"]
    qtbot.waitUntil(lambda: tasks.pending == 0 and quotas.stratum_edit.count() == 1,
                    timeout=WAIT)
    assert quotas.stratum_edit.itemText(0) == NOTICE
    quotas.stratum_edit.setCurrentIndex(0)
    quotas.add_stratum()
    qtbot.waitUntil(lambda: not quotas.busy and tasks.pending == 0, timeout=WAIT)
    assert [cell.stratum for cell in quotas.model.cells] == [NOTICE]
    assert_plain(quotas.message, NOTICE)  # "已保存 Saved: <stratum> → 100"
    for name, panel in window.panels.items():
        assert rich_looking_labels(panel) == [], name
    assert rich_looking_labels(window) == []
    window.close()
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=WAIT)
    backend.close()


def test_the_interviewer_window_shows_the_stratum_as_typed(qtbot, db_url, database, tasks):
    with database.unit() as session:
        users.add_user(session, "zhou", "password-123", "interviewer", NOTICE)
        project = create_project(session, "WIN", QUESTIONNAIRE_DIR / "public_safety.xlsx",
                                 name=LINK)
        session.execute(insert(Case), [{
            "project_id": project.id, "phone_e164": "+8613800138000", "state": "fresh",
            "attempts": 0, "priority": 0, "stratum": NOTICE, "attributes": {},
            "time_zone": open_zone()}])
    backend = Backend(db_url)
    user = backend.login("zhou", "password-123")
    window = InterviewerWindow(backend, tasks, user, speaker=None, speech_problem=IMAGE)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: tasks.pending == 0 and window.state == "ready", timeout=WAIT)
    assert shown_tip(window.interview_page.read_button.toolTip()) == IMAGE
    window.ready()
    qtbot.waitUntil(lambda: tasks.pending == 0 and window.state == "call", timeout=WAIT)
    assert_plain(window.call_view.stratum_label, NOTICE)
    window.start_interview()
    qtbot.waitUntil(lambda: tasks.pending == 0 and window.state == "interview", timeout=WAIT)
    assert_plain(window.interview_page.phone_label, NOTICE)  # "138 0013 8000 · <stratum>"
    window._case_lost(NOTICE)  # the reason comes from the database's refusal
    assert_plain(window.ready_page.status, NOTICE)
    assert rich_looking_labels(window) == []
    window.close()
    qtbot.waitUntil(lambda: tasks.pending == 0, timeout=WAIT)
    backend.close()


# -- a scan of ui/ ------------------------------------------------------------------------------


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name, node


def _is_literal_tip(node: ast.expr) -> bool:
    """A string of ours: a literal, or self.tr() of a literal (no values put in)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "tr" and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant))


def _is_plain_tip(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", "") == "plain_tip"


def test_ui_makes_no_rich_text_of_its_own_accord():
    """Labels come from ui.plain; no HTML widgets or message box shortcuts; a tooltip is one
    of our strings or goes through plain_tip; the one link is the call screen's number."""
    problems, links = [], []
    for path in sorted(UI_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, call in _calls(tree):
            where = f"{path.name}:{call.lineno}"
            if name == "QLabel" and path.name != "plain.py":
                problems.append(f"{where}: QLabel() (use ui.plain.plain_label)")
            if name in ("setHtml", "insertHtml", "setMarkdown", "QTextBrowser", "QTextEdit"):
                problems.append(f"{where}: {name}")
            if name == "setTextFormat" and path.name != "plain.py" and not (
                    call.args and ast.unparse(call.args[0]).endswith("PlainText")):
                problems.append(f"{where}: setTextFormat other than plain (use ui.plain)")
            if (isinstance(call.func, ast.Attribute) and name in (
                    "warning", "information", "critical", "question", "about")
                    and getattr(call.func.value, "id", "") == "QMessageBox"):
                problems.append(f"{where}: QMessageBox.{name} (text would be AutoText)")
            if name in ("setToolTip", "showText") and call.args and not (
                    _is_literal_tip(call.args[-1]) or _is_plain_tip(call.args[-1])):
                problems.append(f"{where}: {name} of a value without plain_tip")
            if name in ("setOpenExternalLinks", "setOpenLinks") and not (
                    call.args and isinstance(call.args[0], ast.Constant)
                    and call.args[0].value is False):
                links.append(f"{path.name}:{name}")
        for branch in ast.walk(tree):  # a model's data(): what it gives for ToolTipRole
            if isinstance(branch, ast.If) and "ToolTipRole" in ast.unparse(branch.test):
                for node in ast.walk(ast.Module(body=branch.body, type_ignores=[])):
                    if isinstance(node, ast.Return) and node.value is not None and not (
                            _is_literal_tip(node.value) or _is_plain_tip(node.value)
                            or (isinstance(node.value, ast.Constant)
                                and node.value.value is None)):
                        problems.append(f"{path.name}:{node.lineno}: a ToolTipRole value "
                                        "without plain_tip")
    assert problems == []
    assert links == ["call_view.py:setOpenExternalLinks"]

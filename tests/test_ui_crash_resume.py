"""The interviewer window killed mid-interview and started again on the same workstation.

A child process (tests/ui_crash_child.py) runs the real window on the shipped questionnaire: it
logs in, takes a number (F12), starts the interview (F9) and answers the screening and the first
core questions with the keyboard; once the last answer is committed and the next question shows,
it says where it stands and the test kills it with SIGKILL. A new window on the same database
and workstation name then logs in, and its first claim (Ready) takes back the case this
workstation still holds and goes straight back into the unfinished interview, at the same
question, with every answer; finishing it closes the case as a complete (1.1).
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from sqlalchemy import insert, select
from test_ui_interviewer_loop import open_zone
from ui_driving import play_to_end, qtbot_wait

from cati.config import QUESTIONNAIRE_DIR
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Answer, AnswerEvent, CallAttempt, Case, Interview
from ui.app import CatiApp

WAIT = 15_000
CHILD_LINE_TIMEOUT = 60.0
CHILD = Path(__file__).resolve().with_name("ui_crash_child.py")
ROOT = CHILD.parents[1]
WORKSTATION = "ws-crash"
USERNAME, PASSWORD = "zhou", "interview-2026"

# What the child answers before it is killed (a note, selects, a number, the stratum question,
# a multiple choice and Chinese text), and then the rest of a complete.
BEFORE_CRASH = [("intro", None), ("phone_kind", "3"), ("age", "46"), ("residence", "1"),
                ("occupation", "2"), ("township", "3"), ("urban_rural", "1"), ("safety", "3"),
                ("safety_worry", "1 2"), ("trend", "1"), ("sat_police", "1"),
                ("sat_procuratorate", "2"), ("sat_court", "1"), ("sat_justice", "4"),
                ("unsat_reason", "办事慢")]
CHILD_ANSWERS = {name: value for name, value in BEFORE_CRASH if value is not None}
AFTER_CRASH = {"suggestion": "多巡逻", "campaign_aware": "1", "gang_exists": "2",
               "campaign_sat": "1", "pingan_aware": "1", "pingan_join": "2", "gender": "2",
               "follow_up_ok": "1"}


@pytest.fixture
def store(db_url):
    """The shipped questionnaire with three fresh numbers: a window that failed to take back
    its case would be given another one."""
    database = Database(db_url)
    database.upgrade()
    zone = open_zone()
    with database.unit() as session:
        add_user(session, USERNAME, PASSWORD, "interviewer", "周")
        project = create_project(session, "CRASH", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380013800{n}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {},
             "time_zone": zone, "draw": n} for n in range(3)])
    yield database
    database.dispose()


def rows(database, query):
    with database.unit(immediate=False) as session:
        return session.execute(query).all()


class Child:
    """The crashing window: started, read line by line on a thread, killed."""

    def __init__(self, db_url: str, tmp_path: Path, ini: Path) -> None:
        env = dict(os.environ)
        for name in ("CATI_DB_URL", "CATI_WORKSTATION"):
            env.pop(name, None)
        env.update(QT_QPA_PLATFORM="offscreen", CATI_DATA_DIR=str(tmp_path / "child-data"),
                   XDG_CONFIG_HOME=str(tmp_path / "child-config"), PYTHONIOENCODING="utf-8",
                   PYTHONPATH=os.pathsep.join(
                       p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p))
        self.stderr_path = tmp_path / "child-stderr.txt"
        self._stderr = self.stderr_path.open("w", encoding="utf-8")
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), db_url, str(ini), WORKSTATION, USERNAME, PASSWORD,
             json.dumps(BEFORE_CRASH)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, cwd=ROOT,
            env=env, text=True, encoding="utf-8")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def stderr(self) -> str:
        self._stderr.flush()
        text = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(line for line in text.splitlines()
                         if "propagateSizeHints" not in line)[-6000:]  # offscreen's noise

    def wait_for(self, prefix: str, timeout: float) -> str:
        """The first line of stdout that starts with ``prefix``."""
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(
                    f"no {prefix!r} line from the child within {timeout:.0f} s; stdout so far "
                    f"{seen!r}; stderr:\n{self.stderr()}") from None
            if line is None:
                code = self.process.wait(timeout=30)
                raise AssertionError(f"the child exited with {code} before saying {prefix!r}; "
                                     f"stdout {seen!r}; stderr:\n{self.stderr()}")
            if line.startswith(prefix):
                return line
            seen.append(line)

    def kill(self) -> int:
        """SIGKILL, as a crash or a pulled plug: nothing runs in the child after it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=30)

    def close(self) -> None:
        try:
            self.kill()
        finally:
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()
            self._stderr.close()


def events_per_question(database, interview_id):
    return collections.Counter(rows(database, select(AnswerEvent.question, AnswerEvent.action)
                                    .where(AnswerEvent.interview_id == interview_id)))


def assert_one_set_event_each(database, interview_id, answered):
    """Every stored answer was set exactly once, and those the interviewer gave (``answered``)
    were never written again (a calculation such as resp_age may change as answers come in).
    Returns the stored answers."""
    stored = dict(rows(database, select(Answer.question, Answer.value)
                       .where(Answer.interview_id == interview_id)))
    events = events_per_question(database, interview_id)
    sets = {question: n for (question, action), n in events.items() if action == "set"}
    assert sets == dict.fromkeys(stored, 1), events
    again = {key: n for key, n in events.items() if key[0] in answered and key[1] != "set"}
    assert again == {}, events
    return stored


def test_a_killed_window_resumes_its_interview(qtbot, store, db_url, tmp_path):
    database = store
    ini = tmp_path / "cati.ini"
    settings = QSettings(str(ini), QSettings.Format.IniFormat)
    settings.setValue("interview/auto_next_seconds", 0)  # no claim by itself after the end
    settings.sync()

    # The first window: up to the question after unsat_reason, then SIGKILL.
    child = Child(db_url, tmp_path, ini)
    try:
        line = child.wait_for("AT ", CHILD_LINE_TIMEOUT)
        code = child.kill()
        child_stderr = child.stderr()
    finally:
        child.close()
    assert code == -signal.SIGKILL, child_stderr
    at, *fields = line.split()[1:]
    said = dict(field.split("=", 1) for field in fields)
    assert at == "suggestion", line

    # What the killed window left behind: its case still leased to this workstation, one open
    # interview standing at the question on screen, each answer written exactly once.
    [(case_id, holder)] = rows(database, select(Case.id, Case.lease_holder)
                               .where(Case.lease_holder.is_not(None)))
    assert (str(case_id), holder) == (said["case"], WORKSTATION)
    [(interview_id, state, current_item, stratum)] = rows(database, select(
        Interview.id, Interview.state, Interview.current_item, Interview.stratum))
    assert (str(interview_id), state, current_item) == (said["interview"], "in_progress", at)
    assert stratum == "东皇街道"  # township 3, the stratum question
    stored = assert_one_set_event_each(database, interview_id, CHILD_ANSWERS)
    assert {name: stored.get(name) for name in CHILD_ANSWERS} == CHILD_ANSWERS
    assert rows(database, select(CallAttempt.id)) == []

    # The window again, same workstation: log in, Ready, and straight back into the interview.
    app = CatiApp(db_url, settings=QSettings(str(ini), QSettings.Format.IniFormat),
                  workstation=WORKSTATION, speech=False)
    try:
        login = app.login
        qtbot.addWidget(login)
        login.show()
        qtbot.waitUntil(login.button.isEnabled, timeout=WAIT)
        qtbot.keyClicks(login.username, USERNAME)
        qtbot.keyClicks(login.password, PASSWORD)
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: app.main_window is not None, timeout=WAIT)
        window = app.main_window
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.state == "ready" and window.tasks.pending == 0,
                        timeout=WAIT)
        qtbot.keyClick(window.ready_page.ready_button, Qt.Key.Key_F12)  # no F9 after this
        qtbot.waitUntil(lambda: window.state in ("call", "interview")
                        and window.tasks.pending == 0, timeout=WAIT)
        assert window.state == "interview", (
            f"the first claim gave case {window.case and window.case.case_id} on the call "
            f"screen, not the interview of case {case_id} this workstation held")

        assert window.case.case_id == case_id
        assert window.case.interview_id == interview_id and window.case.resume_at == at
        assert window.interview.id == interview_id
        assert window.engine.current_item.name == at
        assert {name: window.engine.answers.get(name) for name in CHILD_ANSWERS} == CHILD_ANSWERS
        view = window.interview_view
        assert view.question_label.text() == window.engine.current().label
        history = [view.history.item(row).data(Qt.ItemDataRole.UserRole)
                   for row in range(view.history.count())]
        assert history == [name for name, _ in BEFORE_CRASH] + [at]
        assert rows(database, select(Interview.id)) == [(interview_id,)]  # no second one

        # Finish it from there: a complete, with every answer from both windows.
        seen = play_to_end(qtbot_wait(qtbot), window, AFTER_CRASH)
        assert seen[0] == at and seen[-1] == "end_thanks", seen
        assert rows(database, select(Interview.state, Interview.disposition).where(
            Interview.id == interview_id)) == [("complete", "1.1")]
        assert rows(database, select(Case.state, Case.disposition, Case.lease_holder).where(
            Case.id == case_id)) == [("closed", "1.1", None)]
        assert rows(database, select(CallAttempt.case_id, CallAttempt.disposition)) == [
            (case_id, "1.1")]
        stored = assert_one_set_event_each(database, interview_id,
                                           {**CHILD_ANSWERS, **AFTER_CRASH})
        for name, value in {**CHILD_ANSWERS, **AFTER_CRASH}.items():
            assert stored.get(name) == value, name
    finally:
        if app.main_window is not None:
            app.main_window.close()
        app.shutdown()

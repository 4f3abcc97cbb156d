#!/usr/bin/env python3
"""Benchmark the desktop app as the interviewer feels it. Prints one JSON line.

- startup_s: wall time from launching a fresh interpreter to the login window shown and exposed
  (its first frame painted), through the app's real start path: the `cati` console script's
  module, then ui.app.main's steps (QApplication, translator, CatiApp(db_url), login.show());
  usable_s: until the login button is enabled, i.e. the database has been opened and migrated
  on the worker thread. Next to a baseline in the same run: a bare PySide6 QWidget shown the
  same way, the floor that Qt's own start-up costs. Runs alternate; one unmeasured warm-up each.
- answer_ms: in a real InterviewView (offscreen unless QT_QPA_PLATFORM says otherwise) on a
  form of --questions integer and select_one questions stored as a project, each answer is
  typed or picked with its keys, then Enter; the time runs from just before the Enter key event
  until item_shown fires for the next item, while save_requested goes through a TaskRunner job
  calling Backend.save_answers_journaled, as the window does (the workstation's journal, then
  the database; a phone interview on a case this workstation holds), whose success calls
  view.saved(). idle_*: until the event loop is idle again (the repaint done).
  Baseline in the same run: the same loop with an in-memory owner (save_requested -> saved()
  at once): the widget's own cost.
Targets: start-up under 1.5 s, answer p95 under 16 ms (one frame). The script reports; it
exits 0 whether the targets are met or not.

The database is an SQLite file in a temporary directory, or with --db URL a throw-away database
created on that PostgreSQL server (and dropped after). QSettings and CATI_DATA_DIR point into the
temporary directory, so the user's preferences and data are never read or touched.

Usage: scripts/bench_ui.py [--runs N] [--questions N] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_STARTUP_S = 1.5
TARGET_ANSWER_P95_MS = 16
WORKSTATION = "bench-ui"
CHILD_TIMEOUT_S = 120
WAIT_MS = 30_000

# Run by each fresh interpreter. It prints "exposed <s>" once the window's first expose event
# has been handled (which paints it) and, for the app, "usable <s>" when the login button is
# enabled; <s> is seconds since the child's code began. Then it quits.
CHILD_PRELUDE = """
import sys, time
began = time.perf_counter()
mode, db_url = sys.argv[1], sys.argv[2]
phases = {}
"""
CHILD_APP = """
sys.path.insert(0, {root!r})
import cati.cli  # the `cati` console script's module: where the real start begins
cati.cli.build_parser().parse_args(["--db", db_url])
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from ui.app import CatiApp
from ui.i18n import install_translator
from ui.settings import Preferences
phases["imports"] = time.perf_counter() - began
qt_app = QApplication.instance() or QApplication(sys.argv[:1])
qt_app.setApplicationName("cati")
qt_app.setOrganizationName("cati")
install_translator(qt_app, Preferences.load(QSettings()).language)
phases["qapplication"] = time.perf_counter() - began
app = CatiApp(db_url)
window, button = app.login, app.login.button
"""
CHILD_BARE = """
from PySide6.QtWidgets import QApplication, QWidget
phases["imports"] = time.perf_counter() - began
qt_app = QApplication(sys.argv[:1])
phases["qapplication"] = time.perf_counter() - began
window, button = QWidget(), None
"""
CHILD_WATCH = """
from PySide6.QtCore import QEvent, QObject, QTimer
seen = {{}}

def mark(what):
    if what in seen:
        return
    seen[what] = time.perf_counter() - began
    print(what, round(seen[what], 6), flush=True)
    if what == "exposed" and "enabled" in seen:
        mark("usable")  # the database was open before the window showed
    if "exposed" in seen and (button is None or "usable" in seen):
        qt_app.quit()

def later(what):
    QTimer.singleShot(0, lambda: mark(what))  # once the event (expose: and its paint) is done

class Watch(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Expose and watched.isExposed():
            later("exposed")
        elif (event.type() == QEvent.Type.EnabledChange and watched.isEnabled()
              and "enabled" not in seen):
            seen["enabled"] = True
            if "exposed" in seen:
                later("usable")
        return False

watch = Watch()
if button is not None:
    button.installEventFilter(watch)
window.show()
phases["shown"] = time.perf_counter() - began
window.windowHandle().installEventFilter(watch)
if window.windowHandle().isExposed():  # a platform that exposes inside show()
    later("exposed")
QTimer.singleShot({timeout_ms}, lambda: (print("timeout", flush=True), qt_app.exit(1)))
code = qt_app.exec()
print("phases", " ".join(f"{{k}}={{v:.6f}}" for k, v in phases.items()), flush=True)
if button is not None:
    app.shutdown()
sys.exit(code)
"""


# -- start-up ---------------------------------------------------------------------------------
def child_code(mode: str) -> str:
    body = CHILD_APP.format(root=str(ROOT)) if mode == "app" else CHILD_BARE
    return CHILD_PRELUDE + body + CHILD_WATCH.format(timeout_ms=CHILD_TIMEOUT_S * 1000)


def launch(mode: str, db_url: str, env: dict, log: Path) -> dict:
    """One fresh interpreter: seconds from Popen to each marker line it prints."""
    marks: dict = {}
    with log.open("w") as errors:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", child_code(mode), mode, db_url],
                                 stdout=subprocess.PIPE, stderr=errors, env=env, text=True,
                                 cwd=env["CATI_DATA_DIR"])
        for line in child.stdout:
            at = time.perf_counter() - started
            word, _, rest = line.strip().partition(" ")
            if word in ("exposed", "usable"):
                marks[word] = at
                marks[f"{word}_in_child"] = float(rest)
            elif word == "phases":
                marks["phases"] = {k: float(v) for k, v in
                                   (pair.split("=") for pair in rest.split())}
        child.wait(timeout=CHILD_TIMEOUT_S)
    if child.returncode != 0 or "exposed" not in marks:
        raise RuntimeError(f"{mode} start-up failed ({child.returncode}): "
                           + log.read_text()[-2000:])
    return marks


def startup(db_url: str, runs: int, env: dict, tmp: Path) -> dict:
    log = tmp / "child-stderr.txt"
    launch("bare", db_url, env, log)  # warm-ups: the first launch reads the libraries from disk
    launch("app", db_url, env, log)
    app_runs, bare_runs = [], []
    for _ in range(runs):
        bare_runs.append(launch("bare", db_url, env, log))
        app_runs.append(launch("app", db_url, env, log))

    def series(marks: list[dict], key: str) -> dict:
        values = [round(m[key], 3) for m in marks]
        return {"median": round(statistics.median(values), 3), "runs": values}

    def phase_medians(marks: list[dict]) -> dict:
        # seconds after the child's own code began; interpreter = before that
        phases = {"interpreter": statistics.median(m["exposed"] - m["exposed_in_child"]
                                                   for m in marks)}
        for key in marks[0]["phases"]:
            phases[key] = statistics.median(m["phases"][key] for m in marks)
        phases["exposed"] = statistics.median(m["exposed_in_child"] for m in marks)
        return {k: round(v, 3) for k, v in phases.items()}

    return {"startup_s": series(app_runs, "exposed"), "usable_s": series(app_runs, "usable"),
            "bare_qt_s": series(bare_runs, "exposed"),
            "startup_phases_s": phase_medians(app_runs),
            "bare_qt_phases_s": phase_medians(bare_runs)}


# -- the form and the database ----------------------------------------------------------------
def form_markdown(questions: int) -> str:
    """Integer (0-120) and select_one (five options) questions in turn, all required, in groups
    of 50, then a closing note (so that the last answer, too, shows a next item)."""
    rows = ["| survey |", "| | type | name | label | constraint | required |"]
    for n in range(questions):
        if n % 50 == 0:
            rows.append(f"| | begin group | g{n} | Section {n} | | |")
        if n % 2:
            rows.append(f"| | integer | q{n} | How many {n}? | . >= 0 and . <= 120 | yes |")
        else:
            rows.append(f"| | select_one five | q{n} | Question {n}? | | yes |")
        if n % 50 == 49 or n == questions - 1:
            rows.append("| | end group | | | | |")
    rows.append("| | note | thanks | Thank you. | | |")
    rows += ["| choices |", "| | list_name | name | label |"]
    rows += [f"| | five | {i} | Option {i} |" for i in range(1, 6)]
    rows += ["| settings |", "| | form_id | version | form_title |",
             f"| | bench_ui_{questions} | 1 | UI benchmark |"]
    return "\n".join(rows) + "\n"


def pg_database(server_url: str, drop: str | None = None) -> str:
    """Create a throw-away database on the server of ``server_url`` (or drop ``drop``)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as connection:
        if drop is not None:
            connection.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')
            return drop
        name = f"bench_ui_{uuid.uuid4().hex[:8]}"
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def prepare(db_url: str, form_path: Path) -> dict:
    """Migrate, then add an interviewer, a project with the form, and one case this
    workstation holds (as after claiming it)."""
    import datetime as dt

    from sqlalchemy import insert, select

    from cati.services.projects import create_project
    from cati.services.users import add_user
    from cati.storage.db import Database
    from cati.storage.models import Case

    database = Database(db_url)
    database.upgrade()
    with database.unit() as session:
        user = add_user(session, "bench", "K7-ui-2026-hcneb", "interviewer", "Bench")
        project = create_project(session, "BENCHUI", form_path)
        session.execute(insert(Case), [{
            "project_id": project.id, "phone_e164": "+8613800138000", "state": "fresh",
            "attempts": 0, "priority": 0, "stratum": "", "attributes": {},
            "lease_holder": WORKSTATION,
            "lease_expires_at": dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)}])
        case_id = session.scalar(select(Case.id).where(Case.project_id == project.id))
    database.dispose()
    return {"user_id": user.id, "project_id": project.id, "case_id": case_id}


# -- answering --------------------------------------------------------------------------------
class Driver:
    """Answers every question of an InterviewView with its keys and times each Enter."""

    def __init__(self, qt_app, view) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        self.qt_app, self.view = qt_app, view
        self.shown: list[float] = []
        self.failure: BaseException | None = None
        self.loop = QEventLoop()
        self.watchdog = QTimer()
        self.watchdog.setSingleShot(True)
        self.watchdog.setInterval(WAIT_MS)
        self.watchdog.timeout.connect(self.loop.quit)
        view.item_shown.connect(self._shown)

    def _shown(self, _name: str) -> None:
        self.shown.append(time.perf_counter())
        self.loop.quit()

    def fail(self, error: BaseException) -> None:
        self.failure = error
        self.loop.quit()

    def answer_all(self, count: int) -> tuple[list[float], list[float]]:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        from ui.interview_view import option_key

        view = self.view
        to_shown, to_idle = [], []
        for n in range(count):
            line = view.answer_line
            if line is not None:
                QTest.keyClicks(line, str(n % 121))
                target = line
            else:
                QTest.keyClick(view.focusWidget() or view, option_key(n % 5))
                target = view.focusWidget() or view
            before = len(self.shown)
            started = time.perf_counter()
            QTest.keyClick(target, Qt.Key.Key_Return)
            if len(self.shown) == before:  # the save is on the worker: wait for its answer
                self.watchdog.start()
                self.loop.exec()
                self.watchdog.stop()
            if self.failure is not None or len(self.shown) == before:
                raise RuntimeError(f"answer {n}: no next item ({self.failure!r})")
            shown = self.shown[-1]
            self.qt_app.processEvents()  # what the new item left to do: repaint, deletions
            idle = time.perf_counter()
            to_shown.append((shown - started) * 1000)
            to_idle.append((idle - started) * 1000)
        return to_shown, to_idle


def new_view(qt_app):
    from PySide6.QtCore import QEventLoop

    from ui.interview_view import InterviewView

    view = InterviewView()
    view.resize(1024, 720)
    view.show()
    view.activateWindow()
    deadline = time.perf_counter() + WAIT_MS / 1000
    while not (view.windowHandle() and view.windowHandle().isExposed()):
        if time.perf_counter() > deadline:
            raise RuntimeError("the interview view was never exposed")
        qt_app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 100)
    qt_app.processEvents()
    return view


def in_memory_loop(qt_app, form, count: int) -> tuple[list[float], list[float]]:
    from cati.questionnaire.engine import InterviewEngine
    from cati.services.clock import utc_now

    view = new_view(qt_app)
    driver = Driver(qt_app, view)
    view.save_requested.connect(lambda _changes, _current: view.saved())
    view.begin(InterviewEngine.start(form, seed=1, clock=utc_now))
    try:
        return driver.answer_all(count)
    finally:
        close(qt_app, view)


def database_loop(qt_app, db_url: str, ids: dict, count: int):
    from sqlalchemy import func, select

    from cati.backend import Backend
    from cati.questionnaire.engine import InterviewEngine
    from cati.services.clock import utc_now
    from cati.storage.models import Answer
    from ui.tasks import TaskRunner

    backend = Backend(db_url, WORKSTATION)
    tasks = TaskRunner()
    try:
        backend.open()
        form = backend.project_form(ids["project_id"])
        info = backend.open_interview(ids["project_id"], case_id=ids["case_id"],
                                      interviewer_id=ids["user_id"])
        view = new_view(qt_app)
        driver = Driver(qt_app, view)

        def save(changes: dict, current: object) -> None:
            tasks.run(lambda: backend.save_answers_journaled(
                info.id, changes, current_item=current, case_id=ids["case_id"],
                user_id=ids["user_id"]), lambda _result: view.saved(), driver.fail)

        view.save_requested.connect(save)
        view.begin(InterviewEngine.start(form, seed=info.seed, clock=utc_now))
        try:
            latencies = driver.answer_all(count)
        finally:
            close(qt_app, view)
        with backend.database.unit(immediate=False) as session:
            stored = session.scalar(select(func.count()).select_from(Answer)
                                    .where(Answer.interview_id == info.id))
        return latencies, stored
    finally:
        tasks.shutdown()
        backend.close()


def close(qt_app, view) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qt_app.processEvents()


def summary(to_shown: list[float], to_idle: list[float]) -> dict:
    def p95(values: list[float]) -> float:
        ordered = sorted(values)
        return ordered[min(int(len(ordered) * 0.95), len(ordered) - 1)]

    tenth = max(1, len(to_shown) // 10)
    return {"median": round(statistics.median(to_shown), 2), "p95": round(p95(to_shown), 2),
            "max": round(max(to_shown), 2), "n": len(to_shown),
            "first_tenth_median": round(statistics.median(to_shown[:tenth]), 2),
            "last_tenth_median": round(statistics.median(to_shown[-tenth:]), 2),
            "idle_median": round(statistics.median(to_idle), 2),
            "idle_p95": round(p95(to_idle), 2)}


def answering(db_url: str, ids: dict, form_path: Path, questions: int) -> dict:
    from PySide6.QtWidgets import QApplication

    from cati.questionnaire.loader import load_form

    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    form = load_form(form_path)
    in_memory_loop(qt_app, form, min(questions, 30))  # warm-up: fonts, styles, first widgets
    memory = summary(*in_memory_loop(qt_app, form, questions))
    latencies, stored = database_loop(qt_app, db_url, ids, questions)
    if stored != questions:
        raise RuntimeError(f"{stored} answers reached the database, not {questions}")
    return {"answer_ms": summary(*latencies), "in_memory_ms": memory, "answers_stored": stored}


# -- main -------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="start-up runs (default 5)")
    parser.add_argument("--questions", type=int, default=300, help="form size (default 300)")
    parser.add_argument("--db", metavar="URL",
                        help="a PostgreSQL server URL: a throw-away database is made on it")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    load_before = os.getloadavg()[0]  # other work on the machine shows in every figure
    tmp = Path(tempfile.mkdtemp(prefix="cati-bench-ui-"))
    pg_name = None
    try:
        (tmp / "data").mkdir()
        os.environ["CATI_DATA_DIR"] = str(tmp / "data")
        os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")  # QSettings
        os.environ.pop("CATI_DB_URL", None)
        if args.db:
            from sqlalchemy.engine import make_url

            db_url = pg_database(args.db)
            pg_name = make_url(db_url).database
        else:
            db_url = f"sqlite:///{tmp / 'bench.db'}"
        form_path = tmp / f"bench_ui_{args.questions}.md"
        form_path.write_text(form_markdown(args.questions), encoding="utf-8")
        ids = prepare(db_url, form_path)
        started = startup(db_url, args.runs, dict(os.environ), tmp)
        answered = answering(db_url, ids, form_path, args.questions)
    finally:
        if pg_name is not None:
            pg_database(args.db, drop=pg_name)
        shutil.rmtree(tmp, ignore_errors=True)

    answer, memory = answered["answer_ms"], answered["in_memory_ms"]
    result = {
        "startup_s": started["startup_s"],
        "usable_s": started["usable_s"],
        "answer_ms": answer,
        "baseline": {"bare_qt_startup_s": started["bare_qt_s"], "in_memory_answer_ms": memory},
        "startup_over_bare_qt_s": round(started["startup_s"]["median"]
                                        - started["bare_qt_s"]["median"], 3),
        "startup_phases_s": started["startup_phases_s"],
        "bare_qt_phases_s": started["bare_qt_phases_s"],
        "answer_p95_over_in_memory_ms": round(answer["p95"] - memory["p95"], 2),
        "answers_stored": answered["answers_stored"],
        "targets": {"startup_s_max": TARGET_STARTUP_S, "answer_p95_ms_max": TARGET_ANSWER_P95_MS},
        "meets_targets": {"startup": started["startup_s"]["median"] < TARGET_STARTUP_S,
                          "answer_p95": answer["p95"] < TARGET_ANSWER_P95_MS},
        "backend": "postgresql" if args.db else "sqlite",
        "platform": os.environ["QT_QPA_PLATFORM"],
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Draw the console's back-check tab (复核) for a demo-like project and save it as PNGs, in
Chinese and in English. To refresh the pictures the README shows:

    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python tests/ui_backcheck_screenshot_child.py docs/screenshots

Usage: ui_backcheck_screenshot_child.py OUT_DIR

An SQLite database in a temporary directory gets the demo project and five interviewers, whose
completed interviews on the shipped survey are made through the interviewer's path (claim,
interview, outcome) over three days; a supervisor draws 10% (at least two each) with a fixed
seed; most back-check calls are made on the shipped back-check form (most confirmed, one
respondent who took part in no survey, one whose age and township differ), one number is
suspended, one respondent refuses twice, the rest wait. The panel is then shown in a window
titled like the console and grabbed to OUT_DIR/backcheck.png, then again under the English
translation to OUT_DIR/backcheck_en.png. One JSON object on stdout: the files, the list's
results and the figures' rows.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMainWindow
from sqlalchemy import select

from cati.calling.outcomes import record_outcome
from cati.config import QUESTIONNAIRE_DIR
from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.loader import load_form
from cati.services.backcheck import BackcheckService, draw_backchecks
from cati.services.demo import DEMO_CODE, DEMO_NAME, create_demo
from cati.services.interviews import open_interview, save_answers
from cati.services.projects import get_project
from cati.services.questionnaires import form_of
from cati.services.users import add_user
from cati.services.workstation import next_call
from cati.storage.db import Database
from cati.storage.models import Answer, Backcheck
from tests.forms import form_answers
from tests.screenshot_support import save_png, wait_until
from ui.backcheck_panel import BackcheckPanel
from ui.i18n import install_translator
from ui.tasks import TaskRunner

WINDOW_SIZE = (1100, 700)
DAY_ONE = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Beijing
CHECKS = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)  # Thursday 14:00
INTERVIEWERS = {"wangfang": ("王芳", 24), "lina": ("李娜", 18), "zhangwei": ("张伟", 15),
                "liuyang": ("刘洋", 12), "chenjing": ("陈静", 9)}
SEED = 20261126


def interview(database: Database, project_id: int, user: int, workstation: str,
              answers: dict[str, str], now: dt.datetime) -> None:
    call = next_call(database, project_id, user, workstation, now=now)
    assert call is not None
    info = open_interview(database, project_id, case_id=call.case_id, interviewer_id=user,
                          workstation=workstation, now=now)
    save_answers(database, info.id, answers, current_item=None, user_id=user,
                 workstation=workstation, now=now)
    record_outcome(database, call.case_id, workstation, "1.1", interviewer_id=user,
                   now=now + dt.timedelta(minutes=11), interview_id=info.id)


def prepare(database: Database) -> tuple[int, int]:
    database.upgrade()
    with database.unit() as session:
        create_demo(session, cases=400)
        project_id = get_project(session, DEMO_CODE).id
        people = {name: add_user(session, name, "password-123", "interviewer", display).id
                  for name, (display, _n) in INTERVIEWERS.items()}
        boss = add_user(session, "zhaomin", "password-123", "supervisor", "赵敏").id
        checker = add_user(session, "qc1", "password-123", "interviewer", "复核员").id
    survey = load_form(QUESTIONNAIRE_DIR / "public_safety.xlsx")
    rng = random.Random(SEED)
    for day in range(3):
        for name, (_display, count) in INTERVIEWERS.items():
            for n in range(count // 3 + (1 if day < count % 3 else 0)):
                answers = form_answers(survey, {"age": str(rng.randint(19, 75)),
                                                "township": str(rng.randint(1, 19))})
                now = DAY_ONE + dt.timedelta(days=day, minutes=13 * n)
                interview(database, project_id, people[name], f"ws-{name}", answers, now)
    drawn = draw_backchecks(database, project_id, rate="10%", min_per_interviewer=2,
                            seed=SEED, user_id=boss, now=CHECKS)
    # The calls, in the queue's order: what each respondent says.
    script = ["ok", "ok", "denied", "ok", "suspended", "ok", "other", "refused", "ok"]
    refused_twice = []
    with database.unit(immediate=False) as session:  # to answer truthfully, the checker's
        # respondents are the original ones: the same age and township
        original = {case_id: dict(session.execute(
            select(Answer.question, Answer.value).where(Answer.interview_id == interview_id))
            .all()) for interview_id, case_id in session.execute(
                select(Backcheck.interview_id, Backcheck.case_id)).all()}
    for step, what in enumerate(script):
        now = CHECKS + dt.timedelta(minutes=5 * step)
        call = next_call(database, drawn.project_id, checker, "ws-qc", now=now)
        if call is None:
            break
        if what in ("ok", "denied", "other"):
            before = original[call.case_id]
            age = int(before.get("resp_age") or before.get("age"))
            band = "1" if age < 30 else "2" if age < 40 else "3" if age < 50 else \
                "4" if age < 60 else "5"
            said = {"took_part": "1", "topic": "1", "duration": "2", "age_band": band,
                    "township": before["township"]}
            if what == "denied":
                said = {"took_part": "2"}
            elif what == "other":  # someone else in the household: younger, another township
                said.update(age_band="5" if band == "1" else "1", duration="1",
                            township=str(int(before["township"]) % 19 + 1))
            _play(database, drawn.project_id, checker, call, said, now)
        elif what == "suspended":
            record_outcome(database, call.case_id, "ws-qc", "4.33", interviewer_id=checker,
                           now=now)
        else:
            record_outcome(database, call.case_id, "ws-qc", "2.112", interviewer_id=checker,
                           now=now)
            refused_twice.append(call.case_id)
    later = CHECKS + dt.timedelta(days=8)
    for case_id in refused_twice:
        call = next_call(database, drawn.project_id, checker, "ws-qc", now=later)
        assert call is not None and call.case_id == case_id, "the refusal comes back first"
        record_outcome(database, call.case_id, "ws-qc", "2.112", interviewer_id=checker,
                       now=later)
    return project_id, boss


def _play(database: Database, project_id: int, user: int, call, said: dict[str, str],
          now: dt.datetime) -> None:
    info = open_interview(database, project_id, case_id=call.case_id, interviewer_id=user,
                          workstation="ws-qc", now=now)
    with database.unit(immediate=False) as session:
        form = form_of(session, info.questionnaire_id)
    engine = InterviewEngine.start(form, seed=info.seed, clock=lambda: now,
                                   case_data=call.case_data, context=info.context)
    while not engine.finished:
        shown = engine.current()
        value = said[shown.item.name] if shown.item.is_question else None
        assert engine.answer(value) is None, shown.item.name
    save_answers(database, info.id, engine.take_changes(), current_item=None, user_id=user,
                 workstation="ws-qc", now=now)
    record_outcome(database, call.case_id, "ws-qc", "1.1", interviewer_id=user,
                   now=now + dt.timedelta(minutes=2), interview_id=info.id)


def shoot(app: QApplication, database: Database, project_id: int, boss: int,
          out: Path) -> dict:
    tasks = TaskRunner()
    panel = BackcheckPanel(BackcheckService(database), tasks, project_id, boss)
    window = QMainWindow()
    window.setWindowTitle(f"cati — 督导控制台 — 赵敏 — {DEMO_NAME}")
    window.setCentralWidget(panel)
    window.resize(*WINDOW_SIZE)
    window.show()
    panel.rate.setText("10%")
    panel.minimum.setValue(2)
    panel.refresh()
    wait_until(lambda: panel.view is not None and not panel.busy, "the panel's reading")
    for _ in range(3):
        app.processEvents()
    report = {**save_png(window, out),
              "results": [panel.list.item(r, 3).text() for r in range(panel.list.rowCount())],
              "figures": [[panel.figures.item(r, c).text() for c in range(9)]
                          for r in range(panel.figures.rowCount())]}
    window.close()
    tasks.shutdown()
    return report


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(next(p for p in __doc__.split("\n\n") if p.startswith("Usage:")), file=sys.stderr)
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cati")
    with tempfile.TemporaryDirectory(prefix="cati-backcheck-shot-") as temporary:
        database = Database(f"sqlite:///{Path(temporary) / 'cati.db'}")
        project_id, boss = prepare(database)
        reports = [shoot(app, database, project_id, boss, folder / "backcheck.png")]
        install_translator(app, "en")
        reports.append(shoot(app, database, project_id, boss, folder / "backcheck_en.png"))
        database.dispose()
    print(json.dumps(reports, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

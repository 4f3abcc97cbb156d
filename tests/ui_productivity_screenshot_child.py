"""Draw the console's productivity tab (绩效) on the demo's history and save it as PNGs, in
Chinese and in English. To refresh the pictures the README shows:

    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python tests/ui_productivity_screenshot_child.py docs/screenshots

Usage: ui_productivity_screenshot_child.py OUT_DIR

An SQLite database in a temporary directory gets the demo and its earlier months
(build_demo_history, small: two completes per township), played through the real queue,
engine and services with each seat's shifts in the presence history. The tab is shown for the
first days of November's wave in a window titled like the console and grabbed to
OUT_DIR/productivity.png, then under the English translation to OUT_DIR/productivity_en.png.
One JSON object per picture on stdout: the file and the rows shown.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QApplication, QMainWindow
from sqlalchemy import func, select

from cati.services.demo import DEMO_NAME, build_demo_history, create_demo, wave_code
from cati.services.productivity import productivity, write_productivity_xlsx
from cati.storage.db import Database
from cati.storage.models import CallAttempt, Project
from tests.screenshot_support import save_png, wait_until
from ui.i18n import install_translator
from ui.productivity_panel import ProductivityPanel
from ui.tasks import TaskRunner

WINDOW_SIZE = (1100, 560)
TODAY = dt.date(2026, 12, 7)
DAYS_SHOWN = 2


def prepare(database: Database) -> tuple[int, dt.date]:
    """The demo with its months; November's wave and the first day it was called."""
    database.upgrade()
    with database.unit() as session:
        create_demo(session, cases=500)
    build_demo_history(database, today=TODAY, per_township=2, wave_cases=320)
    with database.unit() as session:
        project_id = session.scalar(select(Project.id)
                                    .where(Project.code == wave_code("2026-11")))
        first = session.scalar(select(func.min(CallAttempt.started_at))
                               .where(CallAttempt.project_id == project_id))
    return project_id, (first + dt.timedelta(hours=8)).date()


def shoot(app: QApplication, database: Database, project_id: int, first: dt.date,
          out: Path) -> dict:
    tasks = TaskRunner()
    panel = ProductivityPanel(
        lambda a, b: productivity(database, project_id, a, b),
        write_productivity_xlsx, tasks)
    window = QMainWindow()
    window.setWindowTitle(f"cati — 督导控制台 — {DEMO_NAME}")
    window.setCentralWidget(panel)
    window.resize(*WINDOW_SIZE)
    window.show()
    panel.first.setDate(QDate(first.year, first.month, first.day))
    last = first + dt.timedelta(days=DAYS_SHOWN - 1)
    panel.last.setDate(QDate(last.year, last.month, last.day))
    panel.refresh_button.click()
    wait_until(lambda: tasks.pending == 0 and panel.table.rowCount() > 0, "the rows")
    for _ in range(3):
        app.processEvents()
    report = {**save_png(window, out),
              "rows": [[panel.table.item(r, c).text() for c in range(panel.table.columnCount())]
                       for r in range(panel.table.rowCount())]}
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
    with tempfile.TemporaryDirectory(prefix="cati-productivity-shot-") as temporary:
        database = Database(f"sqlite:///{Path(temporary) / 'cati.db'}")
        project_id, first = prepare(database)
        reports = [shoot(app, database, project_id, first, folder / "productivity.png")]
        install_translator(app, "en")
        reports.append(shoot(app, database, project_id, first,
                             folder / "productivity_en.png"))
        database.dispose()
    print(json.dumps(reports, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

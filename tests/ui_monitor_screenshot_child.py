"""Draw the supervisor's live monitor while a simulated call centre works, and save it as a PNG.

tests/test_ui_monitor_screenshot.py runs this on an Xvfb server it starts (QT_QPA_PLATFORM=xcb).
By hand, to refresh the picture the README shows:

    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python tests/ui_monitor_screenshot_child.py docs/screenshots/monitor.png

Usage: ui_monitor_screenshot_child.py OUT.png [--control]

An SQLite database in a temporary directory gets the demo project (DEMO_CASES numbers) and
quotas on three subdistricts; `simulate` then runs INTERVIEWERS interviewers for MINUTES of
call-centre time from 09:00 Beijing on START's day, in a background thread, while the
supervisor's live monitor (ui.monitor_panel.MonitorPanel, the console's first tab, here alone in
a window titled like the console) refreshes every second. The monitor's clock is fixed half an
hour after the end of that shift (a claim may start a little late), so "today" is the simulated
day and holds every call. Once the simulation is over and a refresh started after it has landed, the window is grabbed to
OUT.png and one JSON object is printed on stdout:

    platform        Qt's platform plugin ("xcb" on an X server)
    window, size, device_pixel_ratio   the window's size, the picture's pixel size and ratio
    simulation      what simulate() returned (claims, completes, dispositions, …)
    refreshes       {"during": refreshes shown while the simulation ran, "total": …}
    today, overall  the texts of the totals labels (calls, contacts, completes, … RR1 … e)
    chart           title, series count, and per bar set its label and values; the x categories
    strata, interviewers, queue     the tables' cell texts, row by row
    status          the panel's status line
    glyphs          every character shown (labels, tables, the title, group box titles, the
                    chart's texts), checked in the widget's font: `missing` lists those that
                    fell back to the empty glyph (see ui_screenshot_child.glyph_check)
    rects           window coordinates (x, y, width, height) of the widgets the test looks at
    control         with --control: OUT_tofu_control.png written beside OUT.png, the caption
                    APPOINTMENTS' length in characters no font has, in the caption's font (what
                    missing glyphs look like); its file and the rectangle to look at
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import threading
from pathlib import Path

from PySide6.QtCharts import QBarSeries
from PySide6.QtCore import QPoint
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QApplication,
    QGroupBox,
    QLabel,
    QMainWindow,
    QProgressBar,
    QTableWidget,
    QWidget,
)
from screenshot_support import wait_until
from ui_screenshot_child import control, glyph_check, glyph_index

from cati.calling.simulate import simulate
from cati.services.demo import DEMO_CODE, DEMO_NAME, create_demo
from cati.services.monitor import Snapshot, snapshot
from cati.services.projects import get_project
from cati.services.quotas import set_quota
from cati.storage.db import Database
from ui.monitor_panel import MonitorPanel
from ui.tasks import TaskRunner

WINDOW_SIZE = (1280, 800)
START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # Monday 09:00 in Beijing
MINUTES = 180  # the morning calling window, 09:00-12:00
NOW = START + dt.timedelta(minutes=MINUTES + 30)  # the monitor's clock: after the shift
INTERVIEWERS = 6
SPEED = 300
SEED = 7
DEMO_CASES = 600
QUOTAS = {"古槐街道": 2, "东皇街道": 3, "清河街道": 5}  # completes land at random: few each
SUPERVISOR = "督导"
APPOINTMENTS = "一小时内到期的预约"  # a caption: the test looks at its strokes
HANG_GUARD = 240  # seconds: only so that a wedged simulation cannot hold the caller


def prepare(database: Database) -> int:
    """The demo project with its quotas; its id."""
    database.upgrade()
    with database.unit() as session:
        create_demo(session, cases=DEMO_CASES)
        project_id = get_project(session, DEMO_CODE).id
    for stratum, target in QUOTAS.items():
        set_quota(database, project_id, stratum, target)
    return project_id


def cells(table: QTableWidget) -> list[list[str]]:
    rows = []
    for row in range(table.rowCount()):
        texts = []
        for column in range(table.columnCount()):
            item = table.item(row, column)
            widget = table.cellWidget(row, column)
            if item is not None:
                texts.append(item.text())
            elif isinstance(widget, QProgressBar):
                texts.append(widget.text() if widget.isTextVisible() else "")
            else:
                texts.append("")
        rows.append(texts)
    return rows


def chart_report(panel: MonitorPanel) -> dict:
    chart = panel.chart
    series = chart.series()
    sets = []
    for one in series:
        if isinstance(one, QBarSeries):
            sets += [{"label": bar_set.label(),
                      "values": [int(bar_set.at(i)) for i in range(bar_set.count())]}
                     for bar_set in one.barSets()]
    categories = []
    for axis in chart.axes():
        if hasattr(axis, "categories"):
            categories = list(axis.categories())
    return {"title": chart.title(), "series": len(series), "bar_sets": sets,
            "categories": categories}


def extra_glyphs(panel: MonitorPanel) -> dict:
    """What glyph_check does not read: group box titles, the chart's texts."""
    texts: list[tuple[str, QFont]] = [(box.title(), box.font()) for box in panel.findChildren(QGroupBox)]
    texts.append((panel.chart.title(), panel.chart.titleFont()))
    for one in panel.chart.series():
        if isinstance(one, QBarSeries):
            texts += [(bar_set.label(), panel.chart.legend().font())
                      for bar_set in one.barSets()]
    for axis in panel.chart.axes():
        if hasattr(axis, "categories"):
            texts += [(text, axis.labelsFont()) for text in axis.categories()]
    missing = sorted({f"U+{ord(c):04X}" for text, font in texts for c in text
                      if not c.isspace() and glyph_index(c, font)[0] == 0})
    return {"checked": sum(len(text) for text, _ in texts), "missing": missing}


def caption(panel: MonitorPanel, text: str) -> QLabel:
    return next(label for label in panel.findChildren(QLabel) if label.text() == text)


def rectangles(window: QWidget, widgets: dict[str, QWidget]) -> dict[str, list[int]]:
    placed = {}
    for name, widget in widgets.items():
        corner = widget.mapTo(window, QPoint(0, 0))
        placed[name] = [corner.x(), corner.y(), widget.width(), widget.height()]
    return placed


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1 or set(argv) - {*args, "--control"}:
        print(next(p for p in __doc__.split("\n\n") if p.startswith("Usage:")), file=sys.stderr)
        return 2
    out = Path(args[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cati")
    with tempfile.TemporaryDirectory(prefix="cati-monitor-shot-") as folder:
        db_url = f"sqlite:///{Path(folder) / 'cati.db'}"
        report = run(app, db_url, out, with_control="--control" in argv)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def run(app: QApplication, db_url: str, out: Path, *, with_control: bool) -> dict:
    database = Database(db_url)
    project_id = prepare(database)
    tasks = TaskRunner()
    panel = MonitorPanel(lambda: snapshot(database, project_id, now=NOW), tasks, interval_s=1)
    window = QMainWindow()
    window.setWindowTitle(f"cati — 督导控制台 — {SUPERVISOR} — {DEMO_NAME}")
    window.setCentralWidget(panel)
    window.resize(*WINDOW_SIZE)
    shown: list[Snapshot] = []
    panel.refreshed.connect(shown.append)
    window.show()
    panel.refresh()
    wait_until(lambda: bool(shown), "the first refresh", HANG_GUARD)

    result: dict = {}
    done = threading.Event()

    def work() -> None:
        try:
            result["simulation"] = simulate(db_url, DEMO_CODE, INTERVIEWERS, MINUTES, seed=SEED,
                                            speed=SPEED, start=START).as_json()
        except BaseException as error:  # reported by the GUI thread
            result["error"] = repr(error)
        finally:
            done.set()

    worker = threading.Thread(target=work, name="simulation")
    worker.start()
    try:
        wait_until(done.is_set, "the simulation", HANG_GUARD)
    finally:
        worker.join()
    if "error" in result:
        raise SystemExit(f"the simulation failed: {result['error']}")
    during = len(shown)
    # A refresh in flight when the run ended may have read before its end: wait for the next.
    wait_until(lambda: len(shown) > during + 1, "a refresh after the simulation", HANG_GUARD)
    panel.timer.stop()
    wait_until(lambda: not panel.in_flight, "the last refresh", HANG_GUARD)
    for _ in range(3):
        app.processEvents()

    pixmap = window.grab()
    if not pixmap.save(str(out), "PNG"):
        raise SystemExit(f"cannot write {out}")
    report = {
        "platform": app.platformName(),
        "file": str(out),
        "window": [window.width(), window.height()],
        "size": [pixmap.width(), pixmap.height()],
        "device_pixel_ratio": pixmap.devicePixelRatio(),
        "simulation": result["simulation"],
        "refreshes": {"during": during, "total": len(shown)},
        **{scope: {name: label.text() for name, label in panel.totals[scope].items()}
           for scope in ("today", "overall")},
        "chart": chart_report(panel),
        "strata": cells(panel.strata),
        "interviewers": cells(panel.interviewers),
        "queue": cells(panel.queue),
        "status": panel.status.text(),
        "glyphs": {"widgets": glyph_check([window]), "other": extra_glyphs(panel)},
        "rects": rectangles(window, {"panel": panel, "chart": panel.chart_view,
                                     "strata": panel.strata,
                                     "interviewers": panel.interviewers,
                                     "today_calls": panel.totals["today"]["calls"],
                                     "appointments_caption": caption(panel, APPOINTMENTS)}),
    }
    if with_control:
        label = caption(panel, APPOINTMENTS)
        report["control"] = control(label.font(), len(label.text()),
                                    out.with_name(f"{out.stem}_tofu_control.png"))
    window.close()
    tasks.shutdown()
    database.dispose()
    return report


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

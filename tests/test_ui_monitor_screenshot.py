"""A screenshot of the supervisor's live monitor while a simulated call centre works, drawn on a
real X server (Xvfb).

The test starts an Xvfb server (the one of tests/test_ui_screenshots.py), runs
tests/ui_monitor_screenshot_child.py on it with Qt's xcb platform, always stops the server, and
checks the picture (the window's size, not blank) and the child's report: the monitor shows the
simulated day's calls and completes, its chart has the hourly series, every character shown has
a glyph. The PNG stays in the test's temporary directory and, when CATI_SCREENSHOTS_DIR is set,
is copied there as monitor.png (e.g. to refresh docs/screenshots).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from test_ui_screenshots import (
    INSTALL_HINT,
    SCALING_VARIABLES,
    Picture,
    Run,
    Xvfb,
    ink,
    stroke_share,
)

HERE = Path(__file__).resolve().parent
CHILD = HERE / "ui_monitor_screenshot_child.py"
NAME = "monitor.png"
WINDOW_SIZE = (1280, 800)
CHILD_GUARD = 480  # seconds: only so that a wedged Xvfb or child cannot hold the suite
# The caption is in the default font (about 12 px), where antialiasing thins strokes out of the
# ink mask: Chinese there reaches about 0.2-0.3 (test_ui_screenshots' larger text, 0.25 or more),
# a missing-glyph box under 0.05.
SMALL_STROKE_SHARE = 0.15
BOX_SHARE = 0.05


def run_child(display: str, out: Path) -> Run:
    env = dict(os.environ)
    for name in (*SCALING_VARIABLES, "WAYLAND_DISPLAY", "XAUTHORITY"):
        env.pop(name, None)
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    try:
        done = subprocess.run([sys.executable, str(CHILD), str(out), "--control"], env=env, cwd=HERE.parent,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=CHILD_GUARD, check=False)
    except subprocess.TimeoutExpired as exc:
        return Run(f"the monitor screenshot child did not finish: {exc.stderr or ''}")
    if done.returncode != 0:
        return Run(f"the monitor screenshot child failed ({done.returncode}):\n"
                   f"{done.stderr[-4000:]}")
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return Run(f"the monitor screenshot child printed no report:\n{done.stdout[-2000:]}"
                   f"\n{done.stderr[-2000:]}")
    return Run(out=out, report=report)


def keep(picture: Path) -> None:
    """Copy the screenshot to CATI_SCREENSHOTS_DIR when it is set."""
    target = os.environ.get("CATI_SCREENSHOTS_DIR", "").strip()
    if target and picture.exists():
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(picture, Path(target) / NAME)


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Xvfb started, the child run once, Xvfb always stopped. Problems are handed to the tests,
    which fail on them (a fixture's failure would count as an error, not a failed test)."""
    folder = tmp_path_factory.mktemp("monitor_screenshot")
    server = Xvfb(folder / "xvfb.log")
    try:
        problem = server.start()
        if problem:
            return Run(problem)
        result = run_child(server.display, folder / NAME)
    finally:
        server.stop()
    keep(folder / NAME)
    if result.problem:
        result.problem += f"\nXvfb said: {server.log()}"
    return result


def ready(shot: Run) -> Run:
    if shot.problem:
        pytest.fail(shot.problem, pytrace=False)
    return shot


def number(text: str) -> int:
    assert text.isdigit(), f"not a count: {text!r}"
    return int(text)


def test_the_monitor_is_drawn_by_the_xcb_platform_at_the_windows_size(shot):
    report = ready(shot).report
    assert report["platform"] == "xcb"
    assert report["device_pixel_ratio"] == 1.0
    assert report["window"] == list(WINDOW_SIZE), (
        f"the window needs {report['window']}, more than {WINDOW_SIZE}")
    assert shot.out is not None and shot.out.exists()
    picture = Picture(shot.out)
    assert (picture.width, picture.height) == WINDOW_SIZE


def test_the_screenshot_is_not_blank(shot):
    picture = Picture(ready(shot).out)
    colours = Counter(p for row in picture.rows for p in row)
    assert len(colours) > 100, f"only {len(colours)} colours"
    mask = ink(picture.rows)
    inked = sum(map(sum, mask)) / (picture.width * picture.height)
    assert 0.01 < inked < 0.5, f"{inked:.1%} of the pixels are ink"
    # The chart is drawn: its area has ink of its own (bars, axes, title), not an empty frame.
    x, y, width, height = shot.report["rects"]["chart"]
    chart = picture.crop([x, y, width, height])
    chart_ink = sum(map(sum, ink(chart))) / (width * height)
    assert chart_ink > 0.01, f"the chart's area is {chart_ink:.1%} ink"


def test_the_monitor_shows_the_simulated_days_calls_and_completes(shot):
    report = ready(shot).report
    simulation = report["simulation"]
    assert simulation["claims"] > 0 and simulation["completes"] > 0, simulation
    assert simulation["duplicate_claims"] == 0 and simulation["lost_answers"] == 0, simulation
    today = report["today"]
    calls, completes = number(today["calls"]), number(today["completes"])
    assert calls > 0 and completes > 0, today
    assert number(today["contacts"]) > 0, today
    assert completes <= number(today["contacts"]) <= calls, today
    assert today["RR1"].endswith("%"), today
    assert number(report["overall"]["calls"]) >= calls, report["overall"]
    assert report["status"].startswith("更新于"), report["status"]


def test_the_chart_has_the_hourly_series(shot):
    report = ready(shot).report
    chart = report["chart"]
    assert chart["series"] >= 1, chart
    sets = {bar_set["label"]: bar_set["values"] for bar_set in chart["bar_sets"]}
    assert set(sets) == {"拨打", "完成"}, chart
    assert all(len(values) == len(chart["categories"]) for values in sets.values()), chart
    assert sum(sets["拨打"]) == number(report["today"]["calls"]) > 0
    assert sum(sets["完成"]) == number(report["today"]["completes"]) > 0
    assert "9" in chart["categories"], chart["categories"]  # the shift started at 09:00


def test_the_tables_show_the_simulated_interviewers_and_the_quotas(shot):
    report = ready(shot).report
    names = {row[0] for row in report["interviewers"]}
    assert names == {f"模拟访问员{n}" for n in range(1, 7)}, names
    assert sum(number(row[5]) for row in report["interviewers"]) == number(
        report["today"]["completes"])
    quotas = {row[0]: row[1] for row in report["strata"] if not row[1].endswith("/ —")}
    assert set(quotas) == {"古槐街道", "东皇街道", "清河街道"}, quotas
    assert report["queue"], "the queue table is empty"


def test_every_character_shown_has_a_glyph(shot):
    glyphs = ready(shot).report["glyphs"]
    widgets, other = glyphs["widgets"], glyphs["other"]
    assert widgets["missing_control"], "the check cannot tell a missing glyph"
    assert widgets["checked"] > 50 and other["checked"] > 10, glyphs
    assert widgets["missing"] == [] and other["missing"] == [], (
        f"drawn as empty boxes: {widgets['missing'] + other['missing']}; {INSTALL_HINT} "
        "(fonts-wqy-microhei)")
    assert widgets["chinese_families"], glyphs


def test_the_chinese_in_the_picture_is_strokes_not_boxes(shot):
    shot = ready(shot)
    control = shot.report["control"]
    boxes = ink(Picture(Path(control["file"])).crop(control["rect"]))
    assert sum(map(sum, boxes)) > 150, "the control shows no missing-glyph boxes"
    assert stroke_share(boxes) < BOX_SHARE, "the measure does not tell boxes from characters"
    # A caption (a label: the grid lines of a table would add strokes of their own).
    mask = ink(Picture(shot.out).crop(shot.report["rects"]["appointments_caption"]))
    share = stroke_share(mask)
    assert sum(map(sum, mask)) > 150, "the caption is not drawn"
    assert share >= SMALL_STROKE_SHARE, (
        f"only {share:.0%} of the caption's inked columns cross 3 strokes or more; is the "
        "Chinese drawn as boxes?")

"""Screenshots of the call screen and the interview screen, drawn on a real X server (Xvfb).

The other UI tests run offscreen; these start an Xvfb server, run tests/ui_screenshot_child.py
on it with Qt's xcb platform (real fontconfig fonts, as on an interviewer's desktop) and check
the pictures: the window's size, not blank, and the Chinese drawn as glyphs, not as the boxes a
missing CJK font gives. The PNGs stay in the test's temporary directory and, when
CATI_SCREENSHOTS_DIR is set, are copied there too (e.g. to refresh docs/screenshots).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

HERE = Path(__file__).resolve().parent
CHILD = HERE / "ui_screenshot_child.py"
SCREENS = ("call_screen", "interview_screen")
WINDOW_SIZE = (1100, 760)
SCREEN = "1280x800x24"
HANG_GUARD = 120  # seconds: only so that a wedged Xvfb or child cannot hold the suite
INK_DIFFERENCE = 96  # a channel this far from the background is ink
STROKE_SHARE = 0.25  # Chinese: at least this share of the ink columns cross 3 or more strokes
SCALING_VARIABLES = ("QT_SCALE_FACTOR", "QT_SCREEN_SCALE_FACTORS", "QT_AUTO_SCREEN_SCALE_FACTOR",
                     "QT_ENABLE_HIGHDPI_SCALING", "QT_FONT_DPI", "QT_USE_PHYSICAL_DPI")
INSTALL_HINT = "run the tests with scripts/test, which installs it"


@dataclass
class Run:
    """What the child produced, or why there is nothing."""

    problem: str = ""
    out: Path | None = None
    report: dict = field(default_factory=dict)


# -- the X server and the child -------------------------------------------------------------


class Xvfb:
    """An Xvfb server on a display number it picks itself (-displayfd: no race for a free one)."""

    def __init__(self, log: Path) -> None:
        self.log_path = log
        self.process: subprocess.Popen | None = None
        self.display = ""

    def start(self) -> str:
        """Start it; '' when running, else what went wrong."""
        binary = shutil.which("Xvfb")
        if binary is None:
            return f"Xvfb is not installed (Debian package xvfb): {INSTALL_HINT}"
        read_end, write_end = os.pipe()
        try:
            with self.log_path.open("wb") as log:
                self.process = subprocess.Popen(
                    [binary, "-displayfd", str(write_end), "-screen", "0", SCREEN,
                     "-nolisten", "tcp"],
                    pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            os.close(write_end)
            write_end = -1
            number = self._read_display(read_end)
        finally:
            os.close(read_end)
            if write_end >= 0:
                os.close(write_end)
        if not number.isdigit():
            return f"Xvfb did not start: {self.log()}"
        self.display = f":{number}"
        return ""

    @staticmethod
    def _read_display(fd: int) -> str:
        """The display number Xvfb writes once it accepts connections ('' if it died)."""
        text = b""
        while not text.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], HANG_GUARD)
            chunk = os.read(fd, 64) if ready else b""
            if not chunk:
                break
            text += chunk
        return text.decode(errors="replace").strip()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace").strip()[-2000:] or "(no output)"
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run_child(display: str, out: Path) -> Run:
    env = dict(os.environ)
    for name in (*SCALING_VARIABLES, "WAYLAND_DISPLAY", "XAUTHORITY"):
        env.pop(name, None)
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    try:
        done = subprocess.run([sys.executable, str(CHILD), str(out), "--control"], env=env,
                              cwd=HERE.parent, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=HANG_GUARD, check=False)
    except subprocess.TimeoutExpired as exc:
        return Run(f"the screenshot child did not finish: {exc.stderr or ''}")
    if done.returncode != 0:
        return Run(f"the screenshot child failed ({done.returncode}):\n{done.stderr[-4000:]}")
    lines = done.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return Run(f"the screenshot child printed no report:\n{done.stdout[-2000:]}"
                   f"\n{done.stderr[-2000:]}")
    return Run(out=out, report=report)


def keep(out: Path) -> None:
    """Copy the screenshots to CATI_SCREENSHOTS_DIR when it is set."""
    target = os.environ.get("CATI_SCREENSHOTS_DIR", "").strip()
    if not target:
        return
    Path(target).mkdir(parents=True, exist_ok=True)
    for name in SCREENS:
        source = out / f"{name}.png"
        if source.exists():
            shutil.copyfile(source, Path(target) / source.name)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Xvfb started, the child run once, Xvfb always stopped. Problems are handed to the tests,
    which fail on them (a fixture's failure would count as an error, not a failed test)."""
    out = tmp_path_factory.mktemp("screenshots")
    server = Xvfb(out / "xvfb.log")
    try:
        problem = server.start()
        if problem:
            return Run(problem)
        result = run_child(server.display, out)
    finally:
        server.stop()
    keep(out)
    if result.problem:
        result.problem += f"\nXvfb said: {server.log()}"
    return result


def ready(run: Run) -> Run:
    if run.problem:
        pytest.fail(run.problem, pytrace=False)
    return run


# -- looking at pictures --------------------------------------------------------------------


class Picture:
    """A PNG's pixels as 0xAARRGGBB integers."""

    def __init__(self, path: Path) -> None:
        image = QImage(str(path))
        assert not image.isNull(), f"{path} is not a readable PNG"
        image = image.convertToFormat(QImage.Format.Format_RGB32)
        self.width, self.height = image.width(), image.height()
        stride = image.bytesPerLine() // 4
        pixels = memoryview(bytes(image.constBits())).cast("I")
        self.rows = [pixels[y * stride: y * stride + self.width].tolist()
                     for y in range(self.height)]

    def crop(self, rect: list[int]) -> list[list[int]]:
        x, y, width, height = rect
        assert x >= 0 and y >= 0 and x + width <= self.width and y + height <= self.height, (
            f"{rect} is outside the {self.width}x{self.height} picture")
        return [row[x: x + width] for row in self.rows[y: y + height]]


def background(pixels: list[list[int]]) -> int:
    return Counter(p for row in pixels for p in row).most_common(1)[0][0]


def far(pixel: int, other: int) -> bool:
    return any(abs(((pixel >> shift) & 0xFF) - ((other >> shift) & 0xFF)) > INK_DIFFERENCE
               for shift in (16, 8, 0))


def ink(pixels: list[list[int]]) -> list[list[bool]]:
    ground = background(pixels)
    return [[far(p, ground) for p in row] for row in pixels]


def strokes_per_column(mask: list[list[bool]]) -> list[int]:
    """For each column with ink, how many separate runs of ink it crosses."""
    counts = []
    for x in range(len(mask[0]) if mask else 0):
        runs = sum(1 for y in range(len(mask)) if mask[y][x] and (y == 0 or not mask[y - 1][x]))
        if runs:
            counts.append(runs)
    return counts


def stroke_share(mask: list[list[bool]]) -> float:
    """The share of inked columns that cross 3 or more strokes. A missing glyph is drawn as a
    hollow box (each column crosses 1 or 2 edges); Chinese characters cross many strokes."""
    counts = strokes_per_column(mask)
    return sum(1 for c in counts if c >= 3) / len(counts) if counts else 0.0


# -- the tests ------------------------------------------------------------------------------


def test_the_screens_are_drawn_by_the_xcb_platform_at_the_windows_size(run):
    shots = ready(run)
    assert shots.report["platform"] == "xcb"
    for name in SCREENS:
        screen = shots.report["screens"][name]
        assert screen["device_pixel_ratio"] == 1.0
        assert screen["window"] == list(WINDOW_SIZE), (
            f"{name}: the window needs {screen['window']}, more than {WINDOW_SIZE}")
        picture = Picture(shots.out / f"{name}.png")
        assert (picture.width, picture.height) == WINDOW_SIZE


def test_the_screenshots_are_not_blank(run):
    shots = ready(run)
    for name in SCREENS:
        picture = Picture(shots.out / f"{name}.png")
        colours = Counter(p for row in picture.rows for p in row)
        assert len(colours) > 100, f"{name}: only {len(colours)} colours"
        mask = ink(picture.rows)
        inked = sum(map(sum, mask)) / (picture.width * picture.height)
        assert 0.01 < inked < 0.5, f"{name}: {inked:.1%} of the pixels are ink"


def test_a_chinese_font_is_installed_and_draws_every_character_shown(run):
    report = ready(run).report
    assert report["cjk_families"], (
        f"no font for Simplified Chinese: {INSTALL_HINT} (fonts-wqy-microhei)")
    glyphs = report["glyphs"]
    assert glyphs["missing_control"], "the check cannot tell a missing glyph"
    assert glyphs["checked"] > 100
    assert glyphs["missing"] == [], f"drawn as empty boxes: {glyphs['missing']}"
    assert glyphs["chinese_families"]
    assert set(glyphs["chinese_families"]) <= set(report["cjk_families"])


def test_chinese_characters_render_unlike_the_missing_glyph_box(run):
    pixels = ready(run).report["pixels"]
    assert all(count > 50 for count in pixels["ink"].values()), pixels
    assert pixels["differs_from_missing"], pixels
    assert pixels["differ_from_each_other"], pixels


def test_the_chinese_in_the_pictures_is_strokes_not_boxes(run):
    shots = ready(run)
    control = shots.report["control"]
    boxes = ink(Picture(Path(control["file"])).crop(control["rect"]))
    assert sum(map(sum, boxes)) > 500, "the control shows no missing-glyph boxes"
    assert stroke_share(boxes) < 0.05, "the measure does not tell boxes from characters"
    # Labels only: the grid lines of a table or the frame of a button would add strokes.
    areas = {"call_screen": ("place", "appointment", "outcome_label"),
             "interview_screen": ("question", "hint", "first_option")}
    for name, widgets in areas.items():
        screen = shots.report["screens"][name]
        picture = Picture(shots.out / f"{name}.png")
        for widget in widgets:
            mask = ink(picture.crop(screen["rects"][widget]))
            share = stroke_share(mask)
            assert sum(map(sum, mask)) > 150, f"{name} {widget}: no text drawn"
            assert share >= STROKE_SHARE, (
                f"{name} {widget}: only {share:.0%} of the inked columns cross 3 strokes or "
                "more; is the Chinese drawn as boxes?")


def test_the_number_is_drawn_large_across_the_top_of_the_call_screen(run):
    shots = ready(run)
    screen = shots.report["screens"]["call_screen"]
    mask = ink(Picture(shots.out / "call_screen.png").crop(screen["rects"]["number"]))
    inked_columns = sum(1 for x in range(len(mask[0])) if any(row[x] for row in mask))
    inked_rows = sum(1 for row in mask if any(row))
    assert sum(map(sum, mask)) > 2000
    assert inked_columns > 250 and inked_rows > 30, (inked_columns, inked_rows)

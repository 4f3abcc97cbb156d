"""Draw the call screen and the interview screen on a real X server and save them as PNGs.

tests/test_ui_screenshots.py runs this on an Xvfb server it starts (QT_QPA_PLATFORM=xcb). By
hand, to refresh the pictures the README shows:

    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python tests/ui_screenshot_child.py docs/screenshots

Usage: ui_screenshot_child.py OUT_DIR [--control] [--english]

Writes OUT_DIR/call_screen.png, OUT_DIR/interview_screen.png, OUT_DIR/township_filter.png (and, with --control,
OUT_DIR/tofu_control.png: the question text's length in characters no font has, drawn in the
question's font, i.e. what missing glyphs look like) and prints one JSON object on stdout. With --english the interface speaks English (the
questionnaire stays as written) and the files are named call_screen_en.png and so on:

    platform        Qt's platform plugin ("xcb" on an X server)
    cjk_families    the installed families that write Simplified Chinese
    glyphs          every character shown on either screen, checked in the font of the widget
                    that shows it: `missing` lists those that fell back to the empty glyph
    pixels          '访' and '问' and a character no font has, drawn into images: whether
                    they differ (a missing font draws every character as the same box)
    screens         per screenshot: its file, pixel size, device pixel ratio and the rectangles
                    (window coordinates, logical pixels) of the widgets the test looks at
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QPoint, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QImage,
    QPainter,
    QTextDocument,
    QTextLayout,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QTableWidget,
    QWidget,
)

from cati.calling.dispositions import DEFAULT_DISPOSITIONS
from cati.config import QUESTIONNAIRE_DIR
from cati.questionnaire.engine import InterviewEngine
from cati.questionnaire.loader import load_form
from cati.sample.phones import PhoneRule, check_phone, format_for_reading
from cati.services.workstation import (
    INTERVIEW_OR_RULE_CODES,
    AppointmentLine,
    AttemptLine,
    CallInfo,
    DispositionButton,
)
from ui.call_view import CallView
from ui.interview_view import InterviewView
from ui.interviewer_window import InterviewPage

WINDOW_SIZE = (1100, 760)  # what InterviewerWindow resizes itself to
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 5, 20, 19, 5, tzinfo=SHANGHAI)  # inside the booked window
PROJECT_NAME = "平舆县公众安全感和满意度测评(演示)"
INTERVIEWER = "王芳"
MISSING = "\U000ffffd"  # a private-use character no installed font draws
SAMPLE = "访问"

# The demo's kind of number: a 0396 (驻马店) mobile number, checked like an imported one.
RAW_NUMBER = "13939612345"
# An interview that has passed the screening: it stands at the sense-of-safety question.
ANSWERS = {"phone_kind": "3", "age": "46", "residence": "1", "occupation": "2",
           "township": "1", "urban_rural": "1"}


def local(day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


def call_info() -> CallInfo:
    phone = check_phone(RAW_NUMBER, PhoneRule(default_area_code="0396"))
    assert phone.e164 is not None, phone.reason
    history = (
        AttemptLine(local(18, 10, 12), "李娜", "3.13", "无人接听", "No answer",
                    "响铃约30秒无人接听"),
        AttemptLine(local(19, 18, 40), INTERVIEWER, None, "约访", "Appointment",
                    "本人接听,正在开车,约今晚七点以后再打"),
    )
    appointment = AppointmentLine(
        id=31, window_start=local(20, 19, 0), window_end=local(20, 20, 30), hard=False,
        booked_by=INTERVIEWER, interviewer="", note="受访者说晚上七点以后方便,先说明来意")
    return CallInfo(
        case_id=1207, project_id=1, phone_e164=phone.e164,
        phone_display=format_for_reading(phone.e164), tel_uri=f"tel:{phone.e164}",
        region=phone.region, carrier=phone.carrier, stratum="古槐街道",
        time_zone=phone.time_zone or "Asia/Shanghai", state="appointment", attempts=2,
        history=history, appointment=appointment,
        lease_expires_at=NOW.astimezone(dt.UTC) + dt.timedelta(minutes=10),
        interview_id=None, resume_at=None)


def call_buttons() -> list[DispositionButton]:
    return [DispositionButton(d.code, d.label_zh, d.label_en, d.shortcut, d.final, d.contact)
            for d in DEFAULT_DISPOSITIONS if d.code not in INTERVIEW_OR_RULE_CODES]


def main_window(central: QWidget) -> QMainWindow:
    """A window dressed as InterviewerWindow: title, the settings menu, a status bar."""
    window = QMainWindow()
    window.setWindowTitle(f"cati — {PROJECT_NAME} — {INTERVIEWER}")
    window.menuBar().addAction(QCoreApplication.translate("InterviewerWindow", "设置…"))
    window.statusBar().addPermanentWidget(QLabel())
    window.setCentralWidget(central)
    window.resize(*WINDOW_SIZE)
    return window


def call_screen() -> tuple[QMainWindow, dict[str, QWidget]]:
    view = CallView(now=lambda: NOW.astimezone(dt.UTC))
    view.show_call(call_info(), call_buttons())
    window = main_window(view)
    return window, {"number": view.number_label, "place": view.place_label,
                    "appointment": view.appointment_label, "history": view.history_table,
                    "outcome_label": view.outcome_buttons["3.16"].label}


def interview_screen() -> tuple[QMainWindow, dict[str, QWidget]]:
    form = load_form(QUESTIONNAIRE_DIR / "public_safety.md")
    clock = NOW.astimezone(dt.UTC)
    engine = InterviewEngine.resume(form, ANSWERS, seed=0, clock=lambda: clock)
    assert engine.current_item is not None and engine.current_item.name == "safety"
    view = InterviewView()
    page = InterviewPage(view)
    page.phone_label.setText(call_info().phone_display)
    view.begin(engine)
    window = main_window(page)
    return window, {"question": view.question_label, "hint": view.hint_label,
                    "history": view.history, "progress": view.progress,
                    "first_option": view.option_buttons[0]}


def township_screen() -> tuple[QMainWindow, dict[str, QWidget]]:
    """The township question (19 codes, 10-19 typed in full) filtered by pinyin initials."""
    form = load_form(QUESTIONNAIRE_DIR / "public_safety.md")
    clock = NOW.astimezone(dt.UTC)
    answers = {key: ANSWERS[key] for key in ("phone_kind", "age", "residence", "occupation")
               if key in ANSWERS}
    engine = InterviewEngine.resume(form, answers, seed=0, clock=lambda: clock)
    assert engine.current_item is not None and engine.current_item.name == "township"
    view = InterviewView()
    page = InterviewPage(view)
    page.phone_label.setText(call_info().phone_display)
    view.begin(engine)
    box = view.findChild(QLineEdit, "choiceFilter")
    box.insert("dh")
    window = main_window(page)
    return window, {"question": view.question_label, "filter": box,
                    "first_option": view.option_buttons[2]}


def shown_texts(window: QWidget) -> list[tuple[str, QFont]]:
    """Every text the window shows, with the font it is drawn in."""
    texts: list[tuple[str, QFont]] = [(window.windowTitle(), window.font())]
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel):
            text = widget.text()
            if widget.textFormat() == Qt.TextFormat.RichText:
                text = _plain(text)
            texts.append((text, widget.font()))
        elif isinstance(widget, QAbstractButton):
            texts.append((widget.text().replace("&&", "&"), widget.font()))
        elif isinstance(widget, QTableWidget):
            for row in range(widget.rowCount()):
                for column in range(widget.columnCount()):
                    item = widget.item(row, column)
                    if item is not None:
                        texts.append((item.text(), widget.font()))
            for column in range(widget.columnCount()):
                header = widget.horizontalHeaderItem(column)
                if header is not None:
                    texts.append((header.text(), widget.horizontalHeader().font()))
        elif isinstance(widget, QListWidget):
            texts += [(widget.item(row).text(), widget.font()) for row in range(widget.count())]
    return texts


def _plain(markup: str) -> str:
    document = QTextDocument()
    document.setHtml(markup)
    return document.toPlainText()


def glyph_index(char: str, font: QFont) -> tuple[int, str]:
    """The glyph `char` is drawn with in `font` (0: none, the missing-glyph box), and the family
    that drew it (after Qt's font fallback)."""
    layout = QTextLayout(char, font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    runs = layout.glyphRuns()
    if not runs or not len(runs[0].glyphIndexes()):
        return 0, ""
    return int(runs[0].glyphIndexes()[0]), runs[0].rawFont().familyName()


def glyph_check(windows: list[QWidget]) -> dict:
    missing: dict[str, str] = {}
    chinese_families: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for window in windows:
        for text, font in shown_texts(window):
            for char in set(text):
                if char.isspace() or (char, font.key()) in seen:
                    continue
                seen.add((char, font.key()))
                index, family = glyph_index(char, font)
                if index == 0:
                    missing[char] = f"U+{ord(char):04X}"
                elif "\u4e00" <= char <= "\u9fff":
                    chinese_families.add(family)
    return {"checked": len(seen), "missing": sorted(missing.values()),
            "chinese_families": sorted(chinese_families),
            "missing_control": glyph_index(MISSING, QApplication.font())[0] == 0}


def draw(text: str, font: QFont) -> QImage:
    image = QImage(96, 64, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return image


def ink(image: QImage) -> int:
    white = QColor("white").rgb()
    return sum(1 for y in range(image.height()) for x in range(image.width())
               if image.pixel(x, y) != white)


def pixel_check() -> dict:
    """'访', '问' and a missing character drawn in the app's font at 32 px: real glyphs differ
    from each other and from the box a missing glyph is drawn as."""
    font = QFont(QApplication.font())
    font.setPixelSize(32)
    first, second, box = (draw(char, font) for char in (*SAMPLE, MISSING))
    return {"ink": {SAMPLE[0]: ink(first), SAMPLE[1]: ink(second), "missing": ink(box)},
            "differs_from_missing": first != box and second != box,
            "differ_from_each_other": first != second}


def rectangles(window: QWidget, widgets: dict[str, QWidget]) -> dict[str, list[int]]:
    placed = {}
    for name, widget in widgets.items():
        corner = widget.mapTo(window, QPoint(0, 0))
        placed[name] = [corner.x(), corner.y(), widget.width(), widget.height()]
    return placed


def show(window: QMainWindow) -> None:
    window.show()
    QTest.qWaitForWindowExposed(window)
    for _ in range(3):
        QApplication.processEvents()


def save(window: QMainWindow, widgets: dict[str, QWidget], path: Path) -> dict:
    pixmap = window.grab()
    if not pixmap.save(str(path), "PNG"):
        raise SystemExit(f"cannot write {path}")
    return {"file": str(path), "size": [pixmap.width(), pixmap.height()],
            "device_pixel_ratio": pixmap.devicePixelRatio(),
            "window": [window.width(), window.height()],
            "rects": rectangles(window, widgets)}


def control(font: QFont, length: int, path: Path) -> dict:
    """What the question would look like if no font had its characters."""
    label = QLabel(MISSING * length)
    label.setFont(font)
    label.setWordWrap(True)
    label.resize(800, 200)
    label.show()
    QTest.qWaitForWindowExposed(label)
    pixmap = label.grab()
    pixmap.save(str(path), "PNG")
    label.close()
    return {"file": str(path), "rect": [0, 0, pixmap.width(), pixmap.height()]}


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1 or set(argv) - {*args, "--control", "--english"}:
        print(next(p for p in __doc__.split("\n\n") if p.startswith("Usage:")),
              file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cati")
    suffix = ""
    if "--english" in argv:
        from ui.i18n import install_translator

        install_translator(app, "en")
        suffix = "_en"
    report: dict = {
        "platform": app.platformName(),
        "cjk_families": QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese),
        "pixels": pixel_check(),
        "screens": {},
    }
    shown = []
    for name, build in (("call_screen", call_screen), ("interview_screen", interview_screen),
                        ("township_filter", township_screen)):
        window, widgets = build()
        show(window)
        report["screens"][name] = save(window, widgets, out / f"{name}{suffix}.png")
        shown.append(window)
        if name == "interview_screen" and "--control" in argv:
            question = widgets["question"]
            assert isinstance(question, QLabel)
            report["control"] = control(question.font(), len(question.text()),
                                        out / "tofu_control.png")
    report["glyphs"] = glyph_check(shown)
    for window in shown:
        window.close()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

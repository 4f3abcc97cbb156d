"""Draw the call screen during a real ringing call and save it as a PNG.

The call is real: the softphone of the window (ui.softphone.Softphone, baresip) dials a
respondent agent on loopback that never answers (tests/sip_lab.py), and the call screen shows
the ringing event as it came. The case, its history and its appointment are those of
tests/ui_screenshot_child.py (the same demo number; the screen's clock stands at its evening
appointment, shifted by the real seconds since the start, so the ringing seconds are real).
By hand, to refresh the picture the README shows:

    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python tests/ui_call_ringing_child.py docs/screenshots

Usage: ui_call_ringing_child.py OUT_DIR [--ring S]

Writes OUT_DIR/call_ringing.png once the line has rung S seconds (default 6) and prints one
JSON object: {"platform", "file", "size": [w, h], "stage", "phone_text", "ring_s",
"hang_up_enabled", "dial_enabled"}.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402
from sip_lab import Respondent  # noqa: E402
from ui_screenshot_child import NOW, RAW_NUMBER, call_buttons, call_info, main_window  # noqa: E402

from cati.telephony.dialing import dial_uri  # noqa: E402
from cati.telephony.settings import PhoneSettings  # noqa: E402
from ui.call_view import CallView  # noqa: E402
from ui.softphone import Softphone  # noqa: E402

TIMEOUT_S = 20.0


def wait_until(app: QApplication, done, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.02)


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    ring_s = 6.0
    if "--ring" in argv:
        ring_s = float(argv[argv.index("--ring") + 1])
        args = [a for a in args if a != argv[argv.index("--ring") + 1]]
    if len(args) != 1:
        print(next(p for p in __doc__.split("\n\n") if p.startswith("Usage:")),
              file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("cati")
    shift = NOW.astimezone(dt.UTC) - dt.datetime.now(dt.UTC)  # real time -> the demo's evening
    view = CallView(now=lambda: dt.datetime.now(dt.UTC) + shift)
    view.set_phone_mode(True)
    view.show_call(call_info(), call_buttons())
    view.phone_idle()
    window = main_window(view)
    window.show()
    with Respondent("ring", user=RAW_NUMBER) as respondent:
        seat = PhoneSettings(aor=f"sip:8001@127.0.0.1:{respondent.agent.sip_port}",
                             register=False)
        phone = Softphone(seat, record=False)
        problems: list[str] = []
        phone.start_failed.connect(problems.append)
        phone.failed.connect(lambda _tag, why: problems.append(why))
        rang: list[dt.datetime] = []

        def progress(_tag: object, stage: str, at: dt.datetime) -> None:
            if stage == "ringing":
                rang.append(at)
            if stage != "ended":
                view.call_progress(stage, at + shift)

        phone.progress.connect(progress)
        wait_until(app, lambda: phone.is_ready or problems)
        if problems:
            raise SystemExit(problems[0])
        phone.dial(dial_uri(RAW_NUMBER, seat.domain), record_to=None, no_answer_after=60,
                   outcome_settings=None)
        wait_until(app, lambda: rang or problems)
        wait_until(app, lambda: (dt.datetime.now(dt.UTC) - rang[0]).total_seconds() >= ring_s,
                   ring_s + 5)
        view._show_phone()  # the second's redraw, not waiting for the next timer tick
        app.processEvents()
        pixmap = window.grab()
        path = out / "call_ringing.png"
        assert pixmap.save(str(path), "PNG"), path
        report = {"platform": app.platformName(), "file": str(path),
                  "size": [pixmap.width(), pixmap.height()], "stage": view.phone_stage,
                  "phone_text": view.phone_label.text(),
                  "ring_s": round((dt.datetime.now(dt.UTC) - rang[0]).total_seconds(), 2),
                  "hang_up_enabled": view.hang_up_button.isEnabled(),
                  "dial_enabled": view.dial_button.isEnabled()}
        phone.close()
        phone.join(10)
    window.close()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Starting the desktop app on a machine with no screen says so in one line (it used to print a
hint and then let Qt abort with a message about its xcb plugin)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _without_screen(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}}
    env["CATI_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_the_app_without_a_screen_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "cati"], env=_without_screen(tmp_path),
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert done.stderr.startswith("cati: no screen") and "scripts/run --xvfb" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_scripts_run_without_a_screen_stops_before_setting_anything_up(tmp_path):
    """The demo's passwords are printed once: scripts/run must not make the demo and then
    fail to start the window."""
    done = subprocess.run(["bash", str(ROOT / "scripts" / "run")], env=_without_screen(tmp_path),
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: no screen")
    assert "--xvfb" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()  # no database, no demo accounts made

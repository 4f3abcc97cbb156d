"""Fault injection for the import's tests: ``CATI_TEST_IMPORT_FAULT=POINT:ACTION`` makes the
process stop at a named point of an import as a real fault would stop it.

ACTION ``kill`` sends the process SIGKILL (kill -9: no cleanup of any kind runs); ``wait:FILE``
creates FILE and waits (up to a minute) until it is removed, so a test can restart the database
server between two steps. Unset (always, outside the tests) it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ENV = "CATI_TEST_IMPORT_FAULT"


def fault_point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, action = wanted.partition(":")
    if point != name:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action.startswith("wait:"):
        flag = Path(action[len("wait:"):])
        flag.touch()
        deadline = time.monotonic() + 60
        while flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

"""The interviewer window's softphone: one baresip agent (cati.telephony) on its own thread.

Decisions:

- The agent is started, dials, and is stopped on a thread of its own (``cati-phone``), never on
  the GUI thread nor on the database worker: a call lasts minutes, and the database work of the
  window (answers, the lease) goes on meanwhile. Commands reach the thread through a queue;
  what happens comes back by Qt signals, which Qt queues to the GUI thread.
- One call at a time; every signal of a call carries the tag the window dialled it with (its
  case), so a call that ends after the window moved on is never taken for the next case's.
- The hang-up is ``CallControl.hang_up`` (a flag the dialling thread polls
  every 0.1 s), so the GUI thread never waits for SIP.
- A seat with a registering account waits for REGISTER_OK (``REGISTER_WAIT_S``) before it says
  it is ready; a failure is one line and the window stays in manual mode.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from cati.telephony.baresip import BaresipAgent
from cati.telephony.call import CallControl, place_call
from cati.telephony.settings import PhoneSettings

REGISTER_WAIT_S = 10.0


class Softphone(QObject):
    ready = Signal()
    start_failed = Signal(str)
    # (tag, stage, aware UTC time): dialling | ringing | answered | ended
    progress = Signal(object, str, object)
    finished = Signal(object, object)  # (tag, cati.telephony.call.CallResult)
    failed = Signal(object, str)  # (tag, why): the call could not be made or followed

    def __init__(self, settings: PhoneSettings, *, record: bool,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.record = record
        self.agent: BaresipAgent | None = None
        self.is_ready = False
        self.control: CallControl | None = None  # the call in progress
        self._closing = False
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="cati-phone", daemon=True)
        self._thread.start()
        self._jobs.put(self._start)
        self.ready.connect(self._mark_ready)
        self.finished.connect(self._call_over)
        self.failed.connect(self._call_over)

    # -- what the window calls (GUI thread; nothing here waits) -------------------------------
    @property
    def in_call(self) -> bool:
        return self.control is not None

    def recording_target(self) -> Path | None:
        """Where the next call's recording goes until its attempt exists (the recordings
        folder's ``.incoming``); None when the project does not record."""
        if not self.record:
            return None
        return self.settings.recordings_dir() / ".incoming" / f"call-{uuid.uuid4().hex}.wav"

    def dial(self, uri: str, *, record_to: Path | None, no_answer_after: float,
             outcome_settings: Mapping | None, tag: object = None) -> CallControl:
        control = CallControl()
        self.control = control
        self.progress.emit(tag, "dialling", dt.datetime.now(dt.UTC))
        self._jobs.put(lambda: self._call(uri, record_to, no_answer_after, outcome_settings,
                                          control, tag))
        return control

    def hang_up(self) -> None:
        if self.control is not None:
            self.control.hang_up()

    def close(self) -> None:
        """Hang up, stop the agent and end the thread (in the background); once."""
        if self._closing:
            return
        self._closing = True
        self.hang_up()
        self._jobs.put(self._stop)
        self._jobs.put(None)

    def join(self, timeout: float) -> bool:
        """Wait for the thread to end (at exit, after close()); True when it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _mark_ready(self) -> None:
        self.is_ready = True

    def _call_over(self, _tag: object, _what: object) -> None:
        self.control = None

    # -- the phone's thread -------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            job()

    def _start(self) -> None:
        try:
            agent = BaresipAgent(self.settings.agent_options(record=self.record))
            agent.start()
        except Exception as exc:  # baresip missing, a port taken ...: said, manual mode
            self.start_failed.emit(_line(exc))
            return
        self.agent = agent
        if self.settings.has_account and self.settings.register:
            event = agent.wait_for({"REGISTER_OK", "REGISTER_FAIL"}, REGISTER_WAIT_S)
            if not event or event.get("type") != "REGISTER_OK":
                why = str(event.get("param") or "") if event else "no answer from the registrar"
                self._stop()
                self.start_failed.emit(f"{self.settings.aor}: not registered ({why})")
                return
        self.ready.emit()

    def _call(self, uri: str, record_to: Path | None, no_answer_after: float,
              outcome_settings: Mapping | None, control: CallControl, tag: object) -> None:
        if self.agent is None:
            self.failed.emit(tag, "the softphone is not running")
            return
        try:
            result = place_call(self.agent, uri, record_to=record_to,
                                no_answer_after=no_answer_after, settings=outcome_settings,
                                control=control,
                                on_progress=lambda kind, at: self.progress.emit(tag, kind, at))
        except Exception as exc:
            self.failed.emit(tag, _line(exc))
            return
        self.finished.emit(tag, result)

    def _stop(self) -> None:
        agent, self.agent = self.agent, None
        if agent is not None:
            with contextlib.suppress(Exception):  # stopping at exit: nobody left to tell
                agent.remove()


def _line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]

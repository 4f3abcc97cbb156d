"""Reading questions aloud: off the GUI thread, stoppable at once.

Why each utterance is an `espeak-ng` process where that program is installed (Linux; it exists
for Windows and macOS too), and not pyttsx3's espeak driver (pyttsx3 2.99, checked here):
- the driver synthesises the whole text in memory and then plays it with `os.system("aplay …")`
  inside espeak's callback, so the call blocks until the sound ends and nothing — engine.stop()
  from any thread included — can interrupt it; it also needs alsa-utils' aplay, which does not
  reach PulseAudio or PipeWire;
- its external loop is broken: `startLoop(False)` keeps `driver.iterate()`, which is not a
  generator, so the first `iterate()` raises TypeError (and synthesis only starts inside the
  driver's own loop anyway).
An `espeak-ng` process plays through PulseAudio/PipeWire or ALSA itself (libpcaudio); stop()
terminates it, so speech ends at once, mid-word.

Where there is no `espeak-ng` (Windows SAPI5, macOS NSSS), pyttsx3's engine is used: created and
driven only on the speech thread, stopped from its own started-word callback, so stop() takes
effect at the next word. (Not tested here: no such machine.)

Each Speaker has one Python thread that owns the engine and reads a queue of commands. Its
reports come back through a queued Qt signal, so `started`, `finished`, `stopped` and `failed`
are emitted on the GUI thread, in order. Every `started` is followed by exactly one of them.
"""

from __future__ import annotations

import contextlib
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

ESPEAK_NG = "espeak-ng"
PYTTSX3 = "pyttsx3"
DEFAULT_RATE = 175  # words per minute, espeak-ng's own default
MIN_RATE, MAX_RATE = 80, 450  # what espeak-ng accepts
INSTALL_HINT = (
    "未找到语音引擎：请安装 espeak-ng（sudo apt-get install espeak-ng） · "
    "No speech engine found: install espeak-ng (sudo apt-get install espeak-ng)"
)
_POLL_SECONDS = 0.05  # how often the speech thread looks at a running utterance
_CLOSE_TIMEOUT = 15.0  # a busy machine; it returns at once when the thread ends

# How Chinese a voice's language code is: lower is better (Mandarin first).
_CHINESE_RANK = {"cmn": 0, "zh-cmn": 0, "zh-cn": 0, "zh-hans": 0, "zh-hans-cn": 0, "zh": 1,
                 "zh-tw": 2, "zh-hant": 2, "zh-hk": 3, "zh-yue": 3, "yue": 3, "hak": 4}
_CHINESE_WORDS = ("chinese", "mandarin", "zh-cn", "zh_cn", "中文", "普通话", "huihui", "ting-ting")

Report = Callable[[str, str], None]


@dataclass(frozen=True)
class VoiceInfo:
    """A voice the engine offers; `id` is what set_voice() takes."""

    id: str
    name: str
    languages: tuple[str, ...] = ()


def default_engine() -> str:
    return ESPEAK_NG if shutil.which(ESPEAK_NG) else PYTTSX3


def speech_available(engine: str | None = None) -> tuple[bool, str]:
    """(True, "") when reading aloud works here, else (False, one line saying what to install)."""
    chosen = engine or default_engine()
    if engine is None and chosen == PYTTSX3 and sys.platform.startswith("linux"):
        # pyttsx3 on Linux drives the same espeak-ng, but cannot be stopped: ask for espeak-ng.
        return False, INSTALL_HINT
    try:
        voices = list_voices(chosen)
    except FileNotFoundError:
        return False, INSTALL_HINT
    except Exception as error:  # any engine failure is reported, not raised
        return False, f"语音引擎无法启动 Speech engine failed to start: {error}"
    if not voices:
        return False, "语音引擎没有可用的语音 The speech engine has no voices installed"
    return True, ""


def list_voices(engine: str | None = None) -> list[VoiceInfo]:
    """The voices installed for `engine` (default: espeak-ng where installed, else pyttsx3)."""
    if (engine or default_engine()) == ESPEAK_NG:
        return _espeak_voices()
    return _in_own_thread(lambda: _pyttsx3_voices(_new_pyttsx3_engine()))


def choose_default_voice(voices: list[VoiceInfo]) -> str | None:
    """The id of the most Mandarin-like Chinese voice, or None (the system's default voice)."""
    ranked = []
    for index, voice in enumerate(voices):
        rank = _chinese_rank(voice)
        if rank is not None:
            ranked.append((rank, index, voice.id))
    return min(ranked)[2] if ranked else None


def _chinese_rank(voice: VoiceInfo) -> tuple[int, int] | None:
    ranks = []
    for position, language in enumerate(voice.languages):
        code = language.lower().replace("_", "-")
        rank = _CHINESE_RANK.get(code, 2 if code.startswith("zh-") else None)
        if rank is not None:
            ranks.append((rank, position))
    if ranks:
        return min(ranks)
    words = f"{voice.name} {voice.id}".lower()
    return (5, 0) if any(word in words for word in _CHINESE_WORDS) else None


# --- espeak-ng as a process ------------------------------------------------------------------

def _espeak_voices() -> list[VoiceInfo]:
    output = subprocess.run([_espeak_path(), "--voices"], capture_output=True, check=True,
                            timeout=30, **_no_window()).stdout.decode("utf-8", "replace")
    voices = []
    # " 5  cmn   --/M   Chinese_(Mandarin,_latin_as_English) sit/cmn   (zh-cmn 5)(zh 5)"
    for line in output.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5:
            continue
        others = re.findall(r"\(([^\s()]+) \d+\)", " ".join(parts[5:]))
        languages = tuple(dict.fromkeys([parts[1], *others]))
        voices.append(VoiceInfo(parts[4], parts[3].replace("_", " "), languages))
    return voices


def _espeak_path() -> str:
    path = shutil.which(ESPEAK_NG)
    if path is None:
        raise FileNotFoundError(INSTALL_HINT)
    return path


def _no_window() -> dict[str, Any]:
    """No console window flashing up for each utterance on Windows."""
    return {"creationflags": subprocess.CREATE_NO_WINDOW} if sys.platform == "win32" else {}


class _EspeakUtterance:
    """One `espeak-ng` process speaking one text."""

    def __init__(self, text: str, voice_id: str | None, rate: int) -> None:
        args = [_espeak_path(), "-b", "1", "-s", str(rate)]  # -b 1: the text is UTF-8
        if voice_id:
            args += ["-v", voice_id]
        # A file, so a chatty stderr cannot block the process; closed in outcome() or cancel().
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._process = subprocess.Popen([*args, "--", text], stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=self._errors,
                                             **_no_window())
        except OSError:
            self._errors.close()
            raise
        self._outcome: tuple[str, str] | None = None

    def outcome(self) -> tuple[str, str] | None:
        """None while speaking, then ("finished", "") or ("failed", message)."""
        if self._outcome is None and self._process.poll() is not None:
            self._outcome = self._read_outcome(self._process.returncode)
        return self._outcome

    def _read_outcome(self, code: int) -> tuple[str, str]:
        self._errors.seek(0)
        lines = [line.strip() for line in self._errors.read().decode("utf-8", "replace")
                 .splitlines() if line.strip()]
        self._errors.close()
        if code != 0:
            detail = lines[-1] if lines else f"{ESPEAK_NG} exit {code}"
            return "failed", f"朗读失败 Reading aloud failed: {detail}"
        # espeak-ng exits 0 even when it could not open the sound output; it says "error: …".
        audio = [line for line in lines if line.lower().startswith("error:")]
        if audio:
            return "failed", ("无法播放声音，请检查音箱或耳机 Cannot play sound (check the "
                              f"speakers or headset): {audio[-1]}")
        return "finished", ""

    def cancel(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._errors.close()


class _EspeakBackend:
    def voices(self) -> list[VoiceInfo]:
        return _espeak_voices()

    def say(self, text: str, voice_id: str | None, rate: int,
            still_wanted: Callable[[], bool]) -> _EspeakUtterance:
        return _EspeakUtterance(text, voice_id, rate)

    def close(self) -> None:
        pass


# --- pyttsx3 (SAPI5, NSSS) -------------------------------------------------------------------

def _new_pyttsx3_engine() -> Any:
    """A pyttsx3 engine for the calling thread (its own, not pyttsx3.init()'s shared one)."""
    import pyttsx3

    if sys.platform == "win32":  # SAPI5 is COM: each thread initialises COM itself
        with contextlib.suppress(ImportError):
            import comtypes

            comtypes.CoInitialize()
    return pyttsx3.Engine()


def _pyttsx3_voices(engine: Any) -> list[VoiceInfo]:
    return [VoiceInfo(str(voice.id), str(voice.name or voice.id),
                      tuple(str(language) for language in (voice.languages or ())))
            for voice in engine.getProperty("voices")]


class _Done:
    def __init__(self, outcome: tuple[str, str]) -> None:
        self._outcome = outcome

    def outcome(self) -> tuple[str, str]:
        return self._outcome

    def cancel(self) -> None:
        pass


class _Pyttsx3Backend:
    def __init__(self) -> None:
        self._engine = _new_pyttsx3_engine()
        self._default_voice = self._engine.getProperty("voice")
        self._still_wanted: Callable[[], bool] = lambda: True
        self._interrupted = False
        self._errors: list[str] = []
        self._engine.connect("started-word", self._on_word)
        self._engine.connect("error", self._on_error)

    def voices(self) -> list[VoiceInfo]:
        return _pyttsx3_voices(self._engine)

    def say(self, text: str, voice_id: str | None, rate: int,
            still_wanted: Callable[[], bool]) -> _Done:
        """Speaks to the end (blocking this thread) unless still_wanted() turns false."""
        self._still_wanted, self._interrupted, self._errors = still_wanted, False, []
        self._engine.setProperty("voice", voice_id or self._default_voice)
        self._engine.setProperty("rate", rate)
        self._engine.say(text)
        self._engine.runAndWait()
        if self._errors:
            return _Done(("failed", f"朗读失败 Reading aloud failed: {self._errors[-1]}"))
        return _Done(("stopped", "") if self._interrupted else ("finished", ""))

    def _on_word(self, **_word: Any) -> None:
        if not self._interrupted and not self._still_wanted():
            self._interrupted = True
            self._engine.stop()

    def _on_error(self, exception: BaseException | None = None, **_details: Any) -> None:
        self._errors.append(str(exception))

    def close(self) -> None:
        self._engine = None


def _in_own_thread(work: Callable[[], Any]) -> Any:
    """Runs `work` on a fresh thread (engines belong to the thread that made them)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as error:
            result["error"] = error

    thread = threading.Thread(target=run, name="cati-speech-probe", daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


# --- the speech thread -----------------------------------------------------------------------

class _Latest:
    """The number of the newest speak/stop request; only the GUI thread writes it."""

    def __init__(self) -> None:
        self.value = 0


class _SpeechThread:
    """Owns the backend; runs on its own thread and reports through `report(kind, message)`."""

    def __init__(self, engine: str, commands: queue.SimpleQueue, latest: _Latest,
                 report: Report) -> None:
        self._engine, self._commands, self._latest, self._report = engine, commands, latest, report
        self._backend: _EspeakBackend | _Pyttsx3Backend | None = None
        self._voices: list[VoiceInfo] | None = None
        self._voice: str | None = None  # None: the default (Chinese where installed)
        self._rate = DEFAULT_RATE
        self._current: Any = None  # the running utterance

    def run(self) -> None:
        try:
            while True:
                wait = _POLL_SECONDS if self._current is not None else None
                try:
                    kind, value, number = self._commands.get(timeout=wait)
                except queue.Empty:
                    kind = None
                if kind == "close":
                    return
                if kind is not None:
                    self._handle(kind, value, number)
                self._check_current()
        finally:
            if self._current is not None:
                self._current.cancel()
            if self._backend is not None:
                self._backend.close()

    def _handle(self, kind: str, value: Any, number: int) -> None:
        if kind in ("speak", "stop"):
            self._end_current()
            if kind == "speak" and number == self._latest.value:  # not already replaced
                self._start(value, number)
        elif kind == "voice":
            self._set_voice(value)
        elif kind == "rate":
            self._rate = max(MIN_RATE, min(MAX_RATE, value))

    def _start(self, text: str, number: int) -> None:
        self._report("started", "")
        try:
            backend = self._ensure_backend()
            voice = self._voice or choose_default_voice(self._known_voices())
            self._current = backend.say(text, voice, self._rate,
                                        lambda: self._latest.value == number)
        except Exception as error:  # a broken engine is reported, not raised
            self._current = None
            self._report("failed", f"朗读失败 Reading aloud failed: {error}")

    def _end_current(self) -> None:
        if self._current is not None and self._current.outcome() is None:
            self._current.cancel()
            self._current = None
            self._report("stopped", "")
        self._check_current()

    def _check_current(self) -> None:
        if self._current is not None and (outcome := self._current.outcome()) is not None:
            self._current = None
            self._report(*outcome)

    def _set_voice(self, voice_id: str | None) -> None:
        try:
            known = voice_id is None or any(v.id == voice_id for v in self._known_voices(True))
        except Exception as error:
            self._report("error", f"无法列出语音 Cannot list the voices: {error}")
            return
        if known:
            self._voice = voice_id
        else:
            self._report("error", f"没有这个语音 No such voice: {voice_id}")

    def _ensure_backend(self) -> _EspeakBackend | _Pyttsx3Backend:
        if self._backend is None:
            self._backend = _EspeakBackend() if self._engine == ESPEAK_NG else _Pyttsx3Backend()
        return self._backend

    def _known_voices(self, fresh: bool = False) -> list[VoiceInfo]:
        if fresh or self._voices is None:  # fresh: a voice may have been installed since
            self._voices = self._ensure_backend().voices()
        return self._voices


def _shut_down(commands: queue.SimpleQueue, latest: _Latest, thread: threading.Thread) -> None:
    latest.value += 1  # a pyttsx3 utterance in progress stops at its next word
    commands.put(("close", None, 0))
    thread.join(timeout=_CLOSE_TIMEOUT)


class _Relay(QObject):
    """Carries the speech thread's reports to the GUI thread (a queued connection)."""

    event = Signal(str, str)


class Speaker(QObject):
    """Reads texts aloud on its own thread; every method returns at once.

    Signals (on the GUI thread): `started` when an utterance begins, then exactly one of
    `finished` (read to the end), `stopped` (by stop() or a newer speak()) or `failed(message)`
    (close() ends speech silently). `failed(message)` also when set_voice() names a voice that
    is not installed; the previous voice stays. Voice and rate apply from the next speak().
    """

    started = Signal()
    finished = Signal()
    stopped = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, *, engine: str | None = None) -> None:
        super().__init__(parent)
        self._speaking = False
        self._latest = _Latest()
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._relay = _Relay()
        self._relay.event.connect(self._deliver)
        worker = _SpeechThread(engine or default_engine(), self._commands, self._latest,
                               self._relay.event.emit)
        self._thread = threading.Thread(target=worker.run, name="cati-speech", daemon=True)
        self._thread.start()
        # close() at the latest when the Speaker is collected or the interpreter exits.
        self._closer = weakref.finalize(self, _shut_down, self._commands, self._latest,
                                        self._thread)

    def speak(self, text: str) -> None:
        """Reads `text` aloud, replacing whatever is being read; empty text just stops."""
        if not text.strip():
            self.stop()
            return
        self._request("speak", text)

    def stop(self) -> None:
        """Ends the utterance in progress (if any) now; `stopped` follows."""
        self._request("stop", None)

    def set_voice(self, voice_id: str | None) -> None:
        """A voice id from list_voices(); None or "" for the default (Chinese where installed)."""
        self._commands.put(("voice", voice_id or None, 0))

    def set_rate(self, words_per_min: int) -> None:
        self._commands.put(("rate", int(words_per_min), 0))

    @property
    def speaking(self) -> bool:
        """Whether an utterance has started and not yet ended, as the GUI thread has heard."""
        return self._speaking

    def close(self) -> None:
        """Stops speech and ends the speech thread (waits for it at most a few seconds)."""
        self._closer()

    def _request(self, kind: str, value: str | None) -> None:
        if not self._closer.alive:
            return
        self._latest.value += 1
        self._commands.put((kind, value, self._latest.value))

    @Slot(str, str)
    def _deliver(self, kind: str, message: str) -> None:
        if kind == "started":
            self._speaking = True
            self.started.emit()
            return
        if kind != "error":
            self._speaking = False
        if kind == "finished":
            self.finished.emit()
        elif kind == "stopped":
            self.stopped.emit()
        else:
            self.failed.emit(message)

"""Reading aloud with the real espeak-ng, into a silent sound output that plays in real time.

The sound output is a private PulseAudio server with a null sink (no sound card needed, nothing
heard): espeak-ng plays into it at the speed of speech, so a long text really takes minutes and
stop() has something to interrupt. Without a sound server espeak-ng "finishes" at once.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ui.speech import (
    PYTTSX3,
    Speaker,
    VoiceInfo,
    choose_default_voice,
    list_voices,
    speech_available,
)

SHORT = "您好"
# About five minutes of speech: a stop that works ends it long before that.
LONG = "您好，这里是县统计局民意调查中心，我们正在开展公众安全感和满意度测评。" * 30
SIGNAL_TIMEOUT = 60_000  # ms; generous, the signals themselves are what is checked


def _wait_for_socket(path: Path, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(path))
                return
            except OSError:
                time.sleep(0.05)
    pytest.fail(f"the test sound server did not start (exit {process.poll()})", pytrace=False)


@pytest.fixture(scope="module")
def silent_sound_output(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private PulseAudio server with one null sink; PULSE_SERVER points espeak-ng at it."""
    pulseaudio = shutil.which("pulseaudio")
    if pulseaudio is None:
        pytest.fail("the speech tests need a sound server: apt-get install pulseaudio",
                    pytrace=False)
    home = tmp_path_factory.mktemp("pulse")
    home.chmod(0o700)
    server_socket = home / "native"
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(home),
           "XDG_CONFIG_HOME": str(home / "config")}
    env.pop("PULSE_SERVER", None)
    process = subprocess.Popen(
        [pulseaudio, "--daemonize=no", "-n", "--exit-idle-time=-1", "--use-pid-file=no",
         "--disable-shm=yes", "--realtime=no", "--high-priority=no",
         "--log-target=stderr", "--log-level=error",
         "-L", "module-null-sink sink_name=cati_test_null",
         "-L", f"module-native-protocol-unix socket={server_socket} auth-anonymous=1"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_socket(server_socket, process, seconds=30)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PULSE_SERVER", f"unix:{server_socket}")
            yield str(server_socket)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def speaker(qtbot, silent_sound_output) -> Iterator[Speaker]:
    speaker = Speaker()
    yield speaker
    speaker.close()


def _record(speaker: Speaker) -> list[str]:
    events: list[str] = []
    speaker.started.connect(lambda: events.append("started"))
    speaker.finished.connect(lambda: events.append("finished"))
    speaker.stopped.connect(lambda: events.append("stopped"))
    speaker.failed.connect(lambda message: events.append(f"failed: {message}"))
    return events


def test_speech_is_available_here():
    assert speech_available() == (True, "")


def test_a_mandarin_voice_is_found_and_chosen_by_default():
    voices = list_voices()
    chosen = choose_default_voice(voices)
    assert chosen is not None
    assert next(v for v in voices if v.id == chosen).languages[0] == "cmn"


def test_without_a_chinese_voice_the_system_default_is_kept():
    english = [VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb", "en"))]
    assert choose_default_voice(english) is None


def test_a_windows_chinese_voice_is_recognised_by_its_name():
    voices = [
        VoiceInfo(r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Speech\Voices\Tokens\TTS_MS_EN-US_ZIRA",
                  "Microsoft Zira Desktop - English (United States)"),
        VoiceInfo(r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Speech\Voices\Tokens\TTS_MS_ZH-CN_HUIHUI",
                  "Microsoft Huihui Desktop - Chinese (Simplified)"),
    ]
    assert choose_default_voice(voices) == voices[1].id


def test_speak_returns_before_the_speech_is_over(qtbot, speaker):
    events = _record(speaker)
    with qtbot.waitSignal(speaker.finished, timeout=SIGNAL_TIMEOUT):
        speaker.speak(SHORT)
        events.append("speak returned")
    assert events == ["speak returned", "started", "finished"]
    assert not speaker.speaking


def test_stop_interrupts_a_long_text(qtbot, speaker):
    events = _record(speaker)
    with qtbot.waitSignal(speaker.started, timeout=SIGNAL_TIMEOUT):
        speaker.speak(LONG)
    assert speaker.speaking
    with qtbot.waitSignal(speaker.stopped, timeout=SIGNAL_TIMEOUT):
        speaker.stop()
    assert events == ["started", "stopped"]
    assert not speaker.speaking


def test_speak_while_speaking_replaces_the_utterance(qtbot, speaker):
    events = _record(speaker)
    with qtbot.waitSignal(speaker.started, timeout=SIGNAL_TIMEOUT):
        speaker.speak(LONG)
    with qtbot.waitSignal(speaker.finished, timeout=SIGNAL_TIMEOUT):
        speaker.speak(SHORT)
    assert events == ["started", "stopped", "started", "finished"]


def test_a_rate_and_an_installed_voice_are_used(qtbot, speaker):
    events = _record(speaker)
    speaker.set_rate(300)
    speaker.set_voice(choose_default_voice(list_voices()))
    with qtbot.waitSignal(speaker.finished, timeout=SIGNAL_TIMEOUT):
        speaker.speak(SHORT)
    assert events == ["started", "finished"]


def test_a_bad_voice_is_reported_and_the_previous_voice_stays(qtbot, speaker):
    events = _record(speaker)
    with qtbot.waitSignal(speaker.failed, timeout=SIGNAL_TIMEOUT) as blocker:
        speaker.set_voice("no-such/voice")
    assert "no-such/voice" in blocker.args[0]
    with qtbot.waitSignal(speaker.finished, timeout=SIGNAL_TIMEOUT):
        speaker.speak(SHORT)
    assert events[1:] == ["started", "finished"]


def test_close_stops_speech_and_ends_the_thread(qtbot, silent_sound_output):
    others = set(threading.enumerate())  # speakers of other tests are not this one's business
    speaker = Speaker()
    with qtbot.waitSignal(speaker.started, timeout=SIGNAL_TIMEOUT):
        speaker.speak(LONG)
    speaker.close()
    assert [thread for thread in threading.enumerate()
            if thread.name == "cati-speech" and thread not in others] == []
    speaker.speak(SHORT)  # after close: ignored, no error
    speaker.close()  # twice: harmless


def test_pyttsx3_engine_lists_the_same_voices_and_speaks(qtbot, silent_sound_output):
    voices = list_voices(PYTTSX3)
    assert choose_default_voice(voices) == choose_default_voice(list_voices())
    speaker = Speaker(engine=PYTTSX3)
    try:
        events = _record(speaker)
        with qtbot.waitSignal(speaker.finished, timeout=SIGNAL_TIMEOUT):
            speaker.speak(SHORT)
            events.append("speak returned")
        assert events == ["speak returned", "started", "finished"]
    finally:
        speaker.close()

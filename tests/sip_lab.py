"""A SIP laboratory on loopback for the telephony tests: real baresip respondents and a real
kamailio, never a fake of SIP.

- ``speech_wav``: Chinese speech made with espeak-ng, resampled by sox to what G.711 carries
  (mono, 8000 Hz, 16-bit).
- ``Respondent``: a second baresip (cati.telephony.baresip.BaresipAgent with a local account):
  ``auto`` answers and plays a WAV (and hangs up when it ends: baresip ends a call when its
  aufile source ends), ``ring`` never answers, ``busy`` turns every call down (baresip answers
  486 when its user hangs up an incoming call).
- ``Kamailio``: a SIP server from Debian. As the "network" it answers by the called user:
  ``busy`` 486, ``decline`` 603, ``down`` 503, anything else 404. As a registrar it asks for
  digest authentication (REGISTER and INVITE) with one password, keeps bindings in memory and
  answers a call to ``913812345678`` (a mobile dialled with trunk prefix 9) with 486.
A missing binary fails the test (scripts/test installs them): nothing here skips.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

from cati.telephony.baresip import AgentOptions, BaresipAgent, free_sip_port

SPEECH_ZH = "您好，这里是县统计局民意调查中心，本次通话可能会被录音。"


def need(binary: str) -> str:
    found = shutil.which(binary)
    assert found, f"{binary} is not installed: scripts/test installs it"
    return found


def speech_wav(folder: Path, text: str = SPEECH_ZH, name: str = "speech.wav",
               seconds: float | None = None) -> Path:
    """espeak-ng speech as mono 8 kHz 16-bit; ``seconds``: cut or padded to that length."""
    raw = folder / f"{name}.raw.wav"
    target = folder / name
    subprocess.run([need("espeak-ng"), "-v", "zh", "-w", str(raw), text], check=True,
                   capture_output=True)
    effects = ["trim", "0", str(seconds)] if seconds else []
    subprocess.run([need("sox"), str(raw), "-r", "8000", "-c", "1", "-b", "16", str(target),
                    *effects], check=True, capture_output=True)
    short = seconds - wav_seconds(target) if seconds else 0
    if short > 0.01:  # the speech was shorter: silence after it, up to ``seconds``
        padded = folder / f"{name}.pad.wav"
        subprocess.run([need("sox"), str(target), str(padded), "pad", "0", f"{short:.3f}"],
                       check=True, capture_output=True)
        padded.replace(target)
    return target


def wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path), "rb") as source:
        return source.getnframes() / source.getframerate()


class Respondent:
    def __init__(self, mode: str, play: Path | None = None, user: str = "resp") -> None:
        need("baresip")
        self.mode = mode
        options = AgentOptions(answermode="auto" if mode == "auto" else "manual",
                               audio_source=str(play) if play else "null", local_user=user)
        self.agent = BaresipAgent(options)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def uri(self) -> str:
        return self.agent.contact_uri

    def start(self) -> Respondent:
        self.agent.start()
        if self.mode == "busy":
            self._thread = threading.Thread(target=self._decline, daemon=True)
            self._thread.start()
        return self

    def _decline(self) -> None:
        while not self._stop.is_set():
            event = self.agent.next_event(0.2)
            if event and event.get("type") == "CALL_INCOMING":
                self.agent.hangup()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.agent.remove()

    def __enter__(self) -> Respondent:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


KAMAILIO_MODULES = ("/usr/lib/x86_64-linux-gnu/kamailio/modules",
                    "/usr/lib/aarch64-linux-gnu/kamailio/modules", "/usr/lib/kamailio/modules",
                    "/usr/lib64/kamailio/modules")

KAMAILIO_CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}
disable_tcp=yes
mpath="{modules}/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
request_route {{
  if (is_method("ACK")) {{ exit; }}
  if (is_method("REGISTER")) {{
    if (!pv_www_authenticate("$td", "{password}", "0")) {{ www_challenge("$td", "0"); exit; }}
    if (!save("location")) {{ sl_reply_error(); }}
    exit;
  }}
  if ($rU == "913812345678") {{
    if (!pv_proxy_authenticate("$fd", "{password}", "0")) {{
      proxy_challenge("$fd", "0"); exit;
    }}
    sl_send_reply("486", "Busy Here"); exit;
  }}
  if ($rU == "busy") {{ sl_send_reply("486", "Busy Here"); exit; }}
  if ($rU == "decline") {{ sl_send_reply("603", "Decline"); exit; }}
  if ($rU == "down") {{ sl_send_reply("503", "Service Unavailable"); exit; }}
  sl_send_reply("404", "Not Found");
}}
"""


class Kamailio:
    def __init__(self, folder: Path, password: str = "s3cret") -> None:
        self.binary = need("kamailio")
        self.folder = folder
        self.password = password
        self.port = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> Kamailio:
        modules = next((m for m in KAMAILIO_MODULES if Path(m, "registrar.so").exists()), None)
        assert modules, "kamailio's modules are not installed"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_sip_port()
        cfg = self.folder / "kamailio.cfg"
        cfg.write_text(KAMAILIO_CFG.format(port=self.port, modules=modules,
                                           password=self.password), encoding="utf-8")
        log = open(self.folder / "kamailio.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [self.binary, "-f", str(cfg), "-DD", "-E", "-P", str(self.folder / "pid"),
             "-Y", str(self.folder)], stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        try:
            while "SO_RCVBUF is finally" not in self.log():
                assert self.process.poll() is None, "kamailio stopped: " + self.log()[-500:]
                assert time.monotonic() < deadline, ("kamailio did not start: "
                                                     + self.log()[-500:])
                time.sleep(0.05)
        except BaseException:
            self.stop()
            raise
        return self

    def log(self) -> str:
        return (self.folder / "kamailio.log").read_text(encoding="utf-8", errors="replace")

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> Kamailio:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

"""One baresip SIP user agent per workstation, started, driven and stopped by cati.

Decisions (measured with Debian's baresip-core 1.0.0):

- The SIP stack is baresip's, never ours: cati writes a private config directory (``config``,
  ``accounts``, empty ``contacts``), starts ``baresip -f DIR`` and speaks its ``ctrl_tcp``
  interface: netstrings (``LEN:JSON,``) carrying ``{"command", "params", "token"}``; baresip
  answers ``{"response": true, "ok", "data", "token"}`` and sends events
  ``{"event": true, "type", "class", "direction", "peeruri", "id", "param"}``. The commands
  (``dial``, ``hangup``, ``accept``) come from the ``menu`` module, so it is always loaded.
- ``sip_listen HOST:P`` binds UDP and TCP on P and SIP/TLS on P+1 (baresip 1.0 has no setting
  to leave TLS out): a free port is one whose P and P+1 are both free. SIP and ctrl_tcp listen
  on loopback unless the settings name another address (a trunk on the centre's network needs
  the workstation's LAN address).
- No sound card is needed: the ``null`` audio device plays into ``aubridge`` (nowhere) and
  takes its microphone from ``aubridge`` too (no frames: the interviewer's side of a recording
  is silence) or, for tests and set-up, from a WAV file (``aufile``; baresip ends the call when
  the file ends, so the file must outlast the call). A headset is ``alsa,default``.
- Recording is baresip's ``sndfile`` module: for every call it writes two mono 16-bit WAVs in
  ``snd_path``, ``dump-<time>-enc.wav`` (what the workstation sent) and ``dump-<time>-dec.wav``
  (what it received); cati.telephony.recording merges them into one file per call.
- baresip's messages go to ``baresip.log`` in the config directory (the version, the codecs it
  loaded and the errors are read from there).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cati.errors import CatiError

MODULE_DIRS = (Path("/usr/lib/baresip/modules"), Path("/usr/lib64/baresip/modules"),
               Path("/usr/local/lib/baresip/modules"))
REQUIRED_MODULES = ("ctrl_tcp", "menu", "account", "g711", "sndfile", "aufile", "aubridge")
NULL_AUDIO = "null"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class SoftphoneError(CatiError):
    """The softphone cannot run (baresip missing, a module missing, it exited, it refused)."""


@dataclass(frozen=True, slots=True)
class SipAccount:
    """The centre's SIP account: ``aor`` like ``sip:8001@pbx.example.cn``; ``outbound`` the
    proxy/registrar to send everything through (blank: the AOR's domain); ``password`` from the
    keyring, never from a settings file."""

    aor: str
    password: str = ""
    auth_user: str = ""
    outbound: str = ""
    register: bool = True
    regint: int = 600

    def line(self, codecs: tuple[str, ...]) -> str:
        """baresip's account line. Its parameter values end at ``;`` or white space and are not
        unquoted (baresip 1.0), so a password or user holding one is refused here rather than
        cut short there (a registration failing for no visible reason)."""
        for name, value in (("password", self.password), ("auth user", self.auth_user)):
            if any(c in value for c in ' ;"\t\r\n'):
                raise SoftphoneError(f"the SIP {name} holds a space, ';' or '\"', which "
                                     "baresip cannot take: set another one on the PBX")
        params = ["answermode=manual", f"regint={self.regint if self.register else 0}"]
        if self.auth_user:
            params.append(f"auth_user={self.auth_user}")
        if self.password:
            params.append(f"auth_pass={self.password}")
        if self.outbound:
            params.append(f'outbound="{self.outbound}"')
        if codecs:
            params.append("audio_codecs=" + ",".join(codecs))
        return f"<{self.aor}>;" + ";".join(params)


@dataclass(frozen=True, slots=True)
class AgentOptions:
    """How to start one agent. ``account`` None: a local account ``sip:cati@HOST`` that dials
    direct URIs (``sip:resp@127.0.0.1:5080``) without a registrar."""

    account: SipAccount | None = None
    listen_host: str = "127.0.0.1"
    codecs: tuple[str, ...] = ("pcma", "pcmu")
    audio_player: str = NULL_AUDIO  # "null" or baresip's "driver,device" (alsa,default)
    audio_source: str = NULL_AUDIO  # "null", a WAV path (aufile), or "driver,device"
    record: bool = False
    answermode: str = "manual"  # the local account's: "auto" answers (a test respondent)
    local_user: str = "cati"
    rtp_ports: str = ""  # "10000-20000": the range a centre's firewall lets through
    extra_config: tuple[str, ...] = field(default_factory=tuple)


def baresip_binary() -> str | None:
    return shutil.which("baresip")


def module_dir() -> Path | None:
    return next((d for d in MODULE_DIRS if d.is_dir()), None)


def available_modules() -> list[str]:
    folder = module_dir()
    if folder is None:
        return []
    return sorted(p.stem for p in folder.glob("*.so"))


def baresip_version(binary: str) -> str:
    """The version baresip prints in its banner (``baresip v1.0.0 Copyright ...``)."""
    done = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=10,
                          check=False)
    match = re.search(r"baresip v(\S+)", done.stdout + done.stderr)
    return match.group(1) if match else ""


def _port_free(port: int, host: str, udp: bool) -> bool:
    kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if udp else (socket.SOCK_STREAM,)
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                return False
    return True


def free_sip_port(host: str = "127.0.0.1") -> int:
    """A port P with P (UDP and TCP) and P+1 (TCP, baresip's SIP/TLS) free."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        if port < 65535 and _port_free(port, host, True) and _port_free(port + 1, host, False):
            return port
    raise SoftphoneError("no free SIP port on " + host)


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def netstring(payload: dict) -> bytes:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return str(len(body)).encode() + b":" + body + b","


def parse_netstrings(buffer: bytearray) -> list[dict]:
    """Complete netstrings taken off the front of ``buffer`` (what is left stays in it)."""
    found = []
    while True:
        colon = buffer.find(b":")
        if colon < 0:
            return found
        length = int(buffer[:colon])
        end = colon + 1 + length
        if len(buffer) < end + 1:
            return found
        body = bytes(buffer[colon + 1:end])
        del buffer[:end + 1]
        found.append(json.loads(body))


class BaresipAgent:
    """One running baresip. Use as a context manager, or start()/stop().

    Events are read by a thread into a queue; ``command`` waits for the response with its token
    (the events that came meanwhile stay queued, in order, for ``events``)."""

    def __init__(self, options: AgentOptions | None = None, folder: Path | None = None) -> None:
        self.options = options or AgentOptions()
        self._own_folder = folder is None
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="cati-sip-"))
        self.record_dir = self.folder / "recordings"
        self.sip_port = 0
        self.ctrl_port = 0
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._events: queue.Queue[dict] = queue.Queue()
        self._responses: dict[str, dict] = {}
        self._responded = threading.Condition()
        self._reader: threading.Thread | None = None
        self._tokens = itertools.count(1)
        self._closed = False

    # -- configuration ---------------------------------------------------------------------

    @property
    def local_aor(self) -> str:
        return f"sip:{self.options.local_user}@{self.options.listen_host}"

    @property
    def contact_uri(self) -> str:
        """Where another agent reaches this one directly."""
        return f"sip:{self.options.local_user}@{self.options.listen_host}:{self.sip_port}"

    def _audio(self, value: str, source: bool) -> str:
        if value == NULL_AUDIO:
            return "aubridge,silence" if source else "aubridge,nowhere"
        if source and (value.endswith(".wav") or os.sep in value):
            return f"aufile,{value}"
        return value

    def config_text(self) -> str:
        o = self.options
        lines = [
            "poll_method epoll",
            f"sip_listen {o.listen_host}:{self.sip_port}",
            "call_local_timeout 120",
            "call_max_calls 4",
            f"audio_player {self._audio(o.audio_player, False)}",
            f"audio_source {self._audio(o.audio_source, True)}",
            f"audio_alert {self._audio(o.audio_player, False)}",
            "audio_level no",
            "rtcp_mux no",
            "jitter_buffer_delay 5-10",
            *([f"rtp_ports {o.rtp_ports}"] if o.rtp_ports else []),
            f"module_path {module_dir()}",
            "module g711.so",
            "module aufile.so",
            "module aubridge.so",
        ]
        if o.audio_player.startswith("alsa") or o.audio_source.startswith("alsa"):
            lines.append("module alsa.so")
        if o.record:
            lines += [f"snd_path {self.record_dir}", "module sndfile.so"]
        lines += [
            "module_tmp account.so",
            "module_app menu.so",
            # menu prints the call's status line ten times a second: ~1 MB of log per hour
            "statmode_default off",
            "module_app ctrl_tcp.so",
            f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
            *o.extra_config,
        ]
        return "\n".join(lines) + "\n"

    def accounts_text(self) -> str:
        o = self.options
        if o.account is not None:
            return ""  # created with ``uanew`` once connected: see start()
        codecs = ";audio_codecs=" + ",".join(o.codecs) if o.codecs else ""
        return f"<{self.local_aor}>;regint=0;answermode={o.answermode}{codecs}\n"

    # -- life ------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> BaresipAgent:
        """Write the config, start baresip, connect to its control port and make the SIP
        account. Whatever fails on the way stops the process it started and removes the folder
        made for it (a context manager's exit does not run when its entry raises)."""
        try:
            binary = baresip_binary()
            if binary is None:
                raise SoftphoneError("baresip is not installed (Debian: apt-get install "
                                     "baresip-core)")
            missing = [m for m in REQUIRED_MODULES if m not in available_modules()]
            if missing:
                raise SoftphoneError("baresip modules missing: " + ", ".join(missing))
            account_line = (self.options.account.line(self.options.codecs)
                            if self.options.account is not None else None)
        except SoftphoneError:
            self.remove()  # the folder made in __init__
            raise
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.record_dir.mkdir(mode=0o700, exist_ok=True)
        self.sip_port = free_sip_port(self.options.listen_host)
        self.ctrl_port = free_tcp_port()
        (self.folder / "config").write_text(self.config_text(), encoding="utf-8")
        (self.folder / "accounts").write_text(self.accounts_text(), encoding="utf-8")
        (self.folder / "contacts").write_text("", encoding="utf-8")
        log = open(self.log_path, "wb")  # noqa: SIM115 - the child writes it while it runs
        try:
            self._process = subprocess.Popen(
                [binary, "-f", str(self.folder)], stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True)
        finally:
            log.close()
        try:
            self._connect(timeout)
            if account_line is not None:
                # An account from the accounts file registers before the control connection
                # is open, and baresip sends events only to a connected client: the
                # REGISTER_OK or REGISTER_FAIL would be lost. Made here, its registration
                # events reach us (and the password never touches the disk).
                reply = self.command("uanew", account_line)
                if not reply.get("ok"):
                    raise SoftphoneError("baresip refused the SIP account: "
                                         + str(reply.get("data") or self.last_error()))
        except BaseException:
            self.remove()
            raise
        return self

    def _connect(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise SoftphoneError("baresip stopped at start: " + self.last_error())
            try:
                self._sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SoftphoneError("baresip did not open its control port: "
                                         + self.last_error()) from None
                time.sleep(0.05)
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="baresip-ctrl", daemon=True)
        self._reader.start()

    def stop(self) -> None:
        """Quit baresip (it hangs up its calls and unregisters), kill it if it lingers."""
        self._closed = True
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()
            self._sock = None
        if self._process is not None and self._process.poll() is None:
            # baresip's first SIGTERM unregisters and waits for open SIP transactions (a CANCEL
            # to a dead line waits out its 32 s timer); the second stops at once.
            for signal_wait in (1.0, 2.0):
                self._process.terminate()
                try:
                    self._process.wait(timeout=signal_wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=2)

    def remove(self) -> None:
        """Stop, and delete the config directory made for this agent."""
        self.stop()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> BaresipAgent:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.remove()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path:
        return self.folder / "baresip.log"

    def log_lines(self) -> list[str]:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        return [_ANSI.sub("", line).strip() for line in text.splitlines() if line.strip()]

    def last_error(self) -> str:
        lines = self.log_lines()
        failing = [line for line in lines if "failed" in line or "could not" in line
                   or "error" in line.lower()]
        return (failing or lines or ["(no output)"])[-1]

    def codecs(self) -> list[str]:
        """The audio codecs baresip loaded (``aucodec: PCMU/8000/1`` in its log)."""
        return [line.split(":", 1)[1].strip() for line in self.log_lines()
                if line.startswith("aucodec:")]

    # -- control -----------------------------------------------------------------------------

    def _read(self) -> None:
        buffer = bytearray()
        sock = self._sock
        while sock is not None:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            buffer += chunk
            for message in parse_netstrings(buffer):
                if message.get("response"):
                    with self._responded:
                        self._responses[str(message.get("token"))] = message
                        self._responded.notify_all()
                elif message.get("event"):
                    message["_at"] = time.monotonic()
                    self._events.put(message)
        self._events.put({"event": True, "type": "_GONE", "_at": time.monotonic()})

    def command(self, name: str, params: str | None = None, timeout: float = 10.0) -> dict:
        if self._sock is None:
            raise SoftphoneError("baresip is not running")
        token = f"c{next(self._tokens)}"
        payload = {"command": name, "token": token}
        if params is not None:
            payload["params"] = params
        self._sock.sendall(netstring(payload))
        deadline = time.monotonic() + timeout
        with self._responded:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or not self.running:
                    raise SoftphoneError(f"baresip did not answer {name!r}: " + self.last_error())
                self._responded.wait(min(left, 0.5))
            return self._responses.pop(token)

    def dial(self, uri: str) -> dict:
        return self.command("dial", uri)

    def hangup(self) -> dict:
        """Hang up the current call (a ringing incoming one is turned down with 486)."""
        return self.command("hangup")

    def accept(self) -> dict:
        """Answer the ringing incoming call."""
        return self.command("accept")

    def next_event(self, timeout: float) -> dict | None:
        """The next event, or None after ``timeout`` seconds. A ``_GONE`` event says the
        control connection closed (baresip exited)."""
        try:
            return self._events.get(timeout=max(timeout, 0))
        except queue.Empty:
            return None

    def events(self, timeout: float) -> Iterator[dict]:
        """Events until ``timeout`` seconds pass without one."""
        while (event := self.next_event(timeout)) is not None:
            yield event

    def wait_for(self, types: set[str], timeout: float) -> dict | None:
        """The first event of one of ``types`` within ``timeout`` seconds (others dropped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            event = self.next_event(left)
            if event is None:
                return None
            if event.get("type") in types or event.get("type") == "_GONE":
                return event
        return None

"""The workstation's softphone settings: ``phone.json`` in the user data directory.

Decisions:

- The SIP account (AOR, auth user, outbound proxy/registrar), the codecs, the audio devices
  and the recordings folder are per workstation (each seat has its own extension on the PBX;
  the recordings folder is a shared folder for a room). The project settings carry what is the
  same for every seat of a survey: whether calls are recorded (``record_calls``), the dialing
  plan (``dialing``, cati.telephony.dialing) and the outcome table
  (``call_outcome_dispositions``, cati.telephony.outcomes).
- The SIP password is never in the file: it is in the system keyring (service ``cati-sip``,
  key the AOR) or, where there is no keyring (a CI runner, a kiosk), in the environment
  variable ``CATI_SIP_PASSWORD``.
- No account: the softphone still runs with a local account that dials direct SIP URIs (set-up
  and tests); the interviewer window keeps its manual mode.
- The dialing mode is the seat's (``dial_mode``): ``preview`` (the call screen shows the case,
  the interviewer dials with Ctrl+D, or the call is dialled after ``auto_dial_s`` seconds when
  that is above 0) or ``progressive`` (dialled as soon as the case is claimed). Per seat, not per
  project: a centre trains new interviewers on preview and lets experienced ones run
  progressive on the same survey.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cati.config import user_data_dir
from cati.errors import CatiError
from cati.telephony.baresip import NULL_AUDIO, AgentOptions, SipAccount
from cati.telephony.dialing import SETTINGS_KEY as DIALING_KEY
from cati.telephony.dialing import DialPlan

KEYRING_SERVICE = "cati-sip"
PASSWORD_ENV = "CATI_SIP_PASSWORD"
FILE_NAME = "phone.json"


@dataclass(frozen=True, slots=True)
class PhoneSettings:
    aor: str = ""  # sip:8001@pbx.example.cn; blank: no account (manual mode)
    auth_user: str = ""
    outbound: str = ""  # sip:pbx.example.cn;transport=udp
    register: bool = True
    codecs: tuple[str, ...] = ("pcma", "pcmu")
    audio_player: str = NULL_AUDIO
    audio_source: str = NULL_AUDIO
    listen_host: str = "127.0.0.1"
    rtp_ports: str = ""  # e.g. "10000-20000" (the firewall's range); blank: any
    recordings_folder: str = ""
    dialing: dict = field(default_factory=dict)  # the centre's PBX: cati.telephony.dialing
    dial_mode: str = "preview"  # preview | progressive
    auto_dial_s: float = 0.0  # preview: dial after this many seconds (0: only by hand)

    @property
    def has_account(self) -> bool:
        return bool(self.aor)

    @property
    def domain(self) -> str:
        """The host part of the AOR (where dialled numbers go)."""
        return self.aor.split("@", 1)[-1].split(";", 1)[0] if "@" in self.aor else ""

    def password(self) -> str:
        from_env = os.environ.get(PASSWORD_ENV)
        if from_env:
            return from_env
        from cati.credentials import secure_keyring

        backend = secure_keyring()
        if backend is None or not self.aor:
            return ""
        try:
            return backend.get_password(KEYRING_SERVICE, self.aor) or ""
        except Exception:  # a locked keyring: register without a password, and fail visibly
            return ""

    def agent_options(self, *, record: bool = False, audio_source: str | None = None
                      ) -> AgentOptions:
        account = None
        if self.has_account:
            account = SipAccount(aor=self.aor, password=self.password(),
                                 auth_user=self.auth_user, outbound=self.outbound,
                                 register=self.register)
        return AgentOptions(account=account, listen_host=self.listen_host,
                            codecs=tuple(self.codecs), audio_player=self.audio_player,
                            audio_source=audio_source or self.audio_source, record=record,
                            rtp_ports=self.rtp_ports)

    def recordings_dir(self) -> Path:
        """Where recordings are filed: the setting (a shared folder for a room), else
        ``recordings`` in the user data directory."""
        return Path(self.recordings_folder) if self.recordings_folder else (
            user_data_dir() / "recordings")

    def dial_plan(self, project_settings: Mapping | None = None) -> DialPlan:
        merged = {**self.dialing, **dict((project_settings or {}).get(DIALING_KEY) or {})}
        return DialPlan.from_settings({DIALING_KEY: merged})

    def as_json(self) -> dict:
        data = asdict(self)
        data["codecs"] = list(self.codecs)
        return data


def settings_path() -> Path:
    return user_data_dir() / FILE_NAME


def load(path: Path | None = None) -> PhoneSettings:
    """The workstation's settings; the defaults (no account) when there is no file."""
    path = path or settings_path()
    if not path.exists():
        return PhoneSettings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatiError(f"{path}: not readable phone settings ({exc})") from None
    if not isinstance(data, dict):
        raise CatiError(f"{path}: phone settings must be a JSON object")
    known = set(PhoneSettings.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise CatiError(f"{path}: unknown phone setting {unknown[0]!r}")
    if "codecs" in data:
        data["codecs"] = tuple(data["codecs"])
    return PhoneSettings(**data)


_AOR = re.compile(r"^sips?:[^@\s;]+@[^@\s;]+$")
_URI = re.compile(r"^sips?:[^\s]+$")


def checked(settings: PhoneSettings) -> PhoneSettings:
    """The settings, or CatiError naming the first that makes no sense."""
    if settings.aor and not _AOR.match(settings.aor):
        raise CatiError(f"account {settings.aor!r}: write sip:USER@HOST (e.g. "
                        "sip:8001@pbx.example.cn)")
    if settings.outbound and not _URI.match(settings.outbound):
        raise CatiError(f"outbound proxy {settings.outbound!r}: write sip:HOST[:PORT]")
    try:
        ipaddress.ip_address(settings.listen_host)
    except ValueError:
        raise CatiError(f"listen address {settings.listen_host!r}: an IP address of this "
                        "workstation (127.0.0.1, or its LAN address for a PBX)") from None
    ports = re.fullmatch(r"(\d{4,5})-(\d{4,5})", settings.rtp_ports)
    if settings.rtp_ports and not (ports and 1024 <= int(ports[1]) < int(ports[2]) <= 65535):
        raise CatiError(f"RTP ports {settings.rtp_ports!r}: a range like 10000-20000")
    for codec in settings.codecs:
        if codec.lower() not in KNOWN_CODECS:
            raise CatiError(f"codec {codec!r}: one of {', '.join(KNOWN_CODECS)}")
    if settings.dial_mode not in DIAL_MODES:
        raise CatiError(f"dialing mode {settings.dial_mode!r}: one of {', '.join(DIAL_MODES)}")
    if not 0 <= settings.auto_dial_s <= 120:
        raise CatiError(f"auto-dial after {settings.auto_dial_s:g} s: between 0 (off) and 120")
    settings.dial_plan()  # raises DialingError (a CatiError) on a bad plan
    return settings


DIAL_MODES = ("preview", "progressive")
KNOWN_CODECS = ("pcma", "pcmu", "g722", "opus", "gsm")


def save(settings: PhoneSettings, path: Path | None = None) -> Path:
    """Write phone.json (0600: it names the account), replacing it whole."""
    path = path or settings_path()
    partial = path.with_name(f".{path.name}.part")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(settings.as_json(), handle, ensure_ascii=False, indent=2)
    os.replace(partial, path)
    return path


def save_password(aor: str, password: str) -> None:
    """The SIP password into the system keyring; CatiError where there is no secure one."""
    from cati.credentials import secure_keyring

    backend = secure_keyring()
    if backend is None:
        raise CatiError(f"no secure keyring on this workstation: give the password in the "
                        f"environment variable {PASSWORD_ENV} instead")
    try:
        backend.set_password(KEYRING_SERVICE, aor, password)
    except Exception as exc:  # a locked keyring
        raise CatiError(f"the keyring refused the password ({exc})") from None

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
"""

from __future__ import annotations

import json
import os
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
    recordings_folder: str = ""
    dialing: dict = field(default_factory=dict)  # the centre's PBX: cati.telephony.dialing

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
                            audio_source=audio_source or self.audio_source, record=record)

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

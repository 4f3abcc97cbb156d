"""What the interviewer's window needs from the store, as plain dataclasses.

The call screen shows one claimed case: the number formatted for reading, region and carrier,
stratum, the respondent's time zone (the window shows the local time live), the attempt history
with notes, any open appointment and who booked it, and the project's outcome buttons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# Codes the call screen never offers as buttons: the interview sets them (complete, partial,
# break-off, screen-outs) or the rules do (attempt caps).
INTERVIEW_OR_RULE_CODES = frozenset({"1.1", "1.2", "2.12", "4.70", "4.80", "2.30", "3.90"})


@dataclass(frozen=True, slots=True)
class DispositionButton:
    code: str
    label_zh: str
    label_en: str
    shortcut: str  # a Qt key sequence such as "F4", or ""
    final: bool
    contact: bool


@dataclass(frozen=True, slots=True)
class AttemptLine:
    started_at: dt.datetime  # UTC, aware
    interviewer: str  # display name, "" when unknown
    disposition: str | None  # None: an appointment was booked on this attempt
    label_zh: str
    label_en: str
    note: str


@dataclass(frozen=True, slots=True)
class AppointmentLine:
    id: int
    window_start: dt.datetime  # UTC, aware
    window_end: dt.datetime  # UTC, aware
    hard: bool
    booked_by: str  # display name
    interviewer: str  # display name of the interviewer a hard appointment is reserved for
    note: str


@dataclass(frozen=True, slots=True)
class CallInfo:
    case_id: int
    project_id: int
    phone_e164: str
    phone_display: str  # grouped for reading aloud, e.g. "138 0013 8000"
    tel_uri: str  # "tel:+8613800138000", for the desktop's softphone
    region: str
    carrier: str
    stratum: str
    time_zone: str  # IANA name; the window shows the respondent's local time from it
    state: str  # fresh | scheduled | resume | appointment
    attempts: int
    history: tuple[AttemptLine, ...]
    appointment: AppointmentLine | None
    lease_expires_at: dt.datetime
    interview_id: int | None  # an open interview of this case, to resume
    resume_at: str | None  # the question it stopped at

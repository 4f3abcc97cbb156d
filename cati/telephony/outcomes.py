"""What a call's SIP ending means: the machine-detected outcome and the proposed disposition.

Outcomes: ``answered`` (the call was established), ``busy`` (486 Busy Here, 600 Busy
Everywhere), ``no_answer`` (it rang and nobody answered within the set seconds: cati hung up),
``rejected`` (603 Decline: the called phone turned the call down), ``not_found`` (404 Not Found,
484 Address Incomplete, 410 Gone, 604 Does Not Exist Anywhere), ``failed`` (everything else:
5xx, 408 and transport time-outs, 480 unavailable, no answer of any kind from the network).

The proposed disposition of each outcome is data (``DEFAULT_OUTCOME_DISPOSITIONS``) that a
project may override with its settings key ``call_outcome_dispositions`` (a mapping of outcome
to a code of its disposition table, or null for "the interviewer codes it"). Defaults:

- answered: none; the interviewer codes what the conversation was.
- busy: 3.12 (忙音), no_answer: 3.13 (无人接听), not_found: 4.31 (空号).
- failed: 3.16 (关机·无法接通·不在服务区): the network did not connect the call, eligibility
  unknown; Chinese carriers answer a switched-off or unreachable mobile this way.
- rejected: 3.15 (被拦截, call blocked), not a refusal (2.111): a 603 is sent before anyone
  spoke, by a person pressing "decline" or by a blocking service, so no contact was made and
  eligibility is unknown; AAPOR counts a refusal only after contact, and coding 603 as 2.111
  would inflate the refusal rate and stop the case for a week (3.15 retries next day).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

OUTCOMES = ("answered", "busy", "no_answer", "rejected", "not_found", "failed")

DEFAULT_OUTCOME_DISPOSITIONS: dict[str, str | None] = {
    "answered": None,
    "busy": "3.12",
    "no_answer": "3.13",
    "rejected": "3.15",
    "not_found": "4.31",
    "failed": "3.16",
}
SETTINGS_KEY = "call_outcome_dispositions"
# How long an unanswered call rings before cati hangs up (project setting, seconds): 30 s is
# about six rings, the usual giving-up point of Chinese carriers' own ring timers (~45-60 s)
# kept shorter so an interviewer does not wait out a voicemail pick-up.
NO_ANSWER_KEY = "no_answer_after_s"
DEFAULT_NO_ANSWER_S = 30.0

BUSY_STATUSES = frozenset({486, 600})
REJECTED_STATUSES = frozenset({603})
NOT_FOUND_STATUSES = frozenset({404, 484, 410, 604})

_STATUS = re.compile(r"^\s*([1-6]\d\d)\b")


def sip_status(reason: str | None) -> int | None:
    """The SIP status at the start of baresip's CALL_CLOSED reason (``486 Busy Here``), or
    None for a reason without one (``Connection timed out``, ``Connection reset by peer``)."""
    match = _STATUS.match(reason or "")
    return int(match.group(1)) if match else None


def classify(*, established: bool, status: int | None, hung_up_unanswered: bool) -> str:
    """The outcome of a finished call."""
    if established:
        return "answered"
    if status in BUSY_STATUSES:
        return "busy"
    if status in REJECTED_STATUSES:
        return "rejected"
    if status in NOT_FOUND_STATUSES:
        return "not_found"
    if hung_up_unanswered:
        return "no_answer"
    return "failed"


def outcome_dispositions(settings: Mapping | None = None) -> dict[str, str | None]:
    """The project's table: the defaults with the project's own entries over them."""
    table = dict(DEFAULT_OUTCOME_DISPOSITIONS)
    own = (settings or {}).get(SETTINGS_KEY) or {}
    for outcome, code in own.items():
        if outcome in table:
            table[outcome] = code or None
    return table


def proposed_disposition(outcome: str, settings: Mapping | None = None) -> str | None:
    return outcome_dispositions(settings).get(outcome)

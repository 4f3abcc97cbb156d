"""The values the queue rules work on: frozen views of cases, attempts, appointments, quotas,
the retry policy, and the explanation of a queue decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cati.calling.dispositions import DEFAULT_DISPOSITIONS, DispositionSpec

ROTATING_CODES = frozenset({"3.13", "2.22", "3.14", "3.16"})
"""No-answer-like codes whose retry moves to the part of the day tried least."""
RESUME_CODES = frozenset({"1.2", "2.12"})
MAX_ATTEMPTS_ELIGIBLE = "2.30"
MAX_ATTEMPTS_UNKNOWN = "3.90"
CASE_STATES = frozenset({"fresh", "scheduled", "appointment", "resume", "closed", "locked"})


def _retry_table(specs: Iterable[DispositionSpec]) -> Mapping[str, int | None]:
    return MappingProxyType({s.code: (None if s.final else s.retry_minutes) for s in specs})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry delay in minutes per disposition code (None: final), and the attempt caps."""

    retry_minutes: Mapping[str, int | None] = field(
        default_factory=lambda: _retry_table(DEFAULT_DISPOSITIONS))
    max_attempts: int = 6
    max_per_day: int = 3
    rotating_codes: frozenset[str] = ROTATING_CODES

    @classmethod
    def from_dispositions(cls, specs: Iterable[DispositionSpec], **caps: int) -> RetryPolicy:
        return cls(_retry_table(specs), **caps)

    def is_final(self, code: str | None) -> bool:
        return code is not None and code in self.retry_minutes and self.retry_minutes[code] is None

    def delay(self, code: str) -> dt.timedelta | None:
        try:
            minutes = self.retry_minutes[code]
        except KeyError:
            raise ValueError(f"unknown disposition code {code!r}") from None
        return None if minutes is None else dt.timedelta(minutes=minutes)


@dataclass(frozen=True, slots=True)
class CaseView:
    case_id: int
    time_zone: str = "Asia/Shanghai"
    state: str = "fresh"  # fresh | scheduled | appointment | resume | closed | locked
    disposition: str | None = None
    attempts: int = 0
    next_call_at: dt.datetime | None = None
    priority: int = 0
    stratum: str = ""
    lease_holder: str | None = None
    lease_expires_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.state not in CASE_STATES:
            raise ValueError(f"unknown case state {self.state!r}")


@dataclass(frozen=True, slots=True)
class AttemptView:
    started_at: dt.datetime
    disposition: str | None = None  # None: an appointment was booked on this attempt
    contact: bool = False
    counts: bool = True  # toward the attempt caps (the disposition's counts_attempt)


@dataclass(frozen=True, slots=True)
class AppointmentView:
    window_start: dt.datetime
    window_end: dt.datetime
    hard: bool = False
    interviewer_id: int | None = None
    missed: bool = False  # already recorded as missed
    kept: bool = False
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class QuotaView:
    """Per stratum (target, completes)."""

    cells: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def progress(self, stratum: str) -> float | None:
        """completes / target, or None when the stratum has no quota."""
        if stratum not in self.cells:
            return None
        target, completes = self.cells[stratum]
        return completes / target if target > 0 else float("inf")

    def is_full(self, stratum: str) -> bool:
        progress = self.progress(stratum)
        return progress is not None and progress >= 1


@dataclass(frozen=True, slots=True)
class RuleCheck:
    rule: str
    blocks: bool
    detail: str
    until: dt.datetime | None = None  # when the block lifts; None with blocks: never


@dataclass(frozen=True, slots=True)
class Explanation:
    checks: tuple[RuleCheck, ...]
    callable_now: bool
    next_callable_at: dt.datetime | None

    @property
    def blocking(self) -> tuple[RuleCheck, ...]:
        return tuple(c for c in self.checks if c.blocks)

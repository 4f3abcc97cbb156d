"""A project's disposition table: seeded from the AAPOR defaults, editable per project.

Labels, the retry delay, whether a person was reached, whether the attempt counts toward the
maximum, the keyboard shortcut and the button order can change; the code, its AAPOR class and
whether it is final cannot (reports and the rules depend on them).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from cati.errors import CatiError, NotFound
from cati.services.workstation import INTERVIEW_OR_RULE_CODES, DispositionButton
from cati.storage.db import Database
from cati.storage.models import Disposition

EDITABLE = ("label_zh", "label_en", "retry_minutes", "contact", "counts_attempt", "shortcut",
            "position")


@dataclass(frozen=True, slots=True)
class DispositionInfo:
    code: str
    label_zh: str
    label_en: str
    aapor_class: str
    final: bool
    retry_minutes: int | None
    contact: bool
    counts_attempt: bool
    shortcut: str
    position: int


def list_dispositions(database: Database, project_id: int) -> list[DispositionInfo]:
    with database.unit(immediate=False) as session:
        rows = session.scalars(select(Disposition).where(Disposition.project_id == project_id)
                               .order_by(Disposition.position, Disposition.id)).all()
        return [_info(row) for row in rows]


def call_buttons(dispositions: list[DispositionInfo]) -> list[DispositionButton]:
    """The outcomes an interviewer may press on the call screen, in the table's order."""
    return [DispositionButton(d.code, d.label_zh, d.label_en, d.shortcut, d.final, d.contact)
            for d in dispositions if d.code not in INTERVIEW_OR_RULE_CODES]


def update_disposition(database: Database, project_id: int, code: str,
                       **changes: object) -> DispositionInfo:
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise CatiError(f"cannot change {', '.join(unknown)} of a disposition "
                        f"(editable: {', '.join(EDITABLE)})")
    retry = changes.get("retry_minutes")
    if retry is not None and (not isinstance(retry, int) or retry < 0):
        raise CatiError(f"a retry delay is a number of minutes, 0 or more, not {retry!r}")
    with database.unit() as session:
        row = session.scalar(select(Disposition).where(Disposition.project_id == project_id,
                                                       Disposition.code == code))
        if row is None:
            raise NotFound(f"no disposition {code} in this project")
        if row.final and changes.get("retry_minutes") is not None:
            raise CatiError(f"{code} is final: it has no retry delay")
        if not row.final and "retry_minutes" in changes and retry is None:
            raise CatiError(f"{code} is temporary: it needs a retry delay")
        for name, value in changes.items():
            setattr(row, name, value)
        session.flush()
        return _info(row)


def _info(row: Disposition) -> DispositionInfo:
    return DispositionInfo(row.code, row.label_zh, row.label_en, row.aapor_class, row.final,
                           row.retry_minutes, row.contact, row.counts_attempt, row.shortcut,
                           row.position)

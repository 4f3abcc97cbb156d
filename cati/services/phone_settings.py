"""A project's telephony settings: whether its calls are recorded, how long an unanswered call
rings, and which disposition each call outcome proposes.

Decisions:

- Stored in the project's settings (keys ``record_calls``, ``no_answer_after_s``,
  ``call_outcome_dispositions``; cati.telephony.outcomes), changed by supervisors and admins
  only, audited as ``project_settings_changed`` like the other project settings.
- Recording is off until a project turns it on: the respondent must be told (the shipped
  questionnaire's introduction says the call may be recorded), and a centre decides that per
  survey.
- A proposed code must be one of the project's own dispositions (or none: the interviewer
  codes it); everything is checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from cati.calling import project_cache
from cati.errors import CatiError, NotFound
from cati.services.clock import utc_now
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import AuditEntry, Disposition, Project
from cati.telephony.dialing import SETTINGS_KEY as DIALING_KEY
from cati.telephony.outcomes import (
    DEFAULT_NO_ANSWER_S,
    NO_ANSWER_KEY,
    OUTCOMES,
    SETTINGS_KEY,
    outcome_dispositions,
)

RECORD_KEY = "record_calls"


@dataclass(frozen=True, slots=True)
class PhoneProjectSettings:
    project_id: int
    code: str
    record_calls: bool
    no_answer_after_s: float
    proposals: dict[str, str | None]  # outcome -> code, the defaults with the project's over
    dialing: dict = field(default_factory=dict)  # the project's dialing plan over the seat's

    def as_json(self) -> dict:
        return {"project": self.code, "record_calls": self.record_calls,
                "no_answer_after_s": self.no_answer_after_s, "proposals": self.proposals}


def _of(project: Project) -> PhoneProjectSettings:
    settings = project.settings or {}
    return PhoneProjectSettings(project.id, project.code, bool(settings.get(RECORD_KEY, False)),
                                float(settings.get(NO_ANSWER_KEY) or DEFAULT_NO_ANSWER_S),
                                outcome_dispositions(settings),
                                dict(settings.get(DIALING_KEY) or {}))


def phone_settings(database: Database, project_code: str) -> PhoneProjectSettings:
    with database.unit(immediate=False) as session:
        return _of(_project(session, project_code))


def _project(session, code: str) -> Project:
    project = session.scalar(select(Project).where(Project.code == code))
    if project is None:
        raise NotFound(f"no project '{code}'")
    return project


def update_phone_settings(database: Database, acting_user_id: int | None, project_code: str, *,
                          record_calls: bool | None = None,
                          no_answer_after_s: float | None = None,
                          proposals: Mapping[str, str | None] | None = None
                          ) -> PhoneProjectSettings:
    if no_answer_after_s is not None and not 5 <= no_answer_after_s <= 180:
        raise CatiError(f"no answer after {no_answer_after_s:g} s: between 5 and 180 seconds")
    for outcome in proposals or {}:
        if outcome not in OUTCOMES:
            raise CatiError(f"'{outcome}' is not a call outcome ({', '.join(OUTCOMES)})")
    with database.unit() as session:
        if acting_user_id is not None:  # None: the store's owner (command line)
            require_supervisor(session, acting_user_id, "change telephony settings")
        project = _project(session, project_code)
        codes = set(session.scalars(select(Disposition.code).where(
            Disposition.project_id == project.id)))
        for outcome, code in (proposals or {}).items():
            if code is not None and code not in codes:
                raise CatiError(f"'{code}' is not a disposition of project {project.code} "
                                f"(for {outcome})")
        old = dict(project.settings or {})
        changes: dict = {}
        if record_calls is not None:
            changes[RECORD_KEY] = record_calls
        if no_answer_after_s is not None:
            changes[NO_ANSWER_KEY] = no_answer_after_s
        if proposals:
            changes[SETTINGS_KEY] = {**dict(old.get(SETTINGS_KEY) or {}), **proposals}
        changed = {key: value for key, value in changes.items() if old.get(key) != value}
        if changed:
            project.settings = {**old, **changed}
            session.add(AuditEntry(user_id=acting_user_id, at=utc_now(),
                                   action="project_settings_changed",
                                   details={"project_id": project.id, "code": project.code,
                                            "old": {k: old.get(k) for k in changed},
                                            "new": changed}))
            session.flush()
            project_cache.forget(database.url)
        return _of(project)

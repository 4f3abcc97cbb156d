"""Projects: one survey (in a series, one wave of it: cati.services.series), its questionnaire version, settings and disposition table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati.calling.dispositions import DEFAULT_DISPOSITIONS
from cati.errors import AlreadyExists, CatiError, NotFound
from cati.services.clock import utc_now
from cati.services.questionnaires import store_questionnaire
from cati.storage.models import Case, Disposition, Project, Questionnaire

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
AREA_CODE_PATTERN = re.compile(r"^0\d{2,3}$")
DEFAULT_SETTINGS: dict[str, Any] = {
    "region": "CN",
    "default_area_code": None,
    "max_attempts": 6,
    "max_attempts_per_day": 3,
    "lease_minutes": 10,
}


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    id: int
    code: str
    name: str
    status: str
    questionnaire_id: int
    form_id: str
    form_version: str
    cases: int = 0
    settings: dict[str, Any] = field(default_factory=dict)


def create_project(session: Session, code: str, form_path: str | Path, *, name: str | None = None,
                   default_area_code: str | None = None,
                   centre_name: str | None = None) -> ProjectInfo:
    """A new project on the form at ``form_path``. ``centre_name``: the centre running the
    survey, which the shipped form's introduction names (its ``centre_name`` hidden item)."""
    if not CODE_PATTERN.match(code):
        raise CatiError(f"'{code}' is not a valid project code (letters, digits, _ . -)")
    if default_area_code is not None and not AREA_CODE_PATTERN.match(default_area_code):
        raise CatiError(f"'{default_area_code}' is not an area code like 0799")
    if session.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise AlreadyExists(f"project '{code}' already exists")
    questionnaire = store_questionnaire(session, form_path)
    settings = {**DEFAULT_SETTINGS, "default_area_code": default_area_code}
    if centre_name is not None:
        settings["centre_name"] = checked_centre_name(centre_name)
    new_project(session, code, questionnaire.id, name or questionnaire.title, settings)
    return get_project(session, code)


def new_project(session: Session, code: str, questionnaire_id: int, name: str,
                settings: dict[str, Any], **columns: Any) -> Project:
    """A project row with the default disposition table (the code already checked)."""
    project = Project(code=code, name=name, questionnaire_id=questionnaire_id,
                      status="active", settings=settings, created_at=utc_now(), **columns)
    session.add(project)
    session.flush()
    for position, spec in enumerate(DEFAULT_DISPOSITIONS):
        session.add(Disposition(
            project_id=project.id, code=spec.code, label_zh=spec.label_zh, label_en=spec.label_en,
            aapor_class=spec.aapor_class, final=spec.final, retry_minutes=spec.retry_minutes,
            contact=spec.contact, counts_attempt=spec.counts_attempt, shortcut=spec.shortcut,
            position=position))
    session.flush()
    return project


def checked_centre_name(name: str) -> str:
    """The centre's name as the introduction reads it: one line, 1 to 64 characters."""
    name = " ".join(name.split())
    if not 0 < len(name) <= 64:
        raise CatiError("the centre's name must be 1 to 64 characters (调查中心名称应为1到64个字)")
    return name


def get_project(session: Session, code: str) -> ProjectInfo:
    project = session.scalar(select(Project).where(Project.code == code))
    if project is None:
        raise NotFound(f"no project '{code}'")
    return _info(session, project)


def list_projects(session: Session) -> list[ProjectInfo]:
    return [_info(session, p) for p in session.scalars(select(Project).order_by(Project.code))]


def _info(session: Session, project: Project) -> ProjectInfo:
    questionnaire = session.get(Questionnaire, project.questionnaire_id)
    assert questionnaire is not None
    cases = session.scalar(select(func.count(Case.id)).where(Case.project_id == project.id)) or 0
    return ProjectInfo(project.id, project.code, project.name, project.status, questionnaire.id,
                       questionnaire.form_id, questionnaire.version, cases, dict(project.settings))

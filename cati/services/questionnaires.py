"""Storing exact questionnaire versions and loading them back as engine forms."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.errors import NotFound
from cati.questionnaire.model import Form
from cati.services.clock import utc_now
from cati.storage.models import Questionnaire


@dataclass(frozen=True, slots=True)
class QuestionnaireInfo:
    id: int
    form_id: str
    version: str
    title: str
    file_name: str
    sha256: str


def _info(row: Questionnaire) -> QuestionnaireInfo:
    return QuestionnaireInfo(row.id, row.form_id, row.version, row.title, row.file_name, row.sha256)


def store_questionnaire(session: Session, path: str | Path) -> QuestionnaireInfo:
    """Load and check the workbook at ``path`` and keep its exact bytes (once per content)."""
    from cati.questionnaire.loader import load_form

    path = Path(path)
    form = load_form(path)
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalar(select(Questionnaire).where(Questionnaire.sha256 == digest))
    if existing is not None:
        return _info(existing)
    row = Questionnaire(form_id=form.form_id, version=form.version, title=form.title,
                        file_name=path.name, workbook=content, sha256=digest,
                        loaded_at=utc_now())
    session.add(row)
    session.flush()
    _cache_put(digest, form)
    return _info(row)


def form_of(session: Session, questionnaire_id: int) -> Form:
    """The compiled form of a stored questionnaire version (compiled once per process)."""
    digest = session.scalar(select(Questionnaire.sha256)
                            .where(Questionnaire.id == questionnaire_id))
    if digest is None:
        raise NotFound(f"no questionnaire with id {questionnaire_id}")
    cached = _cache_get(digest)
    if cached is None:  # only now read the workbook itself
        workbook, file_name = session.execute(
            select(Questionnaire.workbook, Questionnaire.file_name)
            .where(Questionnaire.id == questionnaire_id)).one()
        from cati.questionnaire.loader import load_form  # pyxform: only when compiling

        cached = load_form(workbook, file_name, convert=False)  # checked when brought in
        _cache_put(digest, cached)
    return cached


_forms: dict[str, Form] = {}
_lock = threading.Lock()


def _cache_get(digest: str) -> Form | None:
    with _lock:
        return _forms.get(digest)


def _cache_put(digest: str, form: Form) -> None:
    with _lock:
        _forms[digest] = form

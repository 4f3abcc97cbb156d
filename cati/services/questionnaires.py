"""Storing exact questionnaire versions and loading them back as engine forms.

A version is the workbook's bytes plus the data files it names (choices from a file,
pulldata(), instance(); see cati.questionnaire.external), read from the form's folder when it
is stored and kept in questionnaire_files: loading it back never reads the disk, so every
workstation and a resumed interview see the same choices and lookups. A version is found again
by the digest of all its bytes: the same workbook with a changed data file is a new version.
"""

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
from cati.storage.models import Questionnaire, QuestionnaireFile


@dataclass(frozen=True, slots=True)
class QuestionnaireInfo:
    id: int
    form_id: str
    version: str
    title: str
    file_name: str
    sha256: str
    files: tuple[str, ...] = ()  # the data files stored with it, by name


def _info(row: Questionnaire, files: tuple[str, ...] = ()) -> QuestionnaireInfo:
    return QuestionnaireInfo(row.id, row.form_id, row.version, row.title, row.file_name,
                             row.sha256, files)


def version_digest(workbook: bytes, files: dict[str, bytes]) -> str:
    """The digest a version is found by: the workbook's alone when it names no data file (as
    versions were stored before data files), else over the workbook and each file's name and
    digest, in name order."""
    digest = hashlib.sha256(workbook)
    if not files:
        return digest.hexdigest()
    for name in sorted(files):
        digest.update(b"\0" + name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def store_questionnaire(session: Session, path: str | Path) -> QuestionnaireInfo:
    """Load and check the workbook at ``path`` and keep its exact bytes, and those of the data
    files it names beside it (once per content)."""
    from cati.questionnaire.loader import compile_form, files_beside
    from cati.questionnaire.reader import read_source

    path = Path(path)
    raw = read_source(path)
    files = files_beside(path, raw)
    form = compile_form(raw, files)
    content = raw.content
    digest = version_digest(content, files)
    existing = session.scalar(select(Questionnaire).where(Questionnaire.sha256 == digest))
    if existing is not None:
        return _info(existing, tuple(sorted(files)))
    row = Questionnaire(form_id=form.form_id, version=form.version, title=form.title,
                        file_name=path.name, workbook=content, sha256=digest,
                        loaded_at=utc_now())
    session.add(row)
    session.flush()
    for name in sorted(files):
        session.add(QuestionnaireFile(questionnaire_id=row.id, file_name=name,
                                      content=files[name],
                                      sha256=hashlib.sha256(files[name]).hexdigest()))
    session.flush()
    _cache_put(digest, form)
    return _info(row, tuple(sorted(files)))


def questionnaire_files(session: Session, questionnaire_id: int) -> dict[str, bytes]:
    """The data files stored with a questionnaire version, by file name."""
    rows = session.execute(select(QuestionnaireFile.file_name, QuestionnaireFile.content)
                           .where(QuestionnaireFile.questionnaire_id == questionnaire_id))
    return {name: bytes(content) for name, content in rows}


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

        cached = load_form(workbook, file_name,
                           attachments=questionnaire_files(session, questionnaire_id))
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

"""Quotas: a target of completed interviews per stratum.

A complete counts for the interview's stratum: the label of the answer to the questionnaire's
``cati::stratum_question`` (the shipped form asks the township) when the form names one, else
the case's sample stratum. The claim stops serving a stratum whose cell is full and draws fresh
numbers from the stratum furthest behind (cati.calling.queue); an interview whose answered
stratum is full is screened out with 4.80. Quotas on other sample attributes (the ``expression``
column) are not served yet: such rows are refused when set.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati.calling import project_cache
from cati.errors import CatiError, NotFound
from cati.storage.db import Database, upsert_insert
from cati.storage.models import Interview, Project, Quota

COMPLETE_STATE = "complete"


@dataclass(frozen=True, slots=True)
class QuotaCell:
    stratum: str
    target: int
    completes: int

    @property
    def full(self) -> bool:
        return self.completes >= self.target


def quota_cells(session: Session, project_id: int) -> dict[str, tuple[int, int]]:
    """stratum -> (target, completes) for every stratum with a quota (empty: no quotas)."""
    targets = dict(session.execute(select(Quota.stratum, Quota.target)
                                   .where(Quota.project_id == project_id)).all())
    if not targets:
        return {}
    completes = dict(session.execute(
        select(Interview.stratum, func.count())
        .where(Interview.project_id == project_id, Interview.state == COMPLETE_STATE)
        .group_by(Interview.stratum)).all())
    return {stratum: (target, int(completes.get(stratum, 0)))
            for stratum, target in targets.items()}


def cell_is_full(session: Session, project_id: int, stratum: str) -> bool:
    target = session.scalar(select(Quota.target).where(Quota.project_id == project_id,
                                                        Quota.stratum == stratum))
    if target is None:
        return False
    done = session.scalar(select(func.count()).select_from(Interview).where(
        Interview.project_id == project_id, Interview.state == COMPLETE_STATE,
        Interview.stratum == stratum))
    return int(done or 0) >= target


def set_quota(database: Database, project_id: int, stratum: str, target: int) -> QuotaCell:
    """Set (or replace) the target of one stratum; takes effect at the next claim."""
    if target < 0:
        raise CatiError(f"a quota target must be 0 or more, not {target}")
    if not stratum.strip():
        raise CatiError("a quota needs a stratum")
    project_cache.forget(database.url)
    with database.unit() as session:
        if session.get(Project, project_id) is None:
            raise NotFound(f"no project {project_id}")
        # One statement, not look-then-insert: two workstations setting the same new stratum
        # at once would both find none and the second insert would break the unique key.
        insert = upsert_insert(session)
        session.execute(insert(Quota).values(project_id=project_id, stratum=stratum,
                                             target=target)
                        .on_conflict_do_update(index_elements=["project_id", "stratum"],
                                               set_={"target": target}))
        target_now, completes = quota_cells(session, project_id)[stratum]
        return QuotaCell(stratum, target_now, completes)


def remove_quota(database: Database, project_id: int, stratum: str) -> bool:
    project_cache.forget(database.url)
    with database.unit() as session:
        quota = session.scalar(select(Quota).where(Quota.project_id == project_id,
                                                   Quota.stratum == stratum))
        if quota is None:
            return False
        session.delete(quota)
        return True


def list_quotas(database: Database, project_id: int) -> list[QuotaCell]:
    with database.unit(immediate=False) as session:
        cells = quota_cells(session, project_id)
    return [QuotaCell(stratum, target, done) for stratum, (target, done) in sorted(cells.items())]

"""Named interviewers on a project or on a stratum (assignments), and what the claim makes of
them.

A centre puts its experienced interviewers on the follow-up calls (a project assignment) or its
dialect speakers on a township (a stratum assignment). Decisions:

- A project with project assignments is served only to its named interviewers (and to the
  named interviewers of its strata, for those strata). Everyone else's claim hands out nothing
  from it, and their Ready page says the project is assigned to named interviewers, not a
  silent empty queue (``claim_scope``).
- A stratum with assignments is served only to its named interviewers. They get their strata
  first (before any other stratum, whatever the queue order) and may still take other strata
  once theirs have nothing callable, unless one of their stratum assignments is ``only``: then
  they take their assigned strata alone.
- What is someone's already is kept: a hard appointment booked for an interviewer, their own
  interview to resume and the case their window still holds are served as before the
  assignment (a supervisor's hard appointment is the more specific order).
- A claim without a named interviewer (tools, the simulator) is served unassigned work only.
- Stored with stratum "" for a project assignment (one unique key, no NULL in it); handed out
  as ``stratum=None``. ``only`` (stored as ``exclusive``: ONLY is an SQL keyword) goes with a
  stratum; on a project assignment it is refused.
- The claim reads the assignments once a second per process (cati.calling.project_cache, kind
  ``assignments``); a change made here forgets that at once, one made elsewhere is seen within
  the second. Their own strata are one statement each, walking ix_cases_claim_stratum in queue
  order within the stratum (so a used-up stratum costs one empty index probe, not a walk of
  the whole queue); the other strata are the usual statements with ``stratum NOT IN (strata
  assigned to others)``, which skips those strata's rows at the front of the queue.
- Only supervisors and admins change assignments (checked here; on PostgreSQL the grants of
  cati.storage.pg_security.ASSIGNMENT_STATEMENTS refuse everyone else, and the database logs
  each change). Each change is an audit entry (``assignment_added``, ``assignment_changed``,
  ``assignment_removed``) in the same transaction. The assigned account must be an active
  interviewer; a stratum must be one of the project's sample strata.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session

from cati.calling import project_cache
from cati.errors import CatiError, NotFound
from cati.services.clock import utc_now
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import Appointment, Assignment, AuditEntry, Case, Project, User

CACHE_KIND = "assignments"
# The claim's own work (and the interviewer's own strata): never filtered.
KEPT_SOURCES = frozenset({"held", "resume", "assigned"})


@dataclass(frozen=True, slots=True)
class AssignmentInfo:
    user_id: int
    user: str  # the username
    display_name: str
    stratum: str | None  # None: the whole project
    only: bool

    def as_json(self) -> dict:
        return {"user": self.user, "stratum": self.stratum, "only": self.only}


@dataclass(frozen=True, slots=True)
class ClaimScope:
    """What the assignments of one project mean for one interviewer's claim."""

    restricted: bool  # the project is assigned to named interviewers
    named: bool  # this interviewer is one of them (project or stratum)
    mine: tuple[str, ...]  # strata assigned to this interviewer: served first
    others: tuple[str, ...]  # strata assigned to other interviewers only: never served
    only: bool  # this interviewer takes their strata alone

    @property
    def refused(self) -> bool:
        """Nothing new of this project for this interviewer (someone else's project)."""
        return self.restricted and not self.named

    @property
    def applies(self) -> bool:
        return self.restricted or bool(self.mine) or bool(self.others)


@dataclass(frozen=True, slots=True)
class ClaimRules:
    """A project's assignments as the claim reads them (cached per process)."""

    project_users: frozenset[int]
    strata: Mapping[str, frozenset[int]]
    only: frozenset[tuple[str, int]]  # (stratum, user) of the "only" assignments

    def scope(self, interviewer_id: int | None) -> ClaimScope:
        mine = tuple(sorted(s for s, users in self.strata.items() if interviewer_id in users))
        others = tuple(sorted(s for s, users in self.strata.items()
                              if interviewer_id not in users))
        restricted = bool(self.project_users)
        in_project = interviewer_id in self.project_users
        only = any(user == interviewer_id for _, user in self.only)
        # A stratum's named interviewer on a project assigned to others works that stratum alone.
        only = only or (restricted and not in_project and bool(mine))
        return ClaimScope(restricted, in_project or bool(mine), mine, others, only)


NO_RULES = ClaimRules(frozenset(), {}, frozenset())


def claim_rules(session: Session, database: Database, project_id: int) -> ClaimRules:
    """The project's assignments for the claim, read at most once a second per process."""
    known = project_cache.get(database.url, project_id, CACHE_KIND)
    if known is None:
        project_users: set[int] = set()
        strata: dict[str, set[int]] = {}
        only: set[tuple[str, int]] = set()
        for stratum, user_id, is_only in session.execute(
                select(Assignment.stratum, Assignment.user_id, Assignment.exclusive)
                .where(Assignment.project_id == project_id)):
            if not stratum:
                project_users.add(user_id)
                continue
            strata.setdefault(stratum, set()).add(user_id)
            if is_only:
                only.add((stratum, user_id))
        known = (ClaimRules(frozenset(project_users),
                            {s: frozenset(users) for s, users in strata.items()},
                            frozenset(only))
                 if project_users or strata else NO_RULES)
        project_cache.put(database.url, project_id, known, CACHE_KIND)
    return known


def scoped(candidates: Iterable[tuple[str, object]], scope: ClaimScope,
           interviewer_id: int | None) -> Iterator[tuple[str, object]]:
    """The claim's candidate statements (cati.calling.queue) with the assignments applied: one
    more WHERE on each, so each stays one index walk. The interviewer's own strata come as
    ``assigned`` statements (one per stratum, before the queue); with ``only`` (or on a project
    assigned to others) the queue after them is not tried."""
    if not scope.applies:
        yield from candidates
        return
    allowed = Case.stratum.not_in(scope.others) if scope.others else true()
    booked_for_me = (and_(Appointment.hard.is_(True), Appointment.interviewer_id == interviewer_id)
                     if interviewer_id is not None else false())
    for source, pick in candidates:
        if source in KEPT_SOURCES:
            yield source, pick
        elif source == "appointment":
            mine = Case.stratum.in_(scope.mine) if scope.only else allowed
            yield source, pick.where(booked_for_me if scope.refused
                                     else or_(booked_for_me, mine))
        elif not (scope.refused or scope.only):
            yield source, pick.where(allowed)


def claim_scope(database: Database, project_id: int, interviewer_id: int) -> ClaimScope:
    """What the assignments mean for this interviewer (the Ready page says it)."""
    with database.unit(immediate=False) as session:
        return claim_rules(session, database, project_id).scope(interviewer_id)


def interviewers(database: Database) -> list[tuple[str, str]]:
    """The active interviewers (username, display name) who can be assigned."""
    with database.unit(immediate=False) as session:
        return [(username, display or username) for username, display in session.execute(
            select(User.username, User.display_name)
            .where(User.role == "interviewer", User.active.is_(True))
            .order_by(User.username))]


def project_strata(database: Database, project_id: int) -> list[str]:
    """The strata of the project's sample (what a stratum assignment may name)."""
    with database.unit(immediate=False) as session:
        return _strata(session, project_id)


def _strata(session: Session, project_id: int) -> list[str]:
    return sorted(s for s in session.scalars(
        select(Case.stratum).where(Case.project_id == project_id).distinct()) if s)


def list_assignments(database: Database, project_id: int) -> list[AssignmentInfo]:
    with database.unit(immediate=False) as session:
        _project(session, project_id)
        return _listed(session, project_id)


def _listed(session: Session, project_id: int) -> list[AssignmentInfo]:
    rows = session.execute(
        select(Assignment.user_id, User.username, User.display_name, Assignment.stratum,
               Assignment.exclusive)
        .join(User, User.id == Assignment.user_id)
        .where(Assignment.project_id == project_id)
        .order_by(Assignment.stratum, User.username)).all()
    return [AssignmentInfo(user_id, username, display or username, stratum or None, bool(only))
            for user_id, username, display, stratum, only in rows]


def add_assignment(database: Database, project_id: int, username: str, *,
                   stratum: str | None = None, only: bool = False,
                   actor_id: int | None) -> AssignmentInfo:
    """Put a named interviewer on the project (``stratum`` None) or on one of its strata; the
    same one again changes its ``only``. ``actor_id`` None: the store's owner (command line)."""
    stratum = (stratum or "").strip()
    if only and not stratum:
        raise CatiError("--only goes with --stratum: a project assignment is always exclusive "
                        "(“仅限”只用于分层指派)")
    now = utc_now()
    with database.unit() as session:
        if actor_id is not None:
            require_supervisor(session, actor_id, "assign interviewers")
        project = _project(session, project_id)
        user = _interviewer(session, username)
        if stratum and stratum not in _strata(session, project_id):
            raise CatiError(f"no stratum '{stratum}' in the sample of {project.code} "
                            f"(项目样本中没有该分层)")
        existing = session.scalar(select(Assignment).where(
            Assignment.project_id == project_id, Assignment.stratum == stratum,
            Assignment.user_id == user.id))
        details = {"project": project.code, "user": user.username, "stratum": stratum or None,
                   "only": only}
        if existing is None:
            session.add(Assignment(project_id=project_id, stratum=stratum, user_id=user.id,
                                   exclusive=only, created_by=actor_id, created_at=now))
            action = "assignment_added"
        else:
            details["was_only"] = existing.exclusive
            existing.exclusive = only
            action = "assignment_changed"
        session.add(AuditEntry(user_id=actor_id, at=now, action=action, details=details))
    project_cache.forget(database.url)
    return AssignmentInfo(user.id, user.username, user.display_name or user.username,
                          stratum or None, only)


def remove_assignment(database: Database, project_id: int, username: str, *,
                      stratum: str | None = None, actor_id: int | None) -> None:
    """Take a named interviewer off the project or one of its strata (NotFound when they are
    not on it): the work goes back to everyone at the next claim."""
    stratum = (stratum or "").strip()
    now = utc_now()
    with database.unit() as session:
        if actor_id is not None:
            require_supervisor(session, actor_id, "assign interviewers")
        project = _project(session, project_id)
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            raise NotFound(f"no user '{username.strip()}' (没有该用户)")
        existing = session.scalar(select(Assignment).where(
            Assignment.project_id == project_id, Assignment.stratum == stratum,
            Assignment.user_id == user.id))
        if existing is None:
            where = f"stratum '{stratum}'" if stratum else "the project"
            raise NotFound(f"{user.username} is not assigned to {where} of {project.code} "
                           "(没有该指派)")
        session.delete(existing)
        session.add(AuditEntry(user_id=actor_id, at=now, action="assignment_removed", details={
            "project": project.code, "user": user.username, "stratum": stratum or None,
            "only": existing.exclusive}))
    project_cache.forget(database.url)


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"no project {project_id}")
    return project


def _interviewer(session: Session, username: str) -> User:
    name = username.strip()
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        raise NotFound(f"no user '{name}' (没有该用户)")
    if user.role != "interviewer":
        raise CatiError(f"'{name}' is a {user.role}, not an interviewer: only interviewers are "
                        "assigned (只能指派访问员)")
    if not user.active:
        raise CatiError(f"'{name}' is deactivated: only active interviewers are assigned "
                        "(该访问员已停用)")
    return user

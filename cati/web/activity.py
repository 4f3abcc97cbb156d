"""What the supervisor sees of web self-completion: interviews by mode beside the phone ones,
and completions per collection point per hour (a point whose count jumps in one hour is worth a
look: ballot-stuffing shows there first).

Hours are counted in Python from the completion instants (the same on SQLite and PostgreSQL),
in the time zone given (Beijing by default); a month of a county's web answers is a few thousand
rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from cati.errors import NotFound
from cati.services.clock import utc_now
from cati.storage.db import Database
from cati.storage.models import Interview, Project, WebInterview, WebLink

BEIJING = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class ModeCounts:
    mode: str  # phone | field | web
    in_progress: int
    complete: int
    screened_out: int
    other: int  # partial, break-off, closed


@dataclass(frozen=True, slots=True)
class PointHour:
    point: str  # the collection point ("" for personal invitations)
    hour: dt.datetime  # the hour's start, in the time zone asked for
    completions: int  # interviews that ended complete in that hour


def interviews_by_mode(database: Database, project_code: str, *,
                       since: dt.datetime | None = None) -> list[ModeCounts]:
    """The project's interviews (started since ``since``, else all) by mode and state."""
    with database.unit(immediate=False) as session:
        return mode_counts(session, _project_id(session, project_code), since=since)


def mode_counts(session, project_id: int, *,
                since: dt.datetime | None = None) -> list[ModeCounts]:
    """:func:`interviews_by_mode` inside a caller's unit of work (the monitor's)."""
    query = select(Interview.mode, Interview.state, func.count()).where(
        Interview.project_id == project_id).group_by(Interview.mode, Interview.state)
    if since is not None:
        query = query.where(Interview.started_at >= since)
    return modes_of(session.execute(query))


def modes_of(rows) -> list[ModeCounts]:
    """ModeCounts from (mode, state, count) rows (a mode's state may come in several rows)."""
    counts: dict[str, Counter] = {}
    for mode, state, count in rows:
        counts.setdefault(mode, Counter())[state] += count
    return [ModeCounts(mode, c["in_progress"], c["complete"], c["screened_out"],
                       sum(c.values()) - c["in_progress"] - c["complete"] - c["screened_out"])
            for mode, c in sorted(counts.items())]


def completions_per_point_hour(database: Database, project_code: str, *,
                               since: dt.datetime | None = None, time_zone: str = BEIJING,
                               now: dt.datetime | None = None) -> list[PointHour]:
    """Complete web interviews per collection point and hour (the last 24 hours by default),
    by point then hour."""
    since = since or (now or utc_now()) - dt.timedelta(hours=24)
    zone = ZoneInfo(time_zone)
    with database.unit(immediate=False) as session:
        project_id = _project_id(session, project_code)
        rows = session.execute(
            select(WebLink.point, WebInterview.completed_at)
            .join(WebInterview, WebInterview.link_id == WebLink.id)
            .join(Interview, Interview.id == WebInterview.interview_id)
            .where(WebLink.project_id == project_id, WebInterview.completed_at >= since,
                   Interview.state == "complete")).all()
    counts: Counter = Counter()
    for point, completed in rows:
        local = completed.astimezone(zone)
        counts[(point, local.replace(minute=0, second=0, microsecond=0))] += 1
    return [PointHour(point, hour, n) for (point, hour), n in sorted(counts.items())]


def _project_id(session, code: str) -> int:
    project_id = session.scalar(select(Project.id).where(Project.code == code))
    if project_id is None:
        raise NotFound(f"no project '{code}'")
    return project_id


@dataclass(frozen=True, slots=True)
class PointRow:
    point: str  # "" for personal invitations
    per_hour: tuple[int, ...]  # completions in each of WebActivity.hours
    total: int


@dataclass(frozen=True, slots=True)
class WebActivity:
    """The console's web tab: completions per point in each of the last hours, and the
    project's interviews by mode (today)."""

    hours: tuple[dt.datetime, ...]  # the hours' starts, oldest first, in the project's zone
    points: tuple[PointRow, ...]
    modes: tuple[ModeCounts, ...]


def web_activity(database: Database, project_code: str, *, hours: int = 24,
                 user_id: int | None = None, now: dt.datetime | None = None) -> WebActivity:
    """With ``user_id``, only for an active supervisor or an admin."""
    from cati.services.users import require_supervisor

    now = now or utc_now()
    with database.unit(immediate=False) as session:
        if user_id is not None:
            require_supervisor(session, user_id, "see the web interviews (查看网上填答)")
        project_id = _project_id(session, project_code)
        project = session.get(Project, project_id)
        zone = ZoneInfo((project.settings or {}).get("time_zone", BEIJING))
        local = now.astimezone(zone)
        day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        modes = tuple(mode_counts(session, project_id, since=day_start.astimezone(dt.UTC)))
    last = local.replace(minute=0, second=0, microsecond=0)
    starts = tuple(last - dt.timedelta(hours=n) for n in range(hours - 1, -1, -1))
    counted = completions_per_point_hour(database, project_code, since=starts[0],
                                         time_zone=zone.key, now=now)
    by_point: dict[str, Counter] = {}
    for row in counted:
        by_point.setdefault(row.point, Counter())[row.hour] += row.completions
    points = tuple(PointRow(point, tuple(c[h] for h in starts), sum(c[h] for h in starts))
                   for point, c in sorted(by_point.items(), key=lambda kv: (-sum(
                       kv[1].values()), kv[0])))
    return WebActivity(starts, points, modes)

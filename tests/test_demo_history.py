"""The demo's earlier months: played through the real queue, engine and services, they look like a
survey centre's month (few screen-outs, every township reaching its completes), and the open
wave keeps numbers for the interviewers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from cati.services.demo import (
    DEMO_CODE,
    DEMO_SERIES,
    build_demo_history,
    create_demo,
    wave_code,
)
from cati.services.productivity import productivity
from cati.services.series import waves as series_waves
from cati.storage.db import Database
from cati.storage.models import Case, Interview, Project, Suggestion


def test_the_demo_plays_two_closed_months_and_this_months_week(sqlite_url):
    # SQLite only: the demo is a one-machine thing, and every service it plays through is
    # tested on both backends elsewhere; a month of calls costs seconds per backend.
    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        create_demo(session, cases=500)
    waves = build_demo_history(database, today=dt.date(2026, 12, 7), per_township=2,
                               wave_cases=320)
    assert [wave.project_code for wave in waves] == [wave_code("2026-10"), wave_code("2026-11"),
                                                     DEMO_CODE]
    with database.unit() as session:
        for wave in waves:
            project_id = session.scalar(select(Project.id)
                                        .where(Project.code == wave.project_code))
            states = dict(session.execute(
                select(Interview.state, func.count()).where(Interview.project_id == project_id)
                .group_by(Interview.state)).all())
            per_township = dict(session.execute(
                select(Interview.stratum, func.count())
                .where(Interview.project_id == project_id, Interview.state == "complete")
                .group_by(Interview.stratum)).all())
            # Every one of the 19 townships reaches its completes; the answers name the township
            # the sample lists (the stratum comes from the township question).
            assert len(per_township) == 19 and min(per_township.values()) >= 2, per_township
            # Screen-outs are the exception (a random walk made 3.6 per complete).
            assert states.get("screened_out", 0) <= 0.25 * states["complete"], states
        fresh = session.scalar(select(func.count(Case.id)).join(Project)
                               .where(Project.code == DEMO_CODE, Case.attempts == 0))
    assert fresh > 250  # the open wave keeps most of its numbers for the interviewers
    with database.unit() as session:
        states = set(session.scalars(select(Suggestion.status).join(Project)
                                     .where(Project.code != DEMO_CODE)))
        follow_ups = session.scalars(select(Project.code).where(Project.code.like("%_FU%")))
        open_states = set(session.scalars(select(Suggestion.status).join(Project)
                                          .where(Project.code == DEMO_CODE)))
    # The closed months' suggestions went through the whole loop, call-backs included.
    assert {"checked", "reopened", "assigned"} <= states, states
    assert {"unreachable", "refused"} & states, states
    assert len(list(follow_ups)) == 2
    assert "resolved" in open_states and "checked" not in open_states, open_states
    with database.unit() as session:  # one series: two closed months and the open one
        listed = [(w.code, w.status) for w in series_waves(session, DEMO_SERIES)]
        assert listed == [(wave_code("2026-10"), "closed"), (wave_code("2026-11"), "closed"),
                          (DEMO_CODE, "active")]
    # The seats' shifts are in the presence history: the productivity tab shows their hours
    # beside their calls (hours that cover the calls' minutes, not zero).
    with database.unit() as session:
        project_id = session.scalar(select(Project.id)
                                    .where(Project.code == wave_code("2026-11")))
    rows = productivity(database, project_id, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert rows and all(row.hours > 0 for row in rows if row.calls), rows[:3]
    # A shift's completes came from its own contacts (an interview is counted where it began).
    assert all(row.completes <= row.contacts for row in rows), rows
    per_hour = sum(row.calls for row in rows) / sum(row.hours for row in rows)
    assert 2 < per_hour < 60, per_hour
    assert build_demo_history(database) == []  # once only
    database.dispose()

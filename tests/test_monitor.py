"""The monitor's snapshot after a simulated morning, checked against queries written here."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, insert, select

from cati.calling.simulate import simulate
from cati.errors import PermissionDenied
from cati.services.demo import create_demo
from cati.services.monitor import snapshot
from cati.services.projects import get_project
from cati.services.quotas import set_quota
from cati.services.users import add_user
from cati.storage.models import Answer, CallAttempt, Case, Interview

START = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing


def test_snapshot_after_a_simulated_morning(database, db_url):
    with database.unit() as session:
        create_demo(session, cases=400)
        project_id = get_project(session, "DEMO").id
    set_quota(database, project_id, "古槐街道", 2)
    result = simulate(db_url, "DEMO", 3, 120, seed=7, speed=600, start=START)
    assert result.duplicate_claims == 0
    now = START + dt.timedelta(minutes=130)
    shot = snapshot(database, project_id, now=now)
    with database.unit() as session:
        calls = session.scalar(select(func.count()).select_from(CallAttempt)
                               .where(CallAttempt.disposition.is_not(None)))
        completes = session.scalar(select(func.count()).select_from(CallAttempt)
                                   .where(CallAttempt.disposition == "1.1"))
        states = dict(session.execute(select(Case.state, func.count())
                                      .group_by(Case.state)).all())
        per_user = dict(session.execute(
            select(CallAttempt.interviewer_id, func.count())
            .where(CallAttempt.disposition.is_not(None))
            .group_by(CallAttempt.interviewer_id)).all())
        strata = dict(session.execute(
            select(Interview.stratum, func.count()).where(Interview.state == "complete")
            .group_by(Interview.stratum)).all())
    assert calls > 5  # how many depends on the machine: the simulation runs in real time
    assert (shot.today.calls, shot.overall.calls) == (calls, calls)
    assert shot.today.completes == completes
    assert shot.today.completes_by_mode == ({"phone": completes} if completes else {})
    assert shot.by_state == states
    assert sum(calls for _, calls, _ in shot.hourly) == calls
    assert {row.user_id: row.calls for row in shot.interviewers} == per_user
    assert {row.name for row in shot.interviewers} == {"模拟访问员1", "模拟访问员2",
                                                      "模拟访问员3"}
    assert all(row.state == "offline" for row in shot.interviewers)  # the shift has ended
    shown = {row.stratum: row.completes for row in shot.strata if row.completes}
    assert shown == strata
    [guhuai] = [row for row in shot.strata if row.stratum == "古槐街道"]
    yield_per_number = guhuai.completes / guhuai.dialled if guhuai.dialled else 0
    assert guhuai.target == 2
    assert guhuai.reachable == (guhuai.completes >= 2
                                or guhuai.completes + guhuai.remaining * yield_per_number >= 2)
    assert all(row.target is None and row.reachable is None
               for row in shot.strata if row.stratum != "古槐街道")
    for name in ("RR1", "RR3", "COOP1", "REF1", "CON1"):
        assert shot.overall.rates[name] is None or 0 <= shot.overall.rates[name] <= 1
    # Tomorrow nothing has happened yet.
    tomorrow = snapshot(database, project_id, now=now + dt.timedelta(days=1))
    assert (tomorrow.today.calls, tomorrow.overall.calls) == (0, calls)
    # An earlier call written late (one that ran over midnight, or written back from a
    # workstation's journal) and one stamped after the monitor's clock count at the next
    # refresh, though the counts before today are kept between refreshes.
    with database.unit() as session:
        case_id = session.scalar(select(Case.id).limit(1))
        session.execute(insert(CallAttempt), [
            {"case_id": case_id, "project_id": project_id, "disposition": "2.111",
             "started_at": now - dt.timedelta(hours=1)},
            {"case_id": case_id, "project_id": project_id, "disposition": "1.1",
             "started_at": now + dt.timedelta(days=3)}])
    later = snapshot(database, project_id, now=now + dt.timedelta(days=1))
    assert later.overall.calls == calls + 2
    assert later.overall.refusals == tomorrow.overall.refusals + 1
    assert later.overall.completes == tomorrow.overall.completes + 1


def test_quality_markers_flag_short_and_uniform_interviewers(database, one_case_project):
    """Six interviewers with five completes each: one rushes (4-minute interviews against
    the others' 15) and answers 1 to everything, as a coached respondent would."""
    project_id = one_case_project
    with database.unit() as session:
        users = [add_user(session, f"int{n}", "password-123", "interviewer").id
                 for n in range(6)]
        for n, user_id in enumerate(users):
            for k in range(5):
                started = START + dt.timedelta(minutes=20 * k)
                minutes = 4 if n == 0 else 15
                interview_id = session.execute(insert(Interview).values(
                    project_id=project_id, questionnaire_id=_questionnaire(session, project_id),
                    interviewer_id=user_id, mode="phone", state="complete", disposition="1.1",
                    seed=0, started_at=started, ended_at=started + dt.timedelta(minutes=minutes),
                    stratum="古槐街道")).inserted_primary_key[0]
                answers = {name: "1" if n == 0 else str(1 + (k + n + i) % 4)
                           for i, name in enumerate(("safety", "trend", "sat_police",
                                                     "sat_procuratorate", "sat_court"))}
                session.execute(insert(Answer), [
                    {"interview_id": interview_id, "question": q, "value": v,
                     "answered_at": started, "sequence": i}
                    for i, (q, v) in enumerate(answers.items())])
    shot = snapshot(database, project_id, now=START + dt.timedelta(hours=3))
    flags = {row.user_id: row.flags for row in shot.interviewers}
    assert flags[users[0]] == ("short_interviews", "uniform_answers")
    assert all(flags[user] == () for user in users[1:])
    rushed = next(row for row in shot.interviewers if row.user_id == users[0])
    assert rushed.short_interviews == 5 and rushed.mean_interview_minutes == 4
    assert Counter(round(row.uniformity, 2) > 0.9 for row in shot.interviewers) == Counter(
        {True: 1, False: 5})


def test_only_supervisors_and_admins_watch_the_monitor(database, one_case_project):
    with database.unit() as session:
        ids = {role: add_user(session, role, "password-123", role).id
               for role in ("interviewer", "supervisor", "admin")}
    for role in ("supervisor", "admin"):
        assert snapshot(database, one_case_project, user_id=ids[role]).by_state == {"fresh": 1}
    with pytest.raises(PermissionDenied):
        snapshot(database, one_case_project, user_id=ids["interviewer"])


def _questionnaire(session, project_id):
    from cati.storage.models import Project

    return session.get(Project, project_id).questionnaire_id

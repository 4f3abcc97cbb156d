"""Named interviewers on a project or a stratum: the real claim serves assigned work to them only
(their strata first), the command line manages the assignments with one-line refusals, and on
PostgreSQL an interviewer's own login cannot change them."""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from cati.backend import Backend
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError, NotFound, PermissionDenied
from cati.services.assignments import (
    add_assignment,
    claim_scope,
    list_assignments,
    remove_assignment,
)
from cati.services.projects import create_project
from cati.services.sample_browser import SampleBrowser
from cati.services.users import add_user
from cati.storage.models import Assignment, AuditEntry, Case, User

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing: calling hours
PASSWORD = "K7-assign-2026!"
GUHUAI, MIAOWAN = "古槐街道", "庙湾镇"


@pytest.fixture
def centre(database):
    """Project SAFE: three fresh numbers of 古槐街道 drawn before three of 庙湾镇; a
    supervisor (lin) and two interviewers (ivan, olga)."""
    with database.unit() as session:
        ids = {name: add_user(session, name, PASSWORD, role, display).id
               for name, role, display in (("lin", "supervisor", "督导林"),
                                           ("ivan", "interviewer", "访问员周"),
                                           ("olga", "interviewer", "访问员吴"))}
        project = create_project(session, "SAFE", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861390013{n:04d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": GUHUAI if n < 3 else MIAOWAN,
             "attributes": {}, "time_zone": "Asia/Shanghai", "draw": n} for n in range(6)])
    ids["project"] = project.id
    return ids


def claim(database, centre, who: str):
    claimed = claim_next_case(database, centre["project"], f"ws-{who}",
                              interviewer_id=centre[who], now=NOW)
    return None if claimed is None else claimed.stratum


def audit(database, action: str) -> list[dict]:
    with database.unit(immediate=False) as session:
        return [e.details for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))]


def stored(database) -> list[tuple]:
    with database.unit(immediate=False) as session:
        return sorted(session.execute(select(Assignment.project_id, Assignment.stratum,
                                             Assignment.user_id, Assignment.exclusive)).all())


def test_an_assigned_stratum_is_served_only_to_its_interviewer_and_to_them_first(database,
                                                                                 centre):
    add_assignment(database, centre["project"], "olga", stratum=MIAOWAN, actor_id=centre["lin"])
    assert audit(database, "assignment_added") == [
        {"project": "SAFE", "user": "olga", "stratum": MIAOWAN, "only": False}]
    # 古槐街道 comes first in the queue, but olga's own township comes first for her
    assert claim(database, centre, "olga") == MIAOWAN
    assert [claim(database, centre, "ivan") for _ in range(4)] == [GUHUAI, GUHUAI, GUHUAI, None]
    assert [claim(database, centre, "olga") for _ in range(3)] == [MIAOWAN, MIAOWAN, None]
    scope = claim_scope(database, centre["project"], centre["ivan"])
    assert scope.others == (MIAOWAN,) and not scope.refused


def test_only_keeps_the_interviewer_to_their_strata_until_it_is_lifted(database, centre):
    add_assignment(database, centre["project"], "olga", stratum=MIAOWAN, only=True,
                   actor_id=centre["lin"])
    assert [claim(database, centre, "olga") for _ in range(4)] == [MIAOWAN] * 3 + [None]
    add_assignment(database, centre["project"], "olga", stratum=MIAOWAN,
                   actor_id=centre["lin"])  # the same again without "only": changed
    assert audit(database, "assignment_changed")[0]["was_only"] is True
    assert claim(database, centre, "olga") == GUHUAI  # her township is done: she takes others


def test_a_project_assignment_refuses_the_others_but_keeps_their_hard_appointments(database,
                                                                                  centre):
    project = centre["project"]
    add_assignment(database, project, "ivan", actor_id=centre["lin"])
    assert list_assignments(database, project)[0].as_json() == {
        "user": "ivan", "stratum": None, "only": False}
    assert claim_scope(database, project, centre["olga"]).refused
    assert claim(database, centre, "olga") is None
    assert claim(database, centre, "ivan") == GUHUAI
    # a case a supervisor assigned to olga herself (a hard appointment) is still hers
    with database.unit(immediate=False) as session:
        last = session.scalar(select(Case.id).where(Case.project_id == project)
                              .order_by(Case.id.desc()))
    SampleBrowser(database, centre["lin"]).call_now([last], centre["lin"],
                                                    interviewer_id=centre["olga"], now=NOW)
    mine = claim_next_case(database, project, "ws-olga", interviewer_id=centre["olga"], now=NOW)
    assert mine is not None and mine.case_id == last and mine.source == "appointment"
    assert claim(database, centre, "olga") is None

    remove_assignment(database, project, "ivan", actor_id=centre["lin"])
    assert audit(database, "assignment_removed")[0]["user"] == "ivan"
    assert not claim_scope(database, project, centre["olga"]).refused
    assert claim(database, centre, "olga") == GUHUAI  # removal gives the project back to all


def test_refusals_change_nothing(database, centre):
    project, lin = centre["project"], centre["lin"]
    for call, message in [
            (lambda: add_assignment(database, project, "nobody", actor_id=lin), "no user"),
            (lambda: add_assignment(database, project, "lin", actor_id=lin), "not an interviewer"),
            (lambda: add_assignment(database, project, "ivan", stratum="城关镇", actor_id=lin),
             "no stratum"),
            (lambda: add_assignment(database, project, "ivan", only=True, actor_id=lin),
             "--only goes with --stratum"),
            (lambda: remove_assignment(database, project, "ivan", actor_id=lin),
             "not assigned")]:
        with pytest.raises(CatiError, match=message):
            call()
    with pytest.raises(PermissionDenied):
        add_assignment(database, project, "olga", actor_id=centre["ivan"])
    assert stored(database) == [] and audit(database, "assignment_added") == []


def cli(run_cli, db_url, *args, code=0):
    result = run_cli("assign", *args, env={"CATI_DB_URL": db_url})
    assert result.returncode == code, (result.stdout, result.stderr)
    return result


def test_the_command_line_adds_lists_and_removes_and_refuses_in_one_line(database, centre,
                                                                         run_cli, db_url):
    cli(run_cli, db_url, "add", "SAFE", "--user", "olga", "--stratum", MIAOWAN, "--only")
    cli(run_cli, db_url, "add", "SAFE", "--user", "ivan")
    listed = json.loads(cli(run_cli, db_url, "list", "SAFE", "--json").stdout)
    assert listed == [{"user": "ivan", "stratum": None, "only": False},
                      {"user": "olga", "stratum": MIAOWAN, "only": True}]
    assert claim(database, centre, "olga") == MIAOWAN
    before = stored(database)
    for args, message in [
            (("add", "SAFE", "--user", "nobody"), "no user 'nobody'"),
            (("add", "SAFE", "--user", "lin"), "not an interviewer"),
            (("add", "SAFE", "--user", "ivan", "--stratum", "城关镇"), "no stratum '城关镇'"),
            (("add", "NOPE", "--user", "ivan"), "NOPE"),
            (("remove", "SAFE", "--user", "olga"), "not assigned to the project")]:
        result = cli(run_cli, db_url, *args, code=1)
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert stored(database) == before
    cli(run_cli, db_url, "remove", "SAFE", "--user", "olga", "--stratum", MIAOWAN)
    assert json.loads(cli(run_cli, db_url, "list", "SAFE", "--json").stdout) == [
        {"user": "ivan", "stratum": None, "only": False}]
    assert [d["user"] for d in audit(database, "assignment_added")] == ["olga", "ivan"]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_supervisors_manage_and_interviewers_only_read(database, centre, db_url):
    url = make_url(db_url)
    supervisor = Backend(url._replace(username=None, password=None).render_as_string(
        hide_password=False), workstation="ws-lin")
    try:
        supervisor.login("lin", PASSWORD)  # the URL names no login: lin's own is used
        supervisor.add_assignment(centre["project"], "olga", stratum=MIAOWAN)
        interviewers, strata = supervisor.assignment_choices(centre["project"])
    finally:
        supervisor.close()
    assert ("olga", "访问员吴") in interviewers and strata == [GUHUAI, MIAOWAN]
    libpq = url.set(drivername="postgresql", username="ivan", password=PASSWORD
                    ).render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as raw:
        assert raw.execute("SELECT count(*) FROM assignments").fetchone()[0] == 1
        for statement in ("DELETE FROM assignments",
                          "UPDATE assignments SET exclusive = true",
                          f"INSERT INTO assignments (project_id, stratum, user_id, exclusive, "
                          f"created_at) VALUES ({centre['project']}, '', {centre['ivan']}, "
                          "false, now())"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                raw.execute(statement)
    assert stored(database) == [(centre["project"], MIAOWAN, centre["olga"], False)]
    with database.unit(immediate=False) as session:  # the database logged the change itself
        logged = session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("db_assignments_%"))).all()
        assert logged == ["db_assignments_insert"]
        assert session.scalar(select(User.id).where(User.username == "olga")) == centre["olga"]


def test_removing_what_is_not_there_is_not_found(database, centre):
    with pytest.raises(NotFound):
        remove_assignment(database, centre["project"], "olga", stratum=MIAOWAN, actor_id=None)


def test_a_full_quota_stops_the_assigned_stratum_too(database, centre):
    from cati.services.quotas import set_quota

    set_quota(database, centre["project"], MIAOWAN, 0)  # full from the start
    add_assignment(database, centre["project"], "olga", stratum=MIAOWAN, actor_id=centre["lin"])
    assert claim(database, centre, "olga") == GUHUAI  # not her full township
    add_assignment(database, centre["project"], "olga", stratum=MIAOWAN, only=True,
                   actor_id=centre["lin"])
    assert claim(database, centre, "olga") is None

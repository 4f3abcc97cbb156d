"""People and roles, checked in the services (not only by hiding buttons): every entry point the
app and the command line use is called directly as an interviewer, a supervisor and an admin,
on SQLite and PostgreSQL. A refused call raises the project's error and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select, update

from cati.backend import Backend
from cati.calling.outcomes import LeaseLost
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError, PermissionDenied
from cati.reporting.export import export_data
from cati.services import admin, audit, interviews, users
from cati.services.appointments import list_appointments
from cati.services.import_session import ImportService
from cati.services.projects import create_project
from cati.services.sample_browser import SampleBrowser
from cati.services.suggestions import list_suggestions
from cati.services.users import add_user
from cati.services.workstation import next_call
from cati.storage.models import Answer, Base, Case, Interview, User

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing: calling hours
ROLES = ("interviewer", "supervisor", "admin")
PASSWORD = "password-123"


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    """argon2id with small costs: the same code paths, a hundredth of the time."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def world(database, tmp_path):
    """A project with 6 numbers; the interviewer's workstation holds one case with an open
    interview; another interviewer has a field interview; one interview is closed."""
    with database.unit() as session:
        ids = {role: add_user(session, role, PASSWORD, role).id for role in ROLES}
        ids["other"] = add_user(session, "other", PASSWORD, "interviewer").id
        project = create_project(session, "R", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+861380013{n:04d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {},
             "time_zone": "Asia/Shanghai", "draw": n} for n in range(6)])
        closed = Interview(project_id=project.id, questionnaire_id=project.questionnaire_id,
                           interviewer_id=ids["other"], mode="field", state="complete",
                           disposition="1.1", started_at=NOW, ended_at=NOW, seed=1)
        session.add(closed)
        session.flush()
        session.add(Answer(interview_id=closed.id, question="age", value="30", answered_at=NOW,
                           sequence=1))
    ids["project"] = project.id
    ids["closed"] = closed.id
    call = next_call(database, project.id, ids["interviewer"], "ws-ivan", now=NOW)
    ids["held_case"] = call.case_id
    ids["held"] = interviews.open_interview(database, project.id, case_id=call.case_id,
                                            interviewer_id=ids["interviewer"],
                                            workstation="ws-ivan", now=NOW).id
    ids["field"] = interviews.open_interview(database, project.id, case_id=None,
                                             interviewer_id=ids["other"], mode="field",
                                             now=NOW).id
    with database.unit(immediate=False) as session:
        ids["free_case"] = session.scalar(select(Case.id).where(
            Case.project_id == project.id, Case.lease_holder.is_(None)).order_by(Case.id))
    phones = tmp_path / "list.csv"
    phones.write_text("电话\n13900139001\n13900139002\n", encoding="utf-8")
    ids["phones"] = phones
    ids["out"] = tmp_path
    return ids


def fingerprint(database) -> dict[str, list]:
    """Every row of every table, in key order: what "changes nothing" compares."""
    with database.unit(immediate=False) as session:
        found = {}
        for table in Base.metadata.sorted_tables:
            if not database.engine.dialect.has_table(session.connection(), table.name):
                continue
            found[table.name] = [tuple(row) for row in session.execute(
                select(table).order_by(*table.primary_key.columns))]
        return found


def refused(database, call, error=PermissionDenied) -> None:
    before = fingerprint(database)
    with pytest.raises(error):
        call()
    assert fingerprint(database) == before


# Supervisor-or-admin operations: each takes the acting user id (and the world) and may run
# once per allowed role, so what it changes carries the actor's id.
SUPERVISOR_OPERATIONS = {
    "sample page": lambda db, who, w: SampleBrowser(db, who).page(w["project"]),
    "sample count": lambda db, who, w: SampleBrowser(db, who).count(w["project"]),
    "phone of a case not held": lambda db, who, w: SampleBrowser(db, who).rows([w["free_case"]]),
    "call history": lambda db, who, w: SampleBrowser(db, who).attempts(w["held_case"]),
    "explain a case": lambda db, who, w: SampleBrowser(db, who).explain(w["free_case"]),
    "set priority": lambda db, who, w: SampleBrowser(db).set_priority([w["free_case"]],
                                                                       who % 100, who),
    "appointments": lambda db, who, w: list_appointments(db, w["project"], user_id=who),
    "import": lambda db, who, w: ImportService(db).run("R", w["phones"], user_id=who),
    "export": lambda db, who, w: export_data(db, "R", w["out"] / f"d{who}.csv", user_id=who),
    "export with phones": lambda db, who, w: export_data(
        db, "R", w["out"] / f"p{who}.csv", user_id=who, with_phone=True),
    "set a quota": lambda db, who, w: admin.set_quota(db, who, w["project"], "古槐街道", who),
    "change settings": lambda db, who, w: admin.update_project_settings(
        db, who, w["project"], max_attempts=who % 9 + 1),
    "pause the project": lambda db, who, w: admin.pause_project(db, who, w["project"]),
    "suggestions": lambda db, who, w: list_suggestions(db, w["project"], user_id=who),
    "read the audit log": lambda db, who, w: audit.list_entries(db, who),
    "export the audit log": lambda db, who, w: audit.export_entries(db, who,
                                                                    w["out"] / f"a{who}.csv"),
    "correct a closed interview": lambda db, who, w: interviews.correct_answer(
        db, w["closed"], "age", str(40 + who), user_id=who),
}

ADMIN_OPERATIONS = {
    "list users": lambda db, who, w: admin.list_users(db, who),
    "add a user": lambda db, who, w: admin.add_user(db, who, f"new{who}", PASSWORD,
                                                    "interviewer"),
    "change a role": lambda db, who, w: admin.change_role(db, who, w["other"], "supervisor"),
    "reset a password": lambda db, who, w: admin.reset_password(db, who, w["other"],
                                                                "pass-Q9-xyz-1"),
    "deactivate a user": lambda db, who, w: admin.deactivate_user(db, who, w["other"]),
}


def test_supervisor_operations_refuse_interviewers_and_inactive_accounts(database,
                                                                          world):
    for name, operation in SUPERVISOR_OPERATIONS.items():
        refused(database, lambda op=operation: op(database, world["interviewer"], world))
        for role in ("supervisor", "admin"):
            try:
                operation(database, world[role], world)
            except CatiError as exc:  # pragma: no cover - the message says which
                pytest.fail(f"{name} as {role}: {exc}")
    # a supervisor whose account was deactivated is refused everything, claims included
    with database.unit() as session:
        session.execute(update(User).where(User.id == world["supervisor"]).values(active=False))
    for operation in SUPERVISOR_OPERATIONS.values():
        refused(database, lambda op=operation: op(database, world["supervisor"], world))
    refused(database, lambda: next_call(database, world["project"], world["supervisor"],
                                        "ws-boss", now=NOW))


def test_admin_operations_refuse_supervisors_and_interviewers(database, world):
    for operation in ADMIN_OPERATIONS.values():
        for role in ("interviewer", "supervisor"):
            refused(database, lambda op=operation, r=role: op(database, world[r], world))
        operation(database, world["admin"], world)


def test_an_interviewer_reads_and_writes_only_its_case_and_interview(database, world):
    ivan, held, field = world["interviewer"], world["held"], world["field"]
    info = interviews.load_interview(database, held, user_id=ivan, workstation="ws-ivan")
    assert info.case_id == world["held_case"]
    interviews.save_answers(database, held, {"age": "41"}, current_item="residence",
                            user_id=ivan, workstation="ws-ivan")
    # the same interview from another workstation, a colleague's field interview, a closed one
    refused(database, lambda: interviews.load_interview(database, held, user_id=ivan,
                                                        workstation="ws-elsewhere"), LeaseLost)
    refused(database, lambda: interviews.save_answers(
        database, held, {"age": "50"}, current_item=None, user_id=ivan,
        workstation="ws-elsewhere"), LeaseLost)
    refused(database, lambda: interviews.load_interview(database, field, user_id=ivan))
    refused(database, lambda: interviews.save_answers(database, field, {"age": "50"},
                                                      current_item=None, user_id=ivan))
    refused(database, lambda: interviews.close_interview(database, field, "1.1", user_id=ivan))
    refused(database, lambda: interviews.save_answers(database, world["closed"], {"age": "50"},
                                                      current_item=None, user_id=ivan),
            CatiError)
    # its own field interview is its own; a supervisor reads any interview
    interviews.save_answers(database, field, {"age": "33"}, current_item=None,
                            user_id=world["other"])
    assert interviews.load_interview(database, field, user_id=world["supervisor"]).answers == {
        "age": "33"}


def test_the_logged_in_backend_acts_as_its_account_only(database, world, db_url):
    backend = Backend(db_url, workstation="ws-ivan")
    try:
        user = backend.login("interviewer", PASSWORD)
        project = world["project"]
        refused(database, lambda: backend.sample_browser().count(project))
        refused(database, lambda: backend.monitor_snapshot(project))
        refused(database, lambda: backend.list_appointments(project))
        refused(database, lambda: backend.import_service().run("R", world["phones"]))
        refused(database, lambda: backend.audit_service(user.id).page())
        refused(database, lambda: backend.sample_browser(world["supervisor"]))
        refused(database, lambda: backend.correct_answer(world["closed"], "age", "99"))
        refused(database, lambda: backend.next_call(project, world["other"]))
        refused(database, lambda: backend.save_answers(world["held"], {"age": "1"},
                                                       current_item=None,
                                                       user_id=world["other"]))
        saved = backend.save_answers(world["held"], {"age": "42"}, current_item=None,
                                     user_id=user.id)
        assert saved.quota_full is False
        backend.login("supervisor", PASSWORD)
        assert backend.sample_browser().count(project) == 6
        assert backend.monitor_snapshot(project) is not None
    finally:
        backend.close()

"""The supervisor console's services: accounts (admins only, the last admin kept), project
settings (pause, calling hours, attempt caps; validated, one line), quotas; every change audited
with the acting user, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from cati.calling.hours import DEFAULT_WINDOWS, CallingHours
from cati.calling.outcomes import project_policy
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import AuthenticationFailed, CatiError, NotFound, PermissionDenied
from cati.services import admin
from cati.services.projects import create_project
from cati.services.users import add_user, authenticate
from cati.storage.models import AuditEntry, Case, Interview, Project, Quota, User
from tests.accounts import is_secret, stored_secret

T = dt.time
BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING).astimezone(dt.UTC)


@pytest.fixture
def people(database):
    """User ids by role name, and a project with numbers in two strata and 2 completes in 古槐."""
    with database.unit() as session:
        ids = {role: add_user(session, role, "password-123", role, role.title()).id
               for role in ("admin", "supervisor", "interviewer")}
        project = create_project(session, "ADMIN", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+8613800000{n:03d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": stratum, "attributes": {},
             "time_zone": "Asia/Shanghai", "draw": n}
            for n, stratum in enumerate(["古槐街道", "古槐街道", "清河街道", "", "清河街道"])])
        session.execute(insert(Interview), [
            {"project_id": project.id, "questionnaire_id": project.questionnaire_id,
             "state": "complete", "stratum": "古槐街道", "started_at": MONDAY_10, "seed": n,
             "mode": "field", "language": ""} for n in range(2)])
    ids["project"] = project.id
    return ids


def audit(database) -> list[tuple[int | None, str, dict]]:
    with database.unit(immediate=False) as session:
        return [(e.user_id, e.action, e.details) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.not_in(("login", "login_failed")))
            .order_by(AuditEntry.id)) if not e.action.startswith("db_")]  # PostgreSQL's own


def user_row(database, username: str) -> User:
    with database.unit(immediate=False) as session:
        return session.scalar(select(User).where(User.username == username))


def project_row(database, project_id: int) -> Project:
    with database.unit(immediate=False) as session:
        return session.get(Project, project_id)


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert text and "\n" not in text
    return text


# -- accounts ----------------------------------------------------------------------------------


def test_an_admin_lists_and_adds_users_and_the_addition_is_audited(database, people):
    listed = admin.list_users(database, people["admin"])
    assert [(u.username, u.role, u.active) for u in listed] == [
        ("admin", "admin", True), ("interviewer", "interviewer", True),
        ("supervisor", "supervisor", True)]
    added = admin.add_user(database, people["admin"], "zhou", "pass-Q9-uohz-1", "interviewer", "周")
    row = user_row(database, "zhou")
    assert (row.id, row.role, row.display_name, row.active) == (added.id, "interviewer", "周",
                                                                True)
    assert is_secret(stored_secret(database, "zhou"))
    with database.unit() as session:
        assert authenticate(session, "zhou", "pass-Q9-uohz-1").id == added.id
    assert audit(database) == [(people["admin"], "user_added",
                                {"user_id": added.id, "username": "zhou",
                                 "role": "interviewer"})]


def test_adding_a_user_keeps_the_rules_of_users_add_user(database, people):
    acting = people["admin"]
    with pytest.raises(CatiError) as short:
        admin.add_user(database, acting, "zhou", "short", "interviewer")
    assert one_line(short) == "a password needs at least 8 characters (密码至少 8 个字符)"
    with pytest.raises(CatiError, match="role must be one of interviewer, supervisor, admin"):
        admin.add_user(database, acting, "zhou", "pass-Q9-uohz-1", "boss")
    with pytest.raises(CatiError, match="already exists"):
        admin.add_user(database, acting, "supervisor", "pass-Q9-uohz-1", "interviewer")
    assert user_row(database, "zhou") is None and audit(database) == []


@pytest.mark.parametrize("who", ["supervisor", "interviewer", "inactive admin", "nobody"])
def test_only_an_active_admin_manages_users(database, people, who):
    if who == "inactive admin":
        acting = admin.add_user(database, people["admin"], "old", "pass-Q9-dlo-123", "admin").id
        admin.deactivate_user(database, people["admin"], acting)
    else:
        acting = people.get(who, 9999)
    before = audit(database)
    target = people["interviewer"]
    attempts = [
        lambda: admin.list_users(database, acting),
        lambda: admin.add_user(database, acting, "zhou", "pass-Q9-uohz-1", "admin"),
        lambda: admin.deactivate_user(database, acting, target),
        lambda: admin.reactivate_user(database, acting, target),
        lambda: admin.reset_password(database, acting, target, "new-pass-123"),
        lambda: admin.change_role(database, acting, target, "admin"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied) as refused:
            attempt()
        assert one_line(refused) == "only an admin can manage users (仅管理员可以管理用户)"
    row = user_row(database, "interviewer")
    assert (row.role, row.active) == ("interviewer", True)
    assert user_row(database, "zhou") is None and audit(database) == before


def test_deactivate_and_reactivate(database, people):
    acting, target = people["admin"], people["interviewer"]
    info = admin.deactivate_user(database, acting, target)
    assert not info.active and not user_row(database, "interviewer").active
    with database.unit() as session, pytest.raises(AuthenticationFailed):
        authenticate(session, "interviewer", "password-123")
    admin.deactivate_user(database, acting, target)  # already inactive: nothing to do
    assert admin.reactivate_user(database, acting, target).active
    assert user_row(database, "interviewer").active
    with database.unit() as session:
        authenticate(session, "interviewer", "password-123")
    assert audit(database) == [
        (acting, "user_deactivated", {"user_id": target, "username": "interviewer"}),
        (acting, "user_reactivated", {"user_id": target, "username": "interviewer"})]


def test_reset_password(database, people):
    acting, target = people["admin"], people["supervisor"]
    old_hash = stored_secret(database, "supervisor")
    admin.reset_password(database, acting, target, "brand-new-secret")
    new_hash = stored_secret(database, "supervisor")
    assert new_hash != old_hash and is_secret(new_hash)
    with database.unit() as session:
        assert authenticate(session, "supervisor", "brand-new-secret").id == target
    with database.unit() as session, pytest.raises(AuthenticationFailed):
        authenticate(session, "supervisor", "password-123")
    with pytest.raises(CatiError) as short:
        admin.reset_password(database, acting, target, "1234567")
    assert one_line(short) == "a password needs at least 8 characters (密码至少 8 个字符)"
    assert stored_secret(database, "supervisor") == new_hash
    entries = audit(database)
    assert entries == [(acting, "password_reset", {"user_id": target, "username": "supervisor"})]
    assert "brand-new-secret" not in repr(entries)


def test_change_role(database, people):
    acting, target = people["admin"], people["interviewer"]
    assert admin.change_role(database, acting, target, "supervisor").role == "supervisor"
    assert user_row(database, "interviewer").role == "supervisor"
    with pytest.raises(CatiError) as bad:
        admin.change_role(database, acting, target, "boss")
    assert one_line(bad) == "role must be one of interviewer, supervisor, admin, not 'boss'"
    with pytest.raises(NotFound, match="no user 9999"):
        admin.change_role(database, acting, 9999, "admin")
    assert audit(database) == [(acting, "role_changed", {
        "user_id": target, "username": "interviewer", "old_role": "interviewer",
        "new_role": "supervisor"})]


def test_the_last_active_admin_can_neither_be_deactivated_nor_demoted(database, people):
    me = people["admin"]
    for attempt in (lambda: admin.deactivate_user(database, me, me),
                    lambda: admin.change_role(database, me, me, "supervisor")):
        with pytest.raises(CatiError) as refused:
            attempt()
        assert one_line(refused) == ("'admin' is the last active admin: make another user "
                                     "admin first (至少要保留一个在用的管理员)")
    row = user_row(database, "admin")
    assert (row.role, row.active) == ("admin", True) and audit(database) == []

    # An inactive admin does not count.
    other = admin.add_user(database, me, "second", "pass-Q9-dnoces-1", "admin").id
    admin.deactivate_user(database, me, other)
    with pytest.raises(CatiError, match="last active admin"):
        admin.change_role(database, me, me, "supervisor")

    # With another active admin, an admin may step down; the other is then the last one.
    admin.reactivate_user(database, me, other)
    admin.change_role(database, me, me, "supervisor")
    assert user_row(database, "admin").role == "supervisor"
    with pytest.raises(PermissionDenied):
        admin.list_users(database, me)
    with pytest.raises(CatiError, match="'second' is the last active admin"):
        admin.deactivate_user(database, other, other)
    assert user_row(database, "second").active


# -- project settings -----------------------------------------------------------------------


def test_a_new_project_has_the_default_hours_and_caps(database, people):
    settings = admin.project_settings(database, people["supervisor"], people["project"])
    assert (settings.code, settings.status, settings.paused) == ("ADMIN", "active", False)
    assert settings.calling_hours == CallingHours()
    assert settings.calling_hours.days[0] == ((T(9), T(12)), (T(14), T(21)))
    assert (settings.max_attempts, settings.max_attempts_per_day) == (6, 3)


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_pause_and_resume(database, people, role):
    acting, project = people[role], people["project"]
    assert admin.pause_project(database, acting, project).paused
    assert project_row(database, project).status == "paused"
    admin.pause_project(database, acting, project)  # already paused: nothing to do
    assert admin.resume_project(database, acting, project).status == "active"
    assert project_row(database, project).status == "active"
    assert audit(database) == [
        (acting, "project_paused", {"project_id": project, "code": "ADMIN",
                                    "old_status": "active"}),
        (acting, "project_resumed", {"project_id": project, "code": "ADMIN",
                                     "old_status": "paused"})]


def test_a_closed_project_is_neither_paused_nor_resumed(database, people):
    with database.unit() as session:
        session.execute(update(Project).values(status="closed"))
    for attempt in (admin.pause_project, admin.resume_project):
        with pytest.raises(CatiError) as refused:
            attempt(database, people["admin"], people["project"])
        assert one_line(refused) == ("project 'ADMIN' is closed: it cannot be paused or "
                                     "resumed (项目已结束)")
    assert project_row(database, people["project"]).status == "closed"


def test_an_interviewer_cannot_touch_project_settings(database, people):
    acting, project = people["interviewer"], people["project"]
    for attempt in (
            lambda: admin.project_settings(database, acting, project),
            lambda: admin.pause_project(database, acting, project),
            lambda: admin.resume_project(database, acting, project),
            lambda: admin.update_project_settings(database, acting, project, max_attempts=9)):
        with pytest.raises(PermissionDenied, match="only a supervisor or an admin can"):
            attempt()
    row = project_row(database, project)
    assert (row.status, row.settings["max_attempts"]) == ("active", 6)
    assert audit(database) == []


def test_calling_hours_and_caps_are_stored_in_the_project_settings(database, people):
    acting, project = people["supervisor"], people["project"]
    weekday = [("08:30", "12:00"), (T(13, 30), T(20, 0))]
    days = [weekday] * 5 + [[("10:00", "16:00")], []]
    before = dict(project_row(database, project).settings)
    settings = admin.update_project_settings(database, acting, project, calling_hours=days,
                                             max_attempts=8, max_attempts_per_day=2)
    stored = project_row(database, project).settings
    expected_hours = {key: [["08:30", "12:00"], ["13:30", "20:00"]]
                      for key in ("mon", "tue", "wed", "thu", "fri")}
    expected_hours.update(sat=[["10:00", "16:00"]], sun=[])
    assert stored == {**before, "calling_hours": expected_hours, "max_attempts": 8,
                      "max_attempts_per_day": 2}
    hours = admin.project_calling_hours(stored)
    assert hours == settings.calling_hours
    assert hours.days[0] == ((T(8, 30), T(12)), (T(13, 30), T(20)))
    assert hours.days[5] == ((T(10), T(16)),) and hours.days[6] == ()
    assert (project_policy({}, stored).max_attempts, project_policy({}, stored).max_per_day) \
        == (8, 2)
    assert audit(database) == [(acting, "project_settings_changed", {
        "project_id": project, "code": "ADMIN",
        "old": {"calling_hours": None, "max_attempts": 6, "max_attempts_per_day": 3},
        "new": {"calling_hours": expected_hours, "max_attempts": 8,
                "max_attempts_per_day": 2}})]
    # Saving the same values again changes nothing and writes no audit entry.
    admin.update_project_settings(database, acting, project, calling_hours=hours,
                                  max_attempts=8, max_attempts_per_day=2)
    assert len(audit(database)) == 1


def test_one_setting_at_a_time_keeps_the_others(database, people):
    acting, project = people["admin"], people["project"]
    admin.update_project_settings(database, acting, project, max_attempts_per_day=1)
    stored = project_row(database, project).settings
    assert (stored["max_attempts"], stored["max_attempts_per_day"]) == (6, 1)
    assert "calling_hours" not in stored


def test_midnight_ends_a_window_and_is_stored_as_24_00(database, people):
    days = [[("18:00", "24:00")], [(T(18), T(0))], [], [], [], [], []]
    admin.update_project_settings(database, people["admin"], people["project"],
                                  calling_hours=days)
    stored = project_row(database, people["project"]).settings["calling_hours"]
    assert stored["mon"] == stored["tue"] == [["18:00", "24:00"]]
    assert admin.project_calling_hours({"calling_hours": stored}).days[0] == ((T(18), T(0)),)


MONDAY_ONLY = [[("09:00", "12:00")]] + [[]] * 6

BAD_SETTINGS = [
    ({"calling_hours": [[("12:00", "09:00")]] + [[]] * 6},
     "calling hours, Monday (周一): 12:00–09:00 does not end after it starts "
     "(结束时间须晚于开始时间)"),
    ({"calling_hours": [[]] * 2 + [[("10:00", "10:00")]] + [[]] * 4},
     "calling hours, Wednesday (周三): 10:00–10:00 does not end after it starts "
     "(结束时间须晚于开始时间)"),
    ({"calling_hours": [[]] * 6 + [[("14:00", "21:00"), ("09:00", "14:30")]]},
     "calling hours, Sunday (周日): 09:00–14:30 and 14:00–21:00 overlap (时段重叠)"),
    ({"calling_hours": [[("18:00", "24:00"), ("20:00", "21:00")]] + [[]] * 6},
     "calling hours, Monday (周一): 18:00–24:00 and 20:00–21:00 overlap (时段重叠)"),
    ({"calling_hours": [[("9点", "12:00")]] + [[]] * 6},
     "calling hours, Monday (周一): '9点' is not a time like 09:00 (时间格式应为 09:00)"),
    ({"calling_hours": [[("24:00", "12:00")]] + [[]] * 6},
     "calling hours, Monday (周一): '24:00' is not a time like 09:00 (时间格式应为 09:00)"),
    ({"calling_hours": MONDAY_ONLY[:6]},
     "calling hours need 7 weekdays, Monday to Sunday, not 6 (需要周一至周日 7 天)"),
    ({"calling_hours": [[]] * 7},
     "calling hours: no window on any day (每周至少需要一个呼叫时段)"),
    ({"max_attempts": 0},
     "maximum attempts must be a whole number from 1 to 99, not 0 (最大拨打次数须为 1–99)"),
    ({"max_attempts_per_day": 0},
     "attempts per day must be a whole number from 1 to 99, not 0 (每日拨打次数须为 1–99)"),
    ({"max_attempts_per_day": True},
     "attempts per day must be a whole number from 1 to 99, not True (每日拨打次数须为 1–99)"),
    ({"max_attempts": "6"},
     "maximum attempts must be a whole number from 1 to 99, not '6' (最大拨打次数须为 1–99)"),
]


def test_settings_are_checked_with_one_clear_line_and_nothing_is_stored(database, people):
    acting, project = people["supervisor"], people["project"]
    before = dict(project_row(database, project).settings)
    for changes, message in BAD_SETTINGS:
        # A valid change beside the mistake is not stored either.
        with pytest.raises(CatiError) as refused:
            admin.update_project_settings(database, acting, project,
                                          **{"max_attempts": 9, **changes})
        assert one_line(refused) == message, changes
    assert project_row(database, project).settings == before
    assert audit(database) == []


def test_project_calling_hours_from_stored_settings():
    assert admin.project_calling_hours(None) == CallingHours()
    assert admin.project_calling_hours({"max_attempts": 3}) == CallingHours()
    hours = admin.project_calling_hours({"calling_hours": {"sat": [["10:00", "16:00"]],
                                                           "sun": []}})
    assert hours.days[:5] == (DEFAULT_WINDOWS,) * 5
    assert hours.days[5] == ((T(10), T(16)),) and hours.days[6] == ()
    as_list = admin.project_calling_hours({"calling_hours": [[["09:00", "17:00"]]] * 7})
    assert as_list == CallingHours.every_day([(T(9), T(17))])
    with pytest.raises(CatiError, match="unknown weekday 'monday'"):
        admin.project_calling_hours({"calling_hours": {"monday": []}})
    with pytest.raises(CatiError, match="overlap"):
        admin.project_calling_hours({"calling_hours": {"mon": [["09:00", "12:00"],
                                                               ["11:00", "13:00"]]}})
    with pytest.raises(CatiError, match="not a table of weekdays"):
        admin.project_calling_hours({"calling_hours": 42})


# -- quotas ---------------------------------------------------------------------------------


def quota_rows(database, project_id) -> dict[str, int]:
    with database.unit(immediate=False) as session:
        return dict(session.execute(select(Quota.stratum, Quota.target)
                                    .where(Quota.project_id == project_id)).all())


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_set_list_and_remove_quotas(database, people, role):
    acting, project = people[role], people["project"]
    assert admin.list_quotas(database, acting, project) == []
    cell = admin.set_quota(database, acting, project, " 古槐街道 ", 10)
    assert (cell.stratum, cell.target, cell.completes, cell.full) == ("古槐街道", 10, 2, False)
    admin.set_quota(database, acting, project, "清河街道", 5)
    assert quota_rows(database, project) == {"古槐街道": 10, "清河街道": 5}
    full = admin.set_quota(database, acting, project, "古槐街道", 2)
    assert full.full and quota_rows(database, project)["古槐街道"] == 2
    assert [(c.stratum, c.target, c.completes, c.full)
            for c in admin.list_quotas(database, acting, project)] == [
        ("古槐街道", 2, 2, True), ("清河街道", 5, 0, False)]
    assert admin.remove_quota(database, acting, project, "清河街道") is True
    assert admin.remove_quota(database, acting, project, "清河街道") is False
    assert quota_rows(database, project) == {"古槐街道": 2}
    assert audit(database) == [
        (acting, "quota_set", {"project_id": project, "stratum": "古槐街道", "old_target": None,
                               "new_target": 10}),
        (acting, "quota_set", {"project_id": project, "stratum": "清河街道", "old_target": None,
                               "new_target": 5}),
        (acting, "quota_set", {"project_id": project, "stratum": "古槐街道", "old_target": 10,
                               "new_target": 2}),
        (acting, "quota_removed", {"project_id": project, "stratum": "清河街道",
                                   "old_target": 5})]


def test_quota_mistakes_and_roles(database, people):
    acting, project = people["supervisor"], people["project"]
    with pytest.raises(CatiError) as blank:
        admin.set_quota(database, acting, project, "  ", 5)
    assert one_line(blank) == "a quota needs a stratum (配额需要样本层)"
    with pytest.raises(CatiError) as negative:
        admin.set_quota(database, acting, project, "古槐街道", -1)
    assert one_line(negative) == ("a quota target must be a whole number, 0 or more, not -1 "
                                  "(配额目标须为 0 或以上的整数)")
    with pytest.raises(NotFound, match="no project 9999"):
        admin.set_quota(database, acting, 9999, "古槐街道", 5)
    interviewer = people["interviewer"]
    for attempt in (lambda: admin.list_quotas(database, interviewer, project),
                    lambda: admin.set_quota(database, interviewer, project, "古槐街道", 5),
                    lambda: admin.remove_quota(database, interviewer, project, "古槐街道"),
                    lambda: admin.project_strata(database, interviewer, project)):
        with pytest.raises(PermissionDenied, match="only a supervisor or an admin"):
            attempt()
    assert quota_rows(database, project) == {} and audit(database) == []


def test_the_strata_of_the_sample(database, people):
    assert admin.project_strata(database, people["supervisor"], people["project"]) == [
        "古槐街道", "清河街道"]


def test_a_stratum_set_full_is_not_served_from_the_next_claim(database, people):
    acting, project = people["supervisor"], people["project"]
    admin.set_quota(database, acting, project, "古槐街道", 2)  # 2 completes: full
    admin.set_quota(database, acting, project, "清河街道", 0)  # stopped
    with database.unit() as session:  # leave only numbers of the two strata
        session.execute(update(Case).where(Case.stratum == "").values(state="closed"))
    assert claim_next_case(database, project, "ws", now=MONDAY_10) is None
    admin.set_quota(database, acting, project, "清河街道", 1)
    claimed = claim_next_case(database, project, "ws", now=MONDAY_10)
    assert claimed is not None and claimed.stratum == "清河街道"


def test_the_service_object_runs_the_same_functions(database, people):
    service = admin.AdminService(database)
    assert service.role_of(people["supervisor"]) == "supervisor"
    assert service.role_of(9999) is None
    service.pause_project(people["supervisor"], people["project"])
    assert project_row(database, people["project"]).status == "paused"
    service.set_quota(people["supervisor"], people["project"], "清河街道", 3)
    assert quota_rows(database, people["project"]) == {"清河街道": 3}
    with database.unit(immediate=False) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2

"""The desktop backend binds the logged-in account to every service it hands the windows: an
interviewer's session could call the admin service with an admin's id and create an admin, the
audit log naming the admin. Now another account's id is refused and a left-out one is filled in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cati.backend import Backend
from cati.errors import PermissionDenied
from cati.services.users import add_user
from cati.storage.models import AuditEntry, User


@pytest.fixture
def accounts(database):
    with database.unit() as session:
        return {"boss": add_user(session, "boss", "K7-ssob-2026!", "admin").id,
                "ivan": add_user(session, "ivan", "K7-navi-2026!", "interviewer").id}


def _count(database, model) -> int:
    with database.unit(immediate=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_interviewer_session_cannot_act_as_the_admin(db_url, database, accounts):
    backend = Backend(db_url, "ws-ivan")
    try:
        backend.login("ivan", "K7-navi-2026!")
        service = backend.admin_service()
        users_before, audit_before = _count(database, User), _count(database, AuditEntry)
        with pytest.raises(PermissionDenied, match="another account"):
            service.add_user(accounts["boss"], "mallory", "K7-yrollam-2026!", "admin")
        with pytest.raises(PermissionDenied, match="another account"):
            service.add_user(acting_user_id=accounts["boss"], username="mallory",
                             password="K7-yrollam-2026!", role="admin")
        with pytest.raises(PermissionDenied, match="only an admin"):  # as itself: its role
            service.add_user(accounts["ivan"], "mallory", "K7-yrollam-2026!", "admin")
        assert (_count(database, User), _count(database, AuditEntry)) == (users_before,
                                                                           audit_before)
    finally:
        backend.close()


def test_the_admins_own_session_acts_as_itself(db_url, database, accounts):
    backend = Backend(db_url, "ws-boss")
    try:
        backend.login("boss", "K7-ssob-2026!")
        added = backend.admin_service().add_user(accounts["boss"], "zhou", "K7-uohz-2026!",
                                                 "interviewer")
        with database.unit(immediate=False) as session:
            entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user_added")
                                    ).one()
        assert (entry.user_id, entry.details["username"]) == (accounts["boss"], added.username)
    finally:
        backend.close()

"""One facade over the services for the desktop app: each method is one unit of work.

The app calls these on its database worker thread; each returns frozen dataclasses.
"""

from __future__ import annotations

from cati.services import projects, users
from cati.services.projects import ProjectInfo
from cati.services.users import UserInfo
from cati.storage.db import Database


class Backend:
    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._database: Database | None = None

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.db_url)
        return self._database

    def open(self) -> None:
        """Connect and migrate to the newest schema (the app calls this at start)."""
        self.database.upgrade()

    def login(self, username: str, password: str) -> UserInfo:
        with self.database.unit() as session:
            return users.authenticate(session, username, password)

    def active_projects(self) -> list[ProjectInfo]:
        with self.database.unit() as session:
            return [p for p in projects.list_projects(session) if p.status == "active"]

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()

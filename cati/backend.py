"""One facade over the services for the desktop app: each method is one unit of work.

The app calls these on its database worker thread; each returns frozen dataclasses (or the
immutable compiled form, which the window's interview engine walks in memory).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from cati.calling.outcomes import BookedAppointment, OutcomeResult, book_appointment
from cati.calling.outcomes import record_outcome as _record_outcome
from cati.calling.queue import release_case, renew_lease
from cati.errors import NotFound
from cati.questionnaire.model import Form
from cati.services import appointments, interviews, presence, projects, users
from cati.services.clock import utc_now
from cati.services.dispositions import call_buttons, list_dispositions
from cati.services.interviews import InterviewInfo, SaveResult
from cati.services.monitor import Snapshot, snapshot
from cati.services.projects import ProjectInfo
from cati.services.questionnaires import form_of
from cati.services.users import UserInfo
from cati.services.workstation import CallInfo, DispositionButton, next_call, workstation_name
from cati.storage.db import Database
from cati.storage.models import Project


class Backend:
    def __init__(self, db_url: str, workstation: str | None = None) -> None:
        self.db_url = db_url
        self.workstation = workstation or workstation_name()
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
        return users.log_in(self.database, username, password)

    def active_projects(self) -> list[ProjectInfo]:
        with self.database.unit(immediate=False) as session:
            return [p for p in projects.list_projects(session) if p.status == "active"]

    def project_form(self, project_id: int) -> Form:
        with self.database.unit(immediate=False) as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"no project {project_id}")
            return form_of(session, project.questionnaire_id)

    def call_buttons(self, project_id: int) -> list[DispositionButton]:
        return call_buttons(list_dispositions(self.database, project_id))

    def next_call(self, project_id: int, interviewer_id: int, *,
                  take_back: bool = False) -> CallInfo | None:
        return next_call(self.database, project_id, interviewer_id, self.workstation,
                         take_back=take_back)

    def renew_lease(self, case_id: int) -> bool:
        return renew_lease(self.database, case_id, self.workstation)

    def release_case(self, case_id: int) -> bool:
        """Give the case back without an outcome (the window closed during a call)."""
        return release_case(self.database, case_id, self.workstation)

    def record_outcome(self, case_id: int, code: str, *, interviewer_id: int | None,
                       note: str = "", started_at: dt.datetime | None = None,
                       interview_id: int | None = None) -> OutcomeResult:
        return _record_outcome(self.database, case_id, self.workstation, code,
                               interviewer_id=interviewer_id, note=note, started_at=started_at,
                               interview_id=interview_id)

    def book_appointment(self, case_id: int, window_start: dt.datetime,
                         window_end: dt.datetime, *, hard: bool, note: str,
                         interviewer_id: int | None,
                         started_at: dt.datetime | None = None) -> BookedAppointment:
        return book_appointment(self.database, case_id, self.workstation,
                                window_start=window_start, window_end=window_end, hard=hard,
                                note=note, interviewer_id=interviewer_id, started_at=started_at)

    def open_interview(self, project_id: int, *, case_id: int | None, interviewer_id: int | None,
                       mode: str = "phone", language: str = "") -> InterviewInfo:
        return interviews.open_interview(self.database, project_id, case_id=case_id,
                                         interviewer_id=interviewer_id,
                                         workstation=self.workstation if case_id else None,
                                         mode=mode, language=language)

    def save_answers(self, interview_id: int, changes: Mapping[str, str], *,
                     current_item: str | None, user_id: int | None) -> SaveResult:
        return interviews.save_answers(self.database, interview_id, changes,
                                       current_item=current_item, user_id=user_id,
                                       workstation=self.workstation)

    def close_field_interview(self, interview_id: int, code: str) -> None:
        """End an interview made without a call (field mode) with its disposition."""
        interviews.close_interview(self.database, interview_id, code)

    def report_presence(self, user_id: int, project_id: int | None, state: str,
                        case_id: int | None = None) -> None:
        presence.report_presence(self.database, self.workstation, user_id, project_id, state,
                                 case_id)

    def list_appointments(self, project_id: int, include_closed: bool = False):
        return appointments.list_appointments(self.database, project_id,
                                              include_closed=include_closed)

    def move_appointment(self, appointment_id: int, start: dt.datetime, end: dt.datetime, *,
                         user_id: int | None):
        return appointments.move_appointment(self.database, appointment_id, start, end,
                                             user_id=user_id)

    def cancel_appointment(self, appointment_id: int, *, user_id: int | None):
        return appointments.cancel_appointment(self.database, appointment_id, user_id=user_id)

    def sample_browser(self):
        """The supervisor's paged view of a project's cases and the actions on them."""
        from cati.services.sample_browser import SampleBrowser

        return SampleBrowser(self.database)

    def write_monthly_report(self, project_code: str, path: str, compare: str | None = None):
        from cati.reporting.monthly import write_monthly_report

        return write_monthly_report(self.database, project_code, path, compare)

    def suggestion_service(self):
        """Residents' suggestions: review, route, follow-up calls."""
        from cati.services.suggestions import SuggestionService

        return SuggestionService(self.database)

    def admin_service(self):
        """Quotas, project settings and users for the console (role-checked per call)."""
        from cati.services.admin import AdminService

        return AdminService(self.database)

    def import_service(self):
        """The phone-list import facade (its calls run on a worker, never the GUI thread)."""
        from cati.services.import_session import ImportService

        return ImportService(self.database)

    def monitor_snapshot(self, project_id: int) -> Snapshot:
        return snapshot(self.database, project_id)

    def now(self) -> dt.datetime:
        return utc_now()

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()

"""One facade over the services for the desktop app: each method is one unit of work.

The app calls these on its database worker thread; each returns frozen dataclasses (or the
immutable compiled form, which the window's interview engine walks in memory).

After :meth:`Backend.login` the backend holds the logged-in session: every later call first
checks, in the database, that the account is still active with the same role and password
(users.check_session; SessionExpired, "log in again", when not, e.g. after a password change
on another workstation or an admin's reset), acts as that account (an id given for another
account is refused), and the supervisor-only calls check the role. The services check the
roles again (the window's buttons are a convenience, not the guard). A Backend nobody logged
into (scripts, benchmarks, tests of one window) passes the ids it is given to the services.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Mapping

from sqlalchemy.engine import make_url

from cati.calling.outcomes import BookedAppointment, OutcomeResult, book_appointment
from cati.calling.outcomes import record_outcome as _record_outcome
from cati.calling.queue import release_case, renew_lease
from cati.config import user_data_dir
from cati.errors import CatiError, NotFound, PermissionDenied, SessionExpired
from cati.journal import ANSWERS, FIELD_CLOSE, OUTCOME, Flushed, Journal, write_journal
from cati.questionnaire.model import Form
from cati.services import appointments, assignments, interviews, presence, projects, users
from cati.services.assignments import AssignmentInfo, ClaimScope
from cati.services.clock import utc_now
from cati.services.dispositions import call_buttons, list_dispositions
from cati.services.interviews import InterviewInfo, SaveResult
from cati.services.monitor import Snapshot, snapshot
from cati.services.phone_settings import PhoneProjectSettings
from cati.services.projects import ProjectInfo
from cati.services.questionnaires import form_of
from cati.services.recordings import AttachedCall, FinishedCall
from cati.services.users import SUPERVISOR_ROLES, SessionStamp, UserInfo
from cati.services.workstation import (
    CallInfo,
    DispositionButton,
    MyDay,
    NoCallReason,
    WindowIdentity,
    my_day,
    next_call,
    why_no_call,
)
from cati.storage.db import Database
from cati.storage.models import Project
from cati.telephony.settings import PhoneSettings


class Backend:
    def __init__(self, db_url: str, workstation: str | None = None) -> None:
        """``workstation``: the lease holder's name to use; None (the app) gives this window its
        own (cati.services.workstation.WindowIdentity), made when first needed (on the worker)."""
        self.db_url = db_url
        self._workstation = workstation
        self._identity: WindowIdentity | None = None
        self._database: Database | None = None
        self.user: UserInfo | None = None  # the logged-in account
        self._stamp: SessionStamp | None = None
        # Called (on the worker thread) with the message when the session has expired; the
        # app shows the login window again.
        self.on_session_expired: Callable[[str], None] | None = None

    @property
    def workstation(self) -> str:
        """This window's lease holder's name: unique while the window runs; a window started
        after one of the same account crashed adopts that one's name (and takes back its case)."""
        if self._workstation is None:
            self._identity = WindowIdentity()
            self._workstation = self._identity.name
        return self._workstation

    @property
    def window_note(self) -> str:
        """What to tell the user about other windows of this account on this machine ("" when
        there are none): read after login(), which makes this window's name."""
        return "" if self._identity is None else self._identity.note

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.db_url)
        return self._database

    @property
    def per_person(self) -> bool:
        """PostgreSQL with a URL that names no login: each person logs in as their own database
        login (cati.storage.pg_security), so the database connection is made at log-in."""
        url = make_url(self.db_url)
        return url.get_backend_name() == "postgresql" and not url.username

    def open(self) -> None:
        """Connect and migrate to the newest schema (the app calls this at start). With
        per-person logins nothing can connect before someone logs in: login() opens it."""
        if self.per_person and self._stamp is None:
            return
        self.database.upgrade()

    def login(self, username: str, password: str) -> UserInfo:
        """Log in (audited, slowed down after failures) and hold the session. Per person, the
        name and password are the database login's: the server checks them (and slows
        failures down), and every later call runs as that login."""
        if self.per_person:
            person = users.connect_as(self.db_url, username, password)
            try:
                person.upgrade()  # a schema behind: one line saying the owner must upgrade
                user = users.whoami(person)
            except BaseException:
                person.dispose()
                raise
            if self._database is not None:
                self._database.dispose()
            self._database = person
        else:
            user = users.log_in(self.database, username, password)
        with self.database.unit(immediate=False) as session:
            stamp = users.session_stamp(session, user.id)
        self.user, self._stamp = user, stamp
        self.workstation  # noqa: B018  (this window's name, made here on the worker thread)
        return user

    def change_password(self, old_password: str, new_password: str) -> None:
        """The logged-in user's own change: every other session of the account must log in
        again; this one stays."""
        user_id = self._acting()
        if user_id is None:
            raise PermissionDenied("log in first (请先登录)")
        self._stamp = users.change_password(self.database, user_id, old_password, new_password)

    def _acting(self, user_id: int | None = None, *,
                roles: tuple[str, ...] | None = None) -> int | None:
        """The id to act as: the logged-in account, after checking its session (and ``roles``);
        ``user_id`` given by the window must be that account. Without a login: ``user_id``."""
        stamp = self._stamp
        if stamp is None:
            return user_id
        with self.database.unit(immediate=False) as session:
            try:
                user = users.check_session(session, stamp)
            except SessionExpired as expired:
                if self.on_session_expired is not None:
                    self.on_session_expired(str(expired))
                raise
            if roles is not None and user.role not in roles:
                raise PermissionDenied("only a supervisor or an admin can do this "
                                       "(仅督导或管理员可以操作)")
        if user_id is not None and user_id != stamp.user_id:
            raise PermissionDenied("the window acts for another account than the one logged "
                                   "in (与登录账户不符)")
        return stamp.user_id

    def _as(self, user_id: int | None) -> int | None:
        """Which account a service made now will act as, without asking the database (the
        window makes services on the GUI thread; their calls check the session)."""
        stamp = self._stamp
        if stamp is None:
            return user_id
        if user_id is not None and user_id != stamp.user_id:
            raise PermissionDenied("the window acts for another account than the one logged "
                                   "in (与登录账户不符)")
        return stamp.user_id

    def _guarded(self, service, *, roles: tuple[str, ...] | None = None):
        """``service`` whose every method first checks the logged-in session (on the thread
        that calls it: the worker)."""
        if self._stamp is None:
            return service
        return _SessionGuard(service, lambda: self._acting(roles=roles))

    def active_projects(self) -> list[ProjectInfo]:
        self._acting()
        with self.database.unit(immediate=False) as session:
            return [p for p in projects.list_projects(session) if p.status == "active"]

    def project_form(self, project_id: int) -> Form:
        self._acting()
        with self.database.unit(immediate=False) as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"no project {project_id}")
            return form_of(session, project.questionnaire_id)

    def call_buttons(self, project_id: int) -> list[DispositionButton]:
        self._acting()
        return call_buttons(list_dispositions(self.database, project_id))

    def my_day(self, project_id: int) -> MyDay:
        """The logged-in interviewer's own figures today."""
        if self.user is None:
            raise PermissionDenied("log in first (请先登录)")
        return my_day(self.database, project_id, self.user.id)

    def why_no_call(self, project_id: int) -> NoCallReason:
        return why_no_call(self.database, project_id)

    def next_call(self, project_id: int, interviewer_id: int, *,
                  take_back: bool = False) -> CallInfo | None:
        interviewer_id = self._acting(interviewer_id)
        return next_call(self.database, project_id, interviewer_id, self.workstation,
                         take_back=take_back)

    def renew_lease(self, case_id: int) -> bool:
        self._acting()
        return renew_lease(self.database, case_id, self.workstation)

    def release_case(self, case_id: int) -> bool:
        """Give the case back without an outcome (the window closed during a call)."""
        self._acting()
        return release_case(self.database, case_id, self.workstation)

    def record_outcome(self, case_id: int, code: str, *, interviewer_id: int | None,
                       note: str = "", started_at: dt.datetime | None = None,
                       interview_id: int | None = None) -> OutcomeResult:
        interviewer_id = self._acting(interviewer_id)
        return _record_outcome(self.database, case_id, self.workstation, code,
                               interviewer_id=interviewer_id, note=note, started_at=started_at,
                               interview_id=interview_id)

    def book_appointment(self, case_id: int, window_start: dt.datetime,
                         window_end: dt.datetime, *, hard: bool, note: str,
                         interviewer_id: int | None,
                         started_at: dt.datetime | None = None) -> BookedAppointment:
        interviewer_id = self._acting(interviewer_id)
        return book_appointment(self.database, case_id, self.workstation,
                                window_start=window_start, window_end=window_end, hard=hard,
                                note=note, interviewer_id=interviewer_id, started_at=started_at)

    def open_interview(self, project_id: int, *, case_id: int | None, interviewer_id: int | None,
                       mode: str = "phone", language: str = "") -> InterviewInfo:
        interviewer_id = self._acting(interviewer_id)
        return interviews.open_interview(self.database, project_id, case_id=case_id,
                                         interviewer_id=interviewer_id,
                                         workstation=self.workstation if case_id else None,
                                         mode=mode, language=language)

    def save_answers(self, interview_id: int, changes: Mapping[str, str], *,
                     current_item: str | None, user_id: int | None) -> SaveResult:
        user_id = self._acting(user_id)
        return interviews.save_answers(self.database, interview_id, changes,
                                       current_item=current_item, user_id=user_id,
                                       workstation=self.workstation)

    def close_field_interview(self, interview_id: int, code: str) -> None:
        """End an interview made without a call (field mode) with its disposition."""
        interviews.close_interview(self.database, interview_id, code, user_id=self._acting())

    def correct_answer(self, interview_id: int, question: str, value: str, *,
                       reason: str = ""):
        """A supervisor's correction of a closed interview's answer (audited)."""
        user_id = self._acting(roles=SUPERVISOR_ROLES)
        if user_id is None:
            raise PermissionDenied("log in first (请先登录)")
        return interviews.correct_answer(self.database, interview_id, question, value,
                                         user_id=user_id, reason=reason)

    def report_presence(self, user_id: int, project_id: int | None, state: str,
                        case_id: int | None = None, reason: str = "") -> None:
        user_id = self._acting(user_id)
        presence.report_presence(self.database, self.workstation, user_id, project_id, state,
                                 case_id, reason=reason)

    def list_appointments(self, project_id: int, include_closed: bool = False):
        user_id = self._acting(roles=SUPERVISOR_ROLES)
        return appointments.list_appointments(self.database, project_id,
                                              include_closed=include_closed, user_id=user_id)

    def move_appointment(self, appointment_id: int, start: dt.datetime, end: dt.datetime, *,
                         user_id: int | None):
        user_id = self._acting(user_id, roles=SUPERVISOR_ROLES)
        return appointments.move_appointment(self.database, appointment_id, start, end,
                                             user_id=user_id)

    def cancel_appointment(self, appointment_id: int, *, user_id: int | None):
        user_id = self._acting(user_id, roles=SUPERVISOR_ROLES)
        return appointments.cancel_appointment(self.database, appointment_id, user_id=user_id)

    def sample_browser(self, user_id: int | None = None):
        """The supervisor's paged view of a project's cases and the actions on them, reading as
        ``user_id`` (the logged-in account when there is one)."""
        from cati.services.sample_browser import SampleBrowser

        return self._guarded(SampleBrowser(self.database, self._as(user_id)),
                             roles=SUPERVISOR_ROLES)

    def index_rule(self, project_code: str):
        """The rule in force for the project (cati.services.series.RuleView)."""
        self._acting(roles=SUPERVISOR_ROLES)
        from cati.services.series import rule_view

        with self.database.unit(immediate=False) as session:
            return rule_view(session, project_code)

    def set_index_rule(self, project_code: str, policy: dict, *, for_series: bool = False):
        """Store ``policy`` as the project's own rule, or its series' rule; the new view."""
        user_id = self._acting(roles=SUPERVISOR_ROLES)
        from cati.services.series import rule_view, set_rule

        with self.database.unit() as session:
            series = rule_view(session, project_code).series if for_series else None
            if for_series and series is None:
                raise CatiError(f"project {project_code} belongs to no series")
            set_rule(session, policy, project_code=None if for_series else project_code,
                     series_code=series, user_id=user_id)
            return rule_view(session, project_code)

    def series_waves(self, project_code: str):
        """The waves of the project's series, oldest first (the project alone without one)."""
        self._acting(roles=SUPERVISOR_ROLES)
        from cati.services.series import project_waves

        with self.database.unit(immediate=False) as session:
            return project_waves(session, project_code)

    def close_wave(self, project_code: str):
        """Close (freeze) the project's wave (cati.services.series.close_wave)."""
        user_id = self._acting(roles=SUPERVISOR_ROLES)
        from cati.services.series import close_wave

        with self.database.unit() as session:
            return close_wave(session, project_code, user_id=user_id)

    def write_monthly_report(self, project_code: str, path: str, compare: str | None = None):
        """The monthly report: the Word 通报 for a .docx path, the workbook for .xlsx."""
        self._acting(roles=SUPERVISOR_ROLES)
        from cati.reporting.monthly import write_report

        return write_report(self.database, project_code, path, compare)

    def suggestion_service(self):
        """Residents' suggestions: review, route, follow-up calls."""
        from cati.services.suggestions import SuggestionService

        return self._guarded(SuggestionService(self.database), roles=SUPERVISOR_ROLES)

    def unit_service(self):
        """Responsible units, routing rules, overdue list, per-unit figures, intake."""
        from cati.services.units import UnitService

        return self._guarded(UnitService(self.database), roles=SUPERVISOR_ROLES)

    def admin_service(self):
        """Quotas, project settings and users for the console (role-checked per call)."""
        from cati.services.admin import AdminService

        return self._guarded(AdminService(self.database))

    def import_service(self):
        """The phone-list import facade (its calls run on a worker, never the GUI thread)."""
        from cati.services.import_session import ImportService

        return self._guarded(ImportService(self.database), roles=SUPERVISOR_ROLES)

    def audit_service(self, user_id: int | None = None):
        """The audit log for the console, read as ``user_id`` (the logged-in account when there
        is one): supervisor or admin, checked per call."""
        from cati.services.audit import AuditService

        user_id = self._as(user_id)
        if user_id is None:
            raise PermissionDenied("log in first (请先登录)")
        return self._guarded(AuditService(self.database, user_id), roles=SUPERVISOR_ROLES)

    def productivity(self, project_id: int, first_day: dt.date, last_day: dt.date):
        """Each interviewer's hours, time per state and calls by day and shift (supervisors)."""
        from cati.services.productivity import productivity

        user_id = self._acting(roles=SUPERVISOR_ROLES)
        return productivity(self.database, project_id, first_day, last_day, user_id=user_id)

    def changes_since(self, cursor: int | None, user_id: int | None = None):
        """What the room changed after ``cursor`` (cati.services.changes), read as the
        logged-in supervisor or admin: the console's open tabs refresh from it."""
        from cati.services.changes import changes_since

        user_id = self._acting(user_id, roles=SUPERVISOR_ROLES)
        if user_id is None:
            raise PermissionDenied("log in first (请先登录)")
        return changes_since(self.database, user_id, cursor)

    def write_productivity(self, path: str, rows) -> str:
        from cati.services.productivity import write_productivity_xlsx

        self._acting(roles=SUPERVISOR_ROLES)
        return str(write_productivity_xlsx(path, rows))

    def monitor_snapshot(self, project_id: int) -> Snapshot:
        user_id = self._acting(roles=SUPERVISOR_ROLES)
        return snapshot(self.database, project_id, user_id=user_id)

    def web_activity(self, project_code: str):
        """The console's web tab (cati.web.activity.web_activity): supervisors and admins."""
        from cati.web.activity import web_activity

        user_id = self._acting(roles=SUPERVISOR_ROLES)
        return web_activity(self.database, project_code, user_id=user_id)

    def hand_over_to_web(self, case_id: int, *, interviewer_id: int | None,
                         started_at: dt.datetime | None = None):
        """Mid-call, the respondent prefers the web: the call stored, a personal link made, the
        case released to wait for it (cati.web.links.hand_over_to_web; returns its Handover)."""
        from cati.web.links import hand_over_to_web

        interviewer_id = self._acting(interviewer_id)
        return hand_over_to_web(self.database, case_id, self.workstation,
                                interviewer_id=interviewer_id, started_at=started_at)

    # -- the workstation's journal (see cati.journal) -----------------------------------------
    @property
    def journal(self) -> Journal:
        """The workstation's journal: ``journal.db`` in the user data directory."""
        if getattr(self, "_journal", None) is None:
            self._journal = Journal(user_data_dir() / "journal.db")
        return self._journal

    @property
    def journal_key(self) -> str:
        """The database the journal's entries belong to: its URL without the password."""
        return make_url(self.db_url).render_as_string(hide_password=True)

    def _journaled(self, kind: str, payload: dict, *, interview_id: int | None,
                   case_id: int | None, user_id: int | None) -> Flushed:
        """Keep the entry in the journal, then write the journal to the database (in order);
        when the database cannot take it now the entry waits and ``offline`` says why."""
        if self.user is not None:
            user_id = self.user.id
        entry = self.journal.add(self.journal_key, kind, workstation=self.workstation,
                                 payload=payload, interview_id=interview_id, case_id=case_id,
                                 user_id=user_id, now=utc_now())
        return write_journal(self.database, self.journal, self.journal_key, until=entry.id)

    def save_answers_journaled(self, interview_id: int, changes: Mapping[str, str], *,
                               current_item: str | None, case_id: int | None,
                               user_id: int | None) -> Flushed:
        """save_answers through the journal: ``result`` is the SaveResult when written."""
        return self._journaled(ANSWERS, {"changes": dict(changes), "current_item": current_item},
                               interview_id=interview_id, case_id=case_id, user_id=user_id)

    def record_outcome_journaled(self, case_id: int, code: str, *, interviewer_id: int | None,
                                 note: str = "", started_at: dt.datetime | None = None,
                                 interview_id: int | None = None,
                                 call: FinishedCall | None = None) -> Flushed:
        """record_outcome through the journal (the case is written once, even if a lost reply's
        commit had landed); ``call``: the softphone's call, stored on the attempt."""
        started = (started_at or utc_now()).astimezone(dt.UTC).isoformat()
        payload = {"code": code, "note": note, "started_at": started}
        if call is not None:
            payload["call"] = call.as_json()
        return self._journaled(OUTCOME, payload, interview_id=interview_id, case_id=case_id,
                               user_id=interviewer_id)

    # -- the softphone (cati.telephony) -------------------------------------------------------
    def phone_setup(self, project_code: str) -> tuple[PhoneSettings | None, PhoneProjectSettings]:
        """This seat's phone.json (None when there is none: the window's manual mode) and the
        project's telephony settings (recording, ring time, outcome table, dialing plan)."""
        from cati.services.phone_settings import phone_settings
        from cati.telephony import settings as seat

        self._acting()
        mine = seat.checked(seat.load()) if seat.settings_path().exists() else None
        return mine, phone_settings(self.database, project_code)

    def store_call(self, attempt_id: int, call: FinishedCall, *,
                   user_id: int | None) -> AttachedCall:
        """A call whose attempt was stored without the journal (an appointment booked)."""
        from cati.services.recordings import store_finished_call

        user_id = self._acting(user_id)
        if user_id is None:
            raise PermissionDenied("log in first (请先登录)")
        return store_finished_call(self.database, attempt_id, call, actor_id=user_id)

    def close_field_interview_journaled(self, interview_id: int, code: str) -> Flushed:
        return self._journaled(FIELD_CLOSE, {"code": code}, interview_id=interview_id,
                               case_id=None, user_id=None)

    def write_journal(self) -> Flushed:
        """Write what waits in the journal (the window calls this while it reconnects)."""
        return write_journal(self.database, self.journal, self.journal_key)

    def now(self) -> dt.datetime:
        return utc_now()

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
        if self._identity is not None:
            self._identity.release()

    # -- back-checks (复核) ------------------------------------------------------------------

    def backcheck_service(self):
        """Back-checks for the console's 复核 tab: draw, the list and the figures (supervisors
        and admins, checked per call)."""
        from cati.services.backcheck import BackcheckService

        return self._guarded(BackcheckService(self.database), roles=SUPERVISOR_ROLES)

    def qc_service(self):
        """Quality control by listening for the console's 录音抽查 tab: draw, the reviews with
        their recordings checked, scoring and the figures (supervisors and admins, checked per
        call)."""
        from cati.services.qc import QcService

        return self._guarded(QcService(self.database), roles=SUPERVISOR_ROLES)

    # -- named interviewers on a project or a stratum (cati.services.assignments) -----------
    def assignments(self, project_id: int) -> list[AssignmentInfo]:
        self._acting(roles=tuple(SUPERVISOR_ROLES))
        return assignments.list_assignments(self.database, project_id)

    def assignment_choices(self, project_id: int) -> tuple[list[tuple[str, str]], list[str]]:
        """The active interviewers (username, name) and the project's strata, for the panel."""
        self._acting(roles=tuple(SUPERVISOR_ROLES))
        return (assignments.interviewers(self.database),
                assignments.project_strata(self.database, project_id))

    def add_assignment(self, project_id: int, username: str, *, stratum: str | None = None,
                       only: bool = False) -> AssignmentInfo:
        actor = self._acting(roles=tuple(SUPERVISOR_ROLES))
        return assignments.add_assignment(self.database, project_id, username, stratum=stratum,
                                          only=only, actor_id=actor)

    def remove_assignment(self, project_id: int, username: str, *,
                          stratum: str | None = None) -> None:
        actor = self._acting(roles=tuple(SUPERVISOR_ROLES))
        assignments.remove_assignment(self.database, project_id, username, stratum=stratum,
                                      actor_id=actor)

    def assignment_scope(self, project_id: int, interviewer_id: int) -> ClaimScope:
        """What the project's assignments mean for this interviewer (the Ready page)."""
        interviewer_id = self._acting(interviewer_id)
        return assignments.claim_scope(self.database, project_id, interviewer_id)


_ACTING_PARAMETERS = ("acting_user_id", "user_id")


class _SessionGuard:
    """A service object whose every method first calls ``check`` (the logged-in session, which
    returns the logged-in account's id) and acts as that account: a method's ``acting_user_id``
    or ``user_id`` is that id — left out, it is filled in; another account's id is refused
    (PermissionDenied), so a window cannot act for anyone but who logged in."""

    def __init__(self, service, check) -> None:
        self._service, self._check = service, check

    def __getattr__(self, name: str):
        value = getattr(self._service, name)
        if not callable(value) or name.startswith("_"):
            return value
        try:
            signature = inspect.signature(value)
        except (TypeError, ValueError):
            signature = None
        acting = next((p for p in _ACTING_PARAMETERS
                       if signature is not None and p in signature.parameters), None)

        def checked(*args, **kwargs):
            me = self._check()
            if acting is not None and me is not None:
                bound = signature.bind_partial(*args, **kwargs)
                given = bound.arguments.get(acting)
                if given is not None and given != me:
                    raise PermissionDenied("the window acts for another account than the one "
                                           "logged in (与登录账户不符)")
                bound.arguments[acting] = me
                return value(*bound.args, **bound.kwargs)
            return value(*args, **kwargs)

        return checked

"""The stored data model (SQLAlchemy 2.0, typed). Migrations under ``migrations/`` build it.

Every instant is stored in UTC (``UtcDateTime``); every case carries its IANA time zone.
Services never hand these ORM objects out: they return frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[dt.datetime]):
    """An aware datetime stored as UTC; naive values are refused (a bug, not user input)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite keeps no offset: what we stored was UTC
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# JSON text on SQLite, JSONB on PostgreSQL.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")
# An integer primary key that is 64-bit on PostgreSQL and a rowid on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


# Queue order of the open states, as SQL; the claim orders by exactly this expression.
QUEUE_RANK = "(CASE state WHEN 'resume' THEN 0 WHEN 'scheduled' THEN 1 ELSE 2 END)"
OPEN_STATES_SQL = "state IN ('resume', 'scheduled', 'fresh')"
FRESH_SQL = "state = 'fresh'"
LEASED_SQL = "lease_holder IS NOT NULL"
OPEN_APPOINTMENT_SQL = "kept_by_attempt_id IS NULL AND cancelled = false AND missed = false"
OPEN_INTERVIEW_SQL = "state = 'in_progress'"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16))  # interviewer | supervisor | admin
    # argon2id on SQLite; "" on PostgreSQL, where the login role holds the SCRAM verifier.
    # Deferred: no PostgreSQL login but an admin's may read the column.
    password_hash: Mapped[str] = mapped_column(String(255), deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Set when the password changes (by the user or an admin reset): a session that logged in
    # before it is told to log in again.
    credentials_changed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Questionnaire(Base):
    """One exact version of a form: the workbook bytes as loaded, never edited in place."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str] = mapped_column(String(255))
    workbook: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class QuestionnaireFile(Base):
    """A data file stored with a questionnaire version (select_one_from_file, pulldata(),
    instance()): the exact bytes read beside the form when it was stored, never edited, so
    every workstation and a resumed interview read the same data."""

    __tablename__ = "questionnaire_files"
    __table_args__ = (UniqueConstraint("questionnaire_id", "file_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class Series(Base):
    """A survey series (e.g. 公众安全感月度测评): its waves are projects (``Project.series_id``);
    it owns the index rule in force for them (``settings["index_policy"]``), a quotas template
    ([{"stratum", "target"}], copied into each new wave) and its standing open links."""

    __tablename__ = "series"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    quotas: Mapped[list[Any]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


OPEN_WAVE_SQL = "series_id IS NOT NULL AND status <> 'closed'"


class Project(Base):
    """A survey project; inside a series, one wave of it (``period`` e.g. "2026-11"). At most
    one wave of a series is open (not closed); closing freezes the wave (migration 0013)."""

    __tablename__ = "projects"
    __table_args__ = (
        Index("ix_projects_series_period", "series_id", "period", unique=True),
        Index("ix_projects_open_wave", "series_id", unique=True,
              postgresql_where=text(OPEN_WAVE_SQL), sqlite_where=text(OPEN_WAVE_SQL)),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused | closed
    settings: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    period: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The index rule in force when the wave closed ({"index_policy", "source"}): its reports
    # use this copy for ever, whatever the series' rule becomes.
    frozen_rule: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    # The suggestions as the closed wave's monthly report listed them (text, category, stratum,
    # state, unit at the close): the published report keeps them while their handling goes on.
    frozen_suggestions: Mapped[list[Any] | None] = mapped_column(JsonDoc)


class SampleBatch(Base):
    __tablename__ = "sample_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    rejects_file: Mapped[str | None] = mapped_column(String(1024))
    # importing: its cases wait in import_pending, seen by no one; publishing: decided, its cases
    # are moving into ``cases`` (a stopped move is finished by the next import or
    # ``cati sample cleanup``); complete. A batch stopped while importing is deleted.
    state: Mapped[str] = mapped_column(String(16), default="complete",
                                       server_default=text("'complete'"))


class ImportPending(Base):
    """The cases of a batch not yet published: written in short transactions, then moved into
    ``cases`` a bounded number of rows per transaction, so an import never holds SQLite's write
    lock for long and its cases appear only once the whole batch is stored."""

    __tablename__ = "import_pending"
    # No index but the key: imports run one at a time, so a batch's rows are one run of ids
    # (walked in key order), and the table is empty between imports.
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("sample_batches.id"))
    project_id: Mapped[int] = mapped_column(Integer)
    phone_e164: Mapped[str] = mapped_column(String(20))
    phone_raw: Mapped[str] = mapped_column(String(64))
    number_type: Mapped[str] = mapped_column(String(24))
    region: Mapped[str] = mapped_column(String(128))
    carrier: Mapped[str] = mapped_column(String(64))
    time_zone: Mapped[str] = mapped_column(String(64))
    stratum: Mapped[str] = mapped_column(String(128))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    draw: Mapped[int] = mapped_column(Integer)


class Case(Base):
    """One phone number of a project's sample and where it stands in the calling process."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("project_id", "phone_e164", name="uq_cases_project_phone"),
        Index("ix_cases_queue", "project_id", "state", "next_call_at"),
        # The supervisor's sample table pages through a project in id order.
        Index("ix_cases_project_id", "project_id", "id"),
        # The monitor's one pass over a project's cases reads only this index.
        Index("ix_cases_monitor", "project_id", "state", "disposition", "stratum", "attempts"),
        # The monitor's cases called today (and their dispositions), read from this index only.
        Index("ix_cases_called", "project_id", "last_called_at", "disposition"),
        # The claim walks this index in queue order and stops at the first callable case.
        Index("ix_cases_claim", "project_id", text(QUEUE_RANK), text("priority DESC"),
              "next_call_at", "draw", "id",
              postgresql_where=text(OPEN_STATES_SQL), sqlite_where=text(OPEN_STATES_SQL)),
        # The claim's walk within one stratum (a named interviewer's own strata first,
        # cati.services.assignments).
        Index("ix_cases_claim_stratum", "project_id", "stratum", text(QUEUE_RANK),
              text("priority DESC"), "next_call_at", "draw", "id",
              postgresql_where=text(OPEN_STATES_SQL), sqlite_where=text(OPEN_STATES_SQL)),
        # Fresh numbers of one stratum in random order (quota-led drawing).
        Index("ix_cases_fresh", "project_id", "stratum", text("priority DESC"), "draw", "id",
              postgresql_where=text(FRESH_SQL), sqlite_where=text(FRESH_SQL)),
        # A workstation finds the cases it still holds (after a crash) without a scan.
        Index("ix_cases_lease_holder", "lease_holder",
              postgresql_where=text(LEASED_SQL), sqlite_where=text(LEASED_SQL)),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("sample_batches.id"), index=True)
    # Deferred: on PostgreSQL an interviewer's login may not read them (cati.storage.pg_security);
    # the one case it holds comes through cases_phone (cati.calling.queue).
    phone_e164: Mapped[str] = mapped_column(String(20), deferred=True)
    phone_raw: Mapped[str] = mapped_column(String(64), default="", deferred=True)
    number_type: Mapped[str] = mapped_column(String(24), default="")
    region: Mapped[str] = mapped_column(String(128), default="")
    carrier: Mapped[str] = mapped_column(String(64), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    stratum: Mapped[str] = mapped_column(String(128), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="fresh")
    disposition: Mapped[str | None] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_call_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    lease_holder: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # A random number drawn at import: fresh numbers are called in this order.
    draw: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # The start of the latest attempt (a call or an appointment booked); None: never called.
    last_called_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # PostgreSQL: the login that took the lease (a trigger sets it from session_user).
    lease_login: Mapped[str | None] = mapped_column(String(128))


class CallAttempt(Base):
    __tablename__ = "call_attempts"
    __table_args__ = (
        # The monitor counts a project's attempts (of today, by hour and interviewer, or all by
        # disposition) from this index alone.
        Index("ix_call_attempts_project_started", "project_id", "started_at", "interviewer_id",
              "disposition"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The case's project, copied so that a project's attempts are found without the cases.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    workstation: Mapped[str] = mapped_column(String(128), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    disposition: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    # The softphone's view of the call (migration 0020; cati.services.recordings), all None for
    # a call dialled by hand: the machine-detected outcome (answered, busy, no_answer,
    # rejected, not_found, failed), the final SIP status, the disposition it proposed (the
    # interviewer's choice is ``disposition``), and the SIP times (dial, first ring, answer,
    # hang-up; ``ended_at`` is when the attempt was coded, after the hang-up).
    machine_outcome: Mapped[str | None] = mapped_column(String(16))
    sip_status: Mapped[int | None] = mapped_column(Integer)
    proposed_disposition: Mapped[str | None] = mapped_column(String(8))
    dialled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    rang_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    hung_up_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Recording(Base):
    """One call's recording file (cati.services.recordings): where it is, and its size,
    duration and sha256 as measured when it was filed. One per attempt. Read, like phone
    numbers, by supervisors only."""

    __tablename__ = "recordings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("call_attempts.id"), unique=True)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    duration_s: Mapped[float] = mapped_column(Float)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_open", "window_start",
              postgresql_where=text(OPEN_APPOINTMENT_SQL),
              sqlite_where=text(OPEN_APPOINTMENT_SQL)),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    window_start: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    hard: Mapped[bool] = mapped_column(Boolean, default=False)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    kept_by_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempts.id"))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The window ended without a call: flagged, and the case went back as a normal retry.
    missed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


VOID_STATE = "void"
"""An interview's state once its case, closed as complete, was reopened: kept with its answers,
counted nowhere (indices, quotas, reports), exported only when asked."""


class Interview(Base):
    __tablename__ = "interviews"
    __table_args__ = (
        # Completes per stratum (quotas) and an interviewer's open interviews (resume).
        Index("ix_interviews_quota", "project_id", "state", "stratum"),
        Index("ix_interviews_open", "interviewer_id",
              postgresql_where=text(OPEN_INTERVIEW_SQL), sqlite_where=text(OPEN_INTERVIEW_SQL)),
        # Today's interviews by mode and state (the monitor's web and phone counts).
        Index("ix_interviews_started", "project_id", "started_at", "mode", "state"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(8), default="phone")  # phone | field | web
    language: Mapped[str] = mapped_column(String(64), default="")
    # in_progress | complete | partial | void (a complete whose case a supervisor reopened:
    # kept, counted nowhere unless asked)
    state: Mapped[str] = mapped_column(String(16), default="in_progress")
    disposition: Mapped[str | None] = mapped_column(String(8))
    seed: Mapped[int] = mapped_column(BigInteger, default=0)
    current_item: Mapped[str | None] = mapped_column(String(128))
    # The interview's stratum: the answer to the form's cati::stratum_question (its label),
    # else the case's sample stratum. Quotas count completes by it.
    stratum: Mapped[str] = mapped_column(String(128), default="", server_default=text("''"))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Answer(Base):
    """The current value of one question in one interview (history lives in answer_events)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("interview_id", "question", name="uq_answers_interview_question"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"))
    question: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    sequence: Mapped[int] = mapped_column(Integer)


class ContactPhone(Base):
    """The phone a respondent without a called number (web, QR, field) left for a call-back;
    the answer keeps only a mask (cati.services.contact_phones). Protected like cases' phones."""

    __tablename__ = "contact_phones"
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), primary_key=True)
    question: Mapped[str] = mapped_column(String(128))
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    phone_raw: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AnswerEvent(Base):
    """Append-only: every set, change and clear of an answer, who and when."""

    __tablename__ = "answer_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), index=True)
    question: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(8))  # set | change | clear
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Disposition(Base):
    """A project's outcome codes: data, seeded from the AAPOR telephone table, editable."""

    __tablename__ = "dispositions"
    __table_args__ = (UniqueConstraint("project_id", "code", name="uq_dispositions_project_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    code: Mapped[str] = mapped_column(String(8))
    label_zh: Mapped[str] = mapped_column(String(64))
    label_en: Mapped[str] = mapped_column(String(64))
    aapor_class: Mapped[str] = mapped_column(String(2))
    final: Mapped[bool] = mapped_column(Boolean)
    retry_minutes: Mapped[int | None] = mapped_column(Integer)
    contact: Mapped[bool] = mapped_column(Boolean, default=False)
    counts_attempt: Mapped[bool] = mapped_column(Boolean, default=True)
    shortcut: Mapped[str] = mapped_column(String(16), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class DoNotCall(Base):
    __tablename__ = "dnc"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_e164: Mapped[str] = mapped_column(String(20), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class Quota(Base):
    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("project_id", "stratum", name="uq_quotas_project_stratum"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    stratum: Mapped[str] = mapped_column(String(128))
    expression: Mapped[str | None] = mapped_column(Text)
    target: Mapped[int] = mapped_column(Integer)


class Suggestion(Base):
    """One resident's opinion: an open answer of an interview (``interview_id``), or one taken
    in by hand from the hotline, a letter, a suggestion box or a 110 record (``channel``; no
    interview). ``project_id`` is the project it belongs to either way."""

    __tablename__ = "suggestions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interviews.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    question: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    valid: Mapped[bool | None] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(64))
    responsible_unit: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="new")
    notes: Mapped[str] = mapped_column(Text, default="")
    follow_up_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # The unit's reply (read to the resident on the call-back) and the call-back's result.
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")
    replied_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    follow_up_outcome: Mapped[str | None] = mapped_column(String(16))
    follow_up_satisfaction: Mapped[str | None] = mapped_column(String(16))
    followed_up_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    subcategory: Mapped[str | None] = mapped_column(String(64))
    # "" : an interview's answer; hotline (12345) | letter | box | 110: taken in by hand.
    channel: Mapped[str] = mapped_column(String(16), default="", server_default="")
    received_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    township: Mapped[str] = mapped_column(String(128), default="", server_default="")
    # Deferred: on PostgreSQL an interviewer's (and the web's) login may not read them
    # (cati.storage.pg_security.SUGGESTION_CONTACT_COLUMNS), like the sample's phones.
    contact_name: Mapped[str] = mapped_column(String(128), default="", server_default="",
                                              deferred=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20), deferred=True)
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    # Stamped when the suggestion is assigned to its unit (assigned_at + the category's
    # deadline) and when the unit answers (resolved_at).
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


@event.listens_for(Suggestion, "before_insert")
def _suggestion_project(_mapper: Any, _connection: Any, target: Suggestion) -> None:
    """A suggestion of an interview belongs to the interview's project, whoever adds it."""
    if target.project_id is None and target.interview_id is not None:
        target.project_id = (select(Interview.project_id)  # type: ignore[assignment]
                             .where(Interview.id == target.interview_id).scalar_subquery())


class ResponsibleUnit(Base):
    """A unit suggestions are routed to: a 派出所, the 交警大队, a township's 综治中心, a
    民生 department. Kept per project for now (a series would be the better owner)."""

    __tablename__ = "responsible_units"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_responsible_units_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    township: Mapped[str] = mapped_column(String(128), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class RoutingRule(Base):
    """category [× subcategory] × township → unit; subcategory "" and township "*" match any."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("project_id", "category", "subcategory", "township",
                                       name="uq_routing_rules_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    subcategory: Mapped[str] = mapped_column(String(64), default="")
    township: Mapped[str] = mapped_column(String(128), default="*")
    unit_id: Mapped[int] = mapped_column(ForeignKey("responsible_units.id"))


class Presence(Base):
    """What each workstation is doing now, for the supervisor's monitor (one row per
    workstation, upserted on every state change and once a minute while the window is open)."""

    __tablename__ = "presence"
    workstation: Mapped[str] = mapped_column(String(128), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    state: Mapped[str] = mapped_column(String(16))  # ready | paused | call | interviewing | offline
    since: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    case_id: Mapped[int | None] = mapped_column(BigId)
    seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Why a paused workstation is paused: break | training | meeting | other ("" otherwise).
    reason: Mapped[str] = mapped_column(String(32), default="", server_default=text("''"))


class PresenceLog(Base):
    """Every state a workstation was in and from when to when (``ended_at`` None: still in it):
    the productivity history — hours logged and the time spent in each state."""

    __tablename__ = "presence_log"
    __table_args__ = (Index("ix_presence_log_started", "project_id", "started_at"),
                      Index("ix_presence_log_open", "workstation", "ended_at"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workstation: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class WebKey(Base):
    """The key that signs web links (one row, made on first use; kept in the store so that every
    web server on the same database accepts the same links)."""

    __tablename__ = "web_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class WebLink(Base):
    """A way into a project's web questionnaire: an open link for one collection point, or a
    personal invitation for one case (single use, expiring)."""

    __tablename__ = "web_links"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # point | invite
    point: Mapped[str] = mapped_column(String(128), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # its interview ended
    # A personal invitation's random token, as its SHA-256 (the token itself is only in the link).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # A standing open link of a series: it feeds the series' open wave (``project_id`` is the
    # wave it was made in).
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)


class WebInterview(Base):
    """A web interview: the link it came through and the browser that holds it (the hash of
    its cookie; the cookie itself never reaches the store), for resuming and duplicate counts."""

    __tablename__ = "web_interviews"
    __table_args__ = (
        # Completions per link (point) and hour, and one address's completions on a link.
        Index("ix_web_interviews_link", "link_id", "completed_at"),
    )
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("web_links.id"))
    browser_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address_hash: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class AuditEntry(Base):
    """One entry of the audit log. ``at`` is when the action says it happened (the services'
    clock); ``actor``, ``recorded_at``, ``chain_seq``, ``prev_hash`` and ``hash`` are stamped by
    the store (PostgreSQL: a trigger, from ``session_user`` and ``clock_timestamp()``; SQLite:
    cati.services.audit_chain, from the operating-system account) — whatever the client sets."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_chain", "chain_seq", unique=True),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    actor: Mapped[str] = mapped_column(String(128), default="", server_default="")
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    chain_seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class QuotaMember(Base):
    """A complete interview counted in a quota cell with a condition (cati.services.quotas):
    written when the interview completes, so a cell's completes are one indexed count."""

    __tablename__ = "quota_members"
    __table_args__ = (Index("ix_quota_members_interview", "interview_id"),)
    quota_id: Mapped[int] = mapped_column(ForeignKey("quotas.id", ondelete="CASCADE"),
                                          primary_key=True)
    interview_id: Mapped[int] = mapped_column(BigId, ForeignKey("interviews.id"),
                                              primary_key=True)


class CaseQuotaCell(Base):
    """A case whose sample columns put it in a quota cell that reads only sample columns:
    stamped when the cell is set and when cases are imported, so the claim skips the cases of
    a full cell with one indexed NOT EXISTS."""

    __tablename__ = "case_quota_cells"
    __table_args__ = (Index("ix_case_quota_cells_quota", "quota_id"),)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    quota_id: Mapped[int] = mapped_column(ForeignKey("quotas.id", ondelete="CASCADE"),
                                          primary_key=True)


class Assignment(Base):
    """A named interviewer put on a project (``stratum`` "") or on one stratum of it
    (cati.services.assignments; the claim honours it, cati.calling.queue). ``exclusive`` (the
    command line's ``--only``; ONLY is an SQL keyword): a stratum assignment that keeps the
    interviewer to their assigned strata."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("project_id", "stratum", "user_id",
                                       name="uq_assignments_project_stratum_user"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    stratum: Mapped[str] = mapped_column(String(128), default="")  # "": the whole project
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


__all__ = [
    "Answer",
    "AnswerEvent",
    "Appointment",
    "Assignment",
    "AuditEntry",
    "Base",
    "CallAttempt",
    "Case",
    "CaseQuotaCell",
    "Disposition",
    "DoNotCall",
    "Interview",
    "Presence",
    "Project",
    "Quota",
    "QuotaMember",
    "Recording",
    "ResponsibleUnit",
    "RoutingRule",
    "SampleBatch",
    "Series",
    "Suggestion",
    "User",
    "WebInterview",
    "WebKey",
    "WebLink",
]


class Backcheck(Base):
    """One completed interview drawn for a back-check (复核) call: its case in the back-check
    project and, once that call has an outcome, the result (cati.services.backcheck)."""

    __tablename__ = "backchecks"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)  # the original
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), unique=True)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)  # the call-back
    drawn_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # None while being called; confirmed | not_confirmed | unreachable | refused
    result: Mapped[str | None] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    checked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    check_interview_id: Mapped[int | None] = mapped_column(ForeignKey("interviews.id"))


class QcReview(Base):
    """One completed interview drawn for quality control by listening (录音抽查): the attempt
    and recording listened to and, once scored, the scores per criterion, the note and the
    verdict (cati.services.qc). The supervisors' table only."""

    __tablename__ = "qc_reviews"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), unique=True)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("call_attempts.id"))
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id"))
    drawn_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    scored_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # {"read": 1-5, "leading": 1-5, "coding": 1-5, "polite": 1-5}; {} while not scored
    scores: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    note: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    verdict: Mapped[str | None] = mapped_column(String(8))  # valid | invalid; None: not scored

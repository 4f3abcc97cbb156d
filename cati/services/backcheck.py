"""Back-checks (复核): a random share of every interviewer's completed interviews is called back
to confirm that the interview took place, with this respondent, and roughly as recorded.

Decided:

- **Draw** (:func:`draw_backchecks`; ``cati backcheck draw``). The rate applies to each
  interviewer's completed phone interviews of the project (void ones are never drawn, nor
  counted): an interviewer with ``C`` completes is to have ``max(min_per_interviewer,
  ceil(rate × C))`` of them drawn, and a draw adds what is missing from those not drawn yet
  (an interview, and a case, is drawn at most once). Drawing again later tops every
  interviewer up to the rate of all their completes so far, so a daily draw checks each day's
  new work at the same rate and a draw right after another adds nothing. The sample is random
  (``--seed`` makes it repeatable) among the interviewer's eligible completes.
- **Consent.** The shipped survey asks no consent to a quality call: its ``follow_up_ok`` is
  the respondent's consent to be called by the office responsible about a complaint, asked
  only of those who made one. Drawing only among those would check dissatisfied respondents
  only, and an interviewer who invents interviews could simply answer "no". Centres verify
  any complete (a quality check of the centre's own work, which the respondent already
  agreed to), so every complete is eligible; a project whose form has a consent question for
  call-backs names it in the ``backcheck_consent_question`` setting (and its yes codes in
  ``backcheck_consent_yes``, default ``["1"]``), and then only those who said yes are drawn.
  Numbers on the do-not-call list are never drawn.
- **The back-check project** of project ``CODE`` is ``CODE-FH`` (复核), created on the first
  draw on the shipped form ``data/questionnaires/backcheck.xlsx``, with the calling hours,
  region, area code and attempt caps of the original and ``settings["backcheck_of"]`` naming
  it; later draws add cases to it. Each drawn interview becomes one case on the original
  case's number, with the attributes the form's introduction pipes: ``centre_name`` (the
  original interview's, else the project's setting, else 民情调查服务中心) and ``call_date``
  (the original call's day as read out, 2026年11月23日, in the case's zone), plus
  ``source_project``. The original answers are not in the case: the checker must not be able
  to read them out. The calls are made by whoever works the back-check project, through the
  normal calling path (a centre gives that project to its quality staff, not to the
  interviewers whose work is checked).
- **Result** (:func:`settle`). Worked out from the back-check case by the supervisor's
  session whenever the back-checks are listed, counted or drawn (the console tab, ``cati
  backcheck list|figures``), so the interviewer who makes the call never writes a result
  (on PostgreSQL an interviewer's login has no privilege on the table). For the case's
  completed interview:

  - ``confirmed``: the respondent took part (``took_part`` 是), did not deny it was about
    public safety, and the age band and township agree with the original answers;
  - ``not_confirmed``: anything else, each reason listed in ``details["discrepancies"]``:
    did not take part (否), does not remember taking part (记不清: the check could not
    confirm it), says it was not about public safety, an age band that the original age
    (``resp_age``, else ``age``) does not fall in — one year of slack either side, for a
    birthday between the calls — or another township. A refused age band (不愿回答) or
    a "don't remember" about the topic is noted, not held against the interview; so is the
    length the respondent gives, next to the recorded one (people misjudge it).

  A case closed without an interview is ``refused`` when its last disposition is a refusal
  (AAPOR class R), else ``unreachable`` (attempts exhausted, wrong number …). ``checked_at``
  is when the call ended. A supervisor who finds a not-confirmed interview made up voids it
  with the existing path (the case reopened with a reason: cati.services.sample_browser);
  there is no second way to void.
- **Figures** per interviewer: completes (not void), drawn, checked (a result), confirmed, not
  confirmed, unreachable, refused, and the confirmation rate = confirmed / (confirmed + not
  confirmed), None while neither.

Every write is audited in its transaction: one ``backcheck_drawn`` entry per draw (interview
ids, per interviewer, rate, seed, the back-check project and whether it was created), one
``backcheck_result`` entry per result. A ``user_id`` of None is the command line without
``--user``; a given user must be an active supervisor or admin.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session, aliased, undefer

from cati.calling.queue import CHECKED_INTERVIEWER
from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError, NotFound
from cati.services.clock import utc_now
from cati.services.projects import CODE_PATTERN, DEFAULT_SETTINGS, create_project
from cati.services.questionnaires import form_of, store_questionnaire
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import (
    Answer,
    AuditEntry,
    Backcheck,
    Case,
    Disposition,
    DoNotCall,
    Interview,
    Project,
    User,
)

CONFIRMED, NOT_CONFIRMED, UNREACHABLE, REFUSED = (
    "confirmed", "not_confirmed", "unreachable", "refused")
RESULTS = (CONFIRMED, NOT_CONFIRMED, UNREACHABLE, REFUSED)
RESULT_LABELS = {CONFIRMED: "核实无误", NOT_CONFIRMED: "未能核实", UNREACHABLE: "未联系上",
                 REFUSED: "拒绝复核", None: "待复核"}
RESULT_LABELS_EN = {CONFIRMED: "confirmed", NOT_CONFIRMED: "not confirmed",
                    UNREACHABLE: "unreachable", REFUSED: "refused", None: "pending"}
# Why a back-check did not confirm (details["discrepancies"][i]["code"]).
DISCREPANCY_LABELS = {
    "did_not_take_part": "受访者说没有接受过调查 (did not take part)",
    "does_not_remember": "受访者记不清是否接受过调查 (does not remember the call)",
    "not_public_safety": "受访者说调查不是关于公众安全 (not about public safety)",
    "age_band": "年龄段不符 (age band differs)",
    "township": "乡镇不符 (township differs)",
}
FORM_PATH = QUESTIONNAIRE_DIR / "backcheck.xlsx"
SUFFIX = "-FH"
COMPLETE, VOID = "complete", "void"
REFUSAL_CLASS = "R"
DEFAULT_CENTRE = "民情调查服务中心"
CONSENT_QUESTION_KEY, CONSENT_YES_KEY = "backcheck_consent_question", "backcheck_consent_yes"
COPIED_SETTINGS = ("region", "default_area_code", "calling_hours", "max_attempts",
                   "max_attempts_per_day", "lease_minutes", "centre_name")
# The shipped forms' questions compared (original → back-check).
AGE_QUESTIONS = ("resp_age", "age")
TOWNSHIP_QUESTION = "township"
AGE_BANDS = {"1": (18, 29), "2": (30, 39), "3": (40, 49), "4": (50, 59), "5": (60, 200)}
AGE_SLACK = 1  # a birthday between the two calls
DURATIONS = {"1": (0, 5), "2": (5, 10), "3": (10, 20), "4": (20, None)}  # minutes
RATE_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$")


@dataclass(frozen=True, slots=True)
class DrawResult:
    project: str  # the back-check project's code
    project_id: int
    created: bool  # the back-check project was made by this draw
    drawn: int
    per_interviewer: dict[str, int]  # username -> drawn now (every interviewer with completes)
    skipped_dnc: int = 0  # completes left out: their number is on the do-not-call list

    def as_json(self) -> dict[str, Any]:
        return {"project": self.project, "drawn": self.drawn,
                "per_interviewer": dict(self.per_interviewer)}


@dataclass(frozen=True, slots=True)
class BackcheckRow:
    """One drawn interview as the list shows it."""

    id: int
    interview_id: int
    interviewer: str  # username
    interviewer_name: str  # display name (username when none)
    original_date: dt.datetime | None  # when the original interview ended
    case_id: int  # the back-check case
    drawn_at: dt.datetime
    result: str | None  # None: still being called
    discrepancies: tuple[str, ...]  # readable, one per reason
    notes: tuple[str, ...]
    checked_at: dt.datetime | None
    void: bool  # the original interview has been voided since
    # The discrepancies as stored: {"code": …, "original": …, "reported": …} (a window words
    # them in its own language).
    findings: tuple[dict[str, Any], ...] = ()

    @property
    def result_label(self) -> str:
        return RESULT_LABELS[self.result]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "interview_id": self.interview_id,
                "interviewer": self.interviewer, "interviewer_name": self.interviewer_name,
                "original_date": _iso(self.original_date), "case_id": self.case_id,
                "drawn_at": _iso(self.drawn_at), "result": self.result,
                "result_label": self.result_label, "discrepancies": list(self.discrepancies),
                "notes": list(self.notes), "checked_at": _iso(self.checked_at),
                "void": self.void}


@dataclass(frozen=True, slots=True)
class InterviewerFigures:
    interviewer: str
    interviewer_name: str
    completes: int
    drawn: int
    checked: int
    confirmed: int
    not_confirmed: int
    unreachable: int
    refused: int

    @property
    def rate(self) -> float | None:
        """Confirmed among those the check reached (confirmed + not confirmed)."""
        reached = self.confirmed + self.not_confirmed
        return self.confirmed / reached if reached else None

    def as_json(self) -> dict[str, Any]:
        return {"interviewer": self.interviewer, "interviewer_name": self.interviewer_name,
                "completes": self.completes, "drawn": self.drawn, "checked": self.checked,
                "confirmed": self.confirmed, "not_confirmed": self.not_confirmed,
                "unreachable": self.unreachable, "refused": self.refused,
                "rate": None if self.rate is None else round(self.rate, 4)}


@dataclass(frozen=True, slots=True)
class BackcheckView:
    """What the console tab shows: the list and the figures, read in one go."""

    project: str | None  # the back-check project's code (None: nothing drawn yet)
    rows: list[BackcheckRow] = field(default_factory=list)
    figures: list[InterviewerFigures] = field(default_factory=list)


def _iso(instant: dt.datetime | None) -> str | None:
    return instant.isoformat() if instant else None


# -- input ------------------------------------------------------------------------------------


def parse_rate(value: str | float) -> float:
    """A share as given on the command line or in the console: "5%" or a fraction "0.05"."""
    if isinstance(value, (int, float)):
        rate = float(value)
    else:
        match = RATE_PATTERN.match(str(value))
        if match is None:
            raise CatiError(f"rate '{value}' is not a share like 5% or 0.05 "
                            "(抽取比例应为 5% 或 0.05 这样的数)")
        rate = float(match.group(1)) / (100 if match.group(2) else 1)
        if not match.group(2) and rate > 1:
            raise CatiError(f"rate '{value}' is not a share like 5% or 0.05: write {value}% "
                            "for a percentage (抽取比例应为 5% 或 0.05 这样的数)")
    if not 0 < rate <= 1:
        raise CatiError(f"rate '{value}' must be above 0 and at most 100% "
                        "(抽取比例应大于 0、不超过 100%)")
    return rate


def _actor(session: Session, user_id: int | None) -> int | None:
    """The acting user's id after the house's role check (None: the command line)."""
    if user_id is None:
        return None
    return require_supervisor(session, user_id, "handle back-checks").id


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"no project {project_id}")
    return project


def project_id_of(database: Database, code: str) -> int:
    """The id of the project with this code (NotFound, one line, otherwise)."""
    with database.unit(immediate=False) as session:
        project_id = session.scalar(select(Project.id).where(Project.code == code))
    if project_id is None:
        raise NotFound(f"no project '{code}' (没有项目 {code})")
    return project_id


def _audit(session: Session, user_id: int | None, action: str, now: dt.datetime,
           **details: Any) -> None:
    session.add(AuditEntry(user_id=user_id, at=now, action=action, details=details))


def backcheck_project_of(session: Session, project_id: int) -> Project | None:
    """The back-check project made for ``project_id`` (None before the first draw)."""
    for project in session.scalars(select(Project).order_by(Project.id)):
        link = (project.settings or {}).get("backcheck_of")
        if isinstance(link, dict) and link.get("project_id") == project_id:
            return project
    return None


def _is_backcheck(project: Project) -> bool:
    return isinstance((project.settings or {}).get("backcheck_of"), dict)


# -- draw -------------------------------------------------------------------------------------


def draw_backchecks(database: Database, project_id: int, *, rate: float | str,
                    min_per_interviewer: int = 1, seed: int | None = None,
                    user_id: int | None = None, form_path: str | Path | None = None,
                    now: dt.datetime | None = None) -> DrawResult:
    """Draw completed interviews of every interviewer for back-check calls (module docstring).
    Bad input changes nothing and raises CatiError."""
    rate = parse_rate(rate)
    if min_per_interviewer < 0:
        raise CatiError("--min-per-interviewer must be 0 or more (每人最少抽取数不能为负)")
    now = now or utc_now()
    chooser = random.Random(seed) if seed is not None else random.Random()
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_id)
        if _is_backcheck(project):
            raise CatiError(f"{project.code} is a back-check project: draw from the project it "
                            "checks (这是复核项目,请从原项目抽取)")
        settings = project.settings or {}
        settle(session, project_id, actor, now)
        completes = _completes(session, project_id)
        if not completes:
            raise CatiError(f"project {project.code} has no completed interview to back-check "
                            "(该项目没有可复核的成功访问)")
        drawn_before = {row.interview_id: row.interviewer_id for row in session.scalars(
            select(Backcheck).where(Backcheck.project_id == project_id))}
        drawn_cases = set(session.scalars(
            select(Interview.case_id).join(Backcheck, Backcheck.interview_id == Interview.id)
            .where(Backcheck.project_id == project_id)))
        eligible = _eligible(session, project_id, settings, now,
                             [c for c in completes if c.id not in drawn_before
                              and c.case_id not in drawn_cases])
        skipped_dnc = eligible.pop(None, [])  # type: ignore[call-overload]
        names = dict(session.execute(select(User.id, User.username)).all())
        picked: list[Interview] = []
        per_interviewer: dict[str, int] = {}
        by_interviewer: dict[int, list[Interview]] = {}
        for interview in completes:
            by_interviewer.setdefault(interview.interviewer_id, []).append(interview)
        for interviewer_id in sorted(by_interviewer):
            own = by_interviewer[interviewer_id]
            target = max(min_per_interviewer, math.ceil(rate * len(own) - 1e-9))
            already = sum(1 for i in drawn_before.values() if i == interviewer_id)
            pool = sorted(eligible.get(interviewer_id, []), key=lambda i: i.id)
            count = min(len(pool), max(0, target - already))
            chosen = chooser.sample(pool, count) if count else []
            picked += sorted(chosen, key=lambda i: i.id)
            per_interviewer[names.get(interviewer_id, str(interviewer_id))] = count
        if not picked:  # nothing to add: no project made, nothing written
            existing = backcheck_project_of(session, project_id)
            if existing is None:
                raise CatiError(f"no completed interview of {project.code} can be drawn "
                                f"({len(skipped_dnc)} on the do-not-call list) "
                                "(没有可抽取的成功访问)")
            return DrawResult(existing.code, existing.id, False, 0, per_interviewer,
                              len(skipped_dnc))
        backcheck, created = _backcheck_project(session, database, project, form_path)
        cases = _add_cases(session, project, backcheck, picked, chooser)
        for interview, case in zip(picked, cases, strict=True):
            session.add(Backcheck(project_id=project_id, interview_id=interview.id,
                                  interviewer_id=interview.interviewer_id, case_id=case.id,
                                  drawn_at=now, drawn_by=actor, details={}))
        _audit(session, actor, "backcheck_drawn", now, project_id=project_id,
               backcheck_project_id=backcheck.id, backcheck_project=backcheck.code,
               created=created, rate=rate, min_per_interviewer=min_per_interviewer, seed=seed,
               interview_ids=[i.id for i in picked], per_interviewer=per_interviewer,
               skipped_dnc=len(skipped_dnc))
        session.flush()
        return DrawResult(backcheck.code, backcheck.id, created, len(picked), per_interviewer,
                          len(skipped_dnc))


def _completes(session: Session, project_id: int) -> list[Interview]:
    """The project's completed phone interviews with a case and an interviewer (not void)."""
    return list(session.scalars(
        select(Interview).where(Interview.project_id == project_id,
                                Interview.state == COMPLETE, Interview.mode == "phone",
                                Interview.case_id.is_not(None),
                                Interview.interviewer_id.is_not(None))
        .order_by(Interview.id)))


def _eligible(session: Session, project_id: int, settings: Mapping[str, Any],
              now: dt.datetime, candidates: list[Interview]) -> dict[int | None, list[Interview]]:
    """The candidates that may be called, by interviewer; key None: left out for the
    do-not-call list. Without a consent setting every candidate may."""
    if not candidates:
        return {}
    question = settings.get(CONSENT_QUESTION_KEY)
    if question:
        yes = [str(v) for v in settings.get(CONSENT_YES_KEY) or ["1"]]
        agreed = set(session.scalars(select(Answer.interview_id).where(
            Answer.interview_id.in_([c.id for c in candidates]), Answer.question == question,
            Answer.value.in_(yes))))
        candidates = [c for c in candidates if c.id in agreed]
    phones = dict(session.execute(
        select(Case.id, Case.phone_e164).where(Case.id.in_([c.case_id for c in candidates]))
        ).all())
    blocked = set(session.scalars(select(DoNotCall.phone_e164).where(
        DoNotCall.phone_e164.in_(set(phones.values())),
        or_(DoNotCall.expires_at.is_(None), DoNotCall.expires_at > now))))
    groups: dict[int | None, list[Interview]] = {}
    for interview in candidates:
        key = None if phones.get(interview.case_id) in blocked else interview.interviewer_id
        groups.setdefault(key, []).append(interview)
    return groups


def _backcheck_project(session: Session, database: Database, project: Project,
                       form_path: str | Path | None) -> tuple[Project, bool]:
    existing = backcheck_project_of(session, project.id)
    if existing is not None:
        return existing, False
    code = project.code[:64 - len(SUFFIX)] + SUFFIX
    if not CODE_PATTERN.match(code):
        raise CatiError(f"cannot make a back-check project code from '{project.code}'")
    if session.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise CatiError(f"project {code} exists and is not the back-check project of "
                        f"{project.code} (项目 {code} 已存在)")
    settings = project.settings or {}
    name = f"{project.name}(复核)"[:255]
    extra = {**{k: settings[k] for k in COPIED_SETTINGS if k in settings},
             "backcheck_of": {"project_id": project.id, "code": project.code}}
    if database.is_sqlite or session.scalar(
            text("SELECT has_table_privilege('projects', 'INSERT')")):
        info = create_project(session, code, form_path or FORM_PATH, name=name,
                              default_area_code=settings.get("default_area_code"))
        made = session.get(Project, info.id)
        assert made is not None
        made.settings = {**(made.settings or {}), **extra}
        return made, True
    # A supervisor's PostgreSQL login: the definer function makes the project row
    # (cati.storage.pg_security.BACKCHECK_STATEMENTS), then the default dispositions.
    questionnaire = store_questionnaire(session, form_path or FORM_PATH)

    made_id = session.scalar(
        text("SELECT cati_backcheck_project(:source, :code, :name, CAST(:settings AS jsonb), "
             ":questionnaire)"),
        {"source": project.id, "code": code, "name": name,
         "settings": json.dumps({**DEFAULT_SETTINGS, **extra}, ensure_ascii=False),
         "questionnaire": questionnaire.id})
    made = session.get(Project, made_id)
    assert made is not None
    _default_dispositions(session, made)
    return made, True


def _default_dispositions(session: Session, project: Project) -> None:
    from cati.calling.dispositions import DEFAULT_DISPOSITIONS

    for position, spec in enumerate(DEFAULT_DISPOSITIONS):
        session.add(Disposition(
            project_id=project.id, code=spec.code, label_zh=spec.label_zh,
            label_en=spec.label_en, aapor_class=spec.aapor_class, final=spec.final,
            retry_minutes=spec.retry_minutes, contact=spec.contact,
            counts_attempt=spec.counts_attempt, shortcut=spec.shortcut, position=position))
    session.flush()


def _add_cases(session: Session, project: Project, backcheck: Project,
               picked: list[Interview], chooser: random.Random) -> list[Case]:
    """One case per drawn interview; its calling order (``draw``) from the draw's random
    numbers, so a seeded draw is called in a repeatable order too."""
    if not picked:
        return []
    originals = {case.id: case for case in session.scalars(
        select(Case).where(Case.id.in_([i.case_id for i in picked]))
        .options(undefer(Case.phone_e164), undefer(Case.phone_raw)))}
    centres = dict(session.execute(select(Answer.interview_id, Answer.value).where(
        Answer.interview_id.in_([i.id for i in picked]), Answer.question == "centre_name")).all())
    fallback = str((project.settings or {}).get("centre_name") or DEFAULT_CENTRE)
    taken = set(session.scalars(select(Case.phone_e164).where(
        Case.project_id == backcheck.id)))
    cases = []
    for interview in picked:
        original = originals[interview.case_id]
        if original.phone_e164 in taken:
            raise CatiError(f"number of interview {interview.id} is in {backcheck.code} already")
        taken.add(original.phone_e164)
        zone = original.time_zone or "Asia/Shanghai"
        case = Case(project_id=backcheck.id, phone_e164=original.phone_e164,
                    phone_raw=original.phone_raw or original.phone_e164,
                    number_type=original.number_type, region=original.region,
                    carrier=original.carrier, time_zone=zone, stratum="",
                    attributes={"centre_name": centres.get(interview.id) or fallback,
                                "call_date": _day_words(interview.ended_at
                                                        or interview.started_at, zone),
                                "source_project": project.code,
                                # never handed to the interviewer it checks (cati.calling.queue)
                                CHECKED_INTERVIEWER: interview.interviewer_id},
                    state="fresh", attempts=0, priority=0,
                    draw=chooser.getrandbits(31))
        session.add(case)
        cases.append(case)
    session.flush()
    return cases


def _day_words(instant: dt.datetime, zone: str) -> str:
    """A day as it is read out: 2026年11月23日 (in the respondent's zone)."""
    try:
        local = instant.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = instant.astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{local.year}年{local.month}月{local.day}日"


# -- results ----------------------------------------------------------------------------------


def settle(session: Session, project_id: int, actor: int | None,
           now: dt.datetime) -> dict[str, int]:
    """Write the result of every back-check whose call has one: {result: how many}."""
    pending = session.execute(
        select(Backcheck, Case.project_id, Case.state, Case.disposition, Case.attempts,
               Case.last_called_at)
        .join(Case, Case.id == Backcheck.case_id)
        .where(Backcheck.project_id == project_id, Backcheck.result.is_(None))
        .order_by(Backcheck.id)).all()
    counts: dict[str, int] = {}
    for backcheck, call_project, state, code, attempts, last_called in pending:
        call = session.execute(
            select(Interview.id, Interview.questionnaire_id, Interview.ended_at)
            .where(Interview.case_id == backcheck.case_id, Interview.state == COMPLETE)
            .order_by(Interview.id).limit(1)).first()
        if call is not None:
            result, details = _compare(session, backcheck, call[0], call[1])
            backcheck.check_interview_id = call[0]
            backcheck.checked_at = call[2] or now
        elif state == "closed":
            disposition = session.scalar(select(Disposition).where(
                Disposition.project_id == call_project, Disposition.code == code))
            refused = disposition is not None and disposition.aapor_class == REFUSAL_CLASS
            result = REFUSED if refused else UNREACHABLE
            details = {"disposition": code, "attempts": attempts, "discrepancies": [],
                       "notes": []}
            backcheck.checked_at = last_called or now
        else:
            continue
        backcheck.result, backcheck.details = result, details
        _audit(session, actor, "backcheck_result", now, backcheck_id=backcheck.id,
               project_id=project_id, interview_id=backcheck.interview_id,
               case_id=backcheck.case_id, result=result,
               discrepancies=[d["code"] for d in details["discrepancies"]])
        counts[result] = counts.get(result, 0) + 1
    if counts:
        session.flush()
    return counts


def _compare(session: Session, backcheck: Backcheck, call_id: int,
             questionnaire_id: int) -> tuple[str, dict[str, Any]]:
    """The back-check call's answers against the original interview's."""
    said = dict(session.execute(select(Answer.question, Answer.value)
                                .where(Answer.interview_id == call_id)).all())
    original = dict(session.execute(select(Answer.question, Answer.value)
                                    .where(Answer.interview_id == backcheck.interview_id)).all())
    form = form_of(session, questionnaire_id)
    interview = session.get(Interview, backcheck.interview_id)
    assert interview is not None
    discrepancies: list[dict[str, Any]] = []
    notes: list[str] = []
    took_part = said.get("took_part", "")
    if took_part == "2":
        discrepancies.append({"code": "did_not_take_part"})
    elif took_part != "1":
        discrepancies.append({"code": "does_not_remember"})
    topic = said.get("topic", "")
    if topic == "2":
        discrepancies.append({"code": "not_public_safety"})
    elif topic == "8":
        notes.append("记不清调查内容 (does not remember the topic)")
    band = said.get("age_band", "")
    age = next((original[q] for q in AGE_QUESTIONS if original.get(q, "").isdigit()), None)
    if band in AGE_BANDS and age is not None:
        low, high = AGE_BANDS[band]
        if not low - AGE_SLACK <= int(age) <= high + AGE_SLACK:
            discrepancies.append({"code": "age_band", "original": age,
                                  "reported": _label(form, "age_band", band)})
    elif band == "9":
        notes.append("不愿回答年龄 (refused the age)")
    township = said.get(TOWNSHIP_QUESTION, "")
    before = original.get(TOWNSHIP_QUESTION, "")
    if township and before and township != before:
        original_form = form_of(session, interview.questionnaire_id)
        discrepancies.append({"code": "township",
                              "original": _label(original_form, TOWNSHIP_QUESTION, before),
                              "reported": _label(form, TOWNSHIP_QUESTION, township)})
    duration = said.get("duration", "")
    if duration in DURATIONS and interview.ended_at is not None:
        minutes = (interview.ended_at - interview.started_at).total_seconds() / 60
        notes.append(f"说约{_label(form, 'duration', duration)},记录{minutes:.0f}分钟 "
                     f"(said {DURATIONS[duration][0]}+ min, recorded {minutes:.0f} min)")
    result = NOT_CONFIRMED if discrepancies else CONFIRMED
    answers = {q: _label(form, q, v) for q, v in said.items()
               if v and form.has_item(q) and form.item(q).is_question}
    return result, {"discrepancies": discrepancies, "notes": notes, "answers": answers,
                    "check_interview_id": call_id}


def _label(form, question: str, value: str) -> str:
    if not form.has_item(question):
        return value
    for choice in form.choices_of(form.item(question)):
        if choice.name == value:
            return form.text(choice.labels)
    return value


def discrepancy_text(item: Mapping[str, Any]) -> str:
    """One reason, readable: 年龄段不符 (age band differs): 原 46, 复核 30-39岁."""
    words = DISCREPANCY_LABELS.get(str(item.get("code")), str(item.get("code")))
    if "original" in item:
        words += f": 原 {item['original']}, 复核 {item.get('reported', '')}"
    return words


# -- reading ----------------------------------------------------------------------------------


def _rows(session: Session, project_id: int) -> list[BackcheckRow]:
    original = aliased(Interview)
    found = session.execute(
        select(Backcheck, original.ended_at, original.state, User.username, User.display_name)
        .join(original, original.id == Backcheck.interview_id)
        .outerjoin(User, User.id == Backcheck.interviewer_id)
        .where(Backcheck.project_id == project_id)
        .order_by(User.username, Backcheck.id)).all()
    rows = []
    for backcheck, ended, state, username, display in found:
        details = backcheck.details or {}
        rows.append(BackcheckRow(
            backcheck.id, backcheck.interview_id, username or "", display or username or "",
            ended, backcheck.case_id, backcheck.drawn_at, backcheck.result,
            tuple(discrepancy_text(d) for d in details.get("discrepancies", [])),
            tuple(details.get("notes", [])), backcheck.checked_at, state == VOID,
            tuple(details.get("discrepancies", []))))
    return rows


def _figures(session: Session, project_id: int) -> list[InterviewerFigures]:
    completes = dict(session.execute(
        select(Interview.interviewer_id, func.count())
        .where(Interview.project_id == project_id, Interview.state == COMPLETE,
               Interview.mode == "phone", Interview.interviewer_id.is_not(None))
        .group_by(Interview.interviewer_id)).all())
    counts: dict[int, dict[str | None, int]] = {}
    for interviewer_id, result, number in session.execute(
            select(Backcheck.interviewer_id, Backcheck.result, func.count())
            .where(Backcheck.project_id == project_id)
            .group_by(Backcheck.interviewer_id, Backcheck.result)).all():
        counts.setdefault(interviewer_id, {})[result] = number
    people = {user.id: user for user in session.scalars(
        select(User).where(User.id.in_(set(completes) | set(counts))))}
    figures = []
    for interviewer_id in sorted(set(completes) | set(counts),
                                 key=lambda i: people[i].username if i in people else ""):
        mine = counts.get(interviewer_id, {})
        user = people.get(interviewer_id)
        username = user.username if user else ""
        figures.append(InterviewerFigures(
            username, (user.display_name or username) if user else "",
            completes.get(interviewer_id, 0), sum(mine.values()),
            sum(n for r, n in mine.items() if r is not None), mine.get(CONFIRMED, 0),
            mine.get(NOT_CONFIRMED, 0), mine.get(UNREACHABLE, 0), mine.get(REFUSED, 0)))
    return figures


def list_backchecks(database: Database, project_id: int, *, user_id: int | None = None,
                    now: dt.datetime | None = None) -> list[BackcheckRow]:
    """One row per drawn interview (results due written first), by interviewer."""
    with database.unit() as session:
        _project(session, project_id)
        settle(session, project_id, _actor(session, user_id), now or utc_now())
        return _rows(session, project_id)


def backcheck_figures(database: Database, project_id: int, *, user_id: int | None = None,
                      now: dt.datetime | None = None) -> list[InterviewerFigures]:
    """Per interviewer: completes, drawn, checked, confirmed … (results due written first)."""
    with database.unit() as session:
        _project(session, project_id)
        settle(session, project_id, _actor(session, user_id), now or utc_now())
        return _figures(session, project_id)


def backcheck_view(database: Database, project_id: int, *, user_id: int | None = None,
                   now: dt.datetime | None = None) -> BackcheckView:
    """The list and the figures in one transaction (the console tab)."""
    with database.unit() as session:
        _project(session, project_id)
        settle(session, project_id, _actor(session, user_id), now or utc_now())
        backcheck = backcheck_project_of(session, project_id)
        return BackcheckView(backcheck.code if backcheck else None, _rows(session, project_id),
                             _figures(session, project_id))


class BackcheckService:
    """The console's view of back-checks (each call one transaction; run on the worker)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def draw(self, project_id: int, rate: float | str, min_per_interviewer: int = 1,
             seed: int | None = None, user_id: int | None = None) -> DrawResult:
        return draw_backchecks(self.database, project_id, rate=rate,
                               min_per_interviewer=min_per_interviewer, seed=seed,
                               user_id=user_id)

    def view(self, project_id: int, user_id: int | None = None) -> BackcheckView:
        return backcheck_view(self.database, project_id, user_id=user_id)



"""The demo project: the shipped questionnaire, a generated phone list over the 19 townships,
and four accounts whose passwords are printed once. Running it again changes nothing.

The demo numbers are random valid-looking numbers: they belong to nobody we know of and must not
be dialled.

:func:`build_demo_history` then plays the fieldwork of a survey centre's recent months through the
real services (:mod:`cati.services.demo_month`): the two months before this one as their own
waves (``DEMO-YYYY-MM``, at least 30 completes per township, every call and interview as the
queue, the engine and the interviewer's services store them; their suggestions handled and
called back; then closed) and the last week of this month on ``DEMO`` itself, the series'
open wave, which keeps the rest of its numbers for the interviewers to call. The three are the
waves of the series ``DEMO-SERIES``. ``cati demo``
does both; ``--sample-only`` skips the history (the tests that only need a sample).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.config import QUESTIONNAIRE_DIR
from cati.sample.phones import PhoneRule, check_phone
from cati.services.bulletin import update_bulletin_settings
from cati.services.clock import utc_now
from cati.services.demo_month import WaveSummary, play_suggestions, play_wave
from cati.services.projects import ProjectInfo, create_project, get_project
from cati.services.questionnaires import form_of
from cati.services.sample_cases import NewCase, add_cases
from cati.services.series import close_wave, create_series, start_wave
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Interview, Project, Series, User

DEMO_CODE = "DEMO"
DEMO_NAME = "平舆县公众安全感和满意度测评(演示)"
DEMO_AREA_CODE = "0396"
DEMO_FORM = QUESTIONNAIRE_DIR / "public_safety.xlsx"
DEMO_ACCOUNTS = (
    ("admin", "admin", "管理员"),
    ("supervisor", "supervisor", "督导"),
    ("interviewer1", "interviewer", "访问员一"),
    ("interviewer2", "interviewer", "访问员二"),
)
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "153", "155", "156", "157", "158", "159", "177", "180", "181", "182",
                   "183", "185", "186", "187", "188", "189", "199")


@dataclass(frozen=True, slots=True)
class DemoResult:
    created: bool
    project: ProjectInfo
    passwords: dict[str, str] = field(default_factory=dict)  # only when created


def create_demo(session: Session, *, cases: int = 3000, seed: int = 2026) -> DemoResult:
    if session.scalar(select(Project.id).where(Project.code == DEMO_CODE)) is not None:
        return DemoResult(False, get_project(session, DEMO_CODE))
    project = create_project(session, DEMO_CODE, DEMO_FORM, name=DEMO_NAME,
                             default_area_code=DEMO_AREA_CODE)
    passwords = _create_accounts(session)
    townships = _townships(session, project.questionnaire_id)
    add_cases(session, project.id, _demo_numbers(cases, townships, random.Random(seed)))
    return DemoResult(True, get_project(session, DEMO_CODE), passwords)


HISTORY_MONTHS = 2  # closed months before the current one
PER_TOWNSHIP = 30  # completes per township and month
WAVE_CASES = 2600  # numbers per earlier month (about a third end in a complete)
WAVE_DAYS = 24  # calling days of an earlier month
OPEN_WAVE_DAYS = 7  # days of this month already called
CLOSE_AFTER_DAYS = 12  # an earlier month is closed this long after its calls end
DEMO_SERIES = "DEMO-SERIES"
# The Word report's settings of every demo month: the centre and its targets.
DEMO_REPORT = {"centre_name": "平舆县民情调查服务中心",
               "targets": {"composite": 0.85, "safety_rate": 0.9}}
DEMO_SERIES_NAME = "平舆县公众安全感和满意度月度测评(演示)"


def wave_code(period: str) -> str:
    return f"{DEMO_CODE}-{period}"


def _month_start(day: dt.date, back: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - back
    return dt.date(month // 12, month % 12 + 1, 1)


def build_demo_history(database: Database, *, today: dt.date | None = None, seed: int = 2026,
                       per_township: int = PER_TOWNSHIP, wave_cases: int = WAVE_CASES,
                       progress: Callable[[str], None] | None = None) -> list[WaveSummary]:
    """Play the demo's earlier months and this month's last week; nothing when ``DEMO`` already
    holds interviews (run once, like the demo itself)."""
    today = today or utc_now().date()
    with database.unit() as session:
        demo = session.scalar(select(Project).where(Project.code == DEMO_CODE))
        if demo is None:
            raise ValueError("create the demo project first")
        if session.scalar(select(Interview.id).where(Interview.project_id == demo.id)
                          .limit(1)) is not None:
            return []
        interviewers = [(user_id, f"demo-{name}") for name, user_id in session.execute(
            select(User.username, User.id).where(User.role == "interviewer",
                                                 User.username.like("interviewer%"))
            .order_by(User.username))]
        form_townships = _townships(session, demo.questionnaire_id)
    with database.unit() as session:
        if session.scalar(select(Series.id).where(Series.code == DEMO_SERIES)) is None:
            create_series(session, DEMO_SERIES, DEMO_SERIES_NAME, now=_at_utc(
                _month_start(today, HISTORY_MONTHS)))
    summaries = []
    for back in range(HISTORY_MONTHS, 0, -1):
        first = _month_start(today, back)
        period = f"{first.year}-{first.month:02d}"
        code = wave_code(period)
        with database.unit() as session:
            if session.scalar(select(Project.id).where(Project.code == code)) is None:
                project = create_project(session, code, DEMO_FORM,
                                         name=f"{DEMO_NAME} {first.year}年{first.month}月",
                                         default_area_code=DEMO_AREA_CODE)
                add_cases(session, project.id, _demo_numbers(
                    wave_cases, form_townships, random.Random(f"{seed}:{period}")))
                start_wave(session, DEMO_SERIES, period, code, now=_at_utc(first))
        summaries.append(play_wave(
            database, code, start=_at_utc(first), days=WAVE_DAYS, per_township=per_township,
            seed=seed, wave=HISTORY_MONTHS - back, interviewers=interviewers,
            progress=progress))
        play_suggestions(database, code, start=_at_utc(first), days=WAVE_DAYS, seed=seed,
                         interviewers=interviewers, closed=True, progress=progress)
        update_bulletin_settings(database, code, DEMO_REPORT)
        # Closed once its call-backs are in, as a centre publishes the month's report.
        closing = min(_at_utc(first) + dt.timedelta(days=WAVE_DAYS + CLOSE_AFTER_DAYS),
                      _at_utc(today) - dt.timedelta(hours=1))
        with database.unit() as session:
            close_wave(session, code, now=closing)
    start = max(_month_start(today, 0), today - dt.timedelta(days=OPEN_WAVE_DAYS))
    this_month = _month_start(today, 0)
    with database.unit() as session:
        start_wave(session, DEMO_SERIES, f"{this_month.year}-{this_month.month:02d}", DEMO_CODE,
                   now=_at_utc(this_month))
    summaries.append(play_wave(
        database, DEMO_CODE, start=_at_utc(start), days=max((today - start).days, 1),
        per_township=per_township + per_township // 3, stop_at=per_township, seed=seed,
        wave=HISTORY_MONTHS, interviewers=interviewers, progress=progress))
    update_bulletin_settings(database, DEMO_CODE, DEMO_REPORT)
    play_suggestions(database, DEMO_CODE, start=_at_utc(start),
                     days=max((today - start).days, 1), seed=seed, interviewers=interviewers,
                     closed=False, progress=progress)
    return summaries


def _at_utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _create_accounts(session: Session) -> dict[str, str]:
    passwords = {}
    for username, role, display_name in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(9)
        add_user(session, username, password, role, display_name)
        passwords[username] = password
    return passwords


def _townships(session: Session, questionnaire_id: int) -> list[str]:
    form = form_of(session, questionnaire_id)
    return [form.text(choice.labels) for choice in form.strata()] or ["全县"]


def _demo_numbers(count: int, townships: list[str], rng: random.Random):
    rule = PhoneRule(default_area_code=DEMO_AREA_CODE)
    made = 0
    while made < count:
        if rng.random() < 0.75:
            raw = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        else:
            raw = f"{rng.randint(2, 8)}{rng.randrange(10**6):06d}"  # 7-digit local landline
        phone = check_phone(raw, rule)
        if phone.ok:
            made += 1
            yield NewCase(phone, raw, stratum=rng.choice(townships))

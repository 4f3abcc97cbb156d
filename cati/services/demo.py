"""The demo project: the shipped questionnaire, a generated phone list over the 19 townships,
and four accounts whose passwords are printed once. Running it again changes nothing.

The demo numbers are random valid-looking numbers: they belong to nobody we know of and must not
be dialled.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati.config import QUESTIONNAIRE_DIR
from cati.sample.phones import PhoneRule, check_phone
from cati.services.projects import ProjectInfo, create_project, get_project
from cati.services.questionnaires import form_of
from cati.services.sample_cases import NewCase, add_cases
from cati.services.users import add_user
from cati.storage.models import Project, User

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

"""Suggestions: residents' open answers, reviewed, routed to the office responsible, fixed, and
checked by calling the resident back (seeds 002 and 003).

The loop:

1. **Collect** (:func:`collect_suggestions`; ``cati suggestions collect``, and the console
   panel on every refresh). Each answer of a *completed* interview to one of the project's
   suggestion questions becomes one :class:`~cati.storage.models.Suggestion` row, once: an
   (interview, question) pair that already has a row is never collected again, so collecting
   twice adds nothing. Empty answers, answers of punctuation only and "no suggestion" answers
   (无, 没有, 不知道 … the ``suggestion_none_answers`` setting, compared after NFKC, case folding
   and dropping spaces and punctuation) are skipped, and re-examined at the next collect (a
   changed setting takes effect). A collect also runs :func:`check_follow_ups`.
2. **Proposal.** A new suggestion gets a first category from the project's keyword rules
   (``suggestion_keywords``): the category with the most distinct keywords found in the text
   (substring match after NFKC and case folding); a tie goes to the longer total match, then to
   the category earlier in ``suggestion_categories``. Only categories of that list are proposed.
   No keyword, no proposal.
3. **Review** (:func:`update_suggestion`). ``valid`` is None while the suggestion is
   unreviewed: its category is then only the machine's *proposal* (``SuggestionRow.proposed``).
   The supervisor confirms by setting ``valid`` (True: the category as it then stands is the
   supervisor's; False: not a usable suggestion). Category (one of ``suggestion_categories``),
   responsible unit (free text; ``suggestion_units`` are the ones the panel offers), notes and
   the status are edited in the same call.
4. **Status.** ``new → assigned → resolved → checked``, with the steps back ``assigned → new``
   and ``resolved → assigned`` (sent back by hand). Anything else is refused with one line. A
   suggestion that is assigned or further on must be valid and have a category and a
   responsible unit. The unit's ``reply`` (what it did; ``replied_at`` is stamped when it
   changes) is edited with the rest and read to the resident on the call-back.
   ``checked``, ``unreachable`` and ``refused`` are final. A suggestion linked to a follow-up
   call waits, resolved, for that call's result (:func:`check_follow_ups`), which sets the
   state and is kept as ``follow_up_outcome`` (solved | partly | not_solved | unclear |
   unreachable | refused), ``follow_up_satisfaction`` and ``followed_up_at``, the call's
   answers appended to the notes:

   - the interview completed, the problem solved (``problem_fixed`` = 1) and the handling
     satisfactory or basically so (``handling_sat`` 1 or 2): ``checked`` (closed);
   - completed with anything else (partly or not solved, 说不清, or dissatisfied with the
     handling): ``reopened`` (回访未解决), back in its unit's queue (:data:`UNIT_QUEUE`) with
     the call's answers as its note; the unit resolves it again (``reopened → resolved``) and
     the next follow-up project calls the resident again;
   - the call's case closed without an interview on a refusal (a disposition of AAPOR class R:
     the second refusal, a break-off capped): ``refused``;
   - closed without an interview otherwise (attempts exhausted, wrong or dead number, language,
     business number …): ``unreachable`` (回访未联系上).

   Only a completed call that found the problem solved and the handling satisfactory closes a
   suggestion as checked, so the report's 已回访核实 counts real checks only. One without a
   pending follow-up call may be set ``checked`` by hand (checked another way, e.g. a visit).
5. **Follow-up** (:func:`create_follow_up`; ``cati suggestions follow-up``). Resolved
   suggestions not yet followed up whose respondent agreed to be called back (the answer to
   ``suggestion_follow_up_question``, default ``follow_up_ok``, is one of
   ``suggestion_follow_up_yes``, default ``["1"]``, in the same interview) become the sample of
   a new project ``<CODE>_FU<n>`` (the lowest free n) on the shipped callback questionnaire
   ``data/questionnaires/follow_up.xlsx``: one case per phone number of the interviews' cases
   (several suggestions of one respondent share one case), stratum = the original interview's
   stratum, attributes ``suggestion_ids``, ``suggestion_text`` (the texts, joined with "；"),
   ``suggestion_category``, ``suggestion_unit`` (distinct values joined with "、"),
   ``suggestion_reply`` (the replies, "；"; 未登记答复 when there is none),
   ``suggestion_reply_date`` (the latest reply's day, e.g. 2026年12月3日, in the case's zone),
   ``suggestions`` (id, question, text, category, unit, reply of each), ``source_project``,
   ``source_interview_id``. The shipped form's hidden rows read the scalar ones
   (``cati::case_data``) and its introduction pipes them with ``${…}``, so the interviewer
   reads the complaint, its unit and the reply; the attributes are a snapshot taken when the
   project is made. Each suggestion is linked to its case (``follow_up_case_id``), so a second
   run does not add it again; one reopened and resolved again is followed up again. A web or
   field respondent (no case) is called on the number they left with their consent
   (``contact_phones``); opinions taken in by hand on theirs. Numbers on the do-not-call list,
   and respondents without a case who left no number, are left out and counted. The new
   project copies the region, default area code, calling hours and attempt caps of the
   original.

Every change is written to the audit log with the acting user's id in the same transaction
(collect: one entry per run; review: one per suggestion changed, with old and new values;
follow-up: one per project created; call results: one per suggestion, ``suggestion_checked``,
``suggestion_reopened``, ``suggestion_unreachable`` or ``suggestion_refused``; export: one per
file).
A ``user_id`` of None is the command line without ``--user``; a given user must be an active
supervisor or admin.

Project settings (``Project.settings``) read here, with their defaults:

======================================  ===================================================
``suggestion_questions``                ``["suggestion", "unsat_reason"]``
``suggestion_none_answers``             :data:`DEFAULT_NONE_ANSWERS` (无, 没有, 不知道 …)
``suggestion_categories``               ``["交通管理", "治安管理", "公安服务", "违法犯罪",
                                        "群众求助"]``
``suggestion_keywords``                 :data:`DEFAULT_KEYWORDS` ({category: [keyword …]})
``suggestion_units``                    :data:`DEFAULT_UNITS` (offered, not enforced)
``suggestion_follow_up_question``       ``"follow_up_ok"``
``suggestion_follow_up_yes``            ``["1"]``
``suggestion_subcategories``            :data:`DEFAULT_SUBCATEGORIES` ({category: [sub …]})
``suggestion_deadlines``                :data:`DEFAULT_DEADLINES` ({category or "*": days})
======================================  ===================================================

Responsible units, routing rules, deadlines, the overdue list, per-unit figures and the intake
of opinions from the hotline, letters, boxes and 110 records are in cati.services.units: a
collected suggestion gets the unit the routing rules give (a proposal, like its category),
and a status change stamps the unit's clock (:func:`cati.services.units.stamp_status`).

Export (:func:`export_suggestions`): .xlsx or .csv (UTF-8 with BOM), one row per suggestion;
text that a spreadsheet would take for a formula (starting with = + - @, tab or CR) is written
as text: an .xlsx string cell, and in a .csv with a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased, undefer

from cati.config import QUESTIONNAIRE_DIR
from cati.errors import CatiError, NotFound
from cati.sample.phones import PhoneCheck
from cati.services.clock import utc_now
from cati.services.contact_phones import contact_phone_check
from cati.services.interviews import stratum_label
from cati.services.projects import CODE_PATTERN, create_project
from cati.services.questionnaires import form_of
from cati.services.sample_cases import NewCase, add_cases
from cati.services.users import require_supervisor
from cati.storage.db import Database
from cati.storage.models import (
    Answer,
    AuditEntry,
    Case,
    Disposition,
    DoNotCall,
    Interview,
    Project,
    Suggestion,
)

# -- statuses ---------------------------------------------------------------------------------

NEW, ASSIGNED, RESOLVED, CHECKED = "new", "assigned", "resolved", "checked"
REOPENED, UNREACHABLE, REFUSED = "reopened", "unreachable", "refused"
STATUSES = (NEW, ASSIGNED, RESOLVED, REOPENED, CHECKED, UNREACHABLE, REFUSED)
STATUS_LABELS = {NEW: "新建", ASSIGNED: "已交办", RESOLVED: "已办结", REOPENED: "回访未解决",
                 CHECKED: "已回访核实", UNREACHABLE: "回访未联系上", REFUSED: "回访拒访"}
# By hand; RESOLVED → REOPENED, UNREACHABLE or REFUSED only by the follow-up call's result.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (ASSIGNED,),
    ASSIGNED: (NEW, RESOLVED),
    RESOLVED: (ASSIGNED, CHECKED),
    REOPENED: (ASSIGNED, RESOLVED),
    CHECKED: (),
    UNREACHABLE: (),
    REFUSED: (),
}
FINAL_STATUSES = (CHECKED, UNREACHABLE, REFUSED)
UNIT_QUEUE = (ASSIGNED, REOPENED)  # the states a responsible unit has to work on
# follow_up_outcome: what the call found (solved … from problem_fixed; or why there was none).
SOLVED, PARTLY, NOT_SOLVED, UNCLEAR = "solved", "partly", "not_solved", "unclear"
OUTCOMES = (SOLVED, PARTLY, NOT_SOLVED, UNCLEAR, UNREACHABLE, REFUSED)
OUTCOME_LABELS = {SOLVED: "已解决", PARTLY: "部分解决", NOT_SOLVED: "没有解决", UNCLEAR: "说不清",
                  UNREACHABLE: "未联系上", REFUSED: "拒绝回访"}
FIXED_QUESTION, SATISFACTION_QUESTION = "problem_fixed", "handling_sat"  # the shipped form's
FIXED_ANSWERS = {"1": SOLVED, "2": PARTLY, "3": NOT_SOLVED, "8": UNCLEAR}
SATISFACTION_ANSWERS = {"1": "satisfied", "2": "basically", "3": "not_very", "4": "dissatisfied"}
SATISFIED = ("satisfied", "basically")
SATISFACTION_LABELS = {"satisfied": "满意", "basically": "基本满意", "not_very": "不太满意",
                       "dissatisfied": "不满意"}
REFUSAL_CLASS = "R"
COMPLETE = "complete"
FOLLOW_UP_FORM = QUESTIONNAIRE_DIR / "follow_up.xlsx"

# -- settings and their defaults --------------------------------------------------------------

QUESTIONS_KEY = "suggestion_questions"
NONE_ANSWERS_KEY = "suggestion_none_answers"
CATEGORIES_KEY = "suggestion_categories"
KEYWORDS_KEY = "suggestion_keywords"
UNITS_KEY = "suggestion_units"
FOLLOW_UP_QUESTION_KEY = "suggestion_follow_up_question"
FOLLOW_UP_YES_KEY = "suggestion_follow_up_yes"
SUBCATEGORIES_KEY = "suggestion_subcategories"
DEADLINES_KEY = "suggestion_deadlines"
SETTINGS_KEYS = (QUESTIONS_KEY, NONE_ANSWERS_KEY, CATEGORIES_KEY, KEYWORDS_KEY, UNITS_KEY,
                 FOLLOW_UP_QUESTION_KEY, FOLLOW_UP_YES_KEY, SUBCATEGORIES_KEY, DEADLINES_KEY)
DEADLINE_MAX_DAYS = 365

DEFAULT_QUESTIONS = ("suggestion", "unsat_reason")
# Whole answers that mean "no suggestion" (compared without spaces and punctuation).
DEFAULT_NONE_ANSWERS = (
    "无", "没", "没有", "没了", "没有了", "暂无", "暂时没有", "目前没有", "还没有",
    "没建议", "没有建议", "无建议", "没意见", "没有意见", "无意见",
    "没什么", "没什么建议", "没什么意见", "没有什么", "没有什么建议", "没有什么意见",
    "没啥", "没啥建议", "没啥意见",
    "不知道", "不清楚", "说不清", "说不清楚", "说不上来", "不好说", "无所谓",
    "拒答", "拒绝回答", "不愿回答",
    "none", "no", "nothing", "n/a", "nil",
)
# The five police categories of seed 002, then 民生 ones: a county centre routes those to the
# departments (seeds 000 and 003: 民生, 治安 …).
DEFAULT_CATEGORIES = ("交通管理", "治安管理", "公安服务", "违法犯罪", "群众求助",
                      "市政建设", "市容环境", "教育", "医疗卫生", "劳动保障")
DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "交通管理": ("红绿灯", "信号灯", "交通", "违停", "乱停", "停车", "超速", "路口", "堵车",
                 "拥堵", "车速", "电动车", "摩托", "酒驾", "醉驾", "闯红灯", "斑马线", "限速",
                 "交警", "车祸", "货车", "渣土车", "占道", "减速带", "驾驶"),
    "治安管理": ("巡逻", "治安", "摄像头", "监控", "路灯", "照明", "打架", "斗殴", "噪音",
                 "扰民", "闹事", "出租屋", "流动人口", "安全隐患", "见警率", "警力", "防范",
                 "犬", "狗"),
    "公安服务": ("办证", "户口", "户籍", "身份证", "居住证", "驾照", "派出所", "态度", "办事",
                 "效率", "窗口", "出警", "报警", "110", "民警", "排队", "服务"),
    "违法犯罪": ("诈骗", "电诈", "骗", "偷", "盗", "抢劫", "赌", "毒", "黑恶", "涉黑",
                 "恶势力", "传销", "非法集资", "高利贷", "套路贷", "扒窃", "敲诈", "勒索",
                 "拐卖", "卖淫", "犯罪"),
    "群众求助": ("求助", "帮忙", "帮助", "纠纷", "矛盾", "邻居", "困难", "救助", "走失",
                 "寻人", "调解", "欠薪", "讨薪"),
    "市政建设": ("修路", "坑洼", "下水道", "积水", "危房", "拆迁", "物业", "供水", "停水",
                 "自来水", "暖气"),
    "市容环境": ("垃圾", "环境卫生", "摊贩", "城管", "污水", "臭味", "油烟"),
    "教育": ("学校", "上学", "老师", "教育", "幼儿园", "校车"),
    "医疗卫生": ("医院", "看病", "医保", "卫生院", "诊所", "医生"),
    "劳动保障": ("就业", "社保", "养老金", "低保", "工资"),
}
# Subcategories of seed 002's five categories (its 九项举措: 巡防警力, 反诈宣传, 督导检查, 校园安防,
# 民生案件, 矛盾纠纷联调联处, 犬类管理 …) and of the 民生 ones.
DEFAULT_SUBCATEGORIES: dict[str, tuple[str, ...]] = {
    "交通管理": ("信号灯与路口", "违停与占道", "超速与酒驾", "电动车与摩托车", "交通拥堵"),
    "治安管理": ("巡防警力", "校园安防", "犬类管理", "监控与照明", "噪音扰民", "出租屋与流动人口"),
    "公安服务": ("户籍证件", "窗口服务", "接处警", "民警作风"),
    "违法犯罪": ("电信诈骗", "盗窃抢劫", "黑恶势力", "黄赌毒", "民生案件"),
    "群众求助": ("矛盾纠纷", "求助救助", "欠薪讨薪"),
    "市政建设": ("道路", "供水排水", "房屋与物业"),
    "市容环境": ("垃圾", "占道经营", "污染"),
    "教育": ("学校安全", "入学"),
    "医疗卫生": ("看病就医", "医保"),
    "劳动保障": ("就业", "社保与救助"),
}
# Days a unit has to answer, by category ("*": any other): 群众求助 and 公安服务 are quick.
DEFAULT_DEADLINES: dict[str, int] = {"*": 15, "治安管理": 10, "违法犯罪": 10, "公安服务": 7,
                                     "群众求助": 5, "市政建设": 30}
DEFAULT_UNITS = ("交警大队", "治安大队", "刑侦大队", "派出所", "出入境和户政管理",
                 "110指挥中心", "反诈中心")
DEFAULT_FOLLOW_UP_QUESTION = "follow_up_ok"
DEFAULT_FOLLOW_UP_YES = ("1",)

CATEGORY_MAX, UNIT_MAX, REPLY_MAX = 64, 128, 2000
NO_REPLY = "未登记答复"  # what the call-back reads when the unit's reply was not recorded
# Settings copied from the original project into its follow-up project.
COPIED_SETTINGS = ("region", "default_area_code", "calling_hours", "max_attempts",
                   "max_attempts_per_day", "lease_minutes")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave this field as it is" in update_suggestion


@dataclass(frozen=True, slots=True)
class SuggestionSettings:
    """A project's suggestion settings, defaults filled in and checked."""

    questions: tuple[str, ...] = DEFAULT_QUESTIONS
    none_answers: tuple[str, ...] = DEFAULT_NONE_ANSWERS
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = tuple(DEFAULT_KEYWORDS.items())
    units: tuple[str, ...] = DEFAULT_UNITS
    follow_up_question: str = DEFAULT_FOLLOW_UP_QUESTION
    follow_up_yes: tuple[str, ...] = DEFAULT_FOLLOW_UP_YES
    subcategories: tuple[tuple[str, tuple[str, ...]], ...] = tuple(DEFAULT_SUBCATEGORIES.items())
    deadlines: tuple[tuple[str, int], ...] = tuple(DEFAULT_DEADLINES.items())

    def subcategories_of(self, category: str | None) -> tuple[str, ...]:
        return dict(self.subcategories).get(category or "", ())

    def deadline_days(self, category: str | None) -> int:
        days = dict(self.deadlines)
        return days.get(category or "", days.get("*", DEFAULT_DEADLINES["*"]))

    def as_json(self) -> dict[str, Any]:
        """The settings under their ``Project.settings`` keys."""
        return {
            QUESTIONS_KEY: list(self.questions),
            NONE_ANSWERS_KEY: list(self.none_answers),
            CATEGORIES_KEY: list(self.categories),
            KEYWORDS_KEY: {category: list(words) for category, words in self.keywords},
            UNITS_KEY: list(self.units),
            FOLLOW_UP_QUESTION_KEY: self.follow_up_question,
            FOLLOW_UP_YES_KEY: list(self.follow_up_yes),
            SUBCATEGORIES_KEY: {category: list(subs) for category, subs in self.subcategories},
            DEADLINES_KEY: dict(self.deadlines),
        }


@dataclass(frozen=True, slots=True)
class SuggestionRow:
    """One suggestion as the list, the export and the panel show it (no phone number)."""

    id: int
    interview_id: int | None  # None: taken in by hand (channel)
    case_id: int | None
    stratum: str
    question: str
    text: str
    valid: bool | None  # None: not reviewed yet
    category: str | None
    responsible_unit: str | None
    status: str
    notes: str
    follow_up_ok: bool  # the respondent agreed to be called back
    follow_up_case_id: int | None
    follow_up_project: str | None  # code of the follow-up project of that case
    interview_ended_at: dt.datetime | None
    reply: str = ""  # what the responsible unit did
    replied_at: dt.datetime | None = None
    follow_up_outcome: str | None = None  # OUTCOMES; None: no call result yet
    follow_up_satisfaction: str | None = None  # SATISFACTION_ANSWERS' words
    followed_up_at: dt.datetime | None = None
    subcategory: str | None = None
    channel: str = ""  # "": an interview; hotline | letter | box | 110
    received_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def reviewed(self) -> bool:
        return self.valid is not None

    @property
    def proposed(self) -> bool:
        """The category is the keyword rules' proposal, not yet confirmed by a reviewer."""
        return self.valid is None and self.category is not None

    def as_json(self) -> dict[str, Any]:
        ended = self.interview_ended_at
        return {
            "id": self.id, "interview_id": self.interview_id, "case_id": self.case_id,
            "stratum": self.stratum, "question": self.question, "text": self.text,
            "valid": self.valid, "category": self.category, "proposed": self.proposed,
            "responsible_unit": self.responsible_unit, "status": self.status,
            "notes": self.notes, "follow_up_ok": self.follow_up_ok,
            "follow_up_case_id": self.follow_up_case_id,
            "follow_up_project": self.follow_up_project,
            "interview_ended_at": ended.isoformat() if ended else None,
            "status_label": self.status_label, "reply": self.reply,
            "replied_at": _iso(self.replied_at),
            "follow_up_outcome": self.follow_up_outcome,
            "follow_up_satisfaction": self.follow_up_satisfaction,
            "followed_up_at": _iso(self.followed_up_at),
            "subcategory": self.subcategory, "channel": self.channel,
            "received_at": _iso(self.received_at), "due_at": _iso(self.due_at),
            "resolved_at": _iso(self.resolved_at),
        }


def _iso(instant: dt.datetime | None) -> str | None:
    return instant.isoformat() if instant else None


@dataclass(frozen=True, slots=True)
class CollectResult:
    added: int  # new suggestions
    proposed: int  # of those, how many got a category from the keyword rules
    skipped: int  # empty or "no suggestion" answers left out (this run)
    checked: int  # suggestions set "checked" by completed follow-up calls (this run)
    reopened: int = 0  # … set "reopened": the call found the problem not solved, or dissatisfied
    unreachable: int = 0  # … set "unreachable": the call's case closed without reaching anyone
    refused: int = 0  # … set "refused": the resident refused the call-back


@dataclass(frozen=True, slots=True)
class FollowUpResult:
    project_id: int
    code: str
    cases: int  # numbers in the new project's sample
    suggestions: int  # suggestions linked to those cases
    skipped_no_phone: int  # web or field suggestions whose respondent left no number
    skipped_dnc: int  # suggestions whose number is on the do-not-call list


# -- settings -----------------------------------------------------------------------------------


def _setting_error(key: str, what: str) -> CatiError:
    return CatiError(f"project setting {key} must be {what} (项目设置 {key} 格式不对)")


def _texts(settings: Mapping[str, Any], key: str, default: tuple[str, ...], *,
           allow_empty: bool = True) -> tuple[str, ...]:
    value = settings.get(key)
    if value is None:
        return default
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(
            isinstance(item, str) for item in value):
        raise _setting_error(key, "a list of texts")
    items = tuple(dict.fromkeys(item.strip() for item in value if item.strip()))
    if not items and not allow_empty:
        raise _setting_error(key, "a list of at least one text")
    return items


def suggestion_settings(settings: Mapping[str, Any] | None) -> SuggestionSettings:
    """The suggestion settings of a project's ``settings`` JSON, with the defaults; a malformed
    value raises CatiError naming the key."""
    settings = settings or {}
    categories = _texts(settings, CATEGORIES_KEY, DEFAULT_CATEGORIES, allow_empty=False)
    for category in categories:
        if len(category) > CATEGORY_MAX:
            raise _setting_error(CATEGORIES_KEY, f"texts of at most {CATEGORY_MAX} characters")
    raw_keywords = settings.get(KEYWORDS_KEY)
    if raw_keywords is None:
        keywords = tuple(DEFAULT_KEYWORDS.items())
    else:
        if not isinstance(raw_keywords, Mapping):
            raise _setting_error(KEYWORDS_KEY, "an object {category: [keyword, …]}")
        keywords = tuple((str(category), _texts(raw_keywords, category, ()))
                         for category in raw_keywords)
    raw_subs = settings.get(SUBCATEGORIES_KEY)
    if raw_subs is None:
        subcategories = tuple(DEFAULT_SUBCATEGORIES.items())
    else:
        if not isinstance(raw_subs, Mapping):
            raise _setting_error(SUBCATEGORIES_KEY, "an object {category: [subcategory, …]}")
        subcategories = tuple((str(category), _texts(raw_subs, category, ()))
                              for category in raw_subs)
        if any(len(sub) > CATEGORY_MAX for _c, subs in subcategories for sub in subs):
            raise _setting_error(SUBCATEGORIES_KEY, f"texts of at most {CATEGORY_MAX} characters")
    raw_days = settings.get(DEADLINES_KEY)
    if raw_days is None:
        deadlines = tuple(DEFAULT_DEADLINES.items())
    else:
        if not isinstance(raw_days, Mapping) or not all(
                isinstance(days, int) and not isinstance(days, bool)
                and 1 <= days <= DEADLINE_MAX_DAYS for days in raw_days.values()):
            raise _setting_error(DEADLINES_KEY, "an object {category or \"*\": days (1 to "
                                 f"{DEADLINE_MAX_DAYS})}}")
        deadlines = tuple((str(category), days) for category, days in raw_days.items())
    question = settings.get(FOLLOW_UP_QUESTION_KEY, DEFAULT_FOLLOW_UP_QUESTION)
    if not isinstance(question, str) or not question.strip():
        raise _setting_error(FOLLOW_UP_QUESTION_KEY, "a question name")
    return SuggestionSettings(
        questions=_texts(settings, QUESTIONS_KEY, DEFAULT_QUESTIONS),
        none_answers=_texts(settings, NONE_ANSWERS_KEY, DEFAULT_NONE_ANSWERS),
        categories=categories,
        keywords=keywords,
        units=_texts(settings, UNITS_KEY, DEFAULT_UNITS),
        follow_up_question=question.strip(),
        follow_up_yes=_texts(settings, FOLLOW_UP_YES_KEY, DEFAULT_FOLLOW_UP_YES),
        subcategories=subcategories,
        deadlines=deadlines,
    )


# -- the rules: "no suggestion" and the keyword proposal --------------------------------------


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def bare_text(text: str) -> str:
    """The text folded (NFKC, case) without spaces, punctuation, symbols or control
    characters: what "no suggestion" answers are compared by."""
    return "".join(ch for ch in _folded(text)
                   if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZC")


def is_no_suggestion(text: str | None, config: SuggestionSettings) -> bool:
    """True for an empty answer, one of punctuation only, or one of the "no suggestion"
    answers of the settings."""
    bare = bare_text(text or "")
    return not bare or bare in {bare_text(item) for item in config.none_answers}


def propose_category(text: str, config: SuggestionSettings) -> tuple[str | None, tuple[str, ...]]:
    """(the category the keyword rules propose or None, the keywords that matched it)."""
    folded = _folded(text)
    order = {category: position for position, category in enumerate(config.categories)}
    best: tuple[tuple[int, int, int], str, tuple[str, ...]] | None = None
    for category, words in config.keywords:
        if category not in order:
            continue
        matched = tuple(word for word in dict.fromkeys(words) if word and _folded(word) in folded)
        if not matched:
            continue
        rank = (len(matched), sum(len(word) for word in matched), -order[category])
        if best is None or rank > best[0]:
            best = (rank, category, matched)
    return (None, ()) if best is None else (best[1], best[2])


# -- helpers -----------------------------------------------------------------------------------


def _actor(session: Session, user_id: int | None) -> int | None:
    """The acting user's id after checking the role (None: the command line, unchecked)."""
    if user_id is None:
        return None
    return require_supervisor(session, user_id, "handle suggestions (处理意见建议)").id


def _project(session: Session, project_id: int, *, lock: bool = False) -> Project:
    project = session.get(Project, project_id, with_for_update=lock or None)
    if project is None:
        raise NotFound(f"no project {project_id}")
    return project


def _audit(session: Session, user_id: int | None, action: str, now: dt.datetime,
           **details: Any) -> None:
    session.add(AuditEntry(user_id=user_id, at=now, action=action, details=details))


def project_id_of(database: Database, code: str) -> int:
    """The id of the project with this code (NotFound otherwise)."""
    with database.unit(immediate=False) as session:
        project_id = session.scalar(select(Project.id).where(Project.code == code))
    if project_id is None:
        raise NotFound(f"no project '{code}'")
    return project_id


def project_suggestion_settings(database: Database, project_id: int) -> SuggestionSettings:
    with database.unit(immediate=False) as session:
        return suggestion_settings(_project(session, project_id).settings)


def update_suggestion_settings(database: Database, project_id: int,
                               changes: Mapping[str, Any], *, user_id: int | None = None,
                               now: dt.datetime | None = None) -> SuggestionSettings:
    """Replace some suggestion settings (keys of :data:`SETTINGS_KEYS`; a value of None
    restores the default). Checked before anything is stored; audited."""
    unknown = sorted(set(changes) - set(SETTINGS_KEYS))
    if unknown:
        raise CatiError(f"not a suggestion setting: {', '.join(unknown)} "
                        f"(可设置: {', '.join(SETTINGS_KEYS)})")
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_id, lock=not database.is_sqlite)
        old = dict(project.settings or {})
        new = dict(old)
        for key, value in changes.items():
            if value is None:
                new.pop(key, None)
            else:
                new[key] = value
        config = suggestion_settings(new)  # raises on a malformed value
        changed = {key: [old.get(key), new.get(key)] for key in changes
                   if old.get(key) != new.get(key)}
        if changed:
            project.settings = new
            _audit(session, actor, "suggestion_settings_changed", now, project_id=project_id,
                   changes=changed)
        return config


# -- collect -----------------------------------------------------------------------------------


def collect_suggestions(database: Database, project_id: int, *, user_id: int | None = None,
                        now: dt.datetime | None = None) -> CollectResult:
    """Turn the new open answers of completed interviews into suggestions (see the module
    docstring), then update the statuses from completed follow-up calls."""
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        # One collect at a time per project (SQLite: the unit's write lock does it).
        project = _project(session, project_id, lock=not database.is_sqlite)
        config = suggestion_settings(project.settings)
        added: list[Suggestion] = []
        skipped = 0
        if config.questions:
            known = (select(Suggestion.id)
                     .where(Suggestion.interview_id == Answer.interview_id,
                            Suggestion.question == Answer.question)
                     .exists())
            query = (select(Answer.interview_id, Answer.question, Answer.value,
                            Interview.stratum)
                     .join(Interview, Interview.id == Answer.interview_id)
                     .where(Interview.project_id == project_id, Interview.state == COMPLETE,
                            Answer.question.in_(config.questions), ~known)
                     .order_by(Answer.interview_id, Answer.id))
            from cati.services.units import Router

            router = Router(session, project_id)
            for interview_id, question, value, stratum in session.execute(query):
                if is_no_suggestion(value, config):
                    skipped += 1
                    continue
                text = value.strip()
                category, _matched = propose_category(text, config)
                added.append(Suggestion(interview_id=interview_id, project_id=project_id,
                                        question=question, text=text, valid=None,
                                        category=category,
                                        responsible_unit=router.unit(category, None, stratum),
                                        status=NEW, notes="", township=stratum or ""))
        proposed = sum(1 for s in added if s.category is not None)
        if added:
            session.add_all(added)
            session.flush()
            _audit(session, actor, "suggestions_collected", now, project_id=project_id,
                   added=len(added), proposed=proposed, skipped=skipped,
                   first_id=added[0].id, last_id=added[-1].id)
        results = _check_follow_ups(session, project_id, actor, now)
        return CollectResult(len(added), proposed, skipped, results.get(CHECKED, 0),
                             results.get(REOPENED, 0), results.get(UNREACHABLE, 0),
                             results.get(REFUSED, 0))


# -- list --------------------------------------------------------------------------------------


def _check_status(status: str | None) -> None:
    if status is not None and status not in STATUSES:
        raise CatiError(f"'{status}' is not a suggestion status: {', '.join(STATUSES)} "
                        f"(状态只能是 {', '.join(STATUSES)})")


def _rows(session: Session, project_id: int, config: SuggestionSettings, *,
          status: str | None = None, category: str | None = None,
          ids: Iterable[int] | None = None) -> list[SuggestionRow]:
    agreed = aliased(Answer)
    follow_case = aliased(Case)
    follow_project = aliased(Project)
    query = (select(Suggestion, Interview.case_id, Interview.stratum, Interview.ended_at,
                    agreed.value, follow_project.code)
             .outerjoin(Interview, Interview.id == Suggestion.interview_id)
             .outerjoin(agreed, and_(agreed.interview_id == Suggestion.interview_id,
                                     agreed.question == config.follow_up_question))
             .outerjoin(follow_case, follow_case.id == Suggestion.follow_up_case_id)
             .outerjoin(follow_project, follow_project.id == follow_case.project_id)
             .where(Suggestion.project_id == project_id)
             .order_by(Suggestion.id))
    if status is not None:
        query = query.where(Suggestion.status == status)
    if category is not None:
        query = query.where(Suggestion.category.is_(None) if category == ""
                            else Suggestion.category == category)
    if ids is not None:
        query = query.where(Suggestion.id.in_(list(ids)))
    return [SuggestionRow(s.id, s.interview_id, case_id, stratum or s.township or "",
                          s.question, s.text, s.valid, s.category, s.responsible_unit, s.status,
                          s.notes or "",
                          agreed_value in config.follow_up_yes or bool(s.contact_consent),
                          s.follow_up_case_id, follow_code, ended, s.reply or "", s.replied_at,
                          s.follow_up_outcome, s.follow_up_satisfaction, s.followed_up_at,
                          s.subcategory, s.channel or "", s.received_at, s.due_at,
                          s.resolved_at)
            for s, case_id, stratum, ended, agreed_value, follow_code in session.execute(query)]


def list_suggestions(database: Database, project_id: int, *, status: str | None = None,
                     category: str | None = None, user_id: int | None = None,
                     ) -> list[SuggestionRow]:
    """The project's suggestions by id; ``status`` and ``category`` filter (a category of ""
    means "no category")."""
    _check_status(status)
    with database.unit(immediate=False) as session:
        _actor(session, user_id)
        config = suggestion_settings(_project(session, project_id).settings)
        return _rows(session, project_id, config, status=status, category=category)


def get_suggestion(database: Database, suggestion_id: int) -> SuggestionRow:
    with database.unit(immediate=False) as session:
        return _row_of(session, suggestion_id)


def _row_of(session: Session, suggestion_id: int) -> SuggestionRow:
    project_id = session.scalar(select(Suggestion.project_id)
                                .where(Suggestion.id == suggestion_id))
    if project_id is None:
        raise NotFound(f"no suggestion {suggestion_id}")
    config = suggestion_settings(_project(session, project_id).settings)
    return _rows(session, project_id, config, ids=[suggestion_id])[0]


# -- review ------------------------------------------------------------------------------------


def _optional_text(value: Any, what: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CatiError(f"the {what} must be text, not {value!r}")
    value = value.strip()
    if len(value) > limit:
        raise CatiError(f"the {what} is longer than {limit} characters (超过 {limit} 个字)")
    return value or None


def update_suggestion(database: Database, suggestion_id: int, *, user_id: int | None = None,
                      valid: Any = UNSET, category: Any = UNSET, responsible_unit: Any = UNSET,
                      status: Any = UNSET, notes: Any = UNSET, reply: Any = UNSET,
                      now: dt.datetime | None = None) -> SuggestionRow:
    """Review one suggestion: the fields given change (UNSET: left as they are). The status
    moves by :data:`TRANSITIONS` only; everything is checked before anything is stored.
    A changed ``reply`` stamps ``replied_at`` (the date the call-back reads out). Audited with
    the old and new values of what changed."""
    now = now or utc_now()
    if valid is not UNSET and valid is not None and not isinstance(valid, bool):
        raise CatiError(f"valid must be yes, no or unreviewed, not {valid!r}")
    if status is not UNSET:
        if status is None:
            raise CatiError("a suggestion always has a status (new, assigned, resolved, checked)")
        _check_status(status)
    if notes is not UNSET and not isinstance(notes, str):
        raise CatiError(f"notes must be text, not {notes!r}")
    if reply is not UNSET:
        if not isinstance(reply, str):
            raise CatiError(f"the reply must be text, not {reply!r}")
        if len(reply.strip()) > REPLY_MAX:
            raise CatiError(f"the reply is longer than {REPLY_MAX} characters "
                            f"(答复超过 {REPLY_MAX} 个字)")
    with database.unit() as session:
        actor = _actor(session, user_id)
        suggestion = session.get(Suggestion, suggestion_id,
                                 with_for_update=(not database.is_sqlite) or None)
        if suggestion is None:
            raise NotFound(f"no suggestion {suggestion_id}")
        project_id = suggestion.project_id
        assert project_id is not None
        config = suggestion_settings(_project(session, project_id).settings)
        old = {"valid": suggestion.valid, "category": suggestion.category,
               "responsible_unit": suggestion.responsible_unit, "status": suggestion.status,
               "notes": suggestion.notes or "", "reply": suggestion.reply or ""}
        new = dict(old)
        if valid is not UNSET:
            new["valid"] = valid
        if category is not UNSET:
            new["category"] = _optional_text(category, "category", CATEGORY_MAX)
            if new["category"] not in (None, old["category"]) \
                    and new["category"] not in config.categories:
                raise CatiError(f"'{new['category']}' is not a suggestion category of this "
                                f"project: {', '.join(config.categories)} (不是本项目的分类)")
        if responsible_unit is not UNSET:
            new["responsible_unit"] = _optional_text(responsible_unit, "responsible unit",
                                                     UNIT_MAX)
        if notes is not UNSET:
            new["notes"] = notes.strip()
        if reply is not UNSET:
            new["reply"] = reply.strip()
        if status is not UNSET:
            new["status"] = status
        _check_transition(suggestion, old["status"], new)
        changes = {key: [old[key], new[key]] for key in old if old[key] != new[key]}
        if changes:
            from cati.services.units import stamp_status

            suggestion.valid, suggestion.category = new["valid"], new["category"]
            suggestion.responsible_unit, suggestion.status = new["responsible_unit"], new["status"]
            suggestion.notes = new["notes"]
            if new["reply"] != old["reply"]:
                suggestion.reply = new["reply"]
                suggestion.replied_at = now if new["reply"] else None
            stamp_status(suggestion, old["status"], config, now)
            _audit(session, actor, "suggestion_updated", now, suggestion_id=suggestion.id,
                   project_id=project_id, changes=changes)
            session.flush()
        return _rows(session, project_id, config, ids=[suggestion.id])[0]


def _check_transition(suggestion: Suggestion, old_status: str, new: Mapping[str, Any]) -> None:
    target = new["status"]
    if target != old_status:
        if target not in TRANSITIONS[old_status]:
            allowed = ", ".join(TRANSITIONS[old_status]) or "none: it is final"
            raise CatiError(
                f"a suggestion cannot go from {old_status} to {target} (allowed: {allowed}) "
                f"(建议状态不能从“{STATUS_LABELS[old_status]}”改为“{STATUS_LABELS[target]}”)")
        if target == CHECKED and suggestion.follow_up_case_id is not None \
                and suggestion.follow_up_outcome is None:
            raise CatiError("this suggestion is checked by its follow-up call: it becomes "
                            "checked when that interview completes (已安排回访,回访完成后自动核实)")
    if target != NEW:
        if new["valid"] is not True:
            raise CatiError(f"only a valid suggestion can be {target}: mark it valid first "
                            "(只有有效的建议才能交办处理)")
        if not new["category"] or not new["responsible_unit"]:
            raise CatiError(f"a suggestion that is {target} needs a category and a responsible "
                            "unit (交办的建议须有分类和责任单位)")


# -- follow-up calls -----------------------------------------------------------------------------


def _follow_up_code(session: Session, code: str) -> str:
    taken = set(session.scalars(select(Project.code)))
    number = 1
    while True:
        suffix = f"_FU{number}"
        candidate = code[:64 - len(suffix)] + suffix
        if candidate not in taken:
            if not CODE_PATTERN.match(candidate):
                raise CatiError(f"cannot make a follow-up project code from '{code}'")
            return candidate
        number += 1


def create_follow_up(database: Database, project_id: int, *, user_id: int | None = None,
                     form_path: str | Path | None = None,
                     now: dt.datetime | None = None) -> FollowUpResult:
    """One follow-up project for the resolved suggestions whose respondent agreed to be called
    back and that have no follow-up call yet (see the module docstring). Raises CatiError,
    changing nothing, when there is none."""
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_id, lock=not database.is_sqlite)
        config = suggestion_settings(project.settings)
        agreed = aliased(Answer)
        found = session.execute(
            select(Suggestion, Interview, Case)
            .join(Interview, Interview.id == Suggestion.interview_id)
            .join(agreed, and_(agreed.interview_id == Interview.id,
                               agreed.question == config.follow_up_question,
                               agreed.value.in_(config.follow_up_yes)))
            .outerjoin(Case, Case.id == Interview.case_id)
            .where(Interview.project_id == project_id, Suggestion.status == RESOLVED,
                   or_(Suggestion.follow_up_case_id.is_(None),
                       Suggestion.follow_up_outcome.is_not(None)))
            .order_by(Suggestion.id)
            .options(undefer(Case.phone_e164), undefer(Case.phone_raw))).all()
        # Opinions taken in by hand (hotline, letters …) with a phone and consent: called back
        # on that phone (cati.services.units).
        taken_in = session.scalars(
            select(Suggestion).where(Suggestion.project_id == project_id,
                                     Suggestion.interview_id.is_(None),
                                     Suggestion.contact_consent.is_(True),
                                     Suggestion.contact_phone.is_not(None),
                                     Suggestion.status == RESOLVED,
                                     Suggestion.follow_up_case_id.is_(None))
            .order_by(Suggestion.id).options(undefer(Suggestion.contact_phone))).all()
        # Web and field respondents (no case) are called on the number they left, if any
        # (cati.services.contact_phones: kept apart from the answers, read here by the
        # supervisor's session).
        left = {interview.id: contact_phone_check(session, interview.id)
                for _s, interview, case in found if case is None}
        left_phones = {check.e164 for check in left.values() if check is not None}
        blocked = set(session.scalars(select(DoNotCall.phone_e164).where(
            DoNotCall.phone_e164.in_({case.phone_e164 for _s, _i, case in found if case}
                                     | {s.contact_phone for s in taken_in} | left_phones),
            or_(DoNotCall.expires_at.is_(None), DoNotCall.expires_at > now))))
        groups: dict[str, list[tuple[Suggestion, Interview | None, Case | None]]] = {}
        no_phone = dnc = 0
        for suggestion in taken_in:
            if suggestion.contact_phone in blocked:
                dnc += 1
            else:
                groups.setdefault(suggestion.contact_phone or "", []).append(
                    (suggestion, None, None))
        checks: dict[str, PhoneCheck] = {}
        for suggestion, interview, case in found:
            check = left.get(interview.id) if case is None else None
            if check is not None and check.e164 not in blocked:
                checks[check.e164] = check
                groups.setdefault(check.e164, []).append((suggestion, interview, None))
            elif check is not None:
                dnc += 1
            elif case is None or not case.phone_e164:
                no_phone += 1
            elif case.phone_e164 in blocked:
                dnc += 1
            else:
                groups.setdefault(case.phone_e164, []).append((suggestion, interview, case))
        if not groups:
            raise CatiError("no resolved suggestion whose respondent agreed to be called back "
                            "is waiting for a follow-up call (没有待回访的已办结建议)")
        code = _follow_up_code(session, project.code)
        number = code.rsplit("_FU", 1)[1]
        settings = project.settings or {}
        info = create_project(session, code, form_path or FOLLOW_UP_FORM,
                              name=f"{project.name}(回访{number})"[:255],
                              default_area_code=settings.get("default_area_code"))
        follow_up = session.get(Project, info.id)
        assert follow_up is not None
        follow_up.settings = {**(follow_up.settings or {}),
                              **{k: settings[k] for k in COPIED_SETTINGS if k in settings},
                              "follow_up_of": {"project_id": project.id, "code": project.code}}
        add_cases(session, info.id, [_new_case(project.code, items, checks.get(phone))
                                     for phone, items in groups.items()])
        case_ids = dict(session.execute(select(Case.phone_e164, Case.id)
                                        .where(Case.project_id == info.id)).all())
        linked = []
        for phone, items in groups.items():
            for suggestion, _interview, _case in items:
                suggestion.follow_up_case_id = case_ids[phone]
                # A suggestion called back before (reopened, resolved again) starts afresh;
                # the earlier result stays in its notes and the audit log.
                suggestion.follow_up_outcome = suggestion.follow_up_satisfaction = None
                suggestion.followed_up_at = None
                linked.append(suggestion.id)
        _audit(session, actor, "suggestion_follow_up_created", now, project_id=project.id,
               follow_up_project_id=info.id, follow_up_code=code, cases=len(groups),
               suggestion_ids=linked, skipped_no_phone=no_phone, skipped_dnc=dnc)
        session.flush()
        return FollowUpResult(info.id, code, len(groups), len(linked), no_phone, dnc)


def _new_case(source_code: str,
              items: list[tuple[Suggestion, Interview | None, Case | None]],
              left: PhoneCheck | None = None) -> NewCase:
    first, interview, case = next((item for item in items if item[2] is not None), items[0])
    if case is None and left is not None and left.e164:  # the number a respondent left
        zone = left.time_zone or "Asia/Shanghai"
        phone = PhoneCheck(left.e164, None, left.number_type, left.region, left.carrier, zone)
        raw = left.e164
        stratum = (interview.stratum if interview is not None else "") or first.township or ""
        source_interview = interview.id if interview is not None else None
    elif case is None or interview is None:  # only opinions taken in by hand: their phone
        from cati.sample.phones import PhoneRule, check_phone

        checked = check_phone(first.contact_phone, PhoneRule())
        zone = checked.time_zone or "Asia/Shanghai"
        phone = PhoneCheck(first.contact_phone, None, checked.number_type, checked.region,
                           checked.carrier, zone)
        raw, stratum, source_interview = first.contact_phone or "", first.township or "", None
    else:
        zone = case.time_zone or "Asia/Shanghai"
        phone = PhoneCheck(case.phone_e164, None, case.number_type, case.region, case.carrier,
                           zone)
        raw, stratum = case.phone_raw or case.phone_e164, interview.stratum or case.stratum or ""
        source_interview = interview.id
    suggestions = [s for s, _i, _c in items]
    replies = [s.reply.strip() for s in suggestions if (s.reply or "").strip()]
    replied = [s.replied_at for s in suggestions if s.replied_at is not None and s.reply]
    attributes = {
        "suggestion_ids": [s.id for s in suggestions],
        "suggestion_text": "；".join(s.text for s in suggestions),
        "suggestion_category": "、".join(dict.fromkeys(s.category or "" for s in suggestions
                                                      if s.category)),
        "suggestion_unit": "、".join(dict.fromkeys(s.responsible_unit or "" for s in suggestions
                                                  if s.responsible_unit)),
        "suggestion_reply": "；".join(replies) or NO_REPLY,
        "suggestion_reply_date": _day_words(max(replied), zone) if replied else "",
        "suggestions": [{"id": s.id, "question": s.question, "text": s.text,
                         "category": s.category, "responsible_unit": s.responsible_unit,
                         "reply": s.reply or ""}
                        for s in suggestions],
        "source_project": source_code,
        "source_interview_id": source_interview,
    }
    return NewCase(phone, raw, stratum=stratum, attributes=attributes)


def _day_words(instant: dt.datetime, zone: str) -> str:
    """A day as it is read out: 2026年12月3日 (in the respondent's zone)."""
    try:
        local = instant.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = instant.astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{local.year}年{local.month}月{local.day}日"


def check_follow_ups(database: Database, project_id: int, *, user_id: int | None = None,
                     now: dt.datetime | None = None) -> int:
    """Set the state of every resolved suggestion of the project whose follow-up call has a
    result (see the module docstring: checked, reopened, unreachable or refused); the result is
    appended to its notes. Returns how many suggestions changed."""
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        _project(session, project_id)
        return sum(_check_follow_ups(session, project_id, actor, now).values())


@dataclass(frozen=True, slots=True)
class _CallResult:
    status: str
    outcome: str
    satisfaction: str | None
    at: dt.datetime
    line: str  # appended to the notes
    details: dict[str, Any]


def _check_follow_ups(session: Session, project_id: int, actor: int | None,
                      now: dt.datetime) -> dict[str, int]:
    """The results of the follow-up calls that have one: {new status: how many}."""
    call_case = aliased(Case)
    found = session.execute(
        select(Suggestion, call_case.id, call_case.project_id, call_case.state,
               call_case.disposition, call_case.attempts, call_case.last_called_at)
        .join(call_case, call_case.id == Suggestion.follow_up_case_id)
        .where(Suggestion.project_id == project_id, Suggestion.status == RESOLVED,
               Suggestion.follow_up_outcome.is_(None))
        .order_by(Suggestion.id)).all()
    counts: dict[str, int] = {}
    config: SuggestionSettings | None = None
    results: dict[int, _CallResult | None] = {}  # per follow-up case
    for suggestion, case_id, call_project, state, code, attempts, last_called in found:
        if case_id not in results:
            results[case_id] = _call_result(session, case_id, call_project, state, code,
                                            attempts, last_called, now)
        result = results[case_id]
        if result is None:
            continue  # still being called
        suggestion.status = result.status
        if result.status == REOPENED:  # back in the unit's queue: a new deadline
            from cati.services.units import stamp_status

            config = config or suggestion_settings(_project(session, project_id).settings)
            stamp_status(suggestion, RESOLVED, config, now)
        suggestion.follow_up_outcome, suggestion.follow_up_satisfaction = (
            result.outcome, result.satisfaction)
        suggestion.followed_up_at = result.at
        suggestion.notes = (f"{suggestion.notes}\n{result.line}" if suggestion.notes
                            else result.line)
        _audit(session, actor, f"suggestion_{result.status}", now, suggestion_id=suggestion.id,
               project_id=project_id, follow_up_case_id=case_id,
               follow_up_outcome=result.outcome, follow_up_satisfaction=result.satisfaction,
               changes={"status": [RESOLVED, result.status]}, **result.details)
        counts[result.status] = counts.get(result.status, 0) + 1
    if counts:
        session.flush()
    return counts


def _call_result(session: Session, case_id: int, call_project: int, state: str,
                 code: str | None, attempts: int, last_called: dt.datetime | None,
                 now: dt.datetime) -> _CallResult | None:
    """What the follow-up case's calls came to; None while the case is still open."""
    call = session.execute(
        select(Interview.id, Interview.questionnaire_id, Interview.ended_at)
        .where(Interview.case_id == case_id, Interview.state == COMPLETE)
        .order_by(Interview.id).limit(1)).first()
    if call is not None:
        interview_id, questionnaire_id, ended = call
        answers = dict(session.execute(select(Answer.question, Answer.value)
                                       .where(Answer.interview_id == interview_id)).all())
        outcome = FIXED_ANSWERS.get(answers.get(FIXED_QUESTION, ""), UNCLEAR)
        satisfaction = SATISFACTION_ANSWERS.get(answers.get(SATISFACTION_QUESTION, ""))
        status = CHECKED if outcome == SOLVED and satisfaction in SATISFIED else REOPENED
        when = ended or now
        summary = _call_summary(session, interview_id, questionnaire_id)
        line = f"回访结果 Follow-up {when:%Y-%m-%d} {STATUS_LABELS[status]}: {summary}"
        return _CallResult(status, outcome, satisfaction, when, line.rstrip(": "),
                           {"follow_up_interview_id": interview_id})
    if state != "closed":
        return None
    disposition = session.scalar(select(Disposition).where(
        Disposition.project_id == call_project, Disposition.code == code))
    refused = disposition is not None and disposition.aapor_class == REFUSAL_CLASS
    status = REFUSED if refused else UNREACHABLE
    label = disposition.label_zh if disposition is not None else ""
    when = last_called or now
    line = (f"回访结果 Follow-up {when:%Y-%m-%d} {STATUS_LABELS[status]}: "
            f"{code} {label}, {attempts} 次拨打 attempts")
    return _CallResult(status, status, None, when, line, {"disposition": code,
                                                          "attempts": attempts})


def _call_summary(session: Session, interview_id: int, questionnaire_id: int) -> str:
    """The questions' answers of a follow-up interview as "question=answer" (choice labels;
    the case data the form read is left out)."""
    answers = session.execute(select(Answer.question, Answer.value)
                              .where(Answer.interview_id == interview_id, Answer.value != "")
                              .order_by(Answer.sequence, Answer.id)).all()
    try:
        form = form_of(session, questionnaire_id)
    except CatiError:
        form = None
    parts = []
    for question, value in answers:
        if form is not None and form.has_item(question) \
                and not form.item(question).is_question:
            continue
        shown = stratum_label(form, question, value) if form is not None else value
        parts.append(f"{question}={shown}")
    return "; ".join(parts)


# -- export ------------------------------------------------------------------------------------

EXPORT_HEADER = ("编号 id", "访问编号 interview_id", "样本层 stratum", "题目 question",
                 "内容 text", "有效 valid", "分类 category", "分类待确认 proposed",
                 "责任单位 responsible_unit", "状态 status", "备注 notes",
                 "同意回访 follow_up_ok", "回访项目 follow_up_project",
                 "回访号码编号 follow_up_case_id", "访问结束 interview_ended_at",
                 "状态说明 status_label", "答复 reply", "答复时间 replied_at",
                 "回访结果 follow_up_outcome", "处理满意度 follow_up_satisfaction",
                 "回访时间 followed_up_at",
                 "子类 subcategory", "渠道 channel", "交办期限 due_at", "办结 resolved_at")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _export_values(row: SuggestionRow) -> list[Any]:
    ended = row.interview_ended_at
    return [row.id, row.interview_id, row.stratum, row.question, row.text,
            "" if row.valid is None else ("是" if row.valid else "否"), row.category or "",
            "是" if row.proposed else "", row.responsible_unit or "", row.status, row.notes,
            "是" if row.follow_up_ok else "", row.follow_up_project or "",
            row.follow_up_case_id if row.follow_up_case_id is not None else "",
            _seconds(ended), row.status_label, row.reply, _seconds(row.replied_at),
            OUTCOME_LABELS.get(row.follow_up_outcome or "", row.follow_up_outcome or ""),
            SATISFACTION_LABELS.get(row.follow_up_satisfaction or "",
                                    row.follow_up_satisfaction or ""),
            _seconds(row.followed_up_at), row.subcategory or "", row.channel,
            _seconds(row.due_at), _seconds(row.resolved_at)]


def _seconds(instant: dt.datetime | None) -> str:
    return instant.isoformat(timespec="seconds") if instant else ""


def csv_text(value: Any) -> Any:
    """A CSV cell: text a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def export_suggestions(database: Database, project_id: int, path: str | Path, *,
                       status: str | None = None, category: str | None = None,
                       user_id: int | None = None, now: dt.datetime | None = None) -> int:
    """Write the project's suggestions to an .xlsx or .csv file; returns the number of rows."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise CatiError(f"{path.name}: export to a .xlsx or .csv file (只能导出为 .xlsx 或 .csv)")
    if not path.parent.is_dir():
        raise CatiError(f"{path.name}: the folder {path.parent} does not exist (文件夹不存在)")
    rows = list_suggestions(database, project_id, status=status, category=category,
                            user_id=user_id)
    partial = path.with_name(path.name + ".part")
    try:
        if suffix == ".csv":
            _write_csv(partial, rows)
        else:
            _write_xlsx(partial, rows)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CatiError(f"{path.name}: cannot write the file ({exc.strerror or exc})") from None
    with database.unit() as session:
        _audit(session, user_id, "suggestions_exported", now or utc_now(), project_id=project_id,
               file=str(path), rows=len(rows), status=status, category=category)
    return len(rows)


def _write_csv(path: Path, rows: list[SuggestionRow]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_HEADER)
        for row in rows:
            writer.writerow([csv_text(value) for value in _export_values(row)])


def _write_xlsx(path: Path, rows: list[SuggestionRow]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    from cati.sample.xlsx_temp import use_private_temp_dir

    use_private_temp_dir()  # openpyxl's temp files: none left behind by a kill
    book = Workbook(write_only=True)
    sheet = book.create_sheet("suggestions")
    for letter, width in zip("ABCDEFGHIJKLMNOPQRSTUVWXY",
                             (8, 10, 14, 14, 60, 6, 12, 8, 18, 10, 40, 8, 14, 10, 20, 12, 40, 20,
                              10, 12, 20, 8, 20, 20, 20), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"

    def cell(value: Any, *, bold: bool = False) -> Any:
        if value == "":
            return None  # an empty cell, not an empty string
        if not isinstance(value, str):
            return value
        text = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        text.data_type = "s"  # a string cell, never a formula, whatever it starts with
        if bold:
            text.font = Font(bold=True)
        return text

    sheet.append([cell(title, bold=True) for title in EXPORT_HEADER])
    for row in rows:
        sheet.append([cell(value) for value in _export_values(row)])
    book.save(path)


# -- bound to one database, for the desktop app ----------------------------------------------


class SuggestionService:
    """The functions above on one database (Qt-free); the console panel runs each call on its
    worker thread."""

    statuses = STATUSES
    status_labels = STATUS_LABELS

    def __init__(self, database: Database) -> None:
        self.database = database

    def settings(self, project_id: int) -> SuggestionSettings:
        return project_suggestion_settings(self.database, project_id)

    def list(self, project_id: int, *, status: str | None = None, category: str | None = None,
             user_id: int | None = None) -> list[SuggestionRow]:
        return list_suggestions(self.database, project_id, status=status, category=category,
                                user_id=user_id)

    def collect(self, project_id: int, user_id: int | None = None) -> CollectResult:
        return collect_suggestions(self.database, project_id, user_id=user_id)

    def update(self, suggestion_id: int, user_id: int | None = None,
               **changes: Any) -> SuggestionRow:
        return update_suggestion(self.database, suggestion_id, user_id=user_id, **changes)

    def create_follow_up(self, project_id: int, user_id: int | None = None) -> FollowUpResult:
        return create_follow_up(self.database, project_id, user_id=user_id)

    def check_follow_ups(self, project_id: int, user_id: int | None = None) -> int:
        return check_follow_ups(self.database, project_id, user_id=user_id)

    def export(self, project_id: int, path: str | Path, user_id: int | None = None) -> int:
        return export_suggestions(self.database, project_id, path, user_id=user_id)

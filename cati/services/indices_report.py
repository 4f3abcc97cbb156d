"""Township indices of a project (one wave): the rule they follow, and the numbers.

The indicators come from the questionnaire's ``indices`` sheet and ``score`` column; a project
may change the rule in its settings, under the key ``index_policy`` (every part optional)::

    "index_policy": {
        "include_partials": false,                   # count partial interviews (1.2) too
        "positive": {"safety_rate": ["1"]},           # an index's positive choices
        "excluded": {"sat_police_rate": ["8"]},       # choices left out of its denominator
        "weights": {"law_enforcement_sat": [2, 1, 1, 1]}, # a composite's weights, per part
        "min_n": 30                                   # strata below it are shown, not ranked
    }

Anything not set there is the questionnaire's own definition. The rule in force is the closed
wave's frozen copy, else the project's own setting, else its series' (cati.services.series);
``ReportRule.rule_source`` says which, ``ReportRule.min_n`` carries min_n. The counts come from two grouped
queries (interviews by stratum; answers by stratum, question and value), never row by row; the
arithmetic is :mod:`cati.reporting.indices`. Every report carries the rule it used.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati.errors import CatiError, NotFound
from cati.questionnaire.model import Form
from cati.reporting.aapor import outcome_rates
from cati.reporting.indices import (
    ALL,
    DEFAULT_MIN_N,
    MODES,
    POLICY_KEY,
    IndexPolicy,
    IndexRow,
    IndexRule,
    as_float,
    compute_indices,
    index_rules,
    read_policy,
)
from cati.services.clock import utc_now
from cati.services.interviews import stratum_label
from cati.services.questionnaires import form_of
from cati.storage.models import (
    Answer,
    Case,
    Disposition,
    Interview,
    Project,
    Questionnaire,
    Quota,
    Suggestion,
)

NO_STRATUM = "-"  # interviews without a stratum are reported under this name
DEFAULT_TIME_ZONE = "Asia/Shanghai"
# The suggestion categories of seed 002, listed first and in this order; others follow.
DEFAULT_CATEGORIES = ("交通管理", "治安管理", "公安服务", "违法犯罪", "群众求助")

RULE_SOURCES = {"frozen": "本期结束时冻结的规则", "project": "本项目的设置",
                "series": "所属测评系列的规则", "questionnaire": "问卷的指数定义"}
MARGIN_RULE = ("95% margin of error: rate 1.96*sqrt(p(1-p)/d); score 1.96*s/sqrt(d) with the "
               "sample standard deviation s (undefined when d < 2); mean sum((w_i/W)*m_i), an "
               "upper bound whatever the correlation among its parts")
RANK_RULE = ("competition ranking (1224) of the strata on unrounded values, highest first; "
             "undefined values are not ranked")
TIE_RULE = ("strata A and B are tied when |v_A - v_B| <= max(m_A, m_B): either value lies within "
            "the other's margin (symmetric; an undefined margin counts as 0)")
VALUE_RULE = ("value is undefined (null) when its denominator is 0; a mean is undefined when a "
              "part is; its denominator is the smallest of its parts'")
ROUNDING_RULE = ("value, moe and change are rounded half-up to 6 decimals for JSON; rates are "
                 "shares (0..1), scores are points; the arithmetic is exact")


@dataclass(frozen=True, slots=True)
class ReportRule:
    """What a report counted and how: printed next to every number."""

    project: str
    form_id: str
    form_version: str
    states: tuple[str, ...]  # interview states counted
    stratum_question: str | None  # None: the case's sample stratum
    compare: str | None
    indices: tuple[IndexRule, ...]
    choice_labels: Mapping[str, Mapping[str, str]]  # index -> choice name -> label
    set_by_project: Mapping[str, tuple[str, ...]]  # index -> the parts index_policy changed
    min_n: int = DEFAULT_MIN_N  # strata with fewer counted interviews are shown, not ranked
    rule_source: str = "questionnaire"  # frozen | project | series | questionnaire
    frozen_at: dt.datetime | None = None  # a closed wave's frozen rule: when it closed
    period: tuple[str, str] | None = None  # a date-range report: first and last day

    @property
    def include_partials(self) -> bool:
        return "partial" in self.states

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project, "form_id": self.form_id, "form_version": self.form_version,
            "compare": self.compare, "interviews": list(self.states),
            "include_partials": self.include_partials,
            "stratum": ({"from": "question", "question": self.stratum_question}
                        if self.stratum_question else {"from": "sample"}),
            "settings_key": POLICY_KEY, "margin": MARGIN_RULE, "rank": RANK_RULE,
            "ties": TIE_RULE, "undefined": VALUE_RULE, "rounding": ROUNDING_RULE,
            "indices": [self._index_json(rule) for rule in self.indices],
            "min_n": self.min_n, "rule_source": self.rule_source,
            "frozen_at": self.frozen_at.isoformat() if self.frozen_at else None,
            **({"from": self.period[0], "to": self.period[1]} if self.period else {}),
        }

    def describe_counting(self) -> tuple[str, ...]:
        """The rule common to every index, in Chinese, one line per point."""
        counted = "完成访问和部分完成" if self.include_partials else "完成访问(不含部分完成)"
        stratum = (f"受访者对“{self.stratum_question}”题的回答" if self.stratum_question
                   else "样本号码的分层")
        return (
            f"计入的访问:{counted}(项目设置 {POLICY_KEY}.include_partials)",
            f"分层依据:{stratum}",
            "误差范围:95%置信水平;率为 1.96×√(p(1−p)/d),得分为 1.96×s/√d(s 为样本标准差,"
            "d<2 时无法计算),综合指数为各部分误差按权重的加权和(不论各部分是否相关都不会低估)",
            "排名:按未经四舍五入的数值从高到低竞争排名(如 1、2、2、4),无法计算的不排名",
            "并列:两地数值之差不超过两者误差范围中较大的一个,即视为并列(差异不显著)",
            "“—”表示有效回答为 0,无法计算(不是 0);率以百分比显示,得分为分值",
            f"最低样本量:{self.min_n}(样本量低于此数的乡镇列出但不参加排名)",
            f"规则来源:{RULE_SOURCES.get(self.rule_source, self.rule_source)}"
            + (f"(结束于 {self.frozen_at.isoformat(timespec='seconds')})"
               if self.frozen_at else ""),
        )

    def describe_index(self, rule: IndexRule) -> str:
        """How one index is computed, in Chinese: its positive, excluded and weighted parts."""
        labels = self.choice_labels.get(rule.name, {})

        def names(choices: frozenset[str]) -> str:
            return "、".join(f"{labels.get(c, c)}({c})" for c in sorted(choices, key=_natural)) \
                or "无"

        if rule.method == "rate":
            text = (f"率 = 正面回答数 ÷ 有效回答数;正面回答:{names(rule.positive)};"
                    f"不计入分母:{names(rule.excluded)}")
        elif rule.method == "score":
            scores = "、".join(f"{labels.get(c, c)}={_number(score)}"
                              for question in rule.source
                              for c, score in rule.choices.get(question, {}).items()
                              if score is not None and c not in rule.excluded)
            text = (f"得分 = 有效回答分值的平均数;分值:{scores};"
                    f"不计入分母:{names(rule.excluded)}")
        else:
            by_name = {r.name: r.label for r in self.indices}
            parts = "、".join(f"{by_name.get(part, part)}×{_number(weight)}"
                              for part, weight in zip(rule.source, rule.effective_weights,
                                                      strict=True))
            text = f"加权平均 = Σ(指数×权重) ÷ Σ权重;{parts}"
        changed = self.set_by_project.get(rule.name)
        if changed:
            words = {"positive": "正面回答", "excluded": "不计入分母", "weights": "权重"}
            text += f"(本项目设置修改了:{'、'.join(words[part] for part in changed)})"
        return text

    def _index_json(self, rule: IndexRule) -> dict[str, Any]:
        labels = self.choice_labels.get(rule.name, {})
        positive, excluded = sorted(rule.positive, key=_natural), sorted(rule.excluded, key=_natural)
        return {
            "name": rule.name, "label": rule.label, "method": rule.method,
            "source": list(rule.source), "value": "share" if rule.share else "points",
            "positive": positive, "positive_labels": [labels.get(c, c) for c in positive],
            "excluded": excluded, "excluded_labels": [labels.get(c, c) for c in excluded],
            "weights": [_number(w) for w in rule.effective_weights] if rule.method == "mean"
            else [],
            "set_by_project": list(self.set_by_project.get(rule.name, ())),
        }


@dataclass(frozen=True, slots=True)
class IndicesReport:
    project_code: str
    project_name: str
    compare_name: str | None
    rule: ReportRule
    strata: tuple[str, ...]  # the reported strata, in the questionnaire's (or sorted) order
    rows: tuple[IndexRow, ...]  # per index: ALL, then the strata by rank
    interviews: int  # interviews counted (completes, and partials when the rule says so)
    # The split by mode (phone, field, web): the modes with counted interviews, and per index
    # one row per mode, whose ``stratum`` is the mode (no rank).
    modes: tuple[str, ...]
    mode_rows: tuple[IndexRow, ...]
    interviews_by_mode: Mapping[str, int]

    def rows_of(self, index: str) -> list[IndexRow]:
        return [row for row in self.rows if row.index == index]

    def mode_rows_of(self, index: str) -> list[IndexRow]:
        return [row for row in self.mode_rows if row.index == index]

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule.as_json(), "rows": [row_json(row) for row in self.rows],
                "by_mode": [mode_json(row) for row in self.mode_rows]}


def row_json(row: IndexRow) -> dict[str, Any]:
    return {"index": row.index, "stratum": row.stratum, "n": row.n,
            "denominator": row.denominator, "value": as_float(row.value),
            "moe": as_float(row.moe), "rank": row.rank, "tied_with": list(row.tied_with),
            "change": as_float(row.change)}


def mode_json(row: IndexRow) -> dict[str, Any]:
    """A by-mode row: row_json's figures with the mode for the stratum, without the ranks."""
    data = row_json(row)
    return {"index": data["index"], "mode": data["stratum"],
            **{key: data[key] for key in ("n", "denominator", "value", "moe")}}


STRATUM, MODE = 1, 0  # the parts of a (mode, stratum) key


def _by_mode(rules, counts) -> tuple[tuple[str, ...], Any, tuple[IndexRow, ...]]:
    """The same indices per mode: the modes in order, the interviews per mode, and the rows
    (the modes take the place of the strata; their ranks mean nothing and are dropped; ALL is
    the report's own)."""
    per_mode, mode_answers = counts.by(MODE)
    modes = tuple(sorted(per_mode, key=_mode_order))
    place = {rule.name: i for i, rule in enumerate(rules)}
    return modes, per_mode, tuple(sorted(
        (replace(row, rank=None, tied_with=())
         for row in compute_indices(rules, modes, per_mode, mode_answers) if row.stratum != ALL),
        key=lambda row: (place[row.index], _mode_order(row.stratum))))


def _mode_order(mode: str) -> tuple[int, str]:
    return (MODES.index(mode) if mode in MODES else len(MODES), mode)


def indices_report(session: Session, project_code: str,
                   compare: str | None = None) -> IndicesReport:
    """Every index of the project for ALL and each stratum, with the change against the earlier
    project ``compare`` (same questionnaire form_id, computed by the same rule)."""
    from cati.services.series import rule_in_force

    project = _project(session, project_code)
    form = form_of(session, project.questionnaire_id)
    in_force = rule_in_force(session, project)
    policy = read_policy({POLICY_KEY: in_force.policy}, project_code)
    rules = index_rules(form, policy, project_code)
    states = ("complete", "partial") if policy.include_partials else ("complete",)
    questions = sorted({q for rule in rules if rule.method != "mean" for q in rule.source})
    earlier, compare_name = None, None
    if compare is not None:
        other = _comparable(session, project, compare)
        compare_name = other.name
        earlier = {(row.index, row.stratum): row.value for row in compute_indices(
            rules, (), *_counts(session, other.id, states, questions).by(STRATUM))}
    counts = _counts(session, project.id, states, questions)
    counted, answers = counts.by(STRATUM)
    strata = _declared_strata(session, project.id, form)
    rows = compute_indices(rules, strata, counted, answers, earlier)
    modes, per_mode, mode_rows = _by_mode(rules, counts)
    reported = tuple(dict.fromkeys(row.stratum for row in rows if row.stratum != ALL))
    version = session.scalar(select(Questionnaire.version)
                             .where(Questionnaire.id == project.questionnaire_id)) or ""
    rule = ReportRule(project_code, form.form_id, version, states, form.stratum_question,
                      compare, rules, _choice_labels(form, rules), _overridden(policy),
                      policy.min_n, in_force.source, in_force.frozen_at)
    return IndicesReport(project_code, project.name, compare_name, rule,
                         tuple(sorted(reported, key=_position(strata))), tuple(rows),
                         sum(counted.values()), modes, mode_rows,
                         MappingProxyType(per_mode))


def checked_rule(session: Session, project: Project | None,
                 policy: Mapping[str, Any]) -> IndexPolicy:
    """``policy`` (an index_policy object) checked for shape and, given a project, against its
    questionnaire; raises CatiError with one line."""
    code = project.code if project is not None else ""
    checked = read_policy({POLICY_KEY: policy}, code)
    if project is not None:
        index_rules(form_of(session, project.questionnaire_id), checked, code)
    return checked


def series_indices_report(session: Session, series_code: str, first: dt.date,
                          last: dt.date, time_zone: str = DEFAULT_TIME_ZONE) -> IndicesReport:
    """The indices over the interviews of the series' waves completed from ``first`` to
    ``last`` (days in ``time_zone``, both included), by the series' rule in force and the
    questionnaire of its latest wave in the range; the waves must share the questionnaire
    (form_id). ``project_code`` of the report is the series' code."""
    from cati.services.series import series_rule
    from cati.storage.models import Series

    if last < first:
        raise CatiError(f"--to {last} is before --from {first}")
    series = session.scalar(select(Series).where(Series.code == series_code))
    if series is None:
        raise NotFound(f"no series '{series_code}'")
    zone = ZoneInfo(time_zone)
    start = dt.datetime.combine(first, dt.time(0), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
    waves = list(session.scalars(select(Project).where(Project.series_id == series.id)
                                 .order_by(Project.period)))
    if not waves:
        raise CatiError(f"series {series_code} has no waves yet")
    forms = dict(session.execute(select(Questionnaire.id, Questionnaire.form_id).where(
        Questionnaire.id.in_({w.questionnaire_id for w in waves}))).all())
    if len(set(forms.values())) > 1:
        raise CatiError(f"the waves of series {series_code} use different questionnaires "
                        f"({', '.join(sorted(set(forms.values())))}): a date range across them "
                        "is not defined")
    latest = waves[-1]
    form = form_of(session, latest.questionnaire_id)
    raw = series_rule(session, series_code)
    policy = read_policy({POLICY_KEY: raw}, series_code)
    rules = index_rules(form, policy, series_code)
    states = ("complete", "partial") if policy.include_partials else ("complete",)
    questions = sorted({q for rule in rules if rule.method != "mean" for q in rule.source})
    counts = _counts(session, tuple(w.id for w in waves), states, questions, (start, end))
    counted, answers = counts.by(STRATUM)
    strata = _declared_strata(session, latest.id, form)
    rows = compute_indices(rules, strata, counted, answers, None)
    modes, per_mode, mode_rows = _by_mode(rules, counts)
    reported = tuple(dict.fromkeys(row.stratum for row in rows if row.stratum != ALL))
    version = session.scalar(select(Questionnaire.version)
                             .where(Questionnaire.id == latest.questionnaire_id)) or ""
    rule = ReportRule(series_code, form.form_id, version, states, form.stratum_question, None,
                      rules, _choice_labels(form, rules), _overridden(policy), policy.min_n,
                      "series" if raw else "questionnaire", None,
                      (first.isoformat(), last.isoformat()))
    return IndicesReport(series_code, series.name, None, rule,
                         tuple(sorted(reported, key=_position(strata))), tuple(rows),
                         sum(counted.values()), modes, mode_rows, MappingProxyType(per_mode))


def _choice_labels(form: Form, rules: tuple[IndexRule, ...]) -> Mapping[str, Mapping[str, str]]:
    result = {}
    for rule in rules:
        labels: dict[str, str] = {}
        for question in rule.source if rule.method != "mean" else ():
            for choice in form.choices_of(form.item(question)):
                labels.setdefault(choice.name, form.text(choice.labels) or choice.name)
        result[rule.name] = MappingProxyType(labels)
    return MappingProxyType(result)


def _overridden(policy: IndexPolicy) -> Mapping[str, tuple[str, ...]]:
    changed: dict[str, list[str]] = defaultdict(list)
    for part in ("positive", "excluded", "weights"):
        for name in getattr(policy, part):
            changed[name].append(part)
    return MappingProxyType({name: tuple(parts) for name, parts in changed.items()})


# -- the counts ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Counts:
    """Counted interviews and answers per (mode, stratum)."""

    interviews: Mapping[tuple[str, str], int]
    answers: Mapping[tuple[str, str], Mapping[str, Mapping[str, int]]]

    def by(self, part: int) -> tuple[dict[str, int], dict[str, dict[str, dict[str, int]]]]:
        """The counts summed per stratum (``part`` 1) or per mode (0)."""
        interviews: dict[str, int] = defaultdict(int)
        for key, count in self.interviews.items():
            interviews[key[part]] += count
        answers: dict[str, dict[str, dict[str, int]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(int)))
        for key, questions in self.answers.items():
            for question, values in questions.items():
                for value, count in values.items():
                    answers[key[part]][question][value] += count
        return dict(interviews), answers


def _counts(session: Session, project_id: int | tuple[int, ...], states: tuple[str, ...],
            questions: list[str],
            ended: tuple[dt.datetime, dt.datetime] | None = None) -> _Counts:
    """Counted interviews per mode and stratum; answers per mode, stratum, question and value
    (grouped SQL). The answers are grouped by mode only when there is more than one: that
    costs about a fifth more on SQLite, for nothing in a phone-only project. Several projects
    (the waves of a series) and an ``ended`` range [from, to) count together."""
    ids = project_id if isinstance(project_id, tuple) else (project_id,)
    where = [Interview.project_id.in_(ids) if len(ids) > 1 else Interview.project_id == ids[0],
             Interview.state.in_(states)]
    if ended is not None:
        where += [Interview.ended_at >= ended[0], Interview.ended_at < ended[1]]
    counted = {(mode, _stratum_name(stratum)): count for mode, stratum, count in session.execute(
        select(Interview.mode, Interview.stratum, func.count())
        .where(*where)
        .group_by(Interview.mode, Interview.stratum))}
    answers: dict[tuple[str, str], dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(dict))
    if questions:
        modes = {mode for mode, _ in counted}
        only = next(iter(modes)) if len(modes) == 1 else None
        group = (Interview.stratum,) if only else (Interview.mode, Interview.stratum)
        query = (select(*group, Answer.question, Answer.value, func.count())
                 .select_from(Answer).join(Interview, Interview.id == Answer.interview_id)
                 .where(*where, Answer.question.in_(questions))
                 .group_by(*group, Answer.question, Answer.value))
        for *key, question, value, count in session.execute(query):
            mode, stratum = (only, key[0]) if only else key
            answers[(mode, _stratum_name(stratum))][question][value or ""] = count
    return _Counts(counted, answers)


def _declared_strata(session: Session, project_id: int, form: Form) -> list[str]:
    """The strata reported even without interviews: the stratum question's choices, else the
    sample's and the quotas' strata."""
    question = form.stratum_question
    if question and form.has_item(question):
        return [stratum_label(form, question, choice.name) for choice in form.strata()]
    sample = session.scalars(select(Case.stratum).distinct()
                             .where(Case.project_id == project_id, Case.stratum != ""))
    quotas = session.scalars(select(Quota.stratum).where(Quota.project_id == project_id))
    return sorted({*sample, *quotas} - {""})


def _stratum_name(stratum: str | None) -> str:
    return stratum or NO_STRATUM


def _position(strata: list[str]):
    place = {name: i for i, name in enumerate(strata)}
    return lambda name: (place.get(name, len(place)), name)


# -- the monthly report's other figures ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DispositionCount:
    code: str | None  # None: numbers not called yet
    label_zh: str
    label_en: str
    aapor_class: str
    final: bool
    cases: int


@dataclass(frozen=True, slots=True)
class SuggestionEntry:
    category: str | None
    text: str
    stratum: str
    status: str  # cati.services.suggestions.STATUSES: checked only when a call found it solved
    responsible_unit: str | None
    follow_up_outcome: str | None = None  # the call-back's result (suggestions.OUTCOMES)


@dataclass(frozen=True, slots=True)
class MonthlyFigures:
    """What the monthly report shows besides the indices."""

    indices: IndicesReport
    time_zone: str  # the dates below are days in this zone
    first_interview: dt.date | None
    last_interview: dt.date | None
    cases: int
    class_counts: Mapping[str, int]  # AAPOR class -> cases (never-called numbers count as UH)
    rates: Mapping[str, Any]  # outcome_rates(): RR1 … CON3, e, e_method
    dispositions: tuple[DispositionCount, ...]
    # those not marked invalid, by category (a closed wave: as they stood at its close)
    suggestions: tuple[SuggestionEntry, ...]
    generated_at: dt.datetime
    # quality control by listening (录音抽查) per interviewer with a drawn review
    # (cati.services.qc.report_figures); empty when none was drawn or the login may not read them
    qc: tuple = ()


def monthly_figures(session: Session, project_code: str, compare: str | None = None, *,
                    now: dt.datetime | None = None) -> MonthlyFigures:
    """The indices plus fieldwork dates, response figures, dispositions, suggestions and the
    listening scores per interviewer."""
    from cati.services.qc import report_figures

    report = indices_report(session, project_code, compare)
    project = _project(session, project_code)
    if project.status == "closed" and project.closed_at is not None:
        now = project.closed_at  # a closed wave's report regenerates byte-identical
    zone = session.scalar(select(Case.time_zone).where(Case.project_id == project.id)
                          .group_by(Case.time_zone).order_by(func.count().desc(), Case.time_zone)
                          .limit(1)) or DEFAULT_TIME_ZONE
    first, last = session.execute(
        select(func.min(Interview.started_at),
               func.max(func.coalesce(Interview.ended_at, Interview.started_at)))
        .where(Interview.project_id == project.id)).one()
    dispositions = _disposition_counts(session, project.id)
    classes: dict[str, int] = defaultdict(int)
    for row in dispositions:
        classes[row.aapor_class] += row.cases
    suggestions = (_suggestions(session, project.id) if project.frozen_suggestions is None
                   else tuple(SuggestionEntry(**entry) for entry in project.frozen_suggestions
                              if isinstance(entry, dict)))
    return MonthlyFigures(
        report, zone, _day(first, zone), _day(last, zone), sum(d.cases for d in dispositions),
        MappingProxyType(dict(classes)), MappingProxyType(outcome_rates(dict(classes))),
        dispositions, suggestions, now or utc_now(), report_figures(session, project.id))


def frozen_suggestions(session: Session, project_id: int) -> list[dict[str, Any]]:
    """The suggestions as the monthly report lists them now, as JSON (kept by a closed wave)."""
    return [asdict(entry) for entry in _suggestions(session, project_id)]


def _disposition_counts(session: Session, project_id: int) -> tuple[DispositionCount, ...]:
    counts = dict(session.execute(select(Case.disposition, func.count())
                                  .where(Case.project_id == project_id)
                                  .group_by(Case.disposition)).all())
    rows = []
    for code, zh, en, aapor_class, final in session.execute(
            select(Disposition.code, Disposition.label_zh, Disposition.label_en,
                   Disposition.aapor_class, Disposition.final)
            .where(Disposition.project_id == project_id)
            .order_by(Disposition.position, Disposition.code)):
        rows.append(DispositionCount(code, zh, en, aapor_class, final, counts.pop(code, 0)))
    never = counts.pop(None, 0)
    for code in sorted(counts):  # codes no longer in the project's table count as unknown
        rows.append(DispositionCount(code, "(未知代码)", "(unknown code)", "UH", False,
                                     counts[code]))
    rows.append(DispositionCount(None, "未拨打", "Not called yet", "UH", False, never))
    return tuple(rows)


def _suggestions(session: Session, project_id: int) -> tuple[SuggestionEntry, ...]:
    # Opinions taken in by hand (hotline, letters …) have no interview: their own township.
    query = (select(Suggestion.category, Suggestion.text,
                    func.coalesce(Interview.stratum, Suggestion.township), Suggestion.status,
                    Suggestion.responsible_unit, Suggestion.follow_up_outcome)
             .outerjoin(Interview, Interview.id == Suggestion.interview_id)
             .where(Suggestion.project_id == project_id, Suggestion.valid.is_not(False))
             .order_by(Suggestion.id))
    entries = [SuggestionEntry(category or None, text or "", _stratum_name(stratum), status,
                               unit, outcome) for category, text, stratum, status, unit, outcome
               in session.execute(query)]
    return tuple(sorted(entries, key=lambda e: _category_order(e.category)))


def _category_order(category: str | None) -> tuple[int, int, str]:
    if category is None:
        return (2, 0, "")
    if category in DEFAULT_CATEGORIES:
        return (0, DEFAULT_CATEGORIES.index(category), category)
    return (1, 0, category)


def _day(instant: dt.datetime | None, zone: str) -> dt.date | None:
    if instant is None:
        return None
    try:
        return instant.astimezone(ZoneInfo(zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return instant.astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).date()


# -- projects ------------------------------------------------------------------------------------

def _project(session: Session, code: str) -> Project:
    project = session.scalar(select(Project).where(Project.code == code))
    if project is None:
        raise NotFound(f"no project '{code}'")
    return project


def _comparable(session: Session, project: Project, code: str) -> Project:
    """The earlier wave, refused unless it ran the same questionnaire (form_id)."""
    if code == project.code:
        raise CatiError(f"--compare names {code} itself: name an earlier project (wave)")
    other = _project(session, code)
    forms = dict(session.execute(select(Questionnaire.id, Questionnaire.form_id).where(
        Questionnaire.id.in_((project.questionnaire_id, other.questionnaire_id)))).all())
    mine, theirs = forms[project.questionnaire_id], forms[other.questionnaire_id]
    if mine != theirs:
        raise CatiError(f"cannot compare {project.code} with {code}: they use different "
                        f"questionnaires (form_id '{mine}' and '{theirs}'); a change is only "
                        "defined between waves of the same questionnaire")
    return other


def _natural(name: str) -> tuple[int, int | str]:
    return (0, int(name)) if name.isdigit() else (1, name)


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(Decimal(value.numerator)
                                                           / Decimal(value.denominator))

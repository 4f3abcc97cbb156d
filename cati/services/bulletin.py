"""The figures of the monthly 通报 (the Word report): one wave's indices with the centre's
choices applied, last month's ranks, the year so far, 不了解 shares, targets and suggestions.

Project settings read here (all optional)::

    "centre_name": "平舆县民情调查服务中心",     # who signs the report
    "composite": "law_enforcement_sat",          # or {"label": …, "parts": {index: weight}}
    "min_n": 30,                                 # else the index rule's min_n (in force)
    "targets": {"safety_rate": 0.9, "composite": {"古槐街道": 0.85}},
    "earlier_projects": ["PY2026_09", "PY2026_10"]  # the earlier waves, oldest first

Decisions:

- The composite ranks the townships. The seeds publish two headline figures side by side
  (公众安全感 and 政法机关执法满意度) and the work plan scores each township by one 民调成绩, so
  the default composite is the equal-weight mean of ``safety_rate`` and ``law_enforcement_sat``,
  computed with the same exact arithmetic as a questionnaire ``mean`` index
  (:func:`cati.reporting.indices.combine`), margin included. A questionnaire without those
  indices ranks by its first index.
- A township with fewer than ``min_n`` counted interviews is shown with its numbers but not
  ranked: one interview at "100% ±0.0%" must not top the table. Ranks are competition ranks
  among the others, as in the indices report.
- Last month's rank is the earlier wave's own ranking under the same rule (its own n), not a
  re-ranking of this month's townships.
- A target written above 1 for a share index is read as a percentage (90 means 90%).
- A suggestion is solved when it is ``checked`` (the call-back confirmed it).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati.errors import CatiError
from cati.reporting.indices import ALL, Estimate, IndexRule, combine, competition_ranks
from cati.services.indices_report import (
    NO_STRATUM,
    IndicesReport,
    MonthlyFigures,
    _comparable,
    _project,
    indices_report,
    monthly_figures,
)
from cati.services.units import unit_figures
from cati.storage.models import Answer, Interview, Project

DEFAULT_CENTRE = "社情民意调查中心"
DEFAULT_MIN_N = 30
DEFAULT_COMPOSITE_PARTS = ("safety_rate", "law_enforcement_sat")
DEFAULT_COMPOSITE_LABEL = "综合指数(公众安全感与执法满意度)"
COMPOSITE = "composite"  # the name targets use for the composite
# The agencies of the 政法 system, in the order the seeds list them: (index, question).
AGENCIES = (("sat_police_rate", "sat_police"), ("sat_procuratorate_rate", "sat_procuratorate"),
            ("sat_court_rate", "sat_court"), ("sat_justice_rate", "sat_justice"))
UNKNOWN_CHOICE = "8"  # 不了解
SOLVED = "checked"
NO_UNIT = "(未指定单位)"
NO_CATEGORY = "未分类"


@dataclass(frozen=True, slots=True)
class RankedRow:
    """One township in the ranking table."""

    stratum: str
    n: int
    value: Fraction | None
    moe: Decimal | None
    rank: int | None  # None: below min_n, or no value
    small: bool  # fewer than min_n interviews: shown, not ranked
    earlier_rank: int | None
    earlier_value: Fraction | None
    target: Fraction | None
    met: bool | None  # None: no target or no value

    @property
    def change(self) -> Fraction | None:
        if self.value is None or self.earlier_value is None:
            return None
        return self.value - self.earlier_value

    @property
    def rank_change(self) -> int | None:
        """Places gained since last month (positive: moved up)."""
        if self.rank is None or self.earlier_rank is None:
            return None
        return self.earlier_rank - self.rank


@dataclass(frozen=True, slots=True)
class AgencyRow:
    index: str
    label: str
    value: Fraction | None
    moe: Decimal | None
    denominator: int
    answers: int  # answers to the question (不了解 included)
    unknown: int  # of which 不了解

    @property
    def unknown_share(self) -> Fraction | None:
        return Fraction(self.unknown, self.answers) if self.answers else None


@dataclass(frozen=True, slots=True)
class WavePoint:
    """One wave of the year so far: the composite and each index overall."""

    code: str
    name: str
    last_day: dt.date | None
    composite: Fraction | None
    overall: Mapping[str, Fraction | None]  # index -> value


@dataclass(frozen=True, slots=True)
class SuggestionGroup:
    name: str  # a category or a unit
    received: int
    solved: int
    open: int  # neither solved nor closed otherwise (new, assigned, reopened …)

    @property
    def solved_rate(self) -> Fraction | None:
        return Fraction(self.solved, self.received) if self.received else None


@dataclass(frozen=True, slots=True)
class TargetRow:
    index: str
    label: str
    stratum: str  # a township or ALL
    target: Fraction
    value: Fraction | None

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value >= self.target


@dataclass(frozen=True, slots=True)
class BulletinFigures:
    monthly: MonthlyFigures
    centre_name: str
    composite_index: str  # "composite", or the questionnaire index that ranks
    composite_label: str
    composite_rule: str  # how the composite is made, in Chinese
    composite_share: bool
    min_n: int
    as_of: dt.datetime  # the data's last moment: the document's date
    earlier_code: str | None  # last month
    ranking: tuple[RankedRow, ...]  # ranked first (by rank), then the small and undefined
    overall: RankedRow  # the county as a whole (rank None)
    agencies: tuple[AgencyRow, ...]  # overall
    agencies_by_stratum: Mapping[str, tuple[AgencyRow, ...]]
    targets: tuple[TargetRow, ...]
    trend: tuple[WavePoint, ...]  # earlier waves oldest first, then this one
    by_category: tuple[SuggestionGroup, ...]
    by_unit: tuple[SuggestionGroup, ...]
    by_stratum_category: Mapping[str, tuple[SuggestionGroup, ...]]
    overdue_units: tuple[tuple[str, int], ...]  # (unit, overdue suggestions), when known
    # every index's rank per township under the same min_n as the composite's
    index_ranks: Mapping[tuple[str, str], int | None]

    @property
    def report(self) -> IndicesReport:
        return self.monthly.indices


def earlier_codes(session: Session, project: Project) -> list[str]:
    """The project's earlier waves, oldest first: the series' waves when the survey series
    exist, else the project setting ``earlier_projects``. One place to change."""
    try:
        from cati.services.series import earlier_waves  # type: ignore[import-not-found]
    except ImportError:
        earlier_waves = None
    if earlier_waves is not None:
        codes = []
        for wave in earlier_waves(session, project.id):
            if isinstance(wave, int):  # a project id
                wave = session.get(Project, wave)
            code = wave if isinstance(wave, str) else (getattr(wave, "project_code", None)
                                                       or getattr(wave, "code", None))
            if code:
                codes.append(str(code))
        return codes or _earlier_setting(project)
    return _earlier_setting(project)


def bulletin_figures(session: Session, project_code: str, earlier: Sequence[str] = (), *,
                     as_of: dt.datetime | None = None) -> BulletinFigures:
    """Everything the Word report shows. ``earlier``: the earlier waves' project codes, oldest
    first (the last one is last month). ``as_of`` defaults to the wave's last interview."""
    project = _project(session, project_code)
    earlier = [code for code in earlier if code != project_code]
    for code in earlier:
        _comparable(session, project, code)
    last_month = earlier[-1] if earlier else None
    when = as_of or data_as_of(session, project)
    monthly = monthly_figures(session, project_code, last_month, now=when)
    report = monthly.indices
    settings = dict(project.settings or {})
    composite = _composite(report, settings.get("composite"), project_code)
    min_n = _min_n(settings, project_code, report.rule.min_n)
    targets = _targets(settings.get("targets"), report, composite, project_code)
    values = _composite_values(report, composite)
    before = None
    if last_month is not None:
        before_report = indices_report(session, last_month)
        before_values = _composite_values(before_report, composite)
        before = (_ranks(before_values, _ns(before_report), min_n),
                  {stratum: estimate.value for stratum, estimate in before_values.items()})
    ranking, overall = _ranking(report, values, min_n, before, targets)
    unknowns = _unknown_counts(session, project.id, report)
    trend = [*(_wave_point(session, code, composite) for code in earlier),
             _point(report, composite, monthly.last_interview)]
    suggestions = monthly.suggestions
    return BulletinFigures(
        monthly=monthly, centre_name=str(settings.get("centre_name") or DEFAULT_CENTRE),
        composite_index=composite.name, composite_label=composite.label, composite_rule=_describe(report, composite),
        composite_share=composite.share, min_n=min_n, as_of=when, earlier_code=last_month,
        ranking=ranking, overall=overall,
        agencies=_agencies(report, unknowns, ALL),
        agencies_by_stratum={stratum: _agencies(report, unknowns, stratum)
                             for stratum in report.strata},
        targets=_target_rows(report, composite, values, targets),
        trend=tuple(trend),
        by_category=_groups(suggestions, lambda s: s.category or NO_CATEGORY),
        by_unit=_unit_groups(session, project.id, when),
        by_stratum_category={stratum: _groups([s for s in suggestions if s.stratum == stratum],
                                              lambda s: s.category or NO_CATEGORY)
                             for stratum in report.strata},
        overdue_units=_overdue(session, project.id, when),
        index_ranks={(rule.name, stratum): rank for rule in report.rule.indices
                     for stratum, rank in _ranks(_composite_values(report, rule), _ns(report),
                                                 min_n).items()})


def data_as_of(session: Session, project: Project) -> dt.datetime:
    """The wave's last moment (its last interview's end): the same data gives the same date,
    so a closed wave's report is the same file whenever it is made."""
    last = session.scalar(select(func.max(func.coalesce(Interview.ended_at,
                                                        Interview.started_at)))
                          .where(Interview.project_id == project.id))
    if last is None:
        return project.created_at if project.created_at else dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return last if last.tzinfo else last.replace(tzinfo=dt.UTC)


# -- the composite -------------------------------------------------------------------------------

def _composite(report: IndicesReport, raw: Any, code: str) -> IndexRule:
    rules = {rule.name: rule for rule in report.rule.indices}
    where = f"project {code} setting composite"
    if raw is None:
        if all(part in rules for part in DEFAULT_COMPOSITE_PARTS):
            parts: dict[str, Fraction] = {part: Fraction(1) for part in DEFAULT_COMPOSITE_PARTS}
            label = DEFAULT_COMPOSITE_LABEL
        elif rules:
            return next(iter(rules.values()))
        else:
            raise CatiError(f"project {code}: the questionnaire defines no index to rank by")
    elif isinstance(raw, str):
        if raw not in rules:
            raise CatiError(f"{where}: the questionnaire has no index '{raw}'")
        return rules[raw]
    elif isinstance(raw, Mapping) and isinstance(raw.get("parts"), Mapping) and raw["parts"]:
        parts = {}
        for name, weight in raw["parts"].items():
            if name not in rules:
                raise CatiError(f"{where}.parts: the questionnaire has no index '{name}'")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise CatiError(f"{where}.parts.{name}: a weight is a number ≥ 0")
            parts[name] = Fraction(str(weight))
        if sum(parts.values()) <= 0:
            raise CatiError(f"{where}.parts: the weights add up to 0")
        label = str(raw.get("label") or "综合指数")
    else:
        raise CatiError(f"{where} must be an index name or {{\"label\": …, \"parts\": "
                        "{index: weight}}")
    return IndexRule(COMPOSITE, label, "mean", tuple(parts), weights=tuple(parts.values()),
                     share=all(rules[name].share for name in parts))


def _describe(report: IndicesReport, composite: IndexRule) -> str:
    if composite.name != COMPOSITE:
        return report.rule.describe_index(composite)
    labels = {rule.name: rule.label for rule in report.rule.indices}
    parts = "、".join(f"{labels[name]}×{weight}" for name, weight
                     in zip(composite.source, composite.effective_weights, strict=True))
    return f"加权平均 = Σ(指数×权重) ÷ Σ权重;{parts};误差为各部分误差按权重的加权和"


def _composite_values(report: IndicesReport, composite: IndexRule) -> dict[str, Estimate]:
    """stratum (and ALL) -> the composite's estimate."""
    if composite.name != COMPOSITE:
        return {row.stratum: Estimate(row.denominator, row.value, row.moe)
                for row in report.rows_of(composite.name)}
    parts = {name: {row.stratum: Estimate(row.denominator, row.value, row.moe)
                    for row in report.rows_of(name)} for name in composite.source}
    strata = [row.stratum for row in report.rows_of(composite.source[0])]
    return {stratum: combine(composite, [parts[name].get(stratum, Estimate(0, None, None))
                                         for name in composite.source])
            for stratum in strata}


def _ns(report: IndicesReport) -> dict[str, int]:
    first = report.rule.indices[0].name if report.rule.indices else None
    return {row.stratum: row.n for row in report.rows_of(first)} if first else {}


def _ranks(values: Mapping[str, Estimate], n: Mapping[str, int],
           min_n: int) -> dict[str, int | None]:
    eligible = {stratum: estimate.value for stratum, estimate in values.items()
                if stratum != ALL and n.get(stratum, 0) >= min_n}
    return competition_ranks(eligible)


def _min_n(settings: Mapping[str, Any], code: str, rule_min_n: int = DEFAULT_MIN_N) -> int:
    """The report's own ``min_n`` setting when the centre set one, else the index rule's in
    force (the project's, the series' or the closed wave's frozen one: see
    cati.services.series)."""
    raw = settings.get("min_n", rule_min_n)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise CatiError(f"project {code} setting min_n must be a whole number ≥ 1")
    return raw


def _ranking(report, values, min_n, before, targets) -> tuple[tuple[RankedRow, ...], RankedRow]:
    n = _ns(report)
    ranks = _ranks(values, n, min_n)
    earlier_ranks, earlier_values = before or ({}, {})
    wanted = targets.get(COMPOSITE, {})
    rows = []
    for stratum in [ALL, *report.strata]:
        estimate = values.get(stratum, Estimate(0, None, None))
        target = wanted.get(stratum, wanted.get(ALL))
        rows.append(RankedRow(
            stratum, n.get(stratum, 0), estimate.value, estimate.moe, ranks.get(stratum),
            stratum != ALL and n.get(stratum, 0) < min_n, earlier_ranks.get(stratum),
            earlier_values.get(stratum), target,
            None if target is None or estimate.value is None else estimate.value >= target))
    overall, townships = rows[0], rows[1:]
    order = {stratum: i for i, stratum in enumerate(report.strata)}
    townships.sort(key=lambda row: (row.rank is None, row.small, row.value is None,
                                    row.rank or 0, -(row.value or 0), order[row.stratum]))
    return tuple(townships), overall


# -- targets -------------------------------------------------------------------------------------

def _targets(raw: Any, report: IndicesReport, composite: IndexRule,
             code: str) -> dict[str, dict[str, Fraction]]:
    """index -> stratum (ALL: every township) -> target value, as a share when the index is."""
    where = f"project {code} setting targets"
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise CatiError(f"{where} must map index names to a value or {{township: value}}")
    shares = {rule.name: rule.share for rule in report.rule.indices}
    shares[COMPOSITE] = composite.share
    shares[composite.name] = composite.share
    strata = set(report.strata)
    result: dict[str, dict[str, Fraction]] = {}
    for index, wanted in raw.items():
        if index not in shares:
            raise CatiError(f"{where}: the questionnaire has no index '{index}'")
        per = wanted if isinstance(wanted, Mapping) else {ALL: wanted}
        key = COMPOSITE if index == composite.name else index
        for stratum, value in per.items():
            if stratum != ALL and stratum not in strata:
                raise CatiError(f"{where}.{index}: no township '{stratum}'")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CatiError(f"{where}.{index}: {value!r} is not a number")
            target = Fraction(str(value))
            if shares[index] and target > 1:
                target /= 100  # 90 means 90%
            result.setdefault(key, {})[stratum] = target
    return result


def _target_rows(report, composite, values, targets) -> tuple[TargetRow, ...]:
    labels = {rule.name: rule.label for rule in report.rule.indices}
    labels[COMPOSITE] = composite.label
    rows = []
    for index, per in targets.items():
        if index == COMPOSITE:
            found = {stratum: estimate.value for stratum, estimate in values.items()}
        else:
            found = {row.stratum: row.value for row in report.rows_of(index)}
        strata = list(report.strata) if ALL in per else [s for s in report.strata if s in per]
        for stratum in strata:
            target = per.get(stratum, per.get(ALL))
            rows.append(TargetRow(index, labels[index], stratum, target, found.get(stratum)))
    return tuple(rows)


# -- the agencies and 不了解 ----------------------------------------------------------------------

def _unknown_counts(session: Session, project_id: int,
                    report: IndicesReport) -> dict[tuple[str, str], tuple[int, int]]:
    """(question, stratum or ALL) -> (answers, 不了解 answers), counted interviews only."""
    questions = [question for _, question in AGENCIES]
    rows = session.execute(
        select(Interview.stratum, Answer.question, Answer.value, func.count())
        .join(Interview, Interview.id == Answer.interview_id)
        .where(Interview.project_id == project_id, Interview.state.in_(report.rule.states),
               Answer.question.in_(questions), Answer.value != "")
        .group_by(Interview.stratum, Answer.question, Answer.value))
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for stratum, question, value, count in rows:
        for key in ((question, stratum or NO_STRATUM), (question, ALL)):
            counts[key][0] += count
            if value == UNKNOWN_CHOICE:
                counts[key][1] += count
    return {key: (total, unknown) for key, (total, unknown) in counts.items()}


def _agencies(report: IndicesReport, unknowns, stratum: str) -> tuple[AgencyRow, ...]:
    labels = {rule.name: rule.label for rule in report.rule.indices}
    rows = []
    for index, question in AGENCIES:
        if index not in labels:
            continue
        found = next((row for row in report.rows_of(index) if row.stratum == stratum), None)
        answers, unknown = unknowns.get((question, stratum), (0, 0))
        rows.append(AgencyRow(index, labels[index], found.value if found else None,
                              found.moe if found else None,
                              found.denominator if found else 0, answers, unknown))
    return tuple(rows)


# -- the year so far -----------------------------------------------------------------------------

def _point(report: IndicesReport, composite: IndexRule, last_day: dt.date | None) -> WavePoint:
    values = _composite_values(report, composite)
    overall = {rule.name: next((row.value for row in report.rows_of(rule.name)
                                if row.stratum == ALL), None) for rule in report.rule.indices}
    return WavePoint(report.project_code, report.project_name, last_day,
                     values.get(ALL, Estimate(0, None, None)).value, overall)


def _wave_point(session: Session, code: str, composite: IndexRule) -> WavePoint:
    report = indices_report(session, code)
    project = _project(session, code)
    last = data_as_of(session, project) if session.scalar(
        select(func.count()).select_from(Interview).where(Interview.project_id == project.id)) \
        else None
    return _point(report, composite, last.date() if last else None)


# -- suggestions ---------------------------------------------------------------------------------

def _groups(suggestions, key) -> tuple[SuggestionGroup, ...]:
    received: Counter = Counter()
    solved: Counter = Counter()
    still: Counter = Counter()
    order: dict[str, int] = {}
    for entry in suggestions:
        name = key(entry)
        order.setdefault(name, len(order))
        received[name] += 1
        if entry.status == SOLVED:
            solved[name] += 1
        elif entry.status in ("new", "assigned", "resolved", "reopened"):
            still[name] += 1
    return tuple(SuggestionGroup(name, received[name], solved[name], still[name])
                 for name in sorted(order, key=order.__getitem__))


def _unit_groups(session: Session, project_id: int,
                 when: dt.datetime) -> tuple[SuggestionGroup, ...]:
    """Per responsible unit that received something (cati.services.units): received, solved
    (checked by a call-back), and still open (neither solved nor closed as unreachable or
    refused); the units' figures as they stood at ``when``."""
    return tuple(
        SuggestionGroup(figure.unit, figure.received, figure.solved,
                        figure.received - figure.solved - figure.unreachable - figure.refused)
        for figure in unit_figures(session, project_id, now=when) if figure.received)


def _overdue(session: Session, project_id: int,
             when: dt.datetime) -> tuple[tuple[str, int], ...]:
    """Units with suggestions past their deadline at ``when``, most first."""
    overdue = [(figure.unit, figure.overdue)
               for figure in unit_figures(session, project_id, now=when) if figure.overdue]
    return tuple(sorted(overdue, key=lambda item: (-item[1], item[0])))


# -- the report's settings -----------------------------------------------------------------------

SETTINGS_KEYS = ("centre_name", "composite", "min_n", "targets", "earlier_projects")


@dataclass(frozen=True, slots=True)
class BulletinSettings:
    centre_name: str
    composite: Any
    min_n: int
    targets: Mapping[str, Any]
    earlier_projects: tuple[str, ...]


def bulletin_settings(session: Session, project_code: str) -> BulletinSettings:
    """The report's settings as they are in force (defaults filled in), checked against the
    project's questionnaire."""
    project = _project(session, project_code)
    settings = dict(project.settings or {})
    report = indices_report(session, project_code)
    composite = _composite(report, settings.get("composite"), project_code)
    _targets(settings.get("targets"), report, composite, project_code)
    return BulletinSettings(
        str(settings.get("centre_name") or DEFAULT_CENTRE),
        settings.get("composite") or (
            {"label": composite.label, "parts": dict(zip(
                composite.source, (int(w) if w.denominator == 1 else float(w)
                                   for w in composite.effective_weights), strict=True))}
            if composite.name == COMPOSITE else composite.name),
        _min_n(settings, project_code), dict(settings.get("targets") or {}),
        tuple(_earlier_setting(project)))


def _earlier_setting(project: Project) -> list[str]:
    raw = (project.settings or {}).get("earlier_projects") or []
    if not isinstance(raw, list) or not all(isinstance(code, str) for code in raw):
        raise CatiError(f"project {project.code} setting earlier_projects must be a list of "
                        "project codes")
    return list(raw)


def update_bulletin_settings(database, project_code: str, changes: Mapping[str, Any], *,
                             user_id: int | None = None,
                             now: dt.datetime | None = None) -> BulletinSettings:
    """Change some of the report's settings (:data:`SETTINGS_KEYS`; None restores the default).
    Everything is checked before anything is stored; audited with the old and new values."""
    from cati.services.clock import utc_now
    from cati.services.suggestions import _actor, _audit

    unknown = sorted(set(changes) - set(SETTINGS_KEYS))
    if unknown:
        raise CatiError(f"not a report setting: {', '.join(unknown)} "
                        f"(可设置: {', '.join(SETTINGS_KEYS)})")
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_code)
        old = dict(project.settings or {})
        new = {key: value for key, value in old.items()
               if not (key in changes and changes[key] is None)}
        new.update({key: value for key, value in changes.items() if value is not None})
        for code in new.get("earlier_projects") or []:
            if isinstance(code, str):
                _comparable(session, project, code)
        changed = {key: [old.get(key), new.get(key)] for key in changes
                   if old.get(key) != new.get(key)}
        if changed:
            project.settings = new
            session.flush()
            _audit(session, actor, "report_settings_changed", now, project_id=project.id,
                   changes=changed)
        return bulletin_settings(session, project_code)  # raises (and rolls back) on a bad one

"""Survey series and their waves, and the index rule in force.

A **series** (e.g. 公众安全感月度测评) is the survey the centre runs month after month; each month
is a **wave**: a project of the series with a period label ("2026-11"). Decided:

- **The open wave** of a series is its one wave that is not closed (active or paused). There is
  at most one: opening a new wave while one is open is refused with one line (close it first)
  — never closed implicitly, because closing freezes the published numbers and must be a
  decision of its own. A partial unique index holds this in the database too.
- **Closing** a wave (``close_wave``) is final: the rule in force is copied into the wave
  (``frozen_rule``), and so are its suggestions as its monthly report lists them
  (``frozen_suggestions``: their handling goes on, the published report keeps its words), and its interviews, answers, cases and calls are frozen — the services refuse
  every write and so does the database (cati.storage.wave_guard), for every mode. A paused
  project takes no web answers either (a paused project only stopped the calls before, and a
  late web answer moved a published rate). Its reports use the frozen rule and the close time as
  their generation time, so they regenerate byte-identical.
- A new wave takes its questionnaire from ``--form`` or else the previous wave's version, the
  previous wave's settings (calling hours, web address …, but not an ``index_policy`` of its
  own: the series owns the rule) and the series' quotas template.
- Standing open links of a series (``web_links.series_id``) feed whichever wave is open when a
  respondent comes; with none open they show the survey-ended page.

**The rule in force** for a project: the frozen copy once it is closed; else the project's own
``index_policy`` setting when it has one (a per-wave exception); else its series' rule; else
the questionnaire's definitions alone. ``rule_source`` names which.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati.errors import AlreadyExists, CatiError, NotFound
from cati.services.clock import utc_now
from cati.storage.models import (
    AuditEntry,
    Case,
    Interview,
    Project,
    Quota,
    Series,
)

SERIES_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
POLICY_KEY = "index_policy"
ACTIVE, PAUSED, CLOSED = "active", "paused", "closed"


class WaveClosed(CatiError):
    """A write into a closed wave (or a web answer into a paused project); ``reason`` is
    closed | paused, as the web pages word it."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    id: int
    code: str
    name: str
    waves: int
    open_wave: str | None  # the open wave's project code
    settings: dict[str, Any]
    quotas: list[Any]
    created_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "waves": self.waves,
                "open_wave": self.open_wave, "quotas": self.quotas,
                "index_policy": self.settings.get(POLICY_KEY) or {},
                "created_at": self.created_at.isoformat()}


@dataclass(frozen=True, slots=True)
class WaveInfo:
    project_id: int
    code: str  # the project's code
    name: str
    series: str | None  # the series' code
    period: str | None
    status: str  # active | paused | closed
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    completes: int

    def as_json(self) -> dict[str, Any]:
        return {"project": self.code, "name": self.name, "series": self.series,
                "period": self.period, "status": self.status,
                "opened_at": self.opened_at.isoformat() if self.opened_at else None,
                "closed_at": self.closed_at.isoformat() if self.closed_at else None,
                "completes": self.completes}


# -- series ------------------------------------------------------------------------------------

def create_series(session: Session, code: str, name: str, *, user_id: int | None = None,
                  now: dt.datetime | None = None) -> SeriesInfo:
    if not SERIES_CODE.match(code):
        raise CatiError(f"'{code}' is not a valid series code (letters, digits, _ . -)")
    name = " ".join(name.split())
    if not name:
        raise CatiError("--name: a series needs a name (测评名称不能为空)")
    if session.scalar(select(Series.id).where(Series.code == code)) is not None:
        raise AlreadyExists(f"series '{code}' already exists")
    now = now or utc_now()
    series = Series(code=code, name=name[:255], settings={}, quotas=[], created_at=now)
    session.add(series)
    session.flush()
    _audit(session, user_id, now, "series_created", series_id=series.id, code=code, name=name)
    return _series_info(session, series)


def list_series(session: Session) -> list[SeriesInfo]:
    return [_series_info(session, s) for s in session.scalars(select(Series).order_by(Series.code))]


def get_series(session: Session, code: str) -> SeriesInfo:
    return _series_info(session, _series(session, code))


def set_quotas_template(session: Session, series_code: str, quotas: dict[str, int], *,
                        user_id: int | None = None, now: dt.datetime | None = None) -> SeriesInfo:
    """The quotas each new wave of the series starts with (stratum -> target)."""
    series = _series(session, series_code)
    for stratum, target in quotas.items():
        if not stratum.strip() or not isinstance(target, int) or target < 0:
            raise CatiError(f"quota '{stratum}': a stratum needs a target of 0 or more")
    series.quotas = [{"stratum": s, "target": t} for s, t in sorted(quotas.items())]
    now = now or utc_now()
    _audit(session, user_id, now, "series_quotas_set", series_id=series.id, quotas=series.quotas)
    session.flush()
    return _series_info(session, series)


# -- waves -------------------------------------------------------------------------------------

def open_wave(session: Session, series_code: str) -> WaveInfo | None:
    """The series' open wave (its one wave not closed), or None."""
    series = _series(session, series_code)
    project = session.scalar(select(Project).where(Project.series_id == series.id,
                                                   Project.status != CLOSED))
    return None if project is None else _wave_info(session, project, series.code)


def waves(session: Session, series_code: str) -> list[WaveInfo]:
    """The series' waves by period, oldest first."""
    series = _series(session, series_code)
    return [_wave_info(session, p, series.code) for p in session.scalars(
        select(Project).where(Project.series_id == series.id).order_by(Project.period))]


def project_waves(session: Session, project_code: str) -> list[WaveInfo]:
    """The waves of the project's series, oldest first; the project alone when it is in none."""
    project = session.scalar(select(Project).where(Project.code == project_code))
    if project is None:
        raise NotFound(f"no project '{project_code}'")
    if project.series_id is None:
        return [_wave_info(session, project, None)]
    code = session.scalar(select(Series.code).where(Series.id == project.series_id))
    return waves(session, code)


def earlier_waves(session: Session, project_id: int) -> list[WaveInfo]:
    """The waves of this project's series with an earlier period, oldest first (empty for a
    project in no series)."""
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"no project {project_id}")
    if project.series_id is None or project.period is None:
        return []
    code = session.scalar(select(Series.code).where(Series.id == project.series_id))
    return [_wave_info(session, p, code) for p in session.scalars(
        select(Project).where(Project.series_id == project.series_id,
                              Project.period < project.period).order_by(Project.period))]


def start_wave(session: Session, series_code: str, period: str, project_code: str, *,
               form_path: str | None = None, name: str | None = None,
               user_id: int | None = None, now: dt.datetime | None = None) -> WaveInfo:
    """Open the series' wave for ``period``: the project ``project_code`` when it exists (it
    joins the series), else a new project on ``form_path`` or the previous wave's
    questionnaire. Refused while another wave of the series is open."""
    from cati.services.projects import CODE_PATTERN, DEFAULT_SETTINGS, new_project
    from cati.services.questionnaires import store_questionnaire

    now = now or utc_now()
    series = _series(session, series_code, lock=True)
    if not PERIOD.match(period):
        raise CatiError(f"--period: '{period}' is not a month like 2026-12")
    current = session.scalar(select(Project).where(Project.series_id == series.id,
                                                   Project.status != CLOSED))
    if current is not None:
        raise CatiError(f"series {series.code} has an open wave {current.code} "
                        f"({current.period}): close it first with `cati wave close "
                        f"{current.code}` (上一期尚未结束)")
    if session.scalar(select(Project.code).where(Project.series_id == series.id,
                                                  Project.period == period)) is not None:
        raise AlreadyExists(f"series {series.code} already has a wave for {period}")
    latest = session.scalar(select(Project).where(Project.series_id == series.id)
                            .order_by(Project.period.desc()).limit(1))
    if latest is not None and latest.period is not None and period < latest.period:
        raise CatiError(f"--period {period} is before the series' latest wave "
                        f"({latest.period}): waves follow one another")
    project = session.scalar(select(Project).where(Project.code == project_code))
    if project is not None:
        if form_path is not None:
            raise AlreadyExists(f"project '{project_code}' already exists: leave out --form "
                                "to make it this wave, or name a new project")
        if project.status == CLOSED:
            raise CatiError(f"project {project_code} is closed: a closed project cannot "
                            "become an open wave")
        if project.series_id is not None:
            raise CatiError(f"project {project_code} is already a wave of another series")
        project.series_id, project.period, project.opened_at = series.id, period, now
        attached = True
    else:
        if not CODE_PATTERN.match(project_code):
            raise CatiError(f"'{project_code}' is not a valid project code "
                            "(letters, digits, _ . -)")
        if form_path is not None:
            questionnaire_id = store_questionnaire(session, form_path).id
        elif latest is not None:
            questionnaire_id = latest.questionnaire_id
        else:
            raise CatiError(f"series {series.code} has no wave yet: give the questionnaire "
                            "with --form FILE.xlsx")
        settings = dict(DEFAULT_SETTINGS) if latest is None else {
            key: value for key, value in (latest.settings or {}).items() if key != POLICY_KEY}
        project = new_project(session, project_code, questionnaire_id,
                              name or f"{series.name} {period}", settings,
                              series_id=series.id, period=period, opened_at=now)
        for quota in series.quotas or []:
            session.add(Quota(project_id=project.id, stratum=quota["stratum"],
                              target=int(quota["target"])))
        attached = False
    session.flush()
    _audit(session, user_id, now, "wave_opened", series_id=series.id, series=series.code,
           project_id=project.id, project=project.code, period=period, attached=attached)
    _forget_caches(session)
    return _wave_info(session, project, series.code)


def close_wave(session: Session, project_code: str, *, user_id: int | None = None,
               now: dt.datetime | None = None) -> WaveInfo:
    """Close (freeze) the project: its rule in force is copied into it and no answer of any mode
    is taken into it afterwards. Refused while an interviewer is on a call of it."""
    from cati.calling.lease_clock import store_now
    from cati.services.indices_report import checked_rule, frozen_suggestions

    now = now or utc_now()
    project = session.scalar(select(Project).where(Project.code == project_code)
                             .with_for_update())
    if project is None:
        raise NotFound(f"no project '{project_code}'")
    if project.status == CLOSED:
        raise CatiError(f"project {project_code} is closed already (closed "
                        f"{_when(project.closed_at)}): a closed wave stays closed")
    on_calls = session.scalar(select(func.count()).select_from(Case).where(
        Case.project_id == project.id, Case.lease_holder.is_not(None),
        Case.lease_holder.not_like("web:%"), Case.lease_expires_at > store_now(session)))
    if on_calls:
        raise CatiError(f"project {project_code}: {on_calls} interviewer(s) are on a call of "
                        "it now; close it when the calls are over (pause it first) "
                        "(仍有访问员在通话)")
    policy, source = _rule_of(session, project)
    checked_rule(session, project, policy)  # a rule the form cannot follow is not frozen
    project.frozen_rule = {POLICY_KEY: policy, "source": source}
    project.frozen_suggestions = frozen_suggestions(session, project.id)
    project.status, project.closed_at = CLOSED, now
    session.flush()
    _audit(session, user_id, now, "wave_closed", project_id=project.id, project=project.code,
           period=project.period, rule=project.frozen_rule)
    _forget_caches(session)
    code = None if project.series_id is None else session.scalar(
        select(Series.code).where(Series.id == project.series_id))
    return _wave_info(session, project, code)


def _forget_caches(session: Session) -> None:
    """The claim's per-process cache of project facts (status) forgets everything: the status
    changed (other processes see it within a second)."""
    from cati.calling import project_cache

    project_cache.forget()


# -- what a closed or paused project refuses ---------------------------------------------------

def refusal(status: str, mode: str) -> str | None:
    """Why a project in ``status`` takes no answer of ``mode`` (closed | paused), or None."""
    if status == CLOSED:
        return "closed"
    if status == PAUSED and mode == "web":
        return "paused"
    return None


def check_open(session: Session, project_id: int, mode: str) -> None:
    """Raise WaveClosed when the project takes no answer of ``mode`` now."""
    project = session.get(Project, project_id)
    reason = None if project is None else refusal(project.status, mode)
    if reason == "closed":
        raise WaveClosed(reason, f"project {project.code} is closed: its interviews and answers "
                         "are frozen (本期调查已结束,数据已冻结)")
    if reason == "paused":
        raise WaveClosed(reason, f"project {project.code} is paused: web answers are not taken "
                         "(项目已暂停,不接收网上填答)")


# -- the rule in force -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RuleInForce:
    policy: dict[str, Any]  # the index_policy object (possibly empty)
    source: str  # frozen | project | series | questionnaire
    frozen_at: dt.datetime | None  # the close, for a frozen rule


def rule_in_force(session: Session, project: Project) -> RuleInForce:
    if project.status == CLOSED and project.frozen_rule is not None:
        return RuleInForce(dict(project.frozen_rule.get(POLICY_KEY) or {}), "frozen",
                           project.closed_at)
    policy, source = _rule_of(session, project)
    return RuleInForce(policy, source, None)


def _rule_of(session: Session, project: Project) -> tuple[dict[str, Any], str]:
    own = (project.settings or {}).get(POLICY_KEY)
    if own:
        return dict(own), "project"
    if project.series_id is not None:
        series = session.get(Series, project.series_id)
        rule = (series.settings or {}).get(POLICY_KEY) if series is not None else None
        if rule:
            return dict(rule), "series"
    return {}, "questionnaire"


def set_rule(session: Session, policy: dict[str, Any], *, project_code: str | None = None,
             series_code: str | None = None, user_id: int | None = None,
             now: dt.datetime | None = None) -> dict[str, Any]:
    """Store ``policy`` as the project's own rule or the series' rule, checked first (shape,
    and against the questionnaire of the project, or of the series' waves). A closed wave's
    rule is frozen: refused."""
    from cati.services.indices_report import checked_rule

    now = now or utc_now()
    if (project_code is None) == (series_code is None):
        raise CatiError("name either --project or --series")
    if project_code is not None:
        project = session.scalar(select(Project).where(Project.code == project_code))
        if project is None:
            raise NotFound(f"no project '{project_code}'")
        if project.status == CLOSED:
            raise CatiError(f"project {project_code} is closed: its rule was frozen when it "
                            "closed (已结束的调查期规则已冻结)")
        checked_rule(session, project, policy)
        project.settings = {**(project.settings or {}), POLICY_KEY: policy}
        _audit(session, user_id, now, "index_rule_set", project_id=project.id,
               project=project.code, rule=policy)
    else:
        series = _series(session, series_code or "")
        for wave in session.scalars(select(Project).where(Project.series_id == series.id,
                                                          Project.status != CLOSED)):
            checked_rule(session, wave, policy)
        if not session.scalar(select(Project.id).where(Project.series_id == series.id)):
            checked_rule(session, None, policy)
        series.settings = {**(series.settings or {}), POLICY_KEY: policy}
        _audit(session, user_id, now, "index_rule_set", series_id=series.id,
               series=series.code, rule=policy)
    session.flush()
    return policy


def project_rule(session: Session, project_code: str) -> RuleInForce:
    project = session.scalar(select(Project).where(Project.code == project_code))
    if project is None:
        raise NotFound(f"no project '{project_code}'")
    return rule_in_force(session, project)


def series_rule(session: Session, series_code: str) -> dict[str, Any]:
    series = _series(session, series_code)
    return dict((series.settings or {}).get(POLICY_KEY) or {})


# -- inside ------------------------------------------------------------------------------------

def _series(session: Session, code: str, *, lock: bool = False) -> Series:
    query = select(Series).where(Series.code == code)
    series = session.scalar(query.with_for_update() if lock else query)
    if series is None:
        raise NotFound(f"no series '{code}'")
    return series


def _series_info(session: Session, series: Series) -> SeriesInfo:
    count = session.scalar(select(func.count()).select_from(Project)
                           .where(Project.series_id == series.id)) or 0
    current = session.scalar(select(Project.code).where(Project.series_id == series.id,
                                                        Project.status != CLOSED))
    return SeriesInfo(series.id, series.code, series.name, count, current,
                      dict(series.settings or {}), list(series.quotas or []), series.created_at)


def _wave_info(session: Session, project: Project, series_code: str | None) -> WaveInfo:
    completes = session.scalar(select(func.count()).select_from(Interview).where(
        Interview.project_id == project.id, Interview.state == "complete")) or 0
    return WaveInfo(project.id, project.code, project.name, series_code, project.period,
                    project.status, project.opened_at, project.closed_at, completes)


def _audit(session: Session, user_id: int | None, now: dt.datetime, action: str,
           **details: Any) -> None:
    session.add(AuditEntry(user_id=user_id, at=now, action=action, details=details))


def _when(instant: dt.datetime | None) -> str:
    return instant.isoformat(timespec="minutes") if instant else "?"


# -- the rule, as the console's dialog shows it --------------------------------------------------

@dataclass(frozen=True, slots=True)
class RuleIndexView:
    name: str
    label: str
    method: str  # rate | score | mean
    positive: tuple[str, ...]
    excluded: tuple[str, ...]
    weights: tuple[str, ...]  # a mean's weights as written (one per part)
    parts: tuple[str, ...]  # a mean's parts


@dataclass(frozen=True, slots=True)
class RuleView:
    project: str
    series: str | None
    source: str  # frozen | project | series | questionnaire
    frozen_at: dt.datetime | None
    min_n: int
    include_partials: bool
    indices: tuple[RuleIndexView, ...]

    @property
    def frozen(self) -> bool:
        return self.source == "frozen"


def rule_view(session: Session, project_code: str) -> RuleView:
    """The rule in force for the project, index by index (the questionnaire's definitions with
    the rule applied)."""
    from cati.reporting.indices import index_rules
    from cati.services.indices_report import _natural, checked_rule
    from cati.services.questionnaires import form_of

    project = session.scalar(select(Project).where(Project.code == project_code))
    if project is None:
        raise NotFound(f"no project '{project_code}'")
    in_force = rule_in_force(session, project)
    policy = checked_rule(session, None, in_force.policy)
    rules = index_rules(form_of(session, project.questionnaire_id), policy, project_code)
    series = None if project.series_id is None else session.scalar(
        select(Series.code).where(Series.id == project.series_id))
    views = tuple(RuleIndexView(
        rule.name, rule.label, rule.method, tuple(sorted(rule.positive, key=_natural)),
        tuple(sorted(rule.excluded, key=_natural)),
        tuple(_weight_text(w) for w in rule.effective_weights) if rule.method == "mean" else (),
        rule.source if rule.method == "mean" else ()) for rule in rules)
    return RuleView(project.code, series, in_force.source, in_force.frozen_at, policy.min_n,
                    policy.include_partials, views)


def _weight_text(weight) -> str:
    return str(weight.numerator) if weight.denominator == 1 else f"{float(weight):g}"

"""Units held to account: who answers each suggestion, by when, and how well (seeds 002, 003).

**Units** (:class:`~cati.storage.models.ResponsibleUnit`): a name, a kind (:data:`KINDS`: 派出所,
交警, 综治中心, the other police units, the 民生 departments 住建/城管/教育/卫健/人社/民政), the
township it serves ("" for the whole county) and whether it is active. A unit some suggestion or
routing rule names is never deleted: ``remove`` deactivates it (its history stays countable);
one nobody names is deleted. Renaming a unit renames it on the project's suggestions too
(``Suggestion.responsible_unit`` keeps the unit's name, as the review has always stored it).
Units belong to a project for now; once projects are waves of a series, the series is the
better owner (the same units month after month) and the key moves there.

**Defaults** are seeded on request, not at project creation (``cati units seed``, the console's
"default units" button): a follow-up project needs none, and a centre decides its own. Seeding
adds what is missing and changes nothing that is there: per township of the project (the
choices of the questionnaire's stratum question) a 派出所 and a 综治中心; the county's 交警大队,
治安大队, 刑侦大队, 反诈中心; the 民生 departments. And the routing rules of
:func:`default_rules`.

**Routing** (:class:`Router`): rules ``category × subcategory × township → unit``, subcategory
"" and township "*" matching any. The most specific rule of an *active* unit wins: the
subcategory counts before the township (a 电信诈骗 goes to the 反诈中心 whatever the township),
then the township. A collected or taken-in suggestion gets the routed unit as a proposal; the
supervisor may change it in the review.

**Deadlines**: when a suggestion is assigned, ``assigned_at`` and ``due_at`` (plus the category's
days, setting ``suggestion_deadlines``) are stamped; when resolved, ``resolved_at``
(:func:`stamp_status`). A suggestion still with its unit (assigned or reopened) after
``due_at`` is overdue; days overdue count started days (one hour late: 1).

**Figures** (:func:`unit_figures`), per unit, of the suggestions it received (assigned to it):
answered (resolved at some time), answered in time (``resolved_at`` ≤ ``due_at``), overdue now,
solved (state ``checked``: the call-back found it solved and the resident satisfied), called
back (a call-back reached the resident: ``checked`` or ``reopened``), unreachable, refused.
Rates: in time / received, solved / received, satisfied (= checked) / called back.

**Intake** (:func:`intake_file`, :func:`add_intake`): opinions from the hotline (12345), letters,
suggestion boxes and 110 records, by a form or from a .csv/.xlsx file (columns 日期 date, 渠道
channel, 内容 text, 乡镇 township, 姓名 contact_name, 电话 phone, 同意回访 consent, 分类
category, 子类 subcategory; the last five optional). All or nothing: the first bad cell stops the
import with one line naming the file, row and column, and nothing is stored. A phone is checked
with the project's phone rules and stored as E.164, readable on PostgreSQL by supervisors only.

Every change is audited in its own transaction with the acting user (a supervisor or admin;
None: the command line without ``--user``).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati.errors import AlreadyExists, CatiError, NotFound
from cati.sample.phones import PhoneRule, check_phone, reason_text
from cati.services.clock import utc_now
from cati.services.questionnaires import form_of
from cati.services.suggestions import (
    ASSIGNED,
    CHECKED,
    NEW,
    RESOLVED,
    SuggestionSettings,
    _actor,
    _audit,
    _project,
    propose_category,
    suggestion_settings,
)
from cati.storage.db import Database
from cati.storage.models import Interview, Project, ResponsibleUnit, RoutingRule, Suggestion

KINDS = ("派出所", "交警", "综治中心", "治安", "刑侦", "反诈", "住建", "城管", "教育", "卫健",
         "人社", "民政", "其他")
ANY_TOWNSHIP = "*"
NAME_MAX, TOWNSHIP_MAX = 128, 128
# States a suggestion is with its unit in ("reopened": a call-back found it not solved).
REOPENED, UNREACHABLE, REFUSED = "reopened", "unreachable", "refused"
WITH_UNIT = (ASSIGNED, REOPENED)
CALLED_BACK = (CHECKED, REOPENED)
CHANNELS = {"hotline": "12345热线", "letter": "来信", "box": "意见箱", "110": "110警情"}
CHANNEL_WORDS = {
    "hotline": "hotline", "12345": "hotline", "热线": "hotline", "12345热线": "hotline",
    "市长热线": "hotline", "letter": "letter", "来信": "letter", "信件": "letter",
    "box": "box", "意见箱": "box", "建议箱": "box", "110": "110", "110警情": "110",
    "110记录": "110",
}
TIME_ZONE = ZoneInfo("Asia/Shanghai")
INTAKE_QUESTION = "intake"
TEXT_MAX = 4000

COUNTY_UNITS = (("交警大队", "交警"), ("治安大队", "治安"), ("刑侦大队", "刑侦"),
                ("反诈中心", "反诈"), ("住建局", "住建"), ("城管局", "城管"), ("教育局", "教育"),
                ("卫健委", "卫健"), ("人社局", "人社"), ("民政局", "民政"))
# (category, subcategory, unit name or a pattern with {township}) — {township}: one rule per
# township; otherwise township "*".
DEFAULT_RULES = (
    ("交通管理", "", "交警大队"),
    ("治安管理", "", "{township}派出所"), ("治安管理", "", "治安大队"),
    ("公安服务", "", "{township}派出所"), ("公安服务", "", "治安大队"),
    ("违法犯罪", "", "{township}派出所"), ("违法犯罪", "", "刑侦大队"),
    ("违法犯罪", "电信诈骗", "反诈中心"),
    ("群众求助", "", "{township}综治中心"), ("群众求助", "", "{township}派出所"),
    ("市政建设", "", "住建局"), ("市容环境", "", "城管局"), ("教育", "", "教育局"),
    ("医疗卫生", "", "卫健委"), ("劳动保障", "", "人社局"), ("劳动保障", "社保与救助", "民政局"),
)


# -- dataclasses -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: int
    name: str
    kind: str
    township: str  # "" : the whole county
    active: bool
    suggestions: int  # suggestions naming it

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "township": self.township,
                "active": self.active, "suggestions": self.suggestions}


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: int
    category: str
    subcategory: str  # "" : any
    township: str  # "*" : any
    unit_id: int
    unit: str
    unit_active: bool

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "subcategory": self.subcategory,
                "township": self.township, "unit_id": self.unit_id, "unit": self.unit,
                "unit_active": self.unit_active}


@dataclass(frozen=True, slots=True)
class SeedResult:
    units_added: int
    rules_added: int
    townships: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OverdueRow:
    id: int
    text: str
    category: str | None
    subcategory: str | None
    responsible_unit: str | None
    township: str
    status: str
    channel: str
    assigned_at: dt.datetime | None
    due_at: dt.datetime
    days_overdue: int

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "category": self.category,
                "subcategory": self.subcategory, "responsible_unit": self.responsible_unit,
                "township": self.township, "status": self.status, "channel": self.channel,
                "assigned_at": self.assigned_at.isoformat() if self.assigned_at else None,
                "due_at": self.due_at.isoformat(), "days_overdue": self.days_overdue}


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """One unit's account (see the module docstring); rates are None when nothing to divide."""

    unit: str
    kind: str  # "" : a name not in the units table (typed in the review)
    township: str
    received: int
    answered: int
    in_time: int
    overdue: int
    solved: int
    called_back: int
    unreachable: int
    refused: int

    @property
    def in_time_rate(self) -> float | None:
        return self.in_time / self.received if self.received else None

    @property
    def solved_rate(self) -> float | None:
        return self.solved / self.received if self.received else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.solved / self.called_back if self.called_back else None

    def as_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "kind": self.kind, "township": self.township,
                "received": self.received, "answered": self.answered, "in_time": self.in_time,
                "overdue": self.overdue, "solved": self.solved,
                "called_back": self.called_back, "unreachable": self.unreachable,
                "refused": self.refused, "in_time_rate": self.in_time_rate,
                "solved_rate": self.solved_rate, "satisfaction_rate": self.satisfaction_rate}


@dataclass(frozen=True, slots=True)
class IntakeItem:
    """One opinion taken in by hand, as the form or a file row gives it (text, unchecked)."""

    received_on: dt.date
    channel: str
    text: str
    township: str = ""
    contact_name: str = ""
    phone: str = ""
    consent: bool = False
    category: str = ""
    subcategory: str = ""


@dataclass(frozen=True, slots=True)
class IntakeResult:
    added: int
    routed: int  # of those, how many got a unit from the routing rules
    first_id: int | None
    last_id: int | None


# -- small helpers -----------------------------------------------------------------------------


def _clean(value: Any) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _name(value: Any, what: str, limit: int, *, required: bool = True) -> str:
    text = _clean(value)
    if required and not text:
        raise CatiError(f"the {what} is empty ({what} 不能为空)")
    if len(text) > limit:
        raise CatiError(f"the {what} is longer than {limit} characters (超过 {limit} 个字)")
    return text


def _kind(value: Any) -> str:
    kind = _clean(value)
    if kind not in KINDS:
        raise CatiError(f"'{kind}' is not a kind of unit: {', '.join(KINDS)} (单位类型不对)")
    return kind


def project_townships(session: Session, project: Project) -> tuple[str, ...]:
    """The townships of a project: the labels of its stratum question's choices."""
    try:
        form = form_of(session, project.questionnaire_id)
    except CatiError:
        return ()
    return tuple(form.text(choice.labels) for choice in form.strata())


def _unit(session: Session, project_id: int, unit_id: int) -> ResponsibleUnit:
    unit = session.get(ResponsibleUnit, unit_id)
    if unit is None or unit.project_id != project_id:
        raise NotFound(f"no unit {unit_id} in this project (没有这个单位)")
    return unit


def _unit_by_name(session: Session, project_id: int, name: str) -> ResponsibleUnit:
    unit = session.scalar(select(ResponsibleUnit).where(ResponsibleUnit.project_id == project_id,
                                                        ResponsibleUnit.name == name))
    if unit is None:
        raise NotFound(f"no unit named '{name}' in this project (没有这个单位)")
    return unit


def find_unit(database: Database, project_id: int, ref: str) -> int:
    """A unit's id from its id or its name."""
    with database.unit(immediate=False) as session:
        if ref.isdigit():
            return _unit(session, project_id, int(ref)).id
        return _unit_by_name(session, project_id, _clean(ref)).id


def _usage(session: Session, project_id: int) -> dict[str, int]:
    return dict(session.execute(
        select(Suggestion.responsible_unit, func.count())
        .where(Suggestion.project_id == project_id, Suggestion.responsible_unit.is_not(None))
        .group_by(Suggestion.responsible_unit)).all())


# -- units -------------------------------------------------------------------------------------


def list_units(database: Database, project_id: int, *, include_inactive: bool = True,
               user_id: int | None = None) -> list[UnitRow]:
    """The project's units: by kind (the order of KINDS), township, name."""
    with database.unit(immediate=False) as session:
        _actor(session, user_id)
        _project(session, project_id)
        return _list_units(session, project_id, include_inactive)


def _list_units(session: Session, project_id: int, include_inactive: bool) -> list[UnitRow]:
    used = _usage(session, project_id)
    query = select(ResponsibleUnit).where(ResponsibleUnit.project_id == project_id)
    if not include_inactive:
        query = query.where(ResponsibleUnit.active.is_(True))
    rows = [UnitRow(u.id, u.name, u.kind, u.township, u.active, used.get(u.name, 0))
            for u in session.scalars(query)]
    order = {kind: n for n, kind in enumerate(KINDS)}
    return sorted(rows, key=lambda r: (order.get(r.kind, len(KINDS)), r.township, r.name))


def add_unit(database: Database, project_id: int, name: str, kind: str, *,
             township: str = "", user_id: int | None = None,
             now: dt.datetime | None = None) -> UnitRow:
    now = now or utc_now()
    name = _name(name, "unit name", NAME_MAX)
    kind = _kind(kind)
    township = _name(township, "township", TOWNSHIP_MAX, required=False)
    with database.unit() as session:
        actor = _actor(session, user_id)
        _project(session, project_id)
        if session.scalar(select(ResponsibleUnit.id).where(
                ResponsibleUnit.project_id == project_id, ResponsibleUnit.name == name)):
            raise AlreadyExists(f"a unit named '{name}' exists already (单位已存在)")
        unit = ResponsibleUnit(project_id=project_id, name=name, kind=kind, township=township,
                               active=True, created_at=now)
        session.add(unit)
        session.flush()
        _audit(session, actor, "unit_added", now, project_id=project_id, unit_id=unit.id,
               name=name, kind=kind, township=township)
        return UnitRow(unit.id, name, kind, township, True, 0)


def update_unit(database: Database, project_id: int, unit_id: int, *, name: str | None = None,
                kind: str | None = None, township: str | None = None,
                active: bool | None = None, user_id: int | None = None,
                now: dt.datetime | None = None) -> UnitRow:
    """Change a unit (None: unchanged). A new name is carried to the suggestions naming it."""
    now = now or utc_now()
    new_name = None if name is None else _name(name, "unit name", NAME_MAX)
    new_kind = None if kind is None else _kind(kind)
    new_township = None if township is None else _name(township, "township", TOWNSHIP_MAX,
                                                       required=False)
    with database.unit() as session:
        actor = _actor(session, user_id)
        unit = _unit(session, project_id, unit_id)
        old = {"name": unit.name, "kind": unit.kind, "township": unit.township,
               "active": unit.active}
        new = {"name": new_name or unit.name, "kind": new_kind or unit.kind,
               "township": unit.township if new_township is None else new_township,
               "active": unit.active if active is None else bool(active)}
        if new["name"] != old["name"] and session.scalar(select(ResponsibleUnit.id).where(
                ResponsibleUnit.project_id == project_id,
                ResponsibleUnit.name == new["name"])):
            raise AlreadyExists(f"a unit named '{new['name']}' exists already (单位已存在)")
        changes = {key: [old[key], new[key]] for key in old if old[key] != new[key]}
        renamed = 0
        if changes:
            if "name" in changes:
                for suggestion in session.scalars(select(Suggestion).where(
                        Suggestion.project_id == project_id,
                        Suggestion.responsible_unit == old["name"])):
                    suggestion.responsible_unit = new["name"]
                    renamed += 1
            unit.name, unit.kind = new["name"], new["kind"]
            unit.township, unit.active = new["township"], new["active"]
            _audit(session, actor, "unit_updated", now, project_id=project_id, unit_id=unit.id,
                   changes=changes, suggestions_renamed=renamed)
            session.flush()
        used = _usage(session, project_id)
        return UnitRow(unit.id, unit.name, unit.kind, unit.township, unit.active,
                       used.get(unit.name, 0))


def remove_unit(database: Database, project_id: int, unit_id: int, *,
                user_id: int | None = None, now: dt.datetime | None = None) -> bool:
    """Delete a unit nothing names; deactivate one a suggestion or rule names. Returns True
    when deleted, False when deactivated."""
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        unit = _unit(session, project_id, unit_id)
        named = session.scalar(select(func.count()).select_from(Suggestion).where(
            Suggestion.project_id == project_id, Suggestion.responsible_unit == unit.name))
        ruled = session.scalar(select(func.count()).select_from(RoutingRule).where(
            RoutingRule.unit_id == unit.id))
        if named or ruled:
            if unit.active:
                unit.active = False
                _audit(session, actor, "unit_deactivated", now, project_id=project_id,
                       unit_id=unit.id, name=unit.name, suggestions=named, rules=ruled)
            return False
        _audit(session, actor, "unit_removed", now, project_id=project_id, unit_id=unit.id,
               name=unit.name, kind=unit.kind, township=unit.township)
        session.delete(unit)
        return True


def seed_units(database: Database, project_id: int, *, user_id: int | None = None,
               now: dt.datetime | None = None) -> SeedResult:
    """Add the default units and routing rules that are missing (see the module docstring)."""
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_id, lock=not database.is_sqlite)
        townships = project_townships(session, project)
        units = {u.name: u for u in session.scalars(
            select(ResponsibleUnit).where(ResponsibleUnit.project_id == project_id))}
        wanted = [(f"{t}派出所", "派出所", t) for t in townships]
        wanted += [(f"{t}综治中心", "综治中心", t) for t in townships]
        wanted += [(name, kind, "") for name, kind in COUNTY_UNITS]
        added_units = 0
        for name, kind, township in wanted:
            if name not in units:
                units[name] = ResponsibleUnit(project_id=project_id, name=name, kind=kind,
                                              township=township, active=True, created_at=now)
                session.add(units[name])
                added_units += 1
        session.flush()
        config = suggestion_settings(project.settings)
        existing = set(session.execute(select(RoutingRule.category, RoutingRule.subcategory,
                                              RoutingRule.township)
                                       .where(RoutingRule.project_id == project_id)).all())
        added_rules = 0
        for category, subcategory, township, name in default_rules(townships):
            if category not in config.categories or name not in units:
                continue
            if subcategory and subcategory not in config.subcategories_of(category):
                continue
            if (category, subcategory, township) in existing:
                continue
            session.add(RoutingRule(project_id=project_id, category=category,
                                    subcategory=subcategory, township=township,
                                    unit_id=units[name].id))
            existing.add((category, subcategory, township))
            added_rules += 1
        if added_units or added_rules:
            _audit(session, actor, "units_seeded", now, project_id=project_id,
                   units_added=added_units, rules_added=added_rules)
        return SeedResult(added_units, added_rules, townships)


def default_rules(townships: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """(category, subcategory, township, unit name) of :data:`DEFAULT_RULES` for these
    townships: a rule naming ``{township}`` becomes one rule per township."""
    rules = []
    for category, subcategory, unit in DEFAULT_RULES:
        if "{township}" in unit:
            rules += [(category, subcategory, t, unit.format(township=t)) for t in townships]
        else:
            rules.append((category, subcategory, ANY_TOWNSHIP, unit))
    return rules


# -- routing -----------------------------------------------------------------------------------


class Router:
    """The project's routing rules of active units, read once (for a collect or an import)."""

    def __init__(self, session: Session, project_id: int) -> None:
        self.rules: dict[tuple[str, str, str], str] = {
            (category, subcategory, township): name
            for category, subcategory, township, name in session.execute(
                select(RoutingRule.category, RoutingRule.subcategory, RoutingRule.township,
                       ResponsibleUnit.name)
                .join(ResponsibleUnit, ResponsibleUnit.id == RoutingRule.unit_id)
                .where(RoutingRule.project_id == project_id,
                       ResponsibleUnit.active.is_(True)))}

    def unit(self, category: str | None, subcategory: str | None,
             township: str | None) -> str | None:
        """The unit of the most specific matching rule (subcategory before township)."""
        if not category:
            return None
        sub, town = subcategory or "", township or ""
        for key in ((category, sub, town), (category, sub, ANY_TOWNSHIP),
                    (category, "", town), (category, "", ANY_TOWNSHIP)):
            if key in self.rules:
                return self.rules[key]
        return None


def list_rules(database: Database, project_id: int, *,
               user_id: int | None = None) -> list[RuleRow]:
    with database.unit(immediate=False) as session:
        _actor(session, user_id)
        project = _project(session, project_id)
        return _list_rules(session, project)


def _list_rules(session: Session, project: Project) -> list[RuleRow]:
    order = {c: n for n, c in enumerate(suggestion_settings(project.settings).categories)}
    rows = [RuleRow(rule.id, rule.category, rule.subcategory, rule.township, unit.id, unit.name,
                    unit.active)
            for rule, unit in session.execute(
                select(RoutingRule, ResponsibleUnit)
                .join(ResponsibleUnit, ResponsibleUnit.id == RoutingRule.unit_id)
                .where(RoutingRule.project_id == project.id))]
    return sorted(rows, key=lambda r: (order.get(r.category, len(order)), r.category,
                                       r.subcategory, r.township == ANY_TOWNSHIP, r.township))


def set_rule(database: Database, project_id: int, category: str, township: str, unit: str, *,
             subcategory: str = "", user_id: int | None = None,
             now: dt.datetime | None = None) -> RuleRow:
    """Route ``category [× subcategory] × township`` (``*``: any) to a unit (id or name),
    replacing the rule of the same key."""
    now = now or utc_now()
    category, subcategory = _clean(category), _clean(subcategory)
    township = _clean(township) or ANY_TOWNSHIP
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_id)
        config = suggestion_settings(project.settings)
        _check_category(config, category, subcategory)
        townships = project_townships(session, project)
        if township != ANY_TOWNSHIP and townships and township not in townships:
            raise CatiError(f"'{township}' is not a township of this project: "
                            f"{', '.join(townships)} or * (不是本项目的乡镇)")
        target = (_unit(session, project_id, int(unit)) if _clean(unit).isdigit()
                  else _unit_by_name(session, project_id, _clean(unit)))
        if not target.active:
            raise CatiError(f"the unit '{target.name}' is not active (单位已停用)")
        rule = session.scalar(select(RoutingRule).where(
            RoutingRule.project_id == project_id, RoutingRule.category == category,
            RoutingRule.subcategory == subcategory, RoutingRule.township == township))
        old_unit = None
        if rule is None:
            rule = RoutingRule(project_id=project_id, category=category,
                               subcategory=subcategory, township=township, unit_id=target.id)
            session.add(rule)
        else:
            old_unit = rule.unit_id
            rule.unit_id = target.id
        session.flush()
        _audit(session, actor, "routing_rule_set", now, project_id=project_id, rule_id=rule.id,
               category=category, subcategory=subcategory, township=township,
               unit_id=[old_unit, target.id])
        return RuleRow(rule.id, category, subcategory, township, target.id, target.name, True)


def remove_rule(database: Database, project_id: int, rule_id: int, *,
                user_id: int | None = None, now: dt.datetime | None = None) -> None:
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        rule = session.get(RoutingRule, rule_id)
        if rule is None or rule.project_id != project_id:
            raise NotFound(f"no routing rule {rule_id} in this project (没有这条分派规则)")
        _audit(session, actor, "routing_rule_removed", now, project_id=project_id,
               rule_id=rule.id, category=rule.category, subcategory=rule.subcategory,
               township=rule.township, unit_id=rule.unit_id)
        session.delete(rule)


def _check_category(config: SuggestionSettings, category: str, subcategory: str) -> None:
    if category not in config.categories:
        raise CatiError(f"'{category}' is not a suggestion category of this project: "
                        f"{', '.join(config.categories)} (不是本项目的分类)")
    if subcategory and subcategory not in config.subcategories_of(category):
        subs = ", ".join(config.subcategories_of(category)) or "none"
        raise CatiError(f"'{subcategory}' is not a subcategory of {category}: {subs} "
                        "(不是该分类的子类)")


def set_subcategory(database: Database, suggestion_id: int, subcategory: str, *,
                    reroute: bool = True, user_id: int | None = None,
                    now: dt.datetime | None = None) -> str | None:
    """Set a suggestion's subcategory ("" clears it); a suggestion not yet assigned is routed
    again (its unit is still a proposal). Returns its responsible unit."""
    now = now or utc_now()
    subcategory = _clean(subcategory)
    with database.unit() as session:
        actor = _actor(session, user_id)
        suggestion = session.get(Suggestion, suggestion_id)
        if suggestion is None or suggestion.project_id is None:
            raise NotFound(f"no suggestion {suggestion_id}")
        project = _project(session, suggestion.project_id)
        config = suggestion_settings(project.settings)
        if subcategory:
            if not suggestion.category:
                raise CatiError("give the suggestion a category first (请先分类)")
            _check_category(config, suggestion.category, subcategory)
        changes: dict[str, list[Any]] = {}
        if (suggestion.subcategory or "") != subcategory:
            changes["subcategory"] = [suggestion.subcategory, subcategory or None]
            suggestion.subcategory = subcategory or None
        if reroute and suggestion.status == NEW:
            routed = Router(session, project.id).unit(suggestion.category, subcategory,
                                                      _township_of(session, suggestion))
            if routed and routed != suggestion.responsible_unit:
                changes["responsible_unit"] = [suggestion.responsible_unit, routed]
                suggestion.responsible_unit = routed
        if changes:
            _audit(session, actor, "suggestion_updated", now, suggestion_id=suggestion.id,
                   project_id=project.id, changes=changes)
        return suggestion.responsible_unit


def _township_of(session: Session, suggestion: Suggestion) -> str:
    if suggestion.township:
        return suggestion.township
    if suggestion.interview_id is None:
        return ""
    return session.scalar(select(Interview.stratum).where(
        Interview.id == suggestion.interview_id)) or ""


# -- deadlines ---------------------------------------------------------------------------------


def stamp_status(suggestion: Suggestion, old_status: str, config: SuggestionSettings,
                 now: dt.datetime) -> None:
    """The unit's clock on a status change (call it after setting ``suggestion.status``):
    assigned (first time or again) → ``assigned_at`` = now, ``due_at`` = now + the category's
    days, ``resolved_at`` cleared; resolved → ``resolved_at`` = now; back to new → cleared."""
    new_status = suggestion.status
    if new_status == old_status:
        return
    if new_status in WITH_UNIT and old_status not in WITH_UNIT:
        suggestion.assigned_at = now
        suggestion.due_at = now + dt.timedelta(days=config.deadline_days(suggestion.category))
        suggestion.resolved_at = None
    elif new_status == RESOLVED:
        suggestion.resolved_at = now
    elif new_status == NEW:
        suggestion.assigned_at = suggestion.due_at = suggestion.resolved_at = None


def days_overdue(due_at: dt.datetime, now: dt.datetime) -> int:
    """Started days past the deadline (0: not overdue)."""
    late = (now - due_at).total_seconds()
    return max(0, math.ceil(late / 86400))


def overdue(database: Database, project_id: int, *, now: dt.datetime | None = None,
            user_id: int | None = None) -> list[OverdueRow]:
    """The suggestions still with their unit after their deadline, most overdue first."""
    now = now or utc_now()
    with database.unit(immediate=False) as session:
        _actor(session, user_id)
        _project(session, project_id)
        return overdue_rows(session, project_id, now)


def overdue_rows(session: Session, project_id: int, now: dt.datetime) -> list[OverdueRow]:
    rows = []
    for s, stratum in session.execute(
            select(Suggestion, Interview.stratum)
            .outerjoin(Interview, Interview.id == Suggestion.interview_id)
            .where(Suggestion.project_id == project_id, Suggestion.status.in_(WITH_UNIT),
                   Suggestion.due_at.is_not(None), Suggestion.due_at < now)):
        rows.append(OverdueRow(s.id, s.text, s.category, s.subcategory, s.responsible_unit,
                               stratum or s.township or "", s.status, s.channel or "",
                               s.assigned_at, s.due_at, days_overdue(s.due_at, now)))
    return sorted(rows, key=lambda r: (-r.days_overdue, r.id))


# -- figures -----------------------------------------------------------------------------------


def unit_figures(session: Session, project_id: int, *, since: dt.datetime | None = None,
                 until: dt.datetime | None = None,
                 now: dt.datetime | None = None) -> list[UnitFigures]:
    """Per unit, the suggestions it received (assigned to it, ``assigned_at`` in
    [since, until) when given) and what became of them (see the module docstring). Every unit
    of the table is listed (an active one with nothing received shows zeros; an inactive one
    only if it received something), then names typed in the review that are not in it. Order:
    received, most first, then name."""
    now = now or utc_now()
    query = select(Suggestion.responsible_unit, Suggestion.status, Suggestion.due_at,
                   Suggestion.resolved_at).where(
        Suggestion.project_id == project_id, Suggestion.assigned_at.is_not(None),
        Suggestion.responsible_unit.is_not(None))
    if since is not None:
        query = query.where(Suggestion.assigned_at >= since)
    if until is not None:
        query = query.where(Suggestion.assigned_at < until)
    counts: dict[str, dict[str, int]] = {}
    keys = ("received", "answered", "in_time", "overdue", "solved", "called_back",
            "unreachable", "refused")
    for unit, status, due_at, resolved_at in session.execute(query):
        c = counts.setdefault(unit, dict.fromkeys(keys, 0))
        c["received"] += 1
        if resolved_at is not None:
            c["answered"] += 1
            if due_at is not None and resolved_at <= due_at:
                c["in_time"] += 1
        if status in WITH_UNIT and due_at is not None and due_at < now:
            c["overdue"] += 1
        c["solved"] += status == CHECKED
        c["called_back"] += status in CALLED_BACK
        c["unreachable"] += status == UNREACHABLE
        c["refused"] += status == REFUSED
    table = {u.name: u for u in session.scalars(
        select(ResponsibleUnit).where(ResponsibleUnit.project_id == project_id))}
    names = [n for n, u in table.items() if u.active or n in counts]
    names += [n for n in counts if n not in table]
    result = []
    for name in names:
        unit = table.get(name)
        c = counts.get(name, dict.fromkeys(keys, 0))
        result.append(UnitFigures(name, unit.kind if unit else "", unit.township if unit else "",
                                  **c))
    return sorted(result, key=lambda f: (-f.received, f.unit))


def project_unit_figures(database: Database, project_id: int, *,
                         since: dt.datetime | None = None, until: dt.datetime | None = None,
                         now: dt.datetime | None = None,
                         user_id: int | None = None) -> list[UnitFigures]:
    with database.unit(immediate=False) as session:
        _actor(session, user_id)
        _project(session, project_id)
        return unit_figures(session, project_id, since=since, until=until, now=now)


# -- intake ------------------------------------------------------------------------------------

INTAKE_COLUMNS = {
    "date": ("日期", "date", "收到日期", "received"),
    "channel": ("渠道", "channel", "来源"),
    "text": ("内容", "text", "意见", "意见建议", "诉求"),
    "township": ("乡镇", "township", "乡镇(街道)", "街道"),
    "contact_name": ("姓名", "contact_name", "contact name", "联系人", "name"),
    "phone": ("电话", "phone", "联系电话", "手机"),
    "consent": ("同意回访", "consent", "回访"),
    "category": ("分类", "category", "类别"),
    "subcategory": ("子类", "subcategory", "小类"),
}
REQUIRED_COLUMNS = ("date", "channel", "text")
COLUMN_TITLES = {"date": "日期 date", "channel": "渠道 channel", "text": "内容 text",
                 "township": "乡镇 township", "contact_name": "姓名 contact_name",
                 "phone": "电话 phone", "consent": "同意回访 consent",
                 "category": "分类 category", "subcategory": "子类 subcategory"}
YES_WORDS = {"1", "是", "同意", "yes", "y", "true", "愿意"}
NO_WORDS = {"", "0", "否", "不同意", "no", "n", "false", "不愿意"}


class _RowError(CatiError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def phone_rule(project: Project) -> PhoneRule:
    """The project's phone rules (as the sample import applies them)."""
    settings = project.settings or {}
    return PhoneRule(region=settings.get("region") or "CN",
                     default_area_code=settings.get("default_area_code"),
                     allowed_types=frozenset(settings.get("allowed_number_types")
                                             or PhoneRule().allowed_types))


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _clean(value).replace("/", "-").replace(".", "-")
    for suffix in ("日",):
        text = text.removesuffix(suffix)
    text = text.replace("年", "-").replace("月", "-")
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        raise _RowError("date", f"'{_clean(value)}' is not a date (日期格式应为 2026-11-23)") \
            from None


class _Checker:
    """Checks intake items against one project: channel, township, phone, category."""

    def __init__(self, session: Session, project: Project, now: dt.datetime) -> None:
        self.config = suggestion_settings(project.settings)
        self.townships = project_townships(session, project)
        self.rule = phone_rule(project)
        self.today = now.astimezone(TIME_ZONE).date()

    def check(self, item: IntakeItem) -> dict[str, Any]:
        channel = CHANNEL_WORDS.get(_clean(item.channel).casefold())
        if channel is None:
            raise _RowError("channel", f"'{item.channel}' is not a channel: 12345/hotline, "
                            "来信/letter, 意见箱/box, 110 (渠道不对)")
        if item.received_on > self.today:
            raise _RowError("date", f"{item.received_on} is in the future (日期在今天之后)")
        text = _clean(item.text)
        if not text:
            raise _RowError("text", "the text is empty (内容为空)")
        if len(text) > TEXT_MAX:
            raise _RowError("text", f"the text is longer than {TEXT_MAX} characters")
        township = _clean(item.township)
        if township and self.townships and township not in self.townships:
            raise _RowError("township", f"'{township}' is not a township of this project "
                            "(不是本项目的乡镇)")
        if len(township) > TOWNSHIP_MAX:
            raise _RowError("township", "the township is too long")
        name = _clean(item.contact_name)
        if len(name) > NAME_MAX:
            raise _RowError("contact_name", "the name is too long (姓名太长)")
        phone = None
        if _clean(item.phone):
            checked = check_phone(item.phone, self.rule)
            if not checked.ok:
                raise _RowError("phone", f"'{_clean(item.phone)}' is not a number that can be "
                                f"called: {reason_text(checked.reason or '')}")
            phone = checked.e164
        if item.consent and phone is None:
            raise _RowError("consent", "consent to a call-back needs a phone number "
                            "(同意回访须留电话)")
        category = _clean(item.category)
        subcategory = _clean(item.subcategory)
        try:
            if category:
                _check_category(self.config, category, subcategory)
            elif subcategory:
                raise CatiError("a subcategory needs its category (子类须有分类)")
        except CatiError as exc:
            raise _RowError("subcategory" if category else "category", str(exc)) from None
        proposed = category or propose_category(text, self.config)[0]
        received = dt.datetime.combine(item.received_on, dt.time(12), TIME_ZONE)
        return {"channel": channel, "text": text, "township": township, "contact_name": name,
                "contact_phone": phone, "contact_consent": bool(item.consent and phone),
                "category": proposed or None, "subcategory": subcategory or None,
                "received_at": received.astimezone(dt.UTC), "given_category": bool(category)}


def _store(session: Session, project_id: int, checked: list[dict[str, Any]]) -> list[Suggestion]:
    router = Router(session, project_id)
    added = []
    for values in checked:
        unit = router.unit(values["category"], values["subcategory"], values["township"])
        added.append(Suggestion(
            project_id=project_id, interview_id=None, question=INTAKE_QUESTION,
            text=values["text"], valid=None, category=values["category"],
            subcategory=values["subcategory"], responsible_unit=unit, status=NEW, notes="",
            channel=values["channel"], received_at=values["received_at"],
            township=values["township"], contact_name=values["contact_name"],
            contact_phone=values["contact_phone"], contact_consent=values["contact_consent"]))
    session.add_all(added)
    session.flush()
    return added


def add_intake(database: Database, project_id: int, item: IntakeItem, *,
               user_id: int | None = None, now: dt.datetime | None = None) -> int:
    """One opinion from the console's form; returns its suggestion id. A bad field raises
    CatiError naming it."""
    now = now or utc_now()
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_id)
        try:
            values = _Checker(session, project, now).check(item)
        except _RowError as exc:
            raise CatiError(f"{COLUMN_TITLES[exc.column]}: {exc}") from None
        [suggestion] = _store(session, project_id, [values])
        _audit(session, actor, "suggestion_intake", now, project_id=project_id,
               suggestion_id=suggestion.id, channel=values["channel"],
               routed=suggestion.responsible_unit)
        return suggestion.id


def intake_file(database: Database, project_id: int, path: str | Path, *,
                user_id: int | None = None, now: dt.datetime | None = None) -> IntakeResult:
    """Take in every row of a .csv or .xlsx file, or nothing: the first bad cell raises
    CatiError "FILE: row N, column C: why" and nothing is stored."""
    now = now or utc_now()
    path = Path(path)
    rows = list(_read_rows(path))
    if not rows:
        raise CatiError(f"{path.name}: no header row (文件是空的)")
    (header_row, header), body = rows[0], rows[1:]
    columns = _columns(path, header_row, header)
    with database.unit() as session:
        actor = _actor(session, user_id)
        project = _project(session, project_id, lock=not database.is_sqlite)
        checker = _Checker(session, project, now)
        checked = []
        for number, cells in body:
            if all(_clean(cell) == "" for cell in cells):
                continue
            values = {key: (cells[i] if i < len(cells) else None) for key, i in columns.items()}
            try:
                item = IntakeItem(
                    received_on=_parse_date(values.get("date")),
                    channel=_clean(values.get("channel")), text=_clean(values.get("text")),
                    township=_clean(values.get("township")),
                    contact_name=_clean(values.get("contact_name")),
                    phone=values.get("phone") if values.get("phone") is not None else "",
                    consent=_consent(values.get("consent")),
                    category=_clean(values.get("category")),
                    subcategory=_clean(values.get("subcategory")))
                checked.append(checker.check(item))
            except _RowError as exc:
                raise CatiError(f"{path.name}: row {number}, column {COLUMN_TITLES[exc.column]}:"
                                f" {exc}") from None
        if not checked:
            raise CatiError(f"{path.name}: no opinions below the header (没有数据行)")
        added = _store(session, project_id, checked)
        routed = sum(1 for s in added if s.responsible_unit)
        _audit(session, actor, "suggestions_intake", now, project_id=project_id,
               file=path.name, added=len(added), routed=routed, first_id=added[0].id,
               last_id=added[-1].id)
        return IntakeResult(len(added), routed, added[0].id, added[-1].id)


def _consent(value: Any) -> bool:
    word = _clean(value).casefold()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise _RowError("consent", f"'{_clean(value)}' is not yes or no (是/否)")


def _columns(path: Path, row: int, header: Sequence[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    aliases = {alias.casefold(): key for key, names in INTAKE_COLUMNS.items()
               for alias in names}
    for position, cell in enumerate(header):
        title = _clean(cell).casefold()
        key = aliases.get(title) or aliases.get(title.split(" ")[0])
        if key is None and " " in title:
            key = aliases.get(title.split(" ", 1)[1])
        if key is None:
            if title:
                raise CatiError(f"{path.name}: row {row}, column {position + 1}: '{_clean(cell)}'"
                                f" is not an intake column ({', '.join(COLUMN_TITLES.values())})")
            continue
        found.setdefault(key, position)
    missing = [COLUMN_TITLES[key] for key in REQUIRED_COLUMNS if key not in found]
    if missing:
        raise CatiError(f"{path.name}: row {row}: missing column {', '.join(missing)} (缺少列)")
    return found


def _read_rows(path: Path) -> Iterable[tuple[int, list[Any]]]:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise CatiError(f"{path.name}: give a .csv or .xlsx file (只能导入 .csv 或 .xlsx)")
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                return [(n, row) for n, row in enumerate(csv.reader(handle), start=1)]
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True),
                                                            start=1)]
        finally:
            book.close()
    except OSError as exc:
        raise CatiError(f"{path.name}: cannot read the file ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CatiError(f"{path.name}: not UTF-8 text (请另存为 UTF-8 编码的 CSV)") from None
    except Exception as exc:  # a damaged workbook: openpyxl raises many kinds
        if suffix == ".xlsx":
            raise CatiError(f"{path.name}: not a readable .xlsx workbook ({exc})") from None
        raise


def save_categories(database: Database, project_id: int,
                    categories: Sequence[tuple[str, Sequence[str], int]], *,
                    user_id: int | None = None,
                    now: dt.datetime | None = None) -> SuggestionSettings:
    """Store the categories, their subcategories and deadlines (checked and audited by
    :func:`cati.services.suggestions.update_suggestion_settings`)."""
    from cati.services.suggestions import (
        CATEGORIES_KEY,
        DEADLINES_KEY,
        SUBCATEGORIES_KEY,
        project_suggestion_settings,
        update_suggestion_settings,
    )

    names = [_clean(name) for name, _subs, _days in categories]
    if any(not name for name in names):
        raise CatiError("a category has no name (分类名称不能为空)")
    if len(set(names)) != len(names):
        raise CatiError("a category is listed twice (分类重复)")
    current = project_suggestion_settings(database, project_id)
    deadlines: dict[str, Any] = {"*": current.deadline_days("*")}
    deadlines.update({name: days for name, (_n, _s, days) in zip(names, categories,
                                                                  strict=True)})
    subcategories = {name: [_clean(sub) for sub in subs if _clean(sub)]
                     for name, (_n, subs, _d) in zip(names, categories, strict=True)}
    return update_suggestion_settings(database, project_id, {
        CATEGORIES_KEY: names, SUBCATEGORIES_KEY: subcategories, DEADLINES_KEY: deadlines},
        user_id=user_id, now=now)


# -- bound to one database, for the desktop app ------------------------------------------------


class UnitService:
    """The functions above on one database (Qt-free), for the console's panels."""

    kinds = KINDS
    channels = CHANNELS

    def __init__(self, database: Database) -> None:
        self.database = database

    def units(self, project_id: int) -> list[UnitRow]:
        return list_units(self.database, project_id)

    def add(self, project_id: int, name: str, kind: str, township: str = "",
            user_id: int | None = None) -> UnitRow:
        return add_unit(self.database, project_id, name, kind, township=township,
                        user_id=user_id)

    def update(self, project_id: int, unit_id: int, user_id: int | None = None,
               **changes: Any) -> UnitRow:
        return update_unit(self.database, project_id, unit_id, user_id=user_id, **changes)

    def remove(self, project_id: int, unit_id: int, user_id: int | None = None) -> bool:
        return remove_unit(self.database, project_id, unit_id, user_id=user_id)

    def seed(self, project_id: int, user_id: int | None = None) -> SeedResult:
        return seed_units(self.database, project_id, user_id=user_id)

    def rules(self, project_id: int) -> list[RuleRow]:
        return list_rules(self.database, project_id)

    def set_rule(self, project_id: int, category: str, township: str, unit: str,
                 subcategory: str = "", user_id: int | None = None) -> RuleRow:
        return set_rule(self.database, project_id, category, township, unit,
                        subcategory=subcategory, user_id=user_id)

    def remove_rule(self, project_id: int, rule_id: int, user_id: int | None = None) -> None:
        remove_rule(self.database, project_id, rule_id, user_id=user_id)

    def overdue(self, project_id: int, now: dt.datetime | None = None) -> list[OverdueRow]:
        return overdue(self.database, project_id, now=now)

    def figures(self, project_id: int, now: dt.datetime | None = None) -> list[UnitFigures]:
        return project_unit_figures(self.database, project_id, now=now)

    def intake(self, project_id: int, item: IntakeItem, user_id: int | None = None) -> int:
        return add_intake(self.database, project_id, item, user_id=user_id)

    def intake_file(self, project_id: int, path: str | Path,
                    user_id: int | None = None) -> IntakeResult:
        return intake_file(self.database, project_id, path, user_id=user_id)

    def settings(self, project_id: int) -> SuggestionSettings:
        from cati.services.suggestions import project_suggestion_settings

        return project_suggestion_settings(self.database, project_id)

    def save_categories(self, project_id: int, categories: Sequence[tuple[str, Sequence[str],
                                                                          int]],
                        user_id: int | None = None) -> SuggestionSettings:
        """The category list with each one's subcategories and deadline (days), as the
        project's settings (the "*" deadline of other categories is kept)."""
        return save_categories(self.database, project_id, categories, user_id=user_id)

    def townships(self, project_id: int) -> tuple[str, ...]:
        with self.database.unit(immediate=False) as session:
            return project_townships(session, _project(session, project_id))


__all__ = ["CHANNELS", "KINDS", "IntakeItem", "IntakeResult", "OverdueRow", "Router", "RuleRow",
           "SeedResult", "UnitFigures", "UnitRow", "UnitService", "add_intake", "add_unit",
           "days_overdue", "intake_file", "list_rules", "list_units", "overdue",
           "project_unit_figures", "remove_rule", "remove_unit", "save_categories", "seed_units",
           "set_rule",
           "set_subcategory", "stamp_status", "unit_figures", "update_unit"]

"""Index arithmetic: rates, scores and weighted means per stratum, with their 95% margins of
error, competition ranks, ties and the change against an earlier wave. Pure: counts in, exact
values out (no database, no clock).

The input is what one grouped query returns: answer counts by (stratum, question, value), and
the number of counted interviews per stratum; the rules come from :func:`index_rules` (the
questionnaire's ``indices`` sheet with the project's ``index_policy`` setting applied). Values are ``Fraction`` (exact); margins of error
are ``Decimal`` with 40 significant digits (they need a square root). Rounding happens only in
:func:`round_half_up`, for display.

Definitions (each report prints them next to its numbers):

- An *answer* is a non-empty value of a source question that is one of the question's choices.
  Excluded answers (不了解, 说不清, 拒答 … as the rule says) are left out of the denominator.
  A select_multiple answer is excluded when every choice it names is excluded, and positive
  when it names any positive choice.
- rate: positive answers / denominator. score: the mean of the answers' scores.
  Several source questions pool their answers.
- mean (a composite): Σ wᵢ·vᵢ / Σ wᵢ over its parts; parts of weight 0 are left out.
  It is undefined when any part is undefined; its denominator is its parts' smallest.
- 95% margin of error: rate 1.96·√(p(1−p)/d); score 1.96·s/√d with the sample standard
  deviation s (undefined when d < 2); mean Σ (wᵢ/W)·mᵢ, an upper bound whatever the correlation
  among the parts (the same respondents answer them all).
- rank: competition ranking ("1224") of the strata by unrounded value, highest first; a stratum
  with an undefined value has no rank and does not move the others.
- ties: strata A and B are tied when |v_A − v_B| ≤ max(m_A, m_B), that is when either value lies
  within the other's margin; symmetric, and an undefined margin counts as 0.
- change: value − earlier value for the same index and stratum; undefined when either is.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from cati.errors import CatiError
from cati.questionnaire.model import Form, IndexDefinition

ALL = "ALL"
# Interview modes, in the order reports show them, with their Chinese names.
MODES = ("phone", "field", "web")
MODE_LABELS = {"phone": "电话", "field": "实地", "web": "网上自填"}
METHODS = ("rate", "score", "mean")
Z95 = Decimal("1.96")
PRECISION = 40  # significant digits of a margin of error

# stratum -> question -> answer value -> number of answers
AnswerCounts = Mapping[str, Mapping[str, Mapping[str, int]]]


@dataclass(frozen=True, slots=True)
class IndexRule:
    """One indicator as it is computed: the questionnaire's definition with the project's
    overrides applied (positive and excluded choices, weights)."""

    name: str
    label: str
    method: str  # rate | score | mean
    source: tuple[str, ...]  # questions (rate, score) or indices defined before (mean)
    positive: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    weights: tuple[Fraction, ...] = ()  # mean: one per source; empty means equal weights
    # question -> choice name -> score (None when the choice has none)
    choices: Mapping[str, Mapping[str, Fraction | None]] = field(
        default_factory=lambda: MappingProxyType({}))
    multiple: frozenset[str] = frozenset()  # the select_multiple questions among the source
    share: bool = True  # the value is a share (0..1), not points

    @property
    def effective_weights(self) -> tuple[Fraction, ...]:
        return self.weights or tuple(Fraction(1) for _ in self.source)


@dataclass(frozen=True, slots=True)
class Estimate:
    denominator: int
    value: Fraction | None  # None: undefined (no answer in the denominator), never 0
    moe: Decimal | None  # the 95% margin of error


@dataclass(frozen=True, slots=True)
class IndexRow:
    index: str
    stratum: str  # a stratum's name, or ALL
    n: int  # counted interviews in the stratum
    denominator: int
    value: Fraction | None
    moe: Decimal | None
    rank: int | None
    tied_with: tuple[str, ...]
    change: Fraction | None  # value − earlier, when both are defined
    earlier: Fraction | None = None  # the earlier wave's value (None: undefined or no wave)


def estimate(rule: IndexRule, answers: Mapping[str, Mapping[str, int]]) -> Estimate:
    """A rate or a score over the answers of one group (question -> value -> count)."""
    denominator, total, squares = 0, Fraction(0), Fraction(0)
    for question in rule.source:
        for value, count in answers.get(question, {}).items():
            point = answer_point(rule, question, value)
            if point is None or count <= 0:
                continue
            denominator += count
            total += point * count
            squares += point * point * count
    if denominator == 0:
        return Estimate(0, None, None)
    mean = total / denominator
    if rule.method == "rate":
        variance_of_mean: Fraction | None = mean * (1 - mean) / denominator
    elif denominator < 2:
        variance_of_mean = None
    else:
        variance = (squares - total * total / denominator) / (denominator - 1)
        variance_of_mean = variance / denominator
    return Estimate(denominator, mean, margin(variance_of_mean))


def answer_point(rule: IndexRule, question: str, value: str) -> Fraction | None:
    """What one answer adds: 1 or 0 for a rate, its score for a score; None when it is not
    in the denominator (empty, excluded, or not a choice of the question)."""
    choices = rule.choices.get(question, {})
    if question in rule.multiple:
        names = value.split()
        if not names or any(name not in choices for name in names):
            return None
        if all(name in rule.excluded for name in names):
            return None
        return Fraction(int(any(name in rule.positive for name in names)))
    if value not in choices or value in rule.excluded:
        return None
    if rule.method == "rate":
        return Fraction(int(value in rule.positive))
    return choices[value]


def combine(rule: IndexRule, parts: Sequence[Estimate]) -> Estimate:
    """The weighted mean of a composite's parts (aligned with ``rule.source``)."""
    used = [(weight, part) for weight, part in zip(rule.effective_weights, parts, strict=True)
            if weight != 0]
    if not used:
        return Estimate(0, None, None)
    denominator = min(part.denominator for _, part in used)
    if any(part.value is None for _, part in used):
        return Estimate(denominator, None, None)
    total_weight = sum(weight for weight, _ in used)
    value = sum(weight * part.value for weight, part in used) / total_weight  # type: ignore[operator]
    moe: Decimal | None = None
    if all(part.moe is not None for _, part in used):
        with localcontext() as context:
            context.prec = PRECISION
            moe = sum((_decimal(weight / total_weight) * part.moe for weight, part in used),
                      Decimal(0))  # type: ignore[operator]
    return Estimate(denominator, value, moe)


def margin(variance_of_mean: Fraction | None) -> Decimal | None:
    """1.96 standard errors, from the exact variance of the estimate."""
    if variance_of_mean is None:
        return None
    with localcontext() as context:
        context.prec = PRECISION
        return Z95 * _decimal(variance_of_mean).sqrt()


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def competition_ranks(values: Mapping[str, Fraction | None]) -> dict[str, int | None]:
    """Rank 1 for the highest value; equal values share a rank and the next rank skips ("1224").
    Undefined values get None."""
    ascending = sorted(value for value in values.values() if value is not None)
    return {name: None if value is None else len(ascending) - bisect_right(ascending, value) + 1
            for name, value in values.items()}


def tied_strata(estimates: Mapping[str, Estimate], order: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each stratum, the strata (in ``order``) it is tied with: |v_A − v_B| ≤ max(m_A, m_B)."""
    def reach(name: str) -> Fraction:
        moe = estimates[name].moe
        return Fraction(moe) if moe is not None else Fraction(0)

    defined = [name for name in order if estimates[name].value is not None]
    result: dict[str, tuple[str, ...]] = {name: () for name in order}
    for name in defined:
        value = estimates[name].value
        result[name] = tuple(
            other for other in defined if other != name
            and abs(value - estimates[other].value) <= max(reach(name), reach(other)))  # type: ignore[operator]
    return result


def compute_indices(rules: Sequence[IndexRule], strata: Sequence[str],
                    interviews: Mapping[str, int], answers: AnswerCounts,
                    earlier: Mapping[tuple[str, str], Fraction | None] | None = None,
                    ) -> list[IndexRow]:
    """Every index for ALL and each stratum. Rows come per index (in ``rules`` order): ALL first,
    then the strata by rank (ties in ``strata`` order), the undefined ones last.

    ``strata`` lists the strata to report (also those without interviews); strata found in the
    counts but not listed are added after them, sorted. ``earlier`` maps (index, stratum) to the
    earlier wave's value.
    """
    order = _strata_order(strata, interviews, answers)
    groups = {ALL: _merged(answers.values()), **{name: answers.get(name, {}) for name in order}}
    n = {ALL: sum(interviews.values()), **{name: interviews.get(name, 0) for name in order}}
    estimates: dict[str, dict[str, Estimate]] = {}
    rows: list[IndexRow] = []
    for rule in rules:
        if rule.method == "mean":
            per_group = {group: combine(rule, [estimates[part][group] for part in rule.source])
                         for group in groups}
        else:
            per_group = {group: estimate(rule, counts) for group, counts in groups.items()}
        estimates[rule.name] = per_group
        rows.extend(_index_rows(rule.name, per_group, order, n, earlier or {}))
    return rows


def _index_rows(index: str, per_group: Mapping[str, Estimate], order: Sequence[str],
                n: Mapping[str, int], earlier: Mapping[tuple[str, str], Fraction | None],
                ) -> list[IndexRow]:
    strata_only = {name: per_group[name] for name in order}
    ranks = competition_ranks({name: e.value for name, e in strata_only.items()})
    position = {name: i for i, name in enumerate(order)}
    ranked = sorted(order, key=lambda name: (ranks[name] is None, ranks[name] or 0,
                                             position[name]))
    ties = tied_strata(strata_only, ranked)
    rows = []
    for group in (ALL, *ranked):
        found = per_group[group]
        before = earlier.get((index, group))
        change = (found.value - before
                  if found.value is not None and before is not None else None)
        rows.append(IndexRow(index, group, n[group], found.denominator, found.value, found.moe,
                             ranks.get(group), ties.get(group, ()), change, before))
    return rows


def _strata_order(strata: Sequence[str], interviews: Mapping[str, int],
                  answers: AnswerCounts) -> list[str]:
    order = list(dict.fromkeys(name for name in strata if name != ALL))
    listed = set(order)
    extra = {name for name in (*interviews, *answers) if name not in listed and name != ALL}
    return order + sorted(extra)


def _merged(groups: Iterable[Mapping[str, Mapping[str, int]]]) -> dict[str, Counter]:
    merged: dict[str, Counter] = defaultdict(Counter)
    for counts in groups:
        for question, values in counts.items():
            merged[question].update(values)
    return merged


def round_half_up(value: Fraction | Decimal | int, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimals, halves away from zero (as people round)."""
    exact = Fraction(value)
    scaled = exact * 10 ** places
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(magnitude if scaled >= 0 else -magnitude).scaleb(-places)


def as_float(value: Fraction | Decimal | None, places: int = 6) -> float | None:
    """The value for JSON and workbooks: rounded half-up to ``places`` decimals, as a float."""
    return None if value is None else float(round_half_up(value, places))


# -- the rule: the questionnaire's definitions with the project's index_policy ---------------------

# Project.settings["index_policy"]: see cati.services.indices_report for its shape.
POLICY_KEY = "index_policy"
POLICY_PARTS = ("include_partials", "positive", "excluded", "weights", "min_n")
# The smallest n of a stratum that is ranked in the leaders' tables (smaller ones are shown,
# marked, not ranked): a township with one interview ranked first at "100% ±0.0%" once.
DEFAULT_MIN_N = 30


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class IndexPolicy:
    """The project's changes to the questionnaire's index definitions (``index_policy``)."""

    include_partials: bool = False
    positive: Mapping[str, frozenset[str]] = field(default_factory=_empty)
    excluded: Mapping[str, frozenset[str]] = field(default_factory=_empty)
    weights: Mapping[str, tuple[Fraction, ...]] = field(default_factory=_empty)
    min_n: int = DEFAULT_MIN_N


def read_policy(settings: Mapping[str, Any] | None, project_code: str = "") -> IndexPolicy:
    """The ``index_policy`` of a project's settings, checked for shape (not against the form)."""
    raw = (settings or {}).get(POLICY_KEY) or {}
    where = f"project {project_code} setting {POLICY_KEY}".replace("  ", " ")
    if not isinstance(raw, Mapping):
        raise CatiError(f"{where} must be an object")
    unknown = sorted(set(raw) - set(POLICY_PARTS))
    if unknown:
        raise CatiError(f"{where}: unknown part '{unknown[0]}' (known: {', '.join(POLICY_PARTS)})")
    partials = raw.get("include_partials", False)
    if not isinstance(partials, bool):
        raise CatiError(f"{where}.include_partials must be true or false")
    min_n = raw.get("min_n", DEFAULT_MIN_N)
    if isinstance(min_n, bool) or not isinstance(min_n, int) or not 1 <= min_n <= 100_000:
        raise CatiError(f"{where}.min_n must be a whole number from 1 to 100000")
    return IndexPolicy(
        min_n=min_n,
        include_partials=partials,
        positive=_choice_sets(raw.get("positive"), f"{where}.positive"),
        excluded=_choice_sets(raw.get("excluded"), f"{where}.excluded"),
        weights=_weight_lists(raw.get("weights"), f"{where}.weights"))


def _choice_sets(raw: Any, where: str) -> Mapping[str, frozenset[str]]:
    result = {}
    for name, choices in _by_index(raw, where).items():
        if not isinstance(choices, list) or not all(
                isinstance(c, str | int) and not isinstance(c, bool) for c in choices):
            raise CatiError(f"{where}.{name} must be a list of choice names")
        result[name] = frozenset(str(c) for c in choices)
    return MappingProxyType(result)


def _weight_lists(raw: Any, where: str) -> Mapping[str, tuple[Fraction, ...]]:
    result = {}
    for name, weights in _by_index(raw, where).items():
        if not isinstance(weights, list) or not weights:
            raise CatiError(f"{where}.{name} must be a list of numbers")
        result[name] = tuple(_weight(w, f"{where}.{name}") for w in weights)
    return MappingProxyType(result)


def _weight(value: Any, where: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CatiError(f"{where}: {value!r} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise CatiError(f"{where}: {value!r} is not a number")
    try:
        weight = Fraction(str(value))
    except ValueError:
        raise CatiError(f"{where}: {value!r} is not a number") from None
    if weight < 0:
        raise CatiError(f"{where}: a weight cannot be negative ({value})")
    return weight


def _by_index(raw: Any, where: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise CatiError(f"{where} must map index names to values")
    return dict(raw)


def index_rules(form: Form, policy: IndexPolicy, project_code: str = "") -> tuple[IndexRule, ...]:
    """The questionnaire's indices with the project's policy applied, checked against the form."""
    defined = {definition.name: definition for definition in form.indices}
    where = f"project {project_code} setting {POLICY_KEY}".replace("  ", " ")
    for part in ("positive", "excluded", "weights"):
        for name in getattr(policy, part):
            if name not in defined:
                raise CatiError(f"{where}.{part}: the questionnaire has no index '{name}'")
    rules: dict[str, IndexRule] = {}
    for definition in form.indices:
        rules[definition.name] = (
            _mean_rule(form, definition, policy, rules, where) if definition.method == "mean"
            else _answer_rule(form, definition, policy, where))
    return tuple(rules.values())


def _mean_rule(form: Form, definition: IndexDefinition, policy: IndexPolicy,
               earlier: Mapping[str, IndexRule], where: str) -> IndexRule:
    name = definition.name
    for part in ("positive", "excluded"):
        if name in getattr(policy, part):
            raise CatiError(f"{where}.{part}.{name}: a mean has no choices, only weights")
    weights = policy.weights.get(name) or tuple(Fraction(w) for w in definition.weights)
    if weights and len(weights) != len(definition.source):
        raise CatiError(f"{where}.weights.{name}: {len(weights)} weights for "
                        f"{len(definition.source)} parts ({' '.join(definition.source)})")
    if any(weight < 0 for weight in weights):
        raise CatiError(f"index {name}: a weight cannot be negative")
    if weights and sum(weights) <= 0:
        raise CatiError(f"{where}.weights.{name}: the weights add up to 0")
    share = all(earlier[part].share for part in definition.source)
    return IndexRule(name, form.text(definition.labels) or name, "mean", definition.source,
                     weights=weights, share=share)


def _answer_rule(form: Form, definition: IndexDefinition, policy: IndexPolicy,
                 where: str) -> IndexRule:
    name = definition.name
    if name in policy.weights:
        raise CatiError(f"{where}.weights.{name}: only a mean has weights")
    positive = policy.positive.get(name, definition.positive)
    excluded = policy.excluded.get(name, definition.excluded)
    choices: dict[str, Mapping[str, Fraction | None]] = {}
    multiple = set()
    for question in definition.source:
        item = form.item(question)
        offered = {c.name: (None if c.score is None else Fraction(c.score))
                   for c in form.choices_of(item)}
        choices[question] = MappingProxyType(offered)
        if item.kind == "select_multiple":
            multiple.add(question)
        for part, names in (("positive", positive), ("excluded", excluded)):
            unknown = sorted(names - offered.keys())
            if unknown:
                raise CatiError(f"{where}.{part}.{name}: '{unknown[0]}' is not a choice of "
                                f"'{question}'")
        if definition.method == "score":
            unscored = sorted(c for c, score in offered.items() if score is None and c not in excluded)
            if unscored:
                raise CatiError(f"index {name}: choice '{unscored[0]}' of '{question}' has no "
                                "score, so it must stay excluded")
            if question in multiple:
                raise CatiError(f"index {name}: a score over the select_multiple question "
                                f"'{question}' is not defined; use a rate")
    if definition.method == "rate" and not positive:
        raise CatiError(f"{where}.positive.{name}: a rate needs at least one positive choice")
    return IndexRule(name, form.text(definition.labels) or name, definition.method,
                     definition.source, frozenset(positive), frozenset(excluded),
                     choices=MappingProxyType(choices), multiple=frozenset(multiple),
                     share=definition.method == "rate")

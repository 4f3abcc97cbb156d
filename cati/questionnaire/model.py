"""The engine's own immutable model of a questionnaire, compiled from an XLSForm.

Groups are flattened away: each item carries the chain of ``relevant`` expressions of the groups
around it, so the engine walks one flat list in form order. A repeat stays a range of that list
(:class:`Repeat`) which the engine walks once per instance; its items name the repeats around
them (``Item.repeats``), and their answers are stored under instance keys (``adults[2]/name``,
:mod:`cati.questionnaire.repeats`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from cati.questionnaire.xpath import Expression

# Item kinds the engine runs. Values are stored as strings in every case.
QUESTION_KINDS = frozenset(
    {"text", "integer", "decimal", "select_one", "select_multiple", "date", "time", "dateTime",
     "acknowledge"}
)
PRESENTED_KINDS = QUESTION_KINDS | {"note"}
SILENT_KINDS = frozenset({"calculate", "hidden"})
SELECT_KINDS = frozenset({"select_one", "select_multiple"})

DEFAULT_LANGUAGE = "default"
OUTSIDE_COLUMN = "cati::outside"  # choices sheet: this stratum choice is outside the survey's area

Texts = Mapping[str, str]  # language -> text; the key "default" holds a column without ::lang


def _frozen(mapping: Mapping[str, str] | None) -> Texts:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class Choice:
    name: str
    labels: Texts
    score: Decimal | None = None
    not_read: bool = False  # offered to the interviewer but not read out (说不清, 拒答)
    attributes: Texts = field(default_factory=lambda: _frozen({}))  # extra columns, for choice_filter


@dataclass(frozen=True, slots=True)
class Item:
    """One row of the survey sheet that the engine runs (not a group row)."""

    name: str
    kind: str
    row: int
    labels: Texts = field(default_factory=lambda: _frozen({}))
    hints: Texts = field(default_factory=lambda: _frozen({}))
    relevance: tuple[Expression, ...] = ()  # the groups' then the item's own; all must hold
    required: Expression | None = None
    required_messages: Texts = field(default_factory=lambda: _frozen({}))
    constraint: Expression | None = None
    constraint_messages: Texts = field(default_factory=lambda: _frozen({}))
    calculation: Expression | None = None
    default: str | None = None
    read_only: bool = False
    read_only_when: Expression | None = None  # an expression in the readonly column
    choice_list: str | None = None
    choice_filter: Expression | None = None
    randomize: bool = False
    appearance: str = ""
    disposition: str | None = None  # cati::disposition: reaching this row ends the interview
    groups: tuple[str, ...] = ()
    label_references: frozenset[str] = frozenset()
    # cati::case_data: the case attribute a hidden or calculate row takes its value from (the
    # engine's ``case_data``); ODK ignores the column and keeps the row's own value.
    case_data: str | None = None
    # trigger column: the questions whose answer change sets this item's value from its
    # calculation (ODK's setvalue on value-changed); until one is answered the value is empty.
    trigger: tuple[str, ...] = ()
    repeats: tuple[str, ...] = ()  # the repeats around the item, outermost first

    @property
    def presented(self) -> bool:
        return self.kind in PRESENTED_KINDS

    @property
    def is_question(self) -> bool:
        return self.kind in QUESTION_KINDS

    @property
    def is_screen_out(self) -> bool:
        return self.disposition is not None


@dataclass(frozen=True, slots=True)
class Repeat:
    """A ``begin repeat`` … ``end repeat`` range of the flat item list, ``items[start:end]``.

    ``count`` is the ``repeat_count`` expression; without one the interviewer is asked after
    each instance whether there is another (``more_item``, the range's last item), as ODK
    Collect asks. ``relevance`` holds the groups' and the repeat's own ``relevant``."""

    name: str
    row: int
    labels: Texts
    start: int
    end: int
    count: Expression | None = None
    relevance: tuple[Expression, ...] = ()
    parent: str | None = None
    more_item: str | None = None


@dataclass(frozen=True, slots=True)
class IndexDefinition:
    """One row of the ``indices`` sheet: how an indicator is computed from answers."""

    name: str
    labels: Texts
    method: str  # rate | score | mean
    source: tuple[str, ...]  # questions (rate, score) or other indices (mean)
    positive: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()
    weights: tuple[Decimal, ...] = ()
    row: int = 0


@dataclass(frozen=True, slots=True)
class Form:
    form_id: str
    version: str
    title: str
    default_language: str
    languages: tuple[str, ...]
    items: tuple[Item, ...]
    choices: Mapping[str, tuple[Choice, ...]]
    settings: Texts
    indices: tuple[IndexDefinition, ...] = ()
    stratum_question: str | None = None
    _by_name: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    repeats: Mapping[str, Repeat] = field(default_factory=lambda: MappingProxyType({}))

    def index_of(self, name: str) -> int:
        return self._by_name[name]

    def item(self, name: str) -> Item:
        return self.items[self._by_name[name]]

    def has_item(self, name: str) -> bool:
        return name in self._by_name

    def choices_of(self, item: Item) -> tuple[Choice, ...]:
        return self.choices.get(item.choice_list or "", ())

    def strata(self) -> tuple[Choice, ...]:
        """The stratum question's choices that are strata: all but those marked
        ``cati::outside`` on the choices sheet (the township question's 不住在本县, which ends the
        interview as out of the survey's area and is no township to sample, report or rank)."""
        if not self.stratum_question or not self.has_item(self.stratum_question):
            return ()
        return tuple(choice for choice in self.choices_of(self.item(self.stratum_question))
                     if choice.attributes.get(OUTSIDE_COLUMN, "").strip().lower()
                     not in ("yes", "true", "1"))

    def text(self, texts: Texts, language: str | None = None) -> str:
        """The text in ``language``, falling back to the form's default language, then any."""
        for key in (language, self.default_language, DEFAULT_LANGUAGE):
            if key and texts.get(key):
                return texts[key]
        return next((value for value in texts.values() if value), "")


def build_form(
    *,
    form_id: str,
    version: str,
    title: str,
    default_language: str,
    languages: tuple[str, ...],
    items: list[Item],
    choices: dict[str, tuple[Choice, ...]],
    settings: dict[str, str],
    indices: tuple[IndexDefinition, ...] = (),
    stratum_question: str | None = None,
    repeats: dict[str, Repeat] | None = None,
) -> Form:
    return Form(
        form_id=form_id,
        version=version,
        title=title,
        default_language=default_language,
        languages=languages,
        items=tuple(items),
        choices=MappingProxyType(dict(choices)),
        settings=_frozen(settings),
        indices=indices,
        stratum_question=stratum_question,
        _by_name=MappingProxyType({item.name: i for i, item in enumerate(items)}),
        repeats=MappingProxyType(dict(repeats or {})),
    )


# ${name} in a label or hint: the answer to `name`, piped in.
LABEL_REFERENCE = re.compile(r"\$\{([^}\s]+)\}")


def dependencies(item: Item) -> frozenset[str]:
    """Names whose values decide this item's relevance or calculated value."""
    names: set[str] = set()
    for expression in item.relevance:
        names |= expression.references
    if item.trigger:
        names |= set(item.trigger)  # recomputed when a trigger changes, not when its inputs do
    elif item.calculation is not None and item.kind in ("calculate", "hidden"):
        names |= item.calculation.references
    return frozenset(names)

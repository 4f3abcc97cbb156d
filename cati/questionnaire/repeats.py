"""Repeats: how a ``begin repeat`` range is read from the survey sheet, and how its answers are
keyed.

An answer inside a repeat is stored under its instance key: the repeats around the item with
their instance numbers (from 1), then the item's name, ``adults[2]/name`` or
``household[1]/adults[3]/age``. ``[`` and ``/`` are not allowed in an XLSForm name, so a key
never collides with a plain name, and an answer outside any repeat keeps its plain name: forms
without repeats store exactly what they stored before. The keys sort into instances with
:func:`parse_key`, which is how the export builds one long table per repeat.

A repeat without ``repeat_count`` gets one more item at the end of its range: a required yes/no
question named ``<repeat>@more`` ("add another?"), asked after each instance as ODK Collect asks.
Its answers are stored like any other (so resuming knows how many instances there were) and are
left out of the final answers and the export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cati.questionnaire import xpath
from cati.questionnaire.model import Choice, Item, Repeat, _frozen

REPEAT_BEGIN = frozenset({"begin repeat", "begin_repeat"})
REPEAT_END = frozenset({"end repeat", "end_repeat"})
COUNT_COLUMNS = ("repeat_count", "jr:count")
MORE_SUFFIX = "@more"
MORE_CHOICES = "cati@more"
MORE_YES = "yes"
# A bound on the instances of one repeat, so that a repeat_count typed as 1e9 or an "add
# another?" answered yes by a held key cannot grow an interview without end.
MAX_INSTANCES = 99

_STEP = re.compile(r"([^/\[\]]+)\[([1-9][0-9]*)\]")


def more_choices() -> tuple[Choice, ...]:
    return (Choice(MORE_YES, _frozen({"default": "是 Yes"})),
            Choice("no", _frozen({"default": "否 No"})))


def is_more_item(item: Item) -> bool:
    return item.name.endswith(MORE_SUFFIX)


def instance_key(item: Item, instance: tuple[int, ...]) -> str:
    """Where ``item``'s answer in ``instance`` (one number per repeat around it) is stored."""
    if not item.repeats:
        return item.name
    steps = "/".join(f"{name}[{number}]" for name, number in zip(item.repeats, instance,
                                                                  strict=True))
    return f"{steps}/{item.name}"


@dataclass(frozen=True, slots=True)
class Key:
    name: str  # the item's name
    repeats: tuple[str, ...]  # the repeats around it, outermost first
    instance: tuple[int, ...]  # one number (from 1) per repeat


def parse_key(key: str) -> Key | None:
    """The parts of an answer key; None when it is not a well-formed key."""
    *steps, name = key.split("/")
    repeats, instance = [], []
    for step in steps:
        match = _STEP.fullmatch(step)
        if match is None:
            return None
        repeats.append(match.group(1))
        instance.append(int(match.group(2)))
    if not name or "[" in name:
        return None
    return Key(name, tuple(repeats), tuple(instance))


# -- reading the survey sheet (called by the loader's compiler) -------------------------------

@dataclass
class OpenRepeat:
    name: str
    row: int
    labels: dict[str, str]
    count: xpath.Expression | None
    relevance: tuple[xpath.Expression, ...]
    start: int
    depth: int  # the loader's group stack depth once this repeat is on it
    parent: str | None


def begin_repeat(compiler, row_number: int, cell, groups: list) -> None:
    """A ``begin repeat`` row: open the range (the loader's group stack carries its relevance
    to the items inside, as for a group)."""
    name = compiler._name(row_number, cell)
    relevant = compiler._expression(row_number, cell.plain, "relevant")
    count = None
    for column in COUNT_COLUMNS:
        if cell.plain.get(column, "").strip():
            count = compiler._expression(row_number, cell.plain, column)
            break
    groups.append((name, relevant, row_number))
    if name:
        if name in compiler.item_rows:
            compiler.error("survey", row_number,
                           f"the name '{name}' is already used on row {compiler.item_rows[name]}",
                           "name")
        compiler.item_rows[name] = row_number
    compiler._note_languages(cell.texts)
    stack = compiler.__dict__.setdefault("open_repeats", [])
    relevance = tuple(expr for _, expr, _ in groups if expr is not None)
    stack.append(OpenRepeat(name or f"repeat{row_number}", row_number,
                            dict(cell.texts.get("label", {})), count, relevance,
                            len(compiler.items), len(groups), stack[-1].name if stack else None))


def end_repeat(compiler, row_number: int, groups: list) -> None:
    """An ``end repeat`` row: close the innermost repeat, adding its "add another?" question
    when it has no repeat_count."""
    stack: list[OpenRepeat] = compiler.__dict__.setdefault("open_repeats", [])
    if not stack or stack[-1].depth != len(groups):
        compiler.error("survey", row_number, "'end repeat' without a 'begin repeat'", "type")
        return
    opened = stack.pop()
    more_name = None
    if opened.count is None:
        more_name = opened.name + MORE_SUFFIX
        label = next((text for text in opened.labels.values() if text), opened.name)
        compiler.choices.setdefault(MORE_CHOICES, more_choices())
        compiler.items.append(Item(
            name=more_name, kind="select_one", row=row_number,
            labels=_frozen({"default": f"还有下一个“{label}”吗？ Add another “{label}”?"}),
            relevance=opened.relevance, required=xpath.parse("true()"),
            choice_list=MORE_CHOICES, groups=tuple(name for name, _, _ in groups),
            repeats=(*current_repeats(compiler), opened.name)))
    groups.pop()
    repeats = compiler.__dict__.setdefault("repeats", {})
    repeats[opened.name] = Repeat(
        name=opened.name, row=opened.row, labels=_frozen(opened.labels), start=opened.start,
        end=len(compiler.items), count=opened.count, relevance=opened.relevance,
        parent=opened.parent, more_item=more_name)


def closes_repeat(compiler, groups: list) -> str | None:
    """The repeat an ``end group`` row would close (an error), else None."""
    stack: list[OpenRepeat] = compiler.__dict__.get("open_repeats", [])
    if stack and stack[-1].depth == len(groups):
        return stack[-1].name
    return None


def current_repeats(compiler) -> tuple[str, ...]:
    """The repeats open at this row of the survey sheet, outermost first."""
    return tuple(opened.name for opened in compiler.__dict__.get("open_repeats", []))


def compiled_repeats(compiler) -> dict[str, Repeat]:
    return dict(compiler.__dict__.get("repeats", {}))


def item_for_key(form, key: str) -> Item | None:
    """The item an answer key stores (a plain name, or an instance key whose repeats are the
    item's own), else None."""
    parsed = parse_key(key)
    if parsed is None or not form.has_item(parsed.name):
        return None
    item = form.item(parsed.name)
    return item if item.repeats == parsed.repeats else None


KEY_CHARS = 128  # answers.question holds at most this many characters


def check_key_lengths(compiler) -> None:
    """Refuse a question whose instance key could outgrow the answers table's question column
    (its name and its repeats' names, with instance numbers up to MAX_INSTANCES)."""
    for item in compiler.items:
        if item.repeats:
            longest = instance_key(item, (MAX_INSTANCES,) * len(item.repeats))
            if len(longest) > KEY_CHARS:
                compiler.error("survey", item.row,
                               f"'{item.name}' inside repeat '{item.repeats[-1]}' makes answer "
                               f"keys such as '{longest}' longer than {KEY_CHARS} characters: "
                               "use shorter names", "name")

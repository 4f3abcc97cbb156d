"""The interview engine: pure, one interview at a time, no database, no Qt, no wall clock.

The engine walks the form's flat item list. An item is presented when it is a note or a question
and all its relevance expressions hold; calculations are evaluated lazily and cached, and a change
of an answer invalidates exactly the items that depend on it (computed once per form), so an
advance costs a handful of expression evaluations, not a pass over the whole form.

Answers are strings keyed by item name (select_multiple: space-separated choice names). An item
that is not relevant reads as '' in expressions, as ODK does, and its stored answer is kept (so
going back and forth loses nothing) but dropped from :meth:`InterviewEngine.final_answers`.

A form reads the case it is asked of through hidden or calculate rows with a ``cati::case_data``
column naming a case attribute: the engine is given the case's attributes (``case_data``) and
such a row takes that value (else its own default or calculation, which is all ODK sees), so a
label pipes the case's data with ``${row}`` like any answer and the form stays an XLSForm
pyxform converts. The value is stored with the answers, so the interview records what was read.

``context`` is what the interview knows before its first question (the mode, project settings
such as the centre's name): a ``hidden`` item without a calculation whose name is a key of the
context takes that value (and it is saved with the answers, so the record shows what the
respondent was shown). It is the one way facts from outside the answers reach a form; labels pipe
them like any item (``${centre_name}``).

Repeats: a position in the interview is a step, the item's index and its instance (one number
per repeat around it, from 1), and its answer is stored under the instance key
(:mod:`cati.questionnaire.repeats`). The walk goes through a repeat's range once per instance:
``repeat_count`` instances, or, without it, one and then another for every "yes" to the "add
another?" question that closes the range. ``${x}`` follows pyxform's relative references: inside
a repeat it is the same instance's x; a question inside a repeat seen from outside it is every
instance's (a node-set, for count(), sum(), max(), join()). In a form with repeats, a change of
an answer drops every cached relevance and calculation (an instance's answer can change any
other instance's values); forms without repeats keep the exact invalidation.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cati.errors import CatiError
from cati.questionnaire import xpath
from cati.questionnaire.graph import dependents_closure
from cati.questionnaire.model import (
    LABEL_REFERENCE,
    SILENT_KINDS,
    Choice,
    Form,
    Item,
    Repeat,
    dependencies,
)
from cati.questionnaire.repeats import (
    MAX_INSTANCES,
    MORE_YES,
    instance_key,
    is_more_item,
    parse_key,
)
from cati.questionnaire.values import as_answer_text, message, normalise
from cati.questionnaire.xpath.values import NodeSet

COMPLETE_DISPOSITION = "1.1"

Step = tuple[int, tuple[int, ...]]  # (item index, instance: one number per repeat around it)

Clock = Callable[[], dt.datetime]


class ExpressionFailure(CatiError):
    """An expression of the form failed while the interview ran (a form bug, shown in words)."""

    def __init__(self, item: Item, column: str, error: Exception) -> None:
        self.item = item
        self.column = column
        super().__init__(f"survey:{item.row}: {column}: {error}")


@dataclass(frozen=True, slots=True)
class Outcome:
    state: str  # in_progress | complete | screened_out
    disposition: str | None = None


IN_PROGRESS = Outcome("in_progress")


@dataclass(frozen=True, slots=True)
class Presented:
    """What the interviewer sees for the current item, in the current language."""

    item: Item
    label: str
    hint: str
    choices: tuple[Choice, ...]
    value: str | None  # the stored answer, else the default, else None
    required: bool
    position: int  # index in the path
    read_only: bool = False  # the readonly column (yes, or an expression that holds now)
    key: str = ""  # where the answer is stored: the name, or its instance key (adults[2]/name)
    instance: tuple[int, ...] = ()  # one number per repeat around the item, from 1


def case_values(attributes: Mapping[str, object] | None) -> dict[str, str]:
    """A case's attributes as the engine's ``case_data``: texts and numbers as text; lists,
    objects and empty values left out (a label can only pipe a text)."""
    values: dict[str, str] = {}
    for key, value in (attributes or {}).items():
        if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
            continue
        if isinstance(value, (str, int, float)):
            values[str(key)] = str(value)
    return values


class _Plan:
    """Per-form facts the engine needs, computed once and shared by every interview."""

    def __init__(self, form: Form) -> None:
        graph = {item.name: dependencies(item) for item in form.items}
        self.dependents = dependents_closure(graph)
        self.silent_items = tuple(item for item in form.items if item.kind in SILENT_KINDS)
        self.triggered: dict[str, tuple[Item, ...]] = _triggered_by(form)


def _triggered_by(form: Form) -> dict[str, tuple[Item, ...]]:
    """Question name -> the items whose ``trigger`` names it."""
    found: dict[str, list[Item]] = {}
    for item in form.items:
        for name in item.trigger:
            found.setdefault(name, []).append(item)
    return {name: tuple(items) for name, items in found.items()}


_PLANS: dict[int, tuple[Form, _Plan]] = {}


def _plan_for(form: Form) -> _Plan:
    cached = _PLANS.get(id(form))
    if cached is None or cached[0] is not form:
        if len(_PLANS) > 64:
            _PLANS.clear()
        cached = (form, _Plan(form))
        _PLANS[id(form)] = cached
    return cached[1]


class _Context:
    """The engine seen from an expression (cati.questionnaire.xpath.EvalContext)."""

    def __init__(self, engine: InterviewEngine) -> None:
        self._engine = engine
        self.current_value = ""
        self.rng = random.Random(engine.seed)
        # The instance being evaluated in, and the names of the repeats it numbers.
        self.instance: tuple[int, ...] = ()
        self.chain: tuple[str, ...] = ()

    @property
    def now(self) -> dt.datetime:
        return self._engine.clock()

    def value_of(self, name: str) -> str:
        return self._engine._value_in(name, self.instance, self.chain)

    def choice_label(self, name: str, choice_value: str) -> str:
        form = self._engine.form
        if not form.has_item(name):
            return ""
        for choice in form.choices_of(form.item(name)):
            if choice.name == choice_value:
                return form.text(choice.labels, self._engine.language)
        return ""

    def once_value(self) -> str:
        return self.current_value


class _RepeatContext(_Context):
    """The context of a form with repeats: names resolve to node-sets across instances, and
    position() and indexed-repeat() work."""

    def nodes_of(self, name: str) -> NodeSet | None:
        return self._engine._nodes_in(name, self.instance, self.chain)

    def position(self) -> int:
        return self.instance[-1] if self.instance else 0

    def indexed_value(self, name: str, numbers: list[tuple[str, int]]) -> str:
        return self._engine._indexed_value(name, numbers, self.instance, self.chain)


class InterviewEngine:
    """One interview's walk through a form. Create with :meth:`start` or :meth:`resume`."""

    def __init__(self, form: Form, *, seed: int, clock: Clock, language: str | None = None,
                 answers: Mapping[str, str] | None = None,
                 case_data: Mapping[str, str] | None = None,
                 context: Mapping[str, str] | None = None) -> None:
        self.form = form
        # The case's attributes (the sample's columns, or what create_follow_up wrote): rows
        # with cati::case_data take their value from here, so labels pipe them with ${…}.
        self.case_data: Mapping[str, str] = dict(case_data or {})
        self.context: dict[str, str] = dict(context or {})
        self.seed = seed
        self.clock = clock
        self.language = language or form.default_language
        self.answers: dict[str, str] = dict(answers or {})
        self.trail: list[Step] = []  # the presented steps, in order
        self.cursor = 0
        self.outcome = IN_PROGRESS
        self._plan = _plan_for(form)
        self._has_repeats = bool(form.repeats)
        self._context = _RepeatContext(self) if self._has_repeats else _Context(self)
        self._relevant: dict[str, bool] = {}
        self._computed: dict[str, str] = {}
        self._counts: dict[tuple[str, tuple[int, ...]], int] = {}
        self._changed: set[str] = set()

    # -- creating ---------------------------------------------------------------------------
    @classmethod
    def start(cls, form: Form, *, seed: int, clock: Clock, language: str | None = None,
              case_data: Mapping[str, str] | None = None,
              context: Mapping[str, str] | None = None):
        engine = cls(form, seed=seed, clock=clock, language=language, case_data=case_data,
                     context=context)
        engine._advance_from(None)
        return engine

    @classmethod
    def resume(cls, form: Form, answers: Mapping[str, str], *, seed: int, clock: Clock,
               language: str | None = None, at: str | None = None,
               case_data: Mapping[str, str] | None = None,
               context: Mapping[str, str] | None = None):
        """Rebuild an interview from stored answers: replay them, stop at the first question
        without a (valid) stored answer, then go back to ``at`` if it was presented."""
        engine = cls(form, seed=seed, clock=clock, language=language, answers=answers,
                     case_data=case_data, context=context)
        engine._advance_from(None)
        while engine.outcome == IN_PROGRESS and (current := engine.current_item) is not None:
            stored = engine.answers.get(engine.current_key or "")
            if current.is_question and stored is None:
                break
            if engine.answer(stored if current.is_question else None) is not None:
                break
        if at is not None:
            engine.jump(at)
        engine._changed.clear()
        # A context value the stored answers do not hold yet (a fresh interview resumed, a
        # phone interview continued on the web) is still to be saved.
        for name, value in engine.context.items():
            if (form.has_item(name) and form.item(name).kind == "hidden"
                    and answers.get(name) != value and engine.answers.get(name) == value):
                engine._changed.add(name)
        return engine

    # -- reading ----------------------------------------------------------------------------
    @property
    def current_item(self) -> Item | None:
        if self.cursor < len(self.trail):
            return self.form.items[self.trail[self.cursor][0]]
        return None

    @property
    def current_key(self) -> str | None:
        """Where the current item's answer is stored: its name, or its instance key."""
        if self.cursor < len(self.trail):
            return self._key(self.trail[self.cursor])
        return None

    @property
    def current_instance(self) -> tuple[int, ...]:
        return self.trail[self.cursor][1] if self.cursor < len(self.trail) else ()

    @property
    def path(self) -> list[str]:
        """Keys of every item presented so far, in order (names, outside repeats)."""
        return [self._key(step) for step in self.trail]

    def item_of(self, key: str) -> Item:
        """The item a key (a name or an instance key) stores."""
        parsed = parse_key(key)
        return self.form.item(parsed.name if parsed is not None else key)

    @property
    def finished(self) -> bool:
        return self.outcome != IN_PROGRESS

    def current(self) -> Presented | None:
        item = self.current_item
        if item is None:
            return None
        form = self.form
        key = self.current_key or item.name
        value = self.answers.get(key)
        if value is None and item.default is not None:
            value = item.default
        read_only = self.is_read_only(item)
        if read_only and item.calculation is not None and not item.trigger:
            value = self._evaluate_string(item, item.calculation, "calculation")
        return Presented(
            item=item,
            label=self._pipe(form.text(item.labels, self.language), item),
            hint=self._pipe(form.text(item.hints, self.language), item),
            choices=self.offered_choices(item),
            value=value,
            required=self._is_required(item),
            position=self.cursor,
            read_only=read_only,
            key=key,
            instance=self.current_instance,
        )

    def value_of(self, name: str) -> str:
        """The value of ``name`` as expressions at the current item see it ('' when not
        relevant or unanswered); ``name`` may also be an instance key."""
        parsed = parse_key(name)
        if parsed is not None and parsed.repeats:
            return self._value_at(self.form.item(parsed.name), parsed.instance)
        if not self._has_repeats:
            return self._value_at(self.form.item(name), ())
        step = self.trail[self.cursor] if self.cursor < len(self.trail) else None
        chain = self.form.items[step[0]].repeats if step is not None else ()
        return self._value_in(name, step[1] if step is not None else (), chain)

    def is_relevant(self, item: Item, instance: tuple[int, ...] | None = None) -> bool:
        """Whether ``item`` is asked, in ``instance`` (default: the current item's, or the
        first, for the repeats the current item is not in)."""
        if instance is None:
            instance = self._default_instance(item)
        key = instance_key(item, instance) if item.repeats else item.name
        cached = self._relevant.get(key)
        if cached is None:
            cached = all(self._evaluate_bool(item, expression, "relevant", "", instance)
                         for expression in item.relevance)
            self._relevant[key] = cached
        return cached

    def steps_ahead(self):
        """(item, instance) for every item after the current one in interview order, asked or
        not (the progress estimate): a repeat's later instances included, as many as its
        repeat_count or its "add another?" answers give now."""
        if self.cursor >= len(self.trail):
            return
        for index, instance in self._steps_after(self.trail[self.cursor]):
            yield self.form.items[index], instance

    def instance_caption(self, key: str | None = None) -> str:
        """Which instance a key (default: the current item's) is in, as the side list shows
        it: the repeat's label, the instance number and how many there are now ("成员 2 / 3"),
        outer repeats first ("住所 1 / 2 · 住户 2 / 2"); '' outside repeats."""
        key = self.current_key if key is None else key
        parsed = parse_key(key or "")
        if parsed is None or not parsed.repeats:
            return ""
        parts = []
        for depth, (repeat, number) in enumerate(zip(parsed.repeats, parsed.instance,
                                                     strict=True)):
            definition = self.form.repeats.get(repeat)
            if definition is None:
                return ""
            label = self.form.text(definition.labels, self.language) or repeat
            total = self.instance_count(repeat, parsed.instance[:depth])
            parts.append(f"{label} {number} / {max(total, number)}")
        return " · ".join(parts)

    def instance_count(self, repeat: str, outer: tuple[int, ...] = ()) -> int:
        """How many instances repeat ``repeat`` has (inside instance ``outer`` of the repeats
        around it): its repeat_count, or one plus the "yes" answers to "add another?"."""
        definition = self.form.repeats[repeat]
        cache_key = (repeat, outer)
        cached = self._counts.get(cache_key)
        if cached is not None:
            return cached
        self._counts[cache_key] = 0  # a count that reads itself sees no instances
        chain = self._chain_of(definition)[:-1]
        count = 0
        if all(self._evaluate_repeat(definition, expression, outer, chain)
               for expression in definition.relevance):
            if definition.count is not None:
                number = xpath.to_number(self._evaluate_repeat(definition, definition.count,
                                                               outer, chain, as_bool=False))
                count = int(number) if number == number and number > 0 else 0
            else:
                more = self.form.item(definition.more_item or "")
                count = 1
                while (count < MAX_INSTANCES and self.answers.get(
                        instance_key(more, (*outer, count))) == MORE_YES):
                    count += 1
        count = min(count, MAX_INSTANCES)
        self._counts[cache_key] = count
        return count

    def offered_choices(self, item: Item) -> tuple[Choice, ...]:
        choices = self.form.choices_of(item)
        if item.choice_filter is not None:
            choices = tuple(c for c in choices if self._choice_passes(item, c))
        if item.randomize:
            shuffled = list(choices)
            random.Random(f"{self.seed}:{item.name}").shuffle(shuffled)
            choices = tuple(shuffled)
        return choices

    def final_answers(self) -> dict[str, str]:
        """Every relevant answered question and every relevant calculation, in form order
        (inside a repeat: instance by instance, under instance keys; the "add another?"
        answers left out)."""
        if self._has_repeats:
            return self._final_answers_with_repeats()
        result = {}
        for item in self.form.items:
            if item.kind == "note" or not self.is_relevant(item):
                continue
            if item.kind in SILENT_KINDS:
                result[item.name] = self._computed_value(item)
            elif item.name in self.answers:
                result[item.name] = self.answers[item.name]
        return result

    def _final_answers_with_repeats(self) -> dict[str, str]:
        result = {}
        for index, instance in self._steps_after(None):
            item = self.form.items[index]
            if item.kind == "note" or is_more_item(item) or not self.is_relevant(item, instance):
                continue
            key = instance_key(item, instance)
            if item.kind in SILENT_KINDS:
                result[key] = self._computed_value(item, instance)
            elif key in self.answers:
                result[key] = self.answers[key]
        return result

    def take_changes(self) -> dict[str, str]:
        """Answers and calculated values changed since the last call (for saving them)."""
        if self._has_repeats:
            for index, instance in self._steps_after(None):
                item = self.form.items[index]
                if item.kind in SILENT_KINDS and self.is_relevant(item, instance):
                    self._computed_value(item, instance)
        else:
            for item in self._plan.silent_items:
                if self.is_relevant(item):
                    self._computed_value(item)
        changed = {name: self.answers.get(name, "") for name in sorted(self._changed)}
        self._changed.clear()
        return changed

    # -- acting -----------------------------------------------------------------------------
    def validate(self, value: object) -> tuple[str, str | None]:
        """(normalised answer, error message or None) for the current item; changes nothing."""
        item = self.current_item
        if item is None or not item.is_question:
            return "", None
        text = as_answer_text(value)
        if text.strip() == "":
            if self._is_required(item):
                return "", self._message(item.required_messages, "required")
            return "", None
        text, error = normalise(item.kind, text, self.offered_choices(item))
        if error:
            return text, message(error, self.language)
        if item.constraint is not None and not self._evaluate_bool(
                item, item.constraint, "constraint", text):
            return text, self._message(item.constraint_messages, "constraint")
        return text, None

    def answer(self, value: object = None) -> str | None:
        """Answer the current item and move on. Returns an error message, or None on success.

        A note takes no value. Answering a screen-out row, or after the end, does nothing.
        """
        item = self.current_item
        if item is None or self.finished:
            return None
        if item.is_question and not self.is_read_only(item):
            text, error = self.validate(value)
            if error:
                return error
            self._store(self.current_key or item.name, text)
        del self.trail[self.cursor + 1:]
        self._advance_from(self.trail[self.cursor])
        return None

    def answer_and_return(self, value: object = None) -> str | None:
        """Answer the current item, then go on to where the interview had got to: through the
        items presented after this one before, as long as each keeps a valid stored answer (a
        note, its place). It stops at the furthest item reached, at an item not presented
        before (a question the change made relevant, a new end), at a stored answer the change
        made invalid, and at an end. Returns an error message for the current answer, or None.
        """
        later = self.trail[self.cursor + 1:]
        furthest = later[-1] if later else None
        error = self.answer(value)
        if error is not None or furthest is None:
            return error
        seen = set(later)
        while self.outcome == IN_PROGRESS and self.cursor < len(self.trail):
            step = self.trail[self.cursor]
            current = self.form.items[step[0]]
            if step == furthest or step not in seen:
                break
            stored = self.answers.get(self._key(step))
            if current.is_question and not self.is_read_only(current) and stored is None:
                break
            if self.answer(stored if current.is_question else None) is not None:
                break
        return None

    def back(self) -> bool:
        """Go to the previous presented item; later answers stay and are re-checked going on."""
        if self.cursor == 0:
            return False
        self.cursor -= 1
        self.outcome = IN_PROGRESS
        return True

    def jump(self, name: str) -> bool:
        """Go to an item presented earlier in this interview: by its key (``adults[2]/age``),
        or by its name (its first instance presented)."""
        keys = self.path
        if name in keys:
            position = keys.index(name)
        else:
            names = [self.form.items[index].name for index, _ in self.trail]
            if name not in names:
                return False
            position = names.index(name)
        self.cursor = position
        self.outcome = IN_PROGRESS
        return True

    def set_language(self, language: str) -> None:
        self.language = language

    # -- inside -----------------------------------------------------------------------------
    def _advance_from(self, step: Step | None) -> None:
        items = self.form.items
        for position, instance in self._steps_after(step):
            item = items[position]
            if not item.presented or not self.is_relevant(item, instance):
                continue
            self.trail.append((position, instance))
            self.cursor = len(self.trail) - 1
            if item.is_screen_out:
                self.outcome = Outcome("screened_out", item.disposition)
            else:
                self.outcome = IN_PROGRESS
            return
        self.cursor = len(self.trail)
        self.outcome = Outcome("complete", COMPLETE_DISPOSITION)

    def _key(self, step: Step) -> str:
        item = self.form.items[step[0]]
        return instance_key(item, step[1]) if item.repeats else item.name

    def _steps_after(self, step: Step | None):
        """Every step after ``step`` (None: from the start) in interview order, whether asked
        or not: a repeat's range once per instance, none when it has no instance."""
        form, items = self.form, self.form.items
        if step is None:
            position, instance, open_repeats = 0, (), []
        else:
            position, instance = step[0] + 1, step[1]
            open_repeats = list(items[step[0]].repeats)
        while True:
            if open_repeats:
                repeat = form.repeats[open_repeats[-1]]
                if position >= repeat.end:
                    outer = instance[:-1]
                    if instance[-1] < self.instance_count(repeat.name, outer):
                        instance, position = (*outer, instance[-1] + 1), repeat.start
                    else:
                        open_repeats.pop()
                        instance, position = outer, repeat.end
                    continue
            if position >= len(items):
                return
            item = items[position]
            if len(item.repeats) > len(open_repeats):
                repeat = form.repeats[item.repeats[len(open_repeats)]]
                if self.instance_count(repeat.name, instance) >= 1:
                    open_repeats.append(repeat.name)
                    instance = (*instance, 1)
                else:
                    position = repeat.end
                continue
            yield position, instance
            position += 1

    def _chain_of(self, repeat: Repeat) -> tuple[str, ...]:
        chain = [repeat.name]
        while (parent := self.form.repeats[chain[0]].parent) is not None:
            chain.insert(0, parent)
        return tuple(chain)

    def _default_instance(self, item: Item) -> tuple[int, ...]:
        if not item.repeats:
            return ()
        step = self.trail[self.cursor] if self.cursor < len(self.trail) else None
        here = step[1] if step is not None else ()
        chain = self.form.items[step[0]].repeats if step is not None else ()
        shared = _shared(item.repeats, chain)
        return (*here[:shared], *(1,) * (len(item.repeats) - shared))

    def _value_in(self, name: str, instance: tuple[int, ...], chain: tuple[str, ...]) -> str:
        """``${name}`` as an expression in ``instance`` (of the repeats ``chain``) reads it."""
        form = self.form
        if not form.has_item(name):
            return ""  # a repeat's own name: its nodes hold no text
        item = form.item(name)
        if not item.repeats:
            return self._value_at(item, ())
        shared = _shared(item.repeats, chain)
        if shared == len(item.repeats):
            return self._value_at(item, instance[:shared])
        nodes = self._nodes_in(name, instance, chain)
        return nodes.values[0] if nodes is not None and nodes.values else ""

    def _value_at(self, item: Item, instance: tuple[int, ...]) -> str:
        if not self.is_relevant(item, instance):
            return ""
        if item.kind in SILENT_KINDS:
            return self._computed_value(item, instance)
        return self.answers.get(instance_key(item, instance) if item.repeats else item.name, "")

    def _nodes_in(self, name: str, instance: tuple[int, ...],
                  chain: tuple[str, ...]) -> NodeSet | None:
        """Every instance's value of ``name`` seen from ``instance`` (pyxform's relative
        references: the repeats shared with ``chain`` stay in this instance, the others range
        over all theirs); None when that is one value."""
        form = self.form
        if form.has_item(name):
            item = form.item(name)
            repeats = item.repeats
        elif name in form.repeats:
            item, repeats = None, self._chain_of(form.repeats[name])
        else:
            return None
        shared = _shared(repeats, chain)
        if shared == len(repeats):
            if item is None:
                return NodeSet(("",), (name,))
            return None
        instances = [tuple(instance[:shared])]
        for repeat in repeats[shared:]:
            instances = [(*outer, number) for outer in instances
                         for number in range(1, self.instance_count(repeat, outer) + 1)]
        if item is None:
            keys = tuple("/".join(f"{r}[{n}]" for r, n in zip(repeats, found, strict=True))
                         for found in instances)
            return NodeSet(("",) * len(keys), keys)
        return NodeSet(tuple(self._value_at(item, found) for found in instances),
                       tuple(instance_key(item, found) for found in instances))

    def _indexed_value(self, name: str, numbers: list[tuple[str, int]],
                       instance: tuple[int, ...], chain: tuple[str, ...]) -> str:
        form = self.form
        if not form.has_item(name):
            return ""
        item = form.item(name)
        given = dict(numbers)
        shared = _shared(item.repeats, chain)
        wanted: list[int] = []
        for level, repeat in enumerate(item.repeats):
            if repeat in given:
                number = given[repeat]
            elif level < shared:
                number = instance[level]
            else:
                number = 1
            if not 1 <= number <= self.instance_count(repeat, tuple(wanted)):
                return ""
            wanted.append(number)
        return self._value_at(item, tuple(wanted))

    def _evaluate_repeat(self, repeat: Repeat, expression: xpath.Expression,
                         outer: tuple[int, ...], chain: tuple[str, ...], as_bool: bool = True):
        context = self._context
        saved = context.instance, context.chain, context.current_value
        context.instance, context.chain, context.current_value = outer, chain, ""
        try:
            if as_bool:
                return expression.evaluate_bool(context)
            return expression.evaluate(context)
        except xpath.ExpressionError as exc:
            column = "relevant" if as_bool else "repeat_count"
            raise ExpressionFailure(_repeat_row(repeat), column, exc) from None
        finally:
            context.instance, context.chain, context.current_value = saved

    def _store(self, name: str, text: str) -> None:
        if self.answers.get(name) == text:
            return
        self.answers[name] = text
        self._changed.add(name)
        if self._has_repeats:
            self._relevant.clear()
            self._computed.clear()
            self._counts.clear()
        else:
            for dependent in self._plan.dependents.get(name, ()):
                self._relevant.pop(dependent, None)
                self._computed.pop(dependent, None)
        if name in self._plan.triggered:
            self._fire_triggers(name)

    def _computed_value(self, item: Item, instance: tuple[int, ...] = ()) -> str:
        key = instance_key(item, instance) if item.repeats else item.name
        cached = self._computed.get(key)
        if cached is None:
            if item.case_data is not None and item.case_data in self.case_data:
                cached = self.case_data[item.case_data]
            elif item.trigger:
                cached = self.answers.get(item.name, item.default or "")
            elif item.calculation is not None:
                cached = self._evaluate_string(item, item.calculation, "calculation",
                                               self.answers.get(key, ""), instance)
            elif item.kind == "hidden" and item.name in self.context:
                cached = self.context[item.name]
            else:
                cached = self.answers.get(key, item.default or "")
            self._computed[key] = cached
            if self.answers.get(key) != cached:
                self.answers[key] = cached  # kept, so that once() keeps its first value
                self._changed.add(key)
        return cached

    def is_read_only(self, item: Item) -> bool:
        """The readonly column: yes, or an expression evaluated against the answers now."""
        if item.read_only:
            return True
        return item.read_only_when is not None and self._evaluate_bool(
            item, item.read_only_when, "read_only", self.answers.get(item.name, ""))

    def _fire_triggers(self, name: str) -> None:
        """ODK's trigger: when ``name``'s answer changes, each item triggered by it takes its
        calculation's value now (empty without one), and keeps it until a trigger changes."""
        for item in self._plan.triggered.get(name, ()):
            value = ""
            if item.calculation is not None:
                value = self._evaluate_string(item, item.calculation, "calculation",
                                              self.answers.get(item.name, ""))
            self._computed.pop(item.name, None)
            self._store(item.name, value)

    def _is_required(self, item: Item) -> bool:
        return item.required is not None and self._evaluate_bool(item, item.required, "required", "")

    def _choice_passes(self, item: Item, choice: Choice) -> bool:
        expression = item.choice_filter
        assert expression is not None
        saved = self._enter(item, None, choice.name)
        context = _ChoiceContext(self._context, choice)
        try:
            return expression.evaluate_bool(context)
        except xpath.ExpressionError as exc:
            raise ExpressionFailure(item, "choice_filter", exc) from None
        finally:
            self._leave(saved)

    def _enter(self, item: Item, instance: tuple[int, ...] | None, current: str):
        """Set the context to evaluate for ``item`` (in ``instance``; None: the current
        item's, see _default_instance); returns what to restore, since one evaluation may
        start another (a calculation read by a relevance)."""
        context = self._context
        saved = (context.instance, context.chain, context.current_value)
        if self._has_repeats:
            context.instance = (self._default_instance(item) if instance is None
                                else instance)
            context.chain = item.repeats
        context.current_value = current
        return saved

    def _leave(self, saved) -> None:
        context = self._context
        context.instance, context.chain, context.current_value = saved

    def _evaluate_bool(self, item: Item, expression: xpath.Expression, column: str,
                       current: str, instance: tuple[int, ...] | None = None) -> bool:
        saved = self._enter(item, instance, current)
        try:
            return expression.evaluate_bool(self._context)
        except xpath.ExpressionError as exc:
            raise ExpressionFailure(item, column, exc) from None
        finally:
            self._leave(saved)

    def _evaluate_string(self, item: Item, expression: xpath.Expression, column: str,
                         current: str = "", instance: tuple[int, ...] | None = None) -> str:
        saved = self._enter(item, instance, current)
        try:
            return expression.evaluate_string(self._context)
        except xpath.ExpressionError as exc:
            raise ExpressionFailure(item, column, exc) from None
        finally:
            self._leave(saved)

    def _message(self, texts: Mapping[str, str], key: str) -> str:
        return self.form.text(texts, self.language) or message(key, self.language)

    def label_of(self, name: str) -> str:
        """An item's label in the interview's language, its ${…} filled in as the question
        shows it (the side list of answered questions); ``name`` may be an instance key."""
        parsed = parse_key(name)
        item = self.form.item(parsed.name if parsed is not None else name)
        instance = parsed.instance if parsed is not None and parsed.repeats else None
        return self._pipe(self.form.text(item.labels, self.language), item, instance)

    def _pipe(self, text: str, item: Item | None = None,
              instance: tuple[int, ...] | None = None) -> str:
        if "${" not in text:
            return text
        if item is None or not self._has_repeats:
            return LABEL_REFERENCE.sub(
                lambda m: self.value_of(m.group(1)) if self.form.has_item(m.group(1))
                else m.group(0), text)
        where = self._default_instance(item) if instance is None else instance
        return LABEL_REFERENCE.sub(
            lambda m: self._value_in(m.group(1), where, item.repeats)
            if self.form.has_item(m.group(1)) else m.group(0), text)


def _shared(first: tuple[str, ...], second: tuple[str, ...]) -> int:
    """How many repeats, from the outermost, two chains have in common."""
    shared = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        shared += 1
    return shared


def _repeat_row(repeat: Repeat) -> Item:
    """An item standing for a repeat's row, for ExpressionFailure's message."""
    return Item(name=repeat.name, kind="note", row=repeat.row)


class _ChoiceContext:
    """A choice_filter sees the interview's answers plus the choice's own columns."""

    def __init__(self, base: _Context, choice: Choice) -> None:
        self._base = base
        self._choice = choice
        self.current_value = choice.name
        self.rng = base.rng

    @property
    def now(self) -> dt.datetime:
        return self._base.now

    def value_of(self, name: str) -> str:
        return self._base.value_of(name)

    def child_value(self, name: str) -> str:
        if name == "name":
            return self._choice.name
        return self._choice.attributes.get(name, "")

    def choice_label(self, name: str, choice_value: str) -> str:
        return self._base.choice_label(name, choice_value)

    def once_value(self) -> str:
        return self.current_value

    def nodes_of(self, name: str) -> NodeSet | None:
        nodes_of = getattr(self._base, "nodes_of", None)
        return nodes_of(name) if nodes_of is not None else None

    def position(self) -> int:
        position = getattr(self._base, "position", None)
        return position() if position is not None else 0

    def indexed_value(self, name: str, numbers: list[tuple[str, int]]) -> str:
        indexed = getattr(self._base, "indexed_value", None)
        return indexed(name, numbers) if indexed is not None else ""

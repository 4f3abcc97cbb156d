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
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cati.errors import CatiError
from cati.questionnaire import xpath
from cati.questionnaire.graph import dependents_closure
from cati.questionnaire.model import LABEL_REFERENCE, SILENT_KINDS, Choice, Form, Item, dependencies
from cati.questionnaire.values import as_answer_text, message, normalise

COMPLETE_DISPOSITION = "1.1"

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

    @property
    def now(self) -> dt.datetime:
        return self._engine.clock()

    def value_of(self, name: str) -> str:
        return self._engine.value_of(name)

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
        self.trail: list[int] = []  # indexes of presented items, in order
        self.cursor = 0
        self.outcome = IN_PROGRESS
        self._plan = _plan_for(form)
        self._context = _Context(self)
        self._relevant: dict[str, bool] = {}
        self._computed: dict[str, str] = {}
        self._changed: set[str] = set()

    # -- creating ---------------------------------------------------------------------------
    @classmethod
    def start(cls, form: Form, *, seed: int, clock: Clock, language: str | None = None,
              case_data: Mapping[str, str] | None = None,
              context: Mapping[str, str] | None = None):
        engine = cls(form, seed=seed, clock=clock, language=language, case_data=case_data,
                     context=context)
        engine._advance_from(-1)
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
        engine._advance_from(-1)
        while engine.outcome == IN_PROGRESS and (current := engine.current_item) is not None:
            stored = engine.answers.get(current.name)
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
            return self.form.items[self.trail[self.cursor]]
        return None

    @property
    def path(self) -> list[str]:
        """Names of every item presented so far, in order."""
        return [self.form.items[index].name for index in self.trail]

    @property
    def finished(self) -> bool:
        return self.outcome != IN_PROGRESS

    def current(self) -> Presented | None:
        item = self.current_item
        if item is None:
            return None
        form = self.form
        value = self.answers.get(item.name)
        if value is None and item.default is not None:
            value = item.default
        read_only = self.is_read_only(item)
        if read_only and item.calculation is not None and not item.trigger:
            value = self._evaluate_string(item, item.calculation, "calculation")
        return Presented(
            item=item,
            label=self._pipe(form.text(item.labels, self.language)),
            hint=self._pipe(form.text(item.hints, self.language)),
            choices=self.offered_choices(item),
            value=value,
            required=self._is_required(item),
            position=self.cursor,
            read_only=read_only,
        )

    def value_of(self, name: str) -> str:
        """The value of ``name`` as expressions see it ('' when not relevant or unanswered)."""
        item = self.form.item(name)
        if not self.is_relevant(item):
            return ""
        if item.kind in SILENT_KINDS:
            return self._computed_value(item)
        return self.answers.get(name, "")

    def is_relevant(self, item: Item) -> bool:
        cached = self._relevant.get(item.name)
        if cached is None:
            cached = all(self._evaluate_bool(item, expression, "relevant", "")
                         for expression in item.relevance)
            self._relevant[item.name] = cached
        return cached

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
        """Every relevant answered question and every relevant calculation, in form order."""
        result = {}
        for item in self.form.items:
            if item.kind == "note" or not self.is_relevant(item):
                continue
            if item.kind in SILENT_KINDS:
                result[item.name] = self._computed_value(item)
            elif item.name in self.answers:
                result[item.name] = self.answers[item.name]
        return result

    def take_changes(self) -> dict[str, str]:
        """Answers and calculated values changed since the last call (for saving them)."""
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
            self._store(item.name, text)
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
            index = self.trail[self.cursor]
            current = self.form.items[index]
            if index == furthest or index not in seen:
                break
            stored = self.answers.get(current.name)
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
        """Go to an item presented earlier in this interview."""
        if not self.form.has_item(name):
            return False
        index = self.form.index_of(name)
        if index not in self.trail:
            return False
        self.cursor = self.trail.index(index)
        self.outcome = IN_PROGRESS
        return True

    def set_language(self, language: str) -> None:
        self.language = language

    # -- inside -----------------------------------------------------------------------------
    def _advance_from(self, index: int) -> None:
        items = self.form.items
        for position in range(index + 1, len(items)):
            item = items[position]
            if not item.presented or not self.is_relevant(item):
                continue
            self.trail.append(position)
            self.cursor = len(self.trail) - 1
            if item.is_screen_out:
                self.outcome = Outcome("screened_out", item.disposition)
            else:
                self.outcome = IN_PROGRESS
            return
        self.cursor = len(self.trail)
        self.outcome = Outcome("complete", COMPLETE_DISPOSITION)

    def _store(self, name: str, text: str) -> None:
        if self.answers.get(name) == text:
            return
        self.answers[name] = text
        self._changed.add(name)
        for dependent in self._plan.dependents.get(name, ()):
            self._relevant.pop(dependent, None)
            self._computed.pop(dependent, None)
        if name in self._plan.triggered:
            self._fire_triggers(name)

    def _computed_value(self, item: Item) -> str:
        cached = self._computed.get(item.name)
        if cached is None:
            if item.case_data is not None and item.case_data in self.case_data:
                cached = self.case_data[item.case_data]
            elif item.trigger:
                cached = self.answers.get(item.name, item.default or "")
            elif item.calculation is not None:
                cached = self._evaluate_string(item, item.calculation, "calculation",
                                               self.answers.get(item.name, ""))
            elif item.kind == "hidden" and item.name in self.context:
                cached = self.context[item.name]
            else:
                cached = self.answers.get(item.name, item.default or "")
            self._computed[item.name] = cached
            if self.answers.get(item.name) != cached:
                self.answers[item.name] = cached  # kept, so that once() keeps its first value
                self._changed.add(item.name)
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
        context = _ChoiceContext(self._context, choice)
        try:
            return expression.evaluate_bool(context)
        except xpath.ExpressionError as exc:
            raise ExpressionFailure(item, "choice_filter", exc) from None

    def _evaluate_bool(self, item: Item, expression: xpath.Expression, column: str,
                       current: str) -> bool:
        self._context.current_value = current
        try:
            return expression.evaluate_bool(self._context)
        except xpath.ExpressionError as exc:
            raise ExpressionFailure(item, column, exc) from None

    def _evaluate_string(self, item: Item, expression: xpath.Expression, column: str,
                         current: str = "") -> str:
        self._context.current_value = current
        try:
            return expression.evaluate_string(self._context)
        except xpath.ExpressionError as exc:
            raise ExpressionFailure(item, column, exc) from None

    def _message(self, texts: Mapping[str, str], key: str) -> str:
        return self.form.text(texts, self.language) or message(key, self.language)

    def label_of(self, name: str) -> str:
        """An item's label in the interview's language, its ${…} filled in as the question
        shows it (the side list of answered questions)."""
        return self._pipe(self.form.text(self.form.item(name).labels, self.language))

    def _pipe(self, text: str) -> str:
        if "${" not in text:
            return text
        return LABEL_REFERENCE.sub(
            lambda m: self.value_of(m.group(1)) if self.form.has_item(m.group(1)) else m.group(0),
            text)


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

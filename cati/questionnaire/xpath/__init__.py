"""The XLSForm expression language: the subset of XPath 1.0 (with ODK's functions) that forms
use in relevant, required, constraint, calculation, default and choice_filter.

    expression = parse("${age} < 18 and ${other_adult} = '2'")   # once, when the form loads
    expression.evaluate_bool(context)                              # as often as needed

The only paths are ODK's lookups in data files beside the form, ``instance('id')/root/item[
predicate]/column`` and ``pulldata()``; an expression using one is bound to the form's data when
the form loads (:meth:`Expression.bind`). Functions of the ODK list that cati does not run are
refused at parse time as "not supported by cati" (``registry.UNSUPPORTED``), names on no list as
"unknown function".

Values, conversions and comparisons follow XPath 1.0 (section 3.4 of the recommendation); the
deviations, which are JavaRosa's, are listed in :mod:`cati.questionnaire.xpath.values`. Dates
are ISO text and count as days since 1970-01-01 (:mod:`cati.questionnaire.xpath.dates`).

Nothing here reads the wall clock or a global random generator: today(), now(), random() and
uuid() take them from the context.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from typing import Protocol

# The function modules register themselves in the table the parser reads.
from cati.questionnaire.xpath import (  # noqa: F401
    date_functions,
    functions,
    math_functions,
    odk_functions,
    repeat_functions,
)
from cati.questionnaire.xpath.compiler import Evaluator, compile_tree
from cati.questionnaire.xpath.errors import (
    ExpressionError,
    ExpressionEvalError,
    ExpressionSyntaxError,
    bare_name_error,
)
from cati.questionnaire.xpath.instances import Element
from cati.questionnaire.xpath.parser import MAX_DEPTH, parse_tree
from cati.questionnaire.xpath.registry import FUNCTIONS
from cati.questionnaire.xpath.values import (
    DateValue,
    NodeSet,
    Value,
    to_boolean,
    to_number,
    to_string,
)

__all__ = [
    "KNOWN_FUNCTIONS",
    "MAX_DEPTH",
    "DateValue",
    "Element",
    "EvalContext",
    "Expression",
    "ExpressionError",
    "ExpressionEvalError",
    "ExpressionSyntaxError",
    "NodeSet",
    "SimpleContext",
    "Value",
    "parse",
    "to_boolean",
    "to_number",
    "to_string",
]

KNOWN_FUNCTIONS: frozenset[str] = frozenset(FUNCTIONS)


class EvalContext(Protocol):
    """What an expression sees while it is evaluated.

    A context used for a choice_filter may also offer ``child_value(name) -> str``: the value
    of the column ``name`` of the choice being filtered, which a bare name (``county``) reads.
    """

    current_value: str  # what '.' means: the answer being checked
    now: dt.datetime  # aware; today() and now() come from here
    rng: random.Random  # random() and uuid() draw from here

    def value_of(self, name: str) -> str:
        """The stored answer of ${name}; '' when unanswered or not relevant."""

    def choice_label(self, name: str, choice_value: str) -> str:
        """The label of choice ``choice_value`` of question ``name``; '' if unknown."""

    def once_value(self) -> str:
        """For once(): the value already stored for the item being calculated; '' if none."""


class Expression:
    """A parsed expression: immutable, thread-safe and reusable. Build it with :func:`parse`.

    ``references`` holds every ``${name}`` used, also those in the literal second argument of
    jr:choice-name; ``uses_current`` tells whether the value depends on '.' (written out, or
    implied by a bare choice-column name or by string()/number()/… called without arguments);
    ``child_names`` holds the bare names, which only a choice_filter can resolve.
    """

    __slots__ = ("_evaluate", "_instances", "child_names", "instance_ids", "references", "text",
                 "uses_current")

    text: str
    references: frozenset[str]
    uses_current: bool
    child_names: frozenset[str]
    instance_ids: frozenset[str]  # the data files and choice lists it reads (instance(), pulldata())

    def __init__(self, text: str, evaluate: Evaluator, references: frozenset[str],
                 uses_current: bool, child_names: frozenset[str],
                 instance_ids: frozenset[str] = frozenset(),
                 instances: Mapping[str, Element] | None = None) -> None:
        for name, value in (("text", text), ("_evaluate", evaluate), ("references", references),
                            ("uses_current", uses_current), ("child_names", child_names),
                            ("instance_ids", instance_ids), ("_instances", instances)):
            object.__setattr__(self, name, value)

    def bind(self, instances: Mapping[str, Element]) -> Expression:
        """This expression reading its instance('id') paths and pulldata() files from
        ``instances`` (id -> document, see :mod:`cati.questionnaire.xpath.instances`). The
        form's loader binds each expression that reads one, so evaluating needs nothing more
        from the context; the parse cache keeps the unbound one."""
        inner = self._evaluate
        found = {key: instances[key] for key in self.instance_ids if key in instances}

        def evaluate(ctx):
            return inner(_WithInstances(ctx, found))

        return Expression(self.text, evaluate, self.references, self.uses_current,
                          self.child_names, self.instance_ids, found)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("an Expression cannot be changed")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("an Expression cannot be changed")

    def evaluate(self, ctx: EvalContext) -> Value:
        """The raw XPath value: str, float, bool, NodeSet or DateValue."""
        return self._evaluate(ctx)

    def evaluate_bool(self, ctx: EvalContext) -> bool:
        """XPath boolean() of the value: for relevant, required and constraint."""
        return to_boolean(self._evaluate(ctx))

    def evaluate_string(self, ctx: EvalContext) -> str:
        """XPath string() of the value: for calculation, default and label piping."""
        return to_string(self._evaluate(ctx))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __reduce__(self):
        if self._instances is not None:
            return _bound, (self.text, dict(self._instances))
        return parse, (self.text,)


def _bound(text: str, instances: Mapping[str, Element]) -> Expression:
    return parse(text).bind(instances)


class _WithInstances:
    """A context that also offers ``instances``; everything else is the wrapped context's."""

    __slots__ = ("_ctx", "instances")

    def __init__(self, ctx, instances: Mapping[str, Element]) -> None:
        self._ctx = ctx
        self.instances = instances

    def __getattr__(self, name: str):
        return getattr(self._ctx, name)


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Expression:
    """Parse ``text`` once; raise ExpressionSyntaxError (with ``.position``) when it is not a
    valid expression, names an unknown function, gives a function the wrong number of
    arguments, has a literal regex() pattern that does not compile, or nests deeper than
    MAX_DEPTH levels."""
    if not isinstance(text, str):
        raise TypeError(f"parse() takes a str, not {type(text).__name__}")
    parsed = parse_tree(text)
    return Expression(text, compile_tree(parsed.tree), parsed.references, parsed.uses_current,
                      parsed.child_names, parsed.instance_ids)


@dataclass
class SimpleContext:
    """A plain EvalContext, for tests and for checking forms.

    ``choice_labels`` maps a question name to {choice value: label}; ``children`` holds the
    columns of a choice for a choice_filter (None outside one); ``once`` is what once() finds
    stored (None: the current value); ``seed``, when given, replaces ``rng`` with
    ``random.Random(seed)``.
    """

    values: Mapping[str, str] = field(default_factory=dict)
    current_value: str = ""
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    choice_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    children: Mapping[str, str] | None = None
    once: str | None = None
    seed: InitVar[int | None] = None

    def __post_init__(self, seed: int | None) -> None:
        if seed is not None:
            self.rng = random.Random(seed)

    def value_of(self, name: str) -> str:
        value = self.values.get(name)
        return "" if value is None else str(value)

    def choice_label(self, name: str, choice_value: str) -> str:
        return self.choice_labels.get(name, {}).get(choice_value, "")

    def once_value(self) -> str:
        return self.current_value if self.once is None else self.once

    def child_value(self, name: str) -> str:
        if self.children is None:
            raise bare_name_error(name)
        return self.children.get(name, "")

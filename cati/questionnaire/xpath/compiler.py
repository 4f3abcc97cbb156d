"""Turns a syntax tree into nested Python closures, each taking the context, built once per
expression so that evaluating does no dispatch on node types."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cati.questionnaire.xpath.errors import ExpressionEvalError, bare_name_error
from cati.questionnaire.xpath.parser import (
    Call,
    Chain,
    Child,
    Current,
    InstancePath,
    Literal,
    Logical,
    Negate,
    Node,
    Reference,
)
from cati.questionnaire.xpath.patterns import matches
from cati.questionnaire.xpath.registry import CONTEXT, FUNCTIONS, LAZY, NAMES, RefName
from cati.questionnaire.xpath.values import (
    ARITHMETIC,
    COMPARISONS,
    NodeSet,
    Value,
    to_boolean,
    to_number,
    to_string,
)

Evaluator = Callable[[Any], Value]

# What a function's Python code may raise on odd input; it reaches the caller as an
# ExpressionEvalError naming the function.
_PYTHON_ERRORS = (ArithmeticError, ValueError, TypeError, IndexError, KeyError, re.error,
                  RecursionError)


def compile_tree(node: Node) -> Evaluator:
    return _COMPILERS[type(node)](node)


def _literal(node: Literal) -> Evaluator:
    value = node.value
    return lambda ctx: value


def _reference(node: Reference) -> Evaluator:
    name, keys = node.name, (node.name,)

    def evaluate(ctx: Any) -> NodeSet:
        # A context with repeats resolves a name to every instance it stands for (a question
        # inside a repeat seen from outside it); None means one value, as without repeats.
        nodes_of = getattr(ctx, "nodes_of", None)
        if nodes_of is not None and (nodes := nodes_of(name)) is not None:
            return nodes
        return NodeSet((ctx.value_of(name),), keys)

    return evaluate


def _current(node: Current) -> Evaluator:
    keys = (".",)
    return lambda ctx: NodeSet((ctx.current_value,), keys)


def _child(node: Child) -> Evaluator:
    name, keys = node.name, ("@" + node.name,)

    def evaluate(ctx: Any) -> NodeSet:
        child_value = getattr(ctx, "child_value", None)
        if child_value is None:
            raise bare_name_error(name)
        return NodeSet((child_value(name),), keys)

    return evaluate


def _negate(node: Negate) -> Evaluator:
    operand = compile_tree(node.operand)
    return lambda ctx: -to_number(operand(ctx))


def _logical(node: Logical) -> Evaluator:
    operands = tuple(compile_tree(operand) for operand in node.operands)
    if node.operator == "and":
        if len(operands) == 2:
            a, b = operands
            return lambda ctx: to_boolean(a(ctx)) and to_boolean(b(ctx))
        return lambda ctx: all(to_boolean(operand(ctx)) for operand in operands)
    if len(operands) == 2:
        a, b = operands
        return lambda ctx: to_boolean(a(ctx)) or to_boolean(b(ctx))
    return lambda ctx: any(to_boolean(operand(ctx)) for operand in operands)


def _chain(node: Chain) -> Evaluator:
    first = compile_tree(node.first)
    steps = tuple((_binary(operator), compile_tree(operand)) for operator, operand in node.rest)
    if len(steps) == 1:
        (combine, second), = steps
        return lambda ctx: combine(first(ctx), second(ctx))

    def evaluate(ctx: Any) -> Value:
        value = first(ctx)
        for combine, operand in steps:
            value = combine(value, operand(ctx))
        return value

    return evaluate


def _binary(operator: str) -> Callable[[Value, Value], Value]:
    if operator in COMPARISONS:
        return COMPARISONS[operator]
    if operator == "|":
        return _union
    arithmetic = ARITHMETIC[operator]
    return lambda a, b: arithmetic(to_number(a), to_number(b))


def _union(a: Value, b: Value) -> NodeSet:
    if type(a) is not NodeSet or type(b) is not NodeSet:
        raise ExpressionEvalError("'|' joins references only, as in ${a} | ${b}")
    keys, values = list(a.keys), list(a.values)
    for key, value in zip(b.keys, b.values, strict=True):
        if key not in keys:
            keys.append(key)
            values.append(value)
    return NodeSet(tuple(values), tuple(keys))


def _call(node: Call) -> Evaluator:
    function = FUNCTIONS[node.name]
    args = tuple(compile_tree(arg) for arg in node.args)
    impl = function.impl
    if node.pattern is not None:
        pattern, text = node.pattern, args[0]
        return lambda ctx: matches(pattern, to_string(text(ctx)))
    if function.mode == LAZY:
        evaluate = lambda ctx: impl(ctx, *args)  # noqa: E731
    elif function.mode == NAMES:
        named = tuple(RefName(arg.name) if isinstance(arg, Reference) else compiled
                      for arg, compiled in zip(node.args, args, strict=True))
        evaluate = lambda ctx: impl(ctx, *named)  # noqa: E731
    elif function.mode == CONTEXT:
        evaluate = lambda ctx: impl(ctx, *[arg(ctx) for arg in args])  # noqa: E731
    elif len(args) == 1:
        (a,) = args
        evaluate = lambda ctx: impl(a(ctx))  # noqa: E731
    elif len(args) == 2:
        a, b = args
        evaluate = lambda ctx: impl(a(ctx), b(ctx))  # noqa: E731
    else:
        evaluate = lambda ctx: impl(*[arg(ctx) for arg in args])  # noqa: E731
    return _guarded(evaluate, node.name)


def _guarded(evaluate: Evaluator, name: str) -> Evaluator:
    def guarded(ctx: Any) -> Value:
        try:
            return evaluate(ctx)
        except _PYTHON_ERRORS as exc:
            raise ExpressionEvalError(f"{name}() failed: {exc}") from None

    return guarded


class _NodeContext:
    """What a predicate sees: the tested element as '.' and its children as bare names; the
    answers, clock and generator of the expression around it."""

    __slots__ = ("_base", "_element", "current_value")

    def __init__(self, base: Any, element: Any) -> None:
        self._base = base
        self._element = element
        self.current_value = element.string_value()

    def child_value(self, name: str) -> str:
        return self._element.child_text(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def instance_of(ctx: Any, instance_id: str):
    """The document of the instance ``instance_id`` (see ``xpath.instances``); an error when
    the form has none by that name."""
    instances = getattr(ctx, "instances", None)
    found = instances.get(instance_id) if instances else None
    if found is None:
        raise ExpressionEvalError(
            f"instance('{instance_id}') names no data file or choice list of the form")
    return found


def _equality_lookup(predicate: Any) -> tuple[str, Evaluator] | None:
    """``column = value`` where the value depends on nothing of the tested node: the rows can
    come from an index instead of a scan."""
    if not (isinstance(predicate, Chain) and len(predicate.rest) == 1
            and predicate.rest[0][0] == "="):
        return None
    left, right = predicate.first, predicate.rest[0][1]
    if isinstance(right, Child) and not isinstance(left, Child):
        left, right = right, left
    if not isinstance(left, Child) or not _independent(right):
        return None
    return left.name, compile_tree(right)


def _independent(node: Any) -> bool:
    """A reference or a quoted text: compared with a column as text, as XPath compares a node
    with a node or a string (a number literal compares as a number: no index)."""
    return isinstance(node, Reference) or (isinstance(node, Literal)
                                           and isinstance(node.value, str))


def _instance_path(node: InstancePath) -> Evaluator:
    instance_id = node.instance_id
    steps = []
    for step in node.steps:
        predicates = step.predicates
        lookup = _equality_lookup(predicates[0]) if predicates else None
        if lookup is not None:
            predicates = predicates[1:]
        steps.append((step.name, lookup, tuple(compile_tree(p) for p in predicates)))

    def evaluate(ctx: Any) -> NodeSet:
        nodes = [instance_of(ctx, instance_id)]
        for name, lookup, predicates in steps:
            if lookup is not None:
                column, wanted = lookup
                text = to_string(wanted(ctx))
                selected = [child for parent in nodes
                            for child in parent.children_where(name, column, text)]
            else:
                selected = [child for parent in nodes for child in parent.step(name)]
            for predicate in predicates:
                kept = []
                for position, element in enumerate(selected, 1):
                    result = predicate(_NodeContext(ctx, element))
                    if position == result if type(result) is float else to_boolean(result):
                        kept.append(element)
                selected = kept
            nodes = selected
        return NodeSet(tuple(element.string_value() for element in nodes),
                       tuple(f"{instance_id}#{id(element)}" for element in nodes))

    return evaluate


_COMPILERS: dict[type, Callable[[Any], Evaluator]] = {
    Literal: _literal,
    Reference: _reference,
    Current: _current,
    Child: _child,
    Negate: _negate,
    Logical: _logical,
    Chain: _chain,
    Call: _call,
    InstancePath: _instance_path,
}

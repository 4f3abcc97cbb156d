"""Functions over repeat instances: position(..), indexed-repeat() and join().

count(), sum(), min() and max() need nothing of their own: a ``${name}`` of a question inside
a repeat, seen from outside it, is a node-set with one node per instance (the engine's
``nodes_of``), which they already take.

The context asked for these is the interview engine's; a context without repeats (a plain
SimpleContext) makes position() and indexed-repeat() fail with a message, not a wrong value.
"""

from __future__ import annotations

from cati.questionnaire.xpath.errors import ExpressionEvalError
from cati.questionnaire.xpath.registry import CONTEXT, NAMES, RefName, function
from cati.questionnaire.xpath.values import NodeSet, to_number, to_string


@function("position", (0, 1), CONTEXT)
def _position(ctx, *_node) -> float:
    """position(..): the number (from 1) of the repeat instance being asked."""
    position = getattr(ctx, "position", None)
    number = position() if position is not None else 0
    if not number:
        raise ExpressionEvalError("position(..) is only meaningful inside a repeat")
    return float(number)


@function("indexed-repeat", (3, None), NAMES)
def _indexed_repeat(ctx, value, repeat, index, *more):
    """indexed-repeat(${x}, ${repeat}, n [, ${inner}, m …]): x in instance n of the repeat
    (and instance m of an inner repeat); '' for an instance that does not exist."""
    if len(more) % 2:
        raise ExpressionEvalError("indexed-repeat() takes a repeat and an index in pairs")
    pairs = [(repeat, index), *zip(more[::2], more[1::2], strict=True)]
    if not isinstance(value, RefName) or not all(isinstance(r, RefName) for r, _ in pairs):
        raise ExpressionEvalError("indexed-repeat() takes ${question}, ${repeat}, number")
    indexed = getattr(ctx, "indexed_value", None)
    if indexed is None:
        raise ExpressionEvalError("indexed-repeat() is only meaningful in a form with repeats")
    numbers = []
    for name, number in pairs:
        n = to_number(ctx.value_of(number) if isinstance(number, RefName) else number(ctx))
        numbers.append((str(name), int(n) if n == n and n >= 1 and n != float("inf") else 0))
    return indexed(str(value), numbers)


@function("join", (1, None))
def _join(separator, *values) -> str:
    """join(', ', ${x}): the values of every node, in instance order, between separators."""
    texts: list[str] = []
    for value in values:
        if type(value) is NodeSet:
            texts.extend(value.values)
        else:
            texts.append(to_string(value))
    return to_string(separator).join(texts)

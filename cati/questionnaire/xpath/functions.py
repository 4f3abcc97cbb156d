"""Functions on strings, select answers, booleans and the evaluation context."""

from __future__ import annotations

import re
import uuid

from cati.questionnaire.xpath import patterns
from cati.questionnaire.xpath.errors import ExpressionEvalError
from cati.questionnaire.xpath.lexer import REFERENCE_NAME
from cati.questionnaire.xpath.registry import CONTEXT, LAZY, function
from cati.questionnaire.xpath.values import NodeSet, to_boolean, to_number, to_string

_XML_SPACE = re.compile(r"[ \t\r\n]+")
_CHOICE_REFERENCE = re.compile(r"\s*\$\{\s*([^{}\s]+)\s*\}\s*")


# Select answers: space-separated lists of choice names ------------------------------------------

@function("selected", 2)
def _selected(answer, choice) -> bool:
    return to_string(choice).strip() in to_string(answer).split()


@function("count-selected", 1)
def _count_selected(answer) -> float:
    return float(len(to_string(answer).split()))


@function("selected-at", 2)
def _selected_at(answer, index) -> str:
    """The index-th (from 0) choice of a select answer; '' past the end."""
    names = to_string(answer).split()
    number = to_number(index)
    if not (0 <= number < len(names)):
        return ""
    return names[int(number)]


@function("jr:choice-name", 2, CONTEXT)
def _choice_name(ctx, value, question) -> str:
    """The label of choice ``value`` of the question written as '${name}'."""
    name = choice_question_name(to_string(question))
    return ctx.choice_label(name, to_string(value).strip()) if name else ""


def choice_question_name(spec: str) -> str:
    """The question named by jr:choice-name's second argument: '${name}' (or an XPath path
    '/data/name'); '' when it names none."""
    match = _CHOICE_REFERENCE.fullmatch(spec)
    name = match.group(1) if match else spec.strip().rstrip("/").rsplit("/", 1)[-1]
    return name if REFERENCE_NAME.fullmatch(name) else ""


# Logic ------------------------------------------------------------------------------------------

@function("if", 3, LAZY)
def _if(ctx, condition, then, otherwise):
    return then(ctx) if to_boolean(condition(ctx)) else otherwise(ctx)


@function("coalesce", 2, LAZY)
def _coalesce(ctx, first, second):
    value = first(ctx)
    return value if to_string(value) != "" else second(ctx)


@function("once", 1, LAZY)
def _once(ctx, expression):
    """The value already stored for the item being calculated if there is one, else the
    expression's."""
    once_value = getattr(ctx, "once_value", None)
    stored = once_value() if once_value is not None else ctx.current_value
    return stored if stored != "" else expression(ctx)


@function("not", 1)
def _not(value) -> bool:
    return not to_boolean(value)


@function("true", 0)
def _true() -> bool:
    return True


@function("false", 0)
def _false() -> bool:
    return False


@function("boolean", 1)
def _boolean(value) -> bool:
    return to_boolean(value)


@function("boolean-from-string", 1)
def _boolean_from_string(value) -> bool:
    return to_string(value) in ("true", "1")


@function("count", 1)
def _count(nodes) -> float:
    if type(nodes) is not NodeSet:
        raise ExpressionEvalError("count() needs a reference such as ${name}")
    return float(len(nodes.values))


# Randomness, from the interview's own generator so that a replay gives the same results --------

@function("random", 0, CONTEXT)
def _random(ctx) -> float:
    return ctx.rng.random()


@function("uuid", (0, 1), CONTEXT)
def _uuid(ctx, length=None) -> str:
    """A version 4 UUID; uuid(n): n random letters and digits (the spec's "random string")."""
    if length is not None:
        from cati.questionnaire.xpath.odk_functions import uuid_of_length

        return uuid_of_length(ctx, length)
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


# Strings ----------------------------------------------------------------------------------------

@function("string", (0, 1), defaults_to_current=True)
def _string(value) -> str:
    return to_string(value)


@function("concat", (0, None))
def _concat(*values) -> str:
    return "".join(map(to_string, values))


@function("string-length", (0, 1), defaults_to_current=True)
def _string_length(value) -> float:
    return float(len(to_string(value)))


@function("normalize-space", (0, 1), defaults_to_current=True)
def _normalize_space(value) -> str:
    return _XML_SPACE.sub(" ", to_string(value)).strip(" ")


@function("contains", 2)
def _contains(text, part) -> bool:
    return to_string(part) in to_string(text)


@function("starts-with", 2)
def _starts_with(text, prefix) -> bool:
    return to_string(text).startswith(to_string(prefix))


@function("ends-with", 2)
def _ends_with(text, suffix) -> bool:
    return to_string(text).endswith(to_string(suffix))


@function("substring-before", 2)
def _substring_before(text, part) -> str:
    text, part = to_string(text), to_string(part)
    index = text.find(part) if part else -1
    return text[:index] if index >= 0 else ""


@function("substring-after", 2)
def _substring_after(text, part) -> str:
    text, part = to_string(text), to_string(part)
    index = text.find(part)
    return text[index + len(part):] if index >= 0 else ""


@function("substr", (2, 3))
def _substr(text, start, end=None) -> str:
    """ODK substr: from the 0-based ``start`` up to, not including, ``end``; a negative index
    counts from the end."""
    text = to_string(text)
    stop = len(text) if end is None else _index(end)
    return text[_index(start):stop]


def _index(value) -> int:
    """Java's (int) cast of number(value): NaN gives 0, large values saturate."""
    number = to_number(value)
    if number != number:
        return 0
    return int(max(-2.0**31, min(2.0**31 - 1, number)))


@function("substring", (2, 3))
def _substring(text, start, length=None) -> str:
    """XPath 1.0 substring: the characters at 1-based positions p with
    round(start) <= p < round(start) + round(length)."""
    text = to_string(text)
    first = _xpath_round(to_number(start))
    stop = float("inf") if length is None else first + _xpath_round(to_number(length))
    low, high = max(first, 1.0), min(stop, len(text) + 1.0)
    if not low < high:  # also when either is NaN
        return ""
    return text[int(low) - 1:int(high) - 1]


def _xpath_round(number: float) -> float:
    if number != number or number in (float("inf"), float("-inf")):
        return number
    return float(int((number + 0.5) // 1))


@function("translate", 3)
def _translate(text, source, target) -> str:
    source, target = to_string(source), to_string(target)
    table: dict[int, int | None] = {}
    for i, char in enumerate(source):
        table.setdefault(ord(char), ord(target[i]) if i < len(target) else None)
    return to_string(text).translate(table)


@function("regex", 2)
def _regex(text, pattern) -> bool:
    """True when ``pattern`` is found somewhere in ``text``, by RE2 in linear time (see
    :mod:`cati.questionnaire.xpath.patterns`)."""
    try:
        compiled = patterns.compile_pattern(to_string(pattern))
    except patterns.PatternError as exc:
        raise ExpressionEvalError(str(exc)) from None
    return patterns.matches(compiled, to_string(text))

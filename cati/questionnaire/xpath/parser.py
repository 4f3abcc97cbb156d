"""Parses expression text into a small syntax tree.

Operator precedence is XPath 1.0's, loosest first: ``or``; ``and``; ``=`` ``!=``; ``<`` ``<=``
``>`` ``>=``; ``+`` ``-``; ``*`` ``div`` ``mod``; unary ``-``; ``|``. Runs of operators of one
precedence become one :class:`Chain` (or :class:`Logical`) node, evaluated left to right, so a
long ``a or b or c …`` is a flat node and not a deep tree.

Nesting is limited to :data:`MAX_DEPTH` levels: each parenthesis, function call, unary minus
and operator of tighter precedence inside a looser one adds a level. Deeper text is refused with
an ExpressionSyntaxError, so neither parsing nor evaluating can exhaust Python's stack.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from cati.questionnaire.xpath import patterns
from cati.questionnaire.xpath.errors import ExpressionSyntaxError
from cati.questionnaire.xpath.functions import choice_question_name
from cati.questionnaire.xpath.lexer import (
    COMMA,
    DOT,
    END,
    FUNC,
    LBRACKET,
    LPAREN,
    NAME,
    NUMBER,
    OP,
    RBRACKET,
    REF,
    RPAREN,
    SLASH,
    STEP,
    STRING,
    Token,
    tokenize,
)
from cati.questionnaire.xpath.registry import FUNCTIONS, Function, unsupported_message

MAX_DEPTH = 64

_PRECEDENCE = {
    "or": 1, "and": 2,
    "=": 3, "!=": 3,
    "<": 4, "<=": 4, ">": 4, ">=": 4,
    "+": 5, "-": 5,
    "*": 6, "div": 6, "mod": 6,
}


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | float


@dataclass(frozen=True, slots=True)
class Reference:
    name: str  # ${name}


@dataclass(frozen=True, slots=True)
class Current:
    """``.``: the value being checked."""


@dataclass(frozen=True, slots=True)
class Child:
    """A bare name such as ``county`` in a choice_filter: a column of the choice's row."""

    name: str


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Node


@dataclass(frozen=True, slots=True)
class Logical:
    operator: str  # "and" or "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Chain:
    """``first op1 x1 op2 x2 …`` with operators of one precedence, evaluated left to right."""

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pattern: object = None  # regex() with a literal pattern, compiled once (by RE2)


@dataclass(frozen=True, slots=True)
class Step:
    name: str  # an element name, or * for any
    predicates: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class InstancePath:
    """``instance('id')/root/item[predicate]/column``: the nodes of a data file beside the form
    (or of a choice list) that the steps select. In a predicate a bare name is a child of the
    node being tested and ``.`` the node itself; a number selects by position (from 1)."""

    instance_id: str
    steps: tuple[Step, ...]


Node = Literal | Reference | Current | Child | Negate | Logical | Chain | Call | InstancePath

# Functions whose first argument names a data file beside the form (its name without .csv).
FILE_FUNCTIONS = frozenset({"pulldata"})


@dataclass(frozen=True, slots=True)
class Parsed:
    tree: Node
    references: frozenset[str]
    uses_current: bool
    child_names: frozenset[str]
    instance_ids: frozenset[str] = frozenset()


def parse_tree(text: str) -> Parsed:
    """Parse ``text``; raise ExpressionSyntaxError."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.references: set[str] = set()
        self.child_names: set[str] = set()
        self.instance_ids: set[str] = set()
        self.uses_current = False

    def parse(self) -> Parsed:
        if self._peek().kind == END:
            raise ExpressionSyntaxError("the expression is empty", 0)
        tree = self._expression(1)
        token = self._peek()
        if token.kind != END:
            raise _unexpected(token)
        return Parsed(tree, frozenset(self.references), self.uses_current,
                      frozenset(self.child_names), frozenset(self.instance_ids))

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _next(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionSyntaxError("expression is nested too deeply", token.position)

    def _expect(self, kind: str) -> None:
        token = self._next()
        if token.kind != kind:
            raise _unexpected(token, kind)

    def _expression(self, min_precedence: int) -> Node:
        left = self._unary()
        level, rest = 0, []
        while True:
            token = self._peek()
            precedence = _PRECEDENCE.get(token.text, 0) if token.kind == OP else 0
            if precedence < min_precedence or precedence == 0:
                return _combine(left, rest)
            self.index += 1
            if precedence != level:
                left, level, rest = _combine(left, rest), precedence, []
            self._enter(token)
            rest.append((token.text, self._expression(precedence + 1)))
            self.depth -= 1

    def _unary(self) -> Node:
        token = self._peek()
        if token.kind != OP or token.text != "-":
            return self._union()
        self.index += 1
        self._enter(token)
        node = Negate(self._unary())
        self.depth -= 1
        return node

    def _union(self) -> Node:
        first = self._primary()
        rest = []
        while self._peek().kind == OP and self._peek().text == "|":
            token = self._next()
            rest.append(("|", self._primary()))
            if not (_may_be_nodes(first) and _may_be_nodes(rest[-1][1])):
                raise ExpressionSyntaxError("'|' joins references only, as in ${a} | ${b}",
                                            token.position)
        return Chain(first, tuple(rest)) if rest else first

    def _primary(self) -> Node:
        token = self._next()
        kind = token.kind
        if kind in (NUMBER, STRING):
            return Literal(token.value)
        if kind == REF:
            self.references.add(token.value)
            return Reference(token.value)
        if kind == DOT and token.text == "..":
            previous = self.tokens[self.index - 3] if self.index >= 3 else None
            if previous is None or previous.kind != FUNC or previous.text != "position":
                raise ExpressionSyntaxError(
                    "'..' is supported only as position(..) (write ${name} to refer to a "
                    "question)", token.position)
            return Literal("..")
        if kind == DOT:
            self.uses_current = True
            return Current()
        if kind == NAME and ":" not in token.text:
            self.uses_current = True
            self.child_names.add(token.text)
            return Child(token.text)
        if kind == LPAREN:
            self._enter(token)
            node = self._expression(1)
            self._expect(RPAREN)
            self.depth -= 1
            return node
        if kind == FUNC:
            return self._call(token)
        raise _unexpected(token)

    def _call(self, token: Token) -> Call | InstancePath:
        if token.text == "instance":
            return self._instance_path(token)
        function = FUNCTIONS.get(token.text)
        if function is None and (unsupported := unsupported_message(token.text)):
            raise ExpressionSyntaxError(unsupported, token.position)
        if function is None:
            raise ExpressionSyntaxError(f"unknown function {token.text}(){_suggest(token.text)}",
                                        token.position)
        self._enter(token)
        self._expect(LPAREN)
        args, positions = [], []
        if self._peek().kind != RPAREN:
            positions.append(self._peek().position)
            args.append(self._expression(1))
            while self._peek().kind == COMMA:
                self.index += 1
                positions.append(self._peek().position)
                args.append(self._expression(1))
        self._expect(RPAREN)
        self.depth -= 1
        if not function.accepts(len(args)):
            raise ExpressionSyntaxError(function.arity_message(), token.position)
        return self._finish_call(function, args, positions)

    def _instance_path(self, token: Token) -> InstancePath:
        self._expect(LPAREN)
        name = self._next()
        if name.kind != STRING or not str(name.value).strip():
            raise ExpressionSyntaxError("instance() takes the quoted name of a data file or "
                                        "choice list, as in instance('households')",
                                        name.position)
        self._expect(RPAREN)
        instance_id = str(name.value).strip()
        if self._peek().kind != SLASH:
            raise ExpressionSyntaxError(
                f"instance('{instance_id}') needs a path, as in "
                f"instance('{instance_id}')/root/item[name = ${{q}}]/label", token.position)
        steps = []
        self._enter(token)
        while self._peek().kind == SLASH:
            self.index += 1
            step = self._next()
            if step.kind != STEP:
                raise ExpressionSyntaxError("a path step needs a name", step.position)
            predicates = []
            while self._peek().kind == LBRACKET:
                predicates.append(self._predicate(self._next()))
            steps.append(Step(step.text, tuple(predicates)))
        self.depth -= 1
        self.instance_ids.add(instance_id)
        return InstancePath(instance_id, tuple(steps))

    def _predicate(self, token: Token) -> Node:
        """An expression in [ ]: its bare names and '.' are the tested node's, not a choice's."""
        self._enter(token)
        uses_current, child_names = self.uses_current, set(self.child_names)
        node = self._expression(1)
        self.uses_current, self.child_names = uses_current, child_names
        self._expect(RBRACKET)
        self.depth -= 1
        return node

    def _finish_call(self, function: Function, args: list[Node], positions: list[int]) -> Call:
        if not args and function.defaults_to_current:
            self.uses_current = True
            args = [Current()]
        pattern = None
        if function.name == "regex" and isinstance(args[1], Literal):
            pattern = _literal_pattern(str(args[1].value), positions[1])
        if function.name in FILE_FUNCTIONS:
            if not isinstance(args[0], Literal) or not str(args[0].value).strip():
                raise ExpressionSyntaxError(
                    f"{function.name}()'s first argument must be the quoted name of a data file, "
                    f"as in {function.name}('households', …)", positions[0])
            self.instance_ids.add(str(args[0].value).strip())
        if function.name == "jr:choice-name" and isinstance(args[1], Literal):
            name = choice_question_name(str(args[1].value))
            if name:
                self.references.add(name)
        return Call(function.name, tuple(args), pattern)


def _may_be_nodes(node: Node) -> bool:
    if isinstance(node, Chain):
        return all(operator == "|" for operator, _ in node.rest)
    return isinstance(node, Reference | Current | Child | Call | InstancePath)


def _combine(first: Node, rest: list[tuple[str, Node]]) -> Node:
    if not rest:
        return first
    operator = rest[0][0]
    if operator in ("and", "or"):
        return Logical(operator, (first, *(node for _, node in rest)))
    return Chain(first, tuple(rest))


def _literal_pattern(pattern: str, position: int):
    try:
        return patterns.compile_pattern(pattern)
    except patterns.PatternError as exc:
        raise ExpressionSyntaxError(str(exc), position) from None


def _unexpected(token: Token, expected: str | None = None) -> ExpressionSyntaxError:
    if token.kind == END:
        what = f"missing '{expected}'" if expected else "the expression ends too early"
        return ExpressionSyntaxError(what, token.position)
    if token.kind == STRING:
        return ExpressionSyntaxError(f"unexpected string {token.text}", token.position)
    return ExpressionSyntaxError(f"unexpected '{token.text}'", token.position)


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), FUNCTIONS, n=1, cutoff=0.8)
    return f" (did you mean {close[0]}()?)" if close else ""

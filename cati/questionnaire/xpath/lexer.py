"""Splits expression text into tokens.

The XPath 1.0 disambiguation rule is applied here: after a token that ends an operand (a
number, a string, a reference, ``.``, ``)`` or a name), ``*`` and the names ``and``, ``or``,
``div`` and ``mod`` are operators; elsewhere they are not. A name followed by ``(`` is a
function name.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cati.questionnaire.xpath.errors import ExpressionSyntaxError

NUMBER = "number"
STRING = "string"
REF = "reference"
DOT = "."
OP = "operator"
LPAREN = "("
RPAREN = ")"
COMMA = ","
FUNC = "function"
NAME = "name"
END = "end"
# instance('id')/root/item[predicate]/column: the only paths the language reads
SLASH = "/"
STEP = "step"
LBRACKET = "["
RBRACKET = "]"

_OPERAND_END = frozenset({NUMBER, STRING, REF, DOT, RPAREN, NAME, STEP, RBRACKET})
_OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_NAME = re.compile(r"[^\W\d][\w.\-]*(?::[^\W\d][\w.\-]*)?")
REFERENCE_NAME = re.compile(r"[^\W\d][\w.\-]*")
_REF = re.compile(r"\$\{([^{}]*)\}")
_PATH = re.compile(r"[/\w.\-:@*\[\]]*")
_SPACE = re.compile(r"\s*")
_STEP = re.compile(r"\*|@?[^\W\d][\w.\-]*(?::[^\W\d][\w.\-]*)?")

_PUNCTUATION = {"(": LPAREN, ")": RPAREN, ",": COMMA}
_TWO_CHAR_OPS = frozenset({"!=", "<=", ">="})
_ONE_CHAR_OPS = frozenset("+-=<>|")
_MISTAKES = {"==": "write =", "&&": "write and", "||": "write or"}
_CURLY_QUOTES = "‘’“”"


class Token(NamedTuple):
    kind: str
    text: str
    position: int
    value: object = None  # the number (float), the string, the reference name


def tokenize(text: str) -> list[Token]:
    """Return the tokens of ``text``, ending with an END token; raise ExpressionSyntaxError."""
    tokens: list[Token] = []
    brackets: list[int] = []  # positions of the open predicates of an instance path
    i = _SPACE.match(text, 0).end()
    while i < len(text):
        after_operand = bool(tokens) and tokens[-1].kind in _OPERAND_END
        token = _path_token(text, i, tokens, brackets) or _next_token(text, i, after_operand)
        tokens.append(token)
        i = _SPACE.match(text, token.position + len(token.text)).end()
    if brackets:
        raise ExpressionSyntaxError("missing ']'", brackets[-1])
    tokens.append(Token(END, "", len(text)))
    return tokens


def _path_token(text: str, i: int, tokens: list[Token], brackets: list[int]) -> Token | None:
    """The tokens of ``instance('id')/step/step[predicate]/step``: a '/' right after the call
    or after a step, the step names (``@name``: an attribute), the brackets around a predicate
    (which holds an ordinary expression, where ``@name`` reads an attribute); None elsewhere."""
    ch, last = text[i], tokens[-1].kind if tokens else END
    if ch == "/" and (last in (STEP, RBRACKET) or _after_instance_call(tokens)):
        return Token(SLASH, "/", i)
    if last == SLASH:
        match = _STEP.match(text, i)
        if not match:
            raise ExpressionSyntaxError("a path step needs a name", i)
        return Token(STEP, match.group(), i)
    if ch == "[" and last in (STEP, RBRACKET):
        brackets.append(i)
        return Token(LBRACKET, "[", i)
    if ch == "]" and brackets:
        brackets.pop()
        return Token(RBRACKET, "]", i)
    if ch == "@" and brackets:  # an attribute of the tested element: a name like a column
        match = _STEP.match(text, i)
        if match:
            return Token(NAME, match.group(), i)
    return None


def _after_instance_call(tokens: list[Token]) -> bool:
    kinds = [token.kind for token in tokens[-4:]]
    return kinds == [FUNC, LPAREN, STRING, RPAREN] and tokens[-4].text == "instance"


def _next_token(text: str, i: int, after_operand: bool) -> Token:
    ch = text[i]
    two = text[i:i + 2]
    match = _NUMBER.match(text, i)
    if match:
        return Token(NUMBER, match.group(), i, float(match.group()))
    if ch in "'\"":
        end = text.find(ch, i + 1)
        if end < 0:
            raise ExpressionSyntaxError("unterminated string", i)
        return Token(STRING, text[i:end + 1], i, text[i + 1:end])
    if ch == "$":
        return _reference(text, i)
    if two == ".." and text.startswith("..)", i):
        return Token(DOT, "..", i)  # position(..): the parser allows it there only
    if ch == "/" or two == "..":
        raise _path_error(text, i)
    if ch == ".":
        return Token(DOT, ".", i)
    if two in _MISTAKES:
        raise ExpressionSyntaxError(f"'{two}' is not an operator ({_MISTAKES[two]})", i)
    if two in _TWO_CHAR_OPS:
        return Token(OP, two, i)
    if ch in _ONE_CHAR_OPS or (ch == "*" and after_operand):
        return Token(OP, ch, i)
    if ch in _PUNCTUATION:
        return Token(_PUNCTUATION[ch], ch, i)
    match = _NAME.match(text, i)
    if match:
        return _name(text, match, after_operand)
    if ch in _CURLY_QUOTES:
        raise ExpressionSyntaxError(f"unexpected curly quote {ch} (use ' or \")", i)
    raise ExpressionSyntaxError(f"unexpected {ch!r}", i)


def _name(text: str, match: re.Match[str], after_operand: bool) -> Token:
    name, i = match.group(), match.start()
    if after_operand and name in _OPERATOR_NAMES:
        return Token(OP, name, i)
    if text.startswith("(", _SPACE.match(text, match.end()).end()):
        return Token(FUNC, name, i)
    if text.startswith("/", match.end()):
        raise _path_error(text, i)
    return Token(NAME, name, i)


def _reference(text: str, i: int) -> Token:
    if not text.startswith("${", i):
        raise ExpressionSyntaxError("unexpected '$' (a reference is written ${name})", i)
    match = _REF.match(text, i)
    if not match:
        raise ExpressionSyntaxError("unterminated reference (a reference is written ${name})", i)
    name = match.group(1).strip()
    if not REFERENCE_NAME.fullmatch(name):
        raise ExpressionSyntaxError(f"{match.group()} is not a valid reference", i)
    return Token(REF, match.group(), i, name)


def _path_error(text: str, i: int) -> ExpressionSyntaxError:
    path = _PATH.match(text, i).group() or text[i]
    last = path.rstrip("/").rsplit("/", 1)[-1]
    advice = f"${{{last}}}" if REFERENCE_NAME.fullmatch(last) else "${name}"
    return ExpressionSyntaxError(
        f"paths such as '{path}' are not supported (write {advice} to refer to a question)", i)

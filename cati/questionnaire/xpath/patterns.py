"""The patterns of regex(): run by RE2, in time linear in the length of the text.

A constraint is evaluated on what anyone types into a web form, so its pattern must not be able
to take exponential time (Python's ``re`` took 2.2 s for ``^(a+)+$`` on 23 characters, twice
as long for each one more). RE2 never backtracks; what it cannot run that way it refuses:

* backreferences (``\\1``, ``\\k<name>``, ``(?P=name)``), lookahead and lookbehind
  (``(?=`` ``(?!`` ``(?<=`` ``(?<!``), atomic groups ``(?>``, possessive quantifiers ``a*+``
  and conditionals ``(?(1)…)``: :func:`compile_pattern` says which feature it is, in one line;
* anything else it cannot parse: "invalid regular expression" with RE2's reason.

The dialect is the one ODK Collect (Java) and Enketo (JavaScript) accept, where RE2 allows it:

* ``regex(text, pattern)`` is true when the pattern is found *anywhere* in the text (search,
  not full match), as in Collect and Enketo: anchor it with ``^…$`` to test the whole answer;
* ``\\d``, ``\\w``, ``\\s`` and ``\\b`` are ASCII, as in Java and JavaScript (a full-width
  ``１`` is not a ``\\d``); ``\\p{Han}`` or ``[\\x{4e00}-\\x{9fa5}]`` name Chinese characters;
* a ``-`` after a class escape in brackets is literal: ``[\\w-\\.]`` (Python refuses it);
* ``$`` matches only at the very end (Python's and Java's also match before a final newline);
* ``{,n}`` is literal text, as in JavaScript (Python read it as ``{0,n}``);
* counted repetitions go up to 1000 (``a{1001}`` is refused).

Before RE2 sees a pattern, :func:`translate` rewrites the escapes that Java, JavaScript or
Python know and RE2 spells otherwise; nothing else is changed:

* ``\\uXXXX``, ``\\u{X…}`` (Java, JavaScript, Python) and ``\\UXXXXXXXX`` (Python) become
  ``\\x{…}``: ``[\\u4e00-\\u9fa5]`` works;
* ``\\Z`` (Python, Java: the end of the text) becomes ``\\z``.
"""

from __future__ import annotations

import functools
import re

import re2

_LINEAR_TIME = "regex() pattern uses a feature cati cannot run in linear time"

# RE2's error texts for what backtracking engines have and RE2 refuses by design.
_FEATURES = (
    (re.compile(r"invalid escape sequence: \\[1-9k]"), "backreference"),
    (re.compile(r"invalid named capture group: \(\?P="), "backreference"),
    (re.compile(r"invalid (?:perl operator|named capture group): \(\?(?:=|!|<=|<!)"),
     "lookaround"),
    (re.compile(r"invalid perl operator: \(\?>"), "atomic group"),
    (re.compile(r"invalid perl operator: \(\?\("), "conditional group"),
    (re.compile(r"bad repetition operator: .*[*+?}]\+$"), "possessive quantifier"),
)

_SURROGATE = re.compile("[\ud800-\udfff]")
_HEX = frozenset("0123456789abcdefABCDEF")


class PatternError(ValueError):
    """The pattern cannot be run: ``str()`` is one line for the form author."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on standard error
    options.never_capture = True  # regex() only asks whether it matches: the fast engines
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=128)
def compile_pattern(pattern: str):
    """The RE2 program of ``pattern`` (after :func:`translate`); raise PatternError when RE2
    cannot run it. Compiled once per distinct pattern."""
    try:
        return re2.compile(translate(pattern), _OPTIONS)
    except UnicodeEncodeError:  # a lone surrogate: RE2 reads UTF-8
        raise PatternError(f"invalid regular expression {pattern!r} (not valid Unicode)"
                           ) from None
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "refused"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        if reason.endswith("operator: (?P") and "(?P=" in pattern:  # RE2 stops at "(?P"
            reason = "invalid named capture group: (?P="
        for found, feature in _FEATURES:
            if found.search(reason):
                raise PatternError(f"{_LINEAR_TIME}: {feature}") from None
        raise PatternError(f"invalid regular expression {pattern!r} ({reason})") from None


def matches(compiled, text: str) -> bool:
    """True when the compiled pattern is found anywhere in ``text``."""
    try:
        return compiled.search(text) is not None
    except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot carry, reads as U+FFFD
        text = _SURROGATE.sub("\ufffd", text)
        return compiled.search(text) is not None


def translate(pattern: str) -> str:
    """``pattern`` with the escapes of Java, JavaScript and Python that RE2 spells otherwise
    rewritten in RE2's spelling (see the module's doc); ``\\Q…\\E`` is left as it is."""
    if "\\" not in pattern:
        return pattern
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char != "\\" or i + 1 == n:
            out.append(char)
            i += 1
            continue
        escaped = pattern[i + 1]
        if escaped == "Q":  # literal text up to \E: copied untouched
            end = pattern.find("\\E", i + 2)
            end = n if end < 0 else end + 2
            out.append(pattern[i:end])
            i = end
            continue
        if escaped == "u" and pattern[i + 2:i + 3] == "{":
            close = pattern.find("}", i + 3)
            digits = pattern[i + 3:close] if close > 0 else ""
            if digits and len(digits) <= 6 and set(digits) <= _HEX:
                out.append(f"\\x{{{digits}}}")
                i = close + 1
                continue
        for letter, width in (("u", 4), ("U", 8)):
            digits = pattern[i + 2:i + 2 + width]
            if escaped == letter and len(digits) == width and set(digits) <= _HEX:
                out.append(f"\\x{{{digits}}}")
                i += 2 + width
                break
        else:
            out.append("\\z" if escaped == "Z" else pattern[i:i + 2])
            i += 2
    return "".join(out)

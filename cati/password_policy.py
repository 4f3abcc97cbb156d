"""Which new passwords cati accepts: long enough, not the username, not one that everyone uses.

:func:`check_new_password` raises :class:`~cati.errors.CatiError` with one bilingual line when
the password

* is shorter than :data:`MIN_PASSWORD_LENGTH` characters;
* is or holds the username (any case), for a username of 3 characters or more;
* is on the bundled list of common passwords (``cati/data/common_passwords.txt``: the 10,000
  most common in leaked password dumps, from zxcvbn's list, and ones typical of Chinese users
  such as 5201314, woaini1314, qq123456 — see scripts/make_common_passwords.py);
* is one character repeated (``aaaaaaaa``), a short group repeated (``12121212``,
  ``abcabcabc``), a run of consecutive digits or letters (``23456789``, ``98765432``,
  ``abcdefgh``) or a walk along the keyboard (``qwertyuiop``, ``1qaz2wsx``).

Comparisons ignore case and Unicode width (NFKC: a full-width ``１２３４５６７８`` is
``12345678``). Nothing else is asked of a password: no required mix of character classes, which
makes people write ``Password1!``.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from importlib import resources

from cati.errors import CatiError

MIN_PASSWORD_LENGTH = 8
MIN_USERNAME_LENGTH = 3  # a shorter username ("li") is too likely to occur by chance

# Rows and column walks of a US keyboard (how Chinese keyboards are laid out too), each also
# read backwards; a password inside one of them is a keyboard sequence.
_KEYBOARD = ("`1234567890-=", "~!@#$%^&*()_+", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
             "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]", "zaq1xsw2cde3vfr4bgt5nhy6mju7",
             "qazwsxedcrfvtgbyhnujmik,ol.p;/", "!qaz@wsx#edc$rfv%tgb^yhn&ujm*ik<(ol>)p:?",
             "1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6u7i8o9p0", "a1b2c3d4e5f6g7h8i9",
             "01234567890123456789")  # digits counting on through 0: 7890123
_WALKS = (*_KEYBOARD, *(row[::-1] for row in _KEYBOARD))


def check_new_password(password: str, username: str = "") -> None:
    """Raise CatiError (one line, English then Chinese) when ``password`` is too weak to be
    set for ``username``; see the module doc."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CatiError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters "
                        f"(密码至少 {MIN_PASSWORD_LENGTH} 个字符)")
    folded = _fold(password)
    name = _fold(username.strip())
    if len(name) >= MIN_USERNAME_LENGTH and name in folded:
        raise CatiError("a password must not be or contain the username (密码不能包含用户名)")
    if folded in common_passwords():
        raise CatiError("this password is one of the most common ones; choose another "
                        "(这是最常见的密码之一，请换一个)")
    if is_simple_sequence(folded):
        raise CatiError("a password must not be one character repeated or a simple keyboard or "
                        "digit sequence (密码不能是重复的字符或简单的键盘、数字序列)")


def is_simple_sequence(text: str) -> bool:
    """Whether ``text`` (already lower case) is one character or a group of up to 4 repeated,
    a run of consecutive characters up or down, or a walk along the keyboard."""
    if len(text) < 2:
        return True
    for period in range(1, min(4, len(text) // 2) + 1):
        if all(text[i] == text[i % period] for i in range(len(text))):
            return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    if steps in ({1}, {-1}):
        return True
    return any(text in walk for walk in _WALKS)


@functools.cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lower case (read once)."""
    text = resources.files("cati").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(_fold(line) for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()

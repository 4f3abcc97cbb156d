"""Checking and normalising a typed answer for its item kind. Answers are always strings."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from cati.questionnaire.model import Choice

INTEGER = re.compile(r"^[+-]?\d{1,18}$")
MAX_ANSWER_CHARS = 32_767  # an Excel cell
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?$")

MESSAGES = {
    "required": ("此题必须回答。", "An answer is required."),
    "constraint": ("答案不符合要求。", "This answer is not allowed."),
    "integer": ("请输入整数。", "Enter a whole number."),
    "decimal": ("请输入数字。", "Enter a number."),
    "date": ("请输入日期(年-月-日)。", "Enter a date as YYYY-MM-DD."),
    "time": ("请输入时间(时:分)。", "Enter a time as HH:MM."),
    "dateTime": ("请输入日期和时间。", "Enter a date and time as YYYY-MM-DDTHH:MM."),
    "choice": ("请选择列出的选项之一。", "Choose one of the options offered."),
    "one_choice": ("此题只能选一项。", "Choose only one option."),
    "too_long": ("答案太长:最多 32767 个字符(Excel 单元格的上限)。",
                 "The answer is too long: at most 32,767 characters (an Excel cell's limit)."),
    "unstorable": ("答案含有无法保存的字符(U+0000 或不成对的代理项),请删除后重新输入。",
                   "The answer holds a character that cannot be stored (U+0000 or a lone "
                   "surrogate); remove it and type the answer again."),
}


def message(key: str, language: str | None) -> str:
    """The built-in message in the interview language; both when the form has no languages."""
    chinese, english = MESSAGES[key]
    if language is None or language == "default":
        return f"{chinese} ({english})"
    if "zh" in language.lower() or "中文" in language:
        return chinese
    return english


def as_answer_text(value: object) -> str:
    """Turn what a caller passes (str, number, list of choice names, None) into stored text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return " ".join(as_answer_text(part) for part in value)
    return str(value)


def normalise(kind: str, text: str, offered: Sequence[Choice]) -> tuple[str, str | None]:
    """(normalised text, error key or None) for a non-empty answer of ``kind``.

    Free text is kept exactly as typed (any Unicode, control characters, emoji, right-to-left
    marks, text that starts like a spreadsheet formula: the exports neutralise that), with one
    exception decided here for every kind: U+0000 and lone surrogates are refused
    ("unstorable"). PostgreSQL's text type cannot hold U+0000 and neither database can store a
    lone surrogate (it is not UTF-8), so the engine refuses them before anything is saved;
    refusing, rather than silently dropping them, keeps "stored as typed" true on both
    databases. A keyboard cannot type either; a paste can. An answer longer than an Excel
    cell (32,767 characters) is refused too ("too_long"), so every answer exports whole."""
    if not _storable(text):
        return text, "unstorable"
    if len(text) > MAX_ANSWER_CHARS:
        return text, "too_long"
    checker = _CHECKERS.get(kind)
    if checker is None:
        return text, None
    return checker(text, offered)


def storable(text: str) -> bool:
    """Whether ``text`` can be stored as it is on both databases (no U+0000, no lone
    surrogate)."""
    return _storable(text)


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _integer(text: str, _offered) -> tuple[str, str | None]:
    stripped = text.strip()
    if not INTEGER.match(stripped):
        return text, "integer"
    return str(int(stripped)), None


def _decimal(text: str, _offered) -> tuple[str, str | None]:
    stripped = text.strip()
    try:
        number = Decimal(stripped)
    except InvalidOperation:
        return text, "decimal"
    if not number.is_finite() or "e" in stripped.lower():
        return text, "decimal"
    return stripped.lstrip("+"), None


def _date(text: str, _offered) -> tuple[str, str | None]:
    try:
        return dt.date.fromisoformat(text.strip()).isoformat(), None
    except ValueError:
        return text, "date"


def _time(text: str, _offered) -> tuple[str, str | None]:
    stripped = text.strip()
    return (stripped, None) if TIME.match(stripped) else (text, "time")


def _date_time(text: str, _offered) -> tuple[str, str | None]:
    stripped = text.strip()
    if len(stripped) < 16:
        return text, "dateTime"
    try:
        dt.datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        return text, "dateTime"
    return stripped, None


def _select_one(text: str, offered: Sequence[Choice]) -> tuple[str, str | None]:
    name = text.strip()
    if len(name.split()) > 1:
        return text, "one_choice"
    return (name, None) if any(c.name == name for c in offered) else (text, "choice")


def _select_multiple(text: str, offered: Sequence[Choice]) -> tuple[str, str | None]:
    picked = set(text.split())
    names = [c.name for c in offered]
    if not picked <= set(names):
        return text, "choice"
    return " ".join(name for name in names if name in picked), None


_CHECKERS = {
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "time": _time,
    "dateTime": _date_time,
    "select_one": _select_one,
    "select_multiple": _select_multiple,
}


def selected_names(text: str) -> Iterable[str]:
    return text.split()

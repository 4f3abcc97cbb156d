"""The columns of a data export and the rules that name them and make their cells safe.

Pure: no database, no files. ``plan_columns`` turns one or more versions of a questionnaire into
the ordered list of columns; ``cells`` turns one interview (its stored row and answers) into the
typed values of those columns; ``neutralise_csv`` and ``starts_like_formula`` keep free text from
being run as a spreadsheet formula.

Column names — the same in CSV, .xlsx and .sav, and always valid SPSS variable names:

1. The fixed columns come first and own their names: interview_id, case_id, phone (only with
   --with-phone, but the name is always reserved so a question never changes name between two
   exports), stratum, mode, interviewer, disposition, started, ended, duration_s.
2. Then one column per question and calculate (also ``hidden``; not notes), in questionnaire
   order, named as in the questionnaire; those inside a repeat are in the repeat's own table
   (``export_repeats``). A ``select_multiple`` question ``q`` is its own column
   (the raw space-separated choice names) followed by one 0/1 column per choice, ``q_CHOICE``.
3. A name is made a valid SPSS name: NFC; every character that is not a letter, an ASCII digit or
   one of ``_ . @ # $`` becomes ``_``; trailing periods are dropped; a name that does not start
   with a letter gets a ``v`` in front (``_x`` → ``v_x``); the reserved words ALL AND BY EQ GE GT
   LE LT NE NOT OR TO WITH get a ``_`` after them; at most 64 bytes of UTF-8.
4. Names are unique without regard to case (as in SPSS): a later name that is taken gets ``_2``,
   ``_3`` … Questions' own names are given out before the generated ``q_CHOICE`` names, so a
   question keeps its name and a generated name gives way.

A questionnaire whose names are already plain (letters, digits, ``_``, starting with a letter) —
like the shipped one — is exported under exactly its own names. ``Column.renamed`` tells when a
name had to change; the .xlsx ``columns`` sheet and the .sav file notes list every column's
source.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from cati.questionnaire.model import QUESTION_KINDS, SILENT_KINDS, Form

SPSS_NAME_BYTES = 64
SPSS_VARIABLE_LABEL_BYTES = 255
SPSS_VALUE_LABEL_BYTES = 120
SPSS_RESERVED = frozenset(["ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"])
_SPSS_PUNCTUATION = frozenset("_.@#$")
_ASCII_DIGITS = frozenset("0123456789")

EXPORTED_KINDS = QUESTION_KINDS | SILENT_KINDS
NUMERIC_KINDS = frozenset({"integer", "decimal"})
COMPUTED_KINDS = SILENT_KINDS  # calculate, hidden: numbers when every value is one

# The fixed columns: (name, kind, label).
META_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("interview_id", "id", "访问编号 interview id"),
    ("case_id", "id", "样本编号 case id"),
    ("phone", "phone", "电话号码 phone (E.164)"),
    ("phone_local", "phone", "拨号号码 phone as dialled in China"),
    ("stratum", "text", "分层(乡镇) stratum"),
    ("mode", "text", "方式 mode"),
    ("interviewer", "text", "访问员 interviewer"),
    ("disposition", "text", "结果代码 disposition (AAPOR)"),
    ("started", "datetime", "开始时间 started (UTC)"),
    ("ended", "datetime", "结束时间 ended (UTC)"),
    ("duration_s", "seconds", "访问时长(秒) duration in seconds"),
)

CHOICE_SELECTED = "选中 selected"
CHOICE_NOT_SELECTED = "未选 not selected"
LABEL_SEPARATOR = "; "  # --labels text: the labels of a select_multiple answer

# A number written the one way Decimal writes it back: no leading zeros, no exponent, no "+".
_CANONICAL_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
# A plain number, which a spreadsheet reads as a number, not as a formula.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_FORMULA_STARTS = frozenset("=+-@\t\r")


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # the header: a valid, unique SPSS name
    kind: str  # meta: id, phone, text, datetime, seconds; an item's kind; "choice" (0/1)
    label: str  # the variable label (question label; "question: choice" for 0/1 columns)
    source: str  # the fixed column's own name, or the questionnaire item's name
    choice: str | None = None  # the choice a 0/1 column stands for
    # A select's choices as (name, label in the questionnaire's first language).
    choices: tuple[tuple[str, str], ...] = ()
    meta: bool = False  # one of the fixed columns


    @property
    def wanted_name(self) -> str:
        return self.source if self.choice is None else f"{self.source}_{self.choice}"

    @property
    def renamed(self) -> bool:
        return self.name != self.wanted_name

    @property
    def numeric_codes(self) -> bool:
        """Every choice name is a canonical number (1, 2, 8, -1, 0.5): stored as numbers."""
        return bool(self.choices) and all(_CANONICAL_NUMBER.fullmatch(name)
                                          for name, _ in self.choices)

    def choice_label(self, name: str) -> str:
        for choice, label in self.choices:
            if choice == name:
                return label
        return name


# -- names ----------------------------------------------------------------------------------


def _truncate_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def spss_name(wanted: str) -> str:
    """``wanted`` made a valid SPSS variable name (rule 3 above; not yet unique)."""
    text = unicodedata.normalize("NFC", wanted)
    name = "".join(c if c.isalpha() or c in _ASCII_DIGITS or c in _SPSS_PUNCTUATION else "_"
                   for c in text).rstrip(".")
    if not name or not name[0].isalpha():
        name = "v" + name
    if name.upper() in SPSS_RESERVED:
        name += "_"
    return _truncate_bytes(name, SPSS_NAME_BYTES).rstrip(".")


class NameBook:
    """Hands out unique SPSS names; uniqueness ignores case, as SPSS does."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, wanted: str) -> str:
        base = spss_name(wanted)
        name, number = base, 1
        while name.casefold() in self._taken:
            number += 1
            suffix = f"_{number}"
            name = _truncate_bytes(base, SPSS_NAME_BYTES - len(suffix)) + suffix
        self._taken.add(name.casefold())
        return name


# -- the plan -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Merged:
    kind: str
    label: str
    choices: list[tuple[str, str]]


def _merged_items(forms: Sequence[Form]) -> dict[str, _Merged]:
    """The exported items of every version, in the first version's order, later versions'
    new items after them; a select's choices are the union, first version first."""
    items: dict[str, _Merged] = {}
    for form in forms:
        for item in form.items:
            if item.kind not in EXPORTED_KINDS or item.repeats:
                continue  # a repeat's questions are in its own table (export_repeats)
            choices = [(c.name, form.text(c.labels)) for c in form.choices_of(item)]
            merged = items.get(item.name)
            if merged is None:
                items[item.name] = _Merged(item.kind, form.text(item.labels), choices)
            else:
                known = {name for name, _ in merged.choices}
                merged.choices.extend(c for c in choices if c[0] not in known)
    return items


def plan_columns(forms: Sequence[Form], *, with_phone: bool) -> tuple[Column, ...]:
    """The export's columns for interviews on these questionnaire versions (the project's own
    version first)."""
    book = NameBook()
    meta = [Column(book.claim(name), kind, label, name, meta=True)
            for name, kind, label in META_COLUMNS]
    items = _merged_items(forms)
    own_names = {name: book.claim(name) for name in items}
    columns = [c for c in meta if with_phone or c.kind != "phone"]
    for name, item in items.items():
        choices = tuple(item.choices) if item.kind in {"select_one", "select_multiple"} else ()
        columns.append(Column(own_names[name], item.kind, item.label, name, choices=choices))
        if item.kind == "select_multiple":
            for choice, choice_label in item.choices:
                label = f"{item.label}: {choice_label}" if item.label else choice_label
                columns.append(Column(book.claim(f"{name}_{choice}"), "choice", label, name,
                                      choice=choice, choices=choices))
    return tuple(columns)


# -- cells ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterviewRow:
    """The stored facts of one exported interview (answers come separately)."""

    interview_id: int
    case_id: int | None
    phone: str | None
    stratum: str
    mode: str
    interviewer: str | None
    disposition: str | None
    started: dt.datetime | None
    ended: dt.datetime | None
    phone_local: str | None = None  # the number as dialled from a phone in China


def iso_utc(moment: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC to the second, e.g. 2026-11-24T01:30:00Z."""
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def duration_seconds(started: dt.datetime | None, ended: dt.datetime | None) -> int | None:
    if started is None or ended is None:
        return None
    return int((ended - started).total_seconds() + 0.5)


def as_number(text: str) -> Decimal | None:
    """A stored answer as a number, or None when it is not one."""
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def is_canonical_number(text: str) -> bool:
    return _CANONICAL_NUMBER.fullmatch(text) is not None


Cell = str | int | Decimal | dt.datetime | None


def _meta_cell(column: Column, row: InterviewRow) -> Cell:
    source = column.source
    if source == "duration_s":
        return duration_seconds(row.started, row.ended)
    if source in {"started", "ended"}:
        return iso_utc(getattr(row, source))
    value = getattr(row, source)
    return None if value in (None, "") else value


def cells(columns: Sequence[Column], row: InterviewRow, answers: Mapping[str, str], *,
          labels: bool = False) -> list[Cell]:
    """One interview's typed cells: None for empty, numbers for numeric answers (and for
    calculations that are canonical numbers), 0/1 ints for choice columns, else text."""
    result: list[Cell] = []
    for column in columns:
        if column.meta:
            result.append(_meta_cell(column, row))
            continue
        value = answers.get(column.source, "")
        kind = column.kind
        if value == "":
            result.append(None)
        elif kind == "choice":
            result.append(1 if column.choice in value.split() else 0)
        elif kind == "select_one":
            result.append(column.choice_label(value) if labels else value)
        elif kind == "select_multiple":
            result.append(LABEL_SEPARATOR.join(column.choice_label(name)
                                               for name in value.split())
                          if labels else value)
        elif kind in NUMERIC_KINDS:
            number = as_number(value)
            result.append(value if number is None else number)
        elif kind in COMPUTED_KINDS and is_canonical_number(value):
            result.append(Decimal(value))
        else:
            result.append(value)
    return result


# -- formulas -------------------------------------------------------------------------------


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula: it starts with = + - @, a tab
    or a carriage return (OWASP, CSV injection), or their full-width forms (＝ ＋ － ＠)."""
    if not text:
        return False
    first = text[0]
    return first in _FORMULA_STARTS or unicodedata.normalize("NFKC", first) in _FORMULA_STARTS


_E164 = re.compile(r"\+[0-9]{1,15}")


def dialable_in_china(e164: str | None) -> str | None:
    """The digits a desk phone in China dials for a stored E.164 number: the national form of
    a Chinese number (13707549135, 01012345678), 00 and the country code for any other."""
    if not e164:
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return None
    return re.sub(r"[^0-9]", "", phonenumbers.format_out_of_country_calling_number(number, "CN"))


def csv_cell(column: Column, value: Cell) -> str:
    """A value as its CSV cell: the phone columns hold the store's E.164 numbers and their
    digits, which no spreadsheet runs ("+8613707549135" is a number to Excel), so they are
    written as they are; other text is neutralised."""
    if column.kind == "phone" and isinstance(value, str) and (
            _E164.fullmatch(value) or value.isdigit()):
        return value
    if value is None:
        return ""
    return neutralise_csv(value) if isinstance(value, str) else str(value)


def neutralise_csv(text: str) -> str:
    """A CSV cell that Excel will not run: a single quote in front of formula-like text. A
    plain number such as -12 or -3.5 is left alone (Excel reads it as that number)."""
    if starts_like_formula(text) and _PLAIN_NUMBER.fullmatch(text) is None:
        return "'" + text
    return text


def column_sources(columns: Iterable[Column]) -> list[tuple[str, str, str, str, str]]:
    """(column, question, choice, kind, label) for each column: the documented mapping."""
    return [(c.name, c.source, c.choice or "", c.kind, c.label) for c in columns]

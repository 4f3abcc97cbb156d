"""XLSForm vocabulary in one place: type names, column aliases, yes/no words, AAPOR codes."""

from __future__ import annotations

import re

# Types the engine runs, by their XLSForm spelling (and common aliases).
TYPE_ALIASES = {
    "note": "note",
    "text": "text",
    "string": "text",
    "integer": "integer",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "datetime": "dateTime",
    "calculate": "calculate",
    "hidden": "hidden",
    "acknowledge": "acknowledge",
    "trigger": "acknowledge",
}
SELECT_TYPES = {
    "select_one": "select_one",
    "select one": "select_one",
    "select_multiple": "select_multiple",
    "select multiple": "select_multiple",
}
GROUP_BEGIN = {"begin group", "begin_group"}
GROUP_END = {"end group", "end_group"}
# Recorded by cati itself (interview start and end, interviewer): accepted and not presented.
METADATA_TYPES = {"start", "end", "today", "deviceid", "username", "simserial", "subscriberid",
                  "phonenumber", "email", "audit", "start-geopoint"}
# Types a telephone interview cannot run: refused at load.
REFUSED_TYPES = {
    "geopoint", "geotrace", "geoshape", "image", "audio", "video", "file", "barcode",
    "begin repeat", "begin_repeat", "end repeat", "end_repeat", "range", "rank",
    "background-audio", "begin loop", "end loop", "osm",
}

# Survey and choices column spellings -> our names (the part before any ::language).
COLUMN_ALIASES = {
    "relevance": "relevant",
    "constraint message": "constraint_message",
    "jr:constraintmsg": "constraint_message",
    "required message": "required_message",
    "jr:requiredmsg": "required_message",
    "calculate": "calculation",
    "choice filter": "choice_filter",
    "read only": "read_only",
    "readonly": "read_only",
    "list name": "list_name",
    "default_value": "default",
}
TRANSLATABLE = ("label", "hint", "constraint_message", "required_message")

YES = {"yes", "true", "true()", "1", "y"}
NO = {"no", "false", "false()", "0", "n", ""}

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

# AAPOR Standard Definitions, telephone dispositions: a workbook may store "4.70" as the number
# 4.7, so codes are read back to this canonical spelling.
AAPOR_CODES = (
    "1.0", "1.1", "1.2",
    "2.0", "2.10", "2.11", "2.111", "2.112", "2.12", "2.20", "2.21", "2.22", "2.221", "2.222",
    "2.30", "2.31", "2.32", "2.33", "2.331", "2.332", "2.34", "2.35", "2.36",
    "3.0", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15", "3.16", "3.161", "3.162", "3.17",
    "3.18", "3.19", "3.20", "3.21", "3.90", "3.91",
    "4.0", "4.10", "4.20", "4.30", "4.31", "4.32", "4.33", "4.40", "4.41", "4.42", "4.43",
    "4.44", "4.45", "4.50", "4.51", "4.52", "4.53", "4.54", "4.70", "4.71", "4.80", "4.90",
)


def canonical_disposition(text: str) -> str | None:
    """The AAPOR code as AAPOR writes it ("4.70"), or None when ``text`` is not a code."""
    text = text.strip()
    if text in AAPOR_CODES:
        return text
    try:
        number = float(text)
    except ValueError:
        return None
    matches = [code for code in AAPOR_CODES if float(code) == number]
    return matches[0] if len(matches) == 1 else None


def split_column(header: str) -> tuple[str, str | None]:
    """``label::中文 (zh)`` -> ("label", "中文 (zh)"); ``cati::disposition`` stays whole."""
    base, sep, language = header.partition("::")
    base = base.strip()
    if base.lower() == "cati":
        return header.strip().lower(), None
    key = COLUMN_ALIASES.get(base.lower(), base.lower())
    return key, (language.strip() or None) if sep else None


def is_yes(value: str | None) -> bool:
    return (value or "").strip().lower() in YES

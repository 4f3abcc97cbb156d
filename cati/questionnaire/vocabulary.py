"""XLSForm vocabulary in one place: type names, column aliases, yes/no words, AAPOR codes."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Types the engine runs, by their XLSForm spelling. pyxform's own spellings and aliases ("add
# text prompt", "phone number", "imei", "q int", ...) are read from pyxform's type table below, so
# every type pyxform accepts gets the same treatment here.
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
# pyxform's control rows: begin/end group, repeat (also lgroup, looped group) and loop over a list.
CONTROL_BEGIN = re.compile(
    r"^begin[ _](?P<type>group|repeat|lgroup|looped group|loop)( (over )?(?P<list>\S+))?$",
    re.IGNORECASE)
CONTROL_END = re.compile(r"^end[ _](?P<type>group|repeat|lgroup|looped group|loop)$", re.IGNORECASE)
REPEAT_CONTROLS = {"repeat", "lgroup", "looped group"}
# Recorded by cati itself (interview start and end, interviewer): accepted and not presented.
METADATA_TYPES = {"start", "end", "today", "deviceid", "username", "simserial", "subscriberid",
                  "phonenumber", "email", "audit", "start-geopoint"}
# Types a telephone interview cannot run and cati does not run in any mode: refused at load.
REFUSED_TYPES = {
    "rank",
}
# Items that need the device in the respondent's hands (a camera, GPS, a microphone, a scanner, a
# signature): not fatal. The row loads as an item the engine never presents ("unasked"), `cati
# form check` warns, and the interview records it as not asked (``${x}`` on it reads '').
PHONE_IMPOSSIBLE_TYPES = {
    "geopoint", "geotrace", "geoshape", "image", "photo", "audio", "video", "file", "barcode",
    "background-audio", "background-geopoint", "osm",
}
UNASKED_KIND = "unasked"

# Select spellings pyxform accepts before the list name (its ``aliases.select``), and the
# "… or other" endings. from-file, external and rank selects are not among them: cati refuses
# those by name.
SELECT_SPELLINGS = {
    "select_one": "select_one", "select one": "select_one", "select1": "select_one",
    "select one from": "select_one", "add select one prompt using": "select_one",
    "select_multiple": "select_multiple", "select all that apply": "select_multiple",
    "select all that apply from": "select_multiple",
    "add select multiple prompt using": "select_multiple",
}
OR_OTHER_ENDINGS = ("or_other", "or specify other", "or other")


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """What a survey row's type means to cati: the engine kind, plus what pyxform's type table
    adds to the type (a constraint such as ``phone number``'s digits-only, a default hint), and
    the type's own name for messages."""

    kind: str
    constraint: str = ""
    hint: str = ""
    canonical: str = ""


def _spec_from_pyxform(name: str, spec: dict) -> TypeSpec | None:
    control = (spec.get("control") or {}).get("tag")
    bind = spec.get("bind") or {}
    data_type = bind.get("type")
    extra = {"constraint": bind.get("constraint", ""), "hint": spec.get("hint", "")}
    if bind.get("jr:preload") or name in ("audit", "start-geopoint"):
        return TypeSpec("metadata", canonical=name)
    if data_type in ("geopoint", "geotrace", "geoshape", "barcode", "binary") or control == "upload":
        return TypeSpec(UNASKED_KIND, canonical=_media_name(name, data_type))
    if control is None:
        if name in ("xml-external", "csv-external"):
            return None  # external data: not a type this table maps
        return TypeSpec("hidden" if name == "hidden" else "calculate", canonical=name)
    if control == "trigger":
        return TypeSpec("acknowledge", canonical=name)
    if control == "input":
        if bind.get("readonly") == "true()":
            return TypeSpec("note", canonical=name)
        kind = {"string": "text", "int": "integer", "decimal": "decimal", "date": "date",
                "time": "time", "dateTime": "dateTime"}.get(data_type)
        if kind:
            return TypeSpec(kind, canonical=name, **extra)
    return None


def _media_name(name: str, data_type: str | None) -> str:
    lowered = name.lower()
    for word in ("geopoint", "geotrace", "geoshape", "barcode", "audio", "video", "file",
                 "background-geopoint", "background-audio"):
        if word in lowered:
            return word
    if data_type in ("geopoint", "geotrace", "geoshape", "barcode"):
        return data_type
    if any(word in lowered for word in ("image", "photo", "picture")):
        return "image"
    return name


def _pyxform_types() -> dict[str, TypeSpec]:
    from pyxform.aliases import _type_alias_map
    from pyxform.question_type_dictionary import QUESTION_TYPE_DICT

    table: dict[str, TypeSpec] = {}
    for name, spec in QUESTION_TYPE_DICT.items():
        if "external" in name:
            continue  # external choices and data files: cati.questionnaire.external reads them
        if (found := _spec_from_pyxform(name, spec)) is not None:
            table[name.lower()] = found
    for alias, target in _type_alias_map.items():
        if target.lower() in table:
            table[alias.lower()] = table[target.lower()]
    for name, kind in TYPE_ALIASES.items():
        table[name] = TypeSpec(kind, canonical=name)
    for name in PHONE_IMPOSSIBLE_TYPES:
        table[name] = TypeSpec(UNASKED_KIND, canonical="image" if name == "photo" else name)
    for name in METADATA_TYPES:
        table[name] = TypeSpec("metadata", canonical=name)
    return table


TYPE_TABLE = _pyxform_types()


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
    "value": "name",  # SurveyCTO's choices (and pyxform's survey) alias of name
    "caption": "label",
    "command": "type",
    "tag": "name",
    "jr:count": "repeat_count",
    "count": "repeat_count",
    "constraining_message": "constraint_message",
    "requiredmsg": "required_message",
}
# Survey columns cati reads; any other column is named in one warning (never dropped silently).
SURVEY_COLUMNS_USED = {
    "type", "name", "label", "hint", "relevant", "required", "required_message", "constraint",
    "constraint_message", "calculation", "default", "read_only", "choice_filter", "parameters",
    "appearance", "trigger",
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


def survey_column_used(key: str) -> bool:
    return key in SURVEY_COLUMNS_USED or key.startswith("cati::")


def split_column(header: str) -> tuple[str, str | None]:
    """``label::中文 (zh)`` -> ("label", "中文 (zh)"); ``cati::disposition`` stays whole;
    ``bind::relevant`` (and the old ``bind:relevant``) is ``relevant``."""
    lowered = header.strip().lower()
    if lowered.startswith("bind:"):
        header = header.strip()[6:] if lowered.startswith("bind::") else header.strip()[5:]
        if header.lower().startswith("jr:"):
            name, sep, language = header[3:].partition("::")
            key = COLUMN_ALIASES.get("jr:" + name.strip().lower(), name.strip().lower())
            return key, (language.strip() or None) if sep else None
    base, sep, language = header.partition("::")
    base = base.strip()
    if base.lower() == "cati":
        return header.strip().lower(), None
    key = COLUMN_ALIASES.get(base.lower(), base.lower())
    return key, (language.strip() or None) if sep else None


def is_yes(value: str | None) -> bool:
    return (value or "").strip().lower() in YES

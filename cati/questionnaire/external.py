"""Data files beside a form: choices read from a file, ``select_one_external`` lists, and the
files ``pulldata()`` and ``instance('id')/…`` paths read.

What a form names, as ODK has it:

* ``select_one_from_file households.csv`` (or ``select_multiple_from_file``; .csv, .xml or
  .geojson): the choices are the file's rows. A CSV has the columns ``name`` and ``label``
  (and ``label::LANGUAGE``); the row's ``parameters`` may name others (``value=code
  label=town``); the other columns are what a ``choice_filter`` reads. An XML file holds
  ``root/item`` elements with those children; a GeoJSON file's features give ``id`` as the
  name and the ``title`` property as the label.
* ``select_one_external LIST``: the list ``LIST`` of the ``external_choices`` sheet (ODK fills
  it from an itemsets.csv; in an interview it is asked as a select_one over that list, filtered
  by the row's choice_filter).
* ``pulldata('households', …)`` and ``instance('households')/root/item[…]/…``: the file
  ``households.csv`` (else ``households.xml``) beside the form; an ``instance()`` id that is a
  choice list of the form reads that list, as pyxform makes one instance per list.
  ``csv-external`` and ``xml-external`` rows, which declare such a file for ODK, are accepted
  and ask nothing.
* the older ``search('towns')`` appearance of a select (ODK Collect, SurveyCTO): the choices
  are the rows of ``towns.csv``; the one row of the choice list names the columns of the value
  (``name``) and of the label (``label``, ``label::LANGUAGE``); ``search('towns', 'matches',
  'county', ${county})`` (or ``contains``, ``startswith``, ``endswith``; a second column and
  value may follow ``matches``) filters them, as a choice_filter would.

The files are read from the folder of the form when it is loaded from a path, and otherwise
given with the workbook (``attachments``: file name -> bytes), which is how a stored
questionnaire version keeps them, so every workstation and a resumed interview see the same data.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cati.questionnaire.model import Choice, _frozen
from cati.questionnaire.vocabulary import split_column
from cati.questionnaire.xpath.instances import Element, document, table_document

FILE_SELECTS = {"select_one_from_file": "select_one",
                "select_multiple_from_file": "select_multiple"}
EXTERNAL_SELECTS = {"select_one_external": "select_one"}
DECLARATIONS = {"csv-external": ".csv", "xml-external": ".xml"}
FILE_SUFFIXES = (".csv", ".xml", ".geojson")
# A data file is a list of places or households: megabytes. The limit keeps a mistaken pick
# (a video, a database dump) from being read into memory and stored with the form.
MAX_FILE_BYTES = 16 << 20

_FILE_NAME = re.compile(r"^[^/\\\x00-\x1f]+$")
_FILE_REFERENCE = re.compile(r"""\b(instance|pulldata)\s*\(\s*(['"])([^'"]*)\2""")
_SEARCH = re.compile(r"""\bsearch\s*\(\s*(['"])([^'"]+)\1\s*(?:,(.*))?\)""", re.DOTALL)
_SEARCH_MODES = {"matches": "{column} = {value}", "contains": "contains({column}, {value})",
                 "startswith": "starts-with({column}, {value})",
                 "endswith": "ends-with({column}, {value})"}


class ExternalError(ValueError):
    """A data file cannot be used: ``str()`` is one line for the form's author."""


@dataclass(frozen=True, slots=True)
class Needed:
    """A data file the form names: where, and how (instance_id for pulldata()/instance())."""

    row: int
    column: str
    file_name: str  # a select's file; for an instance id, the first of id.csv, id.xml, …
    instance_id: str | None = None

    def candidates(self) -> tuple[str, ...]:
        if self.instance_id is None:
            return (self.file_name,)
        return tuple(self.instance_id + suffix for suffix in FILE_SUFFIXES)


def file_select(type_text: str) -> tuple[str, str] | None:
    """(kind, file name) of ``select_one_from_file X.csv``; None for any other type."""
    parts = type_text.split()
    if len(parts) == 2 and parts[0].lower() in FILE_SELECTS:
        return FILE_SELECTS[parts[0].lower()], parts[1]
    return None


def external_select(type_text: str) -> tuple[str, str] | None:
    """(kind, list name) of ``select_one_external LIST``; None for any other type."""
    parts = type_text.split()
    if len(parts) == 2 and parts[0].lower() in EXTERNAL_SELECTS:
        return EXTERNAL_SELECTS[parts[0].lower()], parts[1]
    return None


def declaration(type_text: str) -> str | None:
    """The suffix a ``csv-external NAME`` / ``xml-external NAME`` row declares; else None."""
    parts = type_text.split()
    return DECLARATIONS.get(parts[0].lower()) if len(parts) == 1 and parts else None


def needed_files(survey: list[tuple[int, Mapping[str, str]]]) -> list[Needed]:
    """Every data file the survey sheet names, with the first row naming it."""
    found: dict[str, Needed] = {}
    for row_number, row in survey:
        type_text = " ".join(row.get("type", "").split())
        select = file_select(type_text)
        if select:
            found.setdefault(select[1], Needed(row_number, "type", select[1]))
        if search := search_appearance(row.get("appearance", "")):
            name = search[0] + ".csv"
            found.setdefault(name, Needed(row_number, "appearance", name))
        suffix = declaration(type_text)
        if suffix and row.get("name"):
            name = row["name"].strip()
            found.setdefault(name + suffix, Needed(row_number, "type", name + suffix))
        for header, value in row.items():
            if header.split("::")[0].strip().lower() in ("label", "hint", "type", "name"):
                continue
            for _, _, instance_id in _FILE_REFERENCE.findall(value):
                instance_id = instance_id.strip()
                if instance_id:
                    found.setdefault("#" + instance_id, Needed(
                        row_number, split_column(header)[0], instance_id + ".csv", instance_id))
    return list(found.values())


def read_beside(form_path: Path, needed: list[Needed]) -> dict[str, bytes]:
    """The needed files that are in the folder of the form, by file name. A file that is
    absent is left out (the loader names it, with its row); one that cannot be read or is too
    large raises ExternalError."""
    folder = form_path.parent
    files: dict[str, bytes] = {}
    for need in needed:
        for name in need.candidates():
            if name in files or not _FILE_NAME.match(name) or name in (".", ".."):
                continue
            path = folder / name
            if not path.is_file():
                continue
            try:
                size = path.stat().st_size
                if size > MAX_FILE_BYTES:
                    raise ExternalError(f"'{name}' is {size >> 20} MB; a data file beside a form "
                                        f"may be {MAX_FILE_BYTES >> 20} MB at most")
                files[name] = path.read_bytes()
            except OSError as exc:
                raise ExternalError(f"cannot read '{name}': {exc.strerror or exc}") from None
    return files


def missing_message(need: Needed) -> str:
    if need.instance_id is None:
        return f"the file '{need.file_name}' is not beside the form"
    return (f"the file '{need.instance_id}.csv' (or .xml) is not beside the form, nor is "
            f"'{need.instance_id}' a choice list")


# Reading a file -----------------------------------------------------------------------------------


def rows_of_csv(name: str, content: bytes) -> list[dict[str, str]]:
    """The rows of a CSV file (UTF-8, a byte-order mark allowed) as {column: text}."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExternalError(f"'{name}' is not UTF-8 text") from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [column.strip() for column in next(reader, [])]
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            rows.append({column: cells[i].strip() if i < len(cells) else ""
                         for i, column in enumerate(header) if column})
    except csv.Error as exc:
        raise ExternalError(f"'{name}' is not a readable CSV file ({exc})") from None
    if not header or not any(header):
        raise ExternalError(f"'{name}' has no header row")
    return rows


def document_of(name: str, content: bytes) -> Element:
    """The instance document of a data file, by its suffix."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return table_document(rows_of_csv(name, content))
    if suffix == ".xml":
        return document(_xml_root(name, content))
    if suffix == ".geojson":
        return table_document(_geojson_rows(name, content))
    raise ExternalError(f"'{name}' is not a .csv, .xml or .geojson file")


def _xml_root(name: str, content: bytes) -> Element:
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise ExternalError(f"'{name}': a data file may not declare a DOCTYPE or entities")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise ExternalError(f"'{name}' is not well-formed XML ({exc})") from None
    return _element(root)


def _element(node: ET.Element) -> Element:
    children = tuple(_element(child) for child in node)
    text = (node.text or "").strip() if not children else ""
    return Element(_local(node.tag), text, children,
                   {_local(key): value for key, value in node.attrib.items()})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _geojson_rows(name: str, content: bytes) -> list[dict[str, str]]:
    try:
        data = json.loads(content.decode("utf-8-sig"))
        features = data["features"]
        rows = []
        for feature in features:
            properties = {str(k): _text(v) for k, v in (feature.get("properties") or {}).items()}
            identifier = feature.get("id", properties.get("id", ""))
            rows.append({"name": _text(identifier), "label": properties.get("title", ""),
                         **properties})
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise ExternalError(f"'{name}' is not a GeoJSON FeatureCollection") from None
    return rows


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Choices --------------------------------------------------------------------------------------


def file_choice_key(file_name: str, parameters: str) -> tuple[str, str, str]:
    """(choice list key, value column, label column) of a select from a file: the columns are
    ``name`` and ``label`` unless the row's parameters say ``value=…`` / ``label=…``."""
    values = {}
    for part in parameters.replace(";", " ").replace(",", " ").split():
        key, _, value = part.partition("=")
        values[key.strip().lower()] = value.strip()
    value_column = values.get("value") or "name"
    label_column = values.get("label") or "label"
    key = file_name
    if (value_column, label_column) != ("name", "label"):
        key = f"{file_name}?value={value_column}&label={label_column}"
    return key, value_column, label_column


def choices_of_file(name: str, content: bytes, value_column: str,
                    label_column: str) -> tuple[Choice, ...]:
    """The choices a select_one_from_file offers: one per row with a value."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xml":
        items = document_of(name, content).children[0].children
        rows = [{child.name: child.string_value() for child in item.children} for item in items]
    elif suffix == ".geojson":
        rows = _geojson_rows(name, content)
    elif suffix == ".csv":
        rows = rows_of_csv(name, content)
    else:
        raise ExternalError(f"'{name}' is not a .csv, .xml or .geojson file")
    if rows and value_column not in rows[0]:
        raise ExternalError(f"'{name}' has no column '{value_column}' for the choices' names")
    return tuple(_choices(rows, value_column, label_column))


def choices_of_rows(rows: list[tuple[int, Mapping[str, str]]], list_name: str,
                    ) -> tuple[Choice, ...]:
    """The choices of list ``list_name`` on the external_choices sheet."""
    wanted = [dict(row) for _, row in rows if row.get("list_name", "").strip() == list_name]
    return tuple(_choices(wanted, "name", "label", skip=("list_name",)))


def _choices(rows: list[Mapping[str, str]], value_column: str, label_column: str,
             skip: tuple[str, ...] = ()) -> Iterator[Choice]:
    for row in rows:
        name = str(row.get(value_column, "")).strip()
        if not name:
            continue
        labels: dict[str, str] = {}
        attributes: dict[str, str] = {}
        for column, value in row.items():
            base, language = split_column(column)
            if column == label_column or (base == label_column and language):
                labels[language or "default"] = str(value)
            elif column not in skip and column != value_column:
                attributes[column] = str(value)
        if value_column != "name":
            attributes.setdefault("name", name)
        yield Choice(name=name, labels=_frozen(labels), attributes=_frozen(attributes))


def search_appearance(appearance: str) -> tuple[str, str] | None:
    """(file id, the rest of the arguments) of a ``search('id', …)`` appearance; else None."""
    match = _SEARCH.search(appearance)
    return (match.group(2).strip(), (match.group(3) or "").strip()) if match else None


def search_filter(arguments: str) -> str | None:
    """The choice_filter a search()'s arguments after the file stand for ('' when there are
    none); None when they are not a filter cati reads."""
    if not arguments:
        return ""
    parts = [part.strip() for part in _split_arguments(arguments)]
    if not parts or len(parts) not in (3, 5):
        return None
    mode = parts[0].strip("'\"").lower()
    if mode not in _SEARCH_MODES or (len(parts) == 5 and mode != "matches"):
        return None
    conditions = []
    for column, value in zip(parts[1::2], parts[2::2], strict=True):
        column = column.strip("'\"")
        if not re.fullmatch(r"[^\W\d][\w.\-]*", column):
            return None
        conditions.append(_SEARCH_MODES[mode].format(column=column, value=value))
    return " and ".join(conditions)


def _split_arguments(text: str) -> list[str]:
    """Split at the commas outside quotes, ${…} and parentheses."""
    parts, current, quote, depth = [], [], "", 0
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def choices_of_search(name: str, content: bytes, placeholder: Choice) -> tuple[Choice, ...]:
    """The choices of a search() appearance: one per row of the file, its value from the
    column the placeholder choice's name names, its labels from the columns its labels name."""
    rows = rows_of_csv(name, content)
    value_column = placeholder.name
    if rows and value_column not in rows[0]:
        raise ExternalError(f"'{name}' has no column '{value_column}' for the choices' names")
    choices = []
    for row in rows:
        value = row.get(value_column, "").strip()
        if value:
            labels = {language: row.get(column.strip(), column)
                      for language, column in placeholder.labels.items()}
            choices.append(Choice(name=value, labels=_frozen(labels), attributes=_frozen(row)))
    return tuple(choices)


def list_document(choices: tuple[Choice, ...]) -> Element:
    """A choice list as pyxform writes its instance: root/item with name, label and the
    other columns."""
    rows = []
    for choice in choices:
        row = {"name": choice.name}
        label = next((text for text in choice.labels.values() if text), "")
        row["label"] = choice.labels.get("default", label)
        row.update(choice.attributes)
        rows.append(row)
    return table_document(rows)


class Instances(Mapping[str, Element]):
    """The instances a form's expressions may read, built when first read: a data file given
    with the form (id.csv, else id.xml, id.geojson), else a choice list of that name."""

    def __init__(self, files: Mapping[str, bytes], choices: Mapping[str, tuple[Choice, ...]]
                 ) -> None:
        self._files = files
        self._choices = choices
        self._built: dict[str, Element] = {}

    def source(self, instance_id: str) -> str | None:
        for suffix in FILE_SUFFIXES:
            if instance_id + suffix in self._files:
                return instance_id + suffix
        return None

    def __getitem__(self, instance_id: str) -> Element:
        built = self._built.get(instance_id)
        if built is None:
            source = self.source(instance_id)
            if source is not None:
                built = document_of(source, self._files[source])
            elif instance_id in self._choices:
                built = list_document(self._choices[instance_id])
            else:
                raise KeyError(instance_id)
            self._built[instance_id] = built
        return built

    def __contains__(self, instance_id: object) -> bool:
        return isinstance(instance_id, str) and (
            self.source(instance_id) is not None or instance_id in self._choices)

    def __iter__(self) -> Iterator[str]:
        names = {Path(name).stem for name in self._files} | set(self._choices)
        return iter(sorted(names))

    def __len__(self) -> int:
        return sum(1 for _ in self)

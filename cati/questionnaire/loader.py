"""Compile an XLSForm into the engine's model, or say exactly what is wrong and where.

One entry point, :func:`load_form`, takes a path, workbook bytes or a markdown string. Every
expression is parsed once here; a parse error, an unknown ``${name}``, an unknown choice list or
a cycle among calculations fails the load with sheet, row and column. pyxform then checks the
workbook by the XLSForm reference rules, so a form that loads here also converts for ODK.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json

from cati.questionnaire import external, xpath
from cati.questionnaire.graph import find_cycle
from cati.questionnaire.indices import compile_indices
from cati.questionnaire.model import (
    LABEL_REFERENCE,
    Choice,
    Form,
    Item,
    Texts,
    _frozen,
    build_form,
    dependencies,
)
from cati.questionnaire.problems import FormError, FormProblem, problem_from_pyxform
from cati.questionnaire.reader import RawForm, Row, Source, read_source
from cati.questionnaire.repeats import (
    begin_repeat,
    check_key_lengths,
    closes_repeat,
    compiled_repeats,
    current_repeats,
    end_repeat,
)
from cati.questionnaire.vocabulary import (
    CONTROL_BEGIN,
    CONTROL_END,
    NAME_PATTERN,
    NO,
    OR_OTHER_ENDINGS,
    REFUSED_TYPES,
    REPEAT_CONTROLS,
    SELECT_SPELLINGS,
    TRANSLATABLE,
    TYPE_TABLE,
    UNASKED_KIND,
    YES,
    TypeSpec,
    canonical_disposition,
    is_yes,
    split_column,
    survey_column_used,
)

OTHER_CHOICE = "other"


def load_form(source: Source, file_name: str | None = None,
              attachments: Mapping[str, bytes] | None = None, *, convert: bool = True) -> Form:
    """Read and compile a questionnaire. Raises FormError listing every problem found.

    ``attachments`` are the data files the form names (file name -> bytes, see
    :mod:`cati.questionnaire.external`); when None they are read from the form's folder.
    ``convert``: see :func:`compile_form`."""
    raw = read_source(source, file_name)
    if attachments is None:
        attachments = files_beside(source, raw)
    return compile_form(raw, attachments, convert=convert)


def files_beside(source: Source, raw: RawForm) -> dict[str, bytes]:
    """The data files the form names that sit in its folder (none for a form given as bytes
    or markdown text); a file that cannot be read is a FormError of one line."""
    if isinstance(source, bytes) or (isinstance(source, str) and "\n" in source):
        return {}
    try:
        return external.read_beside(Path(source), external.needed_files(raw.survey))
    except external.ExternalError as exc:
        raise FormError([FormProblem("file", None, str(exc))], raw.file_name) from None


def compile_form(raw: RawForm, attachments: Mapping[str, bytes] | None = None, *,
                 warnings: list[FormProblem] | None = None, convert: bool = True) -> Form:
    """The compiled form; what the form asks that cati leaves out (a phone-impossible item, a
    column it does not read, an ignored sheet) is appended to ``warnings`` when given.

    ``convert``: run pyxform's whole conversion (a form is checked so when it is brought in).
    A stored questionnaire version, accepted when it was brought in, compiles with pyxform's
    first step only, as it always did: interviews already started on it keep running, and
    compiling it costs no XForm it never uses."""
    compiler = _Compiler(raw, attachments or {})
    form = compiler.compile()
    if compiler.problems:
        raise FormError(sorted(compiler.problems, key=_sheet_order), raw.file_name)
    pyxform_warnings = _check_with_pyxform(raw, convert=convert, rows=compiler.item_rows)
    if warnings is not None:
        warnings.extend(pyxform_warnings)
        warnings.extend(sorted(compiler.warnings, key=_sheet_order))
    return form


SHEET_ORDER = ("file", "survey", "choices", "settings", "indices")


def _sheet_order(problem: FormProblem) -> tuple[int, int]:
    sheet = SHEET_ORDER.index(problem.sheet) if problem.sheet in SHEET_ORDER else len(SHEET_ORDER)
    return sheet, problem.row or 0


def _check_with_pyxform(raw: RawForm, *, convert: bool = True,
                        rows: dict[str, int] | None = None) -> list[FormProblem]:
    """pyxform's whole conversion, as for ODK (workbook to JSON, the survey built from it, its
    XForm written; ODK Validate's Java is not run): whatever pyxform refuses, cati refuses, with
    pyxform's words at the sheet and row it names. Returns pyxform's warnings. On the shipped
    form the XForm step adds about 40 ms of CPU to a load of about 85 ms; a stored version skips
    it (``convert=False``)."""
    texts: list[str] = []
    try:
        # pyxform changes the rows it is given: it gets its own copy, so a form checks the same
        # every time
        data = workbook_to_json(_for_pyxform(raw.definition),
                                fallback_form_name=_stem(raw.file_name),
                                warnings=texts)
        if convert:
            survey = create_survey_element_from_dict(data)
            survey.to_xml(validate=False, warnings=texts)
    except PyXFormError as exc:
        raise FormError([_with_row(problem_from_pyxform(str(exc)), rows or {})],
                        raw.file_name) from None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        # pyxform's builder lets these through for some forms its first step accepts; it
        # refuses the form all the same
        raise FormError([FormProblem("file", None, f"pyxform cannot convert this form "
                                     f"({type(exc).__name__}: {_short(str(exc))})")],
                        raw.file_name) from None
    # cati's own warning names a skipped comment row already, by sheet and row
    return [FormProblem("file", None, " ".join(text.split()), warning=True) for text in texts
            if "Row without name, text, or label" not in text]


_NAMED = re.compile(r"\$\{([^}\s]+)\}|named '([^']+)'")


def _with_row(problem: FormProblem, rows: dict[str, int]) -> FormProblem:
    """pyxform's XForm step names the question, not the row ("The survey element named 'q1'
    has no label or hint", "… trigger for question ${q2}"): the row is that of the question
    named last."""
    if problem.row is not None or problem.sheet != "survey":
        return problem
    names = [a or b for a, b in _NAMED.findall(problem.message)]
    for name in reversed(names):
        if name in rows:
            return FormProblem(problem.sheet, rows[name], problem.message, problem.column)
    return problem


def _for_pyxform(definition):
    """A copy of the sheets for pyxform (it changes the rows it is given, so each check gets its
    own). cati's own ``cati::`` columns are left out of the choices sheet: pyxform reads a
    ``::`` column there as nested extra data and its XForm writer fails on it, and they mean
    nothing to ODK."""
    definition = copy.deepcopy(definition)
    for rows in (definition.choices or [], definition.choices_header or []):
        for row in rows:
            for key in [k for k in row if str(k).strip().lower().startswith("cati::")]:
                del row[key]
    return definition


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "…"


def _stem(file_name: str) -> str:
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem if NAME_PATTERN.match(stem) else "form"


@dataclass
class _Cell:
    """Per-row values split into plain columns and translated columns."""

    plain: dict[str, str] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))


def _split_row(row: Row, dropped: dict[str, int] | None = None, row_number: int = 0) -> _Cell:
    """The row's cells by cati's column names. A column named outright wins over an alias of
    it (``name`` over SurveyCTO's ``value``). On the survey sheet (``dropped`` given), a column
    cati does not use is noted, for one warning naming it."""
    cell = _Cell()
    for header, value in row.items():
        key, language = split_column(header)
        if key in TRANSLATABLE:
            cell.texts[key][language or "default"] = value
        elif key not in cell.plain or header.strip().lower() == key:
            cell.plain[key] = value
        if dropped is not None and not survey_column_used(key) and header not in dropped:
            dropped[header] = row_number
    return cell


SMART_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _parse(text: str) -> xpath.Expression:
    """Typographic quotes in an expression read as plain ones, as pyxform writes them out: a
    word processor turns ``'yes'`` into ``’yes’`` and the form still means ``'yes'``. An
    expression that parses as written keeps them (a string literal may list ’ and ” on purpose,
    as the shipped form's punctuation count does); the plain reading is the fallback."""
    try:
        return xpath.parse(text)
    except xpath.ExpressionSyntaxError as error:
        plain = text.translate(SMART_QUOTES)
        if plain != text:
            try:
                return xpath.parse(plain)
            except xpath.ExpressionSyntaxError:
                pass
        raise error from None


def _substitute(row: Row, choice: Choice) -> Row:
    """A loop row for one choice: ``%(name)s`` and ``%(label)s`` replaced in every cell, the
    label in the cell's own language where the choice has one."""
    out = {}
    for header, value in row.items():
        _, language = split_column(header)
        label = choice.labels.get(language or "default") or next(
            (text for text in choice.labels.values() if text), "")
        out[header] = value.replace("%(name)s", choice.name).replace("%(label)s", label)
    return out


# Settings cati reads; the others (submission_url, public_key, instance_name, style, ...) are
# ODK delivery settings with no meaning here, named in a warning.
SETTINGS_USED = {"form_title", "form_id", "version", "default_language", "allow_choice_duplicates",
                 "clean_text_values", "set_form_title", "set_form_id", "id_string"}
MEDIA_COLUMNS = {"image", "big-image", "audio", "video"}


def _setting_used(header: str) -> bool:
    lowered = header.strip().lower().replace(" ", "_")
    return lowered in SETTINGS_USED or lowered.startswith("cati::")


def _range_spec(parameters: str) -> TypeSpec:
    """``range`` asked on the phone: a number from start to end (pyxform's defaults 0, 10) in
    steps of step (1); decimal when any of them is. Parameters that are not numbers are left to
    pyxform's check, which refuses them."""
    values = {"start": "0", "end": "10", "step": "1"}
    for part in parameters.replace(";", ",").replace(",", " ").replace(" = ", "=").split():
        key, _, value = part.partition("=")
        values[key.strip().lower()] = value.strip()
    try:
        start, end, step = (Decimal(values[k]) for k in ("start", "end", "step"))
    except InvalidOperation:
        return TypeSpec("integer", canonical="range")
    kind = "decimal" if any("." in values[k] for k in ("start", "end", "step")) else "integer"
    low, high = min(start, end), max(start, end)
    constraint = f". >= {low} and . <= {high}"
    if step:
        constraint += f" and ((. - {start}) mod {abs(step)}) = 0"
    return TypeSpec(kind, constraint=constraint, hint=f"{low}–{high}", canonical="range")


class _Compiler:
    def __init__(self, raw: RawForm, attachments: Mapping[str, bytes]) -> None:
        self.raw = raw
        self.attachments = dict(attachments)
        self.instances: external.Instances | None = None
        self.file_errors: set[str] = set()
        self.sheet_lists: frozenset[str] = frozenset()
        self.searched: dict[str, str] = {}  # choice list -> the file its search() reads
        self.searched_keys: set[str] = set()
        self.placeholders: dict[str, Choice] = {}
        self.problems: list[FormProblem] = []
        self.languages: list[str] = []
        self.choices: dict[str, tuple[Choice, ...]] = {}
        self.items: list[Item] = []
        self.item_rows: dict[str, int] = {}
        self.warnings: list[FormProblem] = []
        self.dropped: dict[str, int] = {}  # survey columns cati does not use -> first row
        self.keys: dict[int, str] = {}
        self.ambiguous: set[str] = set()
        self.range_parameters = ""

    def error(self, sheet: str, row: int | None, message: str, column: str | None = None) -> None:
        self.problems.append(FormProblem(sheet, row, message, column))

    def warn(self, sheet: str, row: int | None, message: str, column: str | None = None) -> None:
        self.warnings.append(FormProblem(sheet, row, message, column, warning=True))

    # -- the whole form -------------------------------------------------------------------
    def compile(self) -> Form:
        self.choices = self._compile_choices()
        self._check_files()
        self._compile_survey()
        check_key_lengths(self)
        self._check_references()
        self._check_cycles()
        self._note_dropped()
        settings = dict(self.raw.settings)
        default_language = settings.get("default_language") or (
            self.languages[0] if self.languages else "default"
        )
        stratum_question = settings.get("cati::stratum_question")
        if stratum_question and stratum_question not in self.item_rows:
            self.error("settings", 2, f"names no question '{stratum_question}'",
                       "cati::stratum_question")
        indices = compile_indices(self.raw.extra.get("indices", []), self.items, self.choices,
                                  self.problems)
        return build_form(
            form_id=settings.get("form_id") or _stem(self.raw.file_name),
            version=settings.get("version", ""),
            title=settings.get("form_title") or settings.get("form_id") or _stem(self.raw.file_name),
            default_language=default_language,
            languages=tuple(self.languages) or ("default",),
            items=self.items,
            choices=self.choices,
            settings=settings,
            indices=indices,
            stratum_question=stratum_question,
            repeats=compiled_repeats(self),
        )

    def _note_dropped(self) -> None:
        for header, row_number in self.dropped.items():
            self.warn("survey", row_number, f"cati does not use the column '{header}'; it is "
                      "ignored", header)
        headers = {header for _, row in self.raw.survey for header in row}
        for header in sorted(headers):
            lowered = header.lower()
            if lowered.startswith("bind:") and not lowered.startswith("bind::"):
                key, _ = split_column(header)
                self.warn("survey", None, f"the old spelling '{header}' is honoured as '{key}', "
                          f"but pyxform ignores it (ODK would not apply it): write '{key}'",
                          header)
        for header in self.raw.settings:
            if not _setting_used(header):
                self.warn("settings", 2, f"cati does not use the setting '{header}'; it is "
                          "ignored", header)
        choice_headers = {header for _, row in self.raw.choices for header in row}
        for header in sorted(choice_headers):
            base = header.lower().removeprefix("media::").split("::")[0].strip()
            if base in MEDIA_COLUMNS:
                self.warn("choices", None, f"cati does not show the media column '{header}'; "
                          "it is ignored", header)
        for sheet in self.raw.ignored_sheets:
            self.warn(sheet, None, f"the '{sheet}' sheet is not used by cati; it is ignored")

    def _note_languages(self, texts: dict[str, dict[str, str]]) -> None:
        for by_language in texts.values():
            for language in by_language:
                if language != "default" and language not in self.languages:
                    self.languages.append(language)

    # -- choices ----------------------------------------------------------------------------
    def _compile_choices(self) -> dict[str, tuple[Choice, ...]]:
        lists: dict[str, list[Choice]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()
        duplicates_allowed = is_yes(self.raw.settings.get("allow_choice_duplicates"))
        for row_number, row in self.raw.choices:
            if not row:
                continue
            cell = _split_row(row)
            list_name = cell.plain.pop("list_name", "")
            name = cell.plain.pop("name", "")
            if not list_name:  # pyxform leaves such a row out of every list (a note, a heading)
                self.warn("choices", row_number, "a choice without a list_name is in no list; "
                          "it is ignored", "list_name")
                continue
            if not name:
                self.error("choices", row_number, "a choice needs a name", "name")
                continue
            if (list_name, name) in seen and not duplicates_allowed:
                self.error("choices", row_number,
                           f"choice '{name}' appears twice in list '{list_name}'", "name")
            seen.add((list_name, name))
            self._note_languages(cell.texts)
            lists[list_name].append(self._choice(row_number, name, cell))
        return {name: tuple(choices) for name, choices in lists.items()}

    def _choice(self, row_number: int, name: str, cell: _Cell) -> Choice:
        score = None
        if raw_score := cell.plain.pop("score", ""):
            try:
                score = Decimal(raw_score)
            except InvalidOperation:
                self.error("choices", row_number, f"score '{raw_score}' is not a number", "score")
        not_read = is_yes(cell.plain.pop("cati::not_read", ""))
        return Choice(name=name, labels=_frozen(cell.texts.get("label")), score=score,
                      not_read=not_read, attributes=_frozen(cell.plain))

    # -- survey -----------------------------------------------------------------------------
    def _compile_survey(self) -> None:
        rows = self._expand_loops(self.raw.survey)
        self.keys = self._item_keys(rows)
        groups: list[tuple[str, xpath.Expression | None, int]] = []
        levels: list[dict[str, int]] = [{}]  # names in use at each level: pyxform's sibling rule
        for position, (row_number, row) in enumerate(rows):
            if not row:
                continue
            cell = _split_row(row, self.dropped, row_number)
            type_text = " ".join(cell.plain.get("type", "").split())
            begin = CONTROL_BEGIN.match(type_text)
            end = CONTROL_END.match(type_text)
            if not type_text:
                if cell.plain.get("name") or any(cell.texts.get("label", {}).values()):
                    self.error("survey", row_number, "a row with content needs a type", "type")
                else:
                    self.warn("survey", row_number,
                              "a row without type, name or label is skipped (a comment)")
            elif begin and begin.group("type").lower() == "group":
                name = self._name(row_number, cell)
                self._claim(levels[-1], name, row_number)
                relevant = self._expression(row_number, cell.plain, "relevant")
                groups.append((name, relevant, row_number))
                levels.append({})
            elif begin and begin.group("type").lower() in REPEAT_CONTROLS:
                begin_repeat(self, row_number, cell, groups)
                levels.append({})
            elif end and end.group("type").lower() in REPEAT_CONTROLS:
                depth = len(groups)
                end_repeat(self, row_number, groups)
                if len(groups) < depth:
                    levels.pop()
            elif end and end.group("type").lower() == "group":
                if not groups:
                    self.error("survey", row_number, "'end group' without a 'begin group'", "type")
                elif (repeat := closes_repeat(self, groups)) is not None:
                    self.error("survey", row_number,
                               f"'end group' cannot close repeat '{repeat}' (use 'end repeat')",
                               "type")
                else:
                    groups.pop()
                    levels.pop()
            else:
                self._compile_item(row_number, type_text, cell, groups, levels[-1],
                                   self.keys.get(position))
        open_repeats = current_repeats(self)
        for name, _, row_number in groups:
            if name in open_repeats:
                self.error("survey", row_number,
                           f"repeat '{name}' is never closed with 'end repeat'", "type")
            else:
                self.error("survey", row_number,
                           f"group '{name}' is never closed with 'end group'", "type")

    def _claim(self, level: dict[str, int], name: str, row_number: int) -> bool:
        """Names must differ among siblings (pyxform's rule); the same name in another group is
        allowed."""
        if not name:
            return False
        if name in level:
            self.error("survey", row_number,
                       f"the name '{name}' is already used on row {level[name]}", "name")
            return False
        level[name] = row_number
        return True

    def _item_keys(self, rows: list[tuple[int, Row]]) -> dict[int, str]:
        """The key each item's answer is stored under. A name used once in the form is its own
        key. A name that pyxform allows more than once (in different groups) is keyed by its
        group path, joined with dots (``g2.age``), so every answer has one place; a ``${age}``
        naming it is refused, as pyxform refuses it, because it cannot say which one is meant."""
        paths: dict[int, tuple[str, ...]] = {}
        counts: dict[str, int] = defaultdict(int)
        stack: list[str] = []
        for position, (_, row) in enumerate(rows):
            type_text = " ".join(row.get("type", "").split())
            name = row.get("name", "")
            begin, end = CONTROL_BEGIN.match(type_text), CONTROL_END.match(type_text)
            if begin:
                counts[name] += 1
                stack.append(name)
            elif end:
                if stack:
                    stack.pop()
            elif name:
                counts[name] += 1
                paths[position] = (*stack, name)
        self.ambiguous = {name for name, count in counts.items() if name and count > 1}
        return {position: ".".join(path) if path[-1] in self.ambiguous and len(path) > 1
                else path[-1] for position, path in paths.items()}

    def _expand_loops(self, rows: list[tuple[int, Row]]) -> list[tuple[int, Row]]:
        """``begin loop over X`` … ``end loop`` becomes, as pyxform builds it, a group named by
        the loop holding one group per choice of X (named and labelled by the choice; a choice
        named ``none`` is left out) around a copy of the loop's rows, with ``%(name)s`` and
        ``%(label)s`` in every cell replaced by the choice's name and label (in each language)."""
        out: list[tuple[int, Row]] = []
        index = 0
        while index < len(rows):
            row_number, row = rows[index]
            begin = CONTROL_BEGIN.match(" ".join(row.get("type", "").split()))
            if not (begin and begin.group("type").lower() == "loop"):
                out.append((row_number, row))
                index += 1
                continue
            depth, close = 1, None
            for later in range(index + 1, len(rows)):
                type_text = " ".join(rows[later][1].get("type", "").split())
                later_begin, later_end = CONTROL_BEGIN.match(type_text), CONTROL_END.match(type_text)
                if later_begin and later_begin.group("type").lower() == "loop":
                    depth += 1
                elif later_end and later_end.group("type").lower() == "loop":
                    depth -= 1
                    if depth == 0:
                        close = later
                        break
            list_name = begin.group("list") or ""
            if close is None:
                self.error("survey", row_number, "'begin loop' is never closed with 'end loop'",
                           "type")
                return out
            if list_name not in self.choices:
                self.error("survey", row_number,
                           f"choice list '{list_name}' is not on the choices sheet", "type")
                index = close + 1
                continue
            body = self._expand_loops(rows[index + 1:close])
            out.append((row_number, {**row, "type": "begin group"}))
            for choice in self.choices[list_name]:
                if choice.name == "none":
                    continue
                group = {"type": "begin group", "name": choice.name}
                for language, text in choice.labels.items():
                    group["label" if language == "default" else f"label::{language}"] = text
                out.append((row_number, group))
                out.extend((number, _substitute(inner, choice)) for number, inner in body)
                out.append((rows[close][0], {"type": "end group"}))
            out.append((rows[close][0], {"type": "end group"}))
            index = close + 1
        return out

    def _compile_item(self, row_number: int, type_text: str, cell: _Cell, groups: list,
                      level: dict[str, int], key: str | None) -> None:
        if external.declaration(type_text):
            return  # csv-external / xml-external: declares a data file for ODK; asks nothing
        self.range_parameters = cell.plain.get("parameters", "")
        found = self._external_select(row_number, type_text, cell)
        if found is not None:
            kind, choice_list, or_other = found
            spec = TypeSpec(kind, canonical=kind) if kind else None
        else:
            spec, choice_list, or_other = self._kind(row_number, type_text)
        if choice_list and (search := external.search_appearance(cell.plain.get("appearance",
                                                                                 ""))):
            choice_list = self._search_choices(row_number, choice_list, search, cell)
            spec = spec if choice_list else None
        if spec is None:
            return
        if not cell.plain.get("name") and spec.kind == "note":
            cell.plain["name"] = key = f"generated_note_name_{row_number}"  # as pyxform names it
        if not cell.plain.get("name") and type_text.lower() == "audit":
            cell.plain["name"] = key = "audit"  # pyxform names it so
        name = self._name(row_number, cell)
        if not name or not self._claim(level, name, row_number):
            return
        key = key or name
        if key in self.item_rows:
            self.error("survey", row_number,
                       f"the name '{key}' is already used on row {self.item_rows[key]}", "name")
            return
        if spec.kind == "metadata":
            self.warn("survey", row_number,
                      f"'{type_text}' is recorded by cati itself; the row is ignored", "type")
            spec = TypeSpec("hidden", canonical=spec.canonical)
        elif spec.kind == UNASKED_KIND:
            what = "signature" if spec.canonical == "image" and "signature" in \
                cell.plain.get("appearance", "") else spec.canonical
            self.warn("survey", row_number,
                      f"{what} cannot be asked on the phone; it will be skipped", "type")
        self._note_languages(cell.texts)
        item = self._item(row_number, key, spec, choice_list, cell, groups)
        self.item_rows[key] = row_number
        self.items.append(item)
        if or_other:
            self._add_other(item)

    def _kind(self, row_number: int, type_text: str) -> tuple[TypeSpec | None, str | None, bool]:
        lowered = type_text.lower()
        if lowered in REFUSED_TYPES or lowered.split(" ")[0] in REFUSED_TYPES:
            self.error("survey", row_number,
                       f"type '{type_text}' cannot be run in a telephone interview", "type")
            return None, None, False
        if lowered in TYPE_TABLE:
            return TYPE_TABLE[lowered], None, False
        if lowered == "range":
            return _range_spec(self.range_parameters), None, False
        if lowered.startswith("osm "):
            return TYPE_TABLE["osm"], None, False
        for spelling in sorted(SELECT_SPELLINGS, key=len, reverse=True):
            if lowered == spelling or lowered.startswith(spelling + " "):
                rest = type_text[len(spelling):].strip()
                list_name, or_other = rest, False
                for ending in OR_OTHER_ENDINGS:
                    if rest.lower().endswith(" " + ending):
                        list_name, or_other = rest[: -len(ending) - 1].strip(), True
                        break
                if list_name and " " not in list_name:
                    return self._select(row_number, SELECT_SPELLINGS[spelling], list_name,
                                        or_other)
                self.error("survey", row_number,
                           f"'{type_text}' must name one choice list, as in '{spelling} yes_no'",
                           "type")
                return None, None, False
        self.error("survey", row_number, f"unknown type '{type_text}'", "type")
        return None, None, False

    def _select(self, row_number: int, kind: str, list_name: str, or_other: bool):
        if list_name not in self.choices:
            self.error("survey", row_number,
                       f"choice list '{list_name}' is not on the choices sheet", "type")
            return None, None, False
        if or_other and not any(c.name == OTHER_CHOICE for c in self.choices[list_name]):
            other = Choice(OTHER_CHOICE, _frozen({"default": "Other", "中文 (zh)": "其他"}))
            self.choices[list_name] = (*self.choices[list_name], other)
        return TypeSpec(kind, canonical=kind), list_name, or_other

    def _name(self, row_number: int, cell: _Cell) -> str:
        name = cell.plain.get("name", "")
        if not name:
            self.error("survey", row_number, "this row needs a name", "name")
        elif not NAME_PATTERN.match(name):
            self.error("survey", row_number,
                       f"'{name}' is not a valid name (letters, digits, _ . -; not starting with a digit)",
                       "name")
            return ""
        return name

    def _item(self, row_number: int, name: str, spec: TypeSpec, choice_list: str | None,
              cell: _Cell, groups: list) -> Item:
        plain = cell.plain
        kind = spec.kind
        if spec.constraint:  # the type's own rule (phone number: digits only) and the row's
            own = plain.get("constraint", "")
            plain["constraint"] = f"({spec.constraint}) and ({own})" if own else spec.constraint
        hints = dict(cell.texts.get("hint") or {})
        if spec.hint and not any(hints.values()):
            hints["default"] = spec.hint
        own_relevant = self._expression(row_number, plain, "relevant")
        relevance = tuple(expr for _, expr, _ in groups if expr is not None)
        if own_relevant is not None:
            relevance = (*relevance, own_relevant)
        required = plain.get("required", "")
        disposition = self._disposition(row_number, kind, plain, cell.texts)
        labels = cell.texts.get("label", {})
        return Item(
            name=name,
            kind=kind,
            row=row_number,
            labels=_frozen(labels),
            hints=_frozen(hints),
            relevance=relevance,
            required=self._required(row_number, required),
            required_messages=_frozen(cell.texts.get("required_message")),
            constraint=self._expression(row_number, plain, "constraint"),
            constraint_messages=_frozen(cell.texts.get("constraint_message")),
            calculation=self._calculation(row_number, kind, plain),
            default=plain.get("default"),
            read_only=is_yes(plain.get("read_only")),
            read_only_when=self._read_only_when(row_number, plain),
            trigger=self._trigger(row_number, plain),
            choice_list=choice_list,
            choice_filter=self._expression(row_number, plain, "choice_filter"),
            randomize=self._randomize(row_number, plain.get("parameters", "")),
            appearance=plain.get("appearance", ""),
            disposition=disposition,
            groups=tuple(group for group, _, _ in groups),
            label_references=self._label_references(row_number, labels),
            case_data=self._case_data(row_number, kind, plain),
            repeats=current_repeats(self),
        )

    def _expression(self, row_number: int, plain: dict[str, str], column: str):
        text = plain.get(column, "")
        if not text:
            return None
        try:
            expression = _parse(text)
        except xpath.ExpressionSyntaxError as exc:
            self.error("survey", row_number, f"{exc} in '{text}'", column)
            return None
        if expression.instance_ids and self.instances is not None:
            try:
                expression = expression.bind(self.instances)
            except external.ExternalError as exc:  # a data file it reads is not readable
                if str(exc) not in self.file_errors:  # said once, on the first row reading it
                    self.file_errors.add(str(exc))
                    self.error("survey", row_number, str(exc), column)
                return None
        return expression

    def _read_only_when(self, row_number: int, plain: dict[str, str]):
        """readonly holding an expression (not yes/no) is evaluated as the interview goes."""
        text = plain.get("read_only", "").strip()
        if text.lower() in YES or text.lower() in NO:
            return None
        return self._expression(row_number, plain, "read_only")

    def _trigger(self, row_number: int, plain: dict[str, str]) -> tuple[str, ...]:
        """``${a}`` or ``${a} ${b}`` (commas allowed), as pyxform reads the trigger column."""
        text = plain.get("trigger", "").strip()
        if not text:
            return ()
        names = tuple(LABEL_REFERENCE.findall(text))
        rest = LABEL_REFERENCE.sub("", text).replace(",", " ").strip()
        if not names or rest:
            self.error("survey", row_number,
                       f"'{text}' is not a list of ${{name}} references", "trigger")
            return ()
        return names

    def _required(self, row_number: int, text: str):
        lowered = text.strip().lower()
        if lowered in ("", "no", "false", "false()", "0"):
            return None
        if is_yes(lowered):
            return xpath.parse("true()")
        return self._expression(row_number, {"required": text}, "required")

    def _calculation(self, row_number: int, kind: str, plain: dict[str, str]):
        expression = self._expression(row_number, plain, "calculation")
        if kind == "calculate" and expression is None and "calculation" not in plain:
            self.error("survey", row_number, "a calculate row needs a calculation", "calculation")
        return expression

    def _disposition(self, row_number: int, kind: str, plain: dict[str, str],
                     texts: dict[str, dict[str, str]]) -> str | None:
        text = plain.get("cati::disposition", "")
        if not text:
            return None
        code = canonical_disposition(text)
        if code is None:
            self.error("survey", row_number, f"'{text}' is not an AAPOR disposition code",
                       "cati::disposition")
        if kind != "note":
            self.error("survey", row_number,
                       "only a note row can end the interview with a disposition",
                       "cati::disposition")
        if not any(texts.get("label", {}).values()):
            self.error("survey", row_number,
                       "a screen-out row needs a label: the closing words read to the respondent",
                       "label")
        return code

    def _case_data(self, row_number: int, kind: str, plain: dict[str, str]) -> str | None:
        """The case attribute a hidden or calculate row is filled from (see Item.case_data)."""
        key = plain.get("cati::case_data", "").strip()
        if not key:
            return None
        if kind not in ("hidden", "calculate"):
            self.error("survey", row_number,
                       "only a hidden or calculate row can take its value from the case data",
                       "cati::case_data")
            return None
        if not NAME_PATTERN.match(key):
            self.error("survey", row_number, f"'{key}' is not a valid case attribute name",
                       "cati::case_data")
            return None
        return key

    def _randomize(self, row_number: int, parameters: str) -> bool:
        values = {}
        for part in parameters.replace(";", " ").replace(",", " ").split():
            key, _, value = part.partition("=")
            values[key.strip().lower()] = value.strip().lower()
        randomize = values.get("randomize", "false")
        if randomize not in ("true", "false"):
            self.error("survey", row_number, "randomize must be true or false", "parameters")
        return randomize == "true"

    def _label_references(self, row_number: int, labels: Texts) -> frozenset[str]:
        names: set[str] = set()
        for text in labels.values():
            names.update(LABEL_REFERENCE.findall(text))
        return frozenset(names)

    def _add_other(self, item: Item) -> None:
        name = f"{item.name}_other"
        if name in self.item_rows:
            self.error("survey", item.row, f"'{name}' is needed for or_other but already used",
                       "type")
            return
        relevant = xpath.parse(f"selected(${{{item.name}}}, '{OTHER_CHOICE}')")
        self.items.append(Item(
            name=name, kind="text", row=item.row,
            labels=_frozen({"default": "Specify other", "中文 (zh)": "请注明其他"}),
            relevance=(*item.relevance, relevant), required=item.required, groups=item.groups,
            repeats=item.repeats,
        ))
        self.item_rows[name] = item.row

    # -- data files beside the form (cati.questionnaire.external) --------------------------
    def _check_files(self) -> None:
        """One line for each data file the form names that is not given, on the first row
        naming it; then the instances expressions read."""
        for need in external.needed_files(self.raw.survey):
            found = any(name in self.attachments for name in need.candidates())
            if not found and not (need.instance_id and need.instance_id in self.choices):
                self.error("survey", need.row, external.missing_message(need), need.column)
        self.instances = external.Instances(self.attachments, self.choices)
        self.sheet_lists = frozenset(self.choices)

    def _external_select(self, row_number: int, type_text: str, cell: _Cell):
        """(kind, choice list, False) for select_one_from_file and select_one_external, whose
        choices come from a file or the external_choices sheet; None for other types. Their
        label::LANGUAGE columns are read, but the form's languages are its own sheets' (a
        file's extra translation does not change which language an interview starts in)."""
        if found := external.file_select(type_text):
            kind, file_name = found
            key, value_column, label_column = external.file_choice_key(
                file_name, cell.plain.get("parameters", ""))
            if key not in self.choices:
                content = self.attachments.get(file_name)
                if content is None:
                    return None, None, False  # already said by _check_files
                try:
                    choices = external.choices_of_file(file_name, content, value_column,
                                                       label_column)
                except external.ExternalError as exc:
                    self.error("survey", row_number, str(exc), "type")
                    return None, None, False
                self.choices[key] = choices
            return kind, key, False
        if found := external.external_select(type_text):
            kind, list_name = found
            if not cell.plain.get("choice_filter", "").strip():
                # pyxform cannot convert one without (it fails on it): refused in words
                self.error("survey", row_number, "select_one_external needs a choice_filter "
                           "(without one, write select_one with the list on the choices sheet)",
                           "choice_filter")
                return None, None, False
            # the choices sheet may have a list of the same name: both stay apart
            key = f"external_choices:{list_name}" if list_name in self.sheet_lists else list_name
            if key not in self.choices:
                rows = _numbered_rows(getattr(self.raw.definition, "external_choices", None))
                choices = external.choices_of_rows(rows, list_name)
                if not choices:
                    self.error("survey", row_number, f"choice list '{list_name}' is not on the "
                               "external_choices sheet", "type")
                    return None, None, False
                self.choices[key] = choices
            return kind, key, False
        return None

    def _search_choices(self, row_number: int, list_name: str, search: tuple[str, str],
                        cell: _Cell) -> str | None:
        """The choice list of a select with a search('file', …) appearance: the file's rows,
        in the columns the list's one row names; the search's filter joins the row's
        choice_filter (set on ``cell``, which the item is built from)."""
        file_id, arguments = search
        file_name = file_id + ".csv"
        condition = external.search_filter(arguments)
        if condition is None:
            self.error("survey", row_number, f"search('{file_id}', {arguments}) is not a search "
                       "cati reads: write search('file') or search('file', 'matches', 'column', "
                       "value) (or contains, startswith, endswith)", "appearance")
            return None
        content = self.attachments.get(file_name)
        if content is None:
            return None  # already said by _check_files
        # The list's placeholder row gives way to the file's rows (so the list is in use); a
        # second file searched with the same list gets a list of its own.
        searched = self.searched.setdefault(list_name, file_name)
        key = list_name if searched == file_name else f"{file_name}#{list_name}"
        if key not in self.searched_keys:
            placeholder = self.placeholders.setdefault(list_name, self.choices[list_name][0])
            try:
                self.choices[key] = external.choices_of_search(file_name, content, placeholder)
            except external.ExternalError as exc:
                self.error("survey", row_number, str(exc), "appearance")
                return None
            self.searched_keys.add(key)
        if condition:
            own = cell.plain.get("choice_filter", "").strip()
            cell.plain["choice_filter"] = f"({own}) and {condition}" if own else condition
        return key

    # -- whole-form checks ----------------------------------------------------------------
    def _check_references(self) -> None:
        for item in self.items:
            for column, names in _references_by_column(item):
                for name in sorted(names - self.item_rows.keys()):
                    if name in self.ambiguous:
                        self.error("survey", item.row,
                                   f"${{{name}}} is ambiguous: the name '{name}' is used more "
                                   "than once in the form (in different groups)", column)
                    else:
                        self.error("survey", item.row, f"${{{name}}} names no question", column)

    def _check_cycles(self) -> None:
        graph = {item.name: dependencies(item) for item in self.items}
        cycle = find_cycle(graph)
        if cycle:
            first = self.form_item(cycle[0])
            path = " → ".join(f"${{{n}}}" for n in (*cycle, cycle[0]))
            self.error("survey", first.row, f"calculations depend on each other in a cycle: {path}",
                       "calculation" if first.kind == "calculate" else "relevant")

    def form_item(self, name: str) -> Item:
        return next(item for item in self.items if item.name == name)


def _numbered_rows(rows) -> list[tuple[int, dict[str, str]]]:
    """A sheet pyxform read, as (spreadsheet row, {column: text}); the header is row 1."""
    return [(index + 2, {str(k).strip(): str(v).strip() for k, v in row.items()
                         if v not in (None, "")})
            for index, row in enumerate(rows or [])]


def _references_by_column(item: Item):
    columns = (
        ("relevant", item.relevance),
        ("required", (item.required,)),
        ("constraint", (item.constraint,)),
        ("calculation", (item.calculation,)),
        ("choice_filter", (item.choice_filter,)),
        ("read_only", (item.read_only_when,)),
    )
    for column, expressions in columns:
        names: set[str] = set()
        for expression in expressions:
            if expression is not None:
                names |= expression.references
        if names:
            yield column, names
    if item.label_references:
        yield "label", set(item.label_references)
    if item.trigger:
        yield "trigger", set(item.trigger)

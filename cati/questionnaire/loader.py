"""Compile an XLSForm into the engine's model, or say exactly what is wrong and where.

One entry point, :func:`load_form`, takes a path, workbook bytes or a markdown string. Every
expression is parsed once here; a parse error, an unknown ``${name}``, an unknown choice list or
a cycle among calculations fails the load with sheet, row and column. pyxform then checks the
workbook by the XLSForm reference rules, so a form that loads here also converts for ODK.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

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
    REPEAT_BEGIN,
    REPEAT_END,
    begin_repeat,
    check_key_lengths,
    closes_repeat,
    compiled_repeats,
    current_repeats,
    end_repeat,
)
from cati.questionnaire.vocabulary import (
    GROUP_BEGIN,
    GROUP_END,
    METADATA_TYPES,
    NAME_PATTERN,
    REFUSED_TYPES,
    SELECT_TYPES,
    TRANSLATABLE,
    TYPE_ALIASES,
    canonical_disposition,
    is_yes,
    split_column,
)

OTHER_CHOICE = "other"


def load_form(source: Source, file_name: str | None = None,
              attachments: Mapping[str, bytes] | None = None) -> Form:
    """Read and compile a questionnaire. Raises FormError listing every problem found.

    ``attachments`` are the data files the form names (file name -> bytes, see
    :mod:`cati.questionnaire.external`); when None they are read from the form's folder."""
    raw = read_source(source, file_name)
    if attachments is None:
        attachments = files_beside(source, raw)
    return compile_form(raw, attachments)


def files_beside(source: Source, raw: RawForm) -> dict[str, bytes]:
    """The data files the form names that sit in its folder (none for a form given as bytes
    or markdown text); a file that cannot be read is a FormError of one line."""
    if isinstance(source, bytes) or (isinstance(source, str) and "\n" in source):
        return {}
    try:
        return external.read_beside(Path(source), external.needed_files(raw.survey))
    except external.ExternalError as exc:
        raise FormError([FormProblem("file", None, str(exc))], raw.file_name) from None


def compile_form(raw: RawForm, attachments: Mapping[str, bytes] | None = None) -> Form:
    compiler = _Compiler(raw, attachments or {})
    form = compiler.compile()
    if compiler.problems:
        raise FormError(sorted(compiler.problems, key=_sheet_order), raw.file_name)
    _check_with_pyxform(raw)
    return form


SHEET_ORDER = ("file", "survey", "choices", "settings", "indices")


def _sheet_order(problem: FormProblem) -> tuple[int, int]:
    sheet = SHEET_ORDER.index(problem.sheet) if problem.sheet in SHEET_ORDER else len(SHEET_ORDER)
    return sheet, problem.row or 0


def _check_with_pyxform(raw: RawForm) -> None:
    try:
        workbook_to_json(raw.definition, fallback_form_name=_stem(raw.file_name))
    except PyXFormError as exc:
        raise FormError([problem_from_pyxform(str(exc))], raw.file_name) from None


def _stem(file_name: str) -> str:
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem if NAME_PATTERN.match(stem) else "form"


@dataclass
class _Cell:
    """Per-row values split into plain columns and translated columns."""

    plain: dict[str, str] = field(default_factory=dict)
    texts: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))


def _split_row(row: Row) -> _Cell:
    cell = _Cell()
    for header, value in row.items():
        key, language = split_column(header)
        if key in TRANSLATABLE:
            cell.texts[key][language or "default"] = value
        else:
            cell.plain[key] = value
    return cell


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

    def error(self, sheet: str, row: int | None, message: str, column: str | None = None) -> None:
        self.problems.append(FormProblem(sheet, row, message, column))

    # -- the whole form -------------------------------------------------------------------
    def compile(self) -> Form:
        self.choices = self._compile_choices()
        self._check_files()
        self._compile_survey()
        check_key_lengths(self)
        self._check_references()
        self._check_cycles()
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

    def _note_languages(self, texts: dict[str, dict[str, str]]) -> None:
        for by_language in texts.values():
            for language in by_language:
                if language != "default" and language not in self.languages:
                    self.languages.append(language)

    # -- choices ----------------------------------------------------------------------------
    def _compile_choices(self) -> dict[str, tuple[Choice, ...]]:
        lists: dict[str, list[Choice]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()
        for row_number, row in self.raw.choices:
            if not row:
                continue
            cell = _split_row(row)
            list_name = cell.plain.pop("list_name", "")
            name = cell.plain.pop("name", "")
            if not list_name or not name:
                missing = "list_name" if not list_name else "name"
                self.error("choices", row_number, f"a choice needs a {missing}", missing)
                continue
            if (list_name, name) in seen:
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
        groups: list[tuple[str, xpath.Expression | None, int]] = []
        for row_number, row in self.raw.survey:
            if not row:
                continue
            cell = _split_row(row)
            type_text = " ".join(cell.plain.get("type", "").split())
            lowered = type_text.lower()
            if not type_text:
                self.error("survey", row_number, "a row with content needs a type", "type")
            elif lowered in GROUP_BEGIN:
                name = self._name(row_number, cell)
                relevant = self._expression(row_number, cell.plain, "relevant")
                groups.append((name, relevant, row_number))
            elif lowered in REPEAT_BEGIN:
                begin_repeat(self, row_number, cell, groups)
            elif lowered in REPEAT_END:
                end_repeat(self, row_number, groups)
            elif lowered in GROUP_END:
                if not groups:
                    self.error("survey", row_number, "'end group' without a 'begin group'", "type")
                elif (repeat := closes_repeat(self, groups)) is not None:
                    self.error("survey", row_number,
                               f"'end group' cannot close repeat '{repeat}' (use 'end repeat')",
                               "type")
                else:
                    groups.pop()
            else:
                self._compile_item(row_number, type_text, cell, groups)
        open_repeats = current_repeats(self)
        for name, _, row_number in groups:
            if name in open_repeats:
                self.error("survey", row_number,
                           f"repeat '{name}' is never closed with 'end repeat'", "type")
            else:
                self.error("survey", row_number,
                           f"group '{name}' is never closed with 'end group'", "type")

    def _compile_item(self, row_number: int, type_text: str, cell: _Cell, groups: list) -> None:
        if external.declaration(type_text):
            return  # csv-external / xml-external: declares a data file for ODK; asks nothing
        kind, choice_list, or_other = (self._external_select(row_number, type_text, cell)
                                       or self._kind(row_number, type_text))
        if choice_list and (search := external.search_appearance(cell.plain.get("appearance",
                                                                                 ""))):
            choice_list = self._search_choices(row_number, choice_list, search, cell)
            kind = kind if choice_list else None
        if kind is None:
            return
        name = self._name(row_number, cell)
        if not name:
            return
        if name in self.item_rows:
            self.error("survey", row_number,
                       f"the name '{name}' is already used on row {self.item_rows[name]}", "name")
            return
        self._note_languages(cell.texts)
        item = self._item(row_number, name, kind, choice_list, cell, groups)
        self.item_rows[name] = row_number
        self.items.append(item)
        if or_other:
            self._add_other(item)

    def _kind(self, row_number: int, type_text: str) -> tuple[str | None, str | None, bool]:
        lowered = type_text.lower()
        if lowered in REFUSED_TYPES or lowered.split(" ")[0] in REFUSED_TYPES:
            self.error("survey", row_number,
                       f"type '{type_text}' cannot be run in a telephone interview", "type")
            return None, None, False
        if lowered in METADATA_TYPES:
            return "hidden", None, False
        if lowered in TYPE_ALIASES:
            return TYPE_ALIASES[lowered], None, False
        parts = type_text.split()
        for spelling, kind in SELECT_TYPES.items():
            words = spelling.split()
            if [p.lower() for p in parts[: len(words)]] == words:
                rest = parts[len(words):]
                or_other = len(rest) == 2 and rest[1].lower() == "or_other"
                if len(rest) == 1 or or_other:
                    return self._select(row_number, kind, rest[0], or_other)
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
        return kind, list_name, or_other

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

    def _item(self, row_number: int, name: str, kind: str, choice_list: str | None,
              cell: _Cell, groups: list) -> Item:
        plain = cell.plain
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
            hints=_frozen(cell.texts.get("hint")),
            relevance=relevance,
            required=self._required(row_number, required),
            required_messages=_frozen(cell.texts.get("required_message")),
            constraint=self._expression(row_number, plain, "constraint"),
            constraint_messages=_frozen(cell.texts.get("constraint_message")),
            calculation=self._calculation(row_number, kind, plain),
            default=plain.get("default"),
            read_only=is_yes(plain.get("read_only")),
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
            expression = xpath.parse(text)
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

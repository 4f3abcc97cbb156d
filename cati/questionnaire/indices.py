"""The optional ``indices`` sheet: one indicator per row, checked against the form at load.

Columns: ``name``, ``label`` (translatable), ``method`` (rate | score | mean), ``source``
(space-separated question names for rate and score, index names for mean), ``positive`` and
``excluded`` (space-separated choice names), ``weights`` (numbers aligned with ``source``, for
mean). Reports compute the values; this module only makes sure the definitions make sense.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from cati.questionnaire.model import SELECT_KINDS, Choice, IndexDefinition, Item, _frozen
from cati.questionnaire.problems import FormProblem
from cati.questionnaire.reader import Row
from cati.questionnaire.vocabulary import NAME_PATTERN, split_column

METHODS = ("rate", "score", "mean")
SHEET = "indices"


def compile_indices(rows: list[tuple[int, Row]], items: list[Item],
                    choices: dict[str, tuple[Choice, ...]],
                    problems: list[FormProblem]) -> tuple[IndexDefinition, ...]:
    items_by_name = {item.name: item for item in items}
    result: list[IndexDefinition] = []
    for row_number, row in rows:
        index = _compile_row(row_number, row, items_by_name, choices, result, problems)
        if index is not None:
            result.append(index)
    return tuple(result)


def _compile_row(row_number, row, items_by_name, choices, earlier, problems):
    def error(message: str, column: str) -> None:
        problems.append(FormProblem(SHEET, row_number, message, column))

    plain: dict[str, str] = {}
    labels: dict[str, str] = defaultdict(str)
    for header, value in row.items():
        key, language = split_column(header)
        if key == "label":
            labels[language or "default"] = value
        else:
            plain[key] = value
    name = plain.get("name", "")
    if not NAME_PATTERN.match(name):
        error(f"'{name}' is not a valid index name", "name")
        return None
    if any(index.name == name for index in earlier):
        error(f"index '{name}' is defined twice", "name")
        return None
    method = plain.get("method", "").lower()
    if method not in METHODS:
        error(f"method must be one of {', '.join(METHODS)}, not '{method}'", "method")
        return None
    source = tuple(plain.get("source", "").split())
    if not source:
        error("source names no question or index", "source")
        return None
    positive = frozenset(plain.get("positive", "").split())
    excluded = frozenset(plain.get("excluded", "").split())
    weights = _weights(plain.get("weights", ""), source, error)
    if method == "mean":
        known = {index.name for index in earlier}
        for part in source:
            if part not in known:
                error(f"'{part}' is not an index defined above this row", "source")
    else:
        _check_questions(method, source, positive, excluded, items_by_name, choices, error)
    return IndexDefinition(name=name, labels=_frozen(labels), method=method, source=source,
                           positive=positive, excluded=excluded, weights=weights, row=row_number)


def _weights(text: str, source: tuple[str, ...], error) -> tuple[Decimal, ...]:
    if not text:
        return ()
    try:
        weights = tuple(Decimal(part) for part in text.split())
    except InvalidOperation:
        error(f"weights '{text}' are not all numbers", "weights")
        return ()
    if len(weights) != len(source):
        error(f"{len(weights)} weights for {len(source)} sources", "weights")
    return weights


def _check_questions(method, source, positive, excluded, items_by_name, choices, error) -> None:
    for name in source:
        item = items_by_name.get(name)
        if item is None:
            error(f"'{name}' is not a question of the survey sheet", "source")
            continue
        if item.kind not in SELECT_KINDS:
            error(f"'{name}' is not a select question", "source")
            continue
        offered = {choice.name: choice for choice in choices.get(item.choice_list or "", ())}
        for column, names in (("positive", positive), ("excluded", excluded)):
            for choice_name in sorted(names - offered.keys()):
                error(f"'{choice_name}' is not a choice of '{name}'", column)
        if method == "rate" and not positive:
            error("a rate needs its positive answers", "positive")
        if method == "score":
            unscored = [c for c in offered.values() if c.score is None and c.name not in excluded]
            if unscored:
                error(f"choice '{unscored[0].name}' of '{name}' has no score and is not excluded",
                      "source")

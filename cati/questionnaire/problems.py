"""Problems found in a questionnaire workbook, each naming its sheet, row and column."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cati.errors import CatiError, printable


@dataclass(frozen=True, slots=True)
class FormProblem:
    sheet: str
    row: int | None
    message: str
    column: str | None = None
    warning: bool = False

    def __str__(self) -> str:
        """One line, also when the message quotes a cell holding line breaks (shown as ⏎) or
        other control and bidirectional characters (shown as \\uXXXX)."""
        where = f"{self.sheet}:{self.row}" if self.row is not None else self.sheet
        column = f"{self.column}: " if self.column else ""
        kind = "warning: " if self.warning else ""
        return _one_line(f"{where}: {kind}{column}{self.message}")


class FormError(CatiError):
    """The workbook cannot be used. ``problems`` lists every error found, in sheet order."""

    def __init__(self, problems: list[FormProblem], file_name: str | None = None) -> None:
        self.problems = problems
        self.file_name = file_name
        first = str(problems[0]) if problems else "unknown problem"
        file_name = _one_line(file_name) if file_name else file_name
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        prefix = f"{file_name}: " if file_name else ""
        super().__init__(f"{prefix}{first}{more}")


_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def _one_line(text: str) -> str:
    return printable(_LINE_BREAKS.sub("⏎", text))


_PYXFORM_ROW = re.compile(r"^\[row : (\d+)\]\s*")
_PYXFORM_SHEET = re.compile(r"On the '(\w+)' sheet,?\s*")


def problem_from_pyxform(message: str) -> FormProblem:
    """Turn a pyxform error text ("[row : 5] On the 'survey' sheet, …") into a FormProblem."""
    text = " ".join(message.split())
    row = None
    if match := _PYXFORM_ROW.match(text):
        row = int(match.group(1))
        text = text[match.end():]
    sheet = "survey"
    if match := _PYXFORM_SHEET.search(text):
        sheet = match.group(1)
        text = (text[: match.start()] + text[match.end():]).strip()
        text = text[:1].upper() + text[1:]
    return FormProblem(sheet, row, text)

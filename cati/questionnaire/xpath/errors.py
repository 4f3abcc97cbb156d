"""The errors of the expression language; every one of them derives from ExpressionError."""

from __future__ import annotations


class ExpressionError(Exception):
    """Base of every error the expression language raises."""


class ExpressionSyntaxError(ExpressionError):
    """The text is not a valid expression.

    ``position`` is the 0-based offset of the offending character (``None`` when the problem is
    not tied to one place). ``str()`` is a sentence for the form author; it counts characters
    from 1, as people do: position 11 reads "at character 12".
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        if position is not None:
            message = f"{message} at character {position + 1}"
        super().__init__(message)

    def __reduce__(self):
        return type(self), (self.message, self.position)


class ExpressionEvalError(ExpressionError):
    """Evaluation failed: a bad regular expression, a value that is not a date, …"""


def bare_name_error(name: str) -> ExpressionEvalError:
    """The error for a bare name such as ``county`` evaluated outside a choice filter."""
    return ExpressionEvalError(
        f"'{name}' alone names a column of the choices sheet and works only in a choice_filter;"
        f" write ${{{name}}} to use the answer of a question")

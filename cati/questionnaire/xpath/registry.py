"""The table of functions the language knows, filled by the ``functions*`` modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PLAIN = "plain"  # impl(*values)
CONTEXT = "context"  # impl(ctx, *values)
LAZY = "lazy"  # impl(ctx, *argument_closures): evaluates only the arguments it needs
# impl(ctx, *arguments): a ${name} argument as a RefName (the name, not its value), any other
# as its closure; for indexed-repeat(), which reads another instance than the current one.
NAMES = "names"


class RefName(str):
    """A ``${name}`` argument handed to a NAMES function as the name itself."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    impl: Callable
    mode: str = PLAIN
    defaults_to_current: bool = False  # called without arguments, it works on '.'

    def accepts(self, count: int) -> bool:
        return self.min_args <= count and (self.max_args is None or count <= self.max_args)

    def arity_message(self) -> str:
        low, high = self.min_args, self.max_args
        if high is None:
            wanted = f"at least {_arguments(low)}"
        elif high == low:
            wanted = "no arguments" if low == 0 else _arguments(low)
        elif high == low + 1:
            wanted = f"{low} or {_arguments(high)}"
        else:
            wanted = f"{low} to {high} arguments"
        return f"{self.name}() takes {wanted}"


def _arguments(count: int) -> str:
    return f"{count} argument" if count == 1 else f"{count} arguments"


FUNCTIONS: dict[str, Function] = {}


def function(name: str, arity: int | tuple[int, int | None], mode: str = PLAIN,
             defaults_to_current: bool = False):
    """Register the decorated implementation as the function ``name``."""
    low, high = (arity, arity) if isinstance(arity, int) else arity

    def register(impl: Callable) -> Callable:
        FUNCTIONS[name] = Function(name, low, high, impl, mode, defaults_to_current)
        return impl

    return register


# Functions of the ODK XForms and XPath 1.0 lists that cati does not run, with why. A form using
# one is refused at load with "NAME() is not supported by cati" and the reason, so that the author
# does not read it as a typo ("unknown function" is kept for names on no list).
UNSUPPORTED: dict[str, str] = {
    "area": "geographic data cannot be collected on the phone",
    "distance": "geographic data cannot be collected on the phone",
    "geofence": "geographic data cannot be collected on the phone",
    "randomize": "write randomize=true in the parameters column to shuffle choices",
    "jr:itext": "labels are chosen by the interview's language",
    "extract-signed": "signed data is not checked by cati",
    "current": "paths are not supported; write ${name} to refer to a question",
    "last": "paths are not supported",
    "position": "repeats are not supported",
    "indexed-repeat": "repeats are not supported",
    "join": "repeats are not supported",
    "id": "paths are not supported",
    "lang": "paths are not supported",
    "local-name": "paths are not supported",
    "name": "paths are not supported",
    "namespace-uri": "paths are not supported",
    "property": "device properties are not available",
    "version": "device properties are not available",
}


def unsupported_message(name: str) -> str | None:
    """The sentence for a function on the ODK list that cati does not run; None for a function
    cati runs or one on no list."""
    if name in FUNCTIONS or name not in UNSUPPORTED:
        return None
    return f"{name}() is not supported by cati ({UNSUPPORTED[name]})"

"""AAPOR outcome rates: response, cooperation, refusal and contact rates.

Formulas follow AAPOR's *Standard Definitions: Final Dispositions of Case
Codes and Outcome Rates for Surveys* ("Calculating rates from response
distributions").  Disposition classes:

    I  complete interview          P  partial interview
    R  refusal and break-off       NC non-contact
    O  other (eligible)            UH unknown if household/occupied
    UO unknown, other              NE not eligible

Arithmetic is exact (``fractions.Fraction``); results are converted to
``float`` only at the end.  A rate whose denominator is 0 is ``None``
(undefined), never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from numbers import Rational

CLASSES = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
RATE_NAMES = (
    *(f"RR{n}" for n in range(1, 7)),
    *(f"COOP{n}" for n in range(1, 5)),
    *(f"REF{n}" for n in range(1, 4)),
    *(f"CON{n}" for n in range(1, 4)),
)
PROPORTIONAL = "proportional allocation"
GIVEN = "given"


def _exact(value, what: str) -> Fraction:
    """Convert a finite real number to a Fraction (floats via their repr)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    if isinstance(value, (Rational, Decimal)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(f"{what} must be finite, got {value!r}")
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be finite, got {value!r}")
        return Fraction(repr(value))
    raise ValueError(f"{what} must be a number, got {value!r}")


def _validated_counts(counts: Mapping) -> dict[str, Fraction]:
    if not isinstance(counts, Mapping):
        raise ValueError(f"counts must be a mapping of disposition class to number, got {counts!r}")
    unknown = [key for key in counts if key not in CLASSES]
    if unknown:
        raise ValueError(
            f"unknown disposition class(es) {unknown!r}; expected any of {', '.join(CLASSES)}"
        )
    result = {}
    for name in CLASSES:
        value = _exact(counts.get(name, 0), f"count for {name!r}")
        if value < 0:
            raise ValueError(f"count for {name!r} must be non-negative, got {counts[name]!r}")
        result[name] = value
    return result


def _proportion(value, what: str) -> Fraction:
    exact = _exact(value, what)
    if not 0 <= exact <= 1:
        raise ValueError(f"{what} must be between 0 and 1, got {value!r}")
    return exact


def _resolve_e(c: dict[str, Fraction], e):
    """Return ``(e_uh, e_uo, method)``; e_uh/e_uo are None when e is undefined."""
    if e is None:
        eligible = c["I"] + c["P"] + c["R"] + c["NC"] + c["O"]
        known = eligible + c["NE"]
        share = eligible / known if known else None
        return share, share, PROPORTIONAL
    if isinstance(e, Mapping):
        if set(e) != {"UH", "UO"}:
            raise ValueError(
                f"e as a mapping needs exactly the keys 'UH' and 'UO', got {sorted(e)!r}"
            )
        return _proportion(e["UH"], "e['UH']"), _proportion(e["UO"], "e['UO']"), GIVEN
    share = _proportion(e, "e")
    return share, share, GIVEN


def _ratio(numerator: Fraction, denominator: Fraction | None) -> float | None:
    if denominator is None or denominator == 0:
        return None
    return float(numerator / denominator)


def outcome_rates(counts: Mapping, e=None) -> dict:
    """AAPOR outcome rates for disposition counts.

    ``counts`` maps the classes I, P, R, NC, O, UH, UO, NE to non-negative
    numbers (missing classes count 0; weighted counts may be fractional).

    ``e`` is the estimated share of unknown-eligibility cases that are
    eligible:

    * ``None`` (default): proportional allocation,
      e = (I+P+R+NC+O) / (I+P+R+NC+O+NE); undefined (None) when that
      denominator is 0, and then RR3, RR4, REF2, CON2 are None.
    * a number 0 <= e <= 1: used as given.
    * a mapping ``{"UH": e1, "UO": e2}``: one share per unknown class, so the
      estimated eligible unknowns e(UH+UO) become e1*UH + e2*UO.

    Formulas (e(UH+UO) stands for the estimated eligible unknowns above):

    RR1 = I / ((I+P) + (R+NC+O) + (UH+UO))
    RR2 = (I+P) / ((I+P) + (R+NC+O) + (UH+UO))
    RR3 = I / ((I+P) + (R+NC+O) + e(UH+UO))
    RR4 = (I+P) / ((I+P) + (R+NC+O) + e(UH+UO))
    RR5 = I / ((I+P) + (R+NC+O))
    RR6 = (I+P) / ((I+P) + (R+NC+O))
    COOP1 = I / ((I+P) + R + O)
    COOP2 = (I+P) / ((I+P) + R + O)
    COOP3 = I / ((I+P) + R)
    COOP4 = (I+P) / ((I+P) + R)
    REF1 = R / ((I+P) + (R+NC+O) + (UH+UO))
    REF2 = R / ((I+P) + (R+NC+O) + e(UH+UO))
    REF3 = R / ((I+P) + (R+NC+O))
    CON1 = ((I+P) + R + O) / ((I+P) + R + O + NC + (UH+UO))
    CON2 = ((I+P) + R + O) / ((I+P) + R + O + NC + e(UH+UO))
    CON3 = ((I+P) + R + O) / ((I+P) + R + O + NC)

    Returns a dict of the 16 rates (float, or None where the denominator is
    0), plus ``"e"`` (float, ``{"UH": float, "UO": float}`` when given per
    class, or None) and ``"e_method"`` ("proportional allocation" or "given").

    Raises ValueError for an unknown class, a negative or non-numeric count,
    or an e outside [0, 1].
    """
    c = _validated_counts(counts)
    e_uh, e_uo, method = _resolve_e(c, e)
    interviews = c["I"] + c["P"]
    known_eligible = interviews + c["R"] + c["NC"] + c["O"]
    unknown = c["UH"] + c["UO"]
    est_unknown = None if e_uh is None else e_uh * c["UH"] + e_uo * c["UO"]
    with_unknown = known_eligible + unknown
    with_estimate = None if est_unknown is None else known_eligible + est_unknown
    contacted = interviews + c["R"] + c["O"]

    rates = {
        "RR1": _ratio(c["I"], with_unknown),
        "RR2": _ratio(interviews, with_unknown),
        "RR3": _ratio(c["I"], with_estimate),
        "RR4": _ratio(interviews, with_estimate),
        "RR5": _ratio(c["I"], known_eligible),
        "RR6": _ratio(interviews, known_eligible),
        "COOP1": _ratio(c["I"], contacted),
        "COOP2": _ratio(interviews, contacted),
        "COOP3": _ratio(c["I"], interviews + c["R"]),
        "COOP4": _ratio(interviews, interviews + c["R"]),
        "REF1": _ratio(c["R"], with_unknown),
        "REF2": _ratio(c["R"], with_estimate),
        "REF3": _ratio(c["R"], known_eligible),
        "CON1": _ratio(contacted, with_unknown),
        "CON2": _ratio(contacted, with_estimate),
        "CON3": _ratio(contacted, known_eligible),
    }
    rates["e"] = _e_report(e, e_uh, e_uo)
    rates["e_method"] = method
    return rates


def _e_report(e, e_uh: Fraction | None, e_uo: Fraction | None):
    if isinstance(e, Mapping):
        return {"UH": float(e_uh), "UO": float(e_uo)}
    return None if e_uh is None else float(e_uh)

"""Tests for cati.reporting.aapor.outcome_rates (AAPOR Standard Definitions)."""

from decimal import Decimal
from fractions import Fraction

import pytest

from cati.reporting.aapor import RATE_NAMES, outcome_rates


def approx4(value):
    return pytest.approx(value, abs=5e-5)


# --- Published worked examples ---------------------------------------------

# ropensci "outcomerate" R package, README "Example" section: 12 sampled
# cases I=4, P=2, R=1, NC=1, O=1, UH=1, UO=1, NE=1 with
# e = eligibility_rate(freq) = (I+P+R+NC+O)/(I+P+R+NC+O+NE) = 9/10
# (the AAPOR Outcome Rate Calculator 4.0 default).  Printed to 3 decimals:
OUTCOMERATE_COUNTS = {"I": 4, "P": 2, "R": 1, "NC": 1, "O": 1, "UH": 1, "UO": 1, "NE": 1}
OUTCOMERATE_PUBLISHED = {
    "RR1": 0.364,
    "RR2": 0.545,
    "RR3": 0.370,
    "RR4": 0.556,
    "RR5": 0.444,
    "RR6": 0.667,
    "COOP1": 0.500,
    "COOP2": 0.750,
    "COOP3": 0.571,
    "COOP4": 0.857,
    "REF1": 0.091,
    "REF2": 0.093,
    "REF3": 0.111,
    "CON1": 0.727,
    "CON2": 0.741,
    "CON3": 0.889,
}
# The same figures exactly, step by step:
#   I+P = 6, R+NC+O = 3, known eligible = 9, UH+UO = 2, contacted (I+P)+R+O = 8
#   e = 9/10, e(UH+UO) = 9/5, so denominators: 11 (with unknowns), 54/5 = 10.8
#   (with estimated unknowns), 9 (without unknowns); COOP: 8 and 7 (I+P+R).
OUTCOMERATE_EXACT = {
    "RR1": Fraction(4, 11),
    "RR2": Fraction(6, 11),
    "RR3": Fraction(4) / Fraction(54, 5),
    "RR4": Fraction(6) / Fraction(54, 5),
    "RR5": Fraction(4, 9),
    "RR6": Fraction(6, 9),
    "COOP1": Fraction(4, 8),
    "COOP2": Fraction(6, 8),
    "COOP3": Fraction(4, 7),
    "COOP4": Fraction(6, 7),
    "REF1": Fraction(1, 11),
    "REF2": Fraction(1) / Fraction(54, 5),
    "REF3": Fraction(1, 9),
    "CON1": Fraction(8, 11),
    "CON2": Fraction(8) / Fraction(54, 5),
    "CON3": Fraction(8, 9),
}


def test_outcomerate_readme_example_published_figures():
    rates = outcome_rates(OUTCOMERATE_COUNTS)
    assert rates["e"] == approx4(0.9)
    assert rates["e_method"] == "proportional allocation"
    for name, published in OUTCOMERATE_PUBLISHED.items():
        assert rates[name] == pytest.approx(published, abs=5e-4), name


def test_outcomerate_readme_example_to_four_decimals():
    rates = outcome_rates(OUTCOMERATE_COUNTS)
    assert set(OUTCOMERATE_EXACT) == set(RATE_NAMES)
    for name, exact in OUTCOMERATE_EXACT.items():
        assert rates[name] == approx4(float(exact)), name
    # Passing the published e explicitly gives the same rates.
    given = outcome_rates(OUTCOMERATE_COUNTS, e=0.9)
    assert given["e_method"] == "given"
    assert {k: given[k] for k in RATE_NAMES} == {k: rates[k] for k in RATE_NAMES}


@pytest.mark.parametrize(
    ("unknown", "published", "exact"),
    [
        # RR = 300/[300+0+0+5+0.9(150)] = 300/440 = 68%
        (150, 0.68, 300 / 440),
        # RR = 300/[300+0+0+5+0.9(100)] = 300/395 = 76%
        (100, 0.76, 300 / 395),
    ],
)
def test_omb_icr_attachment_14_example(unknown, published, exact):
    # OMB information collection 202202-0920-014, "Attachment 14. Response
    # Rate Calculations": C=300, R=0, NC=0, O=5, U unknown, e=0.9, formula
    # RR = C/[C+R+NC+O+e(U)] (AAPOR RR3 with no partials).
    rates = outcome_rates({"I": 300, "O": 5, "UO": unknown}, e=0.9)
    assert rates["RR3"] == pytest.approx(published, abs=5e-3)
    assert rates["RR3"] == approx4(exact)
    assert rates["e"] == approx4(0.9)


def test_responserates_readme_example():
    # leeper/responserates README: rates(list(i = 100, nc = 20)) prints every
    # RR and CON as 83.3%, every COOP as 100.0%, every REF as 0.0%.
    rates = outcome_rates({"I": 100, "NC": 20})
    for name in ("RR1", "RR2", "RR3", "RR4", "RR5", "RR6", "CON1", "CON2", "CON3"):
        assert rates[name] == approx4(100 / 120), name
    for name in ("COOP1", "COOP2", "COOP3", "COOP4"):
        assert rates[name] == 1.0
    for name in ("REF1", "REF2", "REF3"):
        assert rates[name] == 0.0
    assert rates["e"] == 1.0  # 120 / (120 + 0)


def test_statscalculators_health_survey_example():
    # statscalculators.com survey response rate calculator, "Health Survey
    # Study" (1,000 residents): I=650, P=50, R=150, NC=100, O=30, unknown 20,
    # NE=0; reported RR1 = 65%, COOP = 76.5% (COOP3 = 650/850), REF = 15%.
    rates = outcome_rates({"I": 650, "P": 50, "R": 150, "NC": 100, "O": 30, "UO": 20})
    assert rates["RR1"] == approx4(0.65)
    assert rates["COOP3"] == pytest.approx(0.765, abs=5e-4)
    assert rates["COOP3"] == approx4(650 / 850)
    assert rates["REF1"] == approx4(0.15)


# --- Hand-computed example (constructed; every step written out) -----------

# I=400, P=50, R=200, NC=150, O=25, UH=100, UO=60, NE=300
#   I+P = 450; R+NC+O = 375; known eligible = 825; UH+UO = 160
#   with unknowns: 825 + 160 = 985; contacted (I+P)+R+O = 675; I+P+R = 650
#   proportional e = 825 / (825 + 300) = 825/1125 = 11/15
#   e(UH+UO) = 11/15 * 160 = 352/3; with estimate = 825 + 352/3 = 2827/3
HAND = {"I": 400, "P": 50, "R": 200, "NC": 150, "O": 25, "UH": 100, "UO": 60, "NE": 300}


def test_hand_example_proportional_allocation():
    rates = outcome_rates(HAND)
    assert rates["e"] == approx4(11 / 15)  # 0.7333
    expected = {
        "RR1": 400 / 985,  # 0.4061
        "RR2": 450 / 985,  # 0.4569
        "RR3": 1200 / 2827,  # 400 / (2827/3) = 0.4245
        "RR4": 1350 / 2827,  # 450 / (2827/3) = 0.4775
        "RR5": 400 / 825,  # 0.4848
        "RR6": 450 / 825,  # 0.5455
        "COOP1": 400 / 675,  # 0.5926
        "COOP2": 450 / 675,  # 0.6667
        "COOP3": 400 / 650,  # 0.6154
        "COOP4": 450 / 650,  # 0.6923
        "REF1": 200 / 985,  # 0.2030
        "REF2": 600 / 2827,  # 200 / (2827/3) = 0.2122
        "REF3": 200 / 825,  # 0.2424
        "CON1": 675 / 985,  # 0.6853
        "CON2": 2025 / 2827,  # 675 / (2827/3) = 0.7163
        "CON3": 675 / 825,  # 0.8182
    }
    for name, value in expected.items():
        assert rates[name] == approx4(value), name


def test_hand_example_e_per_class():
    # e1 = 0.6 for UH, e2 = 0.25 for UO: 0.6*100 + 0.25*60 = 60 + 15 = 75
    # with estimate = 825 + 75 = 900
    rates = outcome_rates(HAND, e={"UH": 0.6, "UO": 0.25})
    assert rates["e"] == {"UH": 0.6, "UO": 0.25}
    assert rates["e_method"] == "given"
    assert rates["RR3"] == approx4(400 / 900)  # 0.4444
    assert rates["RR4"] == approx4(450 / 900)  # 0.5000
    assert rates["REF2"] == approx4(200 / 900)  # 0.2222
    assert rates["CON2"] == approx4(675 / 900)  # 0.7500
    # Rates that do not use e are unchanged.
    assert rates["RR1"] == approx4(400 / 985)
    assert rates["RR5"] == approx4(400 / 825)


def test_e_per_class_equal_shares_match_single_e():
    single = outcome_rates(HAND, e=0.5)
    per_class = outcome_rates(HAND, e={"UH": 0.5, "UO": 0.5})
    assert {k: single[k] for k in RATE_NAMES} == {k: per_class[k] for k in RATE_NAMES}


def test_given_e_overrides_proportional():
    proportional = outcome_rates(HAND)
    given = outcome_rates(HAND, e=0.5)
    assert given["e"] == 0.5 and given["e_method"] == "given"
    # 0.5 * 160 = 80; 825 + 80 = 905
    assert given["RR3"] == approx4(400 / 905)
    assert given["RR3"] != proportional["RR3"]


def test_e_bounds():
    assert outcome_rates(HAND, e=1)["RR3"] == outcome_rates(HAND)["RR1"]
    assert outcome_rates(HAND, e=0)["RR3"] == outcome_rates(HAND)["RR5"]
    assert outcome_rates(HAND, e=Fraction(1, 3))["e"] == approx4(1 / 3)


# --- Undefined rates --------------------------------------------------------


def test_all_zero_gives_none_everywhere():
    rates = outcome_rates({})
    assert all(rates[name] is None for name in RATE_NAMES)
    assert rates["e"] is None
    assert rates["e_method"] == "proportional allocation"


def test_only_not_eligible():
    rates = outcome_rates({"NE": 7})
    assert rates["e"] == 0.0  # 0 / (0 + 7)
    assert all(rates[name] is None for name in RATE_NAMES)


def test_only_unknowns_proportional_e_undefined():
    rates = outcome_rates({"UH": 10, "UO": 5})
    assert rates["e"] is None
    assert rates["RR1"] == 0.0 and rates["REF1"] == 0.0 and rates["CON1"] == 0.0
    for name in ("RR3", "RR4", "REF2", "CON2", "RR5", "RR6", "REF3", "CON3"):
        assert rates[name] is None, name
    for name in ("COOP1", "COOP2", "COOP3", "COOP4"):
        assert rates[name] is None, name
    # With e given, RR3's denominator is e(UH+UO) = 7.5 > 0, so it is 0.
    assert outcome_rates({"UH": 10, "UO": 5}, e=0.5)["RR3"] == 0.0


def test_cooperation_undefined_without_contacts():
    rates = outcome_rates({"NC": 4, "O": 0})
    assert rates["COOP1"] is None and rates["COOP3"] is None
    assert rates["RR1"] == 0.0 and rates["CON3"] == 0.0


def test_only_other_makes_coop3_undefined_but_coop1_zero():
    rates = outcome_rates({"O": 2})
    assert rates["COOP1"] == 0.0 and rates["COOP2"] == 0.0
    assert rates["COOP3"] is None and rates["COOP4"] is None


# --- Input handling ---------------------------------------------------------


def test_accepts_weighted_and_exact_number_types():
    rates = outcome_rates({"I": 0.1, "P": Decimal("0.2"), "R": Fraction(7, 10)})
    # I / (I+P+R) = 0.1 / 1.0 exactly
    assert rates["RR1"] == 0.1
    assert rates["COOP3"] == 0.1


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"I": -1}, "non-negative"),
        ({"X": 1}, "unknown disposition class"),
        ({"i": 1}, "unknown disposition class"),
        ({"I": "3"}, "must be a number"),
        ({"I": True}, "must be a number"),
        ({"I": float("nan")}, "finite"),
        ({"I": float("inf")}, "finite"),
        ([("I", 1)], "mapping"),
    ],
)
def test_invalid_counts(counts, message):
    with pytest.raises(ValueError, match=message):
        outcome_rates(counts)


@pytest.mark.parametrize(
    ("e", "message"),
    [
        (1.5, "between 0 and 1"),
        (-0.1, "between 0 and 1"),
        ("0.5", "must be a number"),
        ({"UH": 0.5}, "exactly the keys"),
        ({"UH": 0.5, "UO": 0.5, "NE": 0.1}, "exactly the keys"),
        ({"UH": 0.5, "UO": 2}, "between 0 and 1"),
    ],
)
def test_invalid_e(e, message):
    with pytest.raises(ValueError, match=message):
        outcome_rates(HAND, e=e)

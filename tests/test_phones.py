"""The phone normalisation rule, with real phonenumbers metadata."""

from __future__ import annotations

import pytest

from cati.sample.phones import PhoneRule, check_phone, format_for_reading, reason_text

RULE = PhoneRule(default_area_code="0799")


@pytest.mark.parametrize(
    ("cell", "e164"),
    [
        ("13800138000", "+8613800138000"),
        (13800138000, "+8613800138000"),
        (13800138000.0, "+8613800138000"),
        ("１３８００１３８０００", "+8613800138000"),  # full-width digits
        ("\u3000138 0013 8000 ", "+8613800138000"),  # ideographic space
        ("+86 138-0013-8000", "+8613800138000"),
        ("0086 13800138000", "+8613800138000"),
        ("0799-6543210", "+867996543210"),
        ("6543210", "+867996543210"),  # bare local number gets the default area code
    ],
)
def test_accepted_forms(cell, e164):
    result = check_phone(cell, RULE)
    assert result.e164 == e164, result.reason


def test_mobile_carries_region_carrier_and_zone():
    result = check_phone("13800138000", RULE)
    assert result.number_type == "mobile"
    assert result.region  # the geocoder's Chinese description
    assert result.carrier == "中国移动"
    assert result.time_zone == "Asia/Shanghai"


def test_landline_has_no_carrier():
    result = check_phone("0799-6543210", RULE)
    assert result.number_type == "fixed_line"
    assert result.carrier == ""
    assert "萍乡" in result.region


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("", "empty"),
        (None, "empty"),
        ("abc", "not_a_number"),
        ("13800138000转123", "not_a_number"),
        ("1380013800", "invalid"),
        ("4008123123", "type_not_allowed"),
        ("95588", "invalid"),
    ],
)
def test_rejected_with_reason(cell, reason):
    result = check_phone(cell, RULE)
    assert result.e164 is None
    assert result.reason == reason


def test_local_number_without_area_code_is_refused():
    result = check_phone("6543210", PhoneRule())
    assert result.e164 is None
    assert result.reason == "no_area_code"
    assert "区号" in reason_text(result.reason)


def test_reading_format():
    assert format_for_reading("+8613800138000") == "138 0013 8000"


def test_fast_path_agrees_with_phonenumbers_own_checks():
    """check_phone asks phonenumbers once per property; the verdicts must be the library's."""
    import random

    import phonenumbers
    from phonenumbers import carrier, geocoder, timezone

    rng = random.Random(5)
    samples = [f"1{rng.randint(30, 99)}{rng.randrange(10**8):08d}" for _ in range(1500)]
    samples += [f"0{rng.randint(10, 999)}{rng.randrange(10**8):08d}"[:12] for _ in range(1500)]
    samples += ["+1 650 253 0000", "+44 20 7946 0958", "+852 2123 4567", "4008123123"]
    for text in samples:
        result = check_phone(text, PhoneRule(allowed_types=frozenset(
            {"mobile", "fixed_line", "fixed_line_or_mobile", "toll_free", "voip", "uan",
             "shared_cost", "premium_rate", "personal_number", "pager", "voicemail"})))
        number = phonenumbers.parse(text, "CN")
        assert result.ok == phonenumbers.is_valid_number(number), text
        if result.ok:
            assert result.region == geocoder.description_for_number(number, "zh"), text
            if result.number_type != "fixed_line":
                assert result.carrier == carrier.name_for_number(number, "zh"), text
            zones = timezone.time_zones_for_number(number)
            assert result.time_zone == (zones[0] if zones[0] != "Etc/Unknown" else "Asia/Shanghai")

"""The phone normalisation rule, with real phonenumbers metadata."""

from __future__ import annotations

import pytest

from cati.sample.phones import PhoneRule, check_phone, format_for_reading

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
        ("abc", "not a phone number"),
        ("13800138000转123", "not a phone number"),
        ("1380013800", "not a valid number"),
        ("4008123123", "number type not allowed"),
        ("95588", "not a valid number"),
    ],
)
def test_rejected_with_reason(cell, reason):
    result = check_phone(cell, RULE)
    assert result.e164 is None
    assert reason in result.reason


def test_local_number_without_area_code_is_refused():
    result = check_phone("6543210", PhoneRule())
    assert result.e164 is None
    assert "area code" in result.reason


def test_reading_format():
    assert format_for_reading("+8613800138000") == "138 0013 8000"

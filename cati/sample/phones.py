"""Phone numbers: one normalisation rule for imports, the do-not-call list and the demo.

Per cell: an integral spreadsheet number becomes its digits; text is NFKC-normalised (full-width
digits, ideographic spaces), loses its invisible format characters (Unicode category Cf: the
right-to-left and left-to-right marks and embeddings, zero-width spaces and joiners, a stray
BOM, a soft hyphen — what a number copied from a web page or a right-to-left document carries)
and is trimmed; without a leading + and with 7 or 8 digits starting 2-9,
the default area code goes in front; phonenumbers parses it in the default region; it is accepted
when phonenumbers calls it valid and its type is allowed, and kept as E.164.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

TYPE_NAMES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}
DEFAULT_ALLOWED_TYPES = frozenset({"mobile", "fixed_line", "fixed_line_or_mobile"})
LOCAL_NUMBER = re.compile(r"^[2-9]\d{6,7}$")
PHONE_CHARACTERS = re.compile(r"^\+?[\d\s\-().]+$")
DEFAULT_TIME_ZONE = "Asia/Shanghai"


# Why a number was not accepted: code -> (Chinese, English), for the rejects report.
REASONS = {
    "empty": ("号码为空", "empty"),
    "not_a_number": ("不是电话号码(含文字或分机号)", "not a phone number: letters or text besides the number"),
    "invalid": ("号码无效(位数或号段不对)", "not a valid number (wrong length or prefix)"),
    "type_not_allowed": ("号码类型不接受(如400、95开头的服务号码)", "number type not allowed"),
    "no_area_code": ("本地号码缺区号", "local number without an area code (set a default area code)"),
    "duplicate_in_file": ("文件内重复", "duplicate in this file"),
    "duplicate_existing": ("项目中已有此号码", "already in the project's sample"),
    "dnc": ("在免打扰名单中", "on the do-not-call list"),
}


def reason_text(code: str, detail: str = "") -> str:
    """The reason in Chinese and English, e.g. '号码为空 (empty)'."""
    chinese, english = REASONS.get(code, (code, code))
    suffix = f": {detail}" if detail else ""
    return f"{chinese} ({english}{suffix})"


@dataclass(frozen=True, slots=True)
class PhoneCheck:
    """The verdict on one cell: ``e164`` is set when accepted, else ``reason`` (a code of
    REASONS) says why not."""

    e164: str | None
    reason: str | None = None
    number_type: str = ""
    region: str = ""
    carrier: str = ""
    time_zone: str = ""

    @property
    def ok(self) -> bool:
        return self.e164 is not None


@dataclass(frozen=True, slots=True)
class PhoneRule:
    region: str = "CN"
    default_area_code: str | None = None
    allowed_types: frozenset[str] = DEFAULT_ALLOWED_TYPES


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text of a phone number (13800138000.0 -> '13800138000')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    text = unicodedata.normalize("NFKC", str(value))
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip()


def check_phone(value: object, rule: PhoneRule) -> PhoneCheck:
    """Apply the normalisation rule to one cell."""
    text = cell_text(value)
    if not text:
        return PhoneCheck(None, "empty")
    if not PHONE_CHARACTERS.match(text):
        return PhoneCheck(None, "not_a_number")
    digits = re.sub(r"\D", "", text)
    if not text.startswith("+") and LOCAL_NUMBER.match(digits):
        if not rule.default_area_code:
            return PhoneCheck(None, "no_area_code")
        text = rule.default_area_code + digits
    return _check_parsed(text, rule)


def _describe(number: phonenumbers.PhoneNumber, kind: int) -> tuple[str, str, str]:
    """Region (Chinese), carrier and time zone of a number already known to be valid."""
    # Imported here: the region, carrier and zone tables take ~0.6 s to load, which the
    # desktop app would otherwise pay at every start (it only formats numbers).
    from phonenumbers import carrier, geocoder, timezone

    region = geocoder.description_for_valid_number(number, "zh")
    operator = carrier.name_for_valid_number(number, "zh") if kind != PhoneNumberType.FIXED_LINE \
        else ""
    if phonenumbers.is_number_type_geographical(kind, number.country_code):
        zones = timezone.time_zones_for_geographical_number(number)
    else:
        zones = timezone.time_zones_for_number(number)
    zone = zones[0] if zones and zones[0] != "Etc/Unknown" else DEFAULT_TIME_ZONE
    return region, operator, zone


def _check_parsed(text: str, rule: PhoneRule) -> PhoneCheck:
    try:
        number = phonenumbers.parse(text, rule.region)
    except phonenumbers.NumberParseException:
        return PhoneCheck(None, "not_a_number")
    # number_type() is UNKNOWN exactly when is_valid_number() is false; asking once halves the
    # cost of the slowest step of an import.
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        return PhoneCheck(None, "invalid")
    number_type = TYPE_NAMES.get(kind, "unknown")
    if number_type not in rule.allowed_types:
        return PhoneCheck(None, "type_not_allowed", number_type)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    region, operator, zone = _describe(number, kind)
    return PhoneCheck(e164, None, number_type, region, operator, zone)


def format_for_reading(e164: str) -> str:
    """The number as an interviewer reads and dials it at home (national format)."""
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)

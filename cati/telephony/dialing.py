"""The digits a workstation dials for a stored E.164 number (a workstation/project setting).

Decisions (China's numbering plan, with phonenumbers for what a number is):

- ``format = "national"`` (a PBX or a carrier line, the default): a mobile is dialled as its
  11 digits (mobiles have no area code in China); a landline in the centre's own area code
  (``area_code``, e.g. ``0571`` or ``571``) as its 7-8 subscriber digits; a landline elsewhere
  as ``0`` + area code + subscriber; a foreign number as ``00`` + country code + number.
  Some PBXs want non-local mobiles with a ``0`` in front: ``mobile_prefix``.
- ``format = "e164"``: a SIP trunk that takes international numbers gets ``+86...``.
- ``trunk_prefix`` (e.g. ``9``, to reach an outside line through the PBX) goes in front of
  whatever the format gives.
- A stored number that is not valid E.164 is refused with one line, never dialled as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import phonenumbers

from cati.errors import CatiError

SETTINGS_KEY = "dialing"
FORMATS = ("national", "e164")


class DialingError(CatiError):
    """A number that cannot be dialled, or a dialing setting that makes no sense."""


@dataclass(frozen=True, slots=True)
class DialPlan:
    format: str = "national"
    trunk_prefix: str = ""
    area_code: str = ""  # the centre's, without or with its leading 0
    mobile_prefix: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping | None) -> DialPlan:
        own = dict((settings or {}).get(SETTINGS_KEY) or {})
        plan = cls(format=str(own.get("format") or "national"),
                   trunk_prefix=str(own.get("trunk_prefix") or ""),
                   area_code=str(own.get("area_code") or ""),
                   mobile_prefix=str(own.get("mobile_prefix") or ""))
        plan.check()
        return plan

    def check(self) -> None:
        if self.format not in FORMATS:
            raise DialingError(f"dialing format {self.format!r}: use one of {', '.join(FORMATS)}")
        for name in ("trunk_prefix", "area_code", "mobile_prefix"):
            value = getattr(self, name)
            if value and not all(c in "0123456789*#" for c in value):
                raise DialingError(f"dialing {name} {value!r}: digits only")

    @property
    def local_area(self) -> str:
        return self.area_code.lstrip("0")

    def digits(self, e164: str) -> str:
        """What to dial for ``e164`` (``+8657188001234``)."""
        try:
            number = phonenumbers.parse(e164, None)
        except phonenumbers.NumberParseException:
            raise DialingError(f"{e164!r} is not an E.164 number (+86...)") from None
        if not phonenumbers.is_possible_number(number):
            raise DialingError(f"{e164!r} is not a possible phone number")
        if self.format == "e164":
            return self.trunk_prefix + phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.E164)
        national = str(number.national_number)
        if number.country_code != 86:
            return self.trunk_prefix + "00" + str(number.country_code) + national
        kind = phonenumbers.number_type(number)
        if kind == phonenumbers.PhoneNumberType.MOBILE or (
                len(national) == 11 and national.startswith("1")):
            return self.trunk_prefix + self.mobile_prefix + national
        area_length = phonenumbers.length_of_geographical_area_code(number)
        area, subscriber = national[:area_length], national[area_length:]
        if area_length and area == self.local_area:
            return self.trunk_prefix + subscriber
        return self.trunk_prefix + "0" + national


def dial_uri(digits: str, domain: str) -> str:
    """The SIP URI of dialled digits at the account's domain (``sip:90571...@pbx``)."""
    return f"sip:{digits}@{domain}"

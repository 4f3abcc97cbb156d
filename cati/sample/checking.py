"""Checking rows of a phone list in bulk: the part of an import that runs on worker processes.

Kept apart from the services so that a worker imports only phonenumbers, not the database layer.
"""

from __future__ import annotations

import json

from cati.sample.phones import PhoneRule, check_phone

# The staged row: the order of STAGED_COLUMNS.
STAGED_COLUMNS = ("row_number", "phone_text", "e164", "outcome", "detail", "number_type",
                  "region", "carrier", "time_zone", "stratum", "attributes")


def check_chunk(chunk: list[tuple], rule: PhoneRule) -> list[tuple]:
    """Apply the phone rule to (row_number, phone, phone_text, stratum, attributes) rows."""
    staged = []
    for row_number, phone, phone_text, stratum, attributes in chunk:
        result = check_phone(phone, rule)
        staged.append((
            row_number, phone_text[:500], result.e164,
            None if result.ok else "invalid", None if result.ok else result.reason,
            result.number_type, result.region, result.carrier, result.time_zone,
            stratum[:128], json.dumps(attributes, ensure_ascii=False),
        ))
    return staged

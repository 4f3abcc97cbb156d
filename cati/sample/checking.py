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
    """Apply the phone rule to (row_number, phone, phone_text, stratum, attributes) rows.

    Text is kept as given except for U+0000 (NUL), which is dropped: PostgreSQL's text and
    jsonb cannot hold it, and a NUL in a cell (Excel's ``_x0000_``, or a stray byte in a CSV)
    is never something a person typed. SQLite stores the same, so both back ends agree."""
    staged = []
    for row_number, phone, phone_text, stratum, attributes in chunk:
        result = check_phone(phone, rule)
        document = json.dumps(attributes, ensure_ascii=False)
        if "\\u0000" in document:
            document = json.dumps({_no_nul(k): _no_nul(v) for k, v in attributes.items()},
                                  ensure_ascii=False)
        staged.append((
            row_number, _no_nul(phone_text[:500]), result.e164,
            None if result.ok else "invalid", None if result.ok else result.reason,
            result.number_type, result.region, result.carrier, result.time_zone,
            _no_nul(stratum[:128]), document,
        ))
    return staged


def _no_nul(text: str) -> str:
    return text.replace("\x00", "") if "\x00" in text else text

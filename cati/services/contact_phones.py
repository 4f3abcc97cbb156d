"""The phone number a web, QR or field respondent leaves for a call-back, kept like a sample phone.

A form names its contact question in the settings sheet (``cati::contact_question``; the shipped
form's ``contact_phone``, asked off the phone of whoever agrees to be called back — on the phone
the number called is the contact). When an answer to it is saved, the number goes to
``contact_phones`` (one per interview: E.164 when the sample's phone rule accepts it, and the text
as typed) and ``answers`` and ``answer_events`` keep only a mask such as ``138****5678``. So on
PostgreSQL an interviewer or the web pages can write the number but never read it back (column
privileges, cati.storage.pg_security.CONTACT_PHONE_STATEMENTS), exports show the mask unless
``--with-phone`` (a supervisor's), and the call-back finds it with :func:`contact_phone_of`.

The mask is also what the engine gets back on resume, so the form's constraint accepts it; saving
an unchanged mask keeps the stored number, an empty answer removes it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import phonenumbers
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from cati.questionnaire.model import Form
from cati.sample.phones import PhoneCheck, PhoneRule, cell_text, check_phone
from cati.storage.models import ContactPhone

CONTACT_QUESTION_SETTING = "cati::contact_question"
MASK = re.compile(r"^\d{3}\*{4}\d{4}$")


def contact_question(form: Form) -> str | None:
    """The question of ``form`` whose answer is a contact phone, if it has one."""
    name = (form.settings.get(CONTACT_QUESTION_SETTING) or "").strip()
    return name if name and form.has_item(name) else None


def mask_phone(digits: str) -> str:
    """``13812345678`` -> ``138****5678`` (the first three and the last four digits)."""
    digits = re.sub(r"\D", "", digits)
    if len(digits) < 7:
        return "*" * 4
    return f"{digits[:3]}****{digits[-4:]}"


def keep_contact_phones(session: Session, interview_id: int, form: Form,
                        changes: Mapping[str, str], now: dt.datetime) -> dict[str, str]:
    """``changes`` with the contact question's answer replaced by its mask, the number stored
    in ``contact_phones`` (inside the caller's unit of work)."""
    question = contact_question(form)
    if question is None or question not in changes:
        return dict(changes)
    value = changes[question].strip()
    result = dict(changes)
    if MASK.match(value):
        return result  # the mask given back on resume: the stored number stands
    session.execute(delete(ContactPhone).where(ContactPhone.interview_id == interview_id))
    if not value:
        result[question] = ""
        return result
    checked = check_phone(value, PhoneRule())
    if checked.e164 is not None:
        national = phonenumbers.format_number(phonenumbers.parse(checked.e164),
                                              phonenumbers.PhoneNumberFormat.NATIONAL)
        masked = mask_phone(national)
    else:
        masked = mask_phone(value)
    # Core statements, not the ORM: an interviewer's or the web's login may write these columns
    # but not read them, and an ORM insert would read the row back.
    session.execute(insert(ContactPhone).values(
        interview_id=interview_id, question=question, phone_e164=checked.e164,
        phone_raw=cell_text(value)[:64], created_at=now))
    result[question] = masked
    return result


def contact_phone_of(session: Session, interview_id: int) -> str | None:
    """The number the respondent of ``interview_id`` left for a call-back (E.164 when it is a
    valid Chinese mobile or fixed line, else as typed), or None. Reads the protected table: on
    PostgreSQL a supervisor's (or the owner's) session."""
    row = session.execute(select(ContactPhone.phone_e164, ContactPhone.phone_raw)
                          .where(ContactPhone.interview_id == interview_id)).first()
    if row is None:
        return None
    return row.phone_e164 or row.phone_raw or None


def contact_phone_check(session: Session, interview_id: int) -> PhoneCheck | None:
    """The left number as a sample phone is described (E.164, type, region, carrier, time
    zone: what a follow-up case needs), or None when none was left or it is not a number the
    sample's phone rule accepts (then only a person can read it: contact_phone_of)."""
    phone = contact_phone_of(session, interview_id)
    if phone is None:
        return None
    checked = check_phone(phone, PhoneRule())
    return checked if checked.ok else None

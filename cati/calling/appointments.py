"""Appointment rules: when an appointment is due, for whom, and when it was missed."""

from __future__ import annotations

import datetime as dt

from cati.calling.hours import require_aware
from cati.calling.views import AppointmentView


def is_open(appt: AppointmentView) -> bool:
    return not (appt.kept or appt.cancelled)


def appointment_due(appt: AppointmentView, now_utc: dt.datetime,
                    interviewer_id: int | None) -> bool:
    """Whether `interviewer_id` should make this appointment's call now.

    Due from the window's start until kept. A hard appointment is reserved for its interviewer
    until the window ends; after that (and a soft one at any time) anyone may keep it.
    """
    now = require_aware(now_utc, "now_utc")
    if not is_open(appt) or now < appt.window_start:
        return False
    return not reserved_for_other(appt, now, interviewer_id)


def appointment_missed(appt: AppointmentView, now_utc: dt.datetime) -> bool:
    """The window ended without the appointment being kept (or cancelled)."""
    now = require_aware(now_utc, "now_utc")
    return appt.missed or (is_open(appt) and now >= appt.window_end)


def reserved_for_other(appt: AppointmentView, now: dt.datetime,
                        interviewer_id: int | None) -> bool:
    return (appt.hard and is_open(appt) and appt.interviewer_id is not None
            and appt.interviewer_id != interviewer_id and now < appt.window_end)

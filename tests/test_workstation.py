"""What the call screen is given: the claimed case, its history, its appointment, its
unfinished interview."""

from __future__ import annotations

import datetime as dt

from cati.calling.outcomes import book_appointment, record_outcome
from cati.services.interviews import open_interview, save_answers
from cati.services.users import add_user
from cati.services.workstation import WindowIdentity, next_call, workstation_name

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def test_the_call_screen_shows_history_appointment_and_resume_point(database,
                                                                      one_case_project):
    with database.unit() as session:
        wang = add_user(session, "wang", "password-123", "interviewer", "王芳").id
    first = next_call(database, one_case_project, wang, "ws1", now=NOW)
    assert (first.phone_e164, first.phone_display, first.tel_uri) == (
        "+8613800000001", "138 0000 0001", "tel:+8613800000001")
    assert (first.history, first.appointment, first.interview_id) == ((), None, None)
    record_outcome(database, first.case_id, "ws1", "3.13", interviewer_id=wang, note="响铃十声",
                   now=NOW)
    later = NOW + dt.timedelta(hours=5)
    second = next_call(database, one_case_project, wang, "ws1", now=later)
    interview = open_interview(database, one_case_project, case_id=second.case_id,
                               interviewer_id=wang, workstation="ws1", now=later)
    save_answers(database, interview.id, {"intro": "OK"}, current_item="phone_kind",
                 workstation="ws1", now=later)
    start = later + dt.timedelta(days=1)
    book_appointment(database, second.case_id, "ws1", window_start=start,
                     window_end=start + dt.timedelta(hours=1), hard=True, interviewer_id=wang,
                     note="明天上午", now=later)
    third = next_call(database, one_case_project, wang, "ws1",
                      now=start + dt.timedelta(minutes=1))
    assert [(line.interviewer, line.disposition, line.label_zh, line.note)
            for line in third.history] == [("王芳", "3.13", "无人接听", "响铃十声"),
                                           ("王芳", None, "约访", "明天上午")]
    assert third.appointment is not None
    assert (third.appointment.hard, third.appointment.booked_by, third.appointment.note) == (
        True, "王芳", "明天上午")
    assert (third.interview_id, third.resume_at) == (interview.id, "phone_kind")
    assert third.state == "appointment"


def test_each_window_has_its_own_name_and_a_successor_adopts_a_dead_one(monkeypatch, tmp_path):
    monkeypatch.setenv("CATI_WORKSTATION", "座席-07")  # the base of the names
    assert workstation_name() != workstation_name()
    first, second = WindowIdentity(tmp_path), WindowIdentity(tmp_path)
    assert first.name != second.name
    assert first.name.startswith("座席-07:") and second.name.startswith("座席-07:")
    assert (first.others, first.note) == (0, "")
    assert second.others == 1 and "another window" in second.note
    first.release()  # the window ended (a crash lets the name go the same way)
    third = WindowIdentity(tmp_path)
    assert (third.name, third.adopted, third.others) == (first.name, True, 1)
    monkeypatch.setenv("CATI_WORKSTATION", "座席-08")  # another base adopts nothing of 07's
    second.release()
    fourth = WindowIdentity(tmp_path)
    assert fourth.name.startswith("座席-08:") and not fourth.adopted


def test_why_the_queue_hands_out_nothing(database, one_case_project):
    """Asia/Shanghai, default hours 09-12 and 14-21: at 03:00 Beijing time the hours are shut
    until 09:00; in hours, a case due later is "none_due"; paused and empty projects say so."""
    from sqlalchemy import update

    from cati.services.workstation import why_no_call
    from cati.storage.models import Case, Project

    night = dt.datetime(2026, 12, 7, 19, 0, tzinfo=dt.UTC)  # 03:00 in Beijing
    why = why_no_call(database, one_case_project, now=night)
    assert (why.reason, why.next_at, why.time_zone) == (
        "outside_hours", dt.datetime(2026, 12, 8, 1, 0, tzinfo=dt.UTC), "Asia/Shanghai")
    morning = dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
    later = morning + dt.timedelta(hours=3)
    with database.unit() as session:
        session.execute(update(Case).values(state="scheduled", next_call_at=later))
    assert why_no_call(database, one_case_project, now=morning).next_at == later
    assert why_no_call(database, one_case_project, now=morning).reason == "none_due"
    with database.unit() as session:
        session.execute(update(Project).values(status="paused"))
    assert why_no_call(database, one_case_project, now=morning).reason == "paused"
    with database.unit() as session:
        session.execute(update(Project).values(status="active"))
        session.execute(update(Case).values(state="closed"))
    assert why_no_call(database, one_case_project, now=morning).reason == "none_left"

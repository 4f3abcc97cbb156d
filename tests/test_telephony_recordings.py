"""A softphone call stored on its attempt, with its recording filed by attempt, on SQLite and
PostgreSQL; recordings read by supervisors only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sip_lab import Respondent, speech_wav
from sqlalchemy import select

from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.errors import CatiError, PermissionDenied
from cati.services.recordings import (
    CallFacts,
    attach_call,
    check_recording,
    recordings,
)
from cati.services.users import add_user
from cati.storage.models import AuditEntry, CallAttempt, Recording
from cati.telephony.baresip import AgentOptions, BaresipAgent
from cati.telephony.call import place_call
from cati.telephony.recording import file_recording

BEIJING = ZoneInfo("Asia/Shanghai")
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING).astimezone(dt.UTC)


@pytest.fixture
def people(database):
    with database.unit() as session:
        ids = {name: add_user(session, name, "K7-long-pass-2026!", role).id
               for name, role in (("ivan", "interviewer"), ("olga", "interviewer"),
                                  ("lin", "supervisor"))}
    return ids


def _coded(database, project_id, interviewer_id, code) -> int:
    claimed = claim_next_case(database, project_id, "ws-ivan", interviewer_id=interviewer_id,
                              now=MONDAY_10)
    assert claimed is not None
    return record_outcome(database, claimed.case_id, "ws-ivan", code,
                          interviewer_id=interviewer_id, now=MONDAY_10).attempt_id


@pytest.mark.telephony
def test_answered_call_is_stored_with_its_recording(database, one_case_project, people,
                                                    tmp_path):
    speech = speech_wav(tmp_path, name="respondent.wav", seconds=2)
    with Respondent("auto", play=speech) as respondent, \
            BaresipAgent(AgentOptions(record=True)) as workstation:
        result = place_call(workstation, respondent.uri, record_to=tmp_path / "call.wav")
    assert result.outcome == "answered" and result.recording is not None
    # The respondent refused after hearing the introduction: the interviewer codes 2.111.
    attempt_id = _coded(database, one_case_project, people["ivan"], "2.111")
    filed = file_recording(tmp_path / "call.wav", tmp_path / "recordings", "ONE", attempt_id,
                           result.answered_at)
    assert filed.path.endswith(f"ONE/{result.answered_at:%Y-%m}/attempt-{attempt_id}.wav")
    assert filed.sha256 == result.recording.sha256 and not (tmp_path / "call.wav").exists()
    attached = attach_call(database, attempt_id, CallFacts.from_result(result), filed,
                           actor_id=people["ivan"])
    assert (attached.outcome, attached.proposed_disposition, attached.disposition) == (
        "answered", None, "2.111")
    with database.unit(immediate=False) as session:
        attempt = session.get(CallAttempt, attempt_id)
        assert (attempt.machine_outcome, attempt.sip_status) == ("answered", 200)
        assert attempt.answered_at == result.answered_at
        assert attempt.hung_up_at == result.ended_at
        audit = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "call_recorded")).one()
        assert audit.details["recording"]["sha256"] == filed.sha256
    rows = recordings(database, people["lin"], project_id=one_case_project)
    assert [(r.attempt_id, r.path, r.size, r.sha256) for r in rows] == [
        (attempt_id, filed.path, filed.size, filed.sha256)]
    assert abs(rows[0].duration_s - result.talk_s) < 0.5
    assert check_recording(rows[0]) == "ok"


def _busy(now: dt.datetime) -> CallFacts:
    return CallFacts("busy", 486, "3.12", now, None, None, now + dt.timedelta(seconds=0.2))


def test_busy_call_keeps_the_proposal_next_to_the_interviewers_code(database, one_case_project,
                                                                    people):
    attempt_id = _coded(database, one_case_project, people["ivan"], "3.16")
    attached = attach_call(database, attempt_id, _busy(MONDAY_10), None, actor_id=people["ivan"])
    assert (attached.proposed_disposition, attached.disposition, attached.recording_id) == (
        "3.12", "3.16", None)
    with database.unit(immediate=False) as session:
        attempt = session.get(CallAttempt, attempt_id)
        assert (attempt.machine_outcome, attempt.sip_status, attempt.proposed_disposition,
                attempt.disposition) == ("busy", 486, "3.12", "3.16")
        assert session.scalar(select(Recording.id)) is None


def _unchanged(database):
    with database.unit(immediate=False) as session:
        return ([tuple(r) for r in session.execute(select(
                    CallAttempt.id, CallAttempt.machine_outcome, CallAttempt.sip_status))],
                session.scalar(select(Recording.id)),
                len(session.scalars(select(AuditEntry.id)).all()))


def test_refusals_change_nothing(database, one_case_project, people, tmp_path):
    attempt_id = _coded(database, one_case_project, people["ivan"], "3.12")
    before = _unchanged(database)
    with pytest.raises(PermissionDenied):  # another interviewer's attempt
        attach_call(database, attempt_id, _busy(MONDAY_10), None, actor_id=people["olga"])
    with pytest.raises(CatiError, match="not a call outcome"):
        attach_call(database, attempt_id, CallFacts("hung", None, None, None, None, None, None),
                    None, actor_id=people["ivan"])
    with pytest.raises(PermissionDenied):  # recordings are the supervisors'
        recordings(database, people["ivan"], project_id=one_case_project)
    assert _unchanged(database) == before
    attach_call(database, attempt_id, _busy(MONDAY_10), None, actor_id=people["ivan"])
    stored = _unchanged(database)
    with pytest.raises(CatiError, match="stored already"):
        attach_call(database, attempt_id, _busy(MONDAY_10), None, actor_id=people["lin"])
    assert _unchanged(database) == stored


@pytest.mark.telephony
def test_a_changed_or_missing_file_is_told(database, one_case_project, people, tmp_path):
    speech = speech_wav(tmp_path, name="respondent.wav", seconds=1)
    with Respondent("auto", play=speech) as respondent, \
            BaresipAgent(AgentOptions(record=True)) as workstation:
        result = place_call(workstation, respondent.uri, record_to=tmp_path / "call.wav")
    attempt_id = _coded(database, one_case_project, people["ivan"], "2.111")
    filed = file_recording(tmp_path / "call.wav", tmp_path / "rec", "ONE", attempt_id,
                           MONDAY_10)
    attach_call(database, attempt_id, CallFacts.from_result(result), filed,
                actor_id=people["ivan"])
    (row,) = recordings(database, people["lin"], attempt_ids=[attempt_id])
    with open(row.path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\x7f\x7f")
    assert check_recording(row) == "changed"
    (tmp_path / "rec" / "ONE" / "2026-11" / f"attempt-{attempt_id}.wav").unlink()
    assert check_recording(row) == "missing"

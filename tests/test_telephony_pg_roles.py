"""Recordings under the people's own PostgreSQL logins: the interviewer's workstation stores
the call and the recording of its own attempt; no other interviewer can, no interviewer reads
a recording's path or changes one, the web's login sees nothing; the supervisor reads them."""

from __future__ import annotations

import psycopg
import pytest
from sip_lab import speech_wav
from sqlalchemy import text
from test_pg_security import NOW, Centre, _ids

from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.services.recordings import CallFacts, attach_call, recordings
from cati.services.sample_import import import_sample
from cati.storage.db import Database
from cati.telephony.recording import describe

pytestmark = pytest.mark.postgres


@pytest.fixture
def centre(pg_url, run_cli):
    made = Centre(pg_url, run_cli)
    yield made
    made.drop()


def test_recordings_follow_the_roles_of_phone_numbers(centre, tmp_path):
    lin = Database(centre.url("lin"))
    ivan = Database(centre.url("ivan"))
    try:
        (tmp_path / "list.csv").write_text("电话\n13900000001\n13900000002\n", encoding="utf-8")
        assert import_sample(lin, "SAFE", tmp_path / "list.csv").imported == 2
        project, me = _ids(ivan)
        claimed = claim_next_case(ivan, project, "ws-ivan", interviewer_id=me, now=NOW)
        attempt_id = record_outcome(ivan, claimed.case_id, "ws-ivan", "2.111",
                                    interviewer_id=me, now=NOW).attempt_id
        recording = describe(speech_wav(tmp_path, name=f"attempt-{attempt_id}.wav", seconds=2))
        facts = CallFacts("answered", 200, None, NOW, NOW, NOW, NOW)
        stored = attach_call(ivan, attempt_id, facts, recording, actor_id=me)
        assert stored.recording_id is not None
        with centre.raw("ivan") as connection:
            assert connection.execute("SELECT id, attempt_id FROM recordings").fetchall() == [
                (stored.recording_id, attempt_id)]
            for statement in ("SELECT path FROM recordings",
                              "UPDATE recordings SET path = '/tmp/x.wav'",
                              "DELETE FROM recordings"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    connection.execute(statement)
        with centre.raw("olga") as connection:  # another interviewer's attempt
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(
                    "INSERT INTO recordings (attempt_id, path, size, duration_s, sha256, "
                    "created_at) VALUES (%s, '/tmp/fake.wav', 1, 1, 'x', now())",
                    (attempt_id,))
            assert connection.execute("SELECT count(*) FROM recordings").fetchone() == (0,)
        with centre.raw(centre.web) as connection, \
                pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("SELECT attempt_id FROM recordings")
        (row,) = recordings(lin, _ids(lin)[1], project_id=project)
        assert (row.attempt_id, row.path, row.sha256) == (attempt_id, recording.path,
                                                          recording.sha256)
        with lin.unit(immediate=False) as session:
            logged = session.execute(text(
                "SELECT count(*) FROM audit_log WHERE action = 'db_recordings_insert'")).scalar()
        assert logged == 1
    finally:
        lin.dispose()
        ivan.dispose()

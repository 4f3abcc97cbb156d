"""The workstation's journal (cati.journal) through the Backend the window uses: every entry
written once and in order, a commit whose reply was lost not written twice, a case taken over
meanwhile kept aside (refused) and never dropped; and a network that drops between the
workstation and the server (a real TCP relay that the test cuts and restores).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import struct
import threading

import pytest
from pg_server import PgServer
from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import make_url
from test_storage_faults import make_full

from cati.backend import Backend
from cati.calling.outcomes import record_outcome
from cati.calling.queue import claim_next_case
from cati.config import QUESTIONNAIRE_DIR
from cati.journal import REFUSED, WRITTEN
from cati.services import interviews
from cati.services.clock import utc_now
from cati.services.projects import create_project
from cati.services.users import add_user
from cati.storage.db import Database
from cati.storage.models import Answer, AnswerEvent, CallAttempt, Case, Interview

WS = "ws-journal"


def setup(url: str, cases: int = 2) -> tuple[Database, int, int]:
    database = Database(url)
    database.upgrade()
    with database.unit() as session:
        user = add_user(session, "zhou", "interview-2026", "interviewer", "周")
        project = create_project(session, "JRNL", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [
            {"project_id": project.id, "phone_e164": f"+86138001380{n:02d}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "古槐街道", "attributes": {},
             "time_zone": "Asia/Shanghai", "draw": n} for n in range(cases)])
    return database, project.id, user.id


def claim_and_open(database: Database, backend: Backend, project_id: int, user_id: int):
    now = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
    claimed = claim_next_case(database, project_id, backend.workstation, interviewer_id=user_id,
                              now=now)
    assert claimed is not None
    interview = backend.open_interview(project_id, case_id=claimed.case_id,
                                       interviewer_id=user_id)
    return claimed.case_id, interview.id


def stored(database: Database, interview_id: int) -> dict[str, str]:
    with database.unit(immediate=False) as session:
        return dict(session.execute(select(Answer.question, Answer.value)
                                    .where(Answer.interview_id == interview_id)).all())


def events(database: Database, interview_id: int) -> list[tuple[str, str]]:
    with database.unit(immediate=False) as session:
        return session.execute(select(AnswerEvent.question, AnswerEvent.action)
                               .where(AnswerEvent.interview_id == interview_id)
                               .order_by(AnswerEvent.id)).all()


def test_entries_are_written_once_even_when_a_reply_was_lost(db_url):
    database, project_id, user_id = setup(db_url)
    backend = Backend(db_url, WS)
    case_id, interview_id = claim_and_open(database, backend, project_id, user_id)

    saved = backend.save_answers_journaled(interview_id, {"phone_kind": "3"},
                                           current_item="age", case_id=case_id,
                                           user_id=user_id)
    assert saved.written and saved.waiting == 0 and saved.result.quota_full is False

    # An answer whose commit landed but whose reply was lost is still pending in the journal:
    # writing it again stores nothing new.
    entry = backend.journal.add(backend.journal_key, "answers", workstation=WS,
                                payload={"changes": {"age": "46"}, "current_item": "residence"},
                                interview_id=interview_id, case_id=case_id, user_id=user_id,
                                now=utc_now())
    interviews.save_answers(database, interview_id, {"age": "46"}, current_item="residence",
                            user_id=user_id, workstation=WS)
    assert backend.write_journal().waiting == 0
    assert backend.journal.get(entry.id).state == WRITTEN
    assert events(database, interview_id) == [("phone_kind", "set"), ("age", "set")]

    # The same for the outcome: the attempt is stored once.
    started = utc_now() - dt.timedelta(minutes=3)
    entry = backend.journal.add(backend.journal_key, "outcome", workstation=WS,
                                payload={"code": "2.12", "note": "",
                                         "started_at": started.isoformat()},
                                interview_id=interview_id, case_id=case_id, user_id=user_id,
                                now=utc_now())
    record_outcome(database, case_id, WS, "2.12", interviewer_id=user_id, started_at=started,
                   interview_id=interview_id)
    assert backend.write_journal().waiting == 0
    assert backend.journal.get(entry.id).state == WRITTEN
    with database.unit(immediate=False) as session:
        assert session.execute(select(CallAttempt.disposition)
                               .where(CallAttempt.case_id == case_id)).all() == [("2.12",)]
    backend.close()


def test_a_case_taken_over_keeps_its_entries_and_others_go_on(db_url, run_cli):
    database, project_id, user_id = setup(db_url)
    backend = Backend(db_url, WS)
    lost_case, lost_interview = claim_and_open(database, backend, project_id, user_id)
    with database.unit() as session:  # another workstation has it now
        session.execute(update(Case).where(Case.id == lost_case).values(lease_holder="ws-2"))

    refused = backend.save_answers_journaled(lost_interview, {"phone_kind": "3"},
                                             current_item="age", case_id=lost_case,
                                             user_id=user_id)
    assert not refused.written and "no longer held" in refused.refused
    outcome = backend.record_outcome_journaled(lost_case, "1.1", interviewer_id=user_id,
                                               interview_id=lost_interview)
    assert outcome.refused and outcome.waiting == 0
    kept = backend.journal.refused(backend.journal_key)
    assert [(e.kind, e.case_id) for e in kept] == [("answers", lost_case),
                                                   ("outcome", lost_case)]
    assert kept[0].payload["changes"] == {"phone_kind": "3"}
    assert stored(database, lost_interview) == {}
    # A supervisor reads them on the workstation.
    listed = run_cli("journal", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    mine = [json.loads(line) for line in listed.stdout.splitlines()]
    mine = [e for e in mine if e["database"] == backend.journal_key]
    assert [(e["kind"], e["state"], e["case_id"]) for e in mine] == [
        ("answers", REFUSED, lost_case), ("outcome", REFUSED, lost_case)]

    # A field interview (no case) of the same workstation is written as usual.
    field = backend.open_interview(project_id, case_id=None, interviewer_id=user_id,
                                   mode="field")
    saved = backend.save_answers_journaled(field.id, {"phone_kind": "1"}, current_item="age",
                                           case_id=None, user_id=user_id)
    assert saved.written and not saved.refused
    closed = backend.close_field_interview_journaled(field.id, "2.12")
    assert closed.written
    with database.unit(immediate=False) as session:
        assert session.get(Interview, field.id).disposition == "2.12"
    backend.close()


def test_a_full_store_keeps_the_answer_in_the_journal_until_it_takes_writes(db_url):
    database, project_id, user_id = setup(db_url)
    backend = Backend(db_url, WS)
    case_id, interview_id = claim_and_open(database, backend, project_id, user_id)
    make_full(backend.database, "answers")
    long_text = "多巡逻，" * 20_000  # needs new pages, which the full store cannot give
    full = backend.save_answers_journaled(interview_id, {"suggestion": long_text},
                                          current_item="campaign_aware", case_id=case_id,
                                          user_id=user_id)
    assert (full.written, full.waiting, full.cut_off) == (False, 1, False)
    assert "full" in full.offline
    assert stored(database, interview_id) == {}
    backend.close()

    # Space again (a new connection without the page limit; the server's trigger dropped).
    if not database.is_sqlite:
        with database.unit() as session:
            session.execute(text("DROP TRIGGER disk_is_full ON answers"))
    again = Backend(db_url, WS)
    assert again.write_journal().waiting == 0
    assert stored(database, interview_id) == {"suggestion": long_text}
    again.close()


class Relay:
    """A TCP relay between the workstation and the server that the test can cut (every
    connection reset, new ones refused) and restore, on the same port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with contextlib.suppress(OSError):  # wakes the accepting thread (close alone does not)
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()  # a reset, as when the network drops


@pytest.mark.postgres
def test_a_network_drop_between_workstation_and_server():
    with PgServer() as server:
        relay = Relay(server.port)
        url = make_url(server.url).set(port=relay.port).render_as_string(hide_password=False)
        database, project_id, user_id = setup(url)
        backend = Backend(url, WS)
        case_id, interview_id = claim_and_open(database, backend, project_id, user_id)
        first = backend.save_answers_journaled(interview_id, {"phone_kind": "3"},
                                               current_item="age", case_id=case_id,
                                               user_id=user_id)
        assert first.written

        relay.cut()
        offline = [backend.save_answers_journaled(interview_id, {name: value},
                                                  current_item=None, case_id=case_id,
                                                  user_id=user_id)
                   for name, value in (("age", "46"), ("residence", "1"))]
        assert [(f.written, f.waiting) for f in offline] == [(False, 1), (False, 2)]
        assert all("cannot be reached" in f.offline for f in offline)
        assert backend.write_journal().waiting == 2  # still cut off

        relay.restore()
        assert backend.write_journal().waiting == 0
        assert stored(database, interview_id) == {"phone_kind": "3", "age": "46",
                                                  "residence": "1"}
        assert [a for _, a in events(database, interview_id)] == ["set"] * 3
        backend.close()
        database.dispose()
        relay.cut()

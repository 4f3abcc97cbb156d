"""A simulated afternoon at load with the PostgreSQL server restarted twice mid-run (the short
version of scripts/soak.py), and the retry that rides out a lost connection.

The soak runs on a server of its own (tests/pg_server.py): stopping the suite's shared server
would break every other test running beside it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import socket
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest
from pg_server import PgServer
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text

from cati.storage.db import Database
from cati.storage.models import CallAttempt, Case, Interview
from cati.storage.retry import is_disconnect, retry_on_disconnect

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "soak.py"
pytestmark = pytest.mark.postgres  # PostgreSQL's server binaries, a server of its own

AFTERNOON = dt.datetime(2026, 11, 24, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _soak_module():
    spec = importlib.util.spec_from_file_location("soak", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture  # one per test: each makes its own accounts, and a login is server-wide
def own_server():
    server = PgServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


def test_a_day_with_two_server_restarts_loses_and_doubles_nothing(own_server):
    soak = _soak_module()
    figures = soak.run_soak(own_server, interviewers=8, hours=3, speed=600, cases=600,
                            restarts=2, down=1.0, seed=3, start=AFTERNOON)
    assert figures["restarts"] == 2
    assert figures["reconnects"] > 0  # the restarts cut interviewers off mid-work
    assert figures["claims_after_last_restart"] > 0  # and they went on working after
    assert figures["missing_attempts"] == 0 and figures["doubled_attempts"] == 0
    assert figures["duplicate_claims"] == 0  # no case held by two workstations at once
    assert figures["lost_answers"] == 0 and figures["answers_differ"] == 0
    assert figures["ok"] is True
    assert figures["attempts"] == figures["claims"] - figures["leases_lost"]

    # The database on its own says the same: each attempt once, each complete stored.
    database = Database(own_server.url)
    try:
        with database.unit(immediate=False) as session:
            stored = session.scalar(select(func.count(CallAttempt.id))
                                    .where(CallAttempt.workstation.like("sim%")))
            doubled = session.execute(
                select(CallAttempt.case_id, CallAttempt.workstation, CallAttempt.started_at)
                .group_by(CallAttempt.case_id, CallAttempt.workstation, CallAttempt.started_at)
                .having(func.count() > 1)).all()
            completes = session.scalar(select(func.count(Interview.id))
                                       .where(Interview.state == "complete"))
    finally:
        database.dispose()
    assert stored == figures["attempts"] and doubled == []
    assert completes == figures["completes"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_refused_connection_is_retried_until_given_up():
    database = Database(f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/cati")
    failures = []

    def select_one():
        with database.unit() as session:
            return session.scalar(text("SELECT 1"))

    try:
        with pytest.raises(sa_exc.OperationalError) as raised:
            retry_on_disconnect(select_one, give_up_after=0.6, on_disconnect=failures.append)
    finally:
        database.dispose()
    assert is_disconnect(raised.value)
    assert len(failures) >= 2  # tried again, with pauses, then gave up


def test_a_failing_statement_is_not_retried(own_server):
    database = Database(own_server.url)
    failures = []

    def broken():
        with database.unit() as session:
            session.execute(text("SELECT * FROM no_such_table"))

    try:
        with pytest.raises(sa_exc.ProgrammingError) as raised:
            retry_on_disconnect(broken, on_disconnect=failures.append)
        assert not is_disconnect(raised.value) and failures == []
        assert retry_on_disconnect(lambda: _select_one(database)) == 1
    finally:
        database.dispose()
    with sqlite3.connect(":memory:") as connection, pytest.raises(sqlite3.OperationalError) \
            as locked:
        connection.execute("SELECT * FROM no_such_table")
    assert not is_disconnect(locked.value)


def _select_one(database: Database) -> int:
    with database.unit() as session:
        return session.scalar(text("SELECT 1"))


def test_a_stopped_server_is_waited_for_and_the_work_goes_on(own_server):
    database = Database(own_server.url)
    failures = []
    try:
        assert _select_one(database) == 1  # a pooled connection the stop will cut
        own_server.stop()

        def unit():
            if len(failures) == 3:
                own_server.start()  # back while the unit waits for it
            return _select_one(database)

        assert retry_on_disconnect(unit, give_up_after=60, on_disconnect=failures.append) == 1
    finally:
        database.dispose()
    assert len(failures) >= 3 and all(is_disconnect(error) for error in failures)
    with psycopg.connect(host="127.0.0.1", port=own_server.port, user=own_server.user,
                         dbname=own_server.database) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)


class ReplyDropper:
    """A TCP relay between the client and the server that, when armed, lets one COMMIT through
    to the server and cuts the connection before the server's reply comes back: the commit
    lands, the client is told the connection was lost (a network drop at the worst moment)."""

    COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"  # a simple-query COMMIT message

    def __init__(self, port: int) -> None:
        self.port, self.armed, self.dropped = port, False, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url_port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.port))
            cut = threading.Event()
            threading.Thread(target=self._pump, args=(client, server, cut, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, cut, False),
                             daemon=True).start()

    def _pump(self, source, target, cut: threading.Event, upstream: bool) -> None:
        try:
            while data := source.recv(65536):
                if upstream and self.armed and self.COMMIT in data:
                    self.armed = False
                    cut.set()  # before the COMMIT goes on: its reply is never delivered
                elif not upstream and cut.is_set():
                    self.dropped += 1
                    break
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self.listener.close()


def test_a_lost_commit_reply_neither_doubles_a_claim_nor_an_attempt(own_server):
    """The commit lands but its reply is lost: the retried claim takes back the case it
    already holds, the retried outcome finds its attempt stored; nothing is written twice."""
    from cati.calling.simulate import InterviewerReport, _Clock, _Desk
    from cati.services.demo import create_demo

    with psycopg.connect(host="127.0.0.1", port=own_server.port, user=own_server.user,
                         dbname=own_server.database, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS lost_reply")
        connection.execute("CREATE DATABASE lost_reply")
    relay = ReplyDropper(own_server.port)
    database = Database(f"postgresql+psycopg://{own_server.user}@127.0.0.1:{relay.url_port}"
                        "/lost_reply")
    try:
        database.upgrade()
        with database.unit() as session:
            project_id = create_demo(session, cases=20).project.id
        report = InterviewerReport()
        desk = _Desk(database, project_id, "ws-1", None, report)
        clock = _Clock(AFTERNOON, 1.0)

        relay.armed = True
        case = desk.claim(clock)
        assert relay.dropped == 1 and report.reconnects >= 1
        with database.unit(immediate=False) as session:
            held = session.scalars(select(Case.id).where(Case.lease_holder == "ws-1")).all()
        assert case is not None and held == [case.case_id]  # one case, the one taken back

        relay.armed = True
        started = clock.now()
        desk.record_outcome(case.case_id, "3.13", started, clock, None)
        assert relay.dropped == 2
        with database.unit(immediate=False) as session:
            attempts = session.execute(select(CallAttempt.case_id, CallAttempt.disposition)
                                       .where(CallAttempt.workstation == "ws-1")).all()
            holder = session.scalar(select(Case.lease_holder).where(Case.id == case.case_id))
        assert attempts == [(case.case_id, "3.13")] and holder is None
        assert report.attempts == [(case.case_id, "ws-1", started, "3.13")]
    finally:
        database.dispose()
        relay.close()

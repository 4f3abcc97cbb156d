"""The web server under waitress as ``cati web serve`` runs it, on loopback: what a client can
hold of it is bounded (a large body is refused before it is read, silent connections are closed
and do not keep others out), and concurrent starts of one invitation make one interview."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import insert, select
from test_web_links import COMPLETE, answer_through, stored_answers, web_interviews
from web_http import HttpClient

from cati.storage.models import Case, WebInterview
from cati.web.links import invite_case, point_link
from cati.web.server import BackgroundServer, ServerOptions

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _status_line(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received.split(b"\r\n", 1)[0]


@sqlite_only
def test_a_large_body_is_refused_before_it_is_read(database, one_case_project):
    link = point_link(database, "ONE", "东门")
    with BackgroundServer(database, one_case_project) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            started = time.monotonic()
            # 100 MiB announced (under waitress's own 1 GiB default), 64 KiB of it sent.
            sock.sendall(f"POST {link.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         f"Content-Length: {100 * 2**20}\r\n\r\n".encode()
                         + b"action=start&value=" + b"x" * 65536)
            status = _status_line(sock)  # times out (fails) when the server waits for it all
        assert status.startswith(b"HTTP/1.1 413"), status
        assert time.monotonic() - started < 3
        assert web_interviews(database) == []
        # The longest answer the engine takes (32,767 characters of 4-byte UTF-8, 12 bytes each
        # form-encoded) still fits.
        longest = "\U00020000" * 32_767
        page = answer_through(HttpClient(server.port), link.path,
                              {**COMPLETE, "suggestion": longest})
        assert "问卷已提交" in page
    [interview] = web_interviews(database)
    assert stored_answers(database, interview.id)["suggestion"] == longest


@sqlite_only
def test_silent_connections_are_closed_and_do_not_keep_a_request_out(
        database, one_case_project):
    link = point_link(database, "ONE", "东门")
    options = ServerOptions(channel_timeout=4, cleanup_interval=1)
    with BackgroundServer(database, one_case_project, options=options) as server:
        silent: list[socket.socket] = []
        try:
            for n in range(120):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                if n % 2:  # half a request: the headers never end
                    sock.sendall(f"GET {link.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
                silent.append(sock)
            started = time.monotonic()
            reply = HttpClient(server.port, timeout=5).get(link.path)
            assert reply.status_code == 200
            assert time.monotonic() - started < 2  # well before the silent ones time out
            for sock in silent:  # closed by the server after its timeout: end of stream
                with contextlib.suppress(ConnectionResetError):
                    assert sock.recv(4096) == b""
            assert time.monotonic() - started < 10
        finally:
            for sock in silent:
                sock.close()


def test_concurrent_starts_of_one_invitation_make_one_interview(database, one_case_project):
    with database.unit() as session:
        session.execute(insert(Case), [
            {"project_id": one_case_project, "phone_e164": f"+861380000010{n}", "state": "fresh",
             "attempts": 0, "priority": 0, "stratum": "", "attributes": {},
             "time_zone": "Asia/Shanghai"} for n in range(3)])
        case_ids = session.scalars(select(Case.id).order_by(Case.id)).all()
    invitations = [invite_case(database, case_id) for case_id in case_ids]
    starts = 6
    with BackgroundServer(database, one_case_project, threads=starts) as server:
        for invitation in invitations:  # a respondent tapping Start on several phones at once
            barrier = threading.Barrier(starts)

            def start(_: int, path: str = invitation.path,
                      barrier: threading.Barrier = barrier) -> int:
                client = HttpClient(server.port)
                barrier.wait(timeout=10)
                return client.post(path, {"action": "start"}).status_code

            with ThreadPoolExecutor(starts) as pool:
                assert list(pool.map(start, range(starts))) == [303] * starts
            # Every browser then shows the one interview's first page.
            assert 'name="item"' in HttpClient(server.port).get(invitation.path).get_data(True)
    interviews = web_interviews(database)
    assert sorted(i.case_id for i in interviews) == sorted(case_ids)
    with database.unit(immediate=False) as session:
        rows = session.execute(select(WebInterview.interview_id, WebInterview.link_id)).all()
    assert sorted(link_id for _, link_id in rows) == sorted(i.id for i in invitations)


def test_concurrent_starts_on_an_open_link_keep_the_count_per_address(
        database, one_case_project):
    from cati.web.limits import WebLimits

    link = point_link(database, "ONE", "东门")
    starts = 6
    barrier = threading.Barrier(starts)
    with BackgroundServer(database, one_case_project, threads=starts,
                          limits=WebLimits(starts_per_address=2)) as server:
        def start(_: int) -> int:
            client = HttpClient(server.port)  # cookies cleared: each a new browser
            barrier.wait(timeout=10)
            return client.post(link.path, {"action": "start"}).status_code

        with ThreadPoolExecutor(starts) as pool:
            statuses = sorted(pool.map(start, range(starts)))
    assert statuses == [303, 303, 403, 403, 403, 403]
    assert len(web_interviews(database)) == 2

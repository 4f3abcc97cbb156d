"""The web server under waitress as ``cati web serve`` runs it, on loopback: what a client can
hold of it is bounded (a large body is refused before it is read, silent connections are closed
and do not keep others out)."""

from __future__ import annotations

import contextlib
import socket
import time

import pytest
from test_web_links import COMPLETE, answer_through, stored_answers, web_interviews
from web_http import HttpClient

from cati.web.links import point_link
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

"""Running the web application under waitress: in the foreground (``cati web serve``) or on a
background thread (tests, the benchmark).

waitress is a pure-Python production WSGI server with a thread pool: it needs no compiler, runs
on Windows and Linux alike, and its synchronous threads fit the synchronous SQLAlchemy services
(each request one short unit of work). Behind a reverse proxy give ``trusted_proxy`` so the rate
limits see the respondent's address from X-Forwarded-For instead of the proxy's.

What a client can hold of the server is bounded (both servers use the same settings):

- a request body above MAX_BODY_BYTES is answered 413 as soon as its headers say so, before
  any of it is read (waitress would otherwise spool up to 1 GiB to a temporary file). The
  longest legitimate post is one answer of the longest text the engine takes (32,767
  characters, at most 12 bytes each form-encoded: under 400 KiB); the limit also stays below
  waitress's in-memory buffer (512 KiB), so no body ever goes to disk;
- a connection that sends nothing for ``channel_timeout`` seconds (a half-sent request, an idle
  keep-alive) is closed at the next clean-up (every ``cleanup_interval`` seconds);
- at most ``connection_limit`` connections are open at once (above it new ones wait in the
  listen backlog). Idle connections cost no worker thread, so the limit sits far above the
  ``threads`` that run requests; 400 stays under the 512 sockets select() watches on Windows.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

from waitress import serve as waitress_serve
from waitress.server import create_server
from waitress.wasyncore import close_all

from cati.storage.db import Database
from cati.web.app import MAX_BODY_BYTES, create_app
from cati.web.limits import WebLimits


@dataclass(frozen=True, slots=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 8
    trusted_proxy: str | None = None
    behind_https: bool = False  # HSTS and Secure cookies (a proxy terminates TLS)
    connection_limit: int = 400
    channel_timeout: int = 20  # seconds a connection may stay silent
    cleanup_interval: int = 5  # seconds between looks for silent connections
    allowed_hosts: tuple[str, ...] = ()  # host[:port] posts may come from besides the Host


def _adjustments(options: ServerOptions) -> dict:
    extra: dict = {"threads": options.threads, "ident": "cati",
                   "max_request_body_size": MAX_BODY_BYTES,
                   "connection_limit": options.connection_limit,
                   "channel_timeout": options.channel_timeout,
                   "cleanup_interval": options.cleanup_interval}
    if options.trusted_proxy:
        extra.update(trusted_proxy=options.trusted_proxy,
                     trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto",
                                            "x-forwarded-host"})
    return extra


def _app(database: Database, project_id: int, options: ServerOptions,
         limits: WebLimits | None):
    return create_app(database, project_id, limits=limits, behind_https=options.behind_https,
                      allowed_hosts=options.allowed_hosts)


def serve(database: Database, project_id: int, options: ServerOptions,
          limits: WebLimits | None = None) -> None:
    """Serve until interrupted."""
    app = _app(database, project_id, options, limits)
    waitress_serve(app, host=options.host, port=options.port, **_adjustments(options))


class BackgroundServer:
    """The web server on a free loopback port, on its own thread; ``stop()`` ends it. It runs
    with the same waitress settings as ``serve`` (``options``; its host and port are ignored)."""

    def __init__(self, database: Database, project_id: int, *,
                 limits: WebLimits | None = None, threads: int = 8,
                 options: ServerOptions | None = None) -> None:
        options = dataclasses.replace(options or ServerOptions(threads=threads),
                                      host="127.0.0.1", port=0)
        app = _app(database, project_id, options, limits)
        self._server = create_server(app, host="127.0.0.1", port=0, **_adjustments(options))
        self.port = self._server.effective_port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.run, name="cati-web", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        # Finish the requests being served before the sockets close (else a worker writes to a
        # closed trigger).
        self._server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        # The listener, open keep-alive channels and the trigger are closed on the loop's own
        # thread (closed from here, a select() running there fails on a closed descriptor);
        # with nothing left to watch, the loop ends.
        self._server.trigger.pull_trigger(lambda: close_all(self._server._map))
        self._thread.join(timeout=10)
        if self._thread.is_alive():
            close_all(self._server._map)
            self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

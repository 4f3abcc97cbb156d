"""Running the web application under waitress: in the foreground (``cati web serve``) or on a
background thread (tests, the benchmark).

waitress is a pure-Python production WSGI server with a thread pool: it needs no compiler, runs
on Windows and Linux alike, and its synchronous threads fit the synchronous SQLAlchemy services
(each request one short unit of work). Behind a reverse proxy give ``trusted_proxy`` so the rate
limits see the respondent's address from X-Forwarded-For instead of the proxy's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from waitress import serve as waitress_serve
from waitress.server import create_server
from waitress.wasyncore import close_all

from cati.storage.db import Database
from cati.web.app import create_app
from cati.web.limits import WebLimits


@dataclass(frozen=True, slots=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 8
    trusted_proxy: str | None = None
    secure_cookies: bool = False


def _adjustments(options: ServerOptions) -> dict:
    extra: dict = {"threads": options.threads, "ident": "cati"}
    if options.trusted_proxy:
        extra.update(trusted_proxy=options.trusted_proxy,
                     trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"})
    return extra


def serve(database: Database, project_id: int, options: ServerOptions,
          limits: WebLimits | None = None) -> None:
    """Serve until interrupted."""
    app = create_app(database, project_id, limits=limits, secure_cookies=options.secure_cookies)
    waitress_serve(app, host=options.host, port=options.port, **_adjustments(options))


class BackgroundServer:
    """The web server on a free loopback port, on its own thread; ``stop()`` ends it."""

    def __init__(self, database: Database, project_id: int, *,
                 limits: WebLimits | None = None, threads: int = 8) -> None:
        app = create_app(database, project_id, limits=limits)
        self._server = create_server(app, host="127.0.0.1", port=0, threads=threads,
                                     ident="cati")
        self.port = self._server.effective_port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.run, name="cati-web", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        # Finish the requests being served before the sockets close (else a worker writes to a
        # closed trigger).
        self._server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        close_all(self._server._map)  # the listener, open keep-alive channels, the trigger
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

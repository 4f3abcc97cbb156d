"""A PostgreSQL server of a test's own, which the test can stop and start again.

The suite's shared server (scripts/test) must stay up for every other test; a test of what
happens when the database goes away starts this one instead: ``initdb`` into a temporary
directory, loopback only on a free port, trust authentication. Commits are synchronous (an
immediate shutdown loses no committed transaction, as on a real server); fsync is off (the
operating system keeps what was written, since only the server process stops). As root the server
runs as the ``postgres`` system user (or ``cati-test``), as in scripts/pg_tmp.sh. The port stays
the same across restarts, so clients reconnect to the same URL.

    with PgServer() as server:
        url = server.url          # postgresql+psycopg://USER@127.0.0.1:PORT/cati
        server.stop()             # immediate shutdown: connections die as on a crash
        server.start()

A test of the server's own configuration adds lines to postgresql.conf (``conf``), replaces
pg_hba.conf (``hba``) and puts files into the data directory (``files``: name -> content,
owned by the server's user, mode 0600, as a private key must be), e.g. TLS:

    PgServer(conf="ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'",
             files={"server.crt": crt, "server.key": key},
             hba="local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256")

The server's own administration (``createdb``, ``execute``) goes over the Unix socket, which
the replaced pg_hba.conf must let the server's user in on (a ``local`` line); ``admin_conninfo``
is that connection for psycopg.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

_CONF = """
listen_addresses = '127.0.0.1'
unix_socket_directories = '{socket_dir}'
max_connections = 200
shared_buffers = 32MB
fsync = off
full_page_writes = off
autovacuum = off
jit = off
log_min_messages = warning
"""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb) found; install postgresql")
    return Path(initdb).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "cati-test"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                    "/nonexistent", "--shell", "/usr/sbin/nologin", "cati-test"], check=True)
    return "cati-test"


class PgServer:
    def __init__(self, database: str = "cati", *, conf: str = "", hba: str | None = None,
                 files: Mapping[str, bytes | str] | None = None) -> None:
        self.bin = _bin_dir()
        self.runas = _run_as()
        self.user = self.runas or pwd.getpwuid(os.getuid()).pw_name
        self.database = database
        self.dir = Path(tempfile.mkdtemp(prefix="cati-pg-own.", dir="/tmp"))
        if self.runas:
            shutil.chown(self.dir, self.runas, self.runas)
        self.data = self.dir / "data"
        self.port = _free_port()
        self._process: subprocess.Popen | None = None
        self._as(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
                 "-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as out:
            out.write(_CONF.format(socket_dir=self.dir))
            if conf:
                out.write("\n# The test's own settings.\n" + conf.strip() + "\n")
        if hba is not None:
            self._write_private("pg_hba.conf", hba.strip() + "\n")
        for name, content in (files or {}).items():
            self._write_private(name, content)

    def _write_private(self, name: str, content: bytes | str) -> None:
        """A file in the data directory that only the server's user may read (0600)."""
        path = self.data / name
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content.encode() if isinstance(content, str) else content)
        if self.runas:
            shutil.chown(path, self.runas, self.runas)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def admin_conninfo(self) -> str:
        """A libpq connection string for the server's own user over the Unix socket."""
        return f"host={self.dir} port={self.port} user={self.user} dbname={self.database}"

    def execute(self, *statements: str) -> None:
        """Run statements as the server's own user (autocommit: CREATE ROLE, ALTER SYSTEM …)."""
        import psycopg

        with psycopg.connect(self.admin_conninfo, autocommit=True, connect_timeout=10) as conn:
            for statement in statements:
                conn.execute(statement)

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.runas, "--", *args] if self.runas else list(args)

    def _as(self, *args: str) -> None:
        subprocess.run(self._command(*args), check=True, cwd="/", stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def _ready(self) -> bool:
        probe = subprocess.run([str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p",
                                str(self.port), "-U", self.user, "-d", "postgres", "-t", "1"],
                               check=False)
        return probe.returncode == 0

    def start(self) -> None:
        if self.running:
            return
        log = open(self.dir / "server.log", "ab")  # noqa: SIM115 (kept by the child)
        self._process = subprocess.Popen(
            self._command(str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port)),
            cwd="/", stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 30
        while not self._ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the PostgreSQL server did not start:\n"
                                   + (self.dir / "server.log").read_text(errors="replace")[-2000:])
            time.sleep(0.1)
        if not getattr(self, "_created", False):
            self._as(str(self.bin / "createdb"), "-h", str(self.dir), "-p", str(self.port), "-U",
                     self.user, self.database)
            self._created = True

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """An immediate shutdown: every connection is cut, as when the server crashes."""
        if self._process is None:
            return
        subprocess.run(self._command(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                                     "immediate", "-w", "-t", "30", "-s", "stop"),
                       check=False, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PgServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

"""Encryption in transit: cati on a PostgreSQL server that takes TLS connections only.

The test makes what a centre makes (README, "Encrypting the connection to PostgreSQL"): a CA
and a server certificate for ``localhost`` and ``127.0.0.1`` with the ``openssl`` command, a
server of its own (tests/pg_server.py) with ``ssl = on``, the key readable by the server's user
only, and a pg_hba.conf whose only TCP line is ``hostssl … scram-sha-256`` for a login role with
a password. The workstation's URL carries ``sslmode=verify-full&sslrootcert=CA`` and no
password: libpq reads that from a password file (PGPASSFILE, mode 0600).

Then: cati migrates and works over the connection, which the server reports as encrypted; a
server whose certificate another CA signed, or that does not carry the name connected to, is
refused with one line naming the database; a connection without TLS is refused by the server.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from pg_server import PgServer
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cati.storage.db import Database

pytestmark = [pytest.mark.postgres,  # PostgreSQL's server binaries, a server of its own
              pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")]

ROLE = "cati_app"
# libpq's environment that would change what is tested (a password, another TLS mode or CA).
_LIBPQ_ENV = ("PGPASSWORD", "PGPASSFILE", "PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY",
              "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE")


def _openssl(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["openssl", *map(str, args)], cwd=cwd, check=True, capture_output=True,
                   timeout=60)


def make_ca(folder: Path, name: str) -> Path:
    """A self-signed CA (``NAME.crt``, ``NAME.key``) in ``folder``: the README's command."""
    _openssl("req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-keyout", f"{name}.key", "-out", f"{name}.crt",
             "-days", "2", "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    return folder / f"{name}.crt"


def make_server_cert(folder: Path, ca: str, names: str) -> tuple[bytes, bytes]:
    """A server key and certificate signed by ``ca`` for ``names`` (a subjectAltName value):
    the README's commands. Returns (certificate, key) as PEM."""
    (folder / "server.ext").write_text(f"subjectAltName = {names}\n"
                                       "basicConstraints = critical, CA:FALSE\n"
                                       "extendedKeyUsage = serverAuth\n")
    _openssl("req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=folder)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "2", "-out", "server.crt", "-extfile", "server.ext",
             cwd=folder)
    return (folder / "server.crt").read_bytes(), (folder / "server.key").read_bytes()


@dataclass
class TlsServer:
    server: PgServer
    ca: Path          # the CA that signed the server's certificate
    other_ca: Path    # a CA that did not
    password: str
    pgpass: Path      # PGPASSFILE with the role's password (0600)

    def url(self, host: str = "127.0.0.1", *, ca: Path | None = None, **params: str) -> str:
        """The workstation's URL: no password; verify-full against ``ca`` unless overridden."""
        query = {"sslmode": "verify-full", "sslrootcert": str(ca or self.ca), **params}
        rendered = "&".join(f"{key}={value}" for key, value in query.items())
        return f"postgresql://{ROLE}@{host}:{self.server.port}/cati?{rendered}"

    def label(self, host: str = "127.0.0.1") -> str:
        return f"{ROLE}@{host}:{self.server.port}/cati"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("tls")
    ca = make_ca(folder, "centre-ca")
    other_ca = make_ca(folder, "other-ca")
    certificate, key = make_server_cert(folder, "centre-ca", "DNS:localhost, IP:127.0.0.1")
    conf = ("ssl = on\n"
            "ssl_cert_file = 'server.crt'\n"
            "ssl_key_file = 'server.key'\n"
            "ssl_min_protocol_version = 'TLSv1.2'\n"
            "password_encryption = scram-sha-256\n")
    # The server's user administers over the Unix socket; over TCP only TLS with a password.
    hba = ("local all all trust\n"
           f"hostssl all {ROLE} 127.0.0.1/32 scram-sha-256\n")
    password = secrets.token_urlsafe(18)
    with PgServer(conf=conf, hba=hba,
                  files={"server.crt": certificate, "server.key": key}) as server:
        server.execute(f"CREATE ROLE {ROLE} LOGIN CREATEROLE PASSWORD '{password}'",
                       f"ALTER DATABASE cati OWNER TO {ROLE}")
        pgpass = folder / "pgpass"
        fd = os.open(pgpass, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            for host in ("127.0.0.1", "localhost"):
                out.write(f"{host}:{server.port}:cati:{ROLE}:{password}\n")
        yield TlsServer(server, ca, other_ca, password, pgpass)


@pytest.fixture
def libpq_env(tls: TlsServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """libpq's environment for this process and for the ``cati`` it runs: only PGPASSFILE."""
    for name in _LIBPQ_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tls.pgpass))
    return {"PGPASSFILE": str(tls.pgpass)}


def _one_line_error(result: subprocess.CompletedProcess[str], tls: TlsServer,
                    label: str) -> str:
    """The command failed with exactly one line naming the database, and no password."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert tls.password not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"cati: cannot open the database {label}: "), lines[0]
    return lines[0]


def test_the_server_is_set_up_as_a_centre_would(tls: TlsServer):
    import stat

    key = tls.server.data / "server.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.stat().st_uid == os.stat(tls.server.data).st_uid  # the server's user
    assert stat.S_IMODE(tls.pgpass.stat().st_mode) == 0o600
    with psycopg.connect(tls.server.admin_conninfo) as conn:
        assert conn.execute("SHOW ssl").fetchone() == ("on",)
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s",
                              (ROLE,)).fetchone()
    assert stored[0].startswith("SCRAM-SHA-256$")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_cati_works_over_verified_tls(tls: TlsServer, libpq_env, host: str):
    from cati.services.users import add_user, list_users

    url = tls.url(host)
    assert ":" not in url.split("//", 1)[1].split("@", 1)[0]  # no password in the URL
    database = Database(url)
    try:
        database.upgrade()
        with database.unit() as session:
            if not any(user.username == "tls-admin" for user in list_users(session)):
                add_user(session, "tls-admin", "a long enough password", "admin")
        with database.unit(immediate=False) as session:
            assert "tls-admin" in [user.username for user in list_users(session)]
            ssl, version, user = session.execute(text(
                "SELECT s.ssl, s.version, current_user FROM pg_stat_ssl s "
                "WHERE s.pid = pg_backend_pid()")).one()
    finally:
        database.dispose()
    assert ssl is True
    assert version in ("TLSv1.2", "TLSv1.3")
    assert user == ROLE


def test_the_command_line_works_over_verified_tls(tls: TlsServer, libpq_env, run_cli):
    result = run_cli("--db", tls.url(), "project", "list", env=libpq_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_password_comes_from_the_password_file(tls: TlsServer, libpq_env, run_cli,
                                                   tmp_path: Path):
    """Without the password file the server asks for a password nobody gives: scram is
    required, the server does not trust the role."""
    empty = tmp_path / "no-pgpass"
    empty.write_text("")
    empty.chmod(0o600)
    result = run_cli("--db", tls.url(), "project", "list", env={"PGPASSFILE": str(empty)})
    line = _one_line_error(result, tls, tls.label())
    assert "password" in line


def test_a_certificate_from_another_ca_is_refused(tls: TlsServer, libpq_env, run_cli):
    url = tls.url(ca=tls.other_ca)
    with pytest.raises(OperationalError, match="certificate verify failed"):
        Database(url).upgrade()
    result = run_cli("--db", url, "project", "list", env=libpq_env)
    line = _one_line_error(result, tls, tls.label())
    assert "certificate verify failed" in line


def test_a_host_name_not_in_the_certificate_is_refused(tls: TlsServer, libpq_env, run_cli):
    """The workstation asks for db.elsewhere.invalid (reached at 127.0.0.1 through libpq's
    hostaddr, so no name service is involved): the certificate names localhost and 127.0.0.1
    only, so verify-full refuses it although the right CA signed it."""
    url = tls.url("db.elsewhere.invalid", hostaddr="127.0.0.1")
    with pytest.raises(OperationalError, match="does not match host name"):
        Database(url).upgrade()
    result = run_cli("--db", url, "project", "list", env=libpq_env)
    line = _one_line_error(result, tls, tls.label("db.elsewhere.invalid"))
    assert 'does not match host name "db.elsewhere.invalid"' in line


def test_a_connection_without_tls_is_refused_by_the_server(tls: TlsServer, libpq_env, run_cli):
    plain = (f"host=127.0.0.1 port={tls.server.port} dbname=cati user={ROLE} "
             f"password={tls.password} sslmode=disable connect_timeout=5")
    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect(plain).close()
    assert "no pg_hba.conf entry" in str(refused.value)
    assert "no encryption" in str(refused.value)

    url = tls.url(sslmode="disable")
    with pytest.raises(OperationalError, match="no encryption"):
        Database(url).upgrade()
    result = run_cli("--db", url, "project", "list", env=libpq_env)
    line = _one_line_error(result, tls, tls.label())
    assert "no encryption" in line


@pytest.mark.parametrize("command", [["project", "list"], ["db", "current"], ["users", "list"],
                                     ["db", "upgrade"]])
def test_an_unreachable_server_is_one_line_for_every_command(run_cli, command):
    """Nothing listens on port 1: one line naming the database without its password."""
    url = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none?sslmode=verify-full"
    result = run_cli(*command, env={"CATI_DB_URL": url})  # not in argv: ps would show it
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("cati: cannot open the database nobody@127.0.0.1:1/none: ")
    assert "Connection refused" in result.stderr


def test_the_password_from_the_keyring_or_the_login_window_keeps_the_tls_parameters(
        tls: TlsServer, libpq_env, monkeypatch: pytest.MonkeyPatch):
    """The desktop app's way: the URL without a password is stored; the password (keyring or
    asked) is put into it for connecting, and verify-full stays in force."""
    from cati.credentials import url_for_settings, with_password

    monkeypatch.setenv("PGPASSFILE", str(tls.pgpass.with_name("none")))  # not there
    connect_with = with_password(tls.url(), tls.password)
    stored = make_url(url_for_settings(connect_with))
    assert stored.password is None and stored.query == make_url(tls.url()).query
    assert stored.query["sslmode"] == "verify-full"
    database = Database(connect_with)
    try:
        with database.unit(immediate=False) as session:
            assert session.execute(text(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).scalar_one() is True
    finally:
        database.dispose()
    other = Database(with_password(tls.url(ca=tls.other_ca), tls.password))
    with pytest.raises(OperationalError, match="certificate verify failed"), \
            other.unit(immediate=False) as session:
        session.execute(text("SELECT 1"))
    other.dispose()

"""Shared test fixtures.

Session-wide: Qt runs offscreen (unless QT_QPA_PLATFORM is already set), CATI_DATA_DIR points
at a temporary directory removed at the end, and CATI_DB_URL from the caller's environment is
dropped, so no test touches the user's real data.

Fixtures:
    pg_url      (session)  URL of the `cati_test` database on the server scripts/test starts
                           (CATI_TEST_PG_URL); fails, never skips, when it is not reachable.
    db_url      (function) a fresh, empty database; parametrized `sqlite` and `postgres`
                           (the latter marked `postgres`, dropped after the test).
    sqlite_url  (function) a fresh SQLite database file under tmp_path.
    run_cli     (function) run_cli(*args, input=None, env=None, cwd=None, timeout=120) runs
                           `python -m cati ARGS` and returns the CompletedProcess (text, captured).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

CLI_TIMEOUT = 120

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("CATI_DB_URL", None)
_SESSION_DATA_DIR = tempfile.mkdtemp(prefix="cati-test-data-")
os.environ["CATI_DATA_DIR"] = _SESSION_DATA_DIR
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SESSION_DATA_DIR, "config")  # QSettings


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_DATA_DIR, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use pg_url directly need the server too: mark them `postgres`."""
    for item in items:
        uses_pg_url = "pg_url" in getattr(item, "fixturenames", ())
        if uses_pg_url and item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.postgres)


def _libpq_url(sqlalchemy_url: str) -> str:
    """The SQLAlchemy URL (postgresql+psycopg://...) as a libpq connection URL."""
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def _database_url(sqlalchemy_url: str, database: str) -> str:
    return make_url(sqlalchemy_url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The PostgreSQL URL from CATI_TEST_PG_URL, checked to be reachable."""
    url = os.environ.get("CATI_TEST_PG_URL")
    if not url:
        pytest.fail(
            "CATI_TEST_PG_URL is not set: run the tests with scripts/test, which starts a "
            "throw-away PostgreSQL server (or deselect these tests with -m 'not postgres')",
            pytrace=False,
        )
    try:
        with psycopg.connect(_libpq_url(url), connect_timeout=3):
            pass
    except psycopg.Error as exc:
        pytest.fail(
            f"cannot reach the PostgreSQL server at {url} ({exc}); run the tests with "
            "scripts/test, which starts one",
            pytrace=False,
        )
    return url


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cati.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database (the file does not exist until something connects)."""
    return _sqlite_url(tmp_path)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for each test: SQLite under tmp_path, or a new PostgreSQL one."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
        return

    server_url = request.getfixturevalue("pg_url")
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(_libpq_url(server_url), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _database_url(server_url, name)
    finally:
        with psycopg.connect(_libpq_url(server_url), autocommit=True, connect_timeout=10) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            drop_cati_logins(conn, name)


def drop_cati_logins(conn: psycopg.Connection, database: str) -> None:
    """Drop the people's logins made for ``database`` (PostgreSQL roles are server-wide; cati
    comments each with ``cati:DATABASE:OID``), so the next test can add the same names."""
    names = [row[0] for row in conn.execute(
        "SELECT rolname FROM pg_roles WHERE shobj_description(oid, 'pg_authid') LIKE %s",
        (f"cati:{database}:%",))]
    for role in names:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_cli() -> RunCli:
    """Run the `cati` command line in a subprocess.

    The child gets the current environment (so CATI_DATA_DIR, also when a test changed it with
    monkeypatch), plus `env` overrides; stdin is `input`, or empty when it is None.
    """

    def run(
        *args: str | os.PathLike[str],
        input: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float = CLI_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        child_env = dict(os.environ)
        child_env["CATI_DATA_DIR"] = os.environ.get("CATI_DATA_DIR", _SESSION_DATA_DIR)
        child_env.setdefault("QT_QPA_PLATFORM", "offscreen")
        if env:
            child_env.update(env)
        return subprocess.run(
            [sys.executable, "-m", "cati", *(os.fspath(a) for a in args)],
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            capture_output=True,
            text=True,
            env=child_env,
            cwd=cwd,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def _migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Migrated stores to copy from, made once per run (migrating each test's store costs
    0.2-0.4 s, a copy a few milliseconds): ``sqlite`` a file, ``postgres`` a template database
    (made on first use, dropped at the end of the run)."""
    return {}


def _sqlite_template(templates: dict[str, str], tmp_path_factory) -> Path:
    from cati.storage.db import Database

    if "sqlite" not in templates:
        path = tmp_path_factory.mktemp("template") / "cati.db"
        template = Database(_sqlite_url(path.parent))
        template.upgrade()
        with template.engine.connect() as connection:  # everything in the main file
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        template.dispose()
        templates["sqlite"] = str(path)
    return Path(templates["sqlite"])


def _postgres_template(templates: dict[str, str], server_url: str) -> str:
    from cati.storage.db import Database

    if "postgres" not in templates:
        name = f"tpl_{uuid.uuid4().hex}"
        with psycopg.connect(_libpq_url(server_url), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        template = Database(_database_url(server_url, name))
        template.upgrade()
        template.dispose()
        templates["postgres"] = name
    return templates["postgres"]


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_template(_migrated_templates: dict[str, str]) -> Iterator[None]:
    yield
    name = _migrated_templates.get("postgres")
    url = os.environ.get("CATI_TEST_PG_URL")
    if name and url:
        with psycopg.connect(_libpq_url(url), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


@pytest.fixture
def database(db_url: str, _migrated_templates: dict[str, str], request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory):
    """A cati Database on ``db_url`` (SQLite and PostgreSQL), at the newest schema: a copy of
    a store migrated once per run (the same as migrating this one; ``upgrade`` then does
    nothing)."""
    from cati.storage.db import Database

    backend = make_url(db_url).get_backend_name()
    if backend == "sqlite":
        template = _sqlite_template(_migrated_templates, tmp_path_factory)
        target = Path(make_url(db_url).database)
        shutil.copyfile(template, target)
        target.chmod(0o600)
    else:
        server_url = request.getfixturevalue("pg_url")
        template = _postgres_template(_migrated_templates, server_url)
        name = make_url(db_url).database
        with psycopg.connect(_libpq_url(server_url), autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)))
            # database-level privileges are not copied from a template (cati.storage.pg_security)
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(
                sql.Identifier(name)))
    database = Database(db_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def one_case_project(database) -> int:
    """The id of a project on the shipped questionnaire with one fresh case (Beijing time)."""
    from sqlalchemy import insert

    from cati.config import QUESTIONNAIRE_DIR
    from cati.services.projects import create_project
    from cati.storage.models import Case

    with database.unit() as session:
        project = create_project(session, "ONE", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        session.execute(insert(Case), [{"project_id": project.id, "phone_e164": "+8613800000001",
                                        "state": "fresh", "attempts": 0, "priority": 0,
                                        "stratum": "", "attributes": {},
                                        "time_zone": "Asia/Shanghai"}])
    return project.id

"""The test harness itself: the databases the fixtures hand out, the session environment, the
CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url


def test_pg_url_reaches_postgresql(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert "PostgreSQL" in conn.execute(text("SELECT version()")).scalar_one()
            assert conn.execute(text("SELECT current_database()")).scalar_one() == "cati_test"
            max_connections = conn.execute(text("SHOW max_connections")).scalar_one()
            assert int(max_connections) >= 200
    finally:
        engine.dispose()


@pytest.mark.parametrize("round_", [1, 2])
def test_db_url_is_fresh(db_url: str, round_: int) -> None:
    """Each test gets an empty database; round 2 proves round 1's table did not survive."""
    engine = create_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE leftover (id INTEGER PRIMARY KEY)"))
        assert inspect(engine).get_table_names() == ["leftover"]
    finally:
        engine.dispose()


def test_db_url_backend(db_url: str, request: pytest.FixtureRequest) -> None:
    backend = request.node.callspec.params["db_url"]
    url = make_url(db_url)
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            if backend == "postgres":
                assert url.get_backend_name() == "postgresql"
                assert "PostgreSQL" in conn.execute(text("SELECT version()")).scalar_one()
                database = conn.execute(text("SELECT current_database()")).scalar_one()
                assert database == url.database
                assert database.startswith("t_")
            else:
                assert url.get_backend_name() == "sqlite"
                conn.execute(text("SELECT sqlite_version()")).scalar_one()
    finally:
        engine.dispose()
    if backend == "postgres":
        assert request.node.get_closest_marker("postgres") is not None


def test_sqlite_url_is_a_real_file(sqlite_url: str, tmp_path: Path) -> None:
    path = Path(make_url(sqlite_url).database or "")
    assert path.is_absolute()
    assert path.parent == tmp_path
    assert not path.exists()
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert path.is_file()


def test_session_environment() -> None:
    data_dir = Path(os.environ["CATI_DATA_DIR"])
    assert data_dir.is_dir()
    assert data_dir != Path(platformdirs.user_data_dir("cati"))
    assert os.environ["QT_QPA_PLATFORM"]
    assert "CATI_DB_URL" not in os.environ


def test_run_cli_uses_the_test_data_dir(run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CATI_DATA_DIR", str(tmp_path))
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()

    result = run_cli("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cati.db").is_file()

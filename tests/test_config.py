"""Which database the program opens: --db > CATI_DB_URL > the default file."""

from __future__ import annotations

from cati.config import default_db_url, resolve_db_url


def test_command_line_wins(monkeypatch):
    monkeypatch.setenv("CATI_DB_URL", "sqlite:///from-env.db")
    assert resolve_db_url("sqlite:///from-cli.db") == "sqlite:///from-cli.db"


def test_environment_next(monkeypatch):
    monkeypatch.setenv("CATI_DB_URL", "sqlite:///from-env.db")
    assert resolve_db_url(None) == "sqlite:///from-env.db"


def test_default_is_a_file_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("CATI_DB_URL", raising=False)
    monkeypatch.setenv("CATI_DATA_DIR", str(tmp_path / "data"))
    assert resolve_db_url(None) == default_db_url() == f"sqlite:///{tmp_path / 'data' / 'cati.db'}"
    assert (tmp_path / "data").is_dir()

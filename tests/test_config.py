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


def test_the_sqlite_store_and_the_journal_are_private_to_their_owner(tmp_path, monkeypatch):
    """One machine: the operating-system account is the guard, so the files that hold phone
    numbers and answers are 0600 and the data folder cati makes 0700."""
    import stat

    from cati.config import user_data_dir
    from cati.journal import Journal
    from cati.storage.db import Database

    monkeypatch.setenv("CATI_DATA_DIR", str(tmp_path / "fresh" / "cati"))
    folder = user_data_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    database = Database(f"sqlite:///{folder / 'cati.db'}")
    database.upgrade()
    database.dispose()
    journal = Journal(folder / "journal.db")
    journal.close()
    for name in ("cati.db", "journal.db"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name

"""Where things live: the database URL and the user data directory.

The database URL is chosen as: the ``--db`` option > the ``CATI_DB_URL`` environment variable >
an SQLite file ``cati.db`` in the user data directory. The data directory is
``CATI_DATA_DIR`` when set (tests and portable installs), else the platform's user data
directory (``~/.local/share/cati`` on Linux).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

APP_NAME = "cati"
REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
QUESTIONNAIRE_DIR = DATA_DIR / "questionnaires"


def user_data_dir() -> Path:
    """The per-user directory for the default database, journals and logs (created on demand)."""
    configured = os.environ.get("CATI_DATA_DIR")
    path = Path(configured) if configured else Path(platformdirs.user_data_dir(APP_NAME))
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)  # only its owner may look inside
    return path


def create_private_file(path: Path) -> None:
    """Create ``path`` (when missing) readable and writable by its owner only (0600), its
    folder, when this makes it, 0700: the SQLite store and the workstation's journal hold
    phone numbers and answers, and on one machine the operating-system account is the guard.
    SQLite gives its -wal and -shm files the same permissions as the database file."""
    if path.exists():
        return
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # made meanwhile by another process
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def default_db_url() -> str:
    return f"sqlite:///{user_data_dir() / 'cati.db'}"


def resolve_db_url(cli_value: str | None = None) -> str:
    """The database URL by precedence: command line, then CATI_DB_URL, then the default file."""
    if cli_value:
        return cli_value
    env_value = os.environ.get("CATI_DB_URL")
    if env_value:
        return env_value
    return default_db_url()

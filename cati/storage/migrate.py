"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

import warnings
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine) -> None:
    with warnings.catch_warnings():
        # SQLite batch migrations reflect tables; SQLAlchemy cannot reflect our expression
        # indexes (the queue's ix_cases_claim) and says so. Nothing is lost: the migration
        # does not rebuild that table. A user must not see it on every command.
        warnings.filterwarnings("ignore", message=".*expression-based index",
                                category=sa_exc.SAWarning)
        command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()

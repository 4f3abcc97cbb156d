"""The schema: migrations build exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from cati.storage.db import Database
from cati.storage.migrate import alembic_config, current_revision, head_revision
from cati.storage.models import Base, User

# Alembic cannot compare indexes on expressions; they are checked by name below.
EXPRESSION_INDEXES = {"ix_cases_claim", "ix_cases_fresh", "ix_cases_claim_stratum"}


def _index_name(difference) -> str | None:
    if isinstance(difference, tuple) and difference[0] in ("add_index", "remove_index"):
        return difference[1].name
    return None


@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning",
                            "ignore:.*expression-based index")
def test_upgraded_database_matches_the_models(db_url):
    database = Database(db_url)
    database.upgrade()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [d for d in compare_metadata(context, Base.metadata)
                       if _index_name(d) not in EXPRESSION_INDEXES]
        if database.is_sqlite:
            names = set(connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
        else:
            names = set(connection.execute(text("SELECT indexname FROM pg_indexes")).scalars())
    assert differences == []
    assert names >= EXPRESSION_INDEXES
    assert current_revision(database.engine) == head_revision()
    tables = set(inspect(database.engine).get_table_names())
    assert {"cases", "answers", "answer_events", "interviews", "call_attempts"} <= tables
    database.dispose()


def test_revision_chain_is_linear():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        assert not isinstance(revision.down_revision, tuple | list), revision.revision


def test_upgrade_twice_changes_nothing(db_url):
    database = Database(db_url)
    database.upgrade()
    database.upgrade()
    assert current_revision(database.engine) == head_revision()
    database.dispose()


def test_unit_of_work_rolls_back_on_error(db_url):
    database = Database(db_url)
    database.upgrade()
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(RuntimeError), database.unit() as session:
        session.add(User(username="u1", role="admin", password_hash="x", created_at=now,
                         display_name="u1", active=True))
        session.flush()
        raise RuntimeError("boom")
    with database.unit() as session:
        assert session.scalar(select(User).where(User.username == "u1")) is None
    database.dispose()


def test_times_come_back_in_utc(db_url):
    database = Database(db_url)
    database.upgrade()
    beijing = dt.timezone(dt.timedelta(hours=8))
    created = dt.datetime(2026, 11, 23, 9, 30, tzinfo=beijing)
    with database.unit() as session:
        session.add(User(username="tz", role="admin", password_hash="x", created_at=created,
                         display_name="tz", active=True))
    with database.unit() as session:
        stored = session.scalar(select(User.created_at).where(User.username == "tz"))
    assert stored == created
    assert stored.utcoffset() == dt.timedelta(0)
    assert stored.hour == 1
    database.dispose()


def test_sqlite_pragmas(sqlite_url):
    database = Database(sqlite_url)
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    database.dispose()


def test_sqlite_immediate_unit_takes_the_write_lock(sqlite_url):
    first = Database(sqlite_url)
    first.upgrade()
    second = Database(sqlite_url)
    second.engine.dispose()
    import sqlite3

    path = sqlite_url.removeprefix("sqlite:///")
    with first.unit(immediate=True):
        probe = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()
    first.dispose()

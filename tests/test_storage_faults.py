"""A full disk or a read-only database: one clear error naming the database, nothing half-written.

The faults are real: SQLite's own page limit (``PRAGMA max_page_count``, which raises the same
SQLITE_FULL as a full disk) and its read-only open (``mode=ro``: as root, file permissions would
not stop the writer); PostgreSQL's read-only database (``default_transaction_read_only``) and the
disk-full SQLSTATE 53100 raised by the server itself, from a trigger, at the statement that
would have written. Each runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from cati.calling.queue import claim_next_case
from cati.errors import StorageFull, StorageReadOnly
from cati.services.interviews import load_interview, open_interview, save_answers
from cati.services.sample_import import import_sample
from cati.storage.db import Database, database_label
from cati.storage.models import AnswerEvent, AuditEntry, Case, SampleBatch, User

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_full(database: Database, table: str) -> None:
    """From now on, writing to ``table`` finds the store full.

    SQLite: every new connection may not grow the file by a single page. PostgreSQL: the server
    raises disk_full (53100) on any insert or update of the table."""
    if database.is_sqlite:
        with database.engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()

        @event.listens_for(database.engine, "connect")
        def _no_more_pages(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

        database.engine.dispose()
        return
    with psycopg.connect(_libpq(database.url), autocommit=True) as connection:
        connection.execute(
            "CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'could not extend file: No space left on device' "
            "USING ERRCODE = 'disk_full'; END $$")
        connection.execute(sql.SQL("CREATE TRIGGER disk_is_full BEFORE INSERT OR UPDATE ON {} "
                                   "FOR EACH ROW EXECUTE FUNCTION disk_is_full()")
                           .format(sql.Identifier(table)))


def read_only_url(database: Database) -> str:
    """The same store, taking no writes: SQLite opened ``mode=ro``; PostgreSQL with every new
    transaction read-only."""
    if database.is_sqlite:
        path = make_url(database.url).database
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    name = make_url(database.url).database
    with psycopg.connect(_libpq(database.url), autocommit=True) as connection:
        connection.execute(sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on")
                           .format(sql.Identifier(name)))
    return database.url


def _phones(count: int, seed: int) -> list[str]:
    draw = random.Random(seed)
    return sorted({f"139{draw.randrange(10**8):08d}" for _ in range(count)})


def _csv(path, phones: list[str]):
    path.write_text("电话,乡镇\n" + "".join(f"{p},城关镇\n" for p in phones), encoding="utf-8")
    return path


def _counts(database: Database) -> tuple[int, int]:
    with database.unit(immediate=False) as session:
        return (session.scalar(select(func.count()).select_from(Case)),
                session.scalar(select(func.count()).select_from(SampleBatch)))


def test_an_import_into_a_full_store_fails_whole(database, one_case_project, tmp_path):
    import_sample(database, "ONE", _csv(tmp_path / "first.csv", _phones(200, 1)))
    before = _counts(database)
    make_full(database, "cases")
    with pytest.raises(StorageFull) as raised:
        import_sample(database, "ONE", _csv(tmp_path / "second.csv", _phones(3000, 2)))
    message = str(raised.value)
    assert database_label(database.url) in message and "full" in message
    assert "\n" not in message
    assert _counts(database) == before


def _interview_with_answers(database: Database, project_id: int):
    claimed = claim_next_case(database, project_id, "ws1", now=NOW)
    interview = open_interview(database, project_id, case_id=claimed.case_id, workstation="ws1",
                               now=NOW)
    save_answers(database, interview.id, {"age": "40", "residence": "1"},
                 current_item="occupation", workstation="ws1", now=NOW)
    return interview


def _events(database: Database, interview_id: int) -> list[tuple]:
    with database.unit(immediate=False) as session:
        return session.execute(select(AnswerEvent.question, AnswerEvent.new_value)
                               .where(AnswerEvent.interview_id == interview_id)
                               .order_by(AnswerEvent.id)).all()


def test_a_save_that_finds_the_store_full_leaves_the_interview_as_it_was(database,
                                                                         one_case_project):
    interview = _interview_with_answers(database, one_case_project)
    before, events = load_interview(database, interview.id), _events(database, interview.id)
    make_full(database, "answer_events")
    # One change fits in place; the long open answer needs new pages: the whole save fails.
    changes = {"age": "41", "suggestion": "路灯坏了 " * 20_000}
    with pytest.raises(StorageFull, match="full"):
        save_answers(database, interview.id, changes, current_item="suggestion",
                     workstation="ws1", now=NOW)
    assert load_interview(database, interview.id) == before
    assert _events(database, interview.id) == events
    assert before.answers == {"age": "40", "residence": "1"}


def test_a_read_only_store_reads_and_refuses_writes_whole(database, one_case_project):
    interview = _interview_with_answers(database, one_case_project)
    before = load_interview(database, interview.id)
    read_only = Database(read_only_url(database))
    try:
        read_only.upgrade()  # at the newest schema: opening writes nothing
        assert load_interview(read_only, interview.id) == before
        with pytest.raises(StorageReadOnly) as raised:
            save_answers(read_only, interview.id, {"age": "41", "occupation": "2"},
                         current_item="done", workstation="ws1", now=NOW)
        assert database_label(database.url) in str(raised.value)
        assert "read-only" in str(raised.value)
    finally:
        read_only.dispose()
    assert load_interview(database, interview.id) == before


def test_cli_on_a_read_only_store_prints_one_line(database, run_cli):
    url = read_only_url(database)
    result = run_cli("--db", url, "users", "add", "newcomer", "--role", "admin",
                     "--password-stdin", input="a long enough password\n")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0], result.stderr
    assert database_label(database.url) in lines[0]
    with database.unit(immediate=False) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.postgres
def test_cli_import_into_a_full_server_prints_one_line(pg_url, run_cli, tmp_path):
    name = f"t_full_{random.randrange(10**9)}"
    with psycopg.connect(_libpq(pg_url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    try:
        database.upgrade()
        from cati.config import QUESTIONNAIRE_DIR
        from cati.services.projects import create_project

        with database.unit() as session:
            create_project(session, "FULL", QUESTIONNAIRE_DIR / "public_safety.xlsx")
        make_full(database, "sample_batches")
        result = run_cli("--db", url, "sample", "import", _csv(tmp_path / "l.csv", _phones(50, 3)),
                         "--project", "FULL")
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "full" in lines[0] and name in lines[0], result.stderr
        assert _counts(database) == (0, 0)
    finally:
        database.dispose()
        with psycopg.connect(_libpq(pg_url), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                               .format(sql.Identifier(name)))

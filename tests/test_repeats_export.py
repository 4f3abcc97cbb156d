"""Repeats exported as long tables keyed to the interview (SQLite and PostgreSQL): a CSV file
and a .sav file beside the main one, an .xlsx sheet; read back. Two field interviews on the
household roster: one of three adults, and one that listed three and then lowered the count to
two (the dropped adult's stored answers are not exported)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import textwrap

import pyreadstat
import pytest
from openpyxl import load_workbook
from repeat_forms import ADULTS, ROSTER
from sqlalchemy import select

from cati.errors import NotFound
from cati.questionnaire.engine import InterviewEngine
from cati.reporting.export import export_data
from cati.services.interviews import (
    close_interview,
    correct_answer,
    open_interview,
    save_answers,
)
from cati.services.projects import create_project
from cati.services.questionnaires import form_of
from cati.services.users import add_user
from cati.storage.models import AuditEntry

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def _interview(database, project_id: int, steps: list) -> int:
    """A field interview driven through the engine, saved after every answer; a step is an
    answer, or ("jump", key) to go back and ("return", value) to change it and go on."""
    interview = open_interview(database, project_id, mode="field", now=NOW)
    with database.unit() as session:
        form = form_of(session, interview.questionnaire_id)
    engine = InterviewEngine.start(form, seed=interview.seed, clock=lambda: NOW)
    for step in steps:
        if isinstance(step, tuple) and step[0] == "jump":
            assert engine.jump(step[1])
            continue
        if isinstance(step, tuple):
            assert engine.answer_and_return(step[1]) is None
        else:
            assert engine.answer(step) is None, engine.current_key
        save_answers(database, interview.id, engine.take_changes(),
                     current_item=engine.current_key, now=NOW)
    assert engine.outcome.state == "complete"
    close_interview(database, interview.id, "1.1", now=NOW)
    return interview.id


@pytest.fixture
def exported(database, tmp_path):
    path = tmp_path / "roster.md"
    path.write_text(textwrap.dedent(ROSTER), encoding="utf-8")
    with database.unit() as session:
        project = create_project(session, "ROSTER", path)
    roster = [value for adult in ADULTS for value in adult]
    first = _interview(database, project.id, ["1007", "3", *roster, None, "1"])
    second = _interview(database, project.id, ["2002", "3", *roster, ("jump", "n_adults"),
                                               ("return", "2"), None, "2"])
    return first, second


def _csv(path):
    raw = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(raw, newline="")))


def test_csv_writes_a_long_table_per_repeat_beside_the_main_file(database, exported,
                                                                 tmp_path, run_cli, db_url):
    first, second = exported
    out = tmp_path / "roster.csv"
    result = run_cli("--db", db_url, "export", "--project", "ROSTER", "--out", out)
    assert result.returncode == 0, result.stderr
    assert f"repeat adults: 5 rows in {tmp_path / 'roster-adults.csv'}" in result.stdout
    main = _csv(out)
    assert [row["interview_id"] for row in main] == [str(first), str(second)]
    assert "name" not in main[0] and main[0]["birthday_name"] == "李强"
    assert main[1]["adult_count"] == "2" and main[1]["kish_name"] == "王芳"
    adults = _csv(tmp_path / "roster-adults.csv")
    assert list(adults[0]) == ["interview_id", "instance", "name", "position", "sex", "age",
                               "bmonth", "rank"]
    assert [(row["interview_id"], row["instance"], row["name"]) for row in adults] == [
        (str(first), "1", "王芳"), (str(first), "2", "李强"), (str(first), "3", "张伟"),
        (str(second), "1", "王芳"), (str(second), "2", "李强")]
    assert adults[1]["age"] == "50" and adults[1]["rank"] == "102"


def test_xlsx_has_a_sheet_per_repeat(database, exported, tmp_path):
    first, _ = exported
    result = export_data(database, "ROSTER", tmp_path / "roster.xlsx")
    assert result.repeats == (("adults", "adults", 5),)
    book = load_workbook(tmp_path / "roster.xlsx", read_only=True)
    assert book.sheetnames == ["data", "adults", "columns"]
    rows = list(book["adults"].iter_rows(values_only=True))
    assert rows[0][:4] == ("interview_id", "instance", "name", "position")
    assert rows[3][:6] == (first, 3, "张伟", 3, "1", 22)
    sources = [row[1] for row in book["columns"].iter_rows(values_only=True)]
    assert "adults/bmonth" in sources
    assert not (tmp_path / "roster-adults.xlsx").exists()


def test_sav_writes_a_file_per_repeat_with_labels(database, exported, tmp_path):
    export_data(database, "ROSTER", tmp_path / "roster.sav")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "roster-adults.sav"))
    assert len(frame) == 5
    assert list(frame["name"]) == ["王芳", "李强", "张伟", "王芳", "李强"]
    assert meta.variable_value_labels["sex"] == {1.0: "男", 2.0: "女"}
    assert meta.column_names_to_labels["age"] == "${name}的年龄？"
    assert list(frame["instance"]) == [1.0, 2.0, 3.0, 1.0, 2.0]
    main, _ = pyreadstat.read_sav(str(tmp_path / "roster.sav"))
    assert len(main) == 2 and "name" not in main.columns


def test_a_supervisor_corrects_one_instance_and_the_export_shows_it(database, exported,
                                                                    tmp_path):
    first, _ = exported
    with database.unit() as session:
        supervisor = add_user(session, "sup", "pass-Q9-s-001", "supervisor").id
    correction = correct_answer(database, first, "adults[3]/age", "23", user_id=supervisor,
                                reason="年龄记错")
    assert (correction.old_value, correction.new_value) == ("22", "23")
    with pytest.raises(NotFound, match="no question 'adults\\[3\\]/hh_id'"):
        correct_answer(database, first, "adults[3]/hh_id", "1", user_id=supervisor)
    with database.unit() as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "answer_corrected")).one()
        assert entry.details["question"] == "adults[3]/age"
    export_data(database, "ROSTER", tmp_path / "fixed.csv")
    adults = _csv(tmp_path / "fixed-adults.csv")
    assert adults[2]["age"] == "23"

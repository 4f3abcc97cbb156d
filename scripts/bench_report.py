#!/usr/bin/env python3
"""Benchmark the township indices and the monthly report on --interviews completed interviews.
Prints one JSON line.

Builds, in bulk SQL (INSERT … SELECT from generate_series on PostgreSQL, a recursive CTE on
SQLite; no Python loop over rows), a project on the shipped questionnaire with --interviews
completed cases over the 19 townships, 40% more numbers with other outcomes (refusals, no
answer, empty numbers, screen-outs, partials with their open interviews) and the answers of
every complete: the 16 closed questions (answers drawn by a hash, leaning to 满意), the
township, the multiple choice, the age and the suggestion — about 20 answers per interview.

Then times, per backend:
- ``grouped_sql_s``: the floor, the two grouped queries the indices need, sent as plain SQL with
  every row fetched (median of --runs);
- ``indices_cold_s``: ``indices_report()`` once with an empty questionnaire cache (it compiles
  the stored workbook first); ``indices_s``: the median of --runs warm calls;
- ``indices_cpu_s``: the CPU time of this process for the same call (on SQLite the whole work,
  on PostgreSQL the client's share): the figure that holds when other jobs share the machine;
- ``monthly_s``: ``write_monthly_report()`` (indices, response figures, dispositions,
  suggestions and the .xlsx written to disk), the median of --runs.
Target: the indices under 2 s.

PostgreSQL gets VACUUM ANALYZE after the fill (as autovacuum would); SQLite gets no ANALYZE (the
app never runs one). PostgreSQL comes from CATI_TEST_PG_URL (a scratch database is created on
that server); without it the script runs itself again under scripts/pg_tmp.sh, which starts a
throw-away server.

Usage: scripts/bench_report.py [--interviews N] [--runs N] [--skip-postgres] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 2.0
FIELDWORK_START = dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
FIELDWORK_SECONDS = 20 * 86400
# The other numbers, per mille of them (b = a hash of the case number): state, disposition.
OTHERS = (
    (300, "scheduled", "3.13"), (100, "scheduled", "3.12"), (150, "closed", "2.112"),
    (150, "closed", "4.31"), (100, "closed", "4.70"), (50, "resume", "1.2"),
    (150, "fresh", None),
)
FLOOR_SQL = (
    "SELECT stratum, count(*) FROM interviews WHERE project_id = {p} AND state = 'complete' "
    "GROUP BY stratum",
    "SELECT i.stratum, a.question, a.value, count(*) FROM answers a JOIN interviews i "
    "ON i.id = a.interview_id WHERE i.project_id = {p} AND i.state = 'complete' "
    "AND a.question IN ({questions}) GROUP BY i.stratum, a.question, a.value",
)


class Sql:
    """The few expressions that differ between the two backends."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite

    def numbers(self, last: str) -> tuple[str, str]:
        """(a WITH clause or "", the FROM item) giving the integers 0..last as seq(n)."""
        if self.sqlite:
            return ("WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq "
                    f"WHERE n < {last}) ", "seq")
        return "", f"generate_series(CAST(0 AS bigint), {last}) AS seq(n)"

    def at(self, base: str, seconds: str) -> str:
        """The instant ``seconds`` (an SQL integer) after the instant ``base``."""
        if self.sqlite:  # as SQLAlchemy stores it: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
            return (f"(strftime('%Y-%m-%d %H:%M:%S', {base}, ({seconds}) || ' seconds') "
                    "|| '.000000')")
        return f"({base} + ({seconds}) * INTERVAL '1 second')"

    def base(self) -> str:
        return ":start" if self.sqlite else "CAST(:start AS timestamptz)"

    def start(self):
        return FIELDWORK_START.strftime("%Y-%m-%d %H:%M:%S") if self.sqlite else FIELDWORK_START

    def pad8(self, n: str) -> str:
        return f"substr('00000000' || {n}, -8)" if self.sqlite else f"lpad({n}::text, 8, '0')"


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def values_cte(name: str, columns: str, rows) -> str:
    body = ", ".join("(" + ", ".join(str(v) if isinstance(v, int) else literal(v) for v in row)
                     + ")" for row in rows)
    return f"{name}({columns}) AS (VALUES {body})"


def answer_rows(form) -> list[tuple[int, str, int, int, str]]:
    """(sequence, question, position, choices, value): each closed question's choices, the first
    three times and the second twice, then the multiple choice and the suggestion; an interview
    takes the row at position hash % choices."""
    rows = []
    items = [item for item in form.items
             if item.kind == "select_one" and item.name != form.stratum_question]
    for sequence, item in enumerate(items, start=1):
        names = [choice.name for choice in form.choices_of(item)]
        weighted = names[:1] * 3 + names[1:2] * 2 + names[2:]
        rows += [(sequence, item.name, pos, len(weighted), value)
                 for pos, value in enumerate(weighted)]
    worries = ["1", "2", "1 2", "2 5", "3", "5", "1 6", "4"]
    suggestions = ["没有", "没有", "没有", "加强夜间巡逻", "多装路灯和监控", "派出所办事效率再提高一些"]
    for offset, (question, values) in enumerate((("safety_worry", worries),
                                                 ("suggestion", suggestions))):
        rows += [(len(items) + 1 + offset, question, pos, len(values), value)
                 for pos, value in enumerate(values)]
    return rows


def case_columns() -> tuple[str, str]:
    """CASE expressions over b (0-999) for the numbers after the completes: state, disposition."""
    states, codes, upper = [], [], 0
    for share, state, code in OTHERS:
        upper += share
        states.append(f"WHEN b < {upper} THEN '{state}'")
        codes.append(f"WHEN b < {upper} THEN {literal(code) if code else 'NULL'}")
    assert upper == 1000
    return tuple(f"CASE {' '.join(parts)} END" for parts in (states, codes))  # type: ignore


def fill(database, interviews: int) -> tuple[str, int, list[str], int]:
    """Create the project and its data: (code, project id, the index questions, answers)."""
    from sqlalchemy import func, select, text

    from cati.services.projects import create_project
    from cati.services.questionnaires import form_of
    from cati.storage.models import Answer

    sql = Sql(database.is_sqlite)
    code = f"R{uuid.uuid4().hex[:6]}"
    with database.unit() as session:
        project = create_project(session, code, ROOT / "data/questionnaires/public_safety.xlsx")
        p, questionnaire = project.id, project.questionnaire_id
        form = form_of(session, questionnaire)
        township = form.item(form.stratum_question)
        strata = [(choice.name, form.text(choice.labels)) for choice in form.choices_of(township)]
        stratum = "CASE n % {} {} END".format(len(strata), " ".join(
            f"WHEN {k} THEN {literal(label)}" for k, (_, label) in enumerate(strata)))
        others = interviews * 2 // 5
        state, disposition = case_columns()
        with_clause, source = sql.numbers(":total - 1")
        session.execute(text(
            f"{with_clause}INSERT INTO cases (project_id, phone_e164, phone_raw, number_type, "
            "region, carrier, time_zone, stratum, attributes, state, disposition, attempts, "
            "priority, draw) "
            f"SELECT :p, '+86138' || {sql.pad8('n')}, '', 'mobile', '平舆县', '中国移动', "
            f"'Asia/Shanghai', {stratum}, '{{}}', "
            f"CASE WHEN n < :done THEN 'closed' ELSE {state} END, "
            f"CASE WHEN n < :done THEN '1.1' ELSE {disposition} END, "
            "CASE WHEN n < :done OR b < 850 THEN 1 + n % 3 ELSE 0 END, 0, "
            "(n * 2654435761) % 2147483647 "
            f"FROM (SELECT n, (n * 7919) % 1000 AS b FROM {source}) AS hashed"),
            {"p": p, "total": interviews + others, "done": interviews})
        started = sql.at(sql.base(), f"(c.id * 40503) % 1000003 % {FIELDWORK_SECONDS}")
        session.execute(text(
            "INSERT INTO interviews (case_id, project_id, questionnaire_id, interviewer_id, "
            "mode, language, state, disposition, seed, current_item, stratum, started_at, "
            "ended_at) "
            "SELECT c.id, :p, :q, NULL, 'phone', 'zh', "
            "CASE c.disposition WHEN '1.1' THEN 'complete' WHEN '1.2' THEN 'partial' "
            "ELSE 'screened_out' END, c.disposition, c.id, NULL, c.stratum, "
            f"{started}, {sql.at(started, '600 + c.id % 900')} "
            "FROM cases c WHERE c.project_id = :p AND c.disposition IN ('1.1', '1.2', '4.70')"),
            {"p": p, "q": questionnaire, "start": sql.start()})
        complete = "i.project_id = :p AND i.state IN ('complete', 'partial')"
        choices = values_cte("qc", "qn, question, pos, n, value", answer_rows(form))
        session.execute(text(
            f"WITH {choices} INSERT INTO answers (interview_id, question, value, answered_at, "
            f"sequence) SELECT i.id, qc.question, qc.value, "
            f"{sql.at('i.started_at', '30 * qc.qn')}, qc.qn FROM interviews i JOIN qc ON "
            "qc.pos = ((i.id * 2654435761 + qc.qn * 40503) % 1000003) % qc.n "
            f"WHERE {complete}"), {"p": p})
        labels = values_cte("tw", "code, label", strata)
        session.execute(text(
            f"WITH {labels} INSERT INTO answers (interview_id, question, value, answered_at, "
            f"sequence) SELECT i.id, :question, tw.code, {sql.at('i.started_at', '20')}, 0 "
            f"FROM interviews i JOIN tw ON tw.label = i.stratum WHERE {complete}"),
            {"p": p, "question": form.stratum_question})
        session.execute(text(
            "INSERT INTO answers (interview_id, question, value, answered_at, sequence) "
            "SELECT i.id, 'age', CAST(18 + i.id % 62 AS TEXT), "
            f"{sql.at('i.started_at', '25')}, 100 FROM interviews i WHERE {complete}"),
            {"p": p})
        answers = session.scalar(select(func.count(Answer.id)))
    if not database.is_sqlite:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    questions = sorted({q for index in form.indices if index.method != "mean"
                        for q in index.source})
    return code, p, questions, answers


def median_time(function, runs: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(runs):
        started = clock()
        function()
        times.append(clock() - started)
    return round(statistics.median(times), 3)


def measure(db_url: str, interviews: int, runs: int, workdir: Path) -> dict:
    from cati.reporting.monthly import write_monthly_report
    from cati.services import questionnaires
    from cati.services.indices_report import indices_report
    from cati.storage.db import Database

    database = Database(db_url)
    database.upgrade()
    started = time.perf_counter()
    code, project_id, questions, answers = fill(database, interviews)
    result: dict = {"generate_s": round(time.perf_counter() - started, 1), "answers": answers}
    floor = [statement.format(p=project_id, questions=", ".join(literal(q) for q in questions))
             for statement in FLOOR_SQL]

    def grouped_sql() -> None:
        with database.engine.connect() as connection:
            for statement in floor:
                connection.exec_driver_sql(statement).fetchall()

    def indices() -> None:
        with database.unit(immediate=False) as session:
            indices_report(session, code)

    questionnaires._forms.clear()  # cold: the stored workbook is compiled again
    result["indices_cold_s"] = median_time(indices, 1)
    result["grouped_sql_s"] = median_time(grouped_sql, runs)
    result["indices_s"] = median_time(indices, runs)
    result["indices_cpu_s"] = median_time(indices, runs, time.process_time)
    out = workdir / f"monthly-{code}.xlsx"
    result["monthly_s"] = median_time(lambda: write_monthly_report(database, code, out), runs)
    result["xlsx_kb"] = round(out.stat().st_size / 1024)
    with database.unit(immediate=False) as session:
        overall = indices_report(session, code).rows[0]
        result["check"] = {"index": overall.index, "n": overall.n,
                           "value": round(float(overall.value), 4)}
    out.unlink(missing_ok=True)
    database.dispose()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_postgres and not os.environ.get("CATI_TEST_PG_URL"):
        os.execv("/usr/bin/env", ["env", "bash", str(ROOT / "scripts/pg_tmp.sh"),
                                  sys.executable, *sys.argv])
    workdir = Path(tempfile.mkdtemp(prefix="cati-bench-report-"))
    result: dict = {"interviews": args.interviews, "target_indices_s": TARGET_S}
    if not args.skip_sqlite:
        sqlite_file = workdir / "bench.db"
        result["sqlite"] = measure(f"sqlite:///{sqlite_file}", args.interviews, args.runs,
                                   workdir)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    if not args.skip_postgres:
        from bench_import import fresh_pg_database

        result["postgres"] = measure(fresh_pg_database(os.environ["CATI_TEST_PG_URL"]),
                                     args.interviews, args.runs, workdir)
    result["load_average"] = [round(x, 1) for x in os.getloadavg()]
    result["within_target"] = all(result[backend]["indices_s"] <= TARGET_S
                                  for backend in ("sqlite", "postgres") if backend in result)
    workdir.rmdir()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

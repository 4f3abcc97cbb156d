#!/usr/bin/env python3
"""Benchmark the supervisor monitor's full refresh at 1M cases. Prints one JSON line.

Builds, in bulk SQL (INSERT … SELECT from generate_series on PostgreSQL, a recursive CTE on
SQLite), the demo questionnaire project with --cases cases over the 19 township strata (85 %
fresh, 15 % dialled with a realistic spread of states and dispositions), --interviewers
interviewer accounts (one fixed precomputed argon2 hash), the call attempts behind every dialled
case — the last one today for about 30 calls per interviewer-hour over the 8 hours from 08:00
to 16:00 Beijing time, the earlier ones on earlier days —, an interview for every complete,
screen-out and open partial (about 3k completes with 20 answers each; interviewer 1 rushes and
answers 1 to everything), a presence row per workstation, five quotas and the open appointments
of the cases in the appointment state.

Then times `cati.services.monitor.snapshot()` at 16:00: one cold call (empty form cache, right
after the fill) and --runs warm calls (median, max). Baseline in the same run: the cheapest
full aggregate the refresh must do anyway, ``SELECT state, count(*) FROM cases WHERE
project_id = ? GROUP BY state``. Where the time goes:
- ``sections_ms``: the monitor's helpers (_strata, _interviewers and, inside it,
  _uniformity and presence) wrapped here during the warm calls (median); ``top_level`` is the
  rest of snapshot(): the project, the dispositions, five grouped counts and the appointments;
- ``parts_ms``: every SQL statement one refresh sends (captured from the engine), replayed
  alone on one connection with all rows fetched (median of --runs after one warm-up).
--explain N writes EXPLAIN (ANALYZE, BUFFERS) of the N slowest statements to stderr (EXPLAIN
QUERY PLAN on SQLite). Target: a PostgreSQL refresh under 200 ms.

PostgreSQL gets VACUUM ANALYZE after the fill (as autovacuum would soon after an import);
SQLite gets no ANALYZE (the app never runs one). PostgreSQL comes from CATI_TEST_PG_URL (a
scratch database is created on that server and dropped after); without it the script runs
itself again under scripts/pg_tmp.sh, which starts a throw-away server.

Usage: scripts/bench_monitor.py [--cases N] [--sqlite-cases N] [--interviewers N] [--runs N]
                                [--explain N] [--skip-postgres] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 200
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 16:00 in Beijing, end of the day shift
SHIFT_START = dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.UTC)  # 08:00 in Beijing
SHIFT_SECONDS = 8 * 3600
CALLS_PER_HOUR = 30
# argon2id of "bench-password-1": hashing 100 passwords would take longer than the benchmark.
PASSWORD_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$yDWcHUkO+SjZs2EuAfm6LQ$"
                 "LK5sIZ05zH7dGgUlj8iBYb32OCVeFJtVQPqRl7JNCkc")
BASELINE_SQL = "SELECT state, count(*) FROM cases WHERE project_id = {p} GROUP BY state"

# Where the cases stand, per mille (b = a hash of the case number, 0-999): state, disposition,
# counted attempts (SQL over the case number n).
BUCKETS = (
    (850, "fresh", None, "0"),
    (3, "closed", "1.1", "1 + n % 3"),  # about 3k completes at 1M
    (57, "scheduled", "3.13", "1 + n % 3"),
    (14, "scheduled", "3.12", "1 + n % 2"),
    (15, "scheduled", "3.16", "1 + n % 3"),
    (2, "scheduled", "3.15", "1"),
    (7, "scheduled", "2.22", "1 + n % 2"),
    (5, "scheduled", "2.111", "1 + n % 2"),
    (3, "closed", "2.112", "2"),
    (1, "resume", "2.12", "1 + n % 2"),
    (1, "resume", "1.2", "1 + n % 2"),
    (2, "appointment", "3.13", "1 + n % 2"),
    (15, "closed", "4.31", "1"),
    (8, "closed", "4.33", "1 + n % 2"),
    (1, "closed", "4.20", "1"),
    (4, "closed", "4.51", "1"),
    (3, "closed", "4.70", "1 + n % 2"),
    (2, "closed", "4.80", "1 + n % 2"),
    (2, "closed", "4.10", "1"),
    (1, "closed", "2.332", "1"),
    (1, "closed", "2.32", "1"),
    (3, "closed", "3.90", "6"),
)
DIALLED_SHARE = 1 - BUCKETS[0][0] / 1000
CONTACT_CODES = ("1.1", "1.2", "2.111", "2.112", "2.12", "2.332", "2.32", "4.51", "4.70", "4.80",
                 "4.10")


class Sql:
    """The few expressions that differ between the two backends."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite

    def numbers(self, alias: str, last: str) -> tuple[str, str]:
        """(a WITH clause or "", the FROM item) giving the integers 0..last as alias(n)."""
        if self.sqlite:
            return (f"WITH RECURSIVE {alias}(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM "
                    f"{alias} WHERE n < {last}) ", alias)
        return "", f"generate_series(CAST(0 AS bigint), {last}) AS {alias}(n)"

    def at(self, base: str, seconds: str) -> str:
        """The instant ``seconds`` (an SQL integer) after the instant ``base``."""
        if self.sqlite:  # stored as SQLAlchemy writes it: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
            return f"(strftime('%Y-%m-%d %H:%M:%S', {base}, ({seconds}) || ' seconds') || '.000000')"
        return f"({base} + ({seconds}) * INTERVAL '1 second')"

    def instant(self, value: dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if self.sqlite else value

    def base(self, name: str) -> str:
        return f":{name}" if self.sqlite else f"CAST(:{name} AS timestamptz)"

    def pad8(self, n: str) -> str:
        return f"substr('00000000' || {n}, -8)" if self.sqlite else f"lpad({n}::text, 8, '0')"


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def case_columns() -> tuple[str, str, str]:
    """CASE expressions over b and n: state, disposition, attempts."""
    states, codes, attempts, upper = [], [], [], 0
    for share, state, code, counted in BUCKETS:
        upper += share
        states.append(f"WHEN b < {upper} THEN '{state}'")
        codes.append(f"WHEN b < {upper} THEN {literal(code) if code else 'NULL'}")
        attempts.append(f"WHEN b < {upper} THEN {counted}")
    assert upper == 1000
    return tuple(f"CASE {' '.join(parts)} END" for parts in (states, codes, attempts))


def answer_rows(form) -> list[tuple[int, str, int, int, str]]:
    """(sequence, question, position, choices, value): each closed question's choices, the first
    three times and the second twice (respondents lean to 满意), then the multiple choice and
    the open suggestion; an interview takes the row at position hash % choices."""
    rows = []
    items = [item for item in form.items if item.kind == "select_one"
             and item.name != form.stratum_question]
    for sequence, item in enumerate(items, start=1):
        names = [choice.name for choice in form.choices_of(item)]
        weighted = names[:1] * 3 + names[1:2] * 2 + names[2:]
        rows += [(sequence, item.name, pos, len(weighted), value)
                 for pos, value in enumerate(weighted)]
    worries = ["1", "2", "1 2", "2 5", "3", "5", "1 6", "4"]
    suggestions = ["", "", "", "加强夜间巡逻", "多装路灯和监控", "派出所办事效率再提高一些"]
    for question, values in (("safety_worry", worries), ("suggestion", suggestions)):
        sequence = len(items) + 1 + (question == "suggestion")
        rows += [(sequence, question, pos, len(values), value) for pos, value in enumerate(values)]
    return rows


def values_cte(name: str, columns: str, rows) -> str:
    body = ", ".join("(" + ", ".join(str(v) if isinstance(v, int) else literal(v) for v in row)
                     + ")" for row in rows)
    return f"{name}({columns}) AS (VALUES {body})"


def fill(database, cases: int, interviewers: int) -> tuple[int, dict]:
    from sqlalchemy import func, insert, select, text

    from cati.services.projects import create_project
    from cati.services.questionnaires import form_of
    from cati.storage.models import (
        Answer,
        Appointment,
        CallAttempt,
        Case,
        Interview,
        Presence,
        Quota,
        User,
    )

    sql = Sql(database.is_sqlite)
    with database.unit() as session:
        project = create_project(session, f"M{uuid.uuid4().hex[:6]}",
                                 ROOT / "data/questionnaires/public_safety.xlsx")
        p, questionnaire = project.id, project.questionnaire_id
        form = form_of(session, questionnaire)
        township = form.item(form.stratum_question)
        strata = [(choice.name, form.text(choice.labels)) for choice in form.choices_of(township)]

        suffix = uuid.uuid4().hex[:4]
        session.execute(insert(User), [
            {"username": f"bench{suffix}_{w + 1:03d}", "display_name": f"访问员{w + 1:03d}",
             "role": "interviewer", "password_hash": PASSWORD_HASH, "active": True,
             "created_at": NOW - dt.timedelta(days=30)} for w in range(interviewers)])
        first_user, last_user = session.execute(
            select(func.min(User.id), func.max(User.id))
            .where(User.username.like(f"bench{suffix}_%"))).one()
        assert last_user - first_user + 1 == interviewers

        # Cases: number n, stratum n % 19, where it stands by the hash b.
        state, code, counted = case_columns()
        stratum = "CASE n % {} {} END".format(len(strata), " ".join(
            f"WHEN {k} THEN {literal(label)}" for k, (_, label) in enumerate(strata)))
        minutes_from_now = "((n % 600) - 120) * 60"
        with_clause, source = sql.numbers("seq", ":cases - 1")
        session.execute(text(
            f"{with_clause}INSERT INTO cases (project_id, phone_e164, phone_raw, number_type, "
            "region, carrier, time_zone, stratum, attributes, state, disposition, attempts, "
            "next_call_at, priority, draw) "
            f"SELECT :p, '+86138' || {sql.pad8('n')}, '', 'mobile', '平舆县', '中国移动', "
            f"'Asia/Shanghai', {stratum}, '{{}}', st, {code}, {counted}, "
            "CASE WHEN st IN ('scheduled', 'resume') "
            f"THEN {sql.at(sql.base('now'), minutes_from_now)} END, 0, "
            "(n * 2654435761) % 2147483647 "
            f"FROM (SELECT n, b, {state} AS st FROM "
            f"(SELECT n, (n * 7919) % 1000 AS b FROM {source}) AS hashed) AS numbered"),
            {"p": p, "cases": cases, "now": sql.instant(NOW)})
        first_case, last_case = session.execute(
            select(func.min(Case.id), func.max(Case.id)).where(Case.project_id == p)).one()
        assert last_case - first_case + 1 == cases, "case ids are not consecutive"

        # Attempts: one row per counted attempt (+ the booking of an appointment); the last one
        # today for a share of the dialled cases that gives CALLS_PER_HOUR per interviewer.
        # Today's rows end up together at the end of the table, as in a real call log.
        calls_today = CALLS_PER_HOUR * SHIFT_SECONDS // 3600 * interviewers
        today_permille = min(1000, round(1000 * calls_today / max(1.0, cases * DIALLED_SHARE)))
        with_clause, ks = sql.numbers("ks", "7")
        started = sql.at(sql.base("shift"),
                         "CASE WHEN today = 1 THEN (id * 40503 + k) % 1000003 % 27000 "
                         "ELSE -86400 * (total - k + 1 + id % 4) "
                         "+ (id * 40503 + k) % 1000003 % 28800 END")
        contact = ", ".join(literal(c) for c in CONTACT_CODES)
        session.execute(text(
            f"{with_clause}INSERT INTO call_attempts (case_id, project_id, interviewer_id, "
            "workstation, started_at, ended_at, disposition, note) "
            f"SELECT id, :p, :u0 + w, 'ws' || w, {started}, "
            + sql.at(started, "CASE WHEN disp = '1.1' AND w = 0 THEN 240 + id % 60 "
                              "WHEN disp = '1.1' THEN 600 + id % 900 "
                              "WHEN disp IN ('1.2', '2.12') THEN 180 + id % 300 "
                              f"WHEN disp IN ({contact}) THEN 40 + id % 120 "
                              "WHEN disp IS NULL THEN 60 ELSE 20 + id % 40 END")
            + ", disp, CASE WHEN disp IS NULL THEN '约访 appointment' ELSE '' END FROM ("
            "SELECT id, k, total, w, today, CASE "
            "  WHEN k = total AND state = 'appointment' THEN NULL "
            "  WHEN k >= attempts AND disposition IN ('3.90', '2.30') THEN '3.13' "
            "  WHEN k >= attempts THEN disposition "
            "  ELSE CASE (id + k) % 4 WHEN 0 THEN '3.12' WHEN 1 THEN '3.16' ELSE '3.13' END "
            "END AS disp FROM ("
            "SELECT c.id, ks.n AS k, c.attempts, c.state, c.disposition, "
            "c.attempts + CASE WHEN c.state = 'appointment' THEN 1 ELSE 0 END AS total, "
            "(c.id * 2654435761 + ks.n * 40503) % 1000003 % :ni AS w, "
            "CASE WHEN ks.n = c.attempts + CASE WHEN c.state = 'appointment' THEN 1 ELSE 0 END "
            "AND c.id * 104729 % 1000003 % 1000 < :today THEN 1 ELSE 0 END AS today "
            f"FROM cases c JOIN {ks} ON ks.n BETWEEN 1 AND "
            "c.attempts + CASE WHEN c.state = 'appointment' THEN 1 ELSE 0 END "
            "WHERE c.project_id = :p AND c.attempts > 0) AS plain) AS coded "
            "ORDER BY 4, 1"),  # stored in the order they were made, as the app appends them
            {"p": p, "u0": first_user, "ni": interviewers, "today": today_permille,
             "shift": sql.instant(SHIFT_START)})

        # As record_outcome keeps it: each case's latest attempt start.
        session.execute(text(
            "UPDATE cases SET last_called_at = (SELECT max(a.started_at) FROM call_attempts a "
            "WHERE a.case_id = cases.id) WHERE project_id = :p AND attempts > 0"), {"p": p})

        # Interviews: completes and screen-outs (closed at the call), partials still open.
        session.execute(text(
            "INSERT INTO interviews (case_id, project_id, questionnaire_id, interviewer_id, "
            "mode, language, state, disposition, seed, current_item, stratum, started_at, "
            "ended_at) "
            "SELECT a.case_id, :p, :q, a.interviewer_id, 'phone', 'zh', "
            "CASE a.disposition WHEN '1.1' THEN 'complete' WHEN '4.70' THEN 'screened_out' "
            "  WHEN '4.80' THEN 'screened_out' ELSE 'in_progress' END, "
            "CASE WHEN a.disposition IN ('1.2', '2.12') THEN NULL ELSE a.disposition END, "
            "a.case_id, CASE WHEN a.disposition IN ('1.2', '2.12') THEN 'sat_police' END, "
            "c.stratum, a.started_at, "
            "CASE WHEN a.disposition IN ('1.2', '2.12') THEN NULL ELSE a.ended_at END "
            "FROM call_attempts a JOIN cases c ON c.id = a.case_id "
            "WHERE c.project_id = :p "
            "AND a.disposition IN ('1.1', '4.70', '4.80', '1.2', '2.12')"),
            {"p": p, "q": questionnaire})

        # Answers of the completes: 16 closed questions, the township (its stratum), the
        # multiple choice, the age and the suggestion.
        coached = first_user
        choices = values_cte("qc", "qn, question, pos, n, value", answer_rows(form))
        labels = values_cte("tw", "code, label", strata)
        complete = "i.project_id = :p AND i.state = 'complete'"
        session.execute(text(
            f"WITH {choices} INSERT INTO answers (interview_id, question, value, answered_at, "
            f"sequence) SELECT i.id, qc.question, qc.value, "
            f"{sql.at('i.started_at', '30 * qc.qn')}, qc.qn FROM interviews i JOIN qc ON "
            "qc.pos = CASE WHEN i.interviewer_id = :coached THEN 0 "
            "ELSE ((i.id * 2654435761 + qc.qn * 40503) % 1000003) % qc.n END "
            f"WHERE {complete}"), {"p": p, "coached": coached})
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

        # Open appointments of the cases in that state: hour windows from half an hour ago
        # to three days ahead; every fifth one hard (kept for its interviewer).
        window = "(c.id * 104723 % 1000003 % 288) * 900 - 1800"
        hard = "c.id * 7919 % 1000003 % 5 = 0"
        session.execute(text(
            "INSERT INTO appointments (case_id, window_start, window_end, hard, interviewer_id, "
            "booked_by, note, kept_by_attempt_id, cancelled, missed) "
            f"SELECT c.id, {sql.at(sql.base('now'), window)}, "
            f"{sql.at(sql.base('now'), window + ' + 3600')}, {hard}, "
            f"CASE WHEN {hard} THEN :u0 + c.id % :ni END, "
            ":u0 + c.id * 31 % 1000003 % :ni, "
            "'', NULL, FALSE, FALSE FROM cases c "
            "WHERE c.project_id = :p AND c.state = 'appointment'"),
            {"p": p, "u0": first_user, "ni": interviewers, "now": sql.instant(NOW)})
        session.execute(text(
            "UPDATE cases SET next_call_at = (SELECT min(a.window_start) FROM appointments a "
            "WHERE a.case_id = cases.id) WHERE project_id = :p AND state = 'appointment'"),
            {"p": p})

        # Presence: one workstation per interviewer, most on a call or interviewing.
        mix = ["call"] * 9 + ["interviewing"] * 6 + ["ready"] * 3 + ["paused", "offline"]
        busy = ("call", "interviewing")
        session.execute(insert(Presence), [
            {"workstation": f"ws{w}", "user_id": first_user + w, "project_id": p,
             "state": mix[w % len(mix)],
             "since": NOW - dt.timedelta(seconds=(w * 17) % 600 + 5),
             "case_id": first_case + (w * 7919) % cases if mix[w % len(mix)] in busy else None,
             "seen_at": NOW - dt.timedelta(minutes=40 if mix[w % len(mix)] == "offline"
                                           else 0, seconds=w % 50)}
            for w in range(interviewers)])
        per_stratum = cases * 0.003 / len(strata)
        session.execute(insert(Quota), [
            {"project_id": p, "stratum": label, "expression": None,
             "target": max(1, round(per_stratum * factor))}
            for (_, label), factor in zip(strata, (0.9, 1.0, 1.3, 1.6, 2.0), strict=False)])

        today = CallAttempt.started_at >= SHIFT_START
        counts = {
            "attempts": session.scalar(select(func.count()).select_from(CallAttempt)),
            "attempts_today": session.scalar(select(func.count()).select_from(CallAttempt)
                                             .where(today)),
            "interviews_complete": session.scalar(
                select(func.count()).select_from(Interview)
                .where(Interview.project_id == p, Interview.state == "complete")),
            "answers": session.scalar(select(func.count()).select_from(Answer)),
            "appointments_open": session.scalar(select(func.count()).select_from(Appointment)),
            "dialled_cases": session.scalar(select(func.count()).select_from(Case)
                                            .where(Case.project_id == p, Case.attempts > 0)),
        }
    if not database.is_sqlite:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE")
    return p, counts


@contextlib.contextmanager
def sections(times: dict[str, list[float]]):
    """Wrap the monitor's helpers so each call's time lands in ``times``."""
    from cati.services import monitor

    names = ("_strata", "_interviewers", "_uniformity", "presence_in")
    originals = {name: getattr(monitor, name) for name in names}

    def wrap(name, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                times.setdefault(name.lstrip("_"), []).append(
                    (time.perf_counter() - started) * 1000)
        return timed

    for name, function in originals.items():
        setattr(monitor, name, wrap(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(monitor, name, function)


LABELS = (  # (label, the first table named after FROM, patterns all in the SQL): first wins
    ("project", "projects", ()),
    ("form_of", "questionnaires", ()),
    ("dispositions", "dispositions", ()),
    ("quotas", "quotas", ()),
    ("presence", "presence", ()),
    ("user_name", "users", ()),
    ("appointments_due", "appointments", ()),
    ("uniformity_answers", "interviews", ("JOIN answers",)),
    ("interviews_today_by_hour_mode", "interviews", ("started_at >=", "interviews.mode")),
    ("completes_by_stratum", "interviews", ("GROUP BY interviews.stratum",)),
    ("completes_by_interviewer", "interviews", ("GROUP BY interviews.interviewer_id",)),
    ("interview_lengths_today", "interviews", ()),
    ("attempts_by_interviewer_today", "call_attempts", ("GROUP BY call_attempts.interviewer",)),
    ("attempts_before_today_recount", "call_attempts", ("max(call_attempts.id)",)),
    ("attempts_before_today_new", "call_attempts", ("call_attempts.id >",)),
    ("attempts_after_now", "call_attempts", ("started_at > ",)),
    ("attempts_today_by_hour_code", "call_attempts", ("started_at >=", "GROUP BY")),
    ("attempts_all_by_code", "call_attempts", ("GROUP BY",)),
    ("hourly_rows_today", "call_attempts", ()),
    ("cases_called_today_by_code", "cases", ("last_called_at >=",)),
    ("cases_by_state", "cases", ("GROUP BY cases.state",)),
    ("strata_dialled", "cases", ("attempts >", "GROUP BY cases.stratum")),
    ("strata_remaining", "cases", ("GROUP BY cases.stratum",)),
    ("cases_dialled_by_code", "cases", ("attempts >",)),
    ("cases_by_disposition", "cases", ("GROUP BY cases.disposition",)),
)


def label_of(statement: str, seen: dict[str, int]) -> str:
    flat = re.sub(r"\s+", " ", statement)
    table = re.search(r"\bFROM (\w+)", flat)
    name = next((label for label, main, patterns in LABELS
                 if table and table.group(1) == main
                 and all(pattern in flat for pattern in patterns)), "other")
    seen[name] = seen.get(name, 0) + 1
    return name if seen[name] == 1 else f"{name}#{seen[name]}"


def captured_statements(database, project_id: int) -> list[tuple[str, str, object]]:
    """(label, SQL, parameters) of every statement one refresh sends, in order."""
    from sqlalchemy import event

    from cati.services.monitor import snapshot

    found: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        found.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", keep)
    try:
        snapshot(database, project_id, now=NOW)
    finally:
        event.remove(database.engine, "before_cursor_execute", keep)
    seen: dict[str, int] = {}
    return [(label_of(statement, seen), statement, parameters)
            for statement, parameters in found
            if statement.lstrip().upper().startswith("SELECT")
            and statement.strip().upper() != "SELECT 1"]  # the pool's pre-ping


def replay(database, statements, runs: int) -> dict[str, float]:
    times = {}
    with database.engine.connect() as connection:
        for label, statement, parameters in statements:
            samples = []
            for _ in range(runs + 1):
                started = time.perf_counter()
                connection.exec_driver_sql(statement, parameters).fetchall()
                samples.append((time.perf_counter() - started) * 1000)
            times[label] = round(statistics.median(samples[1:]), 2)
        connection.rollback()
    return times


def explain(database, statements, parts: dict[str, float], count: int) -> None:
    slowest = sorted(statements, key=lambda s: parts[s[0]], reverse=True)[:count]
    prefix = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN (ANALYZE, BUFFERS) "
    backend = database.engine.dialect.name
    with database.engine.connect() as connection:
        for label, statement, parameters in slowest:
            rows = connection.exec_driver_sql(prefix + statement, parameters).fetchall()
            plan = "\n".join(str(row[-1]) for row in rows)
            print(f"--- {backend} {label} ({parts[label]} ms)\n{statement}\n"
                  f"params: {parameters}\n{plan}\n", file=sys.stderr)
        connection.rollback()


def measure(database, project_id: int, runs: int, explain_count: int) -> dict:
    from sqlalchemy import text

    from cati.services import questionnaires
    from cati.services.monitor import snapshot

    with database.unit(immediate=False) as session:  # the app's connection is open already
        session.execute(text("SELECT 1"))
    getattr(questionnaires, "_forms", {}).clear()  # the cold refresh compiles the form
    started = time.perf_counter()
    shot = snapshot(database, project_id, now=NOW)
    cold = (time.perf_counter() - started) * 1000
    helper_times: dict[str, list[float]] = {}
    totals = []
    with sections(helper_times):
        for _ in range(runs):
            started = time.perf_counter()
            snapshot(database, project_id, now=NOW)
            totals.append((time.perf_counter() - started) * 1000)
    section_ms = {name: round(statistics.median(values), 2)
                  for name, values in helper_times.items()}
    section_ms["top_level"] = round(statistics.median(
        total - sum(helper_times[name][run] for name in ("strata", "interviewers"))
        for run, total in enumerate(totals)), 2)

    baseline = []
    with database.engine.connect() as connection:
        for _ in range(runs + 1):
            started = time.perf_counter()
            connection.exec_driver_sql(BASELINE_SQL.format(p=int(project_id))).fetchall()
            baseline.append((time.perf_counter() - started) * 1000)
        connection.rollback()
    baseline_ms = round(statistics.median(baseline[1:]), 2)

    statements = captured_statements(database, project_id)
    parts = replay(database, statements, runs)
    if explain_count:
        explain(database, statements, parts, explain_count)
    median = statistics.median(totals)
    return {
        "refresh_ms": {"cold": round(cold, 1), "median": round(median, 1),
                       "max": round(max(totals), 1), "warm_runs": runs},
        "baseline_ms": baseline_ms,
        "refresh_over_baseline": round(median / baseline_ms, 1) if baseline_ms else None,
        "statements": len(statements),
        "sql_ms": round(sum(parts.values()), 1),
        "sections_ms": section_ms,
        "parts_ms": dict(sorted(parts.items(), key=lambda item: -item[1])),
        "snapshot": {"calls_today": shot.today.calls, "completes_today": shot.today.completes,
                     "interviewers_shown": len(shot.interviewers),
                     "flagged": sum(bool(row.flags) for row in shot.interviewers),
                     "appointments_next_hour": len(shot.appointments_next_hour)},
    }


def scratch_pg(server_url: str):
    """(URL of a new database on that server, a function that drops it)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"bench_monitor_{uuid.uuid4().hex[:8]}"
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)

    def admin(statement: str) -> None:
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(statement)

    admin(f'CREATE DATABASE "{name}"')
    return (url.set(database=name).render_as_string(hide_password=False),
            lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_backend(url: str, cases: int, args) -> dict:
    from cati.storage.db import Database

    database = Database(url)
    try:
        database.upgrade()
        started = time.perf_counter()
        project_id, counts = fill(database, cases, args.interviewers)
        fill_s = round(time.perf_counter() - started, 1)
        return {**measure(database, project_id, args.runs, args.explain),
                "fill_s": fill_s, "rows": counts}
    finally:
        database.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--sqlite-cases", type=int, default=1_000_000)
    parser.add_argument("--interviewers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5, help="warm refreshes (after 1 cold)")
    parser.add_argument("--explain", type=int, default=0, metavar="N",
                        help="write the plans of the N slowest statements to stderr")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_postgres and not os.environ.get("CATI_TEST_PG_URL"):
        os.execv("/usr/bin/env", ["env", "bash", str(ROOT / "scripts/pg_tmp.sh"),
                                  sys.executable, *sys.argv])
    result: dict = {"cases": args.cases, "interviewers": args.interviewers}
    if not args.skip_postgres:
        pg_url, drop = scratch_pg(os.environ["CATI_TEST_PG_URL"])
        try:
            result["postgres"] = run_backend(pg_url, args.cases, args)
        finally:
            drop()
    if not args.skip_sqlite:
        sqlite_file = Path(tempfile.gettempdir()) / f"bench-monitor-{os.getpid()}.db"
        try:
            result["sqlite_cases"] = args.sqlite_cases
            result["sqlite"] = run_backend(f"sqlite:///{sqlite_file}", args.sqlite_cases, args)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    result["host"] = {"cpus": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 1)}
    result["target"] = {"postgres_refresh_ms_max": TARGET_MS}
    if "postgres" in result:
        result["target"]["met"] = result["postgres"]["refresh_ms"]["max"] < TARGET_MS
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

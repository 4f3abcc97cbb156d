"""The database's own guard of closed waves (both backends; migration 0013 installs it).

A closed project (a closed wave) is frozen: no interview, answer, answer event, web interview or
call attempt of it may be inserted, changed or deleted, nor a case of it changed or deleted
(new cases are refused by the import service: a trigger per inserted row would slow every
import of a large sample for a case that cannot change a figure until it is called); a paused project
takes no web answers (interviews of mode ``web``, their answers and events); and a closed project
cannot be reopened nor its frozen rule, period, series or questionnaire changed. The services
refuse all this first, with a readable line; these triggers make it hold for any client — a
workstation's login in ``psql``, a web server of an older version, a script — because a late
answer moved a published figure once. PostgreSQL raises SQLSTATE 42501 (shown as "the database
refused …"); SQLite aborts the statement.
"""

from __future__ import annotations

CLOSED_WORDS = "wave closed: its interviews and answers are frozen (本期调查已结束,数据已冻结)"
PAUSED_WORDS = "project paused: web answers are not taken (项目已暂停,不接收网上填答)"
REOPEN_WORDS = "a closed wave cannot be reopened or changed (已结束的调查期不能重新打开或修改)"

# table -> how the row names its interview (interviews itself: its own columns)
_BY_INTERVIEW = ("answers", "answer_events", "web_interviews")
_BY_CASE = ("call_attempts",)
_GUARDED = ("interviews", *_BY_INTERVIEW, "cases", *_BY_CASE)
_FROZEN_COLUMNS = ("status", "questionnaire_id", "frozen_rule", "frozen_suggestions",
                   "closed_at", "series_id", "period")


def postgresql_statements() -> list[str]:
    statements = [f"""
CREATE OR REPLACE FUNCTION cati_wave_check(p_table text, p_row jsonb) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  target integer;
  target_mode text := '';
  project_status text;
BEGIN
  IF p_table = 'interviews' THEN
    target := (p_row ->> 'project_id')::integer;
    target_mode := p_row ->> 'mode';
  ELSIF p_table IN ('cases') THEN
    target := (p_row ->> 'project_id')::integer;
  ELSIF p_table IN ('call_attempts') THEN
    SELECT project_id INTO target FROM cases WHERE id = (p_row ->> 'case_id')::bigint;
  ELSE
    SELECT project_id, mode INTO target, target_mode FROM interviews
      WHERE id = (p_row ->> 'interview_id')::bigint;
  END IF;
  SELECT status INTO project_status FROM projects WHERE id = target;
  IF project_status = 'closed' THEN
    RAISE EXCEPTION '{CLOSED_WORDS}' USING ERRCODE = '42501';
  END IF;
  IF project_status = 'paused' AND target_mode = 'web' THEN
    RAISE EXCEPTION '{PAUSED_WORDS}' USING ERRCODE = '42501';
  END IF;
END $$""", """
CREATE OR REPLACE FUNCTION cati_wave_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM cati_wave_check(TG_TABLE_NAME, to_jsonb(OLD));
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM cati_wave_check(TG_TABLE_NAME, to_jsonb(NEW));
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$""", f"""
CREATE OR REPLACE FUNCTION cati_wave_keep_closed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'closed' AND ({' OR '.join(
        f'NEW.{c} IS DISTINCT FROM OLD.{c}' for c in _FROZEN_COLUMNS)}) THEN
    RAISE EXCEPTION '{REOPEN_WORDS}' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$""",
        "REVOKE ALL ON FUNCTION cati_wave_check(text, jsonb) FROM PUBLIC"]
    statements.append("""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cati_web') THEN
    GRANT EXECUTE ON FUNCTION cati_wave_check(text, jsonb) TO cati_interviewer, cati_web;
  END IF;
END $$""")
    # Who may do what with series (cati.storage.pg_security): everyone reads them; admins make
    # series and open waves (a wave is a project); supervisors close waves and set the rule.
    statements += [
        "REVOKE ALL ON series FROM PUBLIC",
        """
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cati_web') THEN
    REVOKE ALL ON series FROM cati_interviewer, cati_supervisor, cati_admin, cati_web;
    GRANT SELECT ON series TO cati_interviewer, cati_web;
    GRANT UPDATE (settings, name, quotas) ON series TO cati_supervisor;
    GRANT INSERT, UPDATE ON series TO cati_admin;
    GRANT UPDATE (status, closed_at, frozen_rule, frozen_suggestions) ON projects
      TO cati_supervisor;
    GRANT USAGE ON SEQUENCE series_id_seq TO cati_admin;
  END IF;
END $$""",
        "DROP TRIGGER IF EXISTS cati_audit_row ON series",
        "CREATE TRIGGER cati_audit_row AFTER INSERT OR UPDATE OR DELETE ON series "
        "FOR EACH ROW EXECUTE FUNCTION cati_audit_row()"]
    for table in _GUARDED:
        operations = "UPDATE OR DELETE" if table == "cases" else "INSERT OR UPDATE OR DELETE"
        statements += [
            f"DROP TRIGGER IF EXISTS cati_wave_guard ON {table}",
            f"CREATE TRIGGER cati_wave_guard BEFORE {operations} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cati_wave_guard()"]
    statements += [
        "DROP TRIGGER IF EXISTS cati_wave_keep_closed ON projects",
        "CREATE TRIGGER cati_wave_keep_closed BEFORE UPDATE ON projects "
        "FOR EACH ROW EXECUTE FUNCTION cati_wave_keep_closed()"]
    return statements


def postgresql_drops() -> list[str]:
    return ([f"DROP TRIGGER IF EXISTS cati_wave_guard ON {table}" for table in _GUARDED]
            + ["DROP TRIGGER IF EXISTS cati_wave_keep_closed ON projects",
               "DROP TRIGGER IF EXISTS cati_audit_row ON series",
               "DROP FUNCTION IF EXISTS cati_wave_guard()",
               "DROP FUNCTION IF EXISTS cati_wave_keep_closed()",
               "DROP FUNCTION IF EXISTS cati_wave_check(text, jsonb)"])


def _sqlite_condition(table: str, row: str) -> str:
    if table == "interviews":
        status = f"(SELECT status FROM projects WHERE id = {row}.project_id)"
        return f"{status} = 'closed' OR ({status} = 'paused' AND {row}.mode = 'web')"
    if table == "cases":
        return f"(SELECT status FROM projects WHERE id = {row}.project_id) = 'closed'"
    if table in _BY_CASE:
        return (f"(SELECT p.status FROM cases c JOIN projects p ON p.id = c.project_id "
                f"WHERE c.id = {row}.case_id) = 'closed'")
    return (f"EXISTS (SELECT 1 FROM interviews i JOIN projects p ON p.id = i.project_id "
            f"WHERE i.id = {row}.interview_id AND (p.status = 'closed' "
            f"OR (p.status = 'paused' AND i.mode = 'web')))")


def sqlite_statements() -> list[str]:
    statements = []
    words = f"{CLOSED_WORDS} / {PAUSED_WORDS}"
    for table in _GUARDED:
        for operation, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")),
                                ("DELETE", ("OLD",))):
            if table == "cases" and operation == "INSERT":
                continue
            when = " OR ".join(f"({_sqlite_condition(table, row)})" for row in rows)
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS cati_wave_guard_{table}_{operation.lower()} "
                f"BEFORE {operation} ON {table} FOR EACH ROW WHEN {when} "
                f"BEGIN SELECT RAISE(ABORT, '{words}'); END")
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN_COLUMNS)
    statements.append(
        "CREATE TRIGGER IF NOT EXISTS cati_wave_keep_closed BEFORE UPDATE ON projects "
        f"FOR EACH ROW WHEN OLD.status = 'closed' AND ({changed}) "
        f"BEGIN SELECT RAISE(ABORT, '{REOPEN_WORDS}'); END")
    return statements


def sqlite_drops() -> list[str]:
    return ([f"DROP TRIGGER IF EXISTS cati_wave_guard_{table}_{operation}"
             for table in _GUARDED for operation in ("insert", "update", "delete")]
            + ["DROP TRIGGER IF EXISTS cati_wave_keep_closed"])

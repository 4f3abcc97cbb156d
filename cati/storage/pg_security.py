"""PostgreSQL enforces who may do what: group roles, grants, row-level security, definer
functions and the append-only, hash-chained audit log.

The workstation is not trusted: whoever sits at it may open ``psql`` with its credentials. So on
PostgreSQL a cati account *is* a database login (SCRAM-SHA-256), member of exactly one group
role, and the database decides what that login may read and change:

``cati_interviewer``
    reads the questionnaires, projects and the queue's columns of the cases — never the phone
    numbers of the sample (column privileges); the phone of a case comes from
    ``cati_case_phone(case_id)``, only while the case's lease is held by *this login*
    (``cases.lease_login``, set by a trigger from ``session_user`` whenever a lease is taken or
    renewed — not from anything the workstation says). Updates the calling columns of a case it
    claims or holds (row-level security), writes call attempts, appointments, its presence, and
    interviews and answers it holds (its own interviews while they are in progress). Reads no
    password material, no web signing key, only its own audit entries; writes no accounts,
    roles, quotas, dispositions, projects, settings or do-not-call entries.
``cati_supervisor`` (member of ``cati_interviewer``)
    the sample with its phones, imports, quotas, appointments, dispositions, do-not-call,
    suggestions (with the contact name and phone of an opinion taken in by hand: interviewers
    and the web read the other columns only), responsible units and routing rules, web links
    and invitations, project settings and status, corrections of closed
    interviews, the whole audit log.
``cati_admin`` (member of ``cati_supervisor``)
    accounts, through the definer functions ``cati_add_user`` and ``cati_set_user`` (the only
    way to change ``users`` or a login), and projects.
``cati_web``
    what the web pages need: projects, questionnaires, web links and their key, web interviews
    and their answers, the calling columns of an invited case; no phones, accounts or audit.

The numbers web, QR and field respondents leave for a call-back (``contact_phones``) are guarded
like the sample's: supervisors read them; an interviewer's login (its own open interview) and the
web's (an open web interview) write them and see only which interview has one
(CONTACT_PHONE_STATEMENTS, applied by migration 0015).

The owner of the database (who runs ``cati db upgrade``; superusers too) is trusted with
everything. ``apply_statements`` is idempotent: a later migration that adds a table calls it
again. The group roles are server-wide (PostgreSQL roles are), created when missing; the owner
needs CREATEROLE to create them and the people's logins.

The audit log: a trigger stamps every new entry with the login (``session_user``), the server's
``clock_timestamp()`` (``recorded_at``), its place in the chain (``chain_seq``, taken under an
advisory lock) and a SHA-256 over the previous entry's hash and its own fields; another trigger
refuses UPDATE, DELETE and TRUNCATE to everyone but the table's owner; a third logs every change
of accounts, quotas, do-not-call entries, dispositions, projects, imports and web links, whoever
makes it (``db_TABLE_OP``, see AUDITED_TABLES). ``cati audit verify``
recomputes the chain (cati.storage.audit_chain).
"""

from __future__ import annotations

GROUPS = ("cati_interviewer", "cati_supervisor", "cati_admin", "cati_web")
ROLE_GROUPS = {"interviewer": "cati_interviewer", "supervisor": "cati_supervisor",
               "admin": "cati_admin"}
PHONE_COLUMNS = ("phone_e164", "phone_raw")
# The calling columns an interviewer (and the web server) may change on a case.
CALLING_COLUMNS = ("state", "disposition", "attempts", "next_call_at", "lease_holder",
                   "lease_expires_at", "last_called_at")
USER_COLUMNS = ("id", "username", "display_name", "role", "active", "created_at",
                "credentials_changed_at")
AUDIT_LOCK = 7_403_412  # pg_advisory_xact_lock key of the audit chain

_OWNER_OF = ("(SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
             "AND tablename = {table!r})")


def _is_owner(table: str) -> str:
    return f"pg_has_role(session_user, {_OWNER_OF.format(table=table)}, 'MEMBER')"


_GROUP_ROLES = """
DO $$
DECLARE name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['cati_interviewer', 'cati_supervisor', 'cati_admin', 'cati_web']
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- another migration made it meanwhile
      END;
    END IF;
  END LOOP;
  IF NOT pg_has_role('cati_supervisor', 'cati_interviewer', 'MEMBER') THEN
    GRANT cati_interviewer TO cati_supervisor;
  END IF;
  IF NOT pg_has_role('cati_admin', 'cati_supervisor', 'MEMBER') THEN
    GRANT cati_supervisor TO cati_admin;
  END IF;
END $$
"""

_FUNCTIONS = [
    # The users.id of the login (NULL for the owner and other non-accounts).
    """
CREATE OR REPLACE FUNCTION cati_user_id() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT id FROM users WHERE username = session_user
$$""",
    f"""
CREATE OR REPLACE FUNCTION cati_is_admin() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT pg_has_role(session_user, 'cati_admin', 'MEMBER') OR {_is_owner('users')}
$$""",
    # The phone of one case: supervisors and the owner always, an interviewer only while this
    # login holds the case's lease.
    f"""
CREATE OR REPLACE FUNCTION cati_case_phone(p_case bigint)
RETURNS TABLE (phone_e164 text, phone_raw text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT c.phone_e164::text, c.phone_raw::text FROM cases c
  WHERE c.id = p_case
    AND (pg_has_role(session_user, 'cati_supervisor', 'MEMBER') OR {_is_owner('cases')}
         OR (c.lease_login = session_user AND c.lease_expires_at > now()))
$$""",
    # Who holds a lease is the login that took it, whatever the workstation calls itself.
    """
CREATE OR REPLACE FUNCTION cati_case_lease() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.lease_holder IS NULL THEN
    NEW.lease_login := NULL;
  ELSIF NEW.lease_holder IS DISTINCT FROM OLD.lease_holder
        OR NEW.lease_expires_at IS DISTINCT FROM OLD.lease_expires_at THEN
    NEW.lease_login := session_user;
  END IF;
  RETURN NEW;
END $$""",
    # The audit chain's hash of one entry (also what cati audit verify recomputes).
    """
CREATE OR REPLACE FUNCTION cati_audit_hash(p_prev text, p_seq bigint, p_recorded timestamptz,
    p_actor text, p_user integer, p_action text, p_details jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws('|', coalesce(p_prev, ''), p_seq::text,
      (extract(epoch FROM p_recorded) * 1000000)::bigint::text, coalesce(p_actor, ''),
      coalesce(p_user::text, ''), p_action, coalesce(p_details::text, 'null')), 'UTF8')), 'hex')
$$""",
    f"""
CREATE OR REPLACE FUNCTION cati_audit_stamp() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock({AUDIT_LOCK});
  SELECT chain_seq, hash INTO last_seq, last_hash FROM audit_log
    WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1;
  NEW.actor := session_user;
  NEW.recorded_at := clock_timestamp();
  NEW.chain_seq := coalesce(last_seq, 0) + 1;
  NEW.prev_hash := coalesce(last_hash, '');
  NEW.hash := cati_audit_hash(NEW.prev_hash, NEW.chain_seq, NEW.recorded_at, NEW.actor,
                              NEW.user_id, NEW.action, NEW.details);
  RETURN NEW;
END $$""",
    f"""
CREATE OR REPLACE FUNCTION cati_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT {_is_owner('audit_log')} THEN
    RAISE EXCEPTION 'the audit log is append-only: % refused (审计日志只能追加)', TG_OP
      USING ERRCODE = '42501';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$""",
    # A person's login belongs to this database: it is tagged with the database's name and oid
    # (a database made again under the same name is another one) and may connect to it alone
    # (the groups are server-wide; CONNECT is granted per login, never to a group).
    """
CREATE OR REPLACE FUNCTION cati_own_login(p_login text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COMMENT ON ROLE %I IS %L', p_login, 'cati:' || current_database() || ':'
                 || (SELECT oid FROM pg_database WHERE datname = current_database()));
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), p_login);
END $$""",
    # A password reaches the server only as a SCRAM-SHA-256 verifier made on the client.
    """
CREATE OR REPLACE FUNCTION cati_require_verifier(p_verifier text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF p_verifier IS NULL OR p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
    RAISE EXCEPTION 'the password must be given as a SCRAM-SHA-256 verifier'
      USING ERRCODE = '22023';
  END IF;
END $$""",
    # An account: a login role in its group, and its users row. Admins and the owner only; the
    # password arrives as a SCRAM-SHA-256 verifier made on the client, never as plain text.
    """
CREATE OR REPLACE FUNCTION cati_add_user(p_username text, p_role text, p_display text,
    p_verifier text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  made integer;
  owner_tag text;
  group_name text;
BEGIN
  IF NOT cati_is_admin() THEN
    RAISE EXCEPTION 'only an admin can add accounts (仅管理员可以添加账户)' USING ERRCODE = '42501';
  END IF;
  IF p_role NOT IN ('interviewer', 'supervisor', 'admin') THEN
    RAISE EXCEPTION 'role must be one of interviewer, supervisor, admin, not ''%''', p_role
      USING ERRCODE = '22023';
  END IF;
  PERFORM cati_require_verifier(p_verifier);
  IF EXISTS (SELECT 1 FROM users WHERE username = p_username) THEN
    RAISE EXCEPTION 'user ''%'' already exists', p_username USING ERRCODE = '23505';
  END IF;
  SELECT shobj_description(oid, 'pg_authid') INTO owner_tag FROM pg_roles
    WHERE rolname = p_username;
  IF FOUND THEN
    -- A login of a cati database that no longer exists (dropped, made again) is taken over;
    -- any other login of that name is someone else's.
    IF owner_tag IS NULL OR owner_tag NOT LIKE 'cati:%' OR EXISTS (
        SELECT 1 FROM pg_database WHERE 'cati:' || datname || ':' || oid = owner_tag) THEN
      RAISE EXCEPTION 'a database login named ''%'' exists on this server already '
        '(服务器上已有同名数据库登录)', p_username USING ERRCODE = '23505';
    END IF;
    FOREACH group_name IN ARRAY ARRAY['cati_interviewer', 'cati_supervisor', 'cati_admin']
    LOOP
      IF pg_has_role(p_username, group_name, 'MEMBER') THEN
        EXECUTE format('REVOKE %I FROM %I', group_name, p_username);
      END IF;
    END LOOP;
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', p_username, p_verifier);
    EXECUTE format('GRANT %I TO %I', 'cati_' || p_role, p_username);
  ELSE
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I', p_username, p_verifier,
                   'cati_' || p_role);
  END IF;
  PERFORM cati_own_login(p_username);
  INSERT INTO users (username, display_name, role, password_hash, active, created_at)
    VALUES (p_username, coalesce(nullif(p_display, ''), p_username), p_role, '', true,
            clock_timestamp())
    RETURNING id INTO made;
  RETURN made;
END $$""",
    # Role, active and password of an account (NULL: unchanged). Admins and the owner only;
    # a new password makes the account's other sessions log in again (credentials_changed_at;
    # a changed role or active flag does too, cati.services.users.check_session).
    """
CREATE OR REPLACE FUNCTION cati_set_user(p_user integer, p_role text, p_active boolean,
    p_verifier text) RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  target users%ROWTYPE;
  stamp timestamptz := clock_timestamp();
BEGIN
  IF NOT cati_is_admin() THEN
    RAISE EXCEPTION 'only an admin can manage users (仅管理员可以管理用户)' USING ERRCODE = '42501';
  END IF;
  SELECT * INTO target FROM users WHERE id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no user %', p_user USING ERRCODE = '02000';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = target.username) THEN
    EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE %I', target.username, 'cati_' || target.role);
    PERFORM cati_own_login(target.username);
  END IF;
  IF p_role IS NOT NULL AND p_role IS DISTINCT FROM target.role THEN
    IF p_role NOT IN ('interviewer', 'supervisor', 'admin') THEN
      RAISE EXCEPTION 'role must be one of interviewer, supervisor, admin, not ''%''', p_role
        USING ERRCODE = '22023';
    END IF;
    EXECUTE format('REVOKE %I FROM %I', 'cati_' || target.role, target.username);
    EXECUTE format('GRANT %I TO %I', 'cati_' || p_role, target.username);
    UPDATE users SET role = p_role WHERE id = p_user;
  END IF;
  IF p_verifier IS NOT NULL THEN
    PERFORM cati_require_verifier(p_verifier);
    EXECUTE format('ALTER ROLE %I PASSWORD %L', target.username, p_verifier);
    UPDATE users SET credentials_changed_at = stamp WHERE id = p_user;
  END IF;
  IF p_active IS NOT NULL AND p_active IS DISTINCT FROM target.active THEN
    UPDATE users SET active = p_active WHERE id = p_user;
  END IF;
  IF p_active IS NOT NULL OR p_verifier IS NOT NULL THEN
    EXECUTE format('ALTER ROLE %I %s', target.username,
                   CASE WHEN coalesce(p_active, target.active) THEN 'LOGIN' ELSE 'NOLOGIN' END);
  END IF;
  RETURN stamp;
END $$""",
    # The login's own password (any account): the client checked the old one by logging in.
    """
CREATE OR REPLACE FUNCTION cati_change_own_password(p_verifier text) RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  stamp timestamptz := clock_timestamp();
BEGIN
  PERFORM cati_require_verifier(p_verifier);
  UPDATE users SET credentials_changed_at = stamp WHERE username = session_user AND active;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'this login is no active cati account' USING ERRCODE = '42501';
  END IF;
  EXECUTE format('ALTER ROLE %I PASSWORD %L', session_user, p_verifier);
  RETURN stamp;
END $$""",
]

# Changes to what decides who is called and who may do what are logged by the database itself,
# whichever way a person's login makes them (the app, the command line, psql): action
# db_TABLE_insert|update|delete, details {id, old, new} (an update: only the columns that
# changed). The owner's own changes are not: it is trusted with the log itself.
AUDITED_TABLES = ("users", "quotas", "dnc", "dispositions", "projects", "sample_batches",
                  "web_links")
_FUNCTIONS.append(f"""
CREATE OR REPLACE FUNCTION cati_audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
  new_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
  row_id jsonb := coalesce(new_row -> 'id', old_row -> 'id');
  changed jsonb;
BEGIN
  IF {_is_owner('audit_log')} THEN
    RETURN NULL;  -- the owner (migrations, set-up) is trusted with the log itself
  END IF;
  old_row := old_row - 'password_hash' - 'workbook';
  new_row := new_row - 'password_hash' - 'workbook';
  IF TG_OP = 'UPDATE' THEN
    SELECT jsonb_object_agg(key, value) INTO changed FROM jsonb_each(new_row)
      WHERE old_row -> key IS DISTINCT FROM value;
    IF changed IS NULL THEN
      RETURN NULL;
    END IF;
    SELECT jsonb_object_agg(key, old_row -> key) INTO old_row FROM jsonb_each(changed);
    new_row := changed;
  END IF;
  INSERT INTO audit_log (user_id, at, action, details)
    VALUES (cati_user_id(), clock_timestamp(), 'db_' || TG_TABLE_NAME || '_' || lower(TG_OP),
            jsonb_strip_nulls(jsonb_build_object('id', row_id, 'old', old_row, 'new', new_row)));
  RETURN NULL;
END $$""")

_TRIGGERS = [
    "DROP TRIGGER IF EXISTS cati_case_lease ON cases",
    "CREATE TRIGGER cati_case_lease BEFORE UPDATE OF lease_holder, lease_expires_at ON cases "
    "FOR EACH ROW EXECUTE FUNCTION cati_case_lease()",
    "DROP TRIGGER IF EXISTS cati_audit_stamp ON audit_log",
    "CREATE TRIGGER cati_audit_stamp BEFORE INSERT ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION cati_audit_stamp()",
    "DROP TRIGGER IF EXISTS cati_audit_no_change ON audit_log",
    "CREATE TRIGGER cati_audit_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION cati_audit_append_only()",
    "DROP TRIGGER IF EXISTS cati_audit_no_truncate ON audit_log",
    "CREATE TRIGGER cati_audit_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION cati_audit_append_only()",
]
for _table in AUDITED_TABLES:
    _TRIGGERS += [f"DROP TRIGGER IF EXISTS cati_audit_row ON {_table}",
                  f"CREATE TRIGGER cati_audit_row AFTER INSERT OR UPDATE OR DELETE ON {_table} "
                  "FOR EACH ROW EXECUTE FUNCTION cati_audit_row()"]

_ALL_TABLES = ("users", "questionnaires", "projects", "sample_batches", "cases",
               "call_attempts", "appointments", "interviews", "answers", "answer_events",
               "dispositions", "dnc", "quotas", "suggestions", "presence", "web_keys",
               "web_links", "web_interviews", "audit_log", "alembic_version")
_GROUP_LIST = ", ".join(GROUPS)

# (policy, table, command, roles, USING, WITH CHECK)
_MINE = "cati_user_id()"
_HELD_CASES = "(SELECT id FROM cases WHERE lease_login = session_user)"
_OPEN_OWN_INTERVIEWS = (f"(SELECT id FROM interviews WHERE interviewer_id = {_MINE} "
                        "AND state = 'in_progress')")
_OPEN_WEB_INTERVIEWS = "(SELECT id FROM interviews WHERE mode = 'web' AND state = 'in_progress')"
_POLICIES = [
    ("cati_read", "cases", "SELECT", "cati_interviewer, cati_web", "true", None),
    ("cati_supervise", "cases", "ALL", "cati_supervisor", "true", "true"),
    ("cati_lease", "cases", "UPDATE", "cati_interviewer",
     "lease_login IS NULL OR lease_login = session_user OR lease_expires_at < now()",
     "lease_holder IS NULL OR lease_login = session_user"),
    ("cati_web_case", "cases", "UPDATE", "cati_web", "true", "true"),
    ("cati_read", "interviews", "SELECT", "cati_interviewer, cati_web", "true", None),
    ("cati_supervise", "interviews", "ALL", "cati_supervisor", "true", "true"),
    ("cati_own_insert", "interviews", "INSERT", "cati_interviewer", None,
     f"interviewer_id = {_MINE} AND (case_id IS NULL OR case_id IN {_HELD_CASES})"),
    ("cati_own_update", "interviews", "UPDATE", "cati_interviewer",
     f"interviewer_id = {_MINE} OR case_id IN {_HELD_CASES}", f"interviewer_id = {_MINE}"),
    ("cati_web_interview", "interviews", "ALL", "cati_web", "mode = 'web'", "mode = 'web'"),
]
for _table in ("answers", "answer_events"):
    _POLICIES += [
        ("cati_read", _table, "SELECT", "cati_interviewer, cati_web", "true", None),
        ("cati_supervise", _table, "ALL", "cati_supervisor", "true", "true"),
        ("cati_own", _table, "ALL", "cati_interviewer", f"interview_id IN {_OPEN_OWN_INTERVIEWS}",
         f"interview_id IN {_OPEN_OWN_INTERVIEWS}"),
        ("cati_web", _table, "ALL", "cati_web", f"interview_id IN {_OPEN_WEB_INTERVIEWS}",
         f"interview_id IN {_OPEN_WEB_INTERVIEWS}"),
    ]
_POLICIES += [
    ("cati_supervise", "audit_log", "SELECT", "cati_supervisor", "true", None),
    ("cati_own", "audit_log", "SELECT", "cati_interviewer", "actor = session_user", None),
    ("cati_write", "audit_log", "INSERT", "cati_interviewer, cati_web", None, "true"),
]
_POLICIES += [
    ("cati_supervise", "web_links", "ALL", "cati_supervisor", "true", "true"),
    ("cati_web", "web_links", "ALL", "cati_web", "true", "true"),
    # An interviewer hands the respondent of the case its login holds over to the web.
    ("cati_hand_over", "web_links", "ALL", "cati_interviewer",
     f"kind = 'invite' AND case_id IN {_HELD_CASES}",
     f"kind = 'invite' AND case_id IN {_HELD_CASES}"),
]
_RLS_TABLES = ("cases", "interviews", "answers", "answer_events", "audit_log", "web_links")


def _columns(names) -> str:
    return ", ".join(names)


def grant_statements(database: str, case_columns: list[str]) -> list[str]:
    """The database, schema, table and sequence privileges of the four groups."""
    quoted_db = '"' + database.replace('"', '""') + '"'
    readable_cases = [c for c in case_columns if c not in PHONE_COLUMNS]
    interviewer_reads = ("questionnaires", "projects", "sample_batches", "call_attempts",
                         "appointments", "interviews", "answers", "answer_events",
                         "dispositions", "quotas", "suggestions", "presence", "alembic_version")
    web_reads = ("questionnaires", "projects", "dispositions", "quotas", "interviews", "answers",
                 "answer_events", "web_keys", "web_links", "web_interviews", "suggestions",
                 "alembic_version")
    supervisor_writes = ("cases", "sample_batches", "call_attempts", "appointments",
                         "dispositions", "dnc", "quotas", "suggestions", "web_links",
                         "web_interviews", "interviews", "answers", "answer_events")
    return [
        f"REVOKE ALL ON DATABASE {quoted_db} FROM PUBLIC",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "GRANT USAGE ON SCHEMA public TO cati_interviewer, cati_web",
        f"REVOKE ALL ON {', '.join(_ALL_TABLES)} FROM PUBLIC, {_GROUP_LIST}",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO cati_interviewer, cati_web",
        # interviewers (and, by membership, supervisors and admins)
        f"GRANT SELECT ON {', '.join(interviewer_reads)} TO cati_interviewer",
        f"GRANT SELECT ({_columns(USER_COLUMNS)}) ON users TO cati_interviewer, cati_web",
        f"GRANT SELECT ({_columns(readable_cases)}) ON cases TO cati_interviewer, cati_web",
        f"GRANT UPDATE ({_columns(CALLING_COLUMNS)}) ON cases TO cati_interviewer, cati_web",
        "GRANT INSERT, UPDATE ON call_attempts, appointments, interviews, answers, "
        "answer_events TO cati_interviewer",
        "GRANT DELETE ON answers TO cati_interviewer",
        "GRANT INSERT, UPDATE, DELETE ON presence TO cati_interviewer",
        "GRANT SELECT, INSERT ON web_links TO cati_interviewer",
        "GRANT UPDATE (expires_at) ON web_links TO cati_interviewer",
        "GRANT SELECT, INSERT ON audit_log TO cati_interviewer, cati_web",
        # supervisors
        "GRANT SELECT ON cases, dnc, web_keys, web_links, web_interviews TO cati_supervisor",
        f"GRANT INSERT, UPDATE, DELETE ON {', '.join(supervisor_writes)} TO cati_supervisor",
        "GRANT INSERT ON web_keys TO cati_supervisor",
        "GRANT UPDATE (name, status, settings) ON projects TO cati_supervisor",
        # admins: accounts only through the definer functions; projects
        "GRANT SELECT ON users TO cati_admin",
        "GRANT UPDATE (display_name) ON users TO cati_admin",  # lets it lock rows (FOR UPDATE)
        "GRANT INSERT, UPDATE ON projects, questionnaires TO cati_admin",
        # the web pages
        f"GRANT SELECT ON {', '.join(web_reads)} TO cati_web",
        "GRANT INSERT ON web_keys, interviews, answers, answer_events, web_interviews, "
        "suggestions TO cati_web",
        "GRANT UPDATE ON interviews, answers, web_interviews TO cati_web",
        "GRANT UPDATE (used_at) ON web_links TO cati_web",
        "GRANT DELETE ON answers TO cati_web",
    ]


def _policy_statements() -> list[str]:
    statements = [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY" for table in _RLS_TABLES]
    for name, table, command, roles, using, check in _POLICIES:
        statements.append(f"DROP POLICY IF EXISTS {name} ON {table}")
        clause = f"CREATE POLICY {name} ON {table} FOR {command} TO {roles}"
        if using is not None:
            clause += f" USING ({using})"
        if check is not None:
            clause += f" WITH CHECK ({check})"
        statements.append(clause)
    return statements


# contact_phones (migration 0015): the number a web, QR or field respondent left for a call-back.
# Like a case's phone: supervisors read it; an interviewer (its own open field interview) and the
# web pages (an open web interview) write it and see only which interview has one.
CONTACT_PHONE_STATEMENTS = [
    "REVOKE ALL ON contact_phones FROM PUBLIC",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON contact_phones TO cati_supervisor",
    "GRANT SELECT (interview_id, question), INSERT, DELETE ON contact_phones "
    "TO cati_interviewer, cati_web",
    "ALTER TABLE contact_phones ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS cati_supervise ON contact_phones",
    "CREATE POLICY cati_supervise ON contact_phones FOR ALL TO cati_supervisor "
    "USING (true) WITH CHECK (true)",
    "DROP POLICY IF EXISTS cati_own ON contact_phones",
    f"CREATE POLICY cati_own ON contact_phones FOR ALL TO cati_interviewer "
    f"USING (interview_id IN {_OPEN_OWN_INTERVIEWS}) "
    f"WITH CHECK (interview_id IN {_OPEN_OWN_INTERVIEWS})",
    "DROP POLICY IF EXISTS cati_web ON contact_phones",
    f"CREATE POLICY cati_web ON contact_phones FOR ALL TO cati_web "
    f"USING (interview_id IN {_OPEN_WEB_INTERVIEWS}) "
    f"WITH CHECK (interview_id IN {_OPEN_WEB_INTERVIEWS})",
]


# Quota cells with a condition (migration 0017): supervisors set them (and their case stamps);
# an interviewer's login (the web's) records the cells of an interview it has just completed
# and nothing else; everyone who claims reads the stamps and the counts.
_COMPLETED_OWN = (f"(SELECT id FROM interviews WHERE interviewer_id = {_MINE} "
                  "AND state = 'complete')")
_COMPLETED_WEB = "(SELECT id FROM interviews WHERE mode = 'web' AND state = 'complete')"
QUOTA_CELL_STATEMENTS = [
    "REVOKE ALL ON quota_members, case_quota_cells FROM PUBLIC",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON quota_members, case_quota_cells "
    "TO cati_supervisor",
    "GRANT SELECT ON quota_members, case_quota_cells TO cati_interviewer, cati_web",
    "GRANT INSERT ON quota_members TO cati_interviewer, cati_web",
    "ALTER TABLE quota_members ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS cati_read ON quota_members",
    "CREATE POLICY cati_read ON quota_members FOR SELECT TO cati_interviewer, cati_web "
    "USING (true)",
    "DROP POLICY IF EXISTS cati_supervise ON quota_members",
    "CREATE POLICY cati_supervise ON quota_members FOR ALL TO cati_supervisor "
    "USING (true) WITH CHECK (true)",
    "DROP POLICY IF EXISTS cati_own ON quota_members",
    f"CREATE POLICY cati_own ON quota_members FOR INSERT TO cati_interviewer "
    f"WITH CHECK (interview_id IN {_COMPLETED_OWN})",
    "DROP POLICY IF EXISTS cati_web ON quota_members",
    f"CREATE POLICY cati_web ON quota_members FOR INSERT TO cati_web "
    f"WITH CHECK (interview_id IN {_COMPLETED_WEB})",
]


_FUNCTION_SIGNATURES = {
    "cati_user_id()": "cati_interviewer, cati_web",
    "cati_is_admin()": "cati_interviewer",
    "cati_case_phone(bigint)": "cati_interviewer",
    "cati_add_user(text, text, text, text)": "cati_admin",
    "cati_set_user(integer, text, boolean, text)": "cati_admin",
    "cati_change_own_password(text)": "cati_interviewer",
}


def apply_statements(database: str, case_columns: list[str]) -> list[str]:
    """Everything, in order (run by the owner or a superuser, in one transaction)."""
    executes = []
    for signature, roles in _FUNCTION_SIGNATURES.items():
        executes += [f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC",
                     f"GRANT EXECUTE ON FUNCTION {signature} TO {roles}"]
    return ([_GROUP_ROLES, *_FUNCTIONS, *_TRIGGERS, *grant_statements(database, case_columns),
             *_policy_statements(), *executes])


# Who left an opinion by hotline, letter or box (cati.services.units.intake): read like the
# sample's phones, by supervisors only.
SUGGESTION_CONTACT_COLUMNS = ("contact_name", "contact_phone")
UNIT_TABLES = ("responsible_units", "routing_rules")


def units_statements(suggestion_columns: list[str]) -> list[str]:
    """Migration 0014: the units and routing tables are the supervisors' (changes logged by the
    database, like quotas); interviewers and the web read the suggestions without their
    contact columns (column privileges instead of the table)."""
    readable = [c for c in suggestion_columns if c not in SUGGESTION_CONTACT_COLUMNS]
    statements = [
        f"REVOKE ALL ON {', '.join(UNIT_TABLES)} FROM PUBLIC, {_GROUP_LIST}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(UNIT_TABLES)} TO cati_supervisor",
        "GRANT USAGE ON SEQUENCE responsible_units_id_seq, routing_rules_id_seq "
        "TO cati_supervisor",
        "REVOKE SELECT ON suggestions FROM cati_interviewer, cati_web",
        f"GRANT SELECT ({_columns(readable)}) ON suggestions TO cati_interviewer, cati_web",
        "GRANT SELECT ON suggestions TO cati_supervisor",
    ]
    for table in UNIT_TABLES:
        statements += [f"DROP TRIGGER IF EXISTS cati_audit_row ON {table}",
                       f"CREATE TRIGGER cati_audit_row AFTER INSERT OR UPDATE OR DELETE ON "
                       f"{table} FOR EACH ROW EXECUTE FUNCTION cati_audit_row()"]
    return statements


# backchecks (migration 0018): the back-check (复核) draw and its results. Supervisors draw (insert)
# and read; the results are written by the supervisor's session from the back-check cases'
# outcomes (cati.services.backcheck.settle), never by an interviewer's login, which has no
# privilege on the table at all: it only makes the calls, on the back-check project's cases,
# through the normal calling path. A supervisor may not create projects, so the back-check
# project of a first draw is made by a definer function that makes nothing else: a project coded
# p_code on a questionnaire whose form_id is 'backcheck', linked to its source project, once per
# source. A supervisor may store a questionnaire (the shipped back-check form) for it; only a
# project the function or an admin makes can use one.
BACKCHECK_STATEMENTS = [
    "REVOKE ALL ON backchecks FROM PUBLIC, cati_interviewer, cati_web",
    "GRANT SELECT, INSERT, UPDATE ON backchecks TO cati_supervisor",
    "GRANT USAGE ON SEQUENCE backchecks_id_seq TO cati_supervisor",
    "GRANT INSERT ON questionnaires TO cati_supervisor",
    """
CREATE OR REPLACE FUNCTION cati_backcheck_project(p_source integer, p_code text, p_name text,
    p_settings jsonb, p_questionnaire integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  made integer;
BEGIN
  IF NOT (pg_has_role(session_user, 'cati_supervisor', 'MEMBER')
          OR pg_has_role(session_user, (SELECT tableowner FROM pg_tables
                                        WHERE schemaname = 'public' AND tablename = 'projects'),
                         'MEMBER')) THEN
    RAISE EXCEPTION 'only a supervisor or an admin can draw back-checks (仅督导或管理员可以抽取复核)'
      USING ERRCODE = '42501';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM questionnaires WHERE id = p_questionnaire
                 AND form_id = 'backcheck') THEN
    RAISE EXCEPTION 'questionnaire % is not a back-check form', p_questionnaire
      USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM projects WHERE id = p_source)
     OR (p_settings -> 'backcheck_of' ->> 'project_id')::integer IS DISTINCT FROM p_source THEN
    RAISE EXCEPTION 'no source project %', p_source USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM projects
             WHERE (settings -> 'backcheck_of' ->> 'project_id')::integer = p_source) THEN
    RAISE EXCEPTION 'project % has a back-check project already', p_source
      USING ERRCODE = '23505';
  END IF;
  INSERT INTO projects (code, name, questionnaire_id, status, settings, created_at)
  VALUES (p_code, p_name, p_questionnaire, 'active', p_settings, now())
  RETURNING id INTO made;
  RETURN made;
END $$""",
    "REVOKE ALL ON FUNCTION cati_backcheck_project(integer, text, text, jsonb, integer) "
    "FROM PUBLIC",
    "GRANT EXECUTE ON FUNCTION cati_backcheck_project(integer, text, text, jsonb, integer) "
    "TO cati_supervisor",
]


# assignments (migration 0019): named interviewers on a project or a stratum. Supervisors manage
# them; interviewers read them (the claim serves assigned work to the assigned only, and says
# why the others get nothing) and change none; the database logs every change, like quotas.
ASSIGNMENT_STATEMENTS = [
    f"REVOKE ALL ON assignments FROM PUBLIC, {_GROUP_LIST}",
    "GRANT SELECT ON assignments TO cati_interviewer",
    "GRANT INSERT, UPDATE, DELETE ON assignments TO cati_supervisor",
    "GRANT USAGE ON SEQUENCE assignments_id_seq TO cati_supervisor",
    "DROP TRIGGER IF EXISTS cati_audit_row ON assignments",
    "CREATE TRIGGER cati_audit_row AFTER INSERT OR UPDATE OR DELETE ON assignments "
    "FOR EACH ROW EXECUTE FUNCTION cati_audit_row()",
]


# recordings (migration 0020): one file per call (cati.services.recordings). Like a case's
# phone, supervisors read them (the quality-control listening); an interviewer's login inserts
# the recording of an attempt of its own and sees of it only that it exists (id, attempt_id:
# what an INSERT ... RETURNING needs), never a path; it changes and deletes nothing. The web's
# login has no privilege. The database logs every change.
_OWN_ATTEMPTS = f"(SELECT id FROM call_attempts WHERE interviewer_id = {_MINE})"
RECORDING_STATEMENTS = [
    f"REVOKE ALL ON recordings FROM PUBLIC, {_GROUP_LIST}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON recordings TO cati_supervisor",
    "GRANT SELECT (id, attempt_id), INSERT ON recordings TO cati_interviewer",
    "GRANT USAGE ON SEQUENCE recordings_id_seq TO cati_interviewer",
    "ALTER TABLE recordings ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS cati_supervise ON recordings",
    "CREATE POLICY cati_supervise ON recordings FOR ALL TO cati_supervisor "
    "USING (true) WITH CHECK (true)",
    "DROP POLICY IF EXISTS cati_own_read ON recordings",
    f"CREATE POLICY cati_own_read ON recordings FOR SELECT TO cati_interviewer "
    f"USING (attempt_id IN {_OWN_ATTEMPTS})",
    "DROP POLICY IF EXISTS cati_own_insert ON recordings",
    f"CREATE POLICY cati_own_insert ON recordings FOR INSERT TO cati_interviewer "
    f"WITH CHECK (attempt_id IN {_OWN_ATTEMPTS})",
    "DROP TRIGGER IF EXISTS cati_audit_row ON recordings",
    "CREATE TRIGGER cati_audit_row AFTER INSERT OR UPDATE OR DELETE ON recordings "
    "FOR EACH ROW EXECUTE FUNCTION cati_audit_row()",
]


# qc_reviews (migration 0021): quality control by listening (录音抽查, cati.services.qc). The
# supervisors draw, score and read; an interviewer's login has no privilege on the table at all
# (an interviewer must not see which of their interviews are listened to, nor the scores before
# a supervisor talks them through), nor has the web's. The database logs every change.
QC_REVIEW_STATEMENTS = [
    f"REVOKE ALL ON qc_reviews FROM PUBLIC, {_GROUP_LIST}",
    "GRANT SELECT, INSERT, UPDATE ON qc_reviews TO cati_supervisor",
    "GRANT USAGE ON SEQUENCE qc_reviews_id_seq TO cati_supervisor",
    "DROP TRIGGER IF EXISTS cati_audit_row ON qc_reviews",
    "CREATE TRIGGER cati_audit_row AFTER INSERT OR UPDATE OR DELETE ON qc_reviews "
    "FOR EACH ROW EXECUTE FUNCTION cati_audit_row()",
]


# questionnaire_files (migration 0023): the data files stored with a questionnaire version
# (choices from a file, pulldata(), instance()). Read like the questionnaire by everyone who
# runs interviews (interviewers, the web); inserted with the questionnaire by supervisors and
# admins; never changed or deleted, so an interview resumed anywhere reads the same data.
QUESTIONNAIRE_FILE_STATEMENTS = [
    f"REVOKE ALL ON questionnaire_files FROM PUBLIC, {_GROUP_LIST}",
    "GRANT SELECT ON questionnaire_files TO cati_interviewer, cati_web",
    "GRANT INSERT ON questionnaire_files TO cati_supervisor",
    "GRANT USAGE ON SEQUENCE questionnaire_files_id_seq TO cati_supervisor",
]


def migrate_grants(op, statements, tables: str, roles: tuple[str, ...] = (
        "cati_interviewer", "cati_supervisor", "cati_web")) -> None:
    """A migration's grants for its new tables: the statements when the database already has
    cati's roles (``cati db secure`` ran), otherwise only ``REVOKE ALL … FROM PUBLIC`` on
    ``tables`` (the roles' grants then come with ``cati db secure``). No-op off PostgreSQL."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    present = bind.execute(text("SELECT count(*) FROM pg_roles WHERE rolname = ANY(:roles)"),
                           {"roles": list(roles)}).scalar()
    if present == len(roles):
        for statement in statements:
            op.execute(statement)
    else:
        op.execute(f"REVOKE ALL ON {tables} FROM PUBLIC")

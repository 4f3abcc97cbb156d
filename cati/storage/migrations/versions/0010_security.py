"""PostgreSQL enforces who may do what; the audit log is stamped by the store and hash-chained

Revision ID: 0010
Revises: 0009

Both backends: audit_log gains ``actor`` (the database login, or on SQLite the operating-system
account that owns the file), ``recorded_at`` (the store's clock), ``chain_seq``, ``prev_hash``
and ``hash``; existing entries are chained in id order (``actor`` empty, ``recorded_at`` their
``at``). cases gain ``lease_login``; web_links ``token_hash`` (personal invitations carry a random token,
stored hashed, so an interviewer's login makes one without the signing key). On PostgreSQL: the group roles, grants, row-level security,
definer functions and triggers of cati.storage.pg_security; password hashes leave ``users``
(PostgreSQL holds each login's SCRAM verifier) and every existing account gets a login role
that cannot log in until an admin sets its password (``cati users reset``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("actor", sa.String(128), nullable=False, server_default=""))
        batch.add_column(sa.Column("recorded_at", UtcDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    op.create_index("ix_audit_log_chain", "audit_log", ["chain_seq"], unique=True)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("lease_login", sa.String(128), nullable=True))
    with op.batch_alter_table("web_links") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(64), nullable=True))
    op.create_index("ix_web_links_token_hash", "web_links", ["token_hash"], unique=True)

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _postgresql(bind)
    else:
        from cati.storage.audit_chain import chain_existing_sqlite

        chain_existing_sqlite(bind)


def _postgresql(bind) -> None:
    from cati.storage.models import Case
    from cati.storage.pg_security import apply_statements

    database = bind.execute(sa.text("SELECT current_database()")).scalar_one()
    statements = apply_statements(database, [column.name for column in Case.__table__.columns])
    # Chain what is there before the triggers guard the table.
    op.execute("""
DO $$
DECLARE
  entry record;
  seq bigint := 0;
  last text := '';
BEGIN
  FOR entry IN SELECT id, at, user_id, action, details FROM audit_log ORDER BY id LOOP
    seq := seq + 1;
    UPDATE audit_log SET recorded_at = entry.at, chain_seq = seq, prev_hash = last,
      hash = encode(sha256(convert_to(concat_ws('|', last, seq::text,
        (extract(epoch FROM entry.at) * 1000000)::bigint::text, '',
        coalesce(entry.user_id::text, ''), entry.action,
        coalesce(entry.details::text, 'null')), 'UTF8')), 'hex')
      WHERE id = entry.id RETURNING hash INTO last;
  END LOOP;
END $$""")
    for statement in statements:
        op.execute(statement)
    # PostgreSQL holds the passwords now; each existing account gets its (not yet usable) login.
    op.execute("UPDATE users SET password_hash = ''")
    op.execute("""
DO $$
DECLARE
  account record;
BEGIN
  FOR account IN SELECT username, role FROM users LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = account.username) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE %I', account.username,
                     'cati_' || account.role);
      PERFORM cati_own_login(account.username);
    END IF;
  END LOOP;
END $$""")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in ("DROP TRIGGER IF EXISTS cati_audit_stamp ON audit_log",
                          "DROP TRIGGER IF EXISTS cati_audit_no_change ON audit_log",
                          "DROP TRIGGER IF EXISTS cati_audit_no_truncate ON audit_log",
                          "DROP TRIGGER IF EXISTS cati_case_lease ON cases"):
            op.execute(statement)
    op.drop_index("ix_web_links_token_hash", table_name="web_links")
    with op.batch_alter_table("web_links") as batch:
        batch.drop_column("token_hash")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("lease_login")
    op.drop_index("ix_audit_log_chain", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        for column in ("hash", "prev_hash", "chain_seq", "recorded_at", "actor"):
            batch.drop_column(column)

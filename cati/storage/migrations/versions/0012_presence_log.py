"""Pause reasons and the presence history: presence.reason, presence_log

Revision ID: 0012
Revises: 0011

A workstation's states over time (ready, paused and why, on a call, interviewing, offline) are
kept so that a supervisor sees each interviewer's hours and time in each state by day and shift.
On PostgreSQL interviewers write their own workstation's history; supervisors read it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId, UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("presence") as batch:
        batch.add_column(sa.Column("reason", sa.String(32), nullable=False,
                                   server_default=sa.text("''")))
    op.create_table(
        "presence_log",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("workstation", sa.String(128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("started_at", UtcDateTime, nullable=False),
        sa.Column("ended_at", UtcDateTime, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_presence_log_user_id_users")),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_presence_log_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presence_log")),
    )
    op.create_index("ix_presence_log_started", "presence_log", ["project_id", "started_at"])
    op.create_index("ix_presence_log_open", "presence_log", ["workstation", "ended_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("REVOKE ALL ON presence_log FROM PUBLIC")
        op.execute("""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cati_interviewer') THEN
    GRANT SELECT, INSERT, UPDATE ON presence_log TO cati_interviewer;
    GRANT USAGE ON SEQUENCE presence_log_id_seq TO cati_interviewer;
  END IF;
END $$""")


def downgrade() -> None:
    op.drop_table("presence_log")
    with op.batch_alter_table("presence") as batch:
        batch.drop_column("reason")

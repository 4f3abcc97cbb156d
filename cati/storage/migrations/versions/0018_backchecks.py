"""Back-check calls (复核): backchecks

Revision ID: 0018
Revises: 0016

One row per completed interview drawn for a back-check call: its case in the back-check
project, who drew it and when, and the call's result (cati.services.backcheck). On PostgreSQL
supervisors draw and read; interviewers have no privilege on it (they only make the calls, on
the back-check project's cases); a supervisor's first draw creates the back-check project
through a definer function (cati.storage.pg_security.BACKCHECK_STATEMENTS).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId, JsonDoc, UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backchecks",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("interview_id", BigId, nullable=False),
        sa.Column("interviewer_id", sa.Integer, nullable=True),
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("drawn_at", UtcDateTime, nullable=False),
        sa.Column("drawn_by", sa.Integer, nullable=True),
        sa.Column("result", sa.String(16), nullable=True),
        sa.Column("details", JsonDoc, nullable=False),
        sa.Column("checked_at", UtcDateTime, nullable=True),
        sa.Column("check_interview_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_backchecks_project_id_projects")),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"],
                                name=op.f("fk_backchecks_interview_id_interviews")),
        sa.ForeignKeyConstraint(["interviewer_id"], ["users.id"],
                                name=op.f("fk_backchecks_interviewer_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_backchecks_case_id_cases")),
        sa.ForeignKeyConstraint(["drawn_by"], ["users.id"],
                                name=op.f("fk_backchecks_drawn_by_users")),
        sa.ForeignKeyConstraint(["check_interview_id"], ["interviews.id"],
                                name=op.f("fk_backchecks_check_interview_id_interviews")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backchecks")),
        sa.UniqueConstraint("interview_id", name=op.f("uq_backchecks_interview_id")),
        sa.UniqueConstraint("case_id", name=op.f("uq_backchecks_case_id")),
    )
    op.create_index(op.f("ix_backchecks_project_id"), "backchecks", ["project_id"])
    op.create_index(op.f("ix_backchecks_interviewer_id"), "backchecks", ["interviewer_id"])
    from cati.storage.pg_security import BACKCHECK_STATEMENTS, migrate_grants

    migrate_grants(op, BACKCHECK_STATEMENTS, "backchecks", roles=(
        "cati_interviewer", "cati_supervisor", "cati_admin", "cati_web"))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS cati_backcheck_project(integer, text, text, jsonb, "
                   "integer)")
    op.drop_index(op.f("ix_backchecks_interviewer_id"), table_name="backchecks")
    op.drop_index(op.f("ix_backchecks_project_id"), table_name="backchecks")
    op.drop_table("backchecks")

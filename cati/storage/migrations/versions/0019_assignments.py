"""Named interviewers on a project or on a stratum: assignments

Revision ID: 0019
Revises: 0018

A centre puts named interviewers on a project (the experienced ones on the follow-up calls) or
on a stratum (the dialect speakers on a township); the claim serves assigned work to them only,
their strata first through ix_cases_claim_stratum (cati.services.assignments, cati.calling.queue). On PostgreSQL supervisors manage the table,
interviewers read it (their claim needs it) and the database logs every change
(cati.storage.pg_security.ASSIGNMENT_STATEMENTS).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import OPEN_STATES_SQL, QUEUE_RANK, UtcDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_assignments_project_id_projects")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_assignments_user_id_users")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"],
                                name=op.f("fk_assignments_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("project_id", "stratum", "user_id",
                            name="uq_assignments_project_stratum_user"),
    )
    # A named interviewer's strata come first: the claim walks this index within one stratum.
    op.create_index("ix_cases_claim_stratum", "cases",
                    ["project_id", "stratum", sa.text(QUEUE_RANK), sa.text("priority DESC"),
                     "next_call_at", "draw", "id"],
                    postgresql_where=sa.text(OPEN_STATES_SQL),
                    sqlite_where=sa.text(OPEN_STATES_SQL))
    from cati.storage.pg_security import ASSIGNMENT_STATEMENTS, migrate_grants

    migrate_grants(op, ASSIGNMENT_STATEMENTS, "assignments")


def downgrade() -> None:
    op.drop_index("ix_cases_claim_stratum", table_name="cases")
    op.drop_table("assignments")

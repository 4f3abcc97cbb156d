"""Quota cells with a condition: quota_members and case_quota_cells

Revision ID: 0017
Revises: 0016

A quota row with an ``expression`` is a cell defined by a condition over answers and sample
columns (cati.services.quotas). quota_members keeps which complete interviews count in which
cell (written at completion); case_quota_cells keeps which cases fall in a cell that reads only
sample columns (written when the cell is set and when cases are imported), so the claim skips
the cases of a full cell. On PostgreSQL their grants are
cati.storage.pg_security.QUOTA_CELL_STATEMENTS.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quota_members",
        sa.Column("quota_id", sa.Integer, nullable=False),
        sa.Column("interview_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(["quota_id"], ["quotas.id"], ondelete="CASCADE",
                                name=op.f("fk_quota_members_quota_id_quotas")),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"],
                                name=op.f("fk_quota_members_interview_id_interviews")),
        sa.PrimaryKeyConstraint("quota_id", "interview_id", name=op.f("pk_quota_members")),
    )
    op.create_index("ix_quota_members_interview", "quota_members", ["interview_id"])
    op.create_table(
        "case_quota_cells",
        sa.Column("case_id", BigId, nullable=False),
        sa.Column("quota_id", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_case_quota_cells_case_id_cases")),
        sa.ForeignKeyConstraint(["quota_id"], ["quotas.id"], ondelete="CASCADE",
                                name=op.f("fk_case_quota_cells_quota_id_quotas")),
        sa.PrimaryKeyConstraint("case_id", "quota_id", name=op.f("pk_case_quota_cells")),
    )
    op.create_index("ix_case_quota_cells_quota", "case_quota_cells", ["quota_id"])
    from cati.storage.pg_security import QUOTA_CELL_STATEMENTS, migrate_grants

    migrate_grants(op, QUOTA_CELL_STATEMENTS, "quota_members, case_quota_cells")


def downgrade() -> None:
    op.drop_table("case_quota_cells")
    op.drop_table("quota_members")

"""Workstation presence for the supervisor's live monitor

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("workstation", sa.String(128), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("since", UtcDateTime(timezone=True), nullable=False),
        sa.Column("case_id", BigId, nullable=True),
        sa.Column("seen_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_presence_user_id_users"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name="fk_presence_project_id_projects"),
        sa.PrimaryKeyConstraint("workstation", name="pk_presence"),
    )
    op.create_index("ix_presence_user_id", "presence", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_presence_user_id", table_name="presence")
    op.drop_table("presence")

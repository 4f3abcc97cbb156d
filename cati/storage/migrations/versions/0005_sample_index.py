"""An index for the supervisor's sample table in id order

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_project_id", "cases", ["project_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_cases_project_id", table_name="cases")

"""The monitor's indexes: a project's attempts without the cases, one pass over its cases

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_attempts") as batch:
        batch.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_call_attempts_project_id_projects", "projects",
                                 ["project_id"], ["id"])
    op.execute("UPDATE call_attempts SET project_id = "
               "(SELECT cases.project_id FROM cases WHERE cases.id = call_attempts.case_id)")
    op.create_index("ix_call_attempts_project_started", "call_attempts",
                    ["project_id", "started_at"])
    op.create_index("ix_cases_monitor", "cases",
                    ["project_id", "state", "disposition", "stratum", "attempts"])


def downgrade() -> None:
    op.drop_index("ix_cases_monitor", table_name="cases")
    op.drop_index("ix_call_attempts_project_started", table_name="call_attempts")
    with op.batch_alter_table("call_attempts") as batch:
        batch.drop_constraint("fk_call_attempts_project_id_projects", type_="foreignkey")
        batch.drop_column("project_id")

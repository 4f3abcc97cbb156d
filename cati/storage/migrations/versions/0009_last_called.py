"""When each case was last called; the monitor's figures read from indexes alone

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("last_called_at", UtcDateTime(timezone=True), nullable=True))
    op.execute("UPDATE cases SET last_called_at = (SELECT max(call_attempts.started_at) "
               "FROM call_attempts WHERE call_attempts.case_id = cases.id) "
               "WHERE cases.id IN (SELECT call_attempts.case_id FROM call_attempts)")
    op.create_index("ix_cases_called", "cases", ["project_id", "last_called_at", "disposition"])
    op.drop_index("ix_call_attempts_project_started", table_name="call_attempts")
    op.create_index("ix_call_attempts_project_started", "call_attempts",
                    ["project_id", "started_at", "interviewer_id", "disposition"])


def downgrade() -> None:
    op.drop_index("ix_call_attempts_project_started", table_name="call_attempts")
    op.create_index("ix_call_attempts_project_started", "call_attempts",
                    ["project_id", "started_at"])
    op.drop_index("ix_cases_called", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("last_called_at")

"""An index in queue order for claiming the next case

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import OPEN_STATES_SQL, QUEUE_RANK

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_claim", "cases",
        ["project_id", sa.text(QUEUE_RANK), sa.text("priority DESC"), "next_call_at", "id"],
        postgresql_where=sa.text(OPEN_STATES_SQL), sqlite_where=sa.text(OPEN_STATES_SQL))


def downgrade() -> None:
    op.drop_index("ix_cases_claim", table_name="cases")

"""Call-backs that tell the truth: the unit's reply and the follow-up call's outcome

Revision ID: 0013
Revises: 0012

``suggestions.reply`` (what the responsible unit did) and ``replied_at`` are what the call-back
interviewer reads to the resident; ``follow_up_outcome`` (solved | partly | not_solved |
unclear | unreachable | refused), ``follow_up_satisfaction`` (the handling_sat answer's
word) and ``followed_up_at`` are the call's result, kept as fields so that the report counts
real checks rather than parsing notes. The table's grants are unchanged (new columns of a
granted table).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suggestions") as batch:
        batch.add_column(sa.Column("reply", sa.Text(), nullable=False,
                                   server_default=sa.text("''")))
        batch.add_column(sa.Column("replied_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("follow_up_outcome", sa.String(16), nullable=True))
        batch.add_column(sa.Column("follow_up_satisfaction", sa.String(16), nullable=True))
        batch.add_column(sa.Column("followed_up_at", UtcDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suggestions") as batch:
        for column in ("followed_up_at", "follow_up_satisfaction", "follow_up_outcome",
                       "replied_at", "reply"):
            batch.drop_column(column)

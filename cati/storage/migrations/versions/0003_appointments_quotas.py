"""Appointments and quotas in the claim: random draw order, missed appointments, the
interview's stratum, and the indexes the claim walks

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import (
    FRESH_SQL,
    LEASED_SQL,
    OPEN_APPOINTMENT_SQL,
    OPEN_INTERVIEW_SQL,
    OPEN_STATES_SQL,
    QUEUE_RANK,
)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("draw", sa.Integer(), server_default=sa.text("0"),
                                     nullable=False))
    # Numbers already in the store get a scrambled order (a multiplicative hash of the id).
    op.execute("UPDATE cases SET draw = (id * 2654435761) % 2147483647")
    op.add_column("appointments", sa.Column("missed", sa.Boolean(),
                                            server_default=sa.text("false"), nullable=False))
    op.add_column("interviews", sa.Column("stratum", sa.String(128),
                                          server_default=sa.text("''"), nullable=False))
    op.drop_index("ix_cases_claim", table_name="cases")
    op.create_index(
        "ix_cases_claim", "cases",
        ["project_id", sa.text(QUEUE_RANK), sa.text("priority DESC"), "next_call_at", "draw",
         "id"],
        postgresql_where=sa.text(OPEN_STATES_SQL), sqlite_where=sa.text(OPEN_STATES_SQL))
    op.create_index("ix_cases_fresh", "cases",
                    ["project_id", "stratum", sa.text("priority DESC"), "draw", "id"],
                    postgresql_where=sa.text(FRESH_SQL), sqlite_where=sa.text(FRESH_SQL))
    op.create_index("ix_cases_lease_holder", "cases", ["lease_holder"],
                    postgresql_where=sa.text(LEASED_SQL), sqlite_where=sa.text(LEASED_SQL))
    op.create_index("ix_appointments_open", "appointments", ["window_start"],
                    postgresql_where=sa.text(OPEN_APPOINTMENT_SQL),
                    sqlite_where=sa.text(OPEN_APPOINTMENT_SQL))
    op.create_index("ix_interviews_quota", "interviews", ["project_id", "state", "stratum"])
    op.create_index("ix_interviews_open", "interviews", ["interviewer_id"],
                    postgresql_where=sa.text(OPEN_INTERVIEW_SQL),
                    sqlite_where=sa.text(OPEN_INTERVIEW_SQL))


def downgrade() -> None:
    for name, table in (("ix_interviews_open", "interviews"), ("ix_interviews_quota", "interviews"),
                        ("ix_appointments_open", "appointments"),
                        ("ix_cases_lease_holder", "cases"), ("ix_cases_fresh", "cases"),
                        ("ix_cases_claim", "cases")):
        op.drop_index(name, table_name=table)
    op.create_index(
        "ix_cases_claim", "cases",
        ["project_id", sa.text(QUEUE_RANK), sa.text("priority DESC"), "next_call_at", "id"],
        postgresql_where=sa.text(OPEN_STATES_SQL), sqlite_where=sa.text(OPEN_STATES_SQL))
    with op.batch_alter_table("interviews") as batch:
        batch.drop_column("stratum")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("missed")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("draw")

"""The softphone's view of each call, and one recording per call: telephony

Revision ID: 0020
Revises: 0019

A call dialled by the workstation's softphone (cati.telephony) leaves on its attempt the
machine-detected outcome, the final SIP status, the proposed disposition and the SIP times
(dial, ring, answer, hang-up); its recording file is a row of ``recordings`` (path, size,
duration, sha256), written by cati.services.recordings. Plain nullable columns (no table copy
on SQLite). On PostgreSQL recordings are the supervisors' to read, like phone numbers; an
interviewer's login inserts the recording of its own attempt only
(cati.storage.pg_security.RECORDING_STATEMENTS) and the database logs every change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId, UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ATTEMPT_COLUMNS = (
    ("machine_outcome", sa.String(16)),
    ("sip_status", sa.Integer()),
    ("proposed_disposition", sa.String(8)),
    ("dialled_at", UtcDateTime),
    ("rang_at", UtcDateTime),
    ("answered_at", UtcDateTime),
    ("hung_up_at", UtcDateTime),
)


def upgrade() -> None:
    for name, kind in _ATTEMPT_COLUMNS:
        op.add_column("call_attempts", sa.Column(name, kind, nullable=True))
    op.create_table(
        "recordings",
        sa.Column("id", BigId, nullable=False),
        sa.Column("attempt_id", BigId, nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["call_attempts.id"],
                                name=op.f("fk_recordings_attempt_id_call_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_recordings_attempt_id")),
    )
    from cati.storage.pg_security import RECORDING_STATEMENTS, migrate_grants

    migrate_grants(op, RECORDING_STATEMENTS, "recordings")


def downgrade() -> None:
    op.drop_table("recordings")
    for name, _ in reversed(_ATTEMPT_COLUMNS):
        op.drop_column("call_attempts", name)

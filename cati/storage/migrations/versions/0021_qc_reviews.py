"""Quality control by listening (录音抽查): qc_reviews

Revision ID: 0021
Revises: 0020

One row per completed interview drawn for listening: the interview, the attempt and recording
listened to, who drew it and when, and, once scored, who scored it, the scores per criterion
(JSON, 1–5 each), the note and the verdict (valid | invalid). Written by
cati.services.qc. On PostgreSQL the supervisors' table only: an interviewer's login and the
web's have no privilege on it (cati.storage.pg_security.QC_REVIEW_STATEMENTS); the database logs
every change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId, JsonDoc, UtcDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qc_reviews",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", sa.Integer, nullable=False),
        sa.Column("interview_id", BigId, nullable=False),
        sa.Column("interviewer_id", sa.Integer, nullable=True),
        sa.Column("attempt_id", BigId, nullable=False),
        sa.Column("recording_id", BigId, nullable=False),
        sa.Column("drawn_at", UtcDateTime, nullable=False),
        sa.Column("drawn_by", sa.Integer, nullable=True),
        sa.Column("scored_at", UtcDateTime, nullable=True),
        sa.Column("scored_by", sa.Integer, nullable=True),
        sa.Column("scores", JsonDoc, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("verdict", sa.String(8), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_qc_reviews_project_id_projects")),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"],
                                name=op.f("fk_qc_reviews_interview_id_interviews")),
        sa.ForeignKeyConstraint(["interviewer_id"], ["users.id"],
                                name=op.f("fk_qc_reviews_interviewer_id_users")),
        sa.ForeignKeyConstraint(["attempt_id"], ["call_attempts.id"],
                                name=op.f("fk_qc_reviews_attempt_id_call_attempts")),
        sa.ForeignKeyConstraint(["recording_id"], ["recordings.id"],
                                name=op.f("fk_qc_reviews_recording_id_recordings")),
        sa.ForeignKeyConstraint(["drawn_by"], ["users.id"],
                                name=op.f("fk_qc_reviews_drawn_by_users")),
        sa.ForeignKeyConstraint(["scored_by"], ["users.id"],
                                name=op.f("fk_qc_reviews_scored_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_reviews")),
        sa.UniqueConstraint("interview_id", name=op.f("uq_qc_reviews_interview_id")),
    )
    op.create_index(op.f("ix_qc_reviews_project_id"), "qc_reviews", ["project_id"])
    op.create_index(op.f("ix_qc_reviews_interviewer_id"), "qc_reviews", ["interviewer_id"])
    from cati.storage.pg_security import QC_REVIEW_STATEMENTS, migrate_grants

    migrate_grants(op, QC_REVIEW_STATEMENTS, "qc_reviews")


def downgrade() -> None:
    op.drop_index(op.f("ix_qc_reviews_interviewer_id"), table_name="qc_reviews")
    op.drop_index(op.f("ix_qc_reviews_project_id"), table_name="qc_reviews")
    op.drop_table("qc_reviews")

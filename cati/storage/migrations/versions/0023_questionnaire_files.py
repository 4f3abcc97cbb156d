"""Data files stored with a questionnaire version: questionnaire_files

Revision ID: 0023
Revises: 0021

One row per data file a form names (select_one_from_file, pulldata(), instance()): the exact
bytes read beside the form when the version was stored (cati.services.questionnaires). On
PostgreSQL supervisors and admins insert them with the questionnaire; interviewers and the web
read them, as they read the questionnaire; nobody changes or deletes one
(cati.storage.pg_security.QUESTIONNAIRE_FILE_STATEMENTS).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_files",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("questionnaire_id", sa.Integer, nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["questionnaire_id"], ["questionnaires.id"],
                                name=op.f("fk_questionnaire_files_questionnaire_id_questionnaires")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_files")),
        sa.UniqueConstraint("questionnaire_id", "file_name",
                            name=op.f("uq_questionnaire_files_questionnaire_id")),
    )
    op.create_index(op.f("ix_questionnaire_files_questionnaire_id"), "questionnaire_files",
                    ["questionnaire_id"])
    from cati.storage.pg_security import QUESTIONNAIRE_FILE_STATEMENTS, migrate_grants

    migrate_grants(op, QUESTIONNAIRE_FILE_STATEMENTS, "questionnaire_files")


def downgrade() -> None:
    op.drop_index(op.f("ix_questionnaire_files_questionnaire_id"),
                  table_name="questionnaire_files")
    op.drop_table("questionnaire_files")

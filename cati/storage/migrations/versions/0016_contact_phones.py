"""The phone a respondent leaves for a call-back off the phone: contact_phones

Revision ID: 0016
Revises: 0015

Web, QR and field respondents who agree to be called back may leave a number (the shipped
form's contact_phone). It is kept here, one per interview, and the answer keeps only a mask
(cati.services.contact_phones). On PostgreSQL it is protected like the sample's phones:
supervisors read it, interviewers and the web pages only write it
(cati.storage.pg_security.CONTACT_PHONE_STATEMENTS).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId, UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_phones",
        sa.Column("interview_id", BigId, nullable=False),
        sa.Column("question", sa.String(128), nullable=False),
        sa.Column("phone_e164", sa.String(20), nullable=True),
        sa.Column("phone_raw", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"],
                                name=op.f("fk_contact_phones_interview_id_interviews")),
        sa.PrimaryKeyConstraint("interview_id", name=op.f("pk_contact_phones")),
    )
    from cati.storage.pg_security import CONTACT_PHONE_STATEMENTS, migrate_grants

    migrate_grants(op, CONTACT_PHONE_STATEMENTS, "contact_phones")


def downgrade() -> None:
    op.drop_table("contact_phones")

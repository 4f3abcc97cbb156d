"""Web self-completion: the signing key, the links (collection points, personal invitations)
and the web interviews with the link and the browser they came from; interviews by start,
mode and state

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId, UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_keys"),
    )
    op.create_table(
        "web_links",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("point", sa.String(128), nullable=False),
        sa.Column("case_id", BigId, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name="fk_web_links_project_id_projects"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_web_links_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_web_links"),
    )
    op.create_index("ix_web_links_project_id", "web_links", ["project_id"])
    op.create_index("ix_web_links_case_id", "web_links", ["case_id"])
    op.create_table(
        "web_interviews",
        sa.Column("interview_id", BigId, nullable=False),
        sa.Column("link_id", BigId, nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["interview_id"], ["interviews.id"],
                                name="fk_web_interviews_interview_id_interviews"),
        sa.ForeignKeyConstraint(["link_id"], ["web_links.id"],
                                name="fk_web_interviews_link_id_web_links"),
        sa.PrimaryKeyConstraint("interview_id", name="pk_web_interviews"),
        sa.UniqueConstraint("browser_hash", name="uq_web_interviews_browser_hash"),
    )
    op.create_index("ix_web_interviews_link", "web_interviews", ["link_id", "completed_at"])
    op.create_index("ix_interviews_started", "interviews",
                    ["project_id", "started_at", "mode", "state"])


def downgrade() -> None:
    op.drop_index("ix_interviews_started", table_name="interviews")
    op.drop_index("ix_web_interviews_link", table_name="web_interviews")
    op.drop_table("web_interviews")
    op.drop_index("ix_web_links_case_id", table_name="web_links")
    op.drop_index("ix_web_links_project_id", table_name="web_links")
    op.drop_table("web_links")
    op.drop_table("web_keys")

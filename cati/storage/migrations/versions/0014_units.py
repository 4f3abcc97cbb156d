"""Units held to account: responsible units, routing rules, deadlines, intake of opinions

Revision ID: 0014
Revises: 0013

``responsible_units`` (per project for now; a series would be the better owner) and
``routing_rules`` (category × subcategory × township → unit). ``suggestions`` gains its own
``project_id`` (filled from its interview) and may have no interview (an opinion taken in from
the hotline, a letter, a suggestion box or a 110 record: ``channel``, ``received_at``,
``township``, ``contact_name``, ``contact_phone``, ``contact_consent``), a ``subcategory``,
and the unit's clock: ``assigned_at``, ``due_at``, ``resolved_at``.

On PostgreSQL the contact columns are read by supervisors only, like the sample's phones:
interviewers and the web keep column privileges on the other columns
(cati.storage.pg_security.units_statements).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "responsible_units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("township", sa.String(128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_responsible_units_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responsible_units")),
        sa.UniqueConstraint("project_id", "name", name="uq_responsible_units_name"),
    )
    op.create_index("ix_responsible_units_project_id", "responsible_units", ["project_id"])
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("subcategory", sa.String(64), nullable=False),
        sa.Column("township", sa.String(128), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_routing_rules_project_id_projects")),
        sa.ForeignKeyConstraint(["unit_id"], ["responsible_units.id"],
                                name=op.f("fk_routing_rules_unit_id_responsible_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("project_id", "category", "subcategory", "township",
                            name="uq_routing_rules_key"),
    )
    op.create_index("ix_routing_rules_project_id", "routing_rules", ["project_id"])
    with op.batch_alter_table("suggestions") as batch:
        batch.alter_column("interview_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("subcategory", sa.String(64), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(16), nullable=False,
                                   server_default=sa.text("''")))
        batch.add_column(sa.Column("received_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("township", sa.String(128), nullable=False,
                                   server_default=sa.text("''")))
        batch.add_column(sa.Column("contact_name", sa.String(128), nullable=False,
                                   server_default=sa.text("''")))
        batch.add_column(sa.Column("contact_phone", sa.String(20), nullable=True))
        batch.add_column(sa.Column("contact_consent", sa.Boolean(), nullable=False,
                                   server_default=sa.text("false")))
        batch.add_column(sa.Column("assigned_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("due_at", UtcDateTime, nullable=True))
        batch.add_column(sa.Column("resolved_at", UtcDateTime, nullable=True))
        batch.create_foreign_key("fk_suggestions_project_id_projects", "projects",
                                 ["project_id"], ["id"])
        batch.create_index("ix_suggestions_project_id", ["project_id"])
    op.execute("UPDATE suggestions SET project_id = (SELECT project_id FROM interviews "
               "WHERE interviews.id = suggestions.interview_id) WHERE project_id IS NULL")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        from cati.storage.models import Suggestion
        from cati.storage.pg_security import units_statements

        for statement in units_statements([c.name for c in Suggestion.__table__.columns]):
            op.execute(statement)


def downgrade() -> None:
    op.drop_table("routing_rules")
    op.drop_table("responsible_units")
    with op.batch_alter_table("suggestions") as batch:
        batch.drop_index("ix_suggestions_project_id")
        batch.drop_constraint("fk_suggestions_project_id_projects", type_="foreignkey")
        for column in ("resolved_at", "due_at", "assigned_at", "contact_consent",
                       "contact_phone", "contact_name", "township", "received_at", "channel",
                       "subcategory", "project_id"):
            batch.drop_column(column)

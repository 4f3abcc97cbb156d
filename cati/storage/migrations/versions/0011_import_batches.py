"""An import publishes its batch in short transactions: sample_batches.state, import_pending

Revision ID: 0011
Revises: 0010

A batch is ``importing`` while its cases are written to ``import_pending`` (seen by no query of
cases), ``publishing`` once the import is decided (its cases move into ``cases`` a bounded number
per transaction) and ``complete`` after. Every existing batch is complete. On PostgreSQL only
supervisors (and admins) may touch the pending rows: interviewers never see their phones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import BigId, JsonDoc

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sample_batches") as batch:
        batch.add_column(sa.Column("state", sa.String(16), nullable=False,
                                   server_default=sa.text("'complete'")))
    op.create_table(
        "import_pending",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("phone_e164", sa.String(20), nullable=False),
        sa.Column("phone_raw", sa.String(64), nullable=False),
        sa.Column("number_type", sa.String(24), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("carrier", sa.String(64), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("stratum", sa.String(128), nullable=False),
        sa.Column("attributes", JsonDoc, nullable=True),
        sa.Column("draw", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["sample_batches.id"],
                                name=op.f("fk_import_pending_batch_id_sample_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_pending")),
    )
    op.create_index("ix_import_pending_batch", "import_pending", ["batch_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("REVOKE ALL ON import_pending FROM PUBLIC")
        op.execute("""
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cati_supervisor') THEN
    GRANT SELECT, INSERT, DELETE ON import_pending TO cati_supervisor;
    GRANT USAGE ON SEQUENCE import_pending_id_seq TO cati_supervisor;
  END IF;
END $$""")


def downgrade() -> None:
    op.drop_index("ix_import_pending_batch", table_name="import_pending")
    op.drop_table("import_pending")
    with op.batch_alter_table("sample_batches") as batch:
        batch.drop_column("state")

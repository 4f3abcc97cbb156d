"""Survey series and their waves: series; projects.series_id, period, opened_at, closed_at,
frozen_rule, frozen_suggestions; web_links.series_id; closed waves frozen by the database

Revision ID: 0015
Revises: 0014

A series (e.g. 公众安全感月度测评) owns its index rule and quotas template; each month is a
project of the series (a wave) with a period label. At most one wave of a series is open (not
closed): a partial unique index holds it. Closing a wave copies the rule in force into
``frozen_rule`` and from then on the database itself refuses any new or changed interview,
answer or web interview of it (a paused project refuses those of web interviews), and refuses
to reopen it: triggers on both backends (cati.storage.wave_guard), so no workstation, web
server or psql session can move a published figure. An open link of the series
(``web_links.series_id``) feeds the series' open wave.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cati.storage.models import JsonDoc, UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OPEN_WAVE = "series_id IS NOT NULL AND status <> 'closed'"


def upgrade() -> None:
    from cati.storage import wave_guard

    bind = op.get_bind()
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("settings", JsonDoc, nullable=False),
        sa.Column("quotas", JsonDoc, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
        sa.UniqueConstraint("code", name="uq_series_code"),
    )
    postgres = bind.dialect.name == "postgresql"
    for table, column in (("projects", "series_id"), ("web_links", "series_id")):
        fk = f"fk_{table}_{column}_series"
        if postgres:
            op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(fk, table, "series", [column], ["id"])
        else:  # SQLite adds a column with its reference in place (no table rebuild)
            op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                       f"CONSTRAINT {fk} REFERENCES series (id)")
    op.add_column("projects", sa.Column("period", sa.String(32), nullable=True))
    op.add_column("projects", sa.Column("opened_at", UtcDateTime(), nullable=True))
    op.add_column("projects", sa.Column("closed_at", UtcDateTime(), nullable=True))
    op.add_column("projects", sa.Column("frozen_rule", JsonDoc, nullable=True))
    op.add_column("projects", sa.Column("frozen_suggestions", JsonDoc, nullable=True))
    op.create_index("ix_projects_series_period", "projects", ["series_id", "period"],
                    unique=True)
    op.create_index("ix_projects_open_wave", "projects", ["series_id"], unique=True,
                    postgresql_where=sa.text(OPEN_WAVE), sqlite_where=sa.text(OPEN_WAVE))
    op.create_index("ix_web_links_series_id", "web_links", ["series_id"])
    for statement in (wave_guard.postgresql_statements() if postgres
                      else wave_guard.sqlite_statements()):
        op.execute(statement)


def downgrade() -> None:
    from cati.storage import wave_guard

    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in (wave_guard.postgresql_drops() if postgres else wave_guard.sqlite_drops()):
        op.execute(statement)
    op.drop_index("ix_web_links_series_id", table_name="web_links")
    op.drop_index("ix_projects_open_wave", table_name="projects")
    op.drop_index("ix_projects_series_period", table_name="projects")
    with op.batch_alter_table("web_links") as batch:
        batch.drop_column("series_id")
    with op.batch_alter_table("projects") as batch:
        for column in ("frozen_suggestions", "frozen_rule", "closed_at", "opened_at", "period", "series_id"):
            batch.drop_column(column)
    op.drop_table("series")

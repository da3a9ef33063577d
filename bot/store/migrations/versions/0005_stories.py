"""Stories: article body text, story clusters across outlets, alerts per (chat, cluster), edits.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("body", sa.Text))
        batch.add_column(sa.Column("cluster_id", sa.Integer))
    # Every article stored so far is a story of its own.
    op.execute("UPDATE articles SET cluster_id = id")
    op.create_index("ix_articles_cluster_id", "articles", ["cluster_id"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("cluster_id", sa.Integer))
        batch.add_column(sa.Column("also_shown", sa.JSON))
    op.execute("UPDATE alerts SET cluster_id = article_id")
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("cluster_id", existing_type=sa.Integer, nullable=False)
        batch.create_unique_constraint("uq_alerts_chat_cluster", ["chat_id", "cluster_id"])
    op.create_table(
        "story_sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cluster_id", sa.Integer, nullable=False),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("seen_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_story_sources"),
        sa.ForeignKeyConstraint(
            ["source_url"],
            ["sources.url"],
            name="fk_story_sources_source_url_sources",
        ),
        sa.UniqueConstraint("cluster_id", "source_url", name="uq_story_sources_cluster_source"),
    )
    op.execute(
        "INSERT INTO story_sources (cluster_id, source_url, seen_at) "
        "SELECT id, source_url, seen_at FROM articles"
    )
    op.create_table(
        "alert_edits",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("alert_id", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("not_before", _UTC),
        sa.Column("lease_until", _UTC),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_edits"),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_alert_edits_alert_id_alerts",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("alert_id", name="uq_alert_edits_alert_id"),
    )


def downgrade() -> None:
    op.drop_table("alert_edits")
    op.drop_table("story_sources")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("uq_alerts_chat_cluster", type_="unique")
        batch.drop_column("also_shown")
        batch.drop_column("cluster_id")
    op.drop_index("ix_articles_cluster_id", "articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("cluster_id")
        batch.drop_column("body")

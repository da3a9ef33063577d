"""WebSub push subscriptions: one per source, with its hub, topic, secret, state and lease.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "push_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_url", sa.Text, nullable=False),
        sa.Column("callback_id", sa.Text, nullable=False),
        sa.Column("callback", sa.Text, nullable=False),
        sa.Column("hub", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("lease_seconds", sa.Integer),
        sa.Column("expires_at", _UTC),
        sa.Column("next_action_at", _UTC),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("requested_at", _UTC, nullable=False),
        sa.Column("verified_at", _UTC),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_push_subscriptions"),
        sa.ForeignKeyConstraint(
            ["source_url"], ["sources.url"], name="fk_push_subscriptions_source_url_sources"
        ),
        sa.UniqueConstraint("source_url", name="uq_push_subscriptions_source_url"),
        sa.UniqueConstraint("callback_id", name="uq_push_subscriptions_callback_id"),
        sa.CheckConstraint(
            "state IN ('requested', 'active', 'failed', 'denied', 'unsubscribing')",
            name="ck_push_subscriptions_state",
        ),
    )
    op.create_index(
        "ix_push_subscriptions_next_action_at", "push_subscriptions", ["next_action_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_push_subscriptions_next_action_at", table_name="push_subscriptions")
    op.drop_table("push_subscriptions")

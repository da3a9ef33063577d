"""Slack: workspace installations (OAuth), handled event ids, OAuth states.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("workspace", sa.Text, nullable=False),
        sa.Column("enterprise_id", sa.Text),
        sa.Column("team_id", sa.Text),
        sa.Column("bot_token", sa.Text),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("installed_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("workspace", name="pk_slack_installations"),
    )
    op.create_table(
        "slack_events",
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("received_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_slack_events"),
    )
    op.create_index("ix_slack_events_received_at", "slack_events", ["received_at"])
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("state", name="pk_slack_oauth_states"),
    )


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    op.drop_index("ix_slack_events_received_at", table_name="slack_events")
    op.drop_table("slack_events")
    op.drop_table("slack_installations")

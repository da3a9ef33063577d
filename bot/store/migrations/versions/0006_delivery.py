"""Delivery settings per chat (timezone, quiet hours, digests, a user's pause) and uncertain sends.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)
# Constant defaults (not sa.false()): SQLite then adds the column in place.


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("timezone", sa.Text))
        batch.add_column(sa.Column("quiet_start", sa.Integer))
        batch.add_column(sa.Column("quiet_end", sa.Integer))
        batch.add_column(sa.Column("digest", sa.String(16)))
        batch.add_column(sa.Column("digest_at", sa.Integer))
        batch.add_column(sa.Column("digest_due", _UTC))
        batch.add_column(
            sa.Column(
                "on_hold", sa.Boolean, nullable=False, server_default="0"
            )  # constant: SQLite adds it in place
        )
        batch.add_column(sa.Column("pace_until", _UTC))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("uncertain", sa.Integer, nullable=False, server_default="0"))
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_created_at", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("uncertain")
    with op.batch_alter_table("chats") as batch:
        for name in (
            "pace_until",
            "on_hold",
            "digest_due",
            "digest_at",
            "digest",
            "quiet_end",
            "quiet_start",
            "timezone",
        ):
            batch.drop_column(name)

"""Sources from chats and the stored poll schedule: chat_sources, notices, scheduling columns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)
# Constant defaults (not sa.true()/sa.false()): SQLite then adds the column in place, instead of
# copying a table that other tables reference (which fails once they hold rows).


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("configured", sa.Boolean, nullable=False, server_default="1"))
        batch.add_column(sa.Column("next_poll_at", _UTC))
        batch.add_column(sa.Column("current_interval", sa.Float))
        batch.add_column(sa.Column("failures", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("failing_since", _UTC))
        batch.add_column(sa.Column("gone_count", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("parked_at", _UTC))
        batch.add_column(sa.Column("parked_reason", sa.Text))
    op.create_index("ix_sources_next_poll_at", "sources", ["next_poll_at"])
    op.create_table(
        "chat_sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.Integer, nullable=False),
        sa.Column("source_id", sa.Integer, nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chat_sources"),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name="fk_chat_sources_chat_id_chats", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name="fk_chat_sources_source_id_sources",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("chat_id", "source_id", name="uq_chat_sources_chat_source"),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.Integer, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("not_before", _UTC),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", _UTC),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name="fk_notices_chat_id_chats", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("chat_id", "key", name="uq_notices_chat_key"),
    )
    op.create_index("ix_notices_sent_at_not_before", "notices", ["sent_at", "not_before"])


def downgrade() -> None:
    op.drop_index("ix_notices_sent_at_not_before", table_name="notices")
    op.drop_table("notices")
    op.drop_table("chat_sources")
    op.drop_index("ix_sources_next_poll_at", table_name="sources")
    with op.batch_alter_table("sources") as batch:
        for name in (
            "parked_reason",
            "parked_at",
            "gone_count",
            "failing_since",
            "failures",
            "current_interval",
            "next_poll_at",
            "configured",
        ):
            batch.drop_column(name)

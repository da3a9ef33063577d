"""Chat controls: a held chat (rate limited), link previews, muted subscriptions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = sa.DateTime(timezone=True)
# Constant defaults (not sa.true()/sa.false()): SQLite then adds the column in place, instead of
# copying a table that other tables reference (which fails once they hold rows).


def upgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.add_column(sa.Column("hold_until", _UTC))
        batch.add_column(sa.Column("link_preview", sa.Boolean, nullable=False, server_default="0"))
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("muted_until", _UTC))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("muted_until")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("link_preview")
        batch.drop_column("hold_until")

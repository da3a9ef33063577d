"""The schema at head, as SQLAlchemy Core tables: what the queries are written against.

The migrations in `bot/store/migrations/versions/` carry their own frozen copy of each change; a
test checks that applying them all yields exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.types import TypeDecorator

ALERT_STATUSES = ("pending", "sent", "failed", "dropped")

# Stable constraint names let later migrations (and SQLite batch mode) refer to them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on every backend.

    SQLite has no time zone type and hands back naive values; they were written as UTC, so they
    are read back as UTC. Naive input is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store only timezone-aware times")
        value = value.astimezone(UTC)
        # SQLite compares these as text, so every value must be written in the same zone and form.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("interval", Float, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("baselined", Boolean, nullable=False, server_default=false()),
    # False for a source no longer in the config: its stories stay, it is not listed or polled.
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("last_polled_at", UtcDateTime),
    Column("last_error", Text),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("source_url", Text, ForeignKey("sources.url"), nullable=False),
    Column("guid", Text),
    Column("url", Text, unique=True),  # NULL for an entry with no http(s) link
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("published_at", UtcDateTime, nullable=False, index=True),
    Column("seen_at", UtcDateTime, nullable=False),
    # NULLs are distinct in a UNIQUE constraint on both SQLite and PostgreSQL, so entries without a
    # GUID never collide here: exactly "unique when guid is not null", with no partial index.
    UniqueConstraint("source_url", "guid", name="uq_articles_source_url_guid"),
)

chats = Table(
    "chats",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(32), nullable=False),
    Column("chat", Text, nullable=False),
    # '' rather than NULL for "no thread": a NULL would make every threadless row distinct.
    Column("thread", Text, nullable=False, server_default=""),
    Column("paused", Boolean, nullable=False, server_default=false()),
    Column("paused_reason", Text),
    # The platform asked us to wait (429): nothing is sent to this chat before then.
    Column("hold_until", UtcDateTime),
    Column("link_preview", Boolean, nullable=False, server_default=false()),
    # Delivery settings (see bot/commands/settings.py). NULL timezone means UTC.
    Column("timezone", Text),
    # Quiet hours as minutes after local midnight; start > end wraps past midnight.
    Column("quiet_start", Integer),
    Column("quiet_end", Integer),
    # NULL: alerts go out as they come. "hourly" / "daily" (at `digest_at` local minutes).
    Column("digest", String(16)),
    Column("digest_at", Integer),
    # When this chat's next digest is due: stored, so a restart neither skips nor repeats one.
    Column("digest_due", UtcDateTime),
    # The chat's own /pause: alerts keep queuing and wait for /resume (unlike `paused`, which
    # means the chat is gone and drops them).
    Column("on_hold", Boolean, nullable=False, server_default=false()),
    # Pacing: this chat's next message may not go before then (its own token bucket), so the
    # outbox does not claim what it may not send yet.
    Column("pace_until", UtcDateTime),
    UniqueConstraint("platform", "chat", "thread", name="uq_chats_address"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("topic", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Stories that arrive before this time alert nobody through this subscription.
    Column("muted_until", UtcDateTime),
    UniqueConstraint("chat_id", "key", name="uq_subscriptions_chat_key"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("subscriptions.id", ondelete="SET NULL"),
    ),
    # Copied so an alert still renders after its subscription is removed.
    Column("topic", Text, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("not_before", UtcDateTime),
    Column("lease_until", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("message_ref", Text),
    Column("last_error", Text),
    # Sends that timed out after the request left (DeliveryUncertain): it may have arrived.
    Column("uncertain", Integer, nullable=False, server_default="0"),
    # One alert per chat per story, however many of the chat's topics match it.
    UniqueConstraint("chat_id", "article_id", name="uq_alerts_chat_article"),
    CheckConstraint(
        "status IN ('pending', 'sent', 'failed', 'dropped')",
        name="status",
    ),
    # The outbox worker's scan: pending rows, oldest first.
    Index("ix_alerts_status_created_at", "status", "created_at"),
    # Housekeeping's scan for old rows.
    Index("ix_alerts_created_at", "created_at"),
)

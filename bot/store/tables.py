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
    # True for a source in the operator's config (trusted); False for one only chats added, which
    # is fetched through the guard and alerts only the chats that added it.
    Column("configured", Boolean, nullable=False, server_default=true()),
    # The schedule, kept here so that a restart neither forgets nor bursts: see bot.sources.due.
    Column("next_poll_at", UtcDateTime, index=True),
    Column("current_interval", Float),  # adaptive; NULL until the first successful poll
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("failing_since", UtcDateTime),
    Column("gone_count", Integer, nullable=False, server_default="0"),  # 404/410s in a row
    # A parked source is not polled until someone adds it again.
    Column("parked_at", UtcDateTime),
    Column("parked_reason", Text),
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
    # The article page's main text when it was fetched (full_text sources, pages); NULL otherwise.
    Column("body", Text),
    # The story this article belongs to: the id of the cluster's first article (itself when it
    # started the story). Outlets carrying the same story share it; alerts are unique per cluster.
    Column("cluster_id", Integer, index=True),
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
    # The story cluster of the article: a chat is alerted once per story, whatever the outlet.
    Column("cluster_id", Integer, nullable=False),
    # The other outlets the sent message names ("Also: …"), so an edit is made only on a change.
    Column("also_shown", JSON),
    # Sends that timed out after the request left (DeliveryUncertain): it may have arrived.
    Column("uncertain", Integer, nullable=False, server_default="0"),
    # One alert per chat per story, however many of the chat's topics match it.
    UniqueConstraint("chat_id", "article_id", name="uq_alerts_chat_article"),
    UniqueConstraint("chat_id", "cluster_id", name="uq_alerts_chat_cluster"),
    CheckConstraint(
        "status IN ('pending', 'sent', 'failed', 'dropped')",
        name="status",
    ),
    # The outbox worker's scan: pending rows, oldest first.
    Index("ix_alerts_status_created_at", "status", "created_at"),
    # Housekeeping's scan for old rows.
    Index("ix_alerts_created_at", "created_at"),
)

chat_sources = Table(
    "chat_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("source_id", Integer, ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("chat_id", "source_id", name="uq_chat_sources_chat_source"),
)

# Plain-text messages to a chat from the bot itself (a source of theirs was parked...), sent by
# bot.delivery.notices. `key` makes each notice once-only per chat.
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chat_id", Integer, ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("not_before", UtcDateTime),  # also the lease while a sender holds it
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("sent_at", UtcDateTime),
    Column("last_error", Text),
    UniqueConstraint("chat_id", "key", name="uq_notices_chat_key"),
    Index("ix_notices_sent_at_not_before", "sent_at", "not_before"),
)

# --- Slack (bot/adapters/slack): installs per workspace, and events already handled ---

slack_installations = Table(
    "slack_installations",
    metadata,
    # The team id, or the enterprise id for an org-wide install: whose token this is.
    Column("workspace", Text, primary_key=True),
    Column("enterprise_id", Text),
    Column("team_id", Text),
    Column("bot_token", Text),
    Column("data", JSON, nullable=False),  # slack_sdk's Installation, as its to_dict() gives it
    Column("installed_at", UtcDateTime, nullable=False),
)

# Slack resends an event it thinks failed (same event_id): the first delivery wins.
slack_events = Table(
    "slack_events",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("received_at", UtcDateTime, nullable=False, index=True),
)

# OAuth `state` values issued by /slack/install, each usable once before it expires.
slack_oauth_states = Table(
    "slack_oauth_states",
    metadata,
    Column("state", Text, primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
)

# Every source that carried a story (cluster): the article's own source, another outlet's near-
# identical report, or another feed linking the same canonical URL. "Also: …" is read from here.
story_sources = Table(
    "story_sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cluster_id", Integer, nullable=False),
    Column("source_url", Text, ForeignKey("sources.url"), nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    UniqueConstraint("cluster_id", "source_url", name="uq_story_sources_cluster_source"),
)

# Alerts whose sent message must be edited (another outlet joined the story). One row per alert;
# the edit worker deletes it once the message shows the current outlets.
alert_edits = Table(
    "alert_edits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # Bumped by every outlet that joins while the edit is queued or in flight: an edit rendered
    # before the bump does not close the row, so the newest outlet is never lost.
    Column("version", Integer, nullable=False, server_default="1"),
    Column("not_before", UtcDateTime),
    Column("lease_until", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("alert_id", name="uq_alert_edits_alert_id"),
)

# WebSub: the bot's subscriptions at feeds' hubs (bot/push). One per source; the hub calls back at
# `callback` (public_url + "/" + callback_id, the id unguessable), signing content with `secret`.
PUSH_STATES = ("requested", "active", "failed", "denied", "unsubscribing")
push_subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source_url", Text, ForeignKey("sources.url"), nullable=False),
    Column("callback_id", Text, nullable=False),
    Column("callback", Text, nullable=False),
    Column("hub", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("secret", Text, nullable=False),
    # requested: asked, awaiting the hub's verification; active: verified, lease running;
    # failed: the hub refused or never verified (retried); denied: the hub said no (not retried);
    # unsubscribing: the source is gone, awaiting the hub's verification of the unsubscribe.
    Column("state", String(16), nullable=False),
    Column("lease_seconds", Integer),  # what the hub granted
    Column("expires_at", UtcDateTime),
    # When the subscriber acts next: renew, retry, or give up waiting for a verification.
    Column("next_action_at", UtcDateTime, index=True),
    Column("attempts", Integer, nullable=False, server_default="0"),  # failures in a row
    Column("requested_at", UtcDateTime, nullable=False),
    Column("verified_at", UtcDateTime),
    Column("last_error", Text),
    UniqueConstraint("source_url", name="uq_push_subscriptions_source_url"),
    UniqueConstraint("callback_id", name="uq_push_subscriptions_callback_id"),
    CheckConstraint(
        "state IN ('requested', 'active', 'failed', 'denied', 'unsubscribing')", name="state"
    ),
)

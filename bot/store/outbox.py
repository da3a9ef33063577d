"""The alert outbox: claim due alerts under a lease, then record how delivery went."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import PendingAlert
from bot.store import stories
from bot.store.rows import ARTICLE_COLUMNS, article_from, chat_address
from bot.store.tables import alerts, articles, chats, sources


async def claim_alerts(
    connection: AsyncConnection, limit: int, *, now: datetime, lease_seconds: float
) -> list[PendingAlert]:
    """See `Store.claim_alerts`. `attempts` on the result already counts this attempt."""
    query = (
        select(
            alerts.c.id,
            alerts.c.topic,
            alerts.c.terms,
            alerts.c.attempts,
            alerts.c.subscription_id,
            alerts.c.cluster_id,
            chats.c.link_preview,
            chats.c.platform,
            chats.c.chat,
            chats.c.thread,
            *ARTICLE_COLUMNS,
        )
        .select_from(
            alerts.join(chats, chats.c.id == alerts.c.chat_id)
            .join(articles, articles.c.id == alerts.c.article_id)
            .join(sources, sources.c.url == articles.c.source_url)
        )
        .where(
            alerts.c.status == "pending",
            chats.c.paused == false(),
            or_(chats.c.hold_until.is_(None), chats.c.hold_until <= now),
            or_(alerts.c.not_before.is_(None), alerts.c.not_before <= now),
            or_(alerts.c.lease_until.is_(None), alerts.c.lease_until <= now),
        )
        .order_by(alerts.c.created_at, alerts.c.id)
        .limit(limit)
        # PostgreSQL: concurrent workers skip each other's rows instead of waiting or doubling up.
        # SQLite renders no FOR UPDATE; its BEGIN IMMEDIATE already makes this claim exclusive.
        .with_for_update(of=alerts, skip_locked=True)
    )
    rows = (await connection.execute(query)).all()
    if not rows:
        return []
    await connection.execute(
        update(alerts)
        .where(alerts.c.id.in_([row.id for row in rows]))
        .values(lease_until=now + timedelta(seconds=lease_seconds), attempts=alerts.c.attempts + 1)
    )
    # The message names the outlets known now; a later one gets the sent message edited.
    also = await stories.record_also(
        connection, [(row.id, row.cluster_id, row.source_url) for row in rows]
    )
    return [
        PendingAlert(
            id=row.id,
            chat=chat_address(row.platform, row.chat, row.thread),
            article=article_from(row),
            topic=row.topic,
            attempts=row.attempts + 1,
            terms=tuple(row.terms),
            subscription_id=row.subscription_id,
            link_preview=row.link_preview,
            also=also[row.id],
        )
        for row in rows
    ]


async def mark_sent(
    connection: AsyncConnection, alert_id: int, *, at: datetime, message_ref: str | None
) -> None:
    # Unconditional: if the alert went out, that is the truth even if the chat was paused meanwhile.
    await connection.execute(
        update(alerts)
        .where(alerts.c.id == alert_id)
        .values(status="sent", sent_at=at, message_ref=message_ref, lease_until=None)
    )


async def retry_later(
    connection: AsyncConnection, alert_id: int, *, not_before: datetime, error: str
) -> None:
    # Only a pending alert is retried: one dropped by a pause must stay dropped.
    await connection.execute(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.status == "pending")
        .values(not_before=not_before, lease_until=None, last_error=error)
    )


async def mark_failed(connection: AsyncConnection, alert_id: int, *, error: str) -> None:
    await connection.execute(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.status == "pending")
        .values(status="failed", lease_until=None, last_error=error)
    )


async def drop_pending(connection: AsyncConnection, chat_id: int, reason: str) -> None:
    await connection.execute(
        update(alerts)
        .where(alerts.c.chat_id == chat_id, alerts.c.status == "pending")
        .values(status="dropped", lease_until=None, last_error=reason)
    )

"""The alert outbox: claim due alerts under a lease, then record how delivery went."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import ChatAddress, PendingAlert
from bot.store import stories
from bot.store.rows import ARTICLE_COLUMNS, article_from, chat_address, find_chat_id
from bot.store.tables import alerts, articles, chats, sources

_CLAIM_COLUMNS = (
    alerts.c.id,
    alerts.c.topic,
    alerts.c.terms,
    alerts.c.attempts,
    alerts.c.subscription_id,
    alerts.c.cluster_id,
    alerts.c.created_at.label("queued_at"),
    chats.c.link_preview,
    chats.c.platform,
    chats.c.chat,
    chats.c.thread,
    chats.c.timezone,
    chats.c.quiet_start,
    chats.c.quiet_end,
    *ARTICLE_COLUMNS,
)
_CLAIM_FROM = (
    alerts.join(chats, chats.c.id == alerts.c.chat_id)
    .join(articles, articles.c.id == alerts.c.article_id)
    .join(sources, sources.c.url == articles.c.source_url)
)


def _chat_due(now: datetime) -> ColumnElement[bool]:
    return and_(
        chats.c.paused == false(),
        chats.c.on_hold == false(),
        chats.c.digest.is_(None),
        or_(chats.c.hold_until.is_(None), chats.c.hold_until <= now),
        or_(chats.c.pace_until.is_(None), chats.c.pace_until <= now),
    )


def _alert_due(now: datetime) -> ColumnElement[bool]:
    return and_(
        alerts.c.status == "pending",
        or_(alerts.c.not_before.is_(None), alerts.c.not_before <= now),
        or_(alerts.c.lease_until.is_(None), alerts.c.lease_until <= now),
    )


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(_chat_due(now), _alert_due(now))


def _claim_query(which: ColumnElement[bool], now: datetime) -> Select[Any]:
    return (
        select(*_CLAIM_COLUMNS)
        .select_from(_CLAIM_FROM)
        .where(which, _due(now))
        .order_by(alerts.c.created_at, alerts.c.id)
        # PostgreSQL: concurrent workers skip each other's rows instead of waiting or doubling
        # up. SQLite renders no FOR UPDATE; its BEGIN IMMEDIATE already makes the claim exclusive.
        .with_for_update(of=alerts, skip_locked=True, key_share=True)
    )


async def claim_alerts(
    connection: AsyncConnection,
    limit: int,
    *,
    now: datetime,
    lease_seconds: float,
    per_chat: int | None = None,
    burst: int | None = None,
) -> list[PendingAlert]:
    """See `Store.claim_alerts`. `attempts` on the result already counts this attempt.

    Chats in digest mode or on hold (their own /pause) are skipped: the digest job and /resume
    release those."""
    # First the chats served least recently (`pace_until` is set at each send; never served
    # comes first), then each chat's due alerts, oldest first: round-robin over the chats, and a
    # chat's backlog claimed together, so a burst can be seen (and folded) as one. Ordering by a
    # column (not by each chat's oldest alert) lets the database stop after `limit` chats.
    has_due = exists().where(alerts.c.chat_id == chats.c.id, _alert_due(now))
    waiting = (
        select(func.count())
        .where(alerts.c.chat_id == chats.c.id, _alert_due(now))
        .scalar_subquery()
    )
    first = (
        select(chats.c.id, waiting)
        .where(_chat_due(now), has_due)
        .order_by(chats.c.pace_until.asc().nulls_first(), chats.c.id)
        .limit(limit)
        # Concurrent claimers take different chats instead of all queueing on the same ones.
        .with_for_update(of=chats, skip_locked=True, key_share=True)
    )
    chosen = (await connection.execute(first)).all()
    # A chat gets one message per round unless its backlog is a burst (more than `burst`
    # waiting), which goes out folded: claiming more would only hand most of it back.
    single = [chat_id for chat_id, count in chosen if burst is not None and count <= burst]
    bursts = [chat_id for chat_id, count in chosen if burst is None or count > burst]
    rows: list[Any] = []
    if single:
        # The oldest due alert of each of these chats, in one query.
        oldest = (
            select(func.min(alerts.c.id))
            .where(alerts.c.chat_id.in_(single), _alert_due(now))
            .group_by(alerts.c.chat_id)
        )
        rows.extend((await connection.execute(_claim_query(alerts.c.id.in_(oldest), now))).all())
    for chat_id in bursts:
        query = _claim_query(alerts.c.chat_id == chat_id, now).limit(per_chat or limit)
        rows.extend((await connection.execute(query)).all())
    return await _lease(connection, rows, now, lease_seconds)


async def claim_chat_alerts(
    connection: AsyncConnection,
    chat: ChatAddress,
    limit: int,
    *,
    now: datetime,
    lease_seconds: float,
) -> list[PendingAlert]:
    """Every pending, unleased alert of one chat whatever its not-before time: a digest's load."""
    chat_id = await find_chat_id(connection, chat)
    if chat_id is None:
        return []
    query = (
        select(*_CLAIM_COLUMNS)
        .select_from(_CLAIM_FROM)
        .where(
            alerts.c.chat_id == chat_id,
            alerts.c.status == "pending",
            or_(alerts.c.lease_until.is_(None), alerts.c.lease_until <= now),
        )
        .order_by(alerts.c.created_at, alerts.c.id)
        .limit(limit)
        .with_for_update(of=alerts, skip_locked=True, key_share=True)
    )
    return await _lease(connection, (await connection.execute(query)).all(), now, lease_seconds)


async def _lease(
    connection: AsyncConnection, rows: Sequence[Any], now: datetime, lease_seconds: float
) -> list[PendingAlert]:
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
            timezone=row.timezone or "UTC",
            quiet=None if row.quiet_start is None else (row.quiet_start, row.quiet_end),
            also=also[row.id],
            queued_at=row.queued_at,
        )
        for row in rows
    ]


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


async def mark_sent_many(
    connection: AsyncConnection,
    ids: Sequence[int],
    *,
    at: datetime,
    message_ref: str | None,
    pace_until: datetime | None = None,
) -> None:
    """These alerts went out in one message (one alert, a digest or a folded burst). With
    `pace_until`, their chat's next message waits until then (one transaction for both)."""
    await connection.execute(
        update(alerts)
        .where(alerts.c.id.in_(list(ids)))
        .values(status="sent", sent_at=at, message_ref=message_ref, lease_until=None)
    )
    if pace_until is not None:
        chat_ids = select(alerts.c.chat_id).where(alerts.c.id.in_(list(ids))).scalar_subquery()
        await connection.execute(
            update(chats).where(chats.c.id.in_(chat_ids)).values(pace_until=pace_until)
        )


async def defer_alerts(
    connection: AsyncConnection, ids: Sequence[int], *, not_before: datetime | None
) -> None:
    """Give claimed alerts back without counting the claim as an attempt: nothing was tried
    (pacing, quiet hours, shutting down)."""
    await connection.execute(
        update(alerts)
        .where(alerts.c.id.in_(list(ids)), alerts.c.status == "pending")
        .values(not_before=not_before, lease_until=None, attempts=alerts.c.attempts - 1)
    )


async def record_uncertain(
    connection: AsyncConnection, alert_id: int, *, not_before: datetime, error: str
) -> int:
    """Note a send that may have arrived; returns how many such sends this alert has had."""
    count: int | None = await connection.scalar(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.status == "pending")
        .values(
            uncertain=alerts.c.uncertain + 1,
            not_before=not_before,
            lease_until=None,
            last_error=f"uncertain: {error}",
        )
        .returning(alerts.c.uncertain)
    )
    return count or 0


async def prune(connection: AsyncConnection, *, before: datetime) -> tuple[int, int]:
    """Delete settled alerts created before `before`, then stories first seen before it that no
    pending alert still needs. Returns (alerts, stories) deleted."""
    gone = await connection.execute(
        delete(alerts).where(alerts.c.status != "pending", alerts.c.created_at < before)
    )
    needed = exists().where(alerts.c.article_id == articles.c.id)
    stories = await connection.execute(delete(articles).where(articles.c.seen_at < before, ~needed))
    return gone.rowcount, stories.rowcount

"""Chat-added sources and the stored poll schedule: which sources are due, what happened after
their poll, parking (with a notice to every chat that added the source)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import ChatAddress, DueSource, NextPoll, PollState, SourceInfo
from bot.store.notices import queue_notice
from bot.store.rows import chat_address, ensure_chat, find_chat_id, insert_for
from bot.store.tables import chat_sources, chats, push_subscriptions, sources

_RESET = {
    "parked_at": None,
    "parked_reason": None,
    "failures": 0,
    "failing_since": None,
    "gone_count": 0,
}


def source_info(row: Any) -> SourceInfo:
    return SourceInfo(
        url=row.url,
        name=row.name,
        interval=row.interval,
        last_polled=row.last_polled_at,
        last_error=row.last_error,
        configured=row.configured,
        parked=row.parked_reason if row.parked_at is not None else None,
        next_poll=row.next_poll_at,
        failures=row.failures,
    )


def _linked(source_id: Any) -> Any:
    return exists().where(chat_sources.c.source_id == source_id)


async def add_chat_source(
    connection: AsyncConnection,
    chat: ChatAddress,
    url: str,
    name: str,
    interval: float,
    *,
    at: datetime,
) -> bool:
    """Link the source to the chat (creating it if new); True if the chat did not have it yet.
    Adding a parked source un-parks it and makes it due now: someone wants it tried again."""
    chat_id = await ensure_chat(connection, chat)
    statement = insert_for(connection, sources).values(
        url=url, name=name, interval=interval, configured=False, next_poll_at=at
    )
    await connection.execute(statement.on_conflict_do_nothing())
    row = (await connection.execute(select(sources).where(sources.c.url == url))).one()
    values: dict[str, object] = {"active": True}
    if row.parked_at is not None:
        values |= _RESET | {"next_poll_at": at}
    await connection.execute(update(sources).where(sources.c.id == row.id).values(values))
    link = insert_for(connection, chat_sources).values(
        chat_id=chat_id, source_id=row.id, created_at=at
    )
    inserted = await connection.scalar(link.on_conflict_do_nothing().returning(chat_sources.c.id))
    return inserted is not None


async def remove_chat_source(connection: AsyncConnection, chat: ChatAddress, url: str) -> bool:
    chat_id = await find_chat_id(connection, chat)
    source_id = await connection.scalar(select(sources.c.id).where(sources.c.url == url))
    if chat_id is None or source_id is None:
        return False
    result = await connection.execute(
        delete(chat_sources).where(
            chat_sources.c.chat_id == chat_id, chat_sources.c.source_id == source_id
        )
    )
    # Nobody wants it any more: stop polling, keep its stories (articles refer to it).
    await connection.execute(
        update(sources)
        .where(sources.c.id == source_id, ~sources.c.configured, ~_linked(sources.c.id))
        .values(active=False)
    )
    return result.rowcount > 0


async def chat_source_list(connection: AsyncConnection, chat: ChatAddress) -> list[SourceInfo]:
    chat_id = await find_chat_id(connection, chat)
    if chat_id is None:
        return []
    query = (
        select(sources)
        .join(chat_sources, chat_sources.c.source_id == sources.c.id)
        .where(chat_sources.c.chat_id == chat_id)
        .order_by(chat_sources.c.id)
    )
    return [source_info(row) for row in await connection.execute(query)]


async def operator_sources(connection: AsyncConnection) -> list[SourceInfo]:
    query = select(sources).where(sources.c.active, sources.c.configured).order_by(sources.c.id)
    return [source_info(row) for row in await connection.execute(query)]


async def chat_only_source_urls(connection: AsyncConnection) -> set[str]:
    """Sources that only chats added (not the operator): their stories are those chats' own."""
    query = select(sources.c.url).where(sources.c.configured == false())
    return set((await connection.scalars(query)).all())


async def claim_due_sources(
    connection: AsyncConnection, now: datetime, limit: int, *, lease_seconds: float
) -> list[DueSource]:
    """Active, unparked sources whose next poll time has come (never polled counts as due),
    longest overdue first. However long the bot was down, each appears once. Claimed by moving
    next_poll_at a lease ahead: the poll's outcome replaces it, a crash mid-poll retries then."""
    query = (
        select(sources, _pushed(now))
        .where(
            sources.c.active,
            sources.c.parked_at.is_(None),
            or_(sources.c.next_poll_at.is_(None), sources.c.next_poll_at <= now),
        )
        .order_by(sources.c.next_poll_at.is_not(None), sources.c.next_poll_at, sources.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, key_share=True)
    )
    rows = list(await connection.execute(query))
    if rows:
        await connection.execute(
            update(sources)
            .where(sources.c.id.in_([r.id for r in rows]))
            .values(next_poll_at=now + timedelta(seconds=lease_seconds))
        )
    return [
        DueSource(
            url=row.url,
            name=row.name,
            trusted=row.configured,
            state=PollState(
                interval=row.interval,
                current_interval=row.current_interval,
                failures=row.failures,
                failing_since=row.failing_since,
                gone_count=row.gone_count,
                pushed=row.pushed,
            ),
            due_at=row.next_poll_at,
        )
        for row in rows
    ]


def _pushed(now: datetime) -> Any:
    """Whether a hub pushes the source's stories now (bot.push): it is polled only as a net."""
    return (
        exists()
        .where(
            push_subscriptions.c.source_url == sources.c.url,
            push_subscriptions.c.state == "active",
            push_subscriptions.c.expires_at > now,
        )
        .label("pushed")
    )


async def record_schedule(connection: AsyncConnection, url: str, decision: NextPoll) -> None:
    await connection.execute(
        update(sources)
        .where(sources.c.url == url)
        .values(
            next_poll_at=decision.next_poll_at,
            current_interval=decision.current_interval,
            failures=decision.failures,
            failing_since=decision.failing_since,
            gone_count=decision.gone_count,
        )
    )


async def park_source(
    connection: AsyncConnection, url: str, reason: str, *, at: datetime
) -> list[ChatAddress]:
    """Stop polling the source and queue one notice for each chat that added it, in the same
    transaction: parked and told, or neither. Returns those chats."""
    row = (await connection.execute(select(sources).where(sources.c.url == url))).first()
    if row is None:
        return []
    await connection.execute(
        update(sources)
        .where(sources.c.id == row.id)
        .values(parked_at=at, parked_reason=reason, last_error=reason)
    )
    query = (
        select(chats.c.id, chats.c.platform, chats.c.chat, chats.c.thread)
        .join(chat_sources, chat_sources.c.chat_id == chats.c.id)
        .where(chat_sources.c.source_id == row.id)
        .order_by(chats.c.id)
    )
    told: list[ChatAddress] = []
    text = (
        f"I stopped checking the source {row.name} ({url}): {reason}. "
        f"Send /addsource {url} to try it again, or /removesource {url} to drop it."
    )
    for chat in await connection.execute(query):
        key = f"parked:{row.id}:{at.isoformat()}"
        await queue_notice(connection, chat.id, key, text, at=at)
        told.append(chat_address(chat.platform, chat.chat, chat.thread))
    return told


async def sync_configured(connection: AsyncConnection, urls: list[str]) -> None:
    """After the operator's sources were upserted: the others are chat sources now, polled while
    some chat still has them. Configured ones start un-parked: a restart is the operator's retry."""
    await connection.execute(
        update(sources).where(sources.c.url.in_(urls)).values(configured=True, **_RESET)
    )
    await connection.execute(
        update(sources)
        .where(sources.c.url.not_in(urls))
        .values(configured=False, active=_linked(sources.c.id))
    )


async def audience(connection: AsyncConnection, source_url: str) -> set[int] | None:
    """The chat ids a new story from this source may alert: None for an operator source (all)."""
    row = (
        await connection.execute(
            select(sources.c.id, sources.c.configured).where(sources.c.url == source_url)
        )
    ).first()
    if row is None or row.configured:
        return None
    query = select(chat_sources.c.chat_id).where(chat_sources.c.source_id == row.id)
    return set((await connection.scalars(query)).all())


async def count_chat_sources(connection: AsyncConnection, chat: ChatAddress) -> int:
    chat_id = await find_chat_id(connection, chat)
    if chat_id is None:
        return 0
    query = select(func.count()).where(chat_sources.c.chat_id == chat_id)
    return int(await connection.scalar(query) or 0)

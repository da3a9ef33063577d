"""Chats and their subscriptions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, delete, false, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import ChatAddress, Subscription
from bot.store.outbox import drop_pending
from bot.store.rows import chat_address, ensure_chat, find_chat_id, insert_for, thread_value
from bot.store.tables import alerts, chat_sources, chats, notices, subscriptions


async def subscribe(connection: AsyncConnection, chat: ChatAddress, topic: str, key: str) -> bool:
    chat_id = await ensure_chat(connection, chat)
    statement = insert_for(connection, subscriptions).values(
        chat_id=chat_id, topic=topic, key=key, created_at=datetime.now(UTC)
    )
    inserted = await connection.scalar(
        statement.on_conflict_do_nothing().returning(subscriptions.c.id)
    )
    if inserted is not None:
        return True
    # Same topic again, perhaps spelt differently: keep the subscription, show the latest spelling.
    await connection.execute(
        update(subscriptions)
        .where(subscriptions.c.chat_id == chat_id, subscriptions.c.key == key)
        .values(topic=topic)
    )
    return False


async def unsubscribe(connection: AsyncConnection, chat: ChatAddress, key: str) -> bool:
    chat_id = await find_chat_id(connection, chat)
    if chat_id is None:
        return False
    result = await connection.execute(
        delete(subscriptions).where(subscriptions.c.chat_id == chat_id, subscriptions.c.key == key)
    )
    return result.rowcount > 0


def _select_subscriptions() -> Select[Any]:
    return (
        select(
            subscriptions.c.id,
            subscriptions.c.topic,
            subscriptions.c.key,
            chats.c.platform,
            chats.c.chat,
            chats.c.thread,
        )
        .join(chats, chats.c.id == subscriptions.c.chat_id)
        .order_by(subscriptions.c.id)
    )


def _subscription_from(row: Any) -> Subscription:
    return Subscription(
        id=row.id,
        chat=chat_address(row.platform, row.chat, row.thread),
        topic=row.topic,
        key=row.key,
    )


async def list_subscriptions(connection: AsyncConnection, chat: ChatAddress) -> list[Subscription]:
    chat_id = await find_chat_id(connection, chat)
    if chat_id is None:
        return []
    query = _select_subscriptions().where(subscriptions.c.chat_id == chat_id)
    return [_subscription_from(row) for row in await connection.execute(query)]


async def active_subscriptions(connection: AsyncConnection) -> list[Subscription]:
    query = _select_subscriptions().where(chats.c.paused == false())
    return [_subscription_from(row) for row in await connection.execute(query)]


async def set_chat_paused(
    connection: AsyncConnection, chat: ChatAddress, paused: bool, *, reason: str
) -> None:
    """A chat address without a thread stands for the whole chat: pausing a forum group (the bot
    was removed) pauses every topic in it, and /start in the group resumes them all."""
    chat_id = await ensure_chat(connection, chat)
    ids = [chat_id]
    if chat.thread is None:
        same_chat = select(chats.c.id).where(
            chats.c.platform == chat.platform, chats.c.chat == chat.chat
        )
        ids = list((await connection.scalars(same_chat)).all())
    await connection.execute(
        update(chats)
        .where(chats.c.id.in_(ids))
        .values(paused=paused, paused_reason=(reason or None) if paused else None)
    )
    if paused:
        for one in ids:
            await drop_pending(
                connection, one, f"chat paused: {reason}" if reason else "chat paused"
            )


async def mute(
    connection: AsyncConnection, chat: ChatAddress, key: str, until: datetime | None
) -> bool:
    chat_id = await find_chat_id(connection, chat)
    if chat_id is None:
        return False
    result = await connection.execute(
        update(subscriptions)
        .where(subscriptions.c.chat_id == chat_id, subscriptions.c.key == key)
        .values(muted_until=until)
    )
    return result.rowcount > 0


async def hold_chat(connection: AsyncConnection, chat: ChatAddress, until: datetime) -> None:
    chat_id = await ensure_chat(connection, chat)
    await connection.execute(update(chats).where(chats.c.id == chat_id).values(hold_until=until))


async def set_link_preview(connection: AsyncConnection, chat: ChatAddress, on: bool) -> None:
    chat_id = await ensure_chat(connection, chat)
    await connection.execute(update(chats).where(chats.c.id == chat_id).values(link_preview=on))


async def move_chat(connection: AsyncConnection, old: ChatAddress, new: ChatAddress) -> None:
    """Everything of `old` now belongs to `new`: subscriptions, settings, queued alerts.

    If `new` already has a row (someone used the new chat first), the old chat's subscriptions
    and pending alerts join it, skipping ones it already has, and the old row goes."""
    old_id = await find_chat_id(connection, old)
    if old_id is None:
        return
    new_id = await find_chat_id(connection, new)
    if new_id is None:
        await connection.execute(
            update(chats)
            .where(chats.c.id == old_id)
            .values(platform=new.platform, chat=new.chat, thread=thread_value(new))
        )
        return
    moving = (
        (subscriptions, subscriptions.c.key),
        (alerts, alerts.c.article_id),
        (chat_sources, chat_sources.c.source_id),
        (notices, notices.c.key),
    )
    for table, unique in moving:
        taken = select(unique).where(table.c.chat_id == new_id)
        await connection.execute(
            update(table)
            .where(table.c.chat_id == old_id, unique.not_in(taken))
            .values(chat_id=new_id)
        )
    await connection.execute(delete(chats).where(chats.c.id == old_id))

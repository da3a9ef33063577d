"""Notices: plain-text messages from the bot to a chat, each sent once (bot.delivery.notices)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import Notice
from bot.store.rows import chat_address, insert_for
from bot.store.tables import chats, notices


async def queue_notice(
    connection: AsyncConnection, chat_id: int, key: str, text: str, *, at: datetime
) -> bool:
    """False if the chat already has a notice with this key: each is told once."""
    statement = insert_for(connection, notices).values(
        chat_id=chat_id, key=key, text=text, created_at=at
    )
    inserted = await connection.scalar(statement.on_conflict_do_nothing().returning(notices.c.id))
    return inserted is not None


async def claim_notices(
    connection: AsyncConnection, limit: int, *, now: datetime, lease_seconds: float
) -> list[Notice]:
    """Unsent notices that are due, for chats not paused or held; leased by pushing not_before."""
    query = (
        select(notices.c.id, notices.c.text, notices.c.attempts, chats.c.platform, chats.c.chat)
        .add_columns(chats.c.thread)
        .join(chats, chats.c.id == notices.c.chat_id)
        .where(
            notices.c.sent_at.is_(None),
            or_(notices.c.not_before.is_(None), notices.c.not_before <= now),
            chats.c.paused == false(),
            or_(chats.c.hold_until.is_(None), chats.c.hold_until <= now),
        )
        .order_by(notices.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=notices, key_share=True)
    )
    rows = list(await connection.execute(query))
    if not rows:
        return []
    await connection.execute(
        update(notices)
        .where(notices.c.id.in_([r.id for r in rows]))
        .values(not_before=now + timedelta(seconds=lease_seconds), attempts=notices.c.attempts + 1)
    )
    return [
        Notice(
            id=r.id,
            chat=chat_address(r.platform, r.chat, r.thread),
            text=r.text,
            attempts=r.attempts + 1,
        )
        for r in rows
    ]


async def notice_sent(connection: AsyncConnection, notice_id: int, *, at: datetime) -> None:
    await connection.execute(
        update(notices).where(notices.c.id == notice_id).values(sent_at=at, last_error=None)
    )


async def notice_retry(
    connection: AsyncConnection, notice_id: int, *, not_before: datetime, error: str
) -> None:
    await connection.execute(
        update(notices)
        .where(notices.c.id == notice_id)
        .values(not_before=not_before, last_error=error)
    )


async def notice_given_up(
    connection: AsyncConnection, notice_id: int, *, at: datetime, error: str
) -> None:
    # Settled without being delivered: sent_at closes it, last_error says why.
    await connection.execute(
        update(notices).where(notices.c.id == notice_id).values(sent_at=at, last_error=error)
    )


async def unsent_notices(connection: AsyncConnection) -> list[tuple[str, str]]:
    """(chat address, text) of every notice not yet settled; for tests and diagnostics."""
    query = (
        select(chats.c.platform, chats.c.chat, chats.c.thread, notices.c.text)
        .join(chats, chats.c.id == notices.c.chat_id)
        .where(notices.c.sent_at.is_(None))
        .order_by(notices.c.id)
    )
    return [
        (str(chat_address(r.platform, r.chat, r.thread)), r.text)
        for r in await connection.execute(query)
    ]

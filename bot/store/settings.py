"""Per-chat delivery settings: timezone, quiet hours, digests, the chat's own pause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import ChatAddress, ChatSettings, MutedTopic
from bot.store.rows import chat_address, ensure_chat, find_chat_id
from bot.store.tables import chats, subscriptions


def _quiet(start: int | None, end: int | None) -> tuple[int, int] | None:
    return None if start is None or end is None else (start, end)


async def chat_settings(
    connection: AsyncConnection, chat: ChatAddress, *, now: datetime
) -> ChatSettings:
    chat_id = await find_chat_id(connection, chat)
    if chat_id is None:
        return ChatSettings()
    row = (await connection.execute(select(chats).where(chats.c.id == chat_id))).one()
    muted = await connection.execute(
        select(subscriptions.c.topic, subscriptions.c.muted_until)
        .where(subscriptions.c.chat_id == chat_id, subscriptions.c.muted_until > now)
        .order_by(subscriptions.c.id)
    )
    return ChatSettings(
        timezone=row.timezone or "UTC",
        quiet=_quiet(row.quiet_start, row.quiet_end),
        digest=row.digest,
        digest_at=row.digest_at,
        digest_due=row.digest_due,
        on_hold=row.on_hold,
        paused=row.paused,
        link_preview=row.link_preview,
        muted=tuple(MutedTopic(m.topic, m.muted_until) for m in muted),
    )


async def update_chat(connection: AsyncConnection, chat: ChatAddress, **values: object) -> None:
    chat_id = await ensure_chat(connection, chat)
    await connection.execute(update(chats).where(chats.c.id == chat_id).values(**values))


async def due_digests(
    connection: AsyncConnection, *, now: datetime
) -> list[tuple[ChatAddress, ChatSettings]]:
    """Chats in digest mode whose digest time has come (paused or gone chats wait)."""
    query = (
        select(chats)
        .where(
            chats.c.digest.is_not(None),
            chats.c.digest_due <= now,
            chats.c.paused == false(),
            chats.c.on_hold == false(),
            or_(chats.c.hold_until.is_(None), chats.c.hold_until <= now),
        )
        .order_by(chats.c.digest_due, chats.c.id)
    )
    return [
        (
            chat_address(row.platform, row.chat, row.thread),
            ChatSettings(
                timezone=row.timezone or "UTC",
                quiet=_quiet(row.quiet_start, row.quiet_end),
                digest=row.digest,
                digest_at=row.digest_at,
                digest_due=row.digest_due,
                link_preview=row.link_preview,
            ),
        )
        for row in await connection.execute(query)
    ]


async def advance_digest(
    connection: AsyncConnection, chat: ChatAddress, *, was: datetime, due: datetime
) -> None:
    # Only if nobody moved it meanwhile (another worker, or a /digest command in between).
    chat_id = await find_chat_id(connection, chat)
    if chat_id is None:
        return
    await connection.execute(
        update(chats)
        .where(and_(chats.c.id == chat_id, chats.c.digest_due == was))
        .values(digest_due=due)
    )

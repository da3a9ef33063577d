"""/previews: the per-chat link preview setting, on a real store."""

from __future__ import annotations

from sqlalchemy import select

from bot.commands.core import Commands, Incoming
from bot.domain import ChatAddress
from bot.match.engine import QueryMatcher
from bot.store.database import SqlStore
from bot.store.tables import chats

CHAT = ChatAddress("telegram", "5001")
GROUP = ChatAddress("telegram", "-100555")


async def preview_setting(store: SqlStore, chat: ChatAddress) -> bool | None:
    async with store.engine.connect() as connection:
        value: bool | None = await connection.scalar(
            select(chats.c.link_preview).where(chats.c.chat == chat.chat)
        )
        return value


async def test_previews_on_and_off(store: SqlStore) -> None:
    commands = Commands(store=store, matcher=QueryMatcher())
    reply = await commands.handle(Incoming(CHAT, "/previews on"))
    assert "on" in reply.text and await preview_setting(store, CHAT) is True
    reply = await commands.handle(Incoming(CHAT, "/previews@NewsBot OFF"))
    assert reply.text == "Link previews are off." and await preview_setting(store, CHAT) is False
    reply = await commands.handle(Incoming(CHAT, "/previews maybe"))
    assert "/previews on or /previews off" in reply.text
    assert await preview_setting(store, CHAT) is False


async def test_in_a_group_only_admins_change_previews(store: SqlStore) -> None:
    commands = Commands(store=store, matcher=QueryMatcher())

    async def no() -> bool:
        return False

    reply = await commands.handle(Incoming(GROUP, "/previews on", group=True, is_admin=no))
    assert "administrators" in reply.text
    assert await preview_setting(store, GROUP) is None  # nothing was written

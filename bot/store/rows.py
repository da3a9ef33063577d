"""Small helpers shared by the store's query modules: portable upserts and row → domain mapping."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import Article, ChatAddress
from bot.store.tables import articles, chats, sources


def insert_for(connection: AsyncConnection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that understands ON CONFLICT on this connection's backend (both have it)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def thread_value(chat: ChatAddress) -> str:
    return chat.thread or ""


def chat_address(platform: str, chat: str, thread: str) -> ChatAddress:
    return ChatAddress(platform=platform, chat=chat, thread=thread or None)


async def find_chat_id(connection: AsyncConnection, chat: ChatAddress) -> int | None:
    query = select(chats.c.id).where(
        chats.c.platform == chat.platform,
        chats.c.chat == chat.chat,
        chats.c.thread == thread_value(chat),
    )
    result: int | None = await connection.scalar(query)
    return result


async def ensure_chat(connection: AsyncConnection, chat: ChatAddress) -> int:
    """The chat's row id, creating the row when this is the first we hear of the chat."""
    values = {"platform": chat.platform, "chat": chat.chat, "thread": thread_value(chat)}
    await connection.execute(insert_for(connection, chats).values(values).on_conflict_do_nothing())
    chat_id = await find_chat_id(connection, chat)
    assert chat_id is not None  # inserted or already there, inside this transaction
    return chat_id


ARTICLE_COLUMNS = (
    articles.c.key,
    articles.c.source_url,
    sources.c.name.label("source_name"),
    articles.c.guid,
    articles.c.url,
    articles.c.title,
    articles.c.summary,
    articles.c.published_at,
    articles.c.body,
)


def select_articles() -> Select[Any]:
    return select(*ARTICLE_COLUMNS).select_from(
        articles.join(sources, sources.c.url == articles.c.source_url)
    )


def article_from(row: Any) -> Article:
    return Article(
        key=row.key,
        source_url=row.source_url,
        source_name=row.source_name,
        guid=row.guid,
        url=row.url or "",
        title=row.title,
        summary=row.summary,
        published=row.published_at,
        body=row.body or "",
    )

"""Storage of chat-added sources, the poll schedule and notices (SQLite, and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from bot.adapters.terminal import TerminalChat
from bot.delivery.notices import Notices
from bot.domain import ChatAddress, SourceInfo
from bot.errors import ChatGone, DeliveryError, RateLimited
from bot.store.database import SqlStore
from tests.support.clock import FakeClock

CHAT = ChatAddress("terminal", "local")
OTHER = ChatAddress("slack", "C1")
WIRE = "https://wire.example/feed"
LOCAL = "https://local.example/rss"


async def test_operator_config_changes_keep_chat_added_sources(store: SqlStore) -> None:
    clock = FakeClock()
    await store.sync_sources([SourceInfo(WIRE, "Wire", 300)])
    await store.add_chat_source(CHAT, WIRE, "Wire", 900, at=clock())
    await store.add_chat_source(CHAT, LOCAL, "Local", 900, at=clock())
    assert [(s.url, s.configured) for s in await store.operator_sources()] == [(WIRE, True)]

    await store.sync_sources([])  # the operator drops the wire; a chat still has it
    assert await store.operator_sources() == []
    mine = await store.chat_sources(CHAT)
    assert [(s.url, s.configured) for s in mine] == [(WIRE, False), (LOCAL, False)]
    assert {s.url for s in await store.list_sources()} == {WIRE, LOCAL}

    assert await store.remove_chat_source(CHAT, WIRE)
    assert not await store.remove_chat_source(CHAT, WIRE)
    assert {s.url for s in await store.list_sources()} == {LOCAL}  # nobody has the wire now
    due = await store.claim_due_sources(clock(), 10, lease_seconds=60)
    assert [d.url for d in due] == [LOCAL] and not due[0].trusted


async def test_a_claimed_source_is_not_claimed_again_until_its_lease_ends(store: SqlStore) -> None:
    clock = FakeClock()
    await store.sync_sources([SourceInfo(WIRE, "Wire", 300)])
    [claimed] = await store.claim_due_sources(clock(), 10, lease_seconds=600)
    assert claimed.trusted and claimed.state.interval == 300
    clock.advance(599)
    assert await store.claim_due_sources(clock(), 10, lease_seconds=600) == []
    clock.advance(1)  # the poll never reported back (a crash): due again
    assert len(await store.claim_due_sources(clock(), 10, lease_seconds=600)) == 1


async def test_sources_and_notices_follow_a_chat_that_moves(store: SqlStore) -> None:
    clock = FakeClock()
    await store.add_chat_source(CHAT, LOCAL, "Local", 900, at=clock())
    await store.subscribe(OTHER, "x", "x")  # the new address is already known
    assert await store.park_source(LOCAL, "gone", at=clock()) == [CHAT]
    await store.move_chat(CHAT, OTHER)
    assert [s.url for s in await store.chat_sources(OTHER)] == [LOCAL]
    assert await store.unsent_notices() == [(str(OTHER), (await store.unsent_notices())[0][1])]


class Scripted:
    """A chat platform that fails the way it is told to, then accepts."""

    platform = "slack"

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.sent: list[str] = []

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(text)
        return "ref"


async def queued_notice(store: SqlStore, clock: FakeClock, chat: ChatAddress = OTHER) -> None:
    await store.add_chat_source(chat, LOCAL, "Local", 900, at=clock())
    await store.park_source(LOCAL, "the feed answers HTTP 410 (gone)", at=clock())


async def test_a_rate_limited_notice_waits_as_long_as_the_platform_asked(store: SqlStore) -> None:
    clock = FakeClock()
    await queued_notice(store, clock)
    platform = Scripted(RateLimited(30))
    notices = Notices(store=store, adapters={"slack": platform}, clock=clock)
    assert await notices.send_due() == 1 and platform.sent == []
    clock.advance(29)
    assert await notices.send_due() == 0
    clock.advance(1)
    assert await notices.send_due() == 1
    [text] = platform.sent
    assert "I stopped checking the source Local" in text and "HTTP 410" in text
    clock.advance(3600)
    assert await notices.send_due() == 0  # sent once


async def test_a_notice_to_a_gone_chat_is_given_up_and_errors_retry(store: SqlStore) -> None:
    clock = FakeClock()
    await queued_notice(store, clock)
    gone = Scripted(DeliveryError("timeout"), ChatGone("bot was blocked"))
    notices = Notices(store=store, adapters={"slack": gone}, clock=clock)
    assert await notices.send_due() == 1
    clock.advance(timedelta(minutes=5).total_seconds())
    assert await notices.send_due() == 1  # retried after the error, then the chat was gone
    clock.advance(24 * 3600)
    assert await notices.send_due() == 0 and gone.sent == []
    assert await store.unsent_notices() == []


async def test_a_paused_chat_gets_no_notice_until_it_resumes(store: SqlStore) -> None:
    clock = FakeClock()
    await queued_notice(store, clock, CHAT)
    said: list[str] = []

    async def nothing() -> AsyncIterator[str]:
        return
        yield  # pragma: no cover

    notices = Notices(
        store=store, adapters={"terminal": TerminalChat(nothing(), said.append)}, clock=clock
    )
    await store.set_chat_paused(CHAT, True, reason="blocked")
    assert await notices.send_due() == 0
    await store.set_chat_paused(CHAT, False)
    assert await notices.send_due() == 1 and len(said) == 1

"""Bad input from chats: floods, overlong or malformed commands, control characters, commands in
the wrong kind of chat. Each gets a short clear reply or is ignored, and others are still served."""

from __future__ import annotations

import pytest

from bot.commands.core import ADMINS_ONLY, TOO_FAST, Commands, Incoming
from bot.commands.limits import ChatLimits, UserRateLimit
from bot.domain import ChatAddress
from bot.match.engine import QueryMatcher
from bot.store.database import SqlStore
from tests.support.chat import TypedChat
from tests.support.clock import FakeClock

CHAT = ChatAddress("telegram", "100")
GROUP = ChatAddress("telegram", "-100200")
LIMITS = ChatLimits(commands_per_user=5, command_seconds=60, max_command_length=300)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def commands(store: SqlStore, clock: FakeClock) -> Commands:
    return Commands(store=store, matcher=QueryMatcher(), clock=clock, limits=LIMITS)


async def test_a_flooding_user_is_told_once_then_ignored_while_others_are_served(
    commands: Commands, store: SqlStore, clock: FakeClock
) -> None:
    replies = [
        (await commands.handle(Incoming(CHAT, f"/subscribe topic {i}", user="spam"))).text
        for i in range(9)
    ]
    assert all(r.startswith("Subscribed") for r in replies[:5])
    assert replies[5] == TOO_FAST
    assert replies[6:] == ["", "", ""]  # ignored: no reply at all
    assert len(await store.subscriptions(CHAT)) == 5

    other = await commands.handle(Incoming(CHAT, "/topics", user="someone-else"))
    assert "topic 0" in other.text

    clock.advance(12)  # one command's worth refilled (5 per 60 s)
    assert (await commands.handle(Incoming(CHAT, "/topics", user="spam"))).text.startswith("Topics")
    assert (await commands.handle(Incoming(CHAT, "/topics", user="spam"))).text == TOO_FAST


def test_the_rate_limit_refills_evenly_and_warns_once_per_flood() -> None:
    limit = UserRateLimit(2, 10)
    assert [limit.allow("u", 0.0) for _ in range(4)] == [
        (True, False),
        (True, False),
        (False, True),
        (False, False),
    ]
    assert limit.allow("u", 4.9) == (False, False)
    assert limit.allow("u", 5.0) == (True, False)
    assert limit.allow("u", 5.0) == (False, True)  # a new flood is announced again


def test_the_rate_limit_forgets_idle_users_so_memory_stays_bounded() -> None:
    limit = UserRateLimit(1, 1, max_users=100)
    for i in range(1000):
        limit.allow(f"user{i}", float(i))
    assert len(limit._buckets) <= 101


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/subscribe " + "x" * 400, "too long for a command (at most 300 characters)"),
        ("/subscribe Sumy\x00Oblast", "control characters"),
        ("/subscribe \x1b[31mred", "control characters"),
        ("/", "Commands start with /"),
        ("/@NewsBot", "Commands start with /"),
        ("//subscribe x", "Unknown command"),
        ("/addsource", "Give the address of a feed"),
        ("/removesource", "Say which"),
        ("/addsource 1", "switched off"),  # no probe injected into these commands
    ],
)
async def test_malformed_and_overlong_commands_get_a_short_clear_reply(
    commands: Commands, store: SqlStore, text: str, expected: str
) -> None:
    reply = await commands.handle(Incoming(CHAT, text, user="u"))
    assert expected in reply.text and len(reply.text) < 200
    assert await store.subscriptions(CHAT) == []


async def test_admin_commands_from_group_members_without_a_way_to_check_are_refused(
    commands: Commands, store: SqlStore
) -> None:
    for text in ("/subscribe Sumy", "/addsource example.org", "/removesource 1"):
        reply = await commands.handle(Incoming(GROUP, text, user="9", group=True, is_admin=None))
        assert reply.text == ADMINS_ONLY
    assert await store.subscriptions(GROUP) == []


async def test_the_terminal_prints_nothing_for_an_ignored_command() -> None:
    chat = TypedChat()
    await chat.adapter.start(_Port())
    try:
        assert await chat.say("/echo 1") == "1"
        await chat._queue.put("/ignore me")
        assert await chat.say("/echo 2") == "2"
    finally:
        chat.end_input()
        await chat.adapter.stop()
    assert chat.output == ["1", "2"]


class _Port:
    """A ChatPort that echoes or stays silent, to watch the adapter alone."""

    async def handle(self, msg: Incoming) -> object:
        from bot.commands.core import Reply

        return Reply(msg.text.removeprefix("/echo ") if msg.text.startswith("/echo") else "")

    async def press(self, msg: Incoming, action: object) -> object:
        raise NotImplementedError

    async def chat_gone(self, chat: ChatAddress, reason: str) -> None: ...
    async def chat_moved(self, old: ChatAddress, new: ChatAddress) -> None: ...

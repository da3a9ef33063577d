"""The per-chat delivery settings commands, on a real store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.commands.core import ADMINS_ONLY, Commands, Incoming
from bot.commands.settings import parse_duration
from bot.delivery.outbox import Outbox
from bot.domain import Article, ChatAddress
from bot.match.engine import QueryMatcher
from bot.store.database import SqlStore
from bot.store.ports import NewAlert
from tests.support.pacedchat import Clock, FakeTelegram

CHAT = ChatAddress("slack", "C1")
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FEED = "https://ex.example/feed"


@pytest.fixture
def clock() -> Clock:
    c = Clock()
    c.now = NOW
    return c


@pytest.fixture
def commands(store: SqlStore, clock: Clock) -> Commands:
    return Commands(store=store, matcher=QueryMatcher(), clock=clock)


async def say(commands: Commands, text: str) -> str:
    return (await commands.handle(Incoming(CHAT, text))).text


async def test_settings_show_everything_that_was_set(commands: Commands, store: SqlStore) -> None:
    text = await say(commands, "/settings")
    for expected in ("Time zone: UTC", "Digest: off", "Quiet hours: off", "Link previews: off"):
        assert expected in text
    await say(commands, "/subscribe Sumy Oblast")
    assert "Europe/Kyiv" in await say(commands, "/timezone Europe/Kyiv")
    assert "2024-06-02 08:00" in await say(commands, "/digest daily 08:00")
    assert "23:00-07:00" in await say(commands, "/quiet 23:00-07:00")
    assert "until 2024-06-01 17:00" in await say(commands, "/mute Sumy Oblast 2h")
    await store.set_link_preview(CHAT, True)
    await say(commands, "/pause")
    text = await say(commands, "/settings")
    for expected in (
        "Alerts: paused",
        "Time zone: Europe/Kyiv",
        "Digest: daily at 08:00, next 2024-06-02 08:00",
        "Quiet hours: 23:00-07:00",
        "Link previews: on",
        "Muted: Sumy Oblast (until 2024-06-01 17:00)",
    ):
        assert expected in text
    await say(commands, "/resume")
    await say(commands, "/quiet off")
    await say(commands, "/digest off")
    assert "no longer muted" in await say(commands, "/mute Sumy Oblast off")
    text = await say(commands, "/settings")
    for expected in ("Alerts: on", "Digest: off", "Quiet hours: off", "Muted: none"):
        assert expected in text


async def test_a_new_timezone_moves_the_next_digest(commands: Commands, store: SqlStore) -> None:
    await say(commands, "/digest daily 08:00")
    assert (await store.chat_settings(CHAT, now=NOW)).digest_due == datetime(
        2024, 6, 2, 8, 0, tzinfo=UTC
    )
    await say(commands, "/timezone Asia/Tokyo")  # 21:00 there: next 08:00 is 23:00 UTC
    assert (await store.chat_settings(CHAT, now=NOW)).digest_due == datetime(
        2024, 6, 1, 23, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/timezone Mars/Olympus", "don't know the time zone"),
        ("/timezone ../../etc/passwd", "don't know the time zone"),
        ("/digest weekly", "Use /digest hourly"),
        ("/digest daily 25:00", "“25:00” is not a time of day"),
        ("/digest daily noon", "“noon” is not a time of day"),
        ("/quiet 25:00-07:00", "“25:00” is not a time of day"),
        ("/quiet 23:00-7:61", "“7:61” is not a time of day"),
        ("/quiet 23:00", "Use /quiet 23:00-07:00"),
        ("/quiet 07:00-07:00", "Use /quiet 23:00-07:00"),
        ("/mute Sumy Oblast", "Give how long"),
        ("/mute Sumy Oblast 90d", "Give how long"),
        ("/mute Kharkiv 2h", "does not follow"),
        ("/mute", "Use /mute TOPIC"),
    ],
)
async def test_bad_settings_are_explained_and_change_nothing(
    commands: Commands, store: SqlStore, line: str, expected: str
) -> None:
    await say(commands, "/subscribe Sumy Oblast")
    assert expected in await say(commands, line)
    settings = await store.chat_settings(CHAT, now=NOW)
    assert (settings.timezone, settings.digest, settings.quiet, settings.muted) == (
        "UTC",
        None,
        None,
        (),
    )


async def test_in_a_group_only_admins_change_settings(commands: Commands) -> None:
    async def no() -> bool:
        return False

    member = Incoming(CHAT, "/quiet 22:00-06:00", group=True, is_admin=no)
    assert (await commands.handle(member)).text == ADMINS_ONLY
    looking = Incoming(CHAT, "/settings", group=True, is_admin=no)
    assert "Quiet hours: off" in (await commands.handle(looking)).text


def test_durations() -> None:
    assert parse_duration("30m") is not None and parse_duration("30m").seconds == 1800  # type: ignore[union-attr]
    assert parse_duration("1d") is not None and parse_duration("1d").days == 1  # type: ignore[union-attr]
    assert parse_duration("0h") is None and parse_duration("2 h") is None
    assert parse_duration("soon") is None


async def test_pause_holds_alerts_and_resume_releases_them(
    commands: Commands, store: SqlStore, clock: Clock
) -> None:
    from tests.test_schedule_local import FEED

    await say(commands, "/subscribe Sumy Oblast")
    [sub] = await store.subscriptions(CHAT)
    await store.ingest(FEED, [], lambda a: [], etag=None, last_modified=None, at=NOW)
    await say(commands, "/pause")
    story = Article("k1", FEED, "Ex", "g1", "https://ex.example/1", "Story 1", "", NOW)
    await store.ingest(
        FEED, [story], lambda a: [NewAlert(sub.id)], etag=None, last_modified=None, at=NOW
    )
    chat = FakeTelegram(clock)
    chat.platform = "slack"
    box = Outbox(store=store, adapters={"slack": chat}, clock=clock, sleep=clock.sleep)
    clock.advance(86400)
    assert await box.deliver_due() == 0 and chat.log == []  # held, not dropped
    await say(commands, "/resume")
    await box.deliver_due()
    assert [titles for _, _, titles in chat.log] == [("Story 1",)]

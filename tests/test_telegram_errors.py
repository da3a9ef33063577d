"""Telegram's limits and failures, end to end: 429 holds only that chat, blocked and vanished
chats are paused (and /start resumes them), migrated groups keep their subscriptions, and markup
Telegram refuses is sent once as plain text."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.app import NewsBot
from tests.support.fake_telegram import FakeTelegram, Limits
from tests.support.feeds import ALIYEV, PEACEKEEPERS, Item, rss
from tests.support.feedserver import FeedServer
from tests.support.telegram_bot import (
    alerts,
    make_config,
    say,
    settle,
    start_bot,
    wait_for,
    wait_for_alerts,
)

A, B = 1001, 1002
ADMIN = 10


def story(n: int) -> Item:
    return replace(
        PEACEKEEPERS,
        guid=f"ki-p{n}",
        title=f"Peacekeepers story number {n}",
        link=f"{PEACEKEEPERS.link}{n}",
        published=PEACEKEEPERS.published + timedelta(minutes=n),
    )


class Feed:
    """The loopback feed: each `publish()` adds one new peacekeepers story and polls it."""

    def __init__(self, server: FeedServer, bot: NewsBot) -> None:
        self.server = server
        self.bot = bot
        self.items = [ALIYEV]
        server.set("/ki.rss", rss(self.items))

    async def publish(self, count: int = 1) -> Item:
        """Add `count` new stories in one poll; returns the newest."""
        for _ in range(count):
            self.items.insert(0, story(len(self.items)))
        self.server.set("/ki.rss", rss(self.items))
        await self.bot.poll_all()
        return self.items[0]


async def started(
    database_url: str, server: FeedServer, fake: FakeTelegram, tmp_path: Path
) -> tuple[NewsBot, Feed]:
    server.set("/ki.rss", rss([ALIYEV]))
    bot = await start_bot(make_config(database_url, server.url("/ki.rss"), tmp_path), fake)
    feed = Feed(server, bot)
    await bot.poll_all()
    return bot, feed


async def test_429_holds_only_that_chat_and_the_alert_still_arrives(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    bot, feed = await started(database_url, feed_server, fake, tmp_path)
    try:
        for user in (A, B):
            fake.private(user)
            await say(fake, user, user, "/subscribe peacekeepers")
        fake.rate_limit(A, retry_after=2)
        item = await feed.publish()
        [to_b] = await wait_for_alerts(fake, B, 1)
        [to_a] = await wait_for_alerts(fake, A, 1)
        [refused] = [r for r in fake.rejections(A) if r.code == 429]
        assert to_a.at - refused.at >= 2  # A waited as long as Telegram said
        assert to_b.at < to_a.at  # B did not wait for A
        await settle()
        assert len(alerts(fake, A)) == 1 and len(alerts(fake, B)) == 1
        assert item.title in to_a.text
    finally:
        await bot.stop()


async def test_flood_limits_delay_alerts_and_lose_none(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    group = -500
    # Telegram's limits, with the group's shrunk to 2 per minute so a test can reach it.
    fake.limits = Limits(group=(2, 60.0))
    bot, feed = await started(database_url, feed_server, fake, tmp_path)
    try:
        fake.private(A)
        fake.group(group, admins={ADMIN})
        await say(fake, A, A, "/subscribe peacekeepers")
        await say(fake, group, ADMIN, "/subscribe peacekeepers")  # the group's first message
        await feed.publish(3)  # one poll: the outbox sends them back to back
        got = await wait_for_alerts(fake, A, 3)
        # The private chat got all three, never two within a second, after 429s in between.
        assert all(b.at - a.at >= 1 for a, b in itertools.pairwise(got))
        assert any(r.code == 429 for r in fake.rejections(A))
        # The group got one more, then Telegram asked it to wait most of a minute: it waits,
        # its alerts stay queued, and the private chat was not held up by it.
        await wait_for_alerts(fake, group, 1)
        await wait_for(lambda: any(r.code == 429 for r in fake.rejections(group)))
        refused = next(r for r in fake.rejections(group) if r.code == 429)
        assert int(refused.description.rsplit(" ", 1)[1]) > 30  # most of the minute is left
        assert refused.at < got[-1].at
        await settle()
        assert len(alerts(fake, group)) == 1 and len(alerts(fake, A)) == 3
    finally:
        await bot.stop()


async def test_blocked_chat_is_paused_without_retries_and_start_resumes_it(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None  # not about flood limits; keeps the test quick
    bot, feed = await started(database_url, feed_server, fake, tmp_path)
    try:
        for user in (A, B):
            fake.private(user)
            await say(fake, user, user, "/subscribe peacekeepers")
        fake.block(A)  # A blocks the bot; the bot learns it from the 403
        await feed.publish()
        await wait_for_alerts(fake, B, 1)
        await wait_for(lambda: len(fake.rejections(A)) == 1)
        assert fake.rejections(A)[0].description == "Forbidden: bot was blocked by the user"
        await settle()
        assert fake.send_attempts(A) == 2  # the reply, then one alert: never retried

        await feed.publish()  # paused: nothing is even tried
        await wait_for_alerts(fake, B, 2)
        await settle()
        assert fake.send_attempts(A) == 2

        fake.unblock(A)
        assert (await say(fake, A, A, "/start")).text.startswith("Hello!")
        item = await feed.publish()
        [alert] = await wait_for_alerts(fake, A, 1)
        assert item.title in alert.text
    finally:
        await bot.stop()


async def test_kicked_and_vanished_chats_are_paused(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None
    kicked, vanished = -301, -302
    bot, feed = await started(database_url, feed_server, fake, tmp_path)
    try:
        fake.private(A)
        await say(fake, A, A, "/subscribe peacekeepers")
        for group in (kicked, vanished):
            fake.group(group, admins={ADMIN})
            await say(fake, group, ADMIN, "/subscribe peacekeepers")
        fake.kick(kicked)  # my_chat_member: the bot hears it was removed
        fake.forget(vanished)  # 400 chat not found on the next send
        await wait_for(lambda: fake.pending_updates() == 0)
        await say(fake, A, A, "/topics")  # updates are handled in order: the kick is done

        await feed.publish()
        await wait_for_alerts(fake, A, 1)
        await wait_for(lambda: len(fake.rejections(vanished)) == 1)
        assert fake.rejections(vanished)[0].description == "Bad Request: chat not found"
        await feed.publish()
        await wait_for_alerts(fake, A, 2)
        await settle()
        assert fake.send_attempts(kicked) == 1  # the /subscribe reply; no alert was tried
        assert fake.send_attempts(vanished) == 2  # the reply, and one alert: not retried
    finally:
        await bot.stop()


async def test_migrated_group_keeps_its_subscriptions_and_gets_the_alert_once(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None
    told, untold = -401, -402
    bot, feed = await started(database_url, feed_server, fake, tmp_path)
    try:
        for group in (told, untold):
            fake.group(group, admins={ADMIN})
            await say(fake, group, ADMIN, "/subscribe peacekeepers")
        # One group's migration arrives as an update; the other's only as the send error.
        fake.migrate(told, -100401)
        fake.migrate(untold, -100402, notify=False)
        await wait_for(lambda: fake.pending_updates() == 0)
        reply = await say(fake, -100401, ADMIN, "/topics")
        assert reply.text == "Topics followed here:\n• peacekeepers"

        item = await feed.publish()
        [first] = await wait_for_alerts(fake, -100401, 1)
        [second] = await wait_for_alerts(fake, -100402, 1)
        await settle()
        assert item.title in first.text and item.title in second.text
        assert len(alerts(fake, -100401)) == 1 and len(alerts(fake, -100402)) == 1
        assert [r.code for r in fake.rejections(untold)] == [400]  # moved, then sent there
        assert fake.rejections(told) == []
        reply = await say(fake, -100402, ADMIN, "/topics")
        assert reply.text == "Topics followed here:\n• peacekeepers"
    finally:
        await bot.stop()


async def test_markup_telegram_refuses_is_sent_once_as_plain_text(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None
    bot, feed = await started(database_url, feed_server, fake, tmp_path)
    try:
        fake.private(A)
        await say(fake, A, A, "/subscribe peacekeepers")
        fake.fail_next(
            "sendMessage",
            400,
            'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 3',
            chat_id=A,
        )
        item = await feed.publish()
        [alert] = await wait_for_alerts(fake, A, 1)
        assert alert.parse_mode is None
        assert alert.text.startswith(f"🔔 {item.title} {item.link}")
        assert alert.buttons  # the buttons still work without markup

        # Any other 400 is not retried blindly: the alert is given up at once.
        fake.fail_next("sendMessage", 400, "Bad Request: message is too long", chat_id=A)
        await feed.publish()
        await wait_for(lambda: len(fake.rejections(A)) == 2)
        await settle()
        assert len(alerts(fake, A)) == 1
        assert fake.send_attempts(A) == 4  # reply, alert (HTML + plain), refused alert
    finally:
        await bot.stop()

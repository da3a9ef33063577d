"""End to end in a private Telegram chat: python-telegram-bot against the fake Bot API, a loopback
feed, the real app and store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from tests.support.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.support.feeds import ALIYEV, CRUMBLES, ODESA, PEACEKEEPERS, SUMY, rss
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

USER = 5001
HOSTILE = 'Fake "<!channel>" alerts & <b>bold</b> in Sumy Oblast'


async def test_private_chat_subscribes_gets_each_alert_once_and_asks_for_the_latest(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None  # flood limits have their own tests (test_telegram_errors.py)
    chat = fake.private(USER)
    feed_server.set("/ki.rss", rss([ALIYEV, CRUMBLES]))
    bot = await start_bot(make_config(database_url, feed_server.url("/ki.rss"), tmp_path), fake)
    try:
        await bot.poll_all()
        assert [c["command"] for c in fake.commands][:3] == ["start", "help", "subscribe"]

        assert "Subscribed" in (await say(fake, chat, USER, "/subscribe peacekeepers")).text
        reply = await say(fake, chat, USER, f"/subscribe@{BOT_USERNAME} Sumy Oblast")
        assert "Subscribed" in reply.text
        assert "already" in (await say(fake, chat, USER, "/subscribe Peacekeeper")).text

        feed_server.set("/ki.rss", rss([PEACEKEEPERS, SUMY, ODESA, ALIYEV, CRUMBLES]))
        await bot.poll_all()
        await wait_for_alerts(fake, chat, 2)
        await settle()
        got = alerts(fake, chat)
        assert len(got) == 2
        by_title = {a.text.splitlines()[0]: a for a in got}
        alert = by_title[f"🔔 {PEACEKEEPERS.title}"]
        assert "Topic: peacekeepers" in alert.text
        assert "Kyiv Independent · 2024-04-17 15:48 UTC" in alert.text
        assert f'<a href="{PEACEKEEPERS.link}">' in alert.raw
        assert alert.preview_disabled
        assert [label for label, _ in alert.buttons] == [
            "Unsubscribe from peacekeepers",
            "Mute peacekeepers for 1 h",
        ]
        assert all(len(data.encode()) <= 64 for _, data in alert.buttons)

        latest = await say(fake, chat, USER, "/latest peacekeepers")
        assert PEACEKEEPERS.title in latest.text and CRUMBLES.title in latest.text
        assert latest.text.index(PEACEKEEPERS.title) < latest.text.index(CRUMBLES.title)

        # The mute button: answered, and the next peacekeepers story alerts nobody.
        fake.press(alert, USER, "Mute")
        await wait_for(lambda: len(fake.answers) == 1)
        assert "muted until" in fake.answers[0].text

        # A hostile title on the other topic arrives exactly as written. The feed carries it as
        # escaped text (twice: HTML inside XML), so the story really is titled with markup.
        hostile = replace(
            SUMY,
            guid="ki-3000",
            title=html.escape(html.escape(HOSTILE, quote=False), quote=False),
            link=SUMY.link + "-hostile?a=1&b=2",
            description="Tom & Jerry <b>x</b> in Sumy Oblast",
            published=SUMY.published + timedelta(hours=12),
        )
        feed_server.set("/ki.rss", rss([hostile, PEACEKEEPERS, SUMY, ODESA, ALIYEV, CRUMBLES]))
        await bot.poll_all()
        assert (await bot.store.recent_articles(1))[0].title == HOSTILE
        [*_, sumy2] = await wait_for_alerts(fake, chat, 3)
        await settle()
        assert len(alerts(fake, chat)) == 3  # muted: no second alert for peacekeepers
        assert sumy2.text.splitlines()[0] == f"🔔 {HOSTILE}"
        assert sumy2.parse_mode == "HTML" and "&lt;b&gt;bold" in sumy2.raw
        assert "Tom & Jerry" in sumy2.text

        # The unsubscribe button: answered, and the topic is gone.
        fake.press(sumy2, USER, "Unsubscribe")
        await wait_for(lambda: len(fake.answers) == 2)
        assert fake.answers[1].text == "Unsubscribed from “Sumy Oblast”."
        topics = await say(fake, chat, USER, "/topics")
        assert "peacekeepers" in topics.text and "Sumy" not in topics.text
        # Pressed again (a replayed update): answered, nothing left to do.
        fake.press(sumy2, USER, "Unsubscribe")
        await wait_for(lambda: len(fake.answers) == 3)
        assert "no longer follows" in fake.answers[2].text
    finally:
        await bot.stop()


async def test_updates_sent_while_the_bot_is_down_are_handled_once_after_restart(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None
    chat = fake.private(USER)
    feed_server.set("/ki.rss", rss([ALIYEV]))
    config = make_config(database_url, feed_server.url("/ki.rss"), tmp_path)
    bot = await start_bot(config, fake)
    try:
        assert "Subscribed" in (await say(fake, chat, USER, "/subscribe peacekeepers")).text
    finally:
        await bot.stop()

    # While it is down the user writes, twice the same (as a replayed update would be).
    fake.say(chat, USER, "/subscribe Sumy Oblast")
    fake.say(chat, USER, "/subscribe Sumy Oblast")
    bot = await start_bot(config, fake)
    try:
        await wait_for(lambda: len(fake.sent(chat)) == 3)
        first, second = (s.text for s in fake.sent(chat)[1:])
        assert first.startswith("Subscribed to “Sumy Oblast”") and "already" in second
        topics = await say(fake, chat, USER, "/topics")
        assert topics.text == "Topics followed here:\n• peacekeepers\n• Sumy Oblast"
        await settle()
        texts = [s.text for s in fake.sent(chat)]
        assert sum(t.startswith("Subscribed to “peacekeepers”") for t in texts) == 1
    finally:
        await bot.stop()

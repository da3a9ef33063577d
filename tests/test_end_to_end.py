"""The whole loop through the terminal chat: subscribe, poll a real loopback feed, get alerts once
each, across polls and restarts on the same database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from bot.app import NewsBot, build
from bot.config import Config, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from tests.support.chat import TypedChat
from tests.support.feeds import ALIYEV, CRUMBLES, ODESA, PEACEKEEPERS, SUMY, rss
from tests.support.feedserver import FeedServer

FAST = DeliveryPolicy(poll_seconds=0.05, retry_base_seconds=0.05)


def make_config(database_url: str, feed_url: str, data_dir: Path) -> Config:
    return Config(
        database_url=database_url,
        data_dir=data_dir,
        sources=(SourceConfig(url=feed_url, name="Kyiv Independent", interval=60),),
        delivery=FAST,
        demo=False,
    )


async def started(config: Config, chat: TypedChat) -> NewsBot:
    bot = await build(config, adapters=[chat.adapter])
    await bot.start(schedule=False)  # the test decides when a poll happens
    return bot


async def settle(chat: TypedChat, expected: int) -> list[str]:
    await chat.wait_for_alerts(expected)
    await asyncio.sleep(0.2)  # long enough for a duplicate to show up if one were queued
    return chat.alerts()


async def test_subscribe_poll_alert_once_across_polls_and_restarts(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_url = feed_server.url("/ki.rss")
    config = make_config(database_url, feed_url, tmp_path)
    feed_server.set("/ki.rss", rss([ALIYEV, CRUMBLES]))

    chat = TypedChat()
    bot = await started(config, chat)
    [outcome] = await bot.poll_all()
    assert outcome.new_articles == 2 and outcome.alerts_queued == 0  # first poll: no flood

    assert "Subscribed" in await chat.say("/subscribe peacekeepers")
    assert "Subscribed" in await chat.say("/subscribe Sumy Oblast")
    assert "already" in await chat.say("/subscribe Peacekeeper")

    # New stories appear: one per topic, one for neither.
    feed_server.set("/ki.rss", rss([PEACEKEEPERS, SUMY, ODESA, ALIYEV, CRUMBLES]))
    [outcome] = await bot.poll_all()
    assert outcome.new_articles == 3 and outcome.alerts_queued == 2
    alerts = await settle(chat, 2)
    assert len(alerts) == 2
    by_topic = {a.splitlines()[0].split("]")[0] + "]": a for a in alerts}
    assert PEACEKEEPERS.title in by_topic["🔔 [peacekeepers]"]
    assert SUMY.title in by_topic["🔔 [Sumy Oblast]"]
    assert "<p>" not in by_topic["🔔 [peacekeepers]"] and "&quot;" not in alerts[0] + alerts[1]

    # Unchanged feed: the server answers 304 and nothing happens.
    [outcome] = await bot.poll_all()
    assert outcome.not_modified
    assert feed_server.requests("/ki.rss")[-1].status == 304

    # The same stories again under new GUIDs and with tracking parameters: still nothing new.
    renamed = [
        replace(PEACEKEEPERS, guid="other-1", link=PEACEKEEPERS.link + "?utm_source=x#top"),
        replace(SUMY, guid="other-2", link=SUMY.link.replace("https://", "HTTPS://")),
    ]
    feed_server.set("/ki.rss", rss([*renamed, ODESA]))
    [outcome] = await bot.poll_all()
    assert outcome.new_articles == 0 and outcome.alerts_queued == 0
    await bot.stop()
    assert len(chat.alerts()) == 2

    # Restart on the same database: subscriptions are still there, nothing is sent again, and a
    # story that is really new alerts once.
    chat2 = TypedChat()
    bot = await started(config, chat2)
    assert "Sumy Oblast" in await chat2.say("/topics")
    feed_server.set("/ki.rss", rss([PEACEKEEPERS, SUMY, ODESA]))
    [outcome] = await bot.poll_all()
    assert outcome.alerts_queued == 0
    later = replace(
        SUMY,
        guid="ki-2000",
        title="Russian drones hit Sumy Oblast overnight",
        link=SUMY.link + "-2",
        # A new story has its own text: the same lead under another title is the same story.
        description="Drones struck the city of Sumy overnight, the regional governor said.",
    )
    feed_server.set("/ki.rss", rss([later, PEACEKEEPERS, SUMY, ODESA]))
    await bot.poll_all()
    alerts = await settle(chat2, 1)
    assert len(alerts) == 1 and later.title in alerts[0]

    # Unsubscribing takes effect on the next poll (the live topic index is updated in place).
    assert "Unsubscribed" in await chat2.say("/unsubscribe sumy oblast")
    latest = replace(later, guid="ki-2001", link=SUMY.link + "-3", title="Sumy Oblast again")
    feed_server.set("/ki.rss", rss([latest, later, PEACEKEEPERS, SUMY, ODESA]))
    [outcome] = await bot.poll_all()
    assert outcome.new_articles == 1 and outcome.alerts_queued == 0
    await bot.stop()


async def test_alerts_queued_before_a_crash_are_delivered_after_restart(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_url = feed_server.url("/ki.rss")
    config = make_config(database_url, feed_url, tmp_path)
    feed_server.set("/ki.rss", rss([ALIYEV]))

    chat = TypedChat()
    bot = await started(config, chat)
    await bot.poll_all()
    await chat.say("/subscribe peacekeepers")
    await bot.stop()

    # A bot that polls but dies before its delivery worker runs: build without start().
    crashed = await build(config, adapters=[TypedChat().adapter])
    feed_server.set("/ki.rss", rss([PEACEKEEPERS, ALIYEV]))
    [outcome] = await crashed.poll_all()
    assert outcome.alerts_queued == 1
    await crashed.stop()

    chat2 = TypedChat()
    bot = await started(config, chat2)
    alerts = await settle(chat2, 1)
    assert len(alerts) == 1 and PEACEKEEPERS.title in alerts[0]
    await bot.stop()

    chat3 = TypedChat()
    bot = await started(config, chat3)
    await asyncio.sleep(0.3)
    assert chat3.alerts() == []  # delivered once means never again
    await bot.stop()


async def test_latest_and_sources_answer_from_the_store(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    config = make_config(database_url, feed_server.url("/ki.rss"), tmp_path)
    feed_server.set("/ki.rss", rss([PEACEKEEPERS, SUMY, ODESA, ALIYEV, CRUMBLES]))
    chat = TypedChat()
    bot = await started(config, chat)
    await bot.poll_all()

    reply = await chat.say("/latest peacekeepers")
    assert PEACEKEEPERS.title in reply and CRUMBLES.title in reply
    assert reply.index(PEACEKEEPERS.title) < reply.index(CRUMBLES.title)  # newest first
    assert SUMY.title not in reply
    assert "subscribe to one first" in await chat.say("/latest")
    await chat.say("/subscribe Sumy Oblast")
    assert SUMY.title in await chat.say("/latest")
    assert "Kyiv Independent" in await chat.say("/sources")
    assert chat.alerts() == []
    await bot.stop()


async def test_broken_sources_are_reported_and_never_stop_the_others(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    good = feed_server.url("/ki.rss")
    sources = (
        SourceConfig(url=feed_server.url("/down"), name="Down", interval=60),
        SourceConfig(url=feed_server.url("/broken"), name="Broken", interval=60),
        SourceConfig(url=good, name="Kyiv Independent", interval=60),
    )
    config = replace(make_config(database_url, good, tmp_path), sources=sources)
    feed_server.set_status("/down", 503, retry_after=120)
    feed_server.set("/broken", b"\x89PNG\r\n\x1a\n\x00\x00garbage", content_type="text/xml")
    feed_server.set("/ki.rss", rss([ALIYEV]))
    chat = TypedChat()
    bot = await started(config, chat)
    await bot.poll_all()
    await chat.say("/subscribe Sumy Oblast")
    feed_server.set("/ki.rss", rss([SUMY, ALIYEV]))
    down, broken, ok = await bot.poll_all()
    assert down.error == "HTTP 503 (retry after 120)"
    assert broken.error is not None and "not a feed" in broken.error
    assert ok.alerts_queued == 1
    assert SUMY.title in (await settle(chat, 1))[0]
    listing = await chat.say("/sources")
    assert "Down" in listing and "last poll failed: HTTP 503" in listing
    assert "Broken — " in listing and "Kyiv Independent" in listing
    await bot.stop()

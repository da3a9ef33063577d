"""One alert per story across outlets, through the real app and the terminal chat, on SQLite and
PostgreSQL: the same story in three feeds (different URLs, slightly different titles) alerts once
and names all three; a later outlet edits the sent alert; similar but distinct stories stay two."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.adapters.terminal import LOCAL_CHAT
from bot.app import NewsBot, build
from bot.commands.core import Incoming
from bot.config import Config, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from tests.support.chat import TypedChat
from tests.support.feeds import ALIYEV, PEACEKEEPERS, SUMY, Item, rss
from tests.support.feedserver import FeedServer

FAST = DeliveryPolicy(poll_seconds=0.05, retry_base_seconds=0.05)
OUTLETS = ("Outlet A", "Outlet B", "Outlet C", "Outlet D")

# The same story as three outlets wrote it: a reworded title, and a new headline over wire copy.
FROM_B = Item(
    "b-1",
    "Kremlin confirms Russian peacekeepers are withdrawing from Nagorno-Karabakh",
    "https://outlet-b.example/world/2024/04/17/peacekeepers",
    "Russia's peacekeeping contingent is leaving Nagorno-Karabakh, Dmitry Peskov said, "
    "confirming reports in Azerbaijani media.",
    PEACEKEEPERS.published + timedelta(minutes=20),
)
FROM_C = Item(
    "c-1",
    "Russia pulls its 'peacekeepers' out of Karabakh",
    "https://outlet-c.example/news/77",
    PEACEKEEPERS.description,
    PEACEKEEPERS.published + timedelta(hours=2),
)


def config_for(database_url: str, server: FeedServer, data_dir: Path) -> Config:
    sources = tuple(
        SourceConfig(url=server.url(f"/{name[-1].lower()}.rss"), name=name, interval=60)
        for name in OUTLETS
    )
    return Config(
        database_url=database_url, data_dir=data_dir, sources=sources, delivery=FAST, demo=False
    )


def publish(server: FeedServer, **items: list[Item]) -> None:
    for letter, listed in items.items():
        server.set(f"/{letter}.rss", rss(listed))


async def started(config: Config, chat: TypedChat, server: FeedServer) -> NewsBot:
    publish(server, a=[ALIYEV], b=[ALIYEV], c=[ALIYEV], d=[ALIYEV])
    bot = await build(config, adapters=[chat.adapter])
    await bot.start(schedule=False)
    await bot.poll_all()  # baseline: nothing alerts
    return bot


def updates(chat: TypedChat) -> list[str]:
    return [o for o in chat.output if o.startswith("✏️")]


async def test_one_story_in_three_feeds_alerts_once_naming_all_three(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    chat = TypedChat()
    bot = await started(config_for(database_url, feed_server, tmp_path), chat, feed_server)
    await chat.say("/subscribe peacekeepers")

    # Outlet A first: its alert goes out alone.
    publish(feed_server, a=[PEACEKEEPERS, ALIYEV])
    await bot.poll_all()
    [alert] = await chat.wait_for_alerts(1)
    assert PEACEKEEPERS.title in alert and "Also:" not in alert

    # B and C carry it later under other URLs and titles: the sent alert is edited, not repeated.
    publish(feed_server, b=[FROM_B, ALIYEV], c=[FROM_C, ALIYEV])
    outcomes = await bot.poll_all()
    assert [o.alerts_queued for o in outcomes] == [0, 0, 0, 0]
    await TypedChat.wait_for(
        lambda: any("Also: Outlet B, Outlet C" in u for u in updates(chat)), within=5
    )
    final = updates(chat)[-1]
    assert PEACEKEEPERS.title in final and "(update to alert 1)" in final

    # D links the very same page as A: one more outlet, same story.
    publish(feed_server, d=[replace(PEACEKEEPERS, guid="d-9"), ALIYEV])
    await bot.poll_all()
    await TypedChat.wait_for(
        lambda: "Also: Outlet B, Outlet C, Outlet D" in updates(chat)[-1], within=5
    )
    await asyncio.sleep(0.2)  # room for a duplicate alert or edit to show up if one were made
    assert len(chat.alerts()) == 1
    # At most one edit per outlet that joined, each naming more outlets than the one before.
    named = [u.split("Also: ")[1].splitlines()[0].split(", ") for u in updates(chat)]
    assert len(named) <= 3 and all(a == b[: len(a)] for a, b in itertools.pairwise(named))
    sources = await bot.store.story_sources(_key_of(PEACEKEEPERS.link))
    assert sources == ["Outlet A", "Outlet B", "Outlet C", "Outlet D"]
    await bot.stop()


async def test_outlets_known_before_delivery_are_named_in_the_first_message(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    chat = TypedChat()
    config = config_for(database_url, feed_server, tmp_path)
    publish(feed_server, a=[ALIYEV], b=[ALIYEV], c=[ALIYEV], d=[ALIYEV])
    # Poll with a bot whose delivery never runs, then deliver with a fresh one.
    poller = await build(config, adapters=[TypedChat().adapter])
    await poller.poll_all()
    await poller.commands.handle(Incoming(LOCAL_CHAT, "/subscribe peacekeepers"))
    publish(feed_server, a=[PEACEKEEPERS, ALIYEV], b=[FROM_B, ALIYEV], c=[FROM_C, ALIYEV])
    outcomes = await poller.poll_all()
    assert [o.alerts_queued for o in outcomes] == [1, 0, 0, 0]
    await poller.stop()

    bot = await build(config, adapters=[chat.adapter])
    await bot.start(schedule=False)
    [alert] = await chat.wait_for_alerts(1)
    assert "Also: Outlet B, Outlet C" in alert
    await asyncio.sleep(0.2)
    assert updates(chat) == []  # nothing to edit: the message already names them
    await bot.stop()


async def test_similar_but_distinct_stories_alert_separately(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    chat = TypedChat()
    bot = await started(config_for(database_url, feed_server, tmp_path), chat, feed_server)
    await chat.say("/subscribe Sumy Oblast")
    await chat.say("/subscribe Nagorno-Karabakh")
    next_day = Item(
        "b-2",
        "Russia attacks 9 communities in Sumy Oblast, killing 2.",
        "https://outlet-b.example/world/sumy-attacks-april-17",
        "Russian troops shelled 9 communities in Sumy Oblast on April 17, killing two civilians, "
        "the regional military administration said.",
        SUMY.published + timedelta(days=1),
    )
    follow_up = Item(
        "c-2",
        "Last Russian peacekeepers leave Nagorno-Karabakh, Azerbaijan says",
        "https://outlet-c.example/news/91",
        "The last convoy of Russian troops crossed out of the region on Thursday, Azerbaijan's "
        "defence ministry said, ending a deployment that began in 2020.",
        PEACEKEEPERS.published + timedelta(hours=30),
    )
    publish(feed_server, a=[SUMY, PEACEKEEPERS, ALIYEV], b=[next_day, ALIYEV])
    publish(feed_server, c=[follow_up, ALIYEV])
    await bot.poll_all()
    alerts = await chat.wait_for_alerts(4)
    await asyncio.sleep(0.2)
    assert len(chat.alerts()) == 4
    titles = [SUMY.title, next_day.title, PEACEKEEPERS.title, follow_up.title]
    assert all(any(t in a for a in alerts) for t in titles)
    assert not any("Also:" in a for a in alerts) and updates(chat) == []
    await bot.stop()


def _key_of(url: str) -> str:
    return hashlib.sha1(url.encode()).hexdigest()  # Article.key of a story with a link

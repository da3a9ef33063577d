"""/stats: the operators' figures in chat, for the chats in `[ops] admins` only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.telegram import TelegramChat
from bot.app import build
from bot.commands.core import Commands, Incoming, command_specs
from bot.commands.stats import stats_text
from bot.config import Config, OpsConfig, SourceConfig
from bot.domain import ChatAddress, HourCount, OpsFigures, PlatformFigures, SourceInfo
from bot.match.engine import QueryMatcher
from bot.store.database import SqlStore
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.feeds import ALIYEV, rss
from tests.support.feedserver import FeedServer
from tests.support.telegram_bot import say

NOW = datetime(2025, 6, 2, 10, 20, tzinfo=UTC)
OPERATOR = ChatAddress("telegram", "111")
SOMEONE = ChatAddress("telegram", "222")


def test_the_lines_say_sources_queue_flow_and_audience() -> None:
    figures = OpsFigures(
        at=NOW,
        sources_ok=40,
        sources_failing=2,
        sources_parked=1,
        subscriptions=75,
        platforms=(
            PlatformFigures("slack", chats=3, held=0, queued=0),
            PlatformFigures(
                "telegram", chats=20, held=1, queued=4, oldest=NOW - timedelta(minutes=7)
            ),
        ),
    )
    hours = [
        HourCount(NOW - timedelta(hours=1), sent=10, failed=1),
        HourCount(NOW, sent=3, pending=4),
    ]
    assert stats_text(figures, hours, NOW).splitlines()[1:] == [
        "Sources: 40 ok, 2 failing, 1 parked",
        "Queue: 4 alerts waiting, the oldest for 7 min (telegram 4)",
        "Alerts this hour: 3 sent, 4 waiting, 0 failed; last 24 h: 13 sent, 4 waiting, 1 failed",
        "Topics followed: 75, in 23 chats (slack 3, telegram 20)",
        "Held after a 429: 1 chat",
    ]


async def test_only_operators_get_figures_and_others_do_not_see_the_command(
    store: SqlStore,
) -> None:
    await store.sync_sources([SourceInfo("https://news.example/rss", "News", 60)])
    await store.record_poll_error("https://news.example/rss", "HTTP 500", at=NOW)
    await store.subscribe(SOMEONE, "Sumy Oblast", "sumy")
    commands = Commands(
        store=store,
        matcher=QueryMatcher(),
        clock=lambda: NOW,
        operators=frozenset({"telegram:111"}),
    )
    reply = await commands.handle(Incoming(OPERATOR, "/stats"))
    assert "Sources: 0 ok, 1 failing, 0 parked" in reply.text
    assert "Topics followed: 1, in 1 chat (telegram 1)" in reply.text
    assert "Queue: 0 alerts waiting" in reply.text
    refused = await commands.handle(Incoming(SOMEONE, "/stats"))
    assert refused.text == "Only the people who run this bot can use that command."
    assert "/stats" not in (await commands.handle(Incoming(OPERATOR, "/help"))).text
    assert "stats" not in [spec.name for spec in command_specs()]  # not in platform menus


async def test_stats_in_a_telegram_chat_listed_in_ops_admins(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None
    admin, other = fake.private(111), fake.private(222)
    feed_server.set("/ki.rss", rss([ALIYEV]))
    config = Config(
        database_url=database_url,
        data_dir=tmp_path,
        sources=(SourceConfig(url=feed_server.url("/ki.rss"), name="KI", interval=60),),
        demo=False,
        telegram_token=TOKEN,
        ops=OpsConfig(admins=frozenset({f"telegram:{admin}"})),
    )
    bot = await build(
        config, adapters=[TelegramChat(TOKEN, base_url=fake.base_url, poll_timeout=1)]
    )
    await bot.start(schedule=False)
    try:
        await bot.poll_all()
        answer = (await say(fake, admin, 111, "/stats")).text
        refused = (await say(fake, other, 222, "/stats")).text
    finally:
        await bot.stop()
    assert answer.startswith("newsbot ") and "Sources: 1 ok, 0 failing, 0 parked" in answer
    assert refused.startswith("Only the people who run this bot")
    assert bot.ops is None  # /stats needs no ops server

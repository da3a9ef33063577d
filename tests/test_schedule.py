"""The poll schedule lives in the database; APScheduler only ticks "poll the sources that are due".

Time is a fake clock the test moves; the feeds are real loopback servers counting requests."""

from __future__ import annotations

from pathlib import Path

from bot.app import NewsBot, build
from bot.config import Config, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from bot.sources.policy import PollingPolicy
from tests.support.chat import TypedChat
from tests.support.clock import FakeClock
from tests.support.feeds import ALIYEV, SUMY, rss
from tests.support.feedserver import FeedServer

PATHS = ("/a.rss", "/b.rss", "/c.rss")
TICKING = PollingPolicy(tick_seconds=0.05, min_interval=1, max_interval=3600)


def make_config(
    database_url: str, tmp_path: Path, server: FeedServer, **intervals: float
) -> Config:
    return Config(
        database_url=database_url,
        data_dir=tmp_path,
        sources=tuple(
            SourceConfig(url=server.url(p), name=p, interval=intervals.get(p[1], 60)) for p in PATHS
        ),
        delivery=DeliveryPolicy(poll_seconds=0.05),
        polling=TICKING,
        demo=False,
    )


def counts(server: FeedServer) -> list[int]:
    return [len(server.requests(p)) for p in PATHS]


async def run_ticks(bot: NewsBot, rounds: int) -> None:
    await bot.start()  # the real APScheduler, ticking every 0.05 s
    try:
        start = bot.schedule.rounds
        await TypedChat.wait_for(lambda: bot.schedule.rounds >= start + rounds, within=10)
    finally:
        await bot.stop()


async def test_restart_after_a_long_downtime_gives_one_catch_up_poll_per_source(
    database_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    for path in PATHS:
        feed_server.set(path, rss([ALIYEV, SUMY]))
    config = make_config(database_url, tmp_path, feed_server)
    clock = FakeClock()

    bot = await build(config, adapters=[TypedChat().adapter], clock=clock)
    await run_ticks(bot, 5)
    assert counts(feed_server) == [1, 1, 1]  # first poll at start; the clock has not moved since

    clock.advance(30)  # a quick restart, within every source's interval: nothing is due
    bot = await build(config, adapters=[TypedChat().adapter], clock=clock)
    await run_ticks(bot, 5)
    assert counts(feed_server) == [1, 1, 1]

    clock.advance(7 * 24 * 3600)  # down for a week: ~10,000 intervals missed
    bot = await build(config, adapters=[TypedChat().adapter], clock=clock)
    await run_ticks(bot, 8)
    assert counts(feed_server) == [2, 2, 2]  # exactly one catch-up poll each, no storm
    assert all("if-none-match" in feed_server.requests(p)[-1].headers for p in PATHS)


async def test_each_source_is_due_again_after_its_own_interval(
    database_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    for path in PATHS:
        feed_server.set(path, rss([ALIYEV]))
    config = make_config(database_url, tmp_path, feed_server, a=60, b=600, c=3600)
    clock = FakeClock()
    bot = await build(config, adapters=[TypedChat().adapter], clock=clock)
    await bot.start(schedule=False)
    try:
        assert len(await bot.poll_due()) == 3
        assert await bot.poll_due() == []  # nothing due at the same moment
        clock.advance(59)
        assert await bot.poll_due() == []
        clock.advance(2)
        assert [o.source for o in await bot.poll_due()] == [feed_server.url("/a.rss")]
        clock.advance(600)
        due = sorted(o.source for o in await bot.poll_due())
        assert due == [feed_server.url("/a.rss"), feed_server.url("/b.rss")]
    finally:
        await bot.stop()
    assert counts(feed_server) == [3, 2, 1]

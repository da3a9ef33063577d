"""Each source is polled on its own interval by the real APScheduler."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import build
from bot.config import Config, SourceConfig
from tests.support.chat import TypedChat
from tests.support.feeds import ALIYEV, SUMY, rss
from tests.support.feedserver import FeedServer


async def test_sources_poll_on_their_own_intervals(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.set("/fast.rss", rss([ALIYEV]))
    feed_server.set("/slow.rss", rss([SUMY]))
    config = Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'newsbot.sqlite3'}",
        data_dir=tmp_path,
        sources=(
            SourceConfig(url=feed_server.url("/fast.rss"), name="fast", interval=0.25),
            SourceConfig(url=feed_server.url("/slow.rss"), name="slow", interval=30),
        ),
        demo=False,
    )
    chat = TypedChat()
    bot = await build(config, adapters=[chat.adapter])
    await bot.start()
    try:
        await TypedChat.wait_for(lambda: len(feed_server.requests("/fast.rss")) >= 4, within=10)
        await asyncio.sleep(0.1)
    finally:
        await bot.stop()
    slow = feed_server.requests("/slow.rss")
    fast = feed_server.requests("/fast.rss")
    assert len(slow) == 1  # polled at start, not again within its 30 s
    assert [h.status for h in fast[:2]] == [200, 304]  # later polls are conditional
    assert all("if-none-match" in h.headers for h in fast[1:])

"""The composition root applies the operator's [fetch] limits to polling."""

from __future__ import annotations

from pathlib import Path

from bot.app import build
from bot.config import Config, SourceConfig
from bot.ingest.limits import FetchLimits
from tests.support.chat import TypedChat
from tests.support.feeds import PEACEKEEPERS, rss
from tests.support.feedserver import FeedServer


async def test_polling_uses_the_configured_size_cap(
    database_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.set("/big.rss", rss([PEACEKEEPERS] * 5, title="Big"))
    config = Config(
        database_url=database_url,
        data_dir=tmp_path,
        sources=(SourceConfig(url=feed_server.url("/big.rss"), name="Big", interval=60),),
        fetch=FetchLimits(max_bytes=1000),
        demo=False,
    )
    bot = await build(config, adapters=[TypedChat().adapter])
    try:
        await bot.start(schedule=False)
        [outcome] = await bot.poll_all()
    finally:
        await bot.stop()

    assert outcome.error is not None
    assert outcome.error.endswith("larger than 1000 bytes")

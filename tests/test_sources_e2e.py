"""Through the running bot and the terminal chat: add a source in chat, it goes away, the chat is
told once by the notice loop; requests name the bot and the operator's contact."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.app import build
from bot.config import Config, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from bot.sources.policy import PollingPolicy
from tests.support.chat import TypedChat
from tests.support.clock import FakeClock
from tests.support.feeds import ALIYEV, rss
from tests.support.feedserver import FeedServer
from tests.support.guard import loopback_guard


async def test_a_chat_source_that_disappears_is_parked_and_the_chat_told_once(
    database_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.set("/wire.rss", rss([ALIYEV], title="Wire"))
    feed_server.set("/mine.rss", rss([ALIYEV], title="My Town"))
    config = Config(
        database_url=database_url,
        data_dir=tmp_path,
        sources=(SourceConfig(url=feed_server.url("/wire.rss"), name="Wire", interval=60),),
        delivery=DeliveryPolicy(poll_seconds=0.05),
        polling=PollingPolicy(contact_url="https://ops.example/bot", backoff_base=60),
        demo=False,
    )
    clock = FakeClock(datetime.now(UTC))
    chat = TypedChat()
    bot = await build(
        config, adapters=[chat.adapter], clock=clock, guard=loopback_guard(feed_server)
    )
    await bot.start(schedule=False)
    try:
        assert "Added “My Town”" in await chat.say(f"/addsource {feed_server.url('/mine.rss')}")
        assert len(await bot.poll_due()) == 2  # the operator's and the chat's, due at once

        feed_server.set_status("/mine.rss", 404)
        for _ in range(5):
            clock.advance(6 * 3600)
            await bot.poll_due()
        await chat.wait_for(
            lambda: any("stopped checking" in line for line in chat.output), within=5
        )
        listing = await chat.say("/sources")
    finally:
        await bot.stop()
    [notice] = [line for line in chat.output if "stopped checking" in line]
    assert "My Town" in notice and "HTTP 404 (not found)" in notice
    assert "1) My Town" in listing and "stopped: the feed answers HTTP 404" in listing
    statuses = [h.status for h in feed_server.requests("/mine.rss")]
    assert statuses.count(404) == 3  # parked after the third, not polled since
    agents = {
        h.headers["user-agent"] for p in ("/wire.rss", "/mine.rss") for h in feed_server.requests(p)
    }
    assert len(agents) == 1 and agents.pop().endswith("(+https://ops.example/bot)")

"""Content a WebSub hub pushes is counted like a poll's: its result, the stories it stored and
the alerts it queued show on /metrics (the running bot, a spec-following hub on 127.0.0.1, SQLite
and PostgreSQL)."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

from bot.app import build
from bot.config import Config, OpsConfig, SourceConfig, WebSubConfig
from bot.delivery.policy import DeliveryPolicy
from bot.ingest.guard import DEFAULT_PORTS, GuardPolicy
from bot.push.policy import PushTiming
from tests.support.chat import TypedChat
from tests.support.feeds import ALIYEV, PEACEKEEPERS, rss
from tests.support.feedserver import FeedServer, free_port
from tests.support.ops import scrape, scrape_until
from tests.support.websub_hub import FakeHub, PushedFeed

TIMING = PushTiming(
    verify_seconds=2.0, retry_base=0.2, retry_max=1.0, idle_seconds=0.1, unsubscribe_attempts=3
)


async def test_pushed_stories_and_their_alerts_are_counted(
    database_url: str, tmp_path: Path, feed_server: FeedServer
) -> None:
    async with FakeHub() as hub:
        port = free_port()
        feed = PushedFeed(feed_server, hub, "/wire.rss", items=[ALIYEV])
        config = Config(
            database_url=database_url,
            data_dir=tmp_path,
            sources=(SourceConfig(url=feed.url, name="Wire", interval=60),),
            delivery=DeliveryPolicy(poll_seconds=0.05),
            demo=False,
            websub=WebSubConfig(
                public_url=f"http://127.0.0.1:{port}/websub", listen="127.0.0.1", port=port
            ),
            ops=OpsConfig(port=0),
        )
        guard = GuardPolicy(
            ports=frozenset({*DEFAULT_PORTS, feed_server.port, hub.port}),
            allow=(ip_network("127.0.0.1/32"),),
        )
        chat = TypedChat()
        bot = await build(config, adapters=[chat.adapter], guard=guard, push_timing=TIMING)
        await bot.start(schedule=False)
        try:
            assert bot.ops is not None and bot.ops.port is not None
            assert "Subscribed" in await chat.say("/subscribe peacekeepers")
            await bot.poll_all()  # the baseline, and the hub found
            await hub.wait_for(lambda: hub.active(feed.url))
            before = await scrape(bot.ops.port)
            assert before.value("newsbot_pushes_total", result="200") == 0

            assert await feed.publish(PEACEKEEPERS) == [202]
            after = await scrape_until(
                bot.ops.port,
                None,
                lambda s: s.value("newsbot_alerts_total", platform="terminal", event="sent") == 1,
            )
            # Refused before it is read (a forged signature): nothing to count as content.
            assert await hub.publish(feed.url, rss([ALIYEV]), forge=True) == [403]
        finally:
            await bot.stop()
    assert after.value("newsbot_pushes_total", result="200") == 1
    assert (
        after.value("newsbot_stories_stored_total")
        == before.value("newsbot_stories_stored_total") + 1
    )
    assert after.value("newsbot_alerts_total", platform="terminal", event="queued") == 1
    assert "newsbot_pushes" in after.families

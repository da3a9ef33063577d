"""/metrics on a running bot (the real app, python-telegram-bot against the fake Bot API, loopback
feeds, SQLite and PostgreSQL), parsed back with prometheus_client's parser: every metric is there
and moves when its event happens."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.adapters.telegram import TelegramChat
from bot.app import NewsBot, build
from bot.config import Config, OpsConfig, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from tests.support.clock import FakeClock
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.feeds import ALIYEV, PEACEKEEPERS, SUMY, Item, rss
from tests.support.feedserver import FeedServer
from tests.support.ops import Scrape, scrape, scrape_until
from tests.support.telegram_bot import say

USER = 7001
OPS_TOKEN = "ops-token-for-the-metrics-test"
METRICS = {
    # family name → what it is about (as the issue lists them)
    "newsbot_polls": "polls by result",
    "newsbot_poll_duration_seconds": "poll duration",
    "newsbot_poll_lag_seconds": "lag behind schedule",
    "newsbot_stories_stored": "stories stored",
    "newsbot_alerts": "alerts queued / sent / retried / uncertain / failed by platform",
    "newsbot_queue_depth": "queue depth",
    "newsbot_queue_oldest_seconds": "oldest pending alert age",
    "newsbot_rate_limited": "429s by platform",
    "newsbot_chats_held": "holds by platform",
    "newsbot_alert_latency_seconds": "story → alert latency",
    "newsbot_subscriptions": "subscriptions",
    "newsbot_chats": "chats",
    "newsbot_match_seconds": "matcher time per story",
    "newsbot_sources": "sources by health",
    "newsbot_database_up": "the database answered the scrape",
    "newsbot_build_info": "version",
}


def story(n: int, topic: str) -> Item:
    """A story of its own (own link, title and text, so never the same story as another)."""
    base = SUMY if topic == "Sumy Oblast" else PEACEKEEPERS
    return replace(
        base,
        guid=f"ops-{n}",
        link=f"{base.link}ops-{n}",
        title=f"Report {n}: {topic} news of the {n}th kind",
        description=f"Dispatch number {n} about {topic}; "
        + " ".join(f"w{n}x{i}" for i in range(12)),
    )


async def start(
    database_url: str, feeds: FeedServer, fake: FakeTelegram, tmp_path: Path, clock: FakeClock
) -> NewsBot:
    config = Config(
        database_url=database_url,
        data_dir=tmp_path,
        sources=(
            SourceConfig(url=feeds.url("/ki.rss"), name="Kyiv Independent", interval=60),
            SourceConfig(url=feeds.url("/gone.rss"), name="Gone", interval=60),
            SourceConfig(url=feeds.url("/broken.rss"), name="Broken", interval=60),
        ),
        delivery=DeliveryPolicy(poll_seconds=0.05, retry_base_seconds=0.05),
        demo=False,
        telegram_token=TOKEN,
        ops=OpsConfig(port=0),
        ops_token=OPS_TOKEN,
    )
    adapter = TelegramChat(TOKEN, base_url=fake.base_url, poll_timeout=1)
    bot = await build(config, adapters=[adapter], clock=clock)
    await bot.start(schedule=False)
    return bot


async def test_every_metric_is_exposed_and_moves_when_its_event_happens(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None  # Telegram's own flood limits are not what this test is about
    chat = fake.private(USER)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    feed_server.set("/ki.rss", rss([ALIYEV]))
    feed_server.set_status("/gone.rss", 410)
    feed_server.set_status("/broken.rss", 500)
    shown: list[Item] = [ALIYEV]
    bot = await start(database_url, feed_server, fake, tmp_path, clock)
    assert bot.ops is not None and bot.ops.port is not None
    port = bot.ops.port

    async def until(condition: object) -> Scrape:
        assert callable(condition)
        return await scrape_until(port, OPS_TOKEN, condition)

    async def publish(item: Item) -> None:
        shown.insert(0, item)
        feed_server.set("/ki.rss", rss(shown))
        clock.advance(90)  # every source with an interval of 60 s is due, 30 s late
        await bot.poll_due()

    try:
        first = await scrape(port, OPS_TOKEN)
        assert first.value("newsbot_database_up") == 1
        assert first.value("newsbot_build_info", version="0.1.0") == 1
        assert first.value("newsbot_polls_total", result="200") == 0

        # Polls by result, their duration and lag, stories stored, sources' health.
        await bot.poll_due()
        s = await scrape(port, OPS_TOKEN)
        assert s.value("newsbot_polls_total", result="200") == 1  # read
        assert s.value("newsbot_polls_total", result="410") == 1  # gone: parked at once
        assert s.value("newsbot_polls_total", result="500") == 1
        assert s.value("newsbot_poll_duration_seconds_count") == 3
        assert s.value("newsbot_poll_duration_seconds_sum") > 0
        assert s.value("newsbot_poll_lag_seconds_count") == 3
        assert s.value("newsbot_stories_stored_total") == 1
        assert s.value("newsbot_sources", state="ok") == 1
        assert s.value("newsbot_sources", state="failing") == 1
        assert s.value("newsbot_sources", state="parked") == 1
        assert s.value("newsbot_subscriptions") == 0

        # Subscriptions and chats.
        assert "Subscribed" in (await say(fake, chat, USER, "/subscribe peacekeepers")).text
        assert "Subscribed" in (await say(fake, chat, USER, "/subscribe Sumy Oblast")).text
        s = await scrape(port, OPS_TOKEN)
        assert s.value("newsbot_subscriptions") == 2
        assert s.value("newsbot_chats", platform="telegram") == 1

        # A story alerted: queued, sent, its latency; the matcher's time; the lag of a late poll.
        await publish(PEACEKEEPERS)
        s = await until(
            lambda s: s.value("newsbot_alerts_total", platform="telegram", event="sent")
        )
        assert s.value("newsbot_alerts_total", platform="telegram", event="queued") == 1
        assert s.value("newsbot_alert_latency_seconds_count", platform="telegram") == 1
        assert s.value("newsbot_match_seconds_count") >= 1
        assert s.value("newsbot_stories_stored_total") == 2
        assert s.value("newsbot_poll_lag_seconds_sum") >= 30
        assert s.value("newsbot_polls_total", result="500") == 2

        # Unchanged: 304.
        clock.advance(90)
        await bot.poll_due()
        s = await scrape(port, OPS_TOKEN)
        assert s.value("newsbot_polls_total", result="304") == 1

        # 429: the chat is held, the alert waits in the queue and ages; then it goes out, late.
        fake.rate_limit(chat, 30)
        await publish(SUMY)
        await until(lambda s: s.value("newsbot_rate_limited_total", platform="telegram") == 1)
        clock.advance(5)
        s = await scrape(port, OPS_TOKEN)
        assert s.value("newsbot_chats_held", platform="telegram") == 1
        assert s.value("newsbot_queue_depth", platform="telegram") == 1
        assert s.value("newsbot_queue_oldest_seconds", platform="telegram") >= 5
        clock.advance(30)
        bot.outbox.wake()
        s = await until(
            lambda s: s.value("newsbot_alerts_total", platform="telegram", event="sent") == 2
        )
        assert s.value("newsbot_chats_held", platform="telegram") == 0
        assert s.value("newsbot_queue_depth", platform="telegram") == 0
        assert s.value("newsbot_alert_latency_seconds_sum", platform="telegram") >= 35

        # An error that may pass (409): retried, then sent.
        fake.fail_next("sendMessage", 409, "Conflict: try again", chat_id=chat)
        await publish(story(1, "peacekeepers"))
        await until(lambda s: s.value("newsbot_alerts_total", platform="telegram", event="retried"))
        clock.advance(5)
        bot.outbox.wake()
        await until(
            lambda s: s.value("newsbot_alerts_total", platform="telegram", event="sent") == 3
        )

        # The answer lost after the message went out: uncertain.
        fake.lose_answer("sendMessage", chat)
        await publish(story(2, "Sumy Oblast"))
        await until(
            lambda s: s.value("newsbot_alerts_total", platform="telegram", event="uncertain")
        )

        # Refused for good: failed.
        clock.advance(5)
        fake.fail_next("sendMessage", 400, "Bad Request: message is too long", chat_id=chat)
        await publish(story(3, "peacekeepers"))
        s = await until(
            lambda s: s.value("newsbot_alerts_total", platform="telegram", event="failed")
        )
        assert s.value("newsbot_alerts_total", platform="telegram", event="queued") == 5
    finally:
        await bot.stop()

    assert set(METRICS) <= s.families, set(METRICS) - s.families
    # Bounded labels only: no address, no chat id.
    labels = s.label_values()
    assert not [v for v in labels if "://" in v or str(chat) in v or "127.0.0.1" in v]


async def test_metrics_and_the_page_ask_for_the_token_and_the_probes_do_not(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    import httpx

    feed_server.set("/ki.rss", rss([ALIYEV]))
    feed_server.set_status("/gone.rss", 410)
    feed_server.set_status("/broken.rss", 500)
    clock = FakeClock(datetime.now(UTC) - timedelta(seconds=1))
    bot = await start(database_url, feed_server, fake_telegram, tmp_path, clock)
    assert bot.ops is not None
    base = f"http://127.0.0.1:{bot.ops.port}"
    try:
        async with httpx.AsyncClient(trust_env=False) as http:
            for path in ("/metrics", "/"):
                refused = await http.get(base + path)
                assert refused.status_code == 401, path
                assert refused.headers["www-authenticate"].startswith("Bearer")
                wrong = await http.get(base + path, headers={"Authorization": "Bearer nope"})
                assert wrong.status_code == 401
                bearer = {"Authorization": f"Bearer {OPS_TOKEN}"}
                assert (await http.get(base + path, headers=bearer)).status_code == 200
                assert (await http.get(f"{base}{path}?token={OPS_TOKEN}")).status_code == 200
            for path in ("/healthz", "/readyz"):
                answer = await http.get(base + path)
                assert answer.status_code == 200, answer.text
                assert answer.json()["status"] == "ok"
            assert (await http.post(base + "/", content=b"x")).status_code == 405  # read-only
    finally:
        await bot.stop()

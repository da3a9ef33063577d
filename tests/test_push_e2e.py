"""WebSub through the running bot, against a spec-following hub on 127.0.0.1 (tests/support/
websub_hub.py), a real feed server and the terminal chat; on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest

from bot.app import NewsBot, build
from bot.config import Config, SourceConfig, WebSubConfig
from bot.delivery.policy import DeliveryPolicy
from bot.ingest.guard import DEFAULT_PORTS, GuardPolicy
from bot.ingest.limits import FetchLimits
from bot.push.policy import PushTiming
from bot.push.ports import PushSubscription
from bot.store.push import SqlPushStore
from tests.support.chat import TypedChat
from tests.support.feeds import ALIYEV, CRUMBLES, ODESA, PEACEKEEPERS, SUMY, Item, rss
from tests.support.feedserver import FeedServer, free_port
from tests.support.websub_hub import FakeHub, PushedFeed

FAST = DeliveryPolicy(poll_seconds=0.05, retry_base_seconds=0.05)
# Short waits, with room for a loaded machine: a hub verifies within milliseconds here.
TIMING = PushTiming(
    verify_seconds=10.0, retry_base=0.2, retry_max=1.0, idle_seconds=0.1, unsubscribe_attempts=3
)


@dataclass
class Setup:
    database_url: str
    tmp_path: Path
    feed_server: FeedServer
    hub: FakeHub
    port: int

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/websub"

    def config(self, *urls: str, push: bool = True, **changes: object) -> Config:
        websub = WebSubConfig(public_url=self.public_url, listen="127.0.0.1", port=self.port)
        config = Config(
            database_url=self.database_url,
            data_dir=self.tmp_path,
            sources=tuple(SourceConfig(url=u, name="Wire", interval=60) for u in urls),
            delivery=FAST,
            demo=False,
            websub=websub if push else WebSubConfig(),
        )
        return replace(config, **changes)  # type: ignore[arg-type]

    def guard(self) -> GuardPolicy:
        ports = frozenset({*DEFAULT_PORTS, self.feed_server.port, self.hub.port})
        return GuardPolicy(ports=ports, allow=(ip_network("127.0.0.1/32"),))

    async def bot(self, config: Config, chat: TypedChat, *, timing: PushTiming = TIMING) -> NewsBot:
        bot = await build(config, adapters=[chat.adapter], guard=self.guard(), push_timing=timing)
        await bot.start(schedule=False)  # the test decides when a poll happens
        return bot

    async def subscription(self, source_url: str) -> PushSubscription | None:
        async with _store(self.database_url) as store:
            return await store.push_subscription(source_url)


class _store:
    """A second connection to the bot's database, to read what the bot stored."""

    def __init__(self, url: str) -> None:
        from bot.store.engine import make_engine

        self._engine = make_engine(url)

    async def __aenter__(self) -> SqlPushStore:
        return SqlPushStore(self._engine)

    async def __aexit__(self, *exc: object) -> None:
        await self._engine.dispose()


@pytest.fixture
async def setup(database_url: str, tmp_path: Path, feed_server: FeedServer) -> AsyncIterator[Setup]:
    async with FakeHub() as hub:
        yield Setup(database_url, tmp_path, feed_server, hub, free_port())


async def subscribed(setup: Setup, bot: NewsBot, feed: PushedFeed) -> None:
    """Poll once (the baseline, and discovery), then wait for the hub to hold our subscription."""
    await bot.poll_all()
    await setup.hub.wait_for(lambda: setup.hub.active(feed.url))


def alerts_with(chat: TypedChat, item: Item) -> list[str]:
    return [a for a in chat.alerts() if item.title in a]


async def test_subscribe_verify_and_a_pushed_story_alerts_once(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    chat = TypedChat()
    bot = await setup.bot(setup.config(feed.url), chat)
    try:
        assert "Subscribed" in await chat.say("/subscribe peacekeepers")
        await subscribed(setup, bot, feed)
        [request] = setup.hub.requests
        assert request.mode == "subscribe" and request.topic == feed.url
        assert request.callback.startswith(setup.public_url + "/")
        assert request.lease_seconds == WebSubConfig().lease_seconds
        assert request.secret and len(request.secret.encode()) < 200
        [verification] = setup.hub.verifications
        assert verification.confirmed and verification.status == 200

        sub = await setup.subscription(feed.url)
        assert sub is not None and sub.state == "active" and sub.secret == request.secret
        assert sub.expires_at is not None
        lease_end = datetime.now(UTC) + timedelta(seconds=WebSubConfig().lease_seconds)
        assert abs((sub.expires_at - lease_end).total_seconds()) < 30

        assert await feed.publish(PEACEKEEPERS) == [202]
        await chat.wait_for(lambda: alerts_with(chat, PEACEKEEPERS), within=10)
        # The poll that follows finds the pushed story already stored: no second alert.
        [outcome] = await bot.poll_all()
        assert outcome.error is None and outcome.new_articles == 0
        await asyncio.sleep(0.2)
        assert len(alerts_with(chat, PEACEKEEPERS)) == 1

        # Polling goes on, at the safety interval ([websub] safety_interval, 1 hour by default).
        before = datetime.now(UTC)
        [scheduled] = await bot.poll_due()
        assert scheduled.error is None
        [source] = await bot.store.list_sources()
        assert source.next_poll is not None
        assert source.next_poll - before >= timedelta(seconds=3600)
    finally:
        await bot.stop()


async def test_every_signature_algorithm_is_accepted(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    chat = TypedChat()
    bot = await setup.bot(setup.config(feed.url), chat)
    stories = {"sha1": PEACEKEEPERS, "sha256": SUMY, "sha384": ODESA, "sha512": CRUMBLES}
    try:
        for topic in ("peacekeepers", "Sumy Oblast", "Odesa", "Nagorno-Karabakh"):
            await chat.say(f"/subscribe {topic}")
        await subscribed(setup, bot, feed)
        for algorithm, story in stories.items():
            assert await feed.publish(story, algorithm=algorithm) == [202], algorithm
        await chat.wait_for(lambda: all(alerts_with(chat, s) for s in stories.values()), within=10)
    finally:
        await bot.stop()


async def test_forged_missing_or_oversized_content_is_refused_and_not_stored(
    setup: Setup,
) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    chat = TypedChat()
    config = setup.config(feed.url, fetch=FetchLimits(max_bytes=20_000))
    bot = await setup.bot(config, chat)
    try:
        await chat.say("/subscribe peacekeepers")
        await subscribed(setup, bot, feed)
        topic = feed.url
        body = rss([PEACEKEEPERS, ALIYEV])
        assert await setup.hub.publish(topic, body, forge=True) == [403]
        assert await setup.hub.publish(topic, body, unsigned=True) == [403]
        huge = body.replace("<channel>", "<channel>" + "<!-- padding -->" * 2000)
        assert await setup.hub.publish(topic, huge) == [413]
        await asyncio.sleep(0.3)
        stored = [a.title for a in await bot.store.recent_articles(10)]
        assert stored == [ALIYEV.title] and chat.alerts() == []
        # The same content, signed as agreed, goes through.
        assert await setup.hub.publish(topic, body) == [202]
        await chat.wait_for(lambda: alerts_with(chat, PEACEKEEPERS), within=10)
    finally:
        await bot.stop()


async def test_verification_is_echoed_only_for_what_we_asked(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    chat = TypedChat()
    bot = await setup.bot(setup.config(feed.url), chat)
    try:
        await subscribed(setup, bot, feed)
        [request] = setup.hub.requests
        ours, base = request.callback, setup.public_url
        hub = setup.hub
        unknown = await hub.verify(
            f"{base}/not-a-subscription", "subscribe", feed.url, lease_seconds=60
        )
        assert unknown[0] == 404 and unknown[2] not in unknown[1]
        assert (
            await hub.verify(ours, "subscribe", "https://other.example/feed", lease_seconds=60)
        )[0] == 404
        assert (await hub.verify(ours, "unsubscribe", feed.url))[0] == 404  # we never asked that
        assert (await hub.verify(ours, "subscribe", feed.url))[0] == 404  # no lease: not valid
        status, text, challenge = await hub.verify(ours, "subscribe", feed.url, lease_seconds=60)
        assert (status, text) == (200, challenge)  # a hub re-confirming an active subscription
        async with httpx.AsyncClient() as client:
            gone = await client.post(f"{base}/not-a-subscription", content=b"<rss/>")
            garbage = await client.get(ours, params={"hub.mode": "\x00" * 10})
        assert gone.status_code == 410 and garbage.status_code == 404
        sub = await setup.subscription(feed.url)
        assert sub is not None and sub.state == "active"
    finally:
        await bot.stop()


async def test_the_lease_is_renewed_before_it_ends(setup: Setup) -> None:
    setup.hub.max_lease = 2  # seconds: the subscriber renews after 0.8 of them
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    chat = TypedChat()
    bot = await setup.bot(setup.config(feed.url), chat, timing=replace(TIMING, renew_after=0.4))
    try:
        await chat.say("/subscribe peacekeepers")
        await subscribed(setup, bot, feed)
        first = setup.hub.active(feed.url)[0].expires
        await asyncio.sleep(3.5)  # beyond the first lease and the second
        [sub] = setup.hub.active(feed.url)  # never lapsed: renewed each time before its end
        assert sub.expires > first + 2
        renewals = setup.hub.requests_for(feed.url)
        assert len(renewals) >= 3 and len({r.callback for r in renewals}) == 1
        assert all(v.confirmed for v in setup.hub.verifications)
        assert await feed.publish(PEACEKEEPERS) == [202]
        await chat.wait_for(lambda: alerts_with(chat, PEACEKEEPERS), within=10)
    finally:
        await bot.stop()


async def test_a_lapsed_lease_makes_the_source_due_and_is_subscribed_again(setup: Setup) -> None:
    setup.hub.max_lease = 1
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    chat = TypedChat()
    bot = await setup.bot(setup.config(feed.url), chat)
    try:
        await subscribed(setup, bot, feed)
        await bot.poll_due()  # scheduled at the safety interval while pushed
        setup.hub.refuse = 503  # renewals fail from now on
        await setup.hub.wait_for(lambda: not setup.hub.active(feed.url), within=3)
        sub = await until_state(setup, feed.url, "failed", within=3)
        assert sub is not None and sub.last_error == "the lease ended before a renewal was verified"
        [source] = await bot.store.list_sources()
        assert source.next_poll is not None and source.next_poll <= datetime.now(UTC)
        setup.hub.refuse = None  # the hub is back: the retry subscribes again
        await setup.hub.wait_for(lambda: setup.hub.active(feed.url), within=10)
    finally:
        await bot.stop()


async def until_state(
    setup: Setup, url: str, state: str | None, within: float = 5.0
) -> PushSubscription | None:
    """Wait until the stored subscription of `url` is in `state` (None: there is none), and return
    that reading: a retry may change the row again right after."""
    async with asyncio.timeout(within):
        while True:
            sub = await setup.subscription(url)
            if (sub.state if sub else None) == state:
                return sub
            await asyncio.sleep(0.02)


async def test_a_source_gone_from_the_config_is_unsubscribed(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    other = setup.feed_server.url("/other.rss")
    setup.feed_server.set("/other.rss", rss([SUMY]))
    chat = TypedChat()
    bot = await setup.bot(setup.config(feed.url, other), chat)
    try:
        await subscribed(setup, bot, feed)
    finally:
        await bot.stop()
    callback = setup.hub.requests[0].callback
    restarted = await setup.bot(setup.config(other), TypedChat())
    try:
        await setup.hub.wait_for(lambda: not setup.hub.active(feed.url))
        [leave] = setup.hub.requests_for(feed.url, "unsubscribe")
        assert leave.callback == callback
        await until_state(setup, feed.url, None)
        assert await feed.publish(PEACEKEEPERS) == []  # the hub has nobody to push to
    finally:
        await restarted.stop()


async def test_removesource_unsubscribes_a_chat_source(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/mine.rss", items=[ALIYEV], title="Mine")
    chat = TypedChat()
    bot = await setup.bot(setup.config(), chat)
    try:
        assert "Added" in await chat.say(f"/addsource {feed.url}")
        assert "Subscribed" in await chat.say("/subscribe peacekeepers")
        await bot.poll_due()  # fetched through the guard; its hub is asked through it too
        await setup.hub.wait_for(lambda: setup.hub.active(feed.url))
        assert await feed.publish(PEACEKEEPERS) == [202]
        await chat.wait_for(lambda: alerts_with(chat, PEACEKEEPERS), within=10)

        assert "Removed" in await chat.say(f"/removesource {feed.url}")
        await setup.hub.wait_for(lambda: not setup.hub.active(feed.url))
        assert len(setup.hub.requests_for(feed.url, "unsubscribe")) == 1
        assert await feed.publish(SUMY) == []
    finally:
        await bot.stop()


async def test_a_denied_subscription_is_recorded_and_polling_goes_on(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    setup.hub.deny.add(feed.url)
    chat = TypedChat()
    bot = await setup.bot(setup.config(feed.url), chat)
    try:
        await chat.say("/subscribe peacekeepers")
        await bot.poll_all()
        await setup.hub.wait_for(lambda: setup.hub.verifications)
        [denial] = setup.hub.verifications
        assert denial.mode == "denied" and denial.status == 200
        sub = await setup.subscription(feed.url)
        assert sub is not None and sub.state == "denied"
        assert sub.last_error == "the hub denied the subscription: not allowed here"

        before = datetime.now(UTC)
        await bot.poll_due()
        [source] = await bot.store.list_sources()
        assert source.next_poll is not None
        assert source.next_poll - before < timedelta(seconds=120)  # its own interval: 60 s
        feed.items.insert(0, PEACEKEEPERS)
        setup.feed_server.set("/wire.rss", feed.body())
        [outcome] = await bot.poll_all()
        assert outcome.alerts_queued == 1
        await chat.wait_for(lambda: alerts_with(chat, PEACEKEEPERS), within=10)
        await asyncio.sleep(1.0)
        assert len(setup.hub.requests) == 1  # a denial is final for that hub and topic
    finally:
        await bot.stop()


async def test_a_restart_keeps_the_subscription(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    bot = await setup.bot(setup.config(feed.url), TypedChat())
    try:
        await subscribed(setup, bot, feed)
    finally:
        await bot.stop()
    chat = TypedChat()
    restarted = await setup.bot(setup.config(feed.url), chat)
    try:
        await chat.say("/subscribe peacekeepers")
        await restarted.poll_all()  # finds the same hub: nothing to ask
        await asyncio.sleep(1.0)
        assert len(setup.hub.requests) == 1
        assert await feed.publish(PEACEKEEPERS) == [202]  # the stored secret still verifies
        await chat.wait_for(lambda: alerts_with(chat, PEACEKEEPERS), within=10)
    finally:
        await restarted.stop()


async def test_a_new_public_url_is_given_to_the_hub_at_start(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    bot = await setup.bot(setup.config(feed.url), TypedChat())
    try:
        await subscribed(setup, bot, feed)
    finally:
        await bot.stop()
    port = free_port()
    moved = f"http://127.0.0.1:{port}/hooks/websub"
    websub = WebSubConfig(public_url=moved, listen="127.0.0.1", port=port)
    chat = TypedChat()
    restarted = await setup.bot(setup.config(feed.url, websub=websub), chat)
    try:
        await chat.say("/subscribe peacekeepers")
        # No poll: the feed has not changed (a poll would get 304 and discover nothing), and the
        # lease runs for days; the start alone tells the hub.
        await setup.hub.wait_for(
            lambda: any(s.callback.startswith(moved + "/") for s in setup.hub.active(feed.url))
        )
        old, new = setup.hub.requests_for(feed.url)
        assert new.callback.startswith(moved + "/") and new.secret != old.secret
        # The hub still holds the old address until its lease ends; nobody answers there.
        assert sorted(await feed.publish(PEACEKEEPERS)) == [0, 202]
        await chat.wait_for(lambda: alerts_with(chat, PEACEKEEPERS), within=10)
    finally:
        await restarted.stop()


async def test_a_refusing_hub_is_recorded_and_asked_again(setup: Setup) -> None:
    setup.hub.refuse = 400
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    bot = await setup.bot(setup.config(feed.url), TypedChat())
    try:
        await bot.poll_all()
        await setup.hub.wait_for(lambda: len(setup.hub.requests) >= 2)  # retried after 0.2 s
        # Read when no retry is in flight: during one the row says "requested".
        sub = await until_state(setup, feed.url, "failed")
        assert sub is not None and sub.attempts >= 1
        assert sub.last_error == "the hub answered HTTP 400: refused: this hub is told to refuse"
        setup.hub.refuse = None
        await setup.hub.wait_for(lambda: setup.hub.active(feed.url), within=10)
    finally:
        await bot.stop()


async def test_without_a_public_url_nothing_changes(setup: Setup) -> None:
    feed = PushedFeed(setup.feed_server, setup.hub, "/wire.rss", items=[ALIYEV])
    bot = await setup.bot(setup.config(feed.url, push=False), TypedChat())
    try:
        assert bot.receiver is None and bot.subscriber is None
        before = datetime.now(UTC)
        await bot.poll_due()
        await asyncio.sleep(0.3)
        assert setup.hub.requests == []
        [source] = await bot.store.list_sources()
        assert source.next_poll is not None
        assert source.next_poll - before < timedelta(seconds=120)
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"{setup.public_url}/x")
    finally:
        await bot.stop()

"""The composition root: the one place that builds every part and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from bot.adapters.base import ChatAdapter
from bot.commands.core import Commands, Reply
from bot.config import Config, SourceConfig
from bot.delivery.outbox import Outbox
from bot.domain import ChatAddress, SourceInfo
from bot.health import beat_forever, heartbeat_path
from bot.ingest.fetch import Fetcher, make_client
from bot.ingest.poll import Poller, PollOutcome, index_subscriptions
from bot.match.engine import QueryMatcher
from bot.match.recent import RECENT_LIMIT, RecentStories
from bot.sources.demo import DEMO_INTERVAL, DEMO_NAME, DEMO_URL, DemoTransport
from bot.sources.schedule import PollSchedule
from bot.store.database import SqlStore, open_store

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def effective_sources(config: Config) -> tuple[SourceConfig, ...]:
    """The configured sources, or the bundled demo feed when there are none."""
    if config.sources:
        return config.sources
    return (SourceConfig(url=DEMO_URL, name=DEMO_NAME, interval=DEMO_INTERVAL),)


@dataclass
class NewsBot:
    """A running bot. Build it with `build()`; `start()` begins polling, delivery and chat."""

    config: Config
    sources: tuple[SourceConfig, ...]
    store: SqlStore
    http: httpx.AsyncClient
    poller: Poller
    outbox: Outbox
    commands: Commands
    adapters: Mapping[str, ChatAdapter]
    schedule: PollSchedule
    recent: RecentStories
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self, *, schedule: bool = True) -> None:
        """`schedule=False` leaves polling to explicit `poll_all()` calls (tests drive it so)."""
        await self.store.sync_sources([SourceInfo(s.url, s.name, s.interval) for s in self.sources])
        self.recent.add(reversed(await self.store.recent_articles(RECENT_LIMIT)))
        for adapter in self.adapters.values():
            await adapter.start(self.handle_message)
        delivery = asyncio.create_task(self.outbox.run(), name="delivery")
        heartbeat = asyncio.create_task(
            beat_forever(heartbeat_path(self.config.data_dir), lambda: not delivery.done()),
            name="heartbeat",
        )
        self._tasks = [delivery, heartbeat]
        if schedule:
            self.schedule.start(self.sources)

    async def handle_message(self, chat: ChatAddress, text: str) -> Reply:
        reply = await self.commands.handle(chat, text)
        log.info("chat %s: %s", chat, text.strip()[:200])
        return reply

    async def poll_all(self) -> list[PollOutcome]:
        return [await self.poller.poll(s.url, s.name) for s in self.sources]

    async def stop(self) -> None:
        self.schedule.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for adapter in self.adapters.values():
            await adapter.stop()
        await self.http.aclose()
        await self.store.close()


async def build(
    config: Config,
    *,
    adapters: Sequence[ChatAdapter],
    clock: Callable[[], datetime] = utcnow,
    demo_clock: Callable[[], float] | None = None,
) -> NewsBot:
    sources = effective_sources(config)
    store = await open_store(config.database_url)
    demo = DemoTransport(demo_clock) if demo_clock else DemoTransport()
    http = make_client(mounts={"demo://": demo})
    by_platform = {a.platform: a for a in adapters}
    outbox = Outbox(store=store, adapters=by_platform, clock=clock, policy=config.delivery)
    matcher = QueryMatcher()
    # Long-lived: built from the database once, then updated by /subscribe and /unsubscribe.
    topics = index_subscriptions(matcher, await store.active_subscriptions())
    recent = RecentStories()
    poller = Poller(
        fetcher=Fetcher(http),
        store=store,
        topics=topics,
        clock=clock,
        on_alerts=outbox.wake,
        on_stored=recent.add,
    )
    return NewsBot(
        config=config,
        sources=sources,
        store=store,
        http=http,
        poller=poller,
        outbox=outbox,
        commands=Commands(store=store, matcher=matcher, topics=topics, recent=recent, clock=clock),
        adapters=by_platform,
        schedule=PollSchedule(poller.poll),
        recent=recent,
    )


__all__ = ["NewsBot", "build", "effective_sources"]

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
from bot.commands.core import Commands
from bot.config import Config, SourceConfig
from bot.delivery.digests import Digests
from bot.delivery.jobs import DeliveryJobs
from bot.delivery.outbox import Outbox
from bot.domain import SourceInfo
from bot.health import beat_forever, heartbeat_path
from bot.ingest.fetch import Fetcher, make_client
from bot.ingest.poll import Poller, PollOutcome
from bot.match.phrase import PhraseMatcher
from bot.sources.demo import DEMO_INTERVAL, DEMO_NAME, DEMO_URL, DemoTransport
from bot.sources.schedule import PollSchedule
from bot.store.database import SqlStore, open_store

log = logging.getLogger(__name__)


DRAIN_SECONDS = 10.0  # the longest a stop waits for the send in flight


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
    jobs: DeliveryJobs | None = None  # digests, housekeeping, the delivery tick
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self, *, schedule: bool = True) -> None:
        """`schedule=False` leaves polling to explicit `poll_all()` calls (tests drive it so)."""
        await self.store.sync_sources([SourceInfo(s.url, s.name, s.interval) for s in self.sources])
        for adapter in self.adapters.values():
            await adapter.start(self.commands)
        delivery = asyncio.create_task(self.outbox.run(), name="delivery")
        heartbeat = asyncio.create_task(
            beat_forever(heartbeat_path(self.config.data_dir), lambda: not delivery.done()),
            name="heartbeat",
        )
        self._tasks = [delivery, heartbeat]
        if self.jobs is not None:
            self.jobs.start()
        if schedule:
            self.schedule.start(self.sources)

    async def poll_all(self) -> list[PollOutcome]:
        return [await self.poller.poll(s.url, s.name) for s in self.sources]

    async def stop(self) -> None:
        self.schedule.stop()
        if self.jobs is not None:
            self.jobs.stop()
        await self._drain_delivery()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for adapter in self.adapters.values():
            await adapter.stop()
        await self.http.aclose()
        await self.store.close()

    async def _drain_delivery(self) -> None:
        """SIGTERM: take no new alerts, let the send in flight finish and hand the rest of the
        round back (their leases released), so a restart sends them at once."""
        self.outbox.stop()
        if self._tasks:
            await asyncio.wait({self._tasks[0]}, timeout=DRAIN_SECONDS)


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
    matcher = PhraseMatcher()
    poller = Poller(
        fetcher=Fetcher(http), store=store, matcher=matcher, clock=clock, on_alerts=outbox.wake
    )
    digests = Digests(store=store, sender=outbox.sender, clock=clock)
    jobs = DeliveryJobs(
        outbox=outbox,
        digests=digests,
        prune=store.prune,
        clock=clock,
        retention_days=config.delivery.retention_days,
    )
    return NewsBot(
        config=config,
        sources=sources,
        store=store,
        http=http,
        poller=poller,
        outbox=outbox,
        commands=Commands(store=store, matcher=matcher, clock=clock),
        adapters=by_platform,
        schedule=PollSchedule(poller.poll),
        jobs=jobs,
    )


__all__ = ["NewsBot", "build", "effective_sources"]

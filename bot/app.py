"""The composition root: the one place that builds every part and wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import httpx

from bot import __version__
from bot.adapters.base import ChatAdapter
from bot.commands.core import Commands
from bot.config import Config, SourceConfig
from bot.delivery.digests import Digests
from bot.delivery.edits import AlertEditor
from bot.delivery.jobs import DeliveryJobs
from bot.delivery.notices import Notices
from bot.delivery.outbox import Outbox
from bot.delivery.send import Sender
from bot.domain import SourceInfo
from bot.health import beat_forever, heartbeat_path
from bot.ingest.fetch import Fetcher, make_client, make_guarded_client
from bot.ingest.guard import GuardPolicy
from bot.ingest.poll import Poller, PollOutcome, index_subscriptions
from bot.match.base import Document
from bot.match.engine import QueryMatcher
from bot.match.recent import RECENT_LIMIT, RecentStories
from bot.ops.checks import BotChecks
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from bot.push.policy import PushTiming
from bot.push.receiver import PushReceiver
from bot.push.subscriber import Subscriber
from bot.sources.demo import DEMO_INTERVAL, DEMO_NAME, DEMO_URL, DemoTransport
from bot.sources.discover import FeedProbe
from bot.sources.due import DuePolls
from bot.sources.hosts import HostGate, gated
from bot.sources.policy import PollingPolicy
from bot.sources.schedule import PollSchedule
from bot.sources.trust import untrusted_fetch
from bot.store.database import SqlStore, open_store
from bot.store.migrate import head_revision
from bot.store.push import SqlPushStore

log = logging.getLogger(__name__)


DRAIN_SECONDS = 10.0  # the longest a stop waits for the send in flight


def utcnow() -> datetime:
    return datetime.now(UTC)


def effective_polling(config: Config) -> PollingPolicy:
    """The demo feed is in-process and publishes every few seconds: poll it that often."""
    if config.sources:
        return config.polling
    policy = config.polling
    return replace(
        policy,
        min_interval=min(policy.min_interval, DEMO_INTERVAL),
        tick_seconds=min(policy.tick_seconds, DEMO_INTERVAL),
        slow_down=1.0,
    )


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
    guarded_http: httpx.AsyncClient  # for sources from chats: `fetch(url, untrusted=True)`
    poller: Poller
    outbox: Outbox
    commands: Commands
    adapters: Mapping[str, ChatAdapter]
    schedule: PollSchedule
    due: DuePolls
    notices: Notices
    editor: AlertEditor
    recent: RecentStories
    metrics: Metrics
    jobs: DeliveryJobs | None = None  # digests, housekeeping, the delivery tick
    # WebSub, when [websub] public_url is set: hubs' subscriptions and the callback server.
    subscriber: Subscriber | None = None
    receiver: PushReceiver | None = None
    ops: OpsServer | None = None  # /healthz, /readyz, /metrics, the status page; [ops] port
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _started: set[str] = field(default_factory=set)  # platforms whose adapter has started

    async def start(self, *, schedule: bool = True) -> None:
        """`schedule=False` leaves polling to explicit `poll_all()` calls (tests drive it so)."""
        if self.ops is not None:
            # First, so an orchestrator sees "alive, not ready" while the platforms connect.
            await self.ops.start()
        await self.store.sync_sources([SourceInfo(s.url, s.name, s.interval) for s in self.sources])
        self.recent.add(reversed(await self.store.recent_articles(RECENT_LIMIT)))
        for adapter in self.adapters.values():
            await adapter.start(self.commands)
            self._started.add(adapter.platform)
        delivery = asyncio.create_task(self.outbox.run(), name="delivery")
        heartbeat = asyncio.create_task(
            beat_forever(heartbeat_path(self.config.data_dir), lambda: not delivery.done()),
            name="heartbeat",
        )
        notices = asyncio.create_task(self.notices.run(), name="notices")
        edits = asyncio.create_task(self.editor.run(), name="edits")
        self._tasks = [delivery, heartbeat, notices, edits]  # delivery first: see _drain_delivery
        if self.jobs is not None:
            self.jobs.start()
        if self.receiver is not None:
            await self.receiver.start()
        if self.subscriber is not None:
            self.subscriber.start()
        if schedule:
            self.schedule.start()

    async def poll_all(self) -> list[PollOutcome]:
        """Poll every configured source now, outside the schedule (tests and `check` use it)."""
        return [await self.poller.poll(s.url, s.name) for s in self.sources]

    async def poll_due(self) -> list[PollOutcome]:
        """One round of the scheduled job: poll the sources that are due and reschedule them."""
        return await self.due.run_due()

    def delivery_running(self) -> bool:
        return bool(self._tasks) and not self._tasks[0].done()

    def platform_states(self) -> dict[str, ChatAdapter | None]:
        """Each configured platform's adapter once started; None before."""
        return {p: (a if p in self._started else None) for p, a in self.adapters.items()}

    async def stop(self) -> None:
        if self.ops is not None:
            await self.ops.stop()
        self.schedule.stop()
        if self.jobs is not None:
            await self.jobs.stop()
        if self.subscriber is not None:
            await self.subscriber.stop()
        if self.receiver is not None:
            await self.receiver.stop()  # pushed content in hand is stored before delivery drains
        await self._drain_delivery()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for adapter in self.adapters.values():
            await adapter.stop()
        self._started.clear()
        await self.http.aclose()
        await self.guarded_http.aclose()
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
    guard: GuardPolicy | None = None,
    push_timing: PushTiming | None = None,
) -> NewsBot:
    """`guard` replaces the policy for untrusted fetches (tests allow their loopback servers);
    `push_timing` the subscriber's waits and retries (tests shorten them)."""
    sources = effective_sources(config)
    polling = effective_polling(config)
    if config.websub.enabled:
        polling = replace(polling, push_interval=config.websub.safety_interval)
    store = await open_store(config.database_url)
    matcher = QueryMatcher()
    # Long-lived: built from the database once, then updated by /subscribe and /unsubscribe.
    topics = index_subscriptions(matcher, await store.active_subscriptions())

    def wanted(title: str, text: str) -> bool:  # the demo holds a story until a topic wants it
        return bool(topics.match(Document(title, text)))

    demo = DemoTransport(demo_clock or time.monotonic, wanted=wanted)
    http = make_client(mounts={"demo://": demo})
    # Sources from chats go through the guard on a client of their own (no shared connections).
    guarded_http = make_guarded_client(guard or GuardPolicy(ports=config.fetch.untrusted_ports))
    fetcher = Fetcher(
        http,
        untrusted_client=guarded_http,
        max_bytes=config.fetch.max_bytes,
        timeout=config.fetch.timeout_seconds,
        user_agent=polling.user_agent,
    )
    by_platform = {a.platform: a for a in adapters}
    # The app's own registry: several bots in one process (tests) never share a metric.
    metrics = Metrics(version=__version__)
    sender = Sender(
        store=store, adapters=by_platform, clock=clock, policy=config.delivery, observer=metrics
    )
    outbox = Outbox(
        store=store, adapters=by_platform, clock=clock, policy=config.delivery, sender=sender
    )
    notices = Notices(store=store, adapters=by_platform, clock=clock)
    editor = AlertEditor(store=store, adapters=by_platform, clock=clock, policy=config.delivery)
    recent = RecentStories()

    def queued() -> None:
        outbox.wake()
        editor.wake()

    guarded = untrusted_fetch(fetcher)
    subscriber = None
    push_store = SqlPushStore(store.engine)
    if config.websub.public_url is not None:
        subscriber = Subscriber(
            store=push_store,
            http=http,
            guarded_http=guarded_http,
            public_url=config.websub.public_url,
            lease_seconds=config.websub.lease_seconds,
            clock=clock,
            timing=push_timing,
            user_agent=polling.user_agent,
            timeout=config.fetch.timeout_seconds,
        )
    poller = Poller(
        fetcher=fetcher,
        store=store,
        topics=metrics.timed(topics),
        clock=clock,
        on_alerts=queued,
        on_stored=recent.add,
        fetch_untrusted=guarded,
        full_text={s.url: s.full_text for s in sources},
        on_content=subscriber.discovered if subscriber else None,
    )
    receiver = None
    if config.websub.public_url is not None:
        receiver = PushReceiver(
            store=push_store,
            ingest=metrics.counted_take(poller.take),
            public_url=config.websub.public_url,
            listen=config.websub.listen,
            port=config.websub.port,
            max_bytes=config.fetch.max_bytes,
            clock=clock,
            timing=push_timing,
            # SQLite has one writer: more ingest workers would only queue on its lock.
            workers=1 if store.engine.dialect.name == "sqlite" else 4,
        )
    gate = HostGate(polling.per_host)  # shared by polls and /addsource discovery
    due = DuePolls(
        store=store,
        poller=poller,
        policy=polling,
        clock=clock,
        on_notices=notices.wake,
        gate=gate,
        observer=metrics,
    )
    digests = Digests(store=store, sender=outbox.sender, clock=clock)
    jobs = DeliveryJobs(
        outbox=outbox,
        digests=digests,
        prune=store.prune,
        clock=clock,
        retention_days=config.delivery.retention_days,
    )
    bot = NewsBot(
        config=config,
        sources=sources,
        store=store,
        http=http,
        guarded_http=guarded_http,
        poller=poller,
        outbox=outbox,
        commands=Commands(
            store=store,
            matcher=matcher,
            topics=topics,
            recent=recent,
            clock=clock,
            probe=FeedProbe(gated(guarded, gate)),
            limits=config.chats,
            operators=config.ops.admins,
        ),
        adapters=by_platform,
        schedule=PollSchedule(due.run_due, tick_seconds=polling.tick_seconds),
        due=due,
        notices=notices,
        editor=editor,
        recent=recent,
        metrics=metrics,
        jobs=jobs,
        subscriber=subscriber,
        receiver=receiver,
    )
    if config.ops.port is not None:
        bot.ops = OpsServer(
            listen=config.ops.listen,
            port=config.ops.port,
            token=config.ops_token,
            checks=BotChecks(
                workers={"delivery": bot.delivery_running},
                ping=store.ping,
                schema_revision=store.schema_revision,
                head_revision=head_revision(),
                platforms=bot.platform_states,
            ),
            store=store,
            metrics=metrics,
            clock=clock,
            version=__version__,
        )
    return bot


__all__ = ["NewsBot", "build", "effective_sources"]

"""The bot's Prometheus metrics, on a registry the app owns (never the library's global one).

Two kinds of figures:
- Events this process saw (polls, stories stored, alerts queued and sent, 429s, latencies,
  matcher time): counters and histograms fed through the observer protocols the poll path and
  delivery call (`bot.ingest.observe`, `bot.delivery.observe`). Each process counts its own;
  Prometheus adds the processes up.
- State (queue depth, oldest pending alert, chats, held chats, subscriptions, sources' health):
  read from the database at scrape time (`render(figures)`), so every process reports the same
  numbers and none of them keeps a copy that could drift.

Labels are bounded: a platform name, a poll result (see `bot.ingest.observe`), an alert event or
a source state. Never a URL, a chat id or a topic.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from bot.domain import OpsFigures
from bot.errors import SourceError
from bot.ingest.fetch import FetchResult
from bot.ingest.observe import error_kind, poll_result
from bot.ingest.poll import PollOutcome
from bot.match.base import Document, Hit, Query, TopicIndex

POLL_SECONDS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
LAG_SECONDS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 21600)
LATENCY_SECONDS = (1, 5, 15, 30, 60, 120, 300, 900, 3600, 14400, 86400)


class Take(Protocol):
    """`Poller.take`: store content already in hand."""

    async def __call__(
        self, url: str, name: str, fetched: FetchResult, *, untrusted: bool = False
    ) -> PollOutcome: ...


MATCH_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1)


class Metrics:
    """Implements `PollObserver` and `DeliveryObserver`; `render()` gives the exposition."""

    def __init__(self, *, version: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.polls = Counter("newsbot_polls", "Polls of sources, by result", ["result"], registry=r)
        self.poll_duration = Histogram(
            "newsbot_poll_duration_seconds",
            "Time one poll took: fetch, parse, match and store",
            buckets=POLL_SECONDS,
            registry=r,
        )
        self.poll_lag = Histogram(
            "newsbot_poll_lag_seconds",
            "How late a poll started after its source was due",
            buckets=LAG_SECONDS,
            registry=r,
        )
        self.stories = Counter("newsbot_stories_stored", "New stories stored", registry=r)
        self.pushes = Counter(
            "newsbot_pushes",
            "Content a WebSub hub pushed, by result (200 read, or why it could not be)",
            ["result"],
            registry=r,
        )
        self.alerts = Counter(
            "newsbot_alerts",
            "Alerts by event: queued, sent, retried, uncertain (may have arrived), failed",
            ["platform", "event"],
            registry=r,
        )
        self.rate_limits = Counter(
            "newsbot_rate_limited",
            "429 answers from a chat platform (each holds the chat for the time it asked)",
            ["platform"],
            registry=r,
        )
        self.latency = Histogram(
            "newsbot_alert_latency_seconds",
            "From a story stored (its alert queued) to the platform accepting the alert",
            ["platform"],
            buckets=LATENCY_SECONDS,
            registry=r,
        )
        self.match_time = Histogram(
            "newsbot_match_seconds",
            "Matcher time for one story against every topic",
            buckets=MATCH_SECONDS,
            registry=r,
        )
        Gauge("newsbot_build_info", "The running build", ["version"], registry=r).labels(
            version
        ).set(1)
        self._state = _StateCollector()
        r.register(self._state)

    # --- PollObserver ---
    def poll_finished(self, outcome: PollOutcome, *, duration: float, lag: float) -> None:
        self.polls.labels(poll_result(outcome)).inc()
        self.poll_duration.observe(duration)
        self.poll_lag.observe(lag)
        self._stored(outcome)

    def _stored(self, outcome: PollOutcome) -> None:
        if outcome.new_articles:
            self.stories.inc(outcome.new_articles)
        for platform, count in outcome.queued_by_platform:
            self.alerts.labels(platform, "queued").inc(count)

    # --- pushed content (WebSub) ---
    def counted_take(self, take: Take) -> Take:
        """`take` (`Poller.take`, what the push receiver stores pushed content with), with its
        stories, queued alerts and result counted like a poll's."""

        async def counted(
            url: str, name: str, fetched: FetchResult, *, untrusted: bool = False
        ) -> PollOutcome:
            try:
                outcome = await take(url, name, fetched, untrusted=untrusted)
            except SourceError as e:
                self.pushes.labels(error_kind(e)).inc()
                raise
            self.pushes.labels(poll_result(outcome)).inc()
            self._stored(outcome)
            return outcome

        return counted

    # --- DeliveryObserver ---
    def alerts_sent(self, platform: str, latencies: Sequence[float]) -> None:
        self.alerts.labels(platform, "sent").inc(len(latencies))
        histogram = self.latency.labels(platform)
        for seconds in latencies:
            histogram.observe(max(seconds, 0.0))

    def alerts_failed(self, platform: str, count: int) -> None:
        self.alerts.labels(platform, "failed").inc(count)

    def alerts_retried(self, platform: str, count: int) -> None:
        self.alerts.labels(platform, "retried").inc(count)

    def alert_uncertain(self, platform: str) -> None:
        self.alerts.labels(platform, "uncertain").inc()

    def rate_limited(self, platform: str) -> None:
        self.rate_limits.labels(platform).inc()

    # --- the matcher ---
    def timed(self, index: TopicIndex) -> TopicIndex:
        """`index`, with the time of each `match` (one story) recorded."""
        return TimedTopics(index, self.match_time)

    # --- exposition ---
    def render(self, figures: OpsFigures | None, accept: str = "") -> tuple[bytes, str]:
        """The exposition (and its content type) in the format the scraper's Accept header
        asks for, with the database's figures as read for this scrape (None: the database did
        not answer, and `newsbot_database_up` says so)."""
        encode, content_type = choose_encoder(accept)
        self._state.figures = figures
        try:
            return encode(self.registry), content_type
        finally:
            self._state.figures = None


class TimedTopics:
    """A `TopicIndex` that records how long each story's match took; the rest is delegated."""

    def __init__(self, index: TopicIndex, histogram: Histogram) -> None:
        self._index = index
        self._histogram = histogram

    def match(self, doc: Document) -> Sequence[Hit]:
        started = time.perf_counter()
        try:
            return self._index.match(doc)
        finally:
            self._histogram.observe(time.perf_counter() - started)

    def add(self, query_id: int, query: Query) -> None:
        self._index.add(query_id, query)

    def remove(self, query_id: int) -> None:
        self._index.remove(query_id)


class _StateCollector(Collector):
    """Gauges from the figures read for the scrape in progress (`Metrics.render`)."""

    def __init__(self) -> None:
        self.figures: OpsFigures | None = None

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        up = GaugeMetricFamily("newsbot_database_up", "1 if the database answered this scrape")
        up.add_metric([], 0 if figures is None else 1)
        yield up
        if figures is None:
            return
        yield from _state_metrics(figures)


def _state_metrics(figures: OpsFigures) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "newsbot_queue_depth", "Alerts waiting to be sent", labels=["platform"]
    )
    oldest = GaugeMetricFamily(
        "newsbot_queue_oldest_seconds",
        "Age of the oldest alert waiting to be sent (0 when none waits)",
        labels=["platform"],
    )
    chats = GaugeMetricFamily(
        "newsbot_chats", "Chats the bot serves (not gone)", labels=["platform"]
    )
    held = GaugeMetricFamily(
        "newsbot_chats_held",
        "Chats held after a 429 until the time the platform asked for",
        labels=["platform"],
    )
    for p in figures.platforms:
        depth.add_metric([p.platform], p.queued)
        oldest.add_metric([p.platform], _age(figures.at, p.oldest))
        chats.add_metric([p.platform], p.chats)
        held.add_metric([p.platform], p.held)
    yield from (depth, oldest, chats, held)
    subscriptions = GaugeMetricFamily("newsbot_subscriptions", "Topics followed, over all chats")
    subscriptions.add_metric([], figures.subscriptions)
    yield subscriptions
    sources = GaugeMetricFamily("newsbot_sources", "Sources polled, by health", labels=["state"])
    sources.add_metric(["ok"], figures.sources_ok)
    sources.add_metric(["failing"], figures.sources_failing)
    sources.add_metric(["parked"], figures.sources_parked)
    yield sources


def _age(now: datetime, since: datetime | None) -> float:
    return 0.0 if since is None else max((now - since).total_seconds(), 0.0)

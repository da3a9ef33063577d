"""APScheduler 3.11 triggers delivery's periodic work: "deliver" (wake the outbox worker; it also
wakes on every ingest and looks every `poll_seconds` on its own, so this tick is a slow safety
net that adds no database load), "digests" (send the due ones) and "housekeeping" (prune old
rows).

What is due lives in the database (alerts' not-before times, chats' digest times), never in the
scheduler: the jobs are in memory and rebuilt at each start, and a missed tick is simply the
next one. coalesce + max_instances=1: a late or slow run never piles up into a burst.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery.digests import Digests
from bot.delivery.outbox import Outbox

log = logging.getLogger(__name__)

DELIVER_TICK_SECONDS = 30.0
DIGEST_CHECK_SECONDS = 60.0
HOUSEKEEPING_SECONDS = 3600.0
STOP_SECONDS = 10.0


async def housekeep(
    prune: Callable[..., Awaitable[tuple[int, int]]],
    *,
    now: datetime,
    retention_days: float,
) -> tuple[int, int]:
    """Delete delivered (or given-up) alerts and the stories no pending alert needs, once older
    than the retention. Pending alerts are never pruned, however old."""
    alerts, stories = await prune(before=now - timedelta(days=retention_days))
    if alerts or stories:
        log.info("housekeeping: pruned %d alerts and %d stories", alerts, stories)
    return alerts, stories


class DeliveryJobs:
    def __init__(
        self,
        *,
        outbox: Outbox,
        digests: Digests,
        prune: Callable[..., Awaitable[tuple[int, int]]],
        clock: Callable[[], datetime],
        retention_days: float,
    ) -> None:
        self._outbox = outbox
        self._digests = digests
        self._prune = prune
        self._clock = clock
        self._retention_days = retention_days
        self._scheduler: AsyncIOScheduler | None = None
        self._running: set[asyncio.Task[object]] = set()  # job runs in flight, awaited at stop

    def _tracked(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await fn()
            finally:
                if task is not None:
                    self._running.discard(task)

        return run

    async def housekeeping(self) -> None:
        try:
            await housekeep(self._prune, now=self._clock(), retention_days=self._retention_days)
        except Exception:
            log.exception("housekeeping failed; it runs again next time")

    async def deliver(self) -> None:
        # A coroutine, so APScheduler runs it on the event loop (a plain function would run in
        # a worker thread, and asyncio.Event is not thread-safe).
        self._outbox.wake()

    async def digests(self) -> None:
        try:
            await self._digests.send_due()
        except Exception:
            log.exception("digests: a run failed; they stay due")

    def start(self) -> None:
        """Must be called from inside the running event loop."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        # Digests are checked at once (one catch-up after downtime); pruning can wait a minute
        # rather than compete with the first polls for the database.
        jobs: list[tuple[str, Callable[[], Awaitable[None]], float, datetime]] = [
            ("deliver", self.deliver, DELIVER_TICK_SECONDS, now),
            ("digests", self.digests, DIGEST_CHECK_SECONDS, now),
            ("housekeeping", self.housekeeping, HOUSEKEEPING_SECONDS, now + timedelta(minutes=1)),
        ]
        for name, fn, every, first in jobs:
            scheduler.add_job(
                self._tracked(fn),
                IntervalTrigger(seconds=every, timezone=UTC),
                id=name,
                name=name,
                next_run_time=first,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(1, int(every)),
            )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """No new runs; a run in flight finishes (or is cancelled after STOP_SECONDS) before the
        caller closes the database under it."""
        self._digests.stopping = True
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=STOP_SECONDS)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        self._scheduler = None

"""APScheduler 3.11 (the stable line) ticks one job: "poll the sources that are due".

When each source is due lives in our database, not in APScheduler's memory job store (which
forgets everything at a restart): see `bot.sources.due`. coalesce + max_instances=1 mean a slow
round never piles up into a burst, and the first tick runs at once, so after downtime every
overdue source gets its one catch-up poll straight away.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

JOB_ID = "poll-due-sources"


class PollSchedule:
    def __init__(self, run_due: Callable[[], Awaitable[object]], *, tick_seconds: float) -> None:
        self._run_due = run_due
        self._tick = tick_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self.rounds = 0  # completed rounds, so tests and logs can see the ticks happen

    async def _round(self) -> None:
        try:
            await self._run_due()
        except Exception:  # a store outage must not kill the job: the next tick tries again
            log.exception("polling the due sources failed")
        finally:
            self.rounds += 1

    def start(self) -> None:
        """Must be called from inside the running event loop."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._round,
            IntervalTrigger(seconds=self._tick, timezone=UTC),
            id=JOB_ID,
            name="poll the sources that are due",
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(self._tick)),
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("looking for due sources every %gs", self._tick)

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None

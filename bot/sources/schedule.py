"""Polls each source on its own interval with APScheduler 3.11 (the stable line).

Each source is one interval job. coalesce + max_instances=1 mean a slow or late poll never piles up
into a burst; a grace time of one interval means a late tick still runs once instead of being
skipped. The jobs live in memory: the schedule is rebuilt from config at every start, and the first
poll of every source runs at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import SourceConfig

log = logging.getLogger(__name__)

PollFn = Callable[[str, str], Awaitable[object]]


class PollSchedule:
    def __init__(self, poll: PollFn) -> None:
        self._poll = poll
        self._scheduler: AsyncIOScheduler | None = None

    def start(self, sources: Sequence[SourceConfig]) -> None:
        """Must be called from inside the running event loop."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        for source in sources:
            scheduler.add_job(
                self._poll,
                IntervalTrigger(seconds=source.interval, timezone=UTC),
                args=(source.url, source.name),
                id=source.url,
                name=f"poll {source.url}",
                next_run_time=now,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=max(1, int(source.interval)),
            )
            log.info("source %s: polling every %gs", source.url, source.interval)
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None

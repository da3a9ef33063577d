"""Poll every source that is due, politely, and store when each is due next.

The schedule lives in the database (`sources.next_poll_at`), so a restart neither forgets it nor
bursts: however long the bot was down, an overdue source is claimed once, polled once, and its
next poll is set from *now*. That is the single catch-up poll.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime

from bot.domain import DueSource, NextPoll
from bot.ingest.observe import NO_POLL_OBSERVER, PollObserver
from bot.ingest.poll import Poller, PollOutcome
from bot.sources.hosts import HostGate
from bot.sources.policy import PollingPolicy, after_failure, after_success
from bot.store.ports import Store

log = logging.getLogger(__name__)

BATCH = 200  # sources claimed per round; the next tick takes the rest
# A claimed source is retried after this if the poll never reports back (a crash mid-poll).
CLAIM_SECONDS = 600.0


class DuePolls:
    def __init__(
        self,
        *,
        store: Store,
        poller: Poller,
        policy: PollingPolicy,
        clock: Callable[[], datetime],
        on_notices: Callable[[], None] = lambda: None,
        rand: Callable[[], float] = random.random,
        gate: HostGate | None = None,
        observer: PollObserver = NO_POLL_OBSERVER,
    ) -> None:
        self._store = store
        self._poller = poller
        self._policy = policy
        self._clock = clock
        self._on_notices = on_notices  # wakes the notice sender when a source was parked
        self._rand = rand
        self._gate = gate or HostGate(policy.per_host)
        self._observer = observer

    async def run_due(self) -> list[PollOutcome]:
        """One round: claim what is due, poll it (one request per host at a time), reschedule."""
        due = await self._store.claim_due_sources(self._clock(), BATCH, lease_seconds=CLAIM_SECONDS)
        return list(await asyncio.gather(*(self._poll(source) for source in due)))

    async def _poll(self, source: DueSource) -> PollOutcome:
        async with self._gate.slot(source.url):
            lag = (self._clock() - source.due_at).total_seconds() if source.due_at else 0.0
            started = time.perf_counter()
            try:
                outcome = await self._poller.poll(
                    source.url, source.name, untrusted=not source.trusted
                )
            except Exception:
                # A bug tripped by one feed's content must not stop the others: it counts as a
                # failed poll, so the source backs off and is parked in the end.
                log.exception("source %s: poll failed unexpectedly", source.url)
                outcome = PollOutcome(
                    source.url,
                    error="internal error while reading the feed",
                    error_kind="internal",
                )
            self._observer.poll_finished(
                outcome, duration=time.perf_counter() - started, lag=max(lag, 0.0)
            )
        await self._reschedule(source, outcome)
        return outcome

    async def _reschedule(self, source: DueSource, outcome: PollOutcome) -> None:
        now = self._clock()
        decision: NextPoll
        if outcome.error is None:
            changed = outcome.new_articles > 0
            decision = after_success(source.state, changed=changed, now=now, policy=self._policy)
        else:
            decision = after_failure(
                source.state,
                reason=outcome.error,
                status=outcome.status,
                retry_after=outcome.retry_after,
                now=now,
                policy=self._policy,
                rand=self._rand,
            )
        await self._store.record_schedule(source.url, decision)
        if decision.parked is None:
            return
        told = await self._store.park_source(source.url, decision.parked, at=now)
        if told:
            log.warning(
                "source %s parked (%s); telling %d chat(s)", source.url, decision.parked, len(told)
            )
            self._on_notices()
        else:
            log.error(
                "source %s parked: %s. Fix or remove it in the config, then restart.",
                source.url,
                decision.parked,
            )

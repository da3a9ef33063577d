"""The outbox worker: claims queued alerts and sends them, paced, through the chat's adapter.

An alert is written to the outbox in the same transaction as its story (see Store.ingest), so it
survives a crash; it is marked sent, with the platform's message id, only after the platform
accepted it. Claims are leases (on PostgreSQL taken with FOR UPDATE SKIP LOCKED), so several
workers, in one process or many sharing one database, never send the same alert twice.

The one duplicate window: the platform accepted the message and the process died before
recording it. The lease then expires and the alert is sent again: at-least-once, with at most one
duplicate per crash (sends to one worker happen one at a time).

Per round, alerts are grouped by chat. A chat in its quiet hours gets its alerts back for when
they end. More than `burst` alerts waiting for one chat go out as one message listing them
(`send_digest`), `burst_max` at most per message. A chat whose own bucket is not ready gets its
alerts back for the moment it is, so one slow group never stalls the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.adapters.base import ChatAdapter
from bot.delivery.localtime import in_quiet, quiet_end
from bot.delivery.policy import DeliveryPolicy
from bot.delivery.send import Sender, SendStore, Sleep
from bot.domain import ChatAddress, PendingAlert

log = logging.getLogger(__name__)

DEFAULT_POLICY = DeliveryPolicy()
NO_ADAPTER_RETRY_SECONDS = 3600.0


class OutboxStore(SendStore, Protocol):
    async def claim_alerts(
        self,
        limit: int,
        *,
        now: datetime,
        lease_seconds: float,
        per_chat: int | None = None,
        burst: int | None = None,
    ) -> list[PendingAlert]: ...


def by_chat(alerts: Sequence[PendingAlert]) -> dict[ChatAddress, list[PendingAlert]]:
    grouped: dict[ChatAddress, list[PendingAlert]] = {}
    for alert in alerts:
        grouped.setdefault(alert.chat, []).append(alert)
    return grouped


def fold(alerts: Sequence[PendingAlert], burst: int, most: int) -> list[list[PendingAlert]]:
    """One message per alert, or, past `burst` of them, messages listing up to `most` each."""
    if len(alerts) <= burst:
        return [[a] for a in alerts]
    return [list(alerts[i : i + most]) for i in range(0, len(alerts), most)]


class Outbox:
    def __init__(
        self,
        *,
        store: OutboxStore,
        adapters: Mapping[str, ChatAdapter],
        clock: Callable[[], datetime],
        policy: DeliveryPolicy = DEFAULT_POLICY,
        sleep: Sleep = asyncio.sleep,
        sender: Sender | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy
        self.sender = sender or Sender(
            store=store, adapters=adapters, clock=clock, policy=policy, sleep=sleep
        )
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Tell the worker new alerts are queued, so it does not wait for its next idle tick."""
        self._wake.set()

    def stop(self) -> None:
        """Take no new work: the current send finishes, the rest of the round is released and
        `run()` returns."""
        self._stopping = True
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def run(self) -> None:
        while not self._stopping:
            try:
                while not self._stopping and await self.deliver_due():
                    pass
            except Exception:
                # A database hiccup must not end delivery; the alerts stay queued.
                log.exception("delivery: a round failed; retrying")
            if self._stopping:
                break
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._policy.poll_seconds)
        log.info("delivery: stopped")

    async def deliver_due(self) -> int:
        """Send one batch of due alerts; returns how many were claimed."""
        started = self._clock()
        alerts = await self._store.claim_alerts(
            self._policy.batch,
            now=started,
            lease_seconds=self._policy.lease_seconds,
            per_chat=self._policy.burst_max,
            burst=self._policy.burst,
        )
        unsettled = {a.id for a in alerts}
        # Stop using the claim well before the lease runs out: another worker may take it then.
        deadline = started + timedelta(seconds=self._policy.lease_seconds / 2)
        try:
            for chat, items in by_chat(alerts).items():
                if self._stopping or self._clock() >= deadline:
                    break
                await self._deliver_chat(chat, items, unsettled)
        finally:
            if unsettled:
                # Shutting down, cancelled or out of time: hand back what was not tried, at once.
                await asyncio.shield(self._store.defer_alerts(sorted(unsettled), not_before=None))
        return len(alerts)

    async def _defer(
        self, items: Sequence[PendingAlert], until: datetime | None, unsettled: set[int]
    ) -> None:
        ids = [a.id for a in items]
        await self._store.defer_alerts(ids, not_before=until)
        unsettled.difference_update(ids)

    async def _deliver_chat(
        self, chat: ChatAddress, items: list[PendingAlert], unsettled: set[int]
    ) -> None:
        sender = self.sender
        adapter = sender.adapters.get(chat.platform)
        now = self._clock()
        if adapter is None:
            # The platform is not configured in this run; keep the alerts for a run that has it.
            log.warning(
                "chat %s: no %s adapter configured; keeping its alerts", chat, chat.platform
            )
            await self._defer(items, now + timedelta(seconds=NO_ADAPTER_RETRY_SECONDS), unsettled)
            return
        first = items[0]
        if in_quiet(first.quiet, first.timezone, now):
            assert first.quiet is not None
            await self._defer(items, quiet_end(first.quiet, first.timezone, now), unsettled)
            return
        messages = fold(items, self._policy.burst, self._policy.burst_max)
        for index, group in enumerate(messages):
            rest = [a for g in messages[index:] for a in g]
            if self._stopping:
                return  # `rest` stays unsettled and is released
            wait = sender.pacer.chat_wait(chat)
            if wait > 0:
                await self._defer(rest, self._clock() + timedelta(seconds=wait), unsettled)
                return
            heading = f"{len(group)} new alerts" if len(group) > 1 else None
            outcome = await sender.send(adapter, chat, group, heading=heading)
            unsettled.difference_update(a.id for a in group)
            if outcome in ("held", "paused"):
                # Held or moved: the rest waits for the hold (or the new id); paused: dropped.
                later = [a for g in messages[index + 1 :] for a in g]
                if later:
                    await self._defer(later, None, unsettled)
                return

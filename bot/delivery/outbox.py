"""The outbox worker: claims queued alerts and sends them through the chat's adapter.

An alert is written to the outbox in the same transaction as its story (see Store.ingest), so it
survives a crash; it is marked sent only after the platform accepted it. A crash between the two
leaves the lease to expire and the alert is sent again: at-least-once, with that one window for a
duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.adapters.base import ChatAdapter
from bot.alerts.compose import compose_alert
from bot.delivery.policy import DeliveryPolicy
from bot.domain import ChatAddress, PendingAlert
from bot.errors import ChatGone, ChatMoved, DeliveryError, RateLimited

log = logging.getLogger(__name__)

DEFAULT_POLICY = DeliveryPolicy()


class OutboxStore(Protocol):
    async def claim_alerts(
        self, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[PendingAlert]: ...
    async def mark_sent(self, alert_id: int, *, at: datetime, message_ref: str | None) -> None: ...
    async def retry_later(self, alert_id: int, *, not_before: datetime, error: str) -> None: ...
    async def mark_failed(self, alert_id: int, *, error: str) -> None: ...
    async def set_chat_paused(
        self, chat: ChatAddress, paused: bool, *, reason: str = ""
    ) -> None: ...
    async def hold_chat(self, chat: ChatAddress, until: datetime) -> None: ...
    async def move_chat(self, old: ChatAddress, new: ChatAddress) -> None: ...


class Outbox:
    def __init__(
        self,
        *,
        store: OutboxStore,
        adapters: Mapping[str, ChatAdapter],
        clock: Callable[[], datetime],
        policy: DeliveryPolicy = DEFAULT_POLICY,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._clock = clock
        self._policy = policy
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell the worker new alerts are queued, so it does not wait for its next idle tick."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.deliver_due():
                    pass
            except Exception:
                # A database hiccup must not end delivery; the alerts stay queued.
                log.exception("delivery: a round failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._policy.poll_seconds)

    async def deliver_due(self) -> int:
        """Send one batch of due alerts; returns how many were claimed."""
        alerts = await self._store.claim_alerts(
            self._policy.batch, now=self._clock(), lease_seconds=self._policy.lease_seconds
        )
        # A chat that was paused, held or moved during this round sends nothing more in it.
        stopped: set[ChatAddress] = set()
        for alert in alerts:
            if alert.chat in stopped:
                # Paused: its row was dropped. Held or moved: release the claim for later.
                await self._store.retry_later(alert.id, not_before=self._clock(), error="")
                continue
            if await self._deliver(alert) in ("paused", "held"):
                stopped.add(alert.chat)
        return len(alerts)

    async def _deliver(self, alert: PendingAlert) -> str:
        adapter = self._adapters.get(alert.chat.platform)
        if adapter is None:
            # The platform is not configured in this run; keep the alert for a run that has it.
            await self._retry(alert, f"no {alert.chat.platform} adapter configured", 3600.0)
            return "retry"
        message = replace(
            compose_alert(alert.article, topic=alert.topic, terms=alert.terms),
            subscription_id=alert.subscription_id,
            link_preview=alert.link_preview,
            also=alert.also,
        )
        try:
            ref = await adapter.send_alert(alert.chat, message)
        except RateLimited as e:
            # Only this chat waits, and the wait is stored so that a restart honours it too.
            log.warning("chat %s: rate limited, holding it for %gs", alert.chat, e.retry_after)
            until = self._clock() + timedelta(seconds=e.retry_after)
            await self._store.hold_chat(alert.chat, until)
            await self._retry(alert, e.reason, e.retry_after)
            return "held"
        except ChatMoved as e:
            log.warning("chat %s: moved to %s; moving its subscriptions", alert.chat, e.new_chat)
            await self._store.move_chat(alert.chat, e.new_chat)
            await self._retry(alert, e.reason, 0.0)
            return "held"  # its other claimed alerts now belong to the new chat: next round
        except ChatGone as e:
            log.warning("chat %s: gone (%s); pausing its subscriptions", alert.chat, e.reason)
            await self._store.set_chat_paused(alert.chat, True, reason=e.reason)
            return "paused"
        except DeliveryError as e:
            return await self._failed(alert, e.reason, retryable=e.retryable)
        except Exception as e:
            log.exception("chat %s: unexpected error sending alert %d", alert.chat, alert.id)
            return await self._failed(alert, f"{type(e).__name__}: {e}", retryable=True)
        await self._store.mark_sent(alert.id, at=self._clock(), message_ref=ref)
        log.info("chat %s: sent alert %d (%s)", alert.chat, alert.id, alert.article.url)
        return "sent"

    async def _failed(self, alert: PendingAlert, reason: str, *, retryable: bool) -> str:
        if retryable and alert.attempts < self._policy.max_attempts:
            delay = min(
                self._policy.retry_base_seconds * 2 ** (alert.attempts - 1),
                self._policy.retry_max_seconds,
            )
            log.warning("chat %s: send failed (%s); retry in %gs", alert.chat, reason, delay)
            await self._retry(alert, reason, delay)
            return "retry"
        log.error("chat %s: giving up on alert %d: %s", alert.chat, alert.id, reason)
        await self._store.mark_failed(alert.id, error=reason)
        return "failed"

    async def _retry(self, alert: PendingAlert, reason: str, delay: float) -> None:
        not_before = self._clock() + timedelta(seconds=delay)
        await self._store.retry_later(alert.id, not_before=not_before, error=reason)

"""One paced send of one alert, or of several listed in one message, and what its outcome means
for the stored rows. Shared by the outbox worker and the digest job.

Never drop: an error the platform may get over (network, 5xx, timeouts, anything unexpected) is
retried with doubling waits capped at `retry_max_seconds`, for as long as it takes. Only a
non-retryable error (the platform refused this message, e.g. a 400) marks an alert failed, and
says so in the log. A chat that is gone (blocked, removed) is paused and its queue dropped: there
is nobody to deliver to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from bot.adapters.base import ChatAdapter
from bot.alerts.compose import compose_alert
from bot.delivery.observe import NO_DELIVERY_OBSERVER, DeliveryObserver
from bot.delivery.pacing import Pacer
from bot.delivery.policy import DeliveryPolicy
from bot.domain import AlertMessage, ChatAddress, PendingAlert
from bot.errors import ChatGone, ChatMoved, DeliveryError, DeliveryUncertain, RateLimited

log = logging.getLogger("bot.delivery")

Outcome = Literal["sent", "retry", "held", "paused"]
Sleep = Callable[[float], Awaitable[None]]
_MAX_DOUBLINGS = 30  # beyond this the cap applies anyway; keeps 2**n a small number


class SendStore(Protocol):
    async def mark_sent(
        self,
        alert_id: int,
        *,
        at: datetime,
        message_ref: str | None,
        pace_until: datetime | None = None,
    ) -> None: ...
    async def mark_sent_many(
        self,
        alert_ids: Sequence[int],
        *,
        at: datetime,
        message_ref: str | None,
        pace_until: datetime | None = None,
    ) -> None: ...
    async def retry_later(self, alert_id: int, *, not_before: datetime, error: str) -> None: ...
    async def mark_failed(self, alert_id: int, *, error: str) -> None: ...
    async def record_uncertain(self, alert_id: int, *, not_before: datetime, error: str) -> int: ...
    async def defer_alerts(
        self, alert_ids: Sequence[int], *, not_before: datetime | None
    ) -> None: ...
    async def set_chat_paused(
        self, chat: ChatAddress, paused: bool, *, reason: str = ""
    ) -> None: ...
    async def hold_chat(self, chat: ChatAddress, until: datetime) -> None: ...
    async def move_chat(self, old: ChatAddress, new: ChatAddress) -> None: ...


def alert_message(alert: PendingAlert) -> AlertMessage:
    return replace(
        compose_alert(alert.article, topic=alert.topic, terms=alert.terms),
        subscription_id=alert.subscription_id,
        link_preview=alert.link_preview,
        also=alert.also,
    )


class Sender:
    def __init__(
        self,
        *,
        store: SendStore,
        adapters: Mapping[str, ChatAdapter],
        clock: Callable[[], datetime],
        policy: DeliveryPolicy,
        sleep: Sleep = asyncio.sleep,
        observer: DeliveryObserver = NO_DELIVERY_OBSERVER,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.clock = clock
        self.policy = policy
        self.pacer = Pacer(policy.rates, clock)
        self._sleep = sleep
        self._observer = observer

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)

    async def wait_for_chat(self, chat: ChatAddress) -> None:
        while (wait := self.pacer.chat_wait(chat)) > 0:
            await self._sleep(wait)

    async def send(
        self,
        adapter: ChatAdapter,
        chat: ChatAddress,
        alerts: Sequence[PendingAlert],
        *,
        heading: str | None = None,
    ) -> Outcome:
        """Send `alerts` as one message: one alert alone, or several under `heading`. The chat's
        own bucket must already allow it (the caller decides whether to wait or move on); this
        waits for the platform's total bucket."""
        while (wait := self.pacer.total_wait(chat.platform)) > 0:
            await self._sleep(wait)
        # The slot is used even if the send fails: a platform counts refused requests too.
        ready = self.pacer.sent(chat, adapter.rate_class(chat))
        ids = [a.id for a in alerts]
        try:
            try:
                if len(alerts) == 1 and heading is None:
                    ref = await adapter.send_alert(chat, alert_message(alerts[0]))
                else:
                    messages = [alert_message(a) for a in alerts]
                    ref = await adapter.send_digest(chat, heading or "", messages)
            finally:
                self.pacer.answered(chat.platform)
        except RateLimited as e:
            # Only this chat waits, and the wait is stored so that a restart honours it too.
            log.warning("chat %s: rate limited, holding it for %gs", chat, e.retry_after)
            self._observer.rate_limited(chat.platform)
            await self.store.hold_chat(chat, self.clock() + timedelta(seconds=e.retry_after))
            await self.store.defer_alerts(ids, not_before=None)
            return "held"
        except ChatMoved as e:
            log.warning("chat %s: moved to %s; moving its subscriptions", chat, e.new_chat)
            await self.store.move_chat(chat, e.new_chat)
            await self.store.defer_alerts(ids, not_before=None)
            return "held"  # its other claimed alerts now belong to the new chat: next round
        except ChatGone as e:
            log.warning("chat %s: gone (%s); pausing it, dropping its queue", chat, e.reason)
            await self.store.set_chat_paused(chat, True, reason=e.reason)
            return "paused"
        except DeliveryUncertain as e:
            await self._uncertain(chat, alerts, e.reason)
            return "retry"
        except DeliveryError as e:
            await self._failed(chat, alerts, e.reason, retryable=e.retryable)
            return "retry"
        except Exception as e:
            log.exception("chat %s: unexpected error sending %s", chat, ids)
            await self._failed(chat, alerts, f"{type(e).__name__}: {e}", retryable=True)
            return "retry"
        now = self.clock()
        # The chat's next allowed time is stored with the outcome: no claim before then, and
        # the chats served least recently come first in the next claim (round-robin).
        pace = ready or now
        if len(ids) == 1:
            await self.store.mark_sent(ids[0], at=now, message_ref=ref, pace_until=pace)
        else:
            await self.store.mark_sent_many(ids, at=now, message_ref=ref, pace_until=pace)
        log.info("chat %s: sent alert(s) %s as message %s", chat, ids, ref)
        self._observer.alerts_sent(
            chat.platform,
            [(now - a.queued_at).total_seconds() for a in alerts if a.queued_at is not None],
        )
        return "sent"

    def backoff(self, attempts: int) -> float:
        doublings = min(max(attempts - 1, 0), _MAX_DOUBLINGS)
        delay: float = self.policy.retry_base_seconds * 2.0**doublings
        return min(delay, self.policy.retry_max_seconds)

    async def _failed(
        self, chat: ChatAddress, alerts: Sequence[PendingAlert], reason: str, *, retryable: bool
    ) -> None:
        for alert in alerts:
            if not retryable:
                log.error(
                    "chat %s: alert %d failed for good, the platform refused it (not retryable): "
                    "%s",
                    chat,
                    alert.id,
                    reason,
                )
                await self.store.mark_failed(alert.id, error=reason)
                self._observer.alerts_failed(chat.platform, 1)
                continue
            delay = self.backoff(alert.attempts)
            log.warning(
                "chat %s: alert %d: send failed (%s), attempt %d; retry in %gs",
                chat,
                alert.id,
                reason,
                alert.attempts,
                delay,
            )
            not_before = self.clock() + timedelta(seconds=delay)
            await self.store.retry_later(alert.id, not_before=not_before, error=reason)
            self._observer.alerts_retried(chat.platform, 1)

    async def _uncertain(
        self, chat: ChatAddress, alerts: Sequence[PendingAlert], reason: str
    ) -> None:
        # The request left and timed out: the message may be in the chat already. Try again
        # `uncertain_retries` times (a lost request is the commoner case), then stop rather than
        # risk a run of duplicates; the row keeps the reason.
        for alert in alerts:
            not_before = self.clock() + timedelta(seconds=self.backoff(alert.attempts))
            count = await self.store.record_uncertain(alert.id, not_before=not_before, error=reason)
            self._observer.alert_uncertain(chat.platform)
            if count > self.policy.uncertain_retries:
                log.error(
                    "chat %s: alert %d: %d sends timed out after leaving (%s); it was probably "
                    "delivered: not sending it again",
                    chat,
                    alert.id,
                    count,
                    reason,
                )
                await self.store.mark_failed(alert.id, error=f"uncertain: {reason}")
                self._observer.alerts_failed(chat.platform, 1)
            else:
                log.warning(
                    "chat %s: alert %d: send may have arrived (%s); retrying once more",
                    chat,
                    alert.id,
                    reason,
                )

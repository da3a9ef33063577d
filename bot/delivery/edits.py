"""The edit worker: rewrites alerts already sent when more outlets carry their story.

Ingest queues an edit (in the same transaction as the story that joined) for every alert of the
story; this worker claims due edits under a lease, re-renders the alert with "Also: Outlet B, …"
and calls the adapter's `edit_alert` (Telegram editMessageText, Slack chat.update). An edit whose
alert already names those outlets (it was sent after the outlet joined) is simply closed. Edits
are best effort: a chat that is gone, or an edit that keeps failing, costs nothing but the edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.adapters.base import ChatAdapter
from bot.alerts.compose import compose_alert
from bot.delivery.policy import DeliveryPolicy
from bot.domain import ChatAddress, PendingEdit
from bot.errors import ChatGone, ChatMoved, DeliveryError, RateLimited

log = logging.getLogger(__name__)

# An edit only adds "Also: …" to an alert already delivered: unlike the alert itself, it may be
# given up after this many failed tries.
MAX_EDIT_ATTEMPTS = 10


class EditStore(Protocol):
    async def claim_edits(
        self, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[PendingEdit]: ...
    async def finish_edit(
        self, edit_id: int, alert_id: int, also: Sequence[str], version: int
    ) -> None: ...
    async def retry_edit(self, edit_id: int, *, not_before: datetime, error: str) -> None: ...
    async def drop_edit(self, edit_id: int) -> None: ...
    async def hold_chat(self, chat: ChatAddress, until: datetime) -> None: ...


class AlertEditor:
    def __init__(
        self,
        *,
        store: EditStore,
        adapters: Mapping[str, ChatAdapter],
        clock: Callable[[], datetime],
        policy: DeliveryPolicy,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._clock = clock
        self._policy = policy
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Edits were queued, or alerts were sent: look now rather than at the next idle tick."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.apply_due():
                    pass
            except Exception:
                log.exception("edits: a round failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._policy.poll_seconds)

    async def apply_due(self) -> int:
        """Apply one batch of due edits; returns how many were claimed."""
        edits = await self._store.claim_edits(
            self._policy.batch, now=self._clock(), lease_seconds=self._policy.lease_seconds
        )
        for edit in edits:
            try:
                await self._apply(edit)
            except Exception as e:
                # A database error (e.g. PostgreSQL picked this transaction as a deadlock victim):
                # hand the edit back at once instead of leaving it leased until the lease ends.
                log.warning(
                    "chat %s: edit %d failed to record (%s); retrying", edit.alert.chat, edit.id, e
                )
                await self._store.retry_edit(edit.id, not_before=self._clock(), error=str(e))
        return len(edits)

    async def _apply(self, edit: PendingEdit) -> None:
        alert = edit.alert
        if alert.also == edit.also_shown:
            await self._store.finish_edit(edit.id, alert.id, alert.also, edit.version)
            return
        adapter = self._adapters.get(alert.chat.platform)
        if adapter is None:
            await self._retry(edit, f"no {alert.chat.platform} adapter configured", 3600.0)
            return
        message = replace(
            compose_alert(alert.article, topic=alert.topic, terms=alert.terms),
            subscription_id=alert.subscription_id,
            link_preview=alert.link_preview,
            also=alert.also,
        )
        try:
            await adapter.edit_alert(alert.chat, edit.message_ref, message)
        except RateLimited as e:
            until = self._clock() + timedelta(seconds=e.retry_after)
            await self._store.hold_chat(alert.chat, until)
            await self._retry(edit, e.reason, e.retry_after)
            return
        except (ChatGone, ChatMoved) as e:
            # The message is out of reach; the outbox handles the chat itself on its next send.
            log.info("chat %s: cannot edit alert %d (%s)", alert.chat, alert.id, e.reason)
            await self._store.drop_edit(edit.id)
            return
        except DeliveryError as e:
            await self._failed(edit, e.reason, retryable=e.retryable)
            return
        except Exception as e:
            log.exception("chat %s: unexpected error editing alert %d", alert.chat, alert.id)
            await self._failed(edit, f"{type(e).__name__}: {e}", retryable=True)
            return
        await self._store.finish_edit(edit.id, alert.id, alert.also, edit.version)
        log.info("chat %s: alert %d now also names %s", alert.chat, alert.id, ", ".join(alert.also))

    async def _failed(self, edit: PendingEdit, reason: str, *, retryable: bool) -> None:
        attempts = edit.attempts
        if retryable and attempts < MAX_EDIT_ATTEMPTS:
            delay = min(
                self._policy.retry_base_seconds * 2 ** (attempts - 1),
                self._policy.retry_max_seconds,
            )
            await self._retry(edit, reason, delay)
            return
        log.warning(
            "chat %s: giving up on editing alert %d: %s", edit.alert.chat, edit.alert.id, reason
        )
        await self._store.drop_edit(edit.id)

    async def _retry(self, edit: PendingEdit, reason: str, delay: float) -> None:
        not_before = self._clock() + timedelta(seconds=delay)
        await self._store.retry_edit(edit.id, not_before=not_before, error=reason)

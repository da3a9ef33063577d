"""Sends notices: plain-text messages from the bot itself ("I stopped checking your source ...").

They are stored (table `notices`) in the same transaction as the event they report, then sent
here through the chat adapter's `send_text`, each once: a separate small loop from the alert
outbox, so neither can hold up the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from bot.adapters.base import ChatAdapter
from bot.domain import Notice
from bot.errors import ChatGone, DeliveryError, RateLimited

log = logging.getLogger(__name__)

BATCH = 20
LEASE_SECONDS = 60.0
MAX_ATTEMPTS = 8
RETRY_BASE_SECONDS = 30.0


class NoticeStore(Protocol):
    async def claim_notices(
        self, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[Notice]: ...
    async def notice_sent(self, notice_id: int, *, at: datetime) -> None: ...
    async def notice_retry(self, notice_id: int, *, not_before: datetime, error: str) -> None: ...
    async def notice_given_up(self, notice_id: int, *, at: datetime, error: str) -> None: ...


class Notices:
    def __init__(
        self,
        *,
        store: NoticeStore,
        adapters: Mapping[str, ChatAdapter],
        clock: Callable[[], datetime],
        idle_seconds: float = 5.0,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._clock = clock
        self._idle = idle_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                while await self.send_due():
                    pass
            except Exception:
                log.exception("notices: a round failed; retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._idle)

    async def send_due(self) -> int:
        """Send one batch of due notices; returns how many were claimed."""
        due = await self._store.claim_notices(BATCH, now=self._clock(), lease_seconds=LEASE_SECONDS)
        for notice in due:
            await self._send(notice)
        return len(due)

    async def _send(self, notice: Notice) -> None:
        adapter = self._adapters.get(notice.chat.platform)
        if adapter is None:
            # Not connected this run (its token is unset); the notice waits for a run that is.
            later = self._clock() + timedelta(hours=1)
            await self._store.notice_retry(notice.id, not_before=later, error="no adapter")
            return
        try:
            await adapter.send_text(notice.chat, notice.text)
        except RateLimited as e:
            later = self._clock() + timedelta(seconds=e.retry_after)
            await self._store.notice_retry(notice.id, not_before=later, error=e.reason)
        except ChatGone as e:
            await self._store.notice_given_up(notice.id, at=self._clock(), error=e.reason)
        except DeliveryError as e:
            if not e.retryable or notice.attempts >= MAX_ATTEMPTS:
                log.warning("notice to %s given up: %s", notice.chat, e.reason)
                await self._store.notice_given_up(notice.id, at=self._clock(), error=e.reason)
                return
            delay = RETRY_BASE_SECONDS * 2.0 ** (notice.attempts - 1)
            later = self._clock() + timedelta(seconds=delay)
            await self._store.notice_retry(notice.id, not_before=later, error=e.reason)
        else:
            await self._store.notice_sent(notice.id, at=self._clock())

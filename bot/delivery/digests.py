"""The digest job: for each chat whose digest is due, one message listing what was collected.

When each chat's next digest is due lives in the database (`chats.digest_due`), so a restart
neither skips nor repeats one. After downtime a chat whose digest time passed, once or many
times, gets ONE digest with everything collected, and its next time is computed from now: never
a storm of catch-up digests. A digest due in the chat's quiet hours waits for their end. Alerts
are marked sent only after the platform took the message, like any alert.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.delivery.localtime import in_quiet, next_digest
from bot.delivery.outbox import fold
from bot.delivery.send import Sender, SendStore
from bot.domain import ChatAddress, ChatSettings, PendingAlert

log = logging.getLogger(__name__)


class DigestStore(SendStore, Protocol):
    async def due_digests(self, *, now: datetime) -> list[tuple[ChatAddress, ChatSettings]]: ...
    async def claim_chat_alerts(
        self, chat: ChatAddress, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[PendingAlert]: ...
    async def advance_digest(self, chat: ChatAddress, *, was: datetime, due: datetime) -> None: ...


def heading(settings: ChatSettings, count: int) -> str:
    what = "Hourly" if settings.digest == "hourly" else "Daily"
    return f"{what} digest: {count} new {'story' if count == 1 else 'stories'}"


class Digests:
    def __init__(
        self, *, store: DigestStore, sender: Sender, clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._sender = sender
        self._clock = clock
        self.stopping = False

    async def send_due(self) -> int:
        """Send every digest that is due; returns how many messages went out."""
        sent = 0
        now = self._clock()
        for chat, settings in await self._store.due_digests(now=now):
            if self.stopping:
                break
            if in_quiet(settings.quiet, settings.timezone, now):
                continue  # still due: it goes out at the first run after the quiet hours
            try:
                sent += await self._send_one(chat, settings)
            except Exception:
                log.exception("chat %s: digest failed; it stays due", chat)
        return sent

    async def _send_one(self, chat: ChatAddress, settings: ChatSettings) -> int:
        assert settings.digest is not None and settings.digest_due is not None
        sender = self._sender
        adapter = sender.adapters.get(chat.platform)
        if adapter is None:
            return 0
        policy = sender.policy
        sent = 0
        while True:
            alerts = await self._store.claim_chat_alerts(
                chat, policy.batch, now=self._clock(), lease_seconds=policy.lease_seconds
            )
            if not alerts:
                break
            messages = fold(alerts, 0, policy.burst_max)
            for index, group in enumerate(messages):
                await sender.wait_for_chat(chat)
                title = heading(settings, len(alerts))
                if len(messages) > 1:
                    title += f" ({index + 1}/{len(messages)})"
                outcome = await sender.send(adapter, chat, group, heading=title)
                if outcome != "sent":
                    # Retry, hold or gone: the rest goes back and the digest stays due.
                    rest = [a.id for g in messages[index + 1 :] for a in g]
                    if rest:
                        await self._store.defer_alerts(rest, not_before=None)
                    return sent
                sent += 1
            if len(alerts) < policy.batch:
                break
        due = next_digest(settings.digest, settings.digest_at, settings.timezone, self._clock())
        await self._store.advance_digest(chat, was=settings.digest_due, due=due)
        log.info("chat %s: digest of %d message(s) sent; next at %s", chat, sent, due)
        return sent

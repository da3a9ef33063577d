"""Token buckets that keep every send within the platform's limits, so it never answers 429.

Each limit `count per seconds` is paced as one send every `seconds / count` (a bucket of depth
one): any window of `seconds` then holds at most `count` sends, which is what the platforms
measure. There is one bucket per chat (its rate class: private or group) and one per platform for
the total. Each chat's next allowed time is also stored (with `mark_sent`), so the outbox does
not claim alerts it may not send yet, and a restart or another worker keeps the spacing; a 429
that does happen is stored too (see `hold_chat`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.delivery.policy import PlatformRates
from bot.domain import ChatAddress, Rate

_PRUNE_EVERY = 1000  # sends between sweeps of idle chat buckets, so memory stays flat


def spacing(rate: Rate) -> timedelta:
    # Rounded up to whole microseconds: rounding down would let `count + 1` sends into a window.
    return timedelta(microseconds=math.ceil(rate.seconds / rate.count * 1_000_000))


class Pacer:
    def __init__(self, rates: Mapping[str, PlatformRates], clock: Callable[[], datetime]) -> None:
        self._rates = rates
        self._clock = clock
        self._next_chat: dict[ChatAddress, datetime] = {}
        self._next_total: dict[str, datetime] = {}
        self._sends = 0

    def chat_wait(self, chat: ChatAddress) -> float:
        """Seconds until `chat` may get its next message (0: now)."""
        return self._wait(self._next_chat.get(chat))

    def total_wait(self, platform: str) -> float:
        """Seconds until the platform takes another message from us (0: now)."""
        return self._wait(self._next_total.get(platform))

    def sent(self, chat: ChatAddress, rate_class: str) -> datetime | None:
        """Count a message to `chat` as sent now; returns when the chat may have the next one
        (None: it has no limit of its own)."""
        now = self._clock()
        rates = self._rates.get(chat.platform, PlatformRates())
        per_chat = rates.for_class(rate_class)
        ready = None
        if per_chat is not None:
            ready = self._next_chat[chat] = now + spacing(per_chat)
        if rates.total is not None:
            self._next_total[chat.platform] = now + spacing(rates.total)
        self._sends += 1
        if self._sends % _PRUNE_EVERY == 0:
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        return ready

    def tracked_chats(self) -> int:
        return len(self._next_chat)

    def _wait(self, ready: datetime | None) -> float:
        if ready is None:
            return 0.0
        return max(0.0, (ready - self._clock()).total_seconds())

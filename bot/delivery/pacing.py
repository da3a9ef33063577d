"""Token buckets that keep every send within the platform's limits, so it never answers 429.

A chat's limit `count per seconds` is paced as one send every `seconds / count` (a bucket of
depth one): any window of `seconds` then holds at most `count` sends, which is what the platforms
measure. The platform's total is a sliding window: a send may start only once `seconds` have
passed since the send `count` before it was *answered*. A message arrives after its send starts
and before its answer, so however the network and both machines jitter, the platform never sees
more than `count` in any `seconds`; and time lost elsewhere (a database round trip) is made up by
sending a little faster afterwards (never closer than half the even spacing), so the sustained
rate stays at the limit without crossing it.

Each chat's next allowed time is also stored (with `mark_sent`), so the outbox does not claim
alerts it may not send yet, and a restart or another worker keeps the spacing; a 429 that does
happen is stored too (see `hold_chat`).
"""

from __future__ import annotations

import math
from collections import deque
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
        self._recent: dict[str, deque[datetime]] = {}  # the platform's last `count` sends
        self._sends = 0

    def chat_wait(self, chat: ChatAddress) -> float:
        """Seconds until `chat` may get its next message (0: now)."""
        return self._wait(self._next_chat.get(chat))

    def total_wait(self, platform: str) -> float:
        """Seconds until the platform takes another message from us (0: now)."""
        wait = self._wait(self._next_total.get(platform))
        total = self._rates.get(platform, PlatformRates()).total
        recent = self._recent.get(platform)
        if total is not None and recent is not None and len(recent) >= total.count:
            wait = max(wait, self._wait(recent[0] + timedelta(seconds=total.seconds)))
        return wait

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
            self._next_total[chat.platform] = now + spacing(rates.total) / 2
        self._sends += 1
        if self._sends % _PRUNE_EVERY == 0:
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        return ready

    def answered(self, platform: str) -> None:
        """The platform answered a send (or the send failed): it is in the window from now."""
        total = self._rates.get(platform, PlatformRates()).total
        if total is not None:
            recent = self._recent.setdefault(platform, deque(maxlen=total.count))
            recent.append(self._clock())

    def tracked_chats(self) -> int:
        return len(self._next_chat)

    def _wait(self, ready: datetime | None) -> float:
        if ready is None:
            return 0.0
        return max(0.0, (ready - self._clock()).total_seconds())

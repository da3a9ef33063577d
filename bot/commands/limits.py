"""Limits on what chats may do, read from the `[chats]` config table, and the per-user flood
guard. Pure: the clock is passed in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatLimits:
    max_sources: int = 10  # sources one chat may add with /addsource
    source_interval: float = 900.0  # base poll interval of a chat-added source, seconds
    max_command_length: int = 1000  # characters; a longer message is refused unread
    commands_per_user: int = 20  # a user may send this many commands in a burst ...
    command_seconds: float = 60.0  # ... refilled evenly over this many seconds


class UserRateLimit:
    """A token bucket per user. `allow` says whether to serve a command, and the first refusal
    of a flood is reported as such, so the user is told once and then ignored until it ebbs."""

    def __init__(self, burst: int, seconds: float, max_users: int = 10_000) -> None:
        self._burst = float(burst)
        self._rate = burst / seconds
        self._max_users = max_users
        self._buckets: dict[str, tuple[float, float, bool]] = {}  # tokens, at, warned

    def allow(self, user: str, now: float) -> tuple[bool, bool]:
        """(allowed, first refusal in this flood)."""
        tokens, at, warned = self._buckets.get(user, (self._burst, now, False))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens >= 1:
            self._store(user, (tokens - 1, now, False), now)
            return True, False
        self._store(user, (tokens, now, True), now)
        return False, not warned

    def _store(self, user: str, bucket: tuple[float, float, bool], now: float) -> None:
        self._buckets[user] = bucket
        if len(self._buckets) > self._max_users:
            # Full buckets carry no information: drop them so memory stays bounded.
            full = [
                u
                for u, (t, a, _) in self._buckets.items()
                if t + (now - a) * self._rate >= self._burst
            ]
            for u in full:
                del self._buckets[u]

"""How the outbox worker batches, leases, retries and paces; read from the `[delivery]` config
table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain import Rate


@dataclass(frozen=True, slots=True)
class PlatformRates:
    """The most one platform accepts: per chat of each rate class, and from the bot in total.
    None means no limit."""

    private: Rate | None = None
    group: Rate | None = None
    total: Rate | None = None

    def for_class(self, rate_class: str) -> Rate | None:
        return self.group if rate_class == "group" else self.private


def default_rates() -> dict[str, PlatformRates]:
    # Telegram: bots FAQ (1/s per chat, 20/min per group, ~30/s overall); Slack: chat.postMessage
    # ~1/s per channel. Platforms not named here (the terminal) are not paced.
    return {
        "telegram": PlatformRates(Rate(1, 1.0), Rate(20, 60.0), Rate(30, 1.0)),
        "slack": PlatformRates(Rate(1, 1.0), Rate(1, 1.0), None),
    }


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    batch: int = 50  # chats served per round (up to burst_max alerts each)
    lease_seconds: float = 60.0  # a claimed alert returns to the queue if not settled by then
    retry_base_seconds: float = 5.0  # first retry delay; each later one doubles
    retry_max_seconds: float = 3600.0  # the longest wait between two retries (never given up)
    poll_seconds: float = 1.0  # how often to look for due alerts when nobody wakes the worker
    # More than this many alerts waiting for one chat go out as one message listing them.
    burst: int = 5
    burst_max: int = 20  # at most this many alerts in one such message (or digest)
    # A send that timed out after leaving (it may have arrived) is tried this many more times.
    uncertain_retries: int = 1
    retention_days: float = 90.0  # housekeeping deletes settled alerts and stories older than this
    rates: Mapping[str, PlatformRates] = field(default_factory=default_rates)

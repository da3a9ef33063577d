"""What delivery reports to whoever keeps figures about it (the ops metrics, or nobody).

`Sender` calls these as sends settle; the composition root passes in an object that turns them
into metrics (`bot.ops.metrics.Metrics`), or `NO_DELIVERY_OBSERVER`. `platform` is the chat's
platform ("telegram", "slack", "terminal"): never a chat id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class DeliveryObserver(Protocol):
    def alerts_sent(self, platform: str, latencies: Sequence[float]) -> None:
        """These alerts reached the platform; each latency is seconds from queued to accepted."""
        ...

    def alerts_failed(self, platform: str, count: int) -> None:
        """Given up for good (the platform refused them, or sends kept timing out)."""
        ...

    def alerts_retried(self, platform: str, count: int) -> None:
        """A send failed in a way that may pass; the alerts wait and are tried again."""
        ...

    def alert_uncertain(self, platform: str) -> None:
        """A send timed out after the request left: it may have arrived."""
        ...

    def rate_limited(self, platform: str) -> None:
        """The platform answered 429; the chat is held for the time it asked."""
        ...


class _NoDeliveryObserver:
    def alerts_sent(self, platform: str, latencies: Sequence[float]) -> None:
        return None

    def alerts_failed(self, platform: str, count: int) -> None:
        return None

    def alerts_retried(self, platform: str, count: int) -> None:
        return None

    def alert_uncertain(self, platform: str) -> None:
        return None

    def rate_limited(self, platform: str) -> None:
        return None


NO_DELIVERY_OBSERVER: DeliveryObserver = _NoDeliveryObserver()

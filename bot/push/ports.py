"""What push needs from storage, and the subscription record it reads back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

PushState = Literal["requested", "active", "failed", "denied", "unsubscribing"]


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """One source's subscription at its hub. `callback_id` is the unguessable last segment of
    the callback URL; `secret` keys the HMAC the hub signs content with."""

    source_url: str
    callback_id: str
    callback: str
    hub: str
    topic: str
    secret: str
    state: PushState
    attempts: int = 0  # failed requests in a row
    lease_seconds: int | None = None
    expires_at: datetime | None = None
    next_action_at: datetime | None = None
    requested_at: datetime | None = None  # the last request sent to the hub
    verified_at: datetime | None = None  # the hub's last verification of a subscribe
    last_error: str | None = None
    # Of the source: its name, whether the operator configured it (trusted) and is still polled.
    source_name: str = ""
    trusted: bool = True
    source_active: bool = True


class PushStore(Protocol):
    async def push_subscription(self, source_url: str) -> PushSubscription | None: ...
    async def push_by_callback(self, callback_id: str) -> PushSubscription | None: ...

    async def push_requested(
        self, sub: PushSubscription, *, at: datetime, wait_until: datetime
    ) -> None:
        """Record that we are asking the hub for `sub` (a new one replaces the source's old row;
        the same callback id keeps its row and, if active, stays active while renewing). Stored
        BEFORE the request goes out: a hub may verify before it even answers."""
        ...

    async def push_request_failed(
        self, callback_id: str, error: str, *, at: datetime, retry_at: datetime, lapsed: bool
    ) -> None:
        """The hub refused the request or never verified it. `lapsed`: an active lease has run
        out too, so the subscription is no longer active."""
        ...

    async def push_verified(
        self, callback_id: str, lease_seconds: int, *, at: datetime, renew_at: datetime
    ) -> bool:
        """The hub verified our subscribe: active until at + lease_seconds. False (and nothing
        changed) unless the row is `requested` or `active`."""
        ...

    async def push_denied(self, callback_id: str, reason: str, *, at: datetime) -> None:
        """The hub refused the subscription; its source is made due for a poll at once."""
        ...

    async def push_unsubscribing(
        self, callback_id: str, *, at: datetime, wait_until: datetime
    ) -> None: ...
    async def push_removed(self, callback_id: str, *, at: datetime) -> None:
        """Forget the subscription (unsubscribed, or given up); its source is due at once if it
        is still polled."""
        ...

    async def push_moved(self, base: str, *, at: datetime) -> int:
        """Make due at `at` every subscription whose callback is not under `base` (public_url
        changed since it was asked for); how many."""
        ...

    async def push_due(self, now: datetime, limit: int) -> list[PushSubscription]:
        """Subscriptions whose next action is due, and every one whose source is no longer
        polled (removed from the config, or by the last chat that had it) and not yet being
        unsubscribed."""
        ...

    async def push_next_due(self) -> datetime | None: ...

"""When the subscriber acts: renewing before a lease ends, retrying a hub that refused or never
verified, giving up an unsubscribe. Pure functions of (time, state, timing); the subscriber
stores their answers (`next_action_at`), so a restart picks up where it left off."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class PushTiming:
    verify_seconds: float = 300.0  # a request the hub has not verified by then counts as failed
    retry_base: float = 60.0  # first retry after a failed request; doubles each time ...
    retry_max: float = 6 * 3600.0  # ... up to this
    renew_after: float = 0.75  # renew once this share of the lease has passed
    idle_seconds: float = 60.0  # the longest the subscriber sleeps (it looks for removed sources)
    unsubscribe_attempts: int = 5  # then the row is dropped; the hub's lease ends it anyway
    concurrency: int = 16  # hub requests in flight at once


def renew_at(verified: datetime, lease_seconds: int, timing: PushTiming) -> datetime:
    return verified + timedelta(seconds=lease_seconds * timing.renew_after)


def retry_at(
    now: datetime, attempts: int, timing: PushTiming, *, expires_at: datetime | None = None
) -> datetime:
    """After the `attempts`-th failure in a row. Never after a running lease ends: its end is
    when the subscription lapses, and that must be noticed."""
    delay = min(timing.retry_max, timing.retry_base * 2.0 ** max(0, attempts - 1))
    when = now + timedelta(seconds=delay)
    if expires_at is not None and now < expires_at < when:
        return expires_at
    return when


def new_callback_id() -> str:
    """The capability in the callback URL: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_secret() -> str:
    """hub.secret: 256 random bits, hex (64 bytes; the spec's limit is 200)."""
    return secrets.token_hex(32)

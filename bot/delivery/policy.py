"""How the outbox worker batches, leases and retries; read from the `[delivery]` config table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    batch: int = 50  # alerts claimed per round
    lease_seconds: float = 60.0  # a claimed alert returns to the queue if not settled by then
    max_attempts: int = 10  # a failing alert is given up after this many tries
    retry_base_seconds: float = 5.0  # first retry delay; each later one doubles
    retry_max_seconds: float = 3600.0  # the longest wait between two retries
    poll_seconds: float = 1.0  # how often to look for due alerts when nobody wakes the worker

"""What every fetch may cost, and where a chat user's source may point: operator settings."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_TIMEOUT = 20.0
DEFAULT_UNTRUSTED_PORTS = frozenset({80, 443})


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int = DEFAULT_MAX_BYTES  # body cap after decompression, every fetch
    timeout_seconds: float = DEFAULT_TIMEOUT  # whole fetch: lookup, redirects and body
    untrusted_ports: frozenset[int] = DEFAULT_UNTRUSTED_PORTS  # the only ports chat sources use

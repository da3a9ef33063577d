"""Authenticated content distribution (WebSub §7.1): `X-Hub-Signature: <method>=<hex HMAC>` of the
raw body, keyed by the subscription's `hub.secret`. Content that does not carry a matching
signature is ignored: anyone who learns a callback URL could post to it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

# The spec's recognised names (§7.1.1). SHA-1 is accepted because most hubs still sign with it.
ALGORITHMS: dict[str, Callable[..., Any]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def sign(body: bytes, secret: str, method: str = "sha256") -> str:
    """The header value a hub sends for `body` (tests' and benchmarks' hubs use it too)."""
    return f"{method}={hmac.new(secret.encode(), body, ALGORITHMS[method]).hexdigest()}"


def signature_problem(header: str | None, body: bytes, secret: str) -> str | None:
    """Why `header` does not authenticate `body` under `secret`, or None when it does."""
    if header is None or not header.strip():
        return "no X-Hub-Signature header"
    method, sep, digest = header.strip().partition("=")
    algorithm = ALGORITHMS.get(method.strip().lower())
    if not sep or algorithm is None:
        return f"unknown signature method {method.strip()[:20]!r}"
    expected = hmac.new(secret.encode(), body, algorithm).hexdigest().encode()
    # Bytes, not str: compare_digest refuses non-ASCII text, and a header may carry any.
    if not hmac.compare_digest(expected, digest.strip().lower().encode("utf-8", "replace")):
        return "the signature does not match"
    return None

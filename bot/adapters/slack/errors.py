"""Slack Web API failures → the typed delivery errors of `bot.errors`.

Which errors mean what comes from Slack's method docs: a channel we can no longer post to pauses
that channel; a dead token pauses the whole workspace (every channel would fail the same way);
429 holds only the channel it was for; 5xx are Slack's trouble and retried with backoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.errors import ChatGone, DeliveryError, RateLimited

CHANNEL_GONE = frozenset({"channel_not_found", "not_in_channel", "is_archived", "account_inactive"})
WORKSPACE_GONE = frozenset({"invalid_auth", "token_revoked", "not_authed", "team_not_found"})
DEFAULT_RETRY_AFTER = 1.0  # Slack always sends Retry-After with a 429; this is for when it did not


def error_code(data: Any) -> str:
    if isinstance(data, Mapping):
        return str(data.get("error") or "")
    return ""


def retry_after(headers: Mapping[str, str]) -> float:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(value) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER
    return max(seconds, 0.0)


def delivery_error(status: int, headers: Mapping[str, str], data: Any) -> DeliveryError:
    code = error_code(data)
    if status == 429 or code == "ratelimited":
        return RateLimited(retry_after(headers))
    if status >= 500:
        return DeliveryError(f"Slack answered HTTP {status}", retryable=True)
    if code in CHANNEL_GONE or code in WORKSPACE_GONE:
        return ChatGone(f"slack: {code}")
    if code in ("internal_error", "fatal_error", "service_unavailable", "request_timeout"):
        return DeliveryError(f"slack: {code}", retryable=True)
    # invalid_blocks, msg_too_long, …: our message is at fault and would fail again the same way.
    return DeliveryError(f"slack: {code or f'HTTP {status}'}", retryable=False)


def is_workspace_error(data: Any) -> bool:
    return error_code(data) in WORKSPACE_GONE

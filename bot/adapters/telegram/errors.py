"""python-telegram-bot's exceptions as newsbot's typed delivery errors.

Order matters: in python-telegram-bot `BadRequest` and `TimedOut` are subclasses of `NetworkError`,
so the 400 family is decided first and a 400 is never retried blindly. A timeout while waiting
for the answer means Telegram may have delivered the message: that is `DeliveryUncertain`, not a
plain failure. A connection that never opened sent nothing and may simply be retried.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.domain import ChatAddress
from bot.errors import ChatGone, ChatMoved, DeliveryError, DeliveryUncertain, RateLimited

PLATFORM = "telegram"

# Forbidden and BadRequest texts (lower-cased, python-telegram-bot strips "Bad Request: ") that
# mean this chat will not take messages from us again until someone acts.
_GONE = (
    "bot was blocked by the user",
    "user is deactivated",
    "bot was kicked",
    "bot is not a member",
    "bot can't initiate conversation",
    "chat not found",
    "message thread not found",  # the forum topic was deleted
)
_PARSE_ERROR = "can't parse entities"


def is_parse_error(exc: BaseException) -> bool:
    return isinstance(exc, BadRequest) and _PARSE_ERROR in exc.message.lower()


def retry_after_seconds(exc: RetryAfter) -> float:
    # Reading `retry_after` warns about its future type; the value is the same either way.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _not_sent(exc: NetworkError) -> bool:
    """True when the request certainly never reached Telegram (no connection was made)."""
    cause = exc.__cause__
    return isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def classify(exc: TelegramError, chat: ChatAddress) -> DeliveryError:
    """The typed error for a failed send to `chat`."""
    text = exc.message
    lowered = text.lower()
    if isinstance(exc, RetryAfter):
        return RateLimited(retry_after_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return ChatMoved(ChatAddress(PLATFORM, str(exc.new_chat_id), chat.thread))
    if isinstance(exc, Forbidden | BadRequest) and any(g in lowered for g in _GONE):
        return ChatGone(text)
    if isinstance(exc, Forbidden | BadRequest):
        return DeliveryError(text, retryable=False)
    if isinstance(exc, TimedOut | NetworkError):
        if _not_sent(exc):
            return DeliveryError(f"not sent: {text}", retryable=True)
        return DeliveryUncertain(f"may have been sent: {text or type(exc).__name__}")
    return DeliveryError(f"{type(exc).__name__}: {text}", retryable=True)

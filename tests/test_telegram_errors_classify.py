"""python-telegram-bot's exceptions → newsbot's typed delivery errors (the 400 family first)."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.adapters.telegram.errors import classify
from bot.domain import ChatAddress
from bot.errors import ChatGone, ChatMoved, DeliveryError, DeliveryUncertain, RateLimited

CHAT = ChatAddress("telegram", "-100123", "7")


def raised(error: TelegramError, cause: Exception) -> TelegramError:
    """`error` as python-telegram-bot raises it: `raise error from cause`."""
    try:
        raise error from cause
    except TelegramError as e:
        return e


def test_flood_control_and_migration_carry_what_recovery_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as TelegramChat sets it
    limited = classify(RetryAfter(3), CHAT)
    assert isinstance(limited, RateLimited) and limited.retry_after == 3.0
    moved = classify(ChatMigrated(-1009), ChatAddress("telegram", "-9"))
    assert isinstance(moved, ChatMoved) and moved.new_chat == ChatAddress("telegram", "-1009")


@pytest.mark.parametrize(
    "error",
    [
        Forbidden("Forbidden: bot was blocked by the user"),
        Forbidden("Forbidden: user is deactivated"),
        Forbidden("Forbidden: bot was kicked from the supergroup chat"),
        BadRequest("Bad Request: chat not found"),
        BadRequest("Bad Request: message thread not found"),
    ],
)
def test_chats_that_will_not_take_messages_are_gone(error: TelegramError) -> None:
    gone = classify(error, CHAT)
    assert isinstance(gone, ChatGone) and not gone.retryable


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("Bad Request: message is too long"),
        Forbidden("Forbidden: not enough rights to send text messages to the chat"),
    ],
)
def test_other_refusals_are_never_retried(error: TelegramError) -> None:
    refused = classify(error, CHAT)
    assert type(refused) is DeliveryError and not refused.retryable


def test_a_timeout_after_sending_is_uncertain_one_before_connecting_is_not() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/bot1:x/sendMessage")
    after = [
        raised(TimedOut(), httpx.ReadTimeout("read", request=request)),
        raised(NetworkError("httpx.RemoteProtocolError: x"), httpx.RemoteProtocolError("x")),
    ]
    for error in after:
        uncertain = classify(error, CHAT)
        assert isinstance(uncertain, DeliveryUncertain) and uncertain.retryable
    before = [
        raised(TimedOut(), httpx.ConnectTimeout("connect", request=request)),
        raised(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused")),
    ]
    for error in before:
        retry = classify(error, CHAT)
        assert type(retry) is DeliveryError and retry.retryable

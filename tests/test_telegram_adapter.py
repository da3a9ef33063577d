"""The adapter's sending side against the fake Bot API: size limits, edits, digests, notices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.adapters.telegram import TelegramChat
from bot.commands.core import Commands
from bot.domain import AlertMessage, ChatAddress
from bot.errors import ChatGone, DeliveryError, DeliveryUncertain, RateLimited
from bot.match.engine import QueryMatcher
from bot.store.database import SqlStore
from tests.support.fake_telegram import TOKEN, FakeTelegram

USER = 5001
CHAT = ChatAddress("telegram", str(USER))
ALERT = AlertMessage(
    title='Fake "<!channel>" alerts & <b>bold</b>',
    url="https://example.org/story?a=1&b=2",
    source="Example News",
    published=datetime(2024, 4, 17, 15, 48, tzinfo=UTC),
    summary="新闻 & <速報> 😀🇺🇦 " * 800,
    topic="peacekeepers",
    subscription_id=3,
)


@pytest.fixture
async def adapter(store: SqlStore, fake_telegram: FakeTelegram) -> AsyncIterator[TelegramChat]:
    fake_telegram.limits = None
    fake_telegram.private(USER)
    chat = TelegramChat(TOKEN, base_url=fake_telegram.base_url, poll_timeout=1)
    await chat.start(Commands(store=store, matcher=QueryMatcher()))
    try:
        yield chat
    finally:
        await chat.stop()


async def test_a_long_alert_is_accepted_in_one_message(
    adapter: TelegramChat, fake_telegram: FakeTelegram
) -> None:
    ref = await adapter.send_alert(CHAT, ALERT)
    [sent] = fake_telegram.sent(USER)
    assert ref == str(sent.message_id) and sent.parse_mode == "HTML"
    assert sent.text.startswith(f"🔔 {ALERT.title}\nExample News · 2024-04-17 15:48 UTC\n")
    assert sent.text.endswith("Topic: peacekeepers")
    assert fake_telegram.rejected == []  # within 4,096 after parsing, and well-formed


async def test_edit_adds_the_other_outlets_and_an_unchanged_edit_is_fine(
    adapter: TelegramChat, fake_telegram: FakeTelegram
) -> None:
    short = replace(ALERT, summary="Short.")
    ref = await adapter.send_alert(CHAT, short)
    assert ref is not None
    await adapter.edit_alert(CHAT, ref, replace(short, also=("BBC", "Reuters")))
    [sent] = fake_telegram.sent(USER)
    assert sent.edits == 1 and "Also: BBC, Reuters" in sent.text
    await adapter.edit_alert(CHAT, ref, replace(short, also=("BBC", "Reuters")))  # no error
    with pytest.raises(DeliveryError) as caught:
        await adapter.edit_alert(CHAT, "999999", short)
    assert not caught.value.retryable


async def test_digest_and_notice(adapter: TelegramChat, fake_telegram: FakeTelegram) -> None:
    await adapter.send_digest(CHAT, "Morning digest", [ALERT] * 30)
    await adapter.send_text(CHAT, "Source <Example> is parked & will retry")
    digest, notice = fake_telegram.sent(USER)
    assert digest.text.startswith("🗞 Morning digest") and digest.buttons == []
    assert notice.text == "Source <Example> is parked & will retry"


async def test_send_errors_are_typed(adapter: TelegramChat, fake_telegram: FakeTelegram) -> None:
    fake_telegram.rate_limit(USER, retry_after=42055)
    with pytest.raises(RateLimited) as limited:
        await adapter.send_alert(CHAT, ALERT)
    assert limited.value.retry_after == 42055
    fake_telegram.block(USER)
    with pytest.raises(ChatGone):
        await adapter.send_text(CHAT, "hello")
    assert adapter.rate_class(CHAT) == "private"
    assert adapter.rate_class(ChatAddress("telegram", "-100123", "7")) == "group"


async def test_a_lost_answer_after_sending_is_uncertain(
    adapter: TelegramChat, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.lose_answer("sendMessage", USER)
    with pytest.raises(DeliveryUncertain) as caught:
        await adapter.send_alert(CHAT, ALERT)
    assert caught.value.retryable
    assert len(fake_telegram.sent(USER)) == 1  # it did go out: a retry may duplicate it


async def test_a_failing_command_list_only_warns(
    store: SqlStore, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake_telegram.fail_next("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    chat = TelegramChat(TOKEN, base_url=fake_telegram.base_url, poll_timeout=1)
    await chat.start(Commands(store=store, matcher=QueryMatcher()))
    try:
        fake_telegram.private(USER)
        await chat.send_text(CHAT, "still running")
    finally:
        await chat.stop()
    assert "could not register the command list" in caplog.text
    assert fake_telegram.sent(USER)[0].text == "still running"

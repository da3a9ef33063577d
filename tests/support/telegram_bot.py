"""Run the real app with the Telegram adapter against the fake Bot API, and talk to it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bot.adapters.telegram import TelegramChat, Webhook
from bot.app import NewsBot, build
from bot.config import Config, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from tests.support.fake_telegram import TOKEN, FakeTelegram, Sent

FAST = DeliveryPolicy(poll_seconds=0.05, retry_base_seconds=0.05)


def make_config(database_url: str, feed_url: str, data_dir: Path) -> Config:
    return Config(
        database_url=database_url,
        data_dir=data_dir,
        sources=(SourceConfig(url=feed_url, name="Kyiv Independent", interval=60),),
        delivery=FAST,
        demo=False,
        telegram_token=TOKEN,
    )


async def start_bot(
    config: Config, fake: FakeTelegram, *, webhook: Webhook | None = None
) -> NewsBot:
    adapter = TelegramChat(TOKEN, base_url=fake.base_url, webhook=webhook, poll_timeout=1)
    bot = await build(config, adapters=[adapter])
    await bot.start(schedule=False)  # the test decides when a poll happens
    return bot


async def wait_for(condition: Callable[[], bool], *, within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        # The bot runs in this loop and the fake in its thread; polling keeps both untouched.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def say(
    fake: FakeTelegram, chat_id: int, user_id: int, text: str, *, thread: int | None = None
) -> Sent:
    """A user writes `text`; returns the bot's answer in that chat (and topic)."""
    before = len(fake.sent(chat_id, thread=thread))
    fake.say(chat_id, user_id, text, thread=thread)
    await wait_for(lambda: len(fake.sent(chat_id, thread=thread)) > before)
    return fake.sent(chat_id, thread=thread)[before]


def alerts(fake: FakeTelegram, chat_id: int, *, thread: int | None = None) -> list[Sent]:
    return [s for s in fake.sent(chat_id, thread=thread) if s.text.startswith("🔔")]


async def wait_for_alerts(
    fake: FakeTelegram, chat_id: int, count: int, *, thread: int | None = None
) -> list[Sent]:
    await wait_for(lambda: len(alerts(fake, chat_id, thread=thread)) >= count)
    return alerts(fake, chat_id, thread=thread)


async def settle(seconds: float = 0.3) -> None:
    """Long enough for a duplicate to show up if one were queued."""
    await asyncio.sleep(seconds)

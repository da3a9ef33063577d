"""Run the real bot with the Slack adapter against the fake Slack and a loopback feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.adapters.slack import SlackChat, SlackSettings
from bot.app import NewsBot, build
from bot.config import Config, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from tests.support.fake_slack import FakeSlack, SlackCaller
from tests.support.feedserver import FeedServer

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-T1"
TEAM = "T1"
FAST = DeliveryPolicy(poll_seconds=0.05, retry_base_seconds=0.05)


@dataclass
class SlackBot:
    bot: NewsBot
    slack: SlackChat
    caller: SlackCaller
    fake: FakeSlack


async def wait_for(condition: Callable[[], bool], *, within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        # The effects come from the bot's own tasks and the fake's threads; poll for them.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def wait_until(condition: Callable[[], Awaitable[bool]], *, within: float = 5.0) -> None:
    """`wait_for` for conditions that read the database."""
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def slack_settings(fake: FakeSlack, **overrides: object) -> SlackSettings:
    base: dict[str, object] = {
        "bot_token": TOKEN,
        "signing_secret": SECRET,
        "api_url": fake.api_url,
        "host": "127.0.0.1",
        "port": 0,
        "timeout": 2.0,
    }
    base.update(overrides)
    return SlackSettings(**base)  # type: ignore[arg-type]


@asynccontextmanager
async def running_slack_bot(
    database_url: str,
    feed_server: FeedServer,
    fake: FakeSlack,
    data_dir: Path,
    **settings: object,
) -> AsyncIterator[SlackBot]:
    if settings.get("client_id") is None:
        fake.add_token(TOKEN, TEAM)
    config = Config(
        database_url=database_url,
        data_dir=data_dir,
        sources=(SourceConfig(url=feed_server.url("/ki.rss"), name="Kyiv Independent"),),
        delivery=FAST,
        demo=False,
    )
    slack = SlackChat(slack_settings(fake, **settings))
    bot = await build(config, adapters=[slack])
    slack.use_database(bot.store.engine)
    await bot.start(schedule=False)
    try:
        caller = SlackCaller(f"http://127.0.0.1:{slack.port}/slack/events", SECRET, fake, TEAM)
        yield SlackBot(bot, slack, caller, fake)
    finally:
        await bot.stop()

"""Webhook mode: updates arrive over HTTP, and only with the right secret header."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from bot.adapters.telegram import Webhook
from tests.support.fake_telegram import FakeTelegram
from tests.support.feeds import ALIYEV, rss
from tests.support.feedserver import FeedServer, free_port
from tests.support.telegram_bot import make_config, say, start_bot

USER = 5001
SECRET = "s3cret_-Token"


def forged_update(update_id: int) -> bytes:
    message = {
        "message_id": 1,
        "date": 1700000000,
        "chat": {"id": USER, "type": "private", "first_name": "Mallory"},
        "from": {"id": USER, "is_bot": False, "first_name": "Mallory"},
        "text": "/subscribe forged topic",
        "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def test_webhook_takes_updates_with_the_secret_and_refuses_the_rest(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None
    chat = fake.private(USER)
    feed_server.set("/ki.rss", rss([ALIYEV]))
    port = free_port()
    hook = Webhook(
        url=f"http://127.0.0.1:{port}/telegram", secret_token=SECRET, listen="127.0.0.1", port=port
    )
    assert SECRET not in repr(hook)
    config = make_config(database_url, feed_server.url("/ki.rss"), tmp_path)
    bot = await start_bot(config, fake, webhook=hook)
    try:
        assert fake.webhook == {"url": hook.url, "secret_token": SECRET}
        assert "Subscribed" in (await say(fake, chat, USER, "/subscribe peacekeepers")).text

        async with httpx.AsyncClient() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                response = await client.post(
                    hook.url,
                    content=forged_update(900 + len(headers)),
                    headers={"Content-Type": "application/json", **headers},
                )
                assert response.status_code == 403
        reply = await say(fake, chat, USER, "/topics")
        assert reply.text == "Topics followed here:\n• peacekeepers"  # nothing changed
        assert fake.method_calls("getUpdates") == []
        assert "forged" not in " ".join(s.text for s in fake.sent())
    finally:
        await bot.stop()

"""Socket Mode: the bot opens a WebSocket (URL from apps.connections.open) and Slack pushes slash
commands and events over it; each envelope is acknowledged by its id. Here a loopback WebSocket
server plays Slack's side."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from tests.support.fake_slack import FakeSlack
from tests.support.feedserver import FeedServer
from tests.support.slack_bot import TEAM, running_slack_bot, wait_for

APP_TOKEN = "xapp-test"


class SocketSlack:
    """Slack's end of one Socket Mode connection."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.acks: list[dict[str, Any]] = []
        self._ws: web.WebSocketResponse | None = None

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"type": "hello", "num_connections": 1})
        self.connected.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        return ws

    async def push(
        self, kind: str, envelope_id: str, payload: dict[str, Any], **extra: Any
    ) -> None:
        assert self._ws is not None
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, **extra}
        await self._ws.send_json(envelope)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()


@pytest.fixture
async def socket_slack(fake_slack: FakeSlack) -> AsyncIterator[SocketSlack]:
    side = SocketSlack()
    app = web.Application()
    app.router.add_get("/link", side.handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake_slack.app_tokens.add(APP_TOKEN)
    fake_slack.socket_url = f"ws://127.0.0.1:{port}/link"
    try:
        yield side
    finally:
        await side.close()
        await runner.cleanup()


async def test_commands_and_events_arrive_over_the_socket(
    database_url: str,
    feed_server: FeedServer,
    fake_slack: FakeSlack,
    socket_slack: SocketSlack,
    tmp_path: Path,
) -> None:
    async with running_slack_bot(
        database_url, feed_server, fake_slack, tmp_path, app_token=APP_TOKEN, signing_secret=None
    ) as sb:
        assert sb.slack.port is None  # no HTTP listener in Socket Mode
        await asyncio.wait_for(socket_slack.connected.wait(), 10)
        command = {
            "team_id": TEAM,
            "channel_id": "C1",
            "user_id": "UADMIN",
            "command": "/news",
            "text": "subscribe Sumy Oblast",
            "response_url": fake_slack.response_url("sock1"),
            "api_app_id": "A1",
        }
        await socket_slack.push("slash_commands", "env-1", command, accepts_response_payload=True)
        await wait_for(lambda: bool(fake_slack.answers("sock1")), within=10)
        assert "Subscribed" in fake_slack.answers("sock1")[0]["text"]
        assert any(a.get("envelope_id") == "env-1" for a in socket_slack.acks)

        event = {
            "team_id": TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": "EvS1",
            "event": {"type": "app_mention", "user": "UADMIN", "text": "<@UBOT> topics"},
        }
        event["event"]["channel"] = "C1"
        await socket_slack.push("events_api", "env-2", event, retry_attempt=0)
        await wait_for(lambda: len(fake_slack.called("chat.postEphemeral")) == 1, within=10)
        await socket_slack.push("events_api", "env-3", event, retry_attempt=1)  # Slack's retry
        await wait_for(lambda: any(a.get("envelope_id") == "env-3" for a in socket_slack.acks))
        await asyncio.sleep(0.2)  # room for a second answer, were the retry acted on
        assert len(fake_slack.called("chat.postEphemeral")) == 1
        assert "Sumy Oblast" in fake_slack.called("chat.postEphemeral")[0].args["text"]

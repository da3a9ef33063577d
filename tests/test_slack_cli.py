"""`newsbot run` with Slack settings in the environment: Slack listens next to the terminal chat."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from tests.support.fake_slack import FakeSlack, SlackCaller
from tests.support.feedserver import free_port
from tests.support.slack_bot import SECRET, TEAM, TOKEN, wait_for


async def listening(url: str, proc: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(20), httpx.AsyncClient() as client:
        while proc.returncode is None:
            try:
                await client.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError("newsbot run exited before listening")


async def test_run_serves_slack_from_environment_settings(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.add_token(TOKEN, TEAM)
    port = free_port()
    env = {
        **os.environ,
        "NEWSBOT_DATA_DIR": str(tmp_path),
        "NEWSBOT_SLACK_BOT_TOKEN": TOKEN,
        "NEWSBOT_SLACK_SIGNING_SECRET": SECRET,
        "NEWSBOT_SLACK_API_URL": fake_slack.api_url,
        "NEWSBOT_SLACK_PORT": str(port),
    }
    env.pop("NEWSBOT_CONFIG", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/slack/events"
        await listening(url, proc)
        # No terminal chat next to Slack: the end of input does not stop the bot.
        assert proc.stdin is not None
        proc.stdin.close()
        caller = SlackCaller(url, SECRET, fake_slack, TEAM)
        response, name = await caller.command("subscribe Sumy Oblast")
        assert response.status_code == 200
        await wait_for(lambda: bool(fake_slack.answers(name)), within=10)
        assert "Subscribed" in fake_slack.answers(name)[0]["text"]
        forged, _ = await caller.command("topics", age=600)
        assert forged.status_code == 401
        _, name = await caller.command("topics")
        await wait_for(lambda: bool(fake_slack.answers(name)), within=10)
        assert "Sumy Oblast" in fake_slack.answers(name)[0]["text"]
    finally:
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert f"slack: connected to workspace {TEAM}" in err.decode()


async def test_run_stops_with_a_clear_message_when_slack_refuses_the_token(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "NEWSBOT_DATA_DIR": str(tmp_path),
        "NEWSBOT_SLACK_BOT_TOKEN": "xoxb-unknown",
        "NEWSBOT_SLACK_SIGNING_SECRET": SECRET,
        "NEWSBOT_SLACK_API_URL": fake_slack.api_url,
        "NEWSBOT_SLACK_PORT": str(free_port()),
    }
    env.pop("NEWSBOT_CONFIG", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):
        _, err = await proc.communicate(b"")
    assert proc.returncode == 2
    assert "config NEWSBOT_SLACK_BOT_TOKEN: Slack refused the bot token (invalid_auth)" in (
        err.decode()
    )

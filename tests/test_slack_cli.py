"""`newsbot run` with Slack settings in the environment: Slack listens next to the terminal chat."""

from __future__ import annotations

import asyncio
import os
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
        caller = SlackCaller(url, SECRET, fake_slack, TEAM)
        response, name = await caller.command("subscribe Sumy Oblast")
        assert response.status_code == 200
        await wait_for(lambda: bool(fake_slack.answers(name)), within=10)
        assert "Subscribed" in fake_slack.answers(name)[0]["text"]
        forged, _ = await caller.command("topics", age=600)
        assert forged.status_code == 401
    finally:
        async with asyncio.timeout(30):
            _, err = await proc.communicate(b"")  # end of input stops the bot
    assert proc.returncode == 0, err.decode()
    assert f"slack: connected to workspace {TEAM}" in err.decode()

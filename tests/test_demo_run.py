"""The newcomer's path: no sources configured, the bundled demo feed, the terminal chat."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.app import build
from bot.config import Config
from bot.delivery.policy import DeliveryPolicy
from bot.sources.demo import DEMO_URL
from tests.support.chat import TypedChat


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_demo_feed_alerts_arrive_in_the_terminal(tmp_path: Path) -> None:
    config = Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'newsbot.sqlite3'}",
        data_dir=tmp_path,
        # burst=100: six alerts arrive as six messages even if they queue up faster than they
        # go out (more than `burst` waiting would be folded into one list, by design).
        delivery=DeliveryPolicy(poll_seconds=0.05, burst=100),
    )
    clock = FakeClock()
    chat = TypedChat()
    bot = await build(config, adapters=[chat.adapter], demo_clock=clock)
    assert [s.url for s in bot.sources] == [DEMO_URL]
    await bot.start(schedule=False)
    [first] = await bot.poll_all()
    assert first.new_articles == 3 and first.alerts_queued == 0
    for t in range(5, 75, 5):  # a minute and more goes by before the newcomer subscribes
        clock.now = t
        assert (await bot.poll_all())[0].new_articles == 0

    await chat.say("/subscribe peacekeepers")
    await chat.say("/subscribe Sumy Oblast")
    for t in range(75, 135, 5):  # the demo's own 5-second polls
        clock.now = t
        await bot.poll_all()
    alerts = await chat.wait_for_alerts(6)
    assert len(alerts) == 6
    assert sum("[peacekeepers]" in a for a in alerts) == 3
    assert sum("[Sumy Oblast]" in a for a in alerts) == 3
    assert any("Russia attacks 13 communities in Sumy Oblast" in a for a in alerts)
    assert any("Kremlin confirms Russian 'peacekeepers' withdrawing" in a for a in alerts)
    # /test and /latest see the same stories: the demo dates them when it releases them
    tested = await chat.say("/test Sumy Oblast")
    assert "matched 3 stories in the last 7 days" in tested, tested
    latest = await chat.say("/latest Sumy Oblast")
    assert latest.count("• ") == tested.count("• ") == 3
    assert latest.split("\n", 1)[1] == tested.split("\n", 1)[1]  # the same three stories
    reply = await chat.say("/sources")
    assert "Newsbot demo" in reply and "demo://" in reply
    chat.end_input()
    await chat.adapter.closed.wait()  # end of input: the app's signal to stop
    await bot.stop()


async def test_a_running_bot_keeps_its_heartbeat_fresh(tmp_path: Path) -> None:
    config = Config(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'newsbot.sqlite3'}", data_dir=tmp_path
    )
    env = {"NEWSBOT_DATA_DIR": str(tmp_path)}
    assert main_health(env) == 1  # nothing running yet
    bot = await build(config, adapters=[TypedChat().adapter], demo_clock=FakeClock())
    await bot.start(schedule=False)
    try:
        await TypedChat.wait_for(lambda: (tmp_path / "heartbeat").exists(), within=5)
        assert main_health(env) == 0
    finally:
        await bot.stop()
    assert main_health(env, max_age=-1) == 1  # a stale heartbeat is unhealthy


def main_health(env: dict[str, str], max_age: float = 90) -> int:
    return subprocess.run(
        [sys.executable, "-m", "bot", "health", "--max-age", str(max_age)],
        env={**os.environ, **env},
        capture_output=True,
        check=False,
    ).returncode


def test_newsbot_run_answers_typed_commands_and_stops_at_end_of_input(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--log-level", "INFO"],
        input="/subscribe Sumy Oblast\n/topics\n",
        env={**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "terminal chat" in result.stdout
    assert "Subscribed to “Sumy Oblast”" in result.stdout
    assert "• Sumy Oblast" in result.stdout
    assert (tmp_path / "newsbot.sqlite3").is_file()  # created on first run, migrated
    assert "chat terminal:local: /subscribe Sumy Oblast" in result.stderr  # logs go to stderr

"""`newsbot run` with NEWSBOT_TELEGRAM_TOKEN runs on Telegram (here the fake Bot API)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.feedserver import free_port

ROOT = Path(__file__).resolve().parents[1]


def run_bot(tmp_path: Path, fake: FakeTelegram, token: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NEWSBOT_TELEGRAM_TOKEN": token,
        "NEWSBOT_TELEGRAM_BASE_URL": fake.base_url,
        "NEWSBOT_DATA_DIR": str(tmp_path),
        "NEWSBOT_CONFIG": "",
        "NEWSBOT_DATABASE_URL": "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_run_answers_on_telegram_and_stops_on_sigterm(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    fake = fake_telegram
    chat = fake.private(777)
    process = run_bot(tmp_path, fake, TOKEN)
    try:
        fake.say(chat, 777, "/start")
        deadline = time.monotonic() + 30
        while not fake.sent(chat) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert fake.sent(chat), process.stderr.read() if process.poll() is not None else ""
        assert fake.sent(chat)[0].text.startswith("Hello!")
        assert fake.commands  # the command list was registered at start
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "on telegram" in err


def test_a_token_telegram_rejects_stops_the_bot_naming_the_variable(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    process = run_bot(tmp_path, fake_telegram, "999:wrong")
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "NEWSBOT_TELEGRAM_TOKEN" in err and "Traceback" not in err


def test_an_unreachable_bot_api_stops_the_bot_with_a_clear_message(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "NEWSBOT_TELEGRAM_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_BASE_URL": f"http://127.0.0.1:{free_port()}/bot",
        "NEWSBOT_DATA_DIR": str(tmp_path),
        "NEWSBOT_CONFIG": "",
        "NEWSBOT_DATABASE_URL": "",
    }
    process = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert "NEWSBOT_TELEGRAM_BASE_URL" in process.stderr and "Traceback" not in process.stderr

"""Logs: one JSON object per line when asked (readable text by default), naming the source or
chat an event concerns; and no secret in them on any error path we can reach."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.adapters.telegram import TelegramChat
from bot.app import build
from bot.config import Config, OpsConfig, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from bot.domain import ChatAddress
from bot.logs import MASK, Redactor, setup_logging
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.feeds import ALIYEV, SUMY, rss
from tests.support.feedserver import FeedServer, free_port
from tests.support.telegram_bot import say, wait_for

ROOT = Path(__file__).resolve().parents[1]
OPS_TOKEN = "ops-token-that-must-not-be-logged"


@pytest.fixture
def logs() -> Iterator[Callable[..., io.StringIO]]:
    """Set up logging as `newsbot run` does, into a buffer; the test's logging is restored."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "apscheduler", "alembic")}

    def setup(
        level: str = "DEBUG", fmt: str = "json", secrets: tuple[str, ...] = ()
    ) -> io.StringIO:
        buffer = io.StringIO()
        setup_logging(level, fmt=fmt, secrets=secrets, stream=buffer)
        return buffer

    yield setup
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line]


def test_json_lines_carry_time_level_logger_message_and_what_they_concern(
    logs: Callable[..., io.StringIO],
) -> None:
    buffer = logs("INFO")
    log = logging.getLogger("bot.ingest.poll")
    log.warning("source %s: %s", "https://news.example/rss", "HTTP 500")
    log.info("chat %s: sent alert(s) %s", ChatAddress("telegram", "42"), [7])
    log.info("polling the due sources took %ss", 3, extra={"source": "https://x.example/"})
    log.debug("not shown at INFO")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("page %s: extraction failed", "https://news.example/1")
    first, second, third, fourth = lines(buffer)
    assert first["level"] == "WARNING" and first["logger"] == "bot.ingest.poll"
    assert first["message"] == "source https://news.example/rss: HTTP 500"
    assert first["source"] == "https://news.example/rss" and "chat" not in first
    assert datetime.fromisoformat(str(first["time"])).tzinfo == UTC
    assert second["chat"] == "telegram:42" and second["level"] == "INFO"
    assert third["source"] == "https://x.example/"
    assert fourth["page"] == "https://news.example/1"
    assert "ValueError: boom" in str(fourth["exception"]) and "Traceback" in str(
        fourth["exception"]
    )


def test_text_stays_the_default_and_is_masked_too(logs: Callable[..., io.StringIO]) -> None:
    buffer = logs("INFO", fmt="text", secrets=("s3cret-value",))
    logging.getLogger("bot").warning("chat %s: token s3cret-value refused", "telegram:1")
    [line] = buffer.getvalue().splitlines()
    assert line.endswith(f"WARNING bot: chat telegram:1: token {MASK} refused")
    assert not line.startswith("{")


def test_the_redactor_masks_secrets_it_knows_and_ones_shaped_like_secrets() -> None:
    redact = Redactor(["my-ops-token-1", None, ""])
    cases = {
        "POST https://api.telegram.org/bot123456789:AAHk2s9fD1cX8nQ0pR7tU3vW5yZ4bE6gJ1L/getMe": (
            "123456789:AAHk"
        ),
        "token xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx was revoked": "xoxb-1234",
        "app token xapp-1-A0123-456789-abcdef0123": "xapp-1-A0123",
        "connect postgresql+asyncpg://newsbot:hunter2@db:5432/newsbot failed": "hunter2",
        "header Authorization: Bearer abcdefgh12345678": "abcdefgh12345678",
        "GET /?token=my-ops-token-1&page=2": "my-ops-token-1",
        "GET /callback?code=1&client_secret=zzz-top": "zzz-top",
    }
    for text, secret in cases.items():
        assert secret not in redact(text), text
        assert MASK in redact(text)
    assert redact("source https://news.example/rss?page=2: HTTP 500") == (
        "source https://news.example/rss?page=2: HTTP 500"
    )


def run_newsbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--log-level", "DEBUG", *args],
        cwd=ROOT,
        env={**os.environ, "NEWSBOT_CONFIG": "", "NEWSBOT_LOG_FORMAT": "json", **env},
        input="",  # a pipe, not /dev/null: the terminal chat would refuse to start without one
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_rejected_token_is_named_never_printed(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    rejected = "987654321:AAF-rejected-token-abcdefghijklmnopq"
    done = run_newsbot(
        {
            "NEWSBOT_TELEGRAM_TOKEN": rejected,
            "NEWSBOT_TELEGRAM_BASE_URL": fake_telegram.base_url,
            "NEWSBOT_DATA_DIR": str(tmp_path),
            "NEWSBOT_DATABASE_URL": "",
        }
    )
    assert done.returncode == 2
    assert "NEWSBOT_TELEGRAM_TOKEN" in done.stderr and "rejected" in done.stderr
    assert rejected not in done.stderr + done.stdout
    assert "987654321" not in done.stderr  # not even its first part


def test_a_database_password_is_never_printed(tmp_path: Path) -> None:
    password = "hunter2-database-password"
    done = run_newsbot(
        {
            "NEWSBOT_DATABASE_URL": f"postgresql://newsbot:{password}@127.0.0.1:{free_port()}/x",
            "NEWSBOT_DATA_DIR": str(tmp_path),
        }
    )
    assert done.returncode == 2 and "NEWSBOT_DATABASE_URL" in done.stderr  # it said what failed
    assert password not in done.stderr + done.stdout


async def test_no_token_reaches_the_logs_on_the_error_paths_of_a_running_bot(
    logs: Callable[..., io.StringIO],
    database_url: str,
    feed_server: FeedServer,
    fake_telegram: FakeTelegram,
    tmp_path: Path,
) -> None:
    fake = fake_telegram
    fake.limits = None
    chat = fake.private(5005)
    feed_server.set("/ki.rss", rss([ALIYEV]))
    feed_server.set_status("/broken.rss", 500)
    config = Config(
        database_url=database_url,
        data_dir=tmp_path,
        sources=(
            SourceConfig(url=feed_server.url("/ki.rss"), name="KI", interval=60),
            SourceConfig(url=feed_server.url("/broken.rss"), name="Broken", interval=60),
        ),
        delivery=DeliveryPolicy(poll_seconds=0.05, retry_base_seconds=0.05, uncertain_retries=0),
        demo=False,
        telegram_token=TOKEN,
        ops=OpsConfig(port=0),
        ops_token=OPS_TOKEN,
    )
    buffer = logs("DEBUG", secrets=config.secrets())
    bot = await build(
        config, adapters=[TelegramChat(TOKEN, base_url=fake.base_url, poll_timeout=1)]
    )
    await bot.start(schedule=False)
    try:
        await bot.poll_all()
        await say(fake, chat, 5005, "/subscribe Sumy Oblast")
        # Refused as HTML, then refused for good. (python-telegram-bot logs its API URL, the
        # token in it, at DEBUG: masked.)
        fake.fail_next("sendMessage", 400, "Bad Request: can't parse entities", chat_id=chat)
        fake.fail_next("sendMessage", 400, "Bad Request: message is too long", chat_id=chat)
        feed_server.set("/ki.rss", rss([SUMY, ALIYEV]))
        await bot.poll_all()
        await wait_for(lambda: "failed for good" in buffer.getvalue())
        assert bot.ops is not None
        async with httpx.AsyncClient(trust_env=False) as http:
            page = await http.get(f"http://127.0.0.1:{bot.ops.port}/?token={OPS_TOKEN}")
            assert page.status_code == 200
            await http.get(f"http://127.0.0.1:{bot.ops.port}/metrics?token=wrong-{OPS_TOKEN}")
        # The Bot API goes away: the polling loop's network errors are logged.
        fake.close()
        await wait_for(
            lambda: "telegram" in buffer.getvalue().lower() and "error" in buffer.getvalue().lower()
        )
    finally:
        await bot.stop()
    text = buffer.getvalue()
    records = lines(buffer)
    assert any(r["level"] == "ERROR" for r in records)  # there were errors to leak through
    assert any("/bot***" in str(r["message"]) for r in records)  # the API URL, token masked
    assert any(r.get("source") == feed_server.url("/broken.rss") for r in records)
    assert TOKEN not in text and OPS_TOKEN not in text
    assert TOKEN.split(":")[1] not in text

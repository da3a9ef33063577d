"""/healthz, /readyz and `newsbot health` against a running bot (the real app on the fake Bot
API, SQLite and PostgreSQL): each failure a probe can see is named in its answer."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot import cli
from bot.adapters.telegram import TelegramChat
from bot.app import NewsBot, build
from bot.config import Config, OpsConfig
from bot.delivery.policy import DeliveryPolicy
from bot.store.migrate import head_revision
from tests.support.db import POSTGRES_URL_ENV
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.feedserver import FeedServer
from tests.support.ops import scrape
from tests.support.slack_bot import running_slack_bot
from tests.test_slack_socket_mode import APP_TOKEN, SocketSlack, socket_slack  # noqa: F401


async def make_bot(database_url: str, fake: FakeTelegram, tmp_path: Path) -> NewsBot:
    config = Config(
        database_url=database_url,
        data_dir=tmp_path,
        delivery=DeliveryPolicy(poll_seconds=0.05),
        telegram_token=TOKEN,
        ops=OpsConfig(port=0),
    )
    adapter = TelegramChat(TOKEN, base_url=fake.base_url, poll_timeout=1)
    return await build(config, adapters=[adapter])


async def probe(bot: NewsBot, path: str) -> tuple[int, dict[str, object]]:
    assert bot.ops is not None and bot.ops.port is not None
    async with httpx.AsyncClient(trust_env=False) as http:
        answer = await http.get(f"http://127.0.0.1:{bot.ops.port}{path}")
    return answer.status_code, answer.json()


async def newsbot_health(
    monkeypatch: pytest.MonkeyPatch, bot: NewsBot, tmp_path: Path, *args: str
) -> tuple[int, str]:
    """`newsbot health` as the Docker HEALTHCHECK runs it, with this bot's ops port."""
    assert bot.ops is not None
    monkeypatch.setenv("NEWSBOT_OPS_PORT", str(bot.ops.port))
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "elsewhere"))  # no heartbeat there
    monkeypatch.setenv("NEWSBOT_CONFIG", "")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        # In a thread: the probe blocks, and the bot it asks answers from this loop.
        code = await asyncio.to_thread(cli.main, ["health", *args])
    return code, err.getvalue()


async def test_alive_until_the_delivery_worker_stops(
    database_url: str, fake_telegram: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await make_bot(database_url, fake_telegram, tmp_path)
    await bot.start(schedule=False)
    try:
        status, body = await probe(bot, "/healthz")
        assert (status, body["status"]) == (200, "ok")
        assert body["checks"] == {"loop": "ok", "delivery": "ok"}
        assert await newsbot_health(monkeypatch, bot, tmp_path) == (0, "")

        bot.outbox.stop()  # the worker's loop ends, as if it had died
        await asyncio.sleep(0.2)
        status, body = await probe(bot, "/healthz")
        assert status == 503 and body["failed"] == {"delivery": "not running"}
        code, said = await newsbot_health(monkeypatch, bot, tmp_path)
        assert code == 1 and "/healthz: delivery: not running" in said
    finally:
        await bot.stop()


async def test_ready_once_connected_with_a_current_schema(
    database_url: str, fake_telegram: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await make_bot(database_url, fake_telegram, tmp_path)
    assert bot.ops is not None
    await bot.ops.start()  # what a probe sees while the bot starts
    status, body = await probe(bot, "/readyz")
    assert status == 503 and body["failed"] == {"telegram": "not started"}
    await bot.ops.stop()

    await bot.start(schedule=False)
    try:
        status, body = await probe(bot, "/readyz")
        assert status == 200, body
        assert body["checks"] == {"database": "ok", "migrations": "ok", "telegram": "ok"}
        assert await newsbot_health(monkeypatch, bot, tmp_path, "--ready") == (0, "")

        async with bot.store.engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        status, body = await probe(bot, "/readyz")
        assert status == 503
        assert body["failed"] == {
            "migrations": f"schema at 0001, this build needs {head_revision()}"
        }
        async with bot.store.engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()}
            )

        await bot.adapters["telegram"].stop()  # e.g. the polling loop gave up
        status, body = await probe(bot, "/readyz")
        assert status == 503 and body["failed"] == {"telegram": "not connected"}
        code, said = await newsbot_health(monkeypatch, bot, tmp_path, "--ready")
        assert code == 1 and "telegram: not connected" in said
        # Alive all the same: the orchestrator should wait, not restart.
        assert (await probe(bot, "/healthz"))[0] == 200
    finally:
        await bot.stop()


class Proxy:
    """A TCP forwarder to the database that the test can cut: a network failure between the
    bot and PostgreSQL, seen from the bot."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()


@pytest.fixture
async def proxied_postgres() -> AsyncIterator[tuple[str, Proxy]]:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_URL_ENV} not set")
    from tests.support.db import reset_postgres

    await reset_postgres(url)
    parsed = make_url(url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    yield parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(False), proxy
    with contextlib.suppress(Exception):
        await proxy.cut()


async def test_not_ready_when_the_database_does_not_answer(
    proxied_postgres: tuple[str, Proxy], fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    url, proxy = proxied_postgres
    bot = await make_bot(url, fake_telegram, tmp_path)
    await bot.start(schedule=False)
    try:
        assert (await probe(bot, "/readyz"))[0] == 200
        await proxy.cut()
        status, body = await probe(bot, "/readyz")
        assert status == 503
        failed = body["failed"]
        assert isinstance(failed, dict)
        assert str(failed["database"]).startswith("not answering (")
        assert failed["migrations"] == "unknown: the database does not answer"
        assert "127.0.0.1" not in str(body)  # what failed, not the driver's words
        assert (await probe(bot, "/healthz"))[0] == 200  # restarting would not help
        assert bot.ops is not None and bot.ops.port is not None
        async with httpx.AsyncClient(trust_env=False) as http:
            page = await http.get(f"http://127.0.0.1:{bot.ops.port}/")
        assert page.status_code == 503 and "the database does not answer" in page.text
        metrics = await scrape(bot.ops.port)  # the process's own figures are still there
        assert metrics.value("newsbot_database_up") == 0
        assert "newsbot_polls" in metrics.families and "newsbot_queue_depth" not in metrics.families
    finally:
        bot.outbox.stop()
        with contextlib.suppress(Exception):
            await bot.stop()


async def test_slack_reports_its_socket_mode_connection(
    database_url: str,
    feed_server: FeedServer,
    fake_slack: FakeSlack,
    socket_slack: SocketSlack,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    async with running_slack_bot(
        database_url, feed_server, fake_slack, tmp_path, app_token=APP_TOKEN, signing_secret=None
    ) as sb:
        await asyncio.wait_for(socket_slack.connected.wait(), 10)
        assert sb.bot.platform_states() == {"slack": sb.slack}
        assert await sb.slack.connected()
        await sb.slack.stop()
        assert not await sb.slack.connected()

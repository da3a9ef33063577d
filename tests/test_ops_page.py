"""The status page as a person sees it: headless Chromium loads it from a running bot (the real
app on Telegram's fake Bot API, loopback feeds, SQLite and PostgreSQL) with real data in it; the
charts and the source table are there, no chat id or token is, and a screenshot is kept in the
test's temporary directory."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from lxml import html as lxml_html

from bot import __version__
from bot.adapters.telegram import TelegramChat
from bot.app import build
from bot.config import Config, OpsConfig, SourceConfig
from bot.delivery.policy import DeliveryPolicy
from tests.support.clock import FakeClock
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.feeds import ALIYEV, PEACEKEEPERS, SUMY, rss
from tests.support.feedserver import FeedServer
from tests.support.telegram_bot import say, wait_for_alerts

USER = 424242
OPS_TOKEN = "status-page-token-0123456789"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


async def chromium(url: str, profile: Path, screenshot: Path) -> str:
    """Load `url` in headless Chromium: the DOM it rendered, and a screenshot."""
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",  # the CI container runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,1400",
        f"--screenshot={screenshot}",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)",
)
async def test_the_status_page_in_a_browser_shows_the_charts_and_the_sources(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.limits = None
    chat = fake.private(USER)
    feed_server.set("/ki.rss", rss([ALIYEV]))
    feed_server.set_status("/gone.rss", 410)
    feed_server.set_status("/broken.rss", 500)
    config = Config(
        database_url=database_url,
        data_dir=tmp_path,
        sources=(
            SourceConfig(url=feed_server.url("/ki.rss"), name="Kyiv Independent", interval=60),
            SourceConfig(url=feed_server.url("/gone.rss?key=private"), name="Gone", interval=60),
            SourceConfig(url=feed_server.url("/broken.rss"), name="Broken", interval=60),
        ),
        delivery=DeliveryPolicy(poll_seconds=0.05),
        demo=False,
        telegram_token=TOKEN,
        ops=OpsConfig(port=0),
        ops_token=OPS_TOKEN,
    )
    clock = FakeClock(datetime.now(UTC))
    adapter = TelegramChat(TOKEN, base_url=fake.base_url, poll_timeout=1)
    bot = await build(config, adapters=[adapter], clock=clock)
    await bot.start(schedule=False)
    screenshot = tmp_path / "status.png"
    try:
        await bot.poll_due()
        await say(fake, chat, USER, "/subscribe peacekeepers")
        await say(fake, chat, USER, "/subscribe Sumy Oblast")
        feed_server.set("/ki.rss", rss([PEACEKEEPERS, SUMY, ALIYEV]))
        clock.advance(90)
        await bot.poll_due()
        clock.advance(2)  # the chat's pace: one message a second
        bot.outbox.wake()
        await wait_for_alerts(fake, chat, 1)
        clock.advance(2)
        bot.outbox.wake()
        await wait_for_alerts(fake, chat, 2)
        assert bot.ops is not None
        url = f"http://127.0.0.1:{bot.ops.port}/?token={OPS_TOKEN}"
        dom = await chromium(url, tmp_path / "chromium", screenshot)
        async with httpx.AsyncClient(trust_env=False) as http:
            assert (await http.get(url.split("?")[0])).status_code == 401
    finally:
        await bot.stop()

    page = lxml_html.fromstring(dom)
    assert page.findtext(".//title") == "newsbot status"
    assert page.get_element_by_id("version").text == __version__

    # Alerts per hour: 48 bars; this hour's holds the two alerts sent.
    hourly = page.get_element_by_id("hourly")
    bars = hourly.findall(".//g[@class='bar']")
    assert len(bars) == 48
    sent = bars[-1].findall(".//rect[@data-series='sent']")
    assert [r.get("data-count") for r in sent] == ["2"]
    assert float(sent[0].get("height")) > 50  # drawn, and not a sliver
    assert all(not b.findall(".//rect") for b in bars[:-2])

    # Alerts per topic.
    topics = page.get_element_by_id("topics")
    counts = {g.get("data-topic"): g.get("data-count") for g in topics.findall(".//g")}
    assert counts == {"peacekeepers": "1", "Sumy Oblast": "1"}

    # The sources: parked first, then failing, then the rest.
    rows = page.get_element_by_id("sources").findall(".//tbody/tr")
    cells = [[td.text_content() for td in row.findall("td")] for row in rows]
    assert [row.get("class") for row in rows] == ["parked", "failing", "ok"]
    assert [c[0] for c in cells] == ["Gone", "Broken", "Kyiv Independent"]
    assert cells[0][4].startswith("parked: ") and "410" in cells[0][4]
    assert cells[0][1].endswith("/gone.rss?…")  # the feed's key is not shown
    assert "HTTP 500" in cells[1][4] and int(cells[1][6]) >= 1
    assert cells[2][4] == "ok" and cells[2][3].endswith("ago") and cells[2][5].startswith("in ")

    queue = page.get_element_by_id("queue").findall(".//tbody/tr")
    assert [[td.text_content() for td in r.findall("td")][:3] for r in queue] == [
        ["telegram", "1", "0"]
    ]
    text = page.text_content()
    assert str(USER) not in dom and OPS_TOKEN not in dom and "private" not in dom
    assert "Kyiv Independent" in text

    image = screenshot.read_bytes()
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 20_000

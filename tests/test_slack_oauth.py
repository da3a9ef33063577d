"""Many workspaces: install through OAuth into our database, use the stored token, uninstall."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bot.adapters.slack import slack_chat
from bot.errors import ChatGone
from bot.store.slack import SlackStore
from tests.support.fake_slack import FakeSlack, SlackCaller
from tests.support.feedserver import FeedServer
from tests.support.slack_bot import SECRET, running_slack_bot, wait_for, wait_until
from tests.test_slack_delivery import ALERT

# slack_sdk's oauth.v2.access still builds aiohttp.BasicAuth, which newer aiohttp deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

TEAM7 = "T7"
TOKEN7 = "xoxb-installed-T7"


async def install(client: httpx.AsyncClient, base: str, fake: FakeSlack, code: str) -> str:
    """Walk the OAuth flow as a browser would; returns the state it used."""
    page = await client.get(f"{base}/slack/install")
    assert page.status_code == 200
    state = re.search(r"state=([\w-]+)", page.text)
    assert state is not None and "client_id=123.456" in page.text
    fake.oauth_codes[code] = (TEAM7, TOKEN7)
    # The state cookie is Secure; a browser would send it back over Slack's https, httpx over
    # plain loopback HTTP will not, so hand it back as that browser would.
    cookie = page.headers["set-cookie"].split(";")[0]
    assert cookie == f"slack-app-oauth-state={state.group(1)}"
    done = await client.get(
        f"{base}/slack/oauth_redirect",
        params={"code": code, "state": state.group(1)},
        headers={"Cookie": cookie},
    )
    assert done.status_code == 200, done.text
    return state.group(1)


async def test_install_use_and_uninstall_a_workspace(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(
        database_url,
        feed_server,
        fake_slack,
        tmp_path,
        bot_token=None,
        client_id="123.456",
        client_secret="oauth-secret",
    ) as sb:
        base = f"http://127.0.0.1:{sb.slack.port}"
        async with httpx.AsyncClient(timeout=10) as browser:
            state = await install(browser, base, fake_slack, "code-1")
            # The same state again (a replayed callback) is refused.
            fake_slack.oauth_codes["code-2"] = (TEAM7, TOKEN7)
            again = await browser.get(
                f"{base}/slack/oauth_redirect",
                params={"code": "code-2", "state": state},
                headers={"Cookie": f"slack-app-oauth-state={state}"},
            )
            assert again.status_code != 200
        store = SlackStore(sb.bot.store.engine)
        saved = await store.find_installation(TEAM7)
        assert saved is not None and saved["bot_token"] == TOKEN7

        # Commands from the new workspace work, and alerts go out with its own token.
        caller = SlackCaller(f"{base}/slack/events", SECRET, fake_slack, TEAM7)
        _, name = await caller.command("subscribe Sumy Oblast")
        await wait_for(lambda: bool(fake_slack.answers(name)))
        assert "Subscribed" in fake_slack.answers(name)[0]["text"]
        chat = slack_chat(TEAM7, "C1")
        assert await sb.slack.send_alert(chat, ALERT) is not None
        assert fake_slack.posts("C1")[-1].token == TOKEN7

        # Uninstalled: its install and chats are gone, and nothing more is sent there.
        await caller.event({"type": "app_uninstalled"}, event_id="EvU7")

        async def forgotten() -> bool:
            subs = await sb.bot.store.subscriptions(chat)
            return not subs and await store.find_installation(TEAM7) is None

        await wait_until(forgotten)
        with pytest.raises(ChatGone, match="not installed"):
            await sb.slack.send_alert(chat, ALERT)

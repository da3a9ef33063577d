"""The Slack adapter's sends against the fake Web API: what Slack accepts, and each failure mapped
to the typed delivery error the outbox acts on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.adapters.slack import SlackChat, slack_chat
from bot.domain import AlertMessage, ChatAddress
from bot.errors import ChatGone, DeliveryError, DeliveryUncertain, RateLimited
from bot.store.database import SqlStore
from tests.support.fake_slack import FakeSlack
from tests.support.feedserver import free_port
from tests.support.slack_bot import TEAM, TOKEN, slack_settings

C1 = slack_chat(TEAM, "C1")
ALERT = AlertMessage(
    title="Russia attacks 13 communities in Sumy Oblast",
    url="https://kyivindependent.example/sumy/",
    source="Kyiv Independent",
    published=datetime(2024, 4, 17, 9, 10, tzinfo=UTC),
    summary="Russian forces struck 13 communities. " * 140,  # about 5 kB
    topic="Sumy Oblast",
    terms=("Sumy",),
    subscription_id=3,
)


@pytest.fixture
def slack(fake_slack: FakeSlack) -> SlackChat:
    fake_slack.add_token(TOKEN, TEAM)
    return SlackChat(slack_settings(fake_slack, timeout=1.0))


async def test_alert_is_accepted_and_edited_in_place(
    slack: SlackChat, fake_slack: FakeSlack
) -> None:
    ref = await slack.send_alert(C1, ALERT)
    assert ref is not None
    [post] = fake_slack.posts("C1")
    assert post.args["text"].startswith("[Sumy Oblast] Russia attacks")
    assert post.args["unfurl_links"] is False
    await slack.edit_alert(C1, ref, replace(ALERT, also=("BBC",)))
    [update] = fake_slack.called("chat.update")
    assert update.args["ts"] == ref and "also: BBC" in str(update.args["blocks"])


async def test_a_big_digest_and_a_notice_are_accepted(
    slack: SlackChat, fake_slack: FakeSlack
) -> None:
    assert await slack.send_digest(C1, "Digest", [ALERT] * 120) is not None
    assert await slack.send_text(C1, "Source <x> parked & retried") is not None
    assert fake_slack.posts("C1")[1].args["text"] == "Source &lt;x&gt; parked &amp; retried"
    assert slack.rate_class(C1) == "group"


async def test_429_is_rate_limited_for_the_time_slack_asked(
    slack: SlackChat, fake_slack: FakeSlack
) -> None:
    fake_slack.trouble("chat.postMessage", status=429, retry_after=2, channel="C1")
    with pytest.raises(RateLimited) as caught:
        await slack.send_alert(C1, ALERT)
    assert caught.value.retry_after == 2
    assert await slack.send_alert(slack_chat(TEAM, "C2"), ALERT) is not None


async def test_server_errors_are_retryable(slack: SlackChat, fake_slack: FakeSlack) -> None:
    fake_slack.trouble("chat.postMessage", status=503)
    with pytest.raises(DeliveryError) as caught:
        await slack.send_alert(C1, ALERT)
    assert type(caught.value) is DeliveryError and caught.value.retryable


async def test_a_timeout_after_sending_is_uncertain(
    slack: SlackChat, fake_slack: FakeSlack
) -> None:
    fake_slack.trouble("chat.postMessage", delay=2.5, times=1)
    with pytest.raises(DeliveryUncertain):
        await slack.send_alert(C1, ALERT)


async def test_no_connection_is_a_plain_retryable_error(fake_slack: FakeSlack) -> None:
    down = SlackChat(slack_settings(fake_slack, api_url=f"http://127.0.0.1:{free_port()}/api/"))
    with pytest.raises(DeliveryError) as caught:
        await down.send_alert(C1, ALERT)
    assert type(caught.value) is DeliveryError and caught.value.retryable


@pytest.mark.parametrize(
    "code", ["channel_not_found", "not_in_channel", "is_archived", "account_inactive"]
)
async def test_channel_errors_mean_the_chat_is_gone(
    slack: SlackChat, fake_slack: FakeSlack, code: str
) -> None:
    fake_slack.trouble("chat.postMessage", error=code, channel="C1")
    with pytest.raises(ChatGone) as caught:
        await slack.send_alert(C1, ALERT)
    assert caught.value.reason == f"slack: {code}"
    assert await slack.send_alert(slack_chat(TEAM, "C2"), ALERT) is not None


async def test_a_message_slack_refuses_is_not_retried(
    slack: SlackChat, fake_slack: FakeSlack
) -> None:
    fake_slack.trouble("chat.postMessage", error="invalid_blocks")
    with pytest.raises(DeliveryError) as caught:
        await slack.send_alert(C1, ALERT)
    assert not caught.value.retryable


async def test_a_refused_token_pauses_the_workspace_and_stops_calling(
    slack: SlackChat, fake_slack: FakeSlack, store: SqlStore
) -> None:
    slack.use_database(store.engine)
    for channel in ("C1", "C2"):
        await store.subscribe(slack_chat(TEAM, channel), "Sumy Oblast", "sumy oblast")
    other = slack_chat("T2", "C1")
    await store.subscribe(other, "Sumy Oblast", "sumy oblast")
    fake_slack.trouble("chat.postMessage", error="token_revoked", times=1)
    with pytest.raises(ChatGone):
        await slack.send_alert(C1, ALERT)
    with pytest.raises(ChatGone):
        await slack.send_alert(slack_chat(TEAM, "C2"), ALERT)
    assert fake_slack.attempts.count("chat.postMessage") == 1
    paused = {s.chat for s in await store.active_subscriptions()}
    assert paused == {other}  # only the other workspace's chat still gets alerts


async def test_a_malformed_address_is_gone_not_a_crash(slack: SlackChat) -> None:
    with pytest.raises(ChatGone):
        await slack.send_alert(ChatAddress("slack", "no-team"), ALERT)

"""The whole loop through Slack: `/news` over signed HTTP into the real bot, a loopback feed, alerts
posted to the fake Slack Web API with Block Kit, buttons, and refused forgeries."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.adapters.slack import slack_chat
from bot.adapters.slack.render import ACTION_MUTE, ACTION_UNSUBSCRIBE
from bot.store.tables import alerts, chats
from tests.support.fake_slack import FakeSlack
from tests.support.feeds import ALIYEV, ODESA, SUMY, rss
from tests.support.feedserver import FeedServer
from tests.support.slack_bot import TEAM, SlackBot, running_slack_bot, wait_for, wait_until

HOSTILE = replace(
    SUMY,
    guid="ki-evil",
    # Entity-encoded in the feed, so the stored plain-text title really is `<!channel> …`.
    title="&lt;!channel&gt; &lt;!here&gt; Sumy Oblast &amp; &lt;@U123&gt; "
    "&lt;http://evil.example|click&gt;",
    link=SUMY.link + "evil/",
    description="A hoax about Sumy Oblast tried to ping a whole channel.",
)


def all_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def answer(fake: FakeSlack, name: str) -> str:
    await wait_for(lambda: bool(fake.answers(name)))
    [body] = fake.answers(name)
    assert body["response_type"] == "ephemeral"
    return str(body["text"])


async def subscribed(sb: SlackBot, topic: str, channel: str = "C1") -> None:
    response, name = await sb.caller.command(f"subscribe {topic}", channel=channel)
    assert response.status_code == 200
    assert "Subscribed" in await answer(sb.fake, name)


async def new_stories(sb: SlackBot, feed_server: FeedServer, items: list[Any]) -> None:
    feed_server.set("/ki.rss", rss([ODESA, ALIYEV]))
    await sb.bot.poll_all()  # the first poll only records what is already there
    feed_server.set("/ki.rss", rss([*items, ODESA, ALIYEV]))
    await sb.bot.poll_all()


async def chat_row(sb: SlackBot, channel: str) -> Any:
    async with sb.bot.store.engine.begin() as connection:
        result = await connection.execute(
            select(chats).where(chats.c.platform == "slack", chats.c.chat == f"{TEAM}:{channel}")
        )
        return result.one_or_none()


async def test_subscribe_alert_once_with_buttons_and_no_pings(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        await subscribed(sb, "Sumy Oblast")
        response, name = await sb.caller.command("")
        assert "/subscribe TOPIC" in await answer(fake_slack, name)  # `/news` alone is help

        await new_stories(sb, feed_server, [SUMY, HOSTILE])
        await wait_for(lambda: len(fake_slack.posts()) >= 2)
        await asyncio.sleep(0.3)  # room for a duplicate to show up if one were queued
        posts = fake_slack.posts()
        assert len(posts) == 2
        assert {p.args["channel"] for p in posts} == {"C1"}
        stored = [a.title for a in await sb.bot.store.recent_articles(10)]
        assert any("<!channel>" in t and "<@U123>" in t for t in stored)
        hostile = next(p for p in posts if "evil" in all_text(p.args))
        rendered = all_text([hostile.args["text"], hostile.args["blocks"]])
        for ping in ("<!channel>", "<!here>", "<@U123>", "<http://evil"):
            assert ping not in rendered
        assert "&lt;!channel&gt;" in rendered and "&amp;" in rendered
        section = hostile.args["blocks"][0]["text"]["text"]
        assert section.startswith("*<https://kyivindependent.example/")
        assert "*Sumy* *Oblast*" in section  # the matched words in bold (the matcher names words)
        context = hostile.args["blocks"][1]["elements"][0]["text"]
        assert "Kyiv Independent" in context and "topic: Sumy Oblast" in context
        buttons = hostile.args["blocks"][2]["elements"]
        assert [b["text"]["text"] for b in buttons] == ["Unsubscribe", "Mute 1 h"]
        assert [b["action_id"] for b in buttons] == [ACTION_UNSUBSCRIBE, ACTION_MUTE]

        # The buttons act on the subscription, through the core.
        value = buttons[0]["value"]
        response, name = await sb.caller.press(ACTION_MUTE, value)
        assert response.status_code == 200
        assert "muted until" in await answer(fake_slack, name)
        response, name = await sb.caller.press(ACTION_UNSUBSCRIBE, value)
        assert "Unsubscribed from “Sumy Oblast”" in await answer(fake_slack, name)
        assert await sb.bot.store.subscriptions(slack_chat(TEAM, "C1")) == []
        response, name = await sb.caller.press(ACTION_UNSUBSCRIBE, value)
        assert "no longer follows" in await answer(fake_slack, name)


async def test_guests_of_a_channel_cannot_change_it_but_can_ask(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        _, name = await sb.caller.command("subscribe Sumy Oblast", user="UGUEST")
        assert "guests" in await answer(fake_slack, name)
        _, name = await sb.caller.command("subscribe Sumy Oblast", channel="D1", user="UGUEST")
        assert "Subscribed" in await answer(fake_slack, name)  # a DM is the user's own
        _, name = await sb.caller.command("topics", user="UGUEST")
        assert "no topics" in await answer(fake_slack, name)
        # Slack's own custom: any full member may set up an app in a channel.
        _, name = await sb.caller.command("subscribe Sumy Oblast", user="UMEMBER")
        assert "Subscribed" in await answer(fake_slack, name)


async def test_forged_or_stale_requests_are_refused_and_change_nothing(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        stale, stale_name = await sb.caller.command("subscribe Sumy Oblast", age=6 * 60)
        assert stale.status_code == 401

        def tamper(body: bytes) -> bytes:
            return body.replace(b"Sumy", b"Kyiv")

        forged, forged_name = await sb.caller.command("subscribe Sumy Oblast", tamper=tamper)
        assert forged.status_code == 401

        # A genuine request afterwards is served; the refused ones left nothing behind.
        _, name = await sb.caller.command("topics")
        assert "no topics" in await answer(fake_slack, name)
        assert fake_slack.answers(stale_name) == [] and fake_slack.answers(forged_name) == []
        assert await sb.bot.store.subscriptions(slack_chat(TEAM, "C1")) == []


async def test_a_slow_command_is_acknowledged_at_once_and_answered_later(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        # users.info (the admin check) answers only after 4 s, past Slack's 3 s ack deadline.
        fake_slack.trouble("users.info", delay=4.0, times=1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        response, name = await sb.caller.command("subscribe Sumy Oblast")
        acked = loop.time() - started
        assert response.status_code == 200 and acked < 3.0
        assert fake_slack.answers(name) == []  # the work was still going on
        await wait_for(lambda: bool(fake_slack.answers(name)), within=10)
        assert len(fake_slack.answers(name)) == 1


async def test_mentions_answer_ephemerally_and_a_retried_event_acts_once(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        mention = {
            "type": "app_mention",
            "user": "UADMIN",
            "text": "<@UBOT> subscribe Sumy Oblast",
            "channel": "C1",
            "ts": "1.1",
        }
        first = await sb.caller.event(mention, event_id="Ev1")
        assert first.status_code == 200
        await wait_for(lambda: len(fake_slack.called("chat.postEphemeral")) == 1)
        retry = await sb.caller.event(mention, event_id="Ev1", retry=1)
        assert retry.status_code == 200
        # A later, different event is answered; by then a retry that slipped through would be too.
        other = dict(mention, text="<@UBOT> topics")
        await sb.caller.event(other, event_id="Ev2")
        await wait_for(lambda: len(fake_slack.called("chat.postEphemeral")) >= 2)
        await asyncio.sleep(0.2)
        answers = [c.args["text"] for c in fake_slack.called("chat.postEphemeral")]
        assert len(answers) == 2
        assert "Subscribed" in answers[0] and "Sumy Oblast" in answers[1]
        assert fake_slack.called("chat.postEphemeral")[0].args["user"] == "UADMIN"


async def test_429_holds_only_that_channel(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        await subscribed(sb, "Sumy Oblast", "C1")
        await subscribed(sb, "Sumy Oblast", "C2")
        fake_slack.trouble("chat.postMessage", status=429, retry_after=120, channel="C1")
        await new_stories(sb, feed_server, [SUMY])
        await wait_for(lambda: len(fake_slack.posts("C2")) == 1)
        row = None

        async def held() -> bool:
            nonlocal row
            row = await chat_row(sb, "C1")
            return row is not None and row.hold_until is not None

        await wait_until(held)
        assert row is not None and not row.paused
        assert row.hold_until > datetime.now(UTC) + timedelta(seconds=100)  # Retry-After: 120

        async def settled() -> bool:
            async with sb.bot.store.engine.begin() as connection:
                statuses = (await connection.execute(select(alerts.c.status))).scalars().all()
            return sorted(statuses) == ["pending", "sent"]  # C1's alert waits; it is not dropped

        await wait_until(settled)
        assert fake_slack.posts("C1") == []
        assert fake_slack.attempts.count("chat.postMessage") == 2  # C1 is not retried meanwhile


async def test_channel_errors_pause_that_channel_and_auth_errors_the_workspace(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        for channel in ("C1", "C2", "C3"):
            await subscribed(sb, "Sumy Oblast", channel)
        fake_slack.trouble("chat.postMessage", error="is_archived", channel="C1")
        await new_stories(sb, feed_server, [SUMY])
        await wait_for(lambda: len(fake_slack.posts()) == 2)

        async def paused(channel: str) -> bool:
            row = await chat_row(sb, channel)
            return bool(row is not None and row.paused)

        await wait_until(lambda: paused("C1"))
        assert not await paused("C2") and not await paused("C3")
        assert (await chat_row(sb, "C1")).paused_reason == "slack: is_archived"

        # The token stops working: every channel of the workspace pauses, after one failed call.
        fake_slack.revoke("xoxb-test-T1")
        attempts_before = len(fake_slack.attempts)
        later = replace(
            SUMY,
            guid="2",
            link=SUMY.link + "2",
            title="Power restored in Sumy Oblast after a night of drone strikes",
            description="Engineers reconnected 40,000 homes in Sumy Oblast on Thursday.",
        )
        feed_server.set("/ki.rss", rss([later, SUMY]))
        await sb.bot.poll_all()

        async def both() -> bool:
            return await paused("C2") and await paused("C3")

        await wait_until(both)
        assert (await chat_row(sb, "C2")).paused_reason == "slack: invalid_auth"
        # Two alerts were due (C2, C3); the first refusal paused both: one call, no retry storm.
        assert fake_slack.attempts[attempts_before:] == ["chat.postMessage"]


async def test_uninstall_removes_the_workspace_data(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        await subscribed(sb, "Sumy Oblast", "C1")
        await subscribed(sb, "Odesa", "C2")
        other_team = slack_chat("T2", "C9")
        await sb.bot.store.subscribe(other_team, "Odesa", "odesa")
        response = await sb.caller.event({"type": "app_uninstalled"}, event_id="EvU")
        assert response.status_code == 200

        async def gone() -> bool:
            return await chat_row(sb, "C1") is None and await chat_row(sb, "C2") is None

        await wait_until(gone)
        assert [s.topic for s in await sb.bot.store.subscriptions(other_team)] == ["Odesa"]


async def test_revoked_user_tokens_keep_the_workspace_a_revoked_bot_token_removes_it(
    database_url: str, feed_server: FeedServer, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    async with running_slack_bot(database_url, feed_server, fake_slack, tmp_path) as sb:
        await subscribed(sb, "Sumy Oblast", "C1")
        users_only = {"type": "tokens_revoked", "tokens": {"oauth": ["UADMIN"]}}
        assert (await sb.caller.event(users_only, event_id="EvR1")).status_code == 200
        # Its listener was started before this command's; the topic is still followed.
        _, name = await sb.caller.command("topics")
        assert "Sumy Oblast" in await answer(fake_slack, name)

        bot_token = {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}
        assert (await sb.caller.event(bot_token, event_id="EvR2")).status_code == 200

        async def gone() -> bool:
            return await chat_row(sb, "C1") is None

        await wait_until(gone)

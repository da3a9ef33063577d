"""Groups and forum topics on Telegram, end to end against the fake Bot API."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from tests.support.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.support.feeds import ALIYEV, CRUMBLES, ODESA, PEACEKEEPERS, SUMY, rss
from tests.support.feedserver import FeedServer
from tests.support.telegram_bot import (
    alerts,
    make_config,
    say,
    settle,
    start_bot,
    wait_for,
    wait_for_alerts,
)

ADMIN, MEMBER = 10, 20
GROUP = -200
FORUM, TOPIC = -1001234, 7


async def test_groups_and_forum_topics(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.group(GROUP, admins={ADMIN})
    fake.group(FORUM, admins={ADMIN}, forum=True)
    fake.topic(FORUM, TOPIC)
    feed_server.set("/ki.rss", rss([ALIYEV, CRUMBLES]))
    bot = await start_bot(make_config(database_url, feed_server.url("/ki.rss"), tmp_path), fake)
    try:
        await bot.poll_all()

        # A member may read but not change what the group gets; rights are asked only then.
        assert "No stored" in (await say(fake, GROUP, MEMBER, "/latest Kharkiv")).text
        assert fake.method_calls("getChatMember") == []
        refused = await say(fake, GROUP, MEMBER, "/subscribe peacekeepers")
        assert "administrators" in refused.text
        assert len(fake.method_calls("getChatMember")) == 1

        reply = await say(fake, GROUP, ADMIN, f"/subscribe@{BOT_USERNAME} peacekeepers")
        assert "Subscribed" in reply.text
        # Another bot's command and plain chatter get no answer: the next answer is /topics'.
        fake.say(GROUP, ADMIN, "/subscribe@OtherBot Odesa")
        fake.say(GROUP, MEMBER, "hello everyone")
        topics = await say(fake, GROUP, MEMBER, "/topics")
        assert topics.text == "Topics followed here:\n• peacekeepers"

        # In a forum topic: the answer and later alerts go into that topic.
        reply = await say(fake, FORUM, ADMIN, "/subscribe Sumy Oblast", thread=TOPIC)
        assert "Subscribed" in reply.text and reply.thread_id == TOPIC
        general = await say(fake, FORUM, ADMIN, "/topics")  # the General topic is another place
        assert "follows no topics" in general.text and general.thread_id is None

        feed_server.set("/ki.rss", rss([PEACEKEEPERS, SUMY, ODESA, ALIYEV, CRUMBLES]))
        await bot.poll_all()
        [in_group] = await wait_for_alerts(fake, GROUP, 1)
        [in_topic] = await wait_for_alerts(fake, FORUM, 1, thread=TOPIC)
        await settle()
        assert len(alerts(fake, GROUP)) == 1 and len(alerts(fake, FORUM)) == 1
        assert PEACEKEEPERS.title in in_group.text and in_group.thread_id is None
        assert SUMY.title in in_topic.text and in_topic.thread_id == TOPIC

        # Buttons in a group: members are refused (and told so), admins act.
        fake.press(in_topic, MEMBER, "Unsubscribe")
        await wait_for(lambda: len(fake.answers) == 1)
        assert "administrators" in fake.answers[0].text
        fake.press(in_topic, ADMIN, "Mute")
        await wait_for(lambda: len(fake.answers) == 2)
        assert "“Sumy Oblast” is muted until" in fake.answers[1].text

        # Link previews: off by default, on for this group once an admin says so.
        assert in_group.preview_disabled
        assert "administrators" in (await say(fake, GROUP, MEMBER, "/previews on")).text
        assert "on" in (await say(fake, GROUP, ADMIN, "/previews on")).text
        later = replace(
            PEACEKEEPERS,
            guid="ki-4000",
            title="Last Russian peacekeepers leave Nagorno-Karabakh",
            description="The final convoy of peacekeepers crossed into Russia on Friday.",
            link=PEACEKEEPERS.link + "-2",
            published=PEACEKEEPERS.published + timedelta(hours=1),
        )
        feed_server.set("/ki.rss", rss([later, PEACEKEEPERS, SUMY, ODESA, ALIYEV, CRUMBLES]))
        await bot.poll_all()
        [_, second] = await wait_for_alerts(fake, GROUP, 2)
        assert later.title in second.text and not second.preview_disabled
    finally:
        await bot.stop()


async def test_a_command_mentioning_this_bot_in_another_case_is_answered(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.group(GROUP, admins={ADMIN})
    feed_server.set("/ki.rss", rss([ALIYEV]))
    bot = await start_bot(make_config(database_url, feed_server.url("/ki.rss"), tmp_path), fake)
    try:
        reply = await say(fake, GROUP, MEMBER, f"/help@{BOT_USERNAME.lower()}")
        assert reply.text.startswith("Commands:")
    finally:
        await bot.stop()


async def test_anonymous_admins_act_and_unknown_buttons_are_still_answered(
    database_url: str, feed_server: FeedServer, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    fake = fake_telegram
    fake.group(GROUP, admins={ADMIN})
    feed_server.set("/ki.rss", rss([ALIYEV]))
    bot = await start_bot(make_config(database_url, feed_server.url("/ki.rss"), tmp_path), fake)
    try:
        fake.say(GROUP, 0, "/subscribe peacekeepers", anonymous=True)
        await wait_for(lambda: len(fake.sent(GROUP)) == 1)
        assert fake.sent(GROUP)[0].text.startswith("Subscribed")
        reply = await say(fake, GROUP, MEMBER, "/topics")
        assert reply.text == "Topics followed here:\n• peacekeepers"
        assert fake.method_calls("getChatMember") == []  # writing as the group proves it

        for data in ("u:999999", "z:1", "garbage"):
            fake.press(reply, ADMIN, "", data=data)
        await wait_for(lambda: len(fake.answers) == 3)
        assert "no longer follows" in fake.answers[0].text
        assert [a.text for a in fake.answers[1:]] == ["That button no longer works."] * 2
    finally:
        await bot.stop()

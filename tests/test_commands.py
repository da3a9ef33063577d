"""The platform-neutral commands, on a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.commands.core import MAX_TOPICS_PER_CHAT, Commands, Incoming, Reply, command_specs
from bot.domain import AlertAction, Article, ChatAddress
from bot.match.base import Document
from bot.match.engine import QueryMatcher
from bot.match.recent import RecentStories
from bot.store.database import SqlStore

CHAT = ChatAddress("terminal", "local")
OTHER = ChatAddress("telegram", "-100123", "7")


async def say(commands: Commands, text: str) -> Reply:
    return await commands.handle(Incoming(CHAT, text))


@pytest.fixture
def recent() -> RecentStories:
    return RecentStories()


@pytest.fixture
def commands(store: SqlStore, recent: RecentStories) -> Commands:
    return Commands(
        store=store,
        matcher=QueryMatcher(),
        recent=recent,
        clock=lambda: datetime(2024, 4, 10, tzinfo=UTC),
    )


async def test_help_is_generated_from_every_command(commands: Commands) -> None:
    reply = await say(commands, "/help")
    for spec in command_specs():
        assert spec.usage in reply.text and spec.description in reply.text
    assert {s.name for s in command_specs()} == {
        "start",
        "help",
        "subscribe",
        "unsubscribe",
        "topics",
        "latest",
        "test",
        "sources",
        "addsource",
        "removesource",
        "previews",
        "settings",
        "timezone",
        "digest",
        "quiet",
        "mute",
        "pause",
        "resume",
    }


async def test_subscribe_list_unsubscribe(commands: Commands, store: SqlStore) -> None:
    assert "Subscribed to “Sumy Oblast”" in (await say(commands, "/subscribe Sumy Oblast")).text
    assert "already" in (await say(commands, "/subscribe sumy-oblast")).text
    await say(commands, "/subscribe@NewsBot peacekeepers")
    topics = (await say(commands, "/topics")).text
    assert "• Sumy Oblast" in topics and "• peacekeepers" in topics
    assert len(await store.subscriptions(CHAT)) == 2
    assert await store.subscriptions(OTHER) == []  # subscriptions belong to their chat

    # named as the chat subscribed it, however it is written now
    assert (
        await say(commands, "/unsubscribe sumy-oblast")
    ).text == "Unsubscribed from “Sumy Oblast”."
    assert "does not follow" in (await say(commands, "/unsubscribe Sumy Oblast")).text
    assert [s.topic for s in await store.subscriptions(CHAT)] == ["peacekeepers"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/subscribe", "Please give a topic"),
        ("/subscribe    ", "Please give a topic"),
        ("/subscribe ---", "at least one word to look for, e.g. /subscribe Sumy Oblast."),
        ("/subscribe " + "x" * 201, "at most 200 characters"),
        ("/unsubscribe", "Please give a topic"),
        ("/frobnicate now", "Unknown command /frobnicate"),
        ("hello there", "Commands start with /"),
    ],
)
async def test_bad_input_gets_a_clear_reply_and_changes_nothing(
    commands: Commands, store: SqlStore, line: str, expected: str
) -> None:
    assert expected in (await say(commands, line)).text
    assert await store.subscriptions(CHAT) == []


async def test_a_chat_follows_at_most_50_topics(commands: Commands, store: SqlStore) -> None:
    for i in range(MAX_TOPICS_PER_CHAT):
        await say(commands, f"/subscribe topic number {i}")
    reply = await say(commands, "/subscribe one too many")
    assert "50 topics" in reply.text
    assert len(await store.subscriptions(CHAT)) == MAX_TOPICS_PER_CHAT
    # Re-subscribing to a followed topic is still harmless at the limit.
    assert "already" in (await say(commands, "/subscribe topic number 3")).text


async def test_a_topic_of_exactly_200_characters_is_accepted(commands: Commands) -> None:
    topic = ("word " * 40)[:200]
    assert "Subscribed" in (await say(commands, "/subscribe " + topic)).text


async def test_start_resumes_a_paused_chat(commands: Commands, store: SqlStore) -> None:
    await say(commands, "/subscribe Kyiv")
    await store.set_chat_paused(CHAT, True, reason="blocked")
    assert await store.active_subscriptions() == []
    await say(commands, "/start")
    assert [s.topic for s in await store.active_subscriptions()] == ["Kyiv"]


async def test_latest_picks_the_five_newest_matching_stories(
    commands: Commands, store: SqlStore, recent: RecentStories
) -> None:
    def story(n: int, title: str) -> Article:
        return Article(
            key=f"k{n}",
            source_url="https://ex.example/feed",
            source_name="Example",
            guid=f"g{n}",
            url=f"https://ex.example/{n}",
            title=title,
            summary="",
            published=datetime(2024, 4, n, tzinfo=UTC),
        )

    articles = [story(n, f"Sumy Oblast report {n}") for n in range(1, 8)]
    articles.append(story(9, "Odesa port reopens"))
    await store.ingest(
        "https://ex.example/feed",
        articles,
        lambda a: [],
        etag=None,
        last_modified=None,
        at=datetime(2024, 4, 10, tzinfo=UTC),
    )
    recent.add(reversed(await store.recent_articles(100)))  # as the bot does at start
    reply = await say(commands, "/latest sumy oblast")
    assert [s.title for s in reply.stories] == [f"Sumy Oblast report {n}" for n in (7, 6, 5, 4, 3)]
    assert (await say(commands, "/latest Kharkiv")).text.startswith("No stored stories")
    assert "Example" in (await say(commands, "/sources")).text


GROUP = ChatAddress("telegram", "-100555")


def in_group(text: str, *, admin: bool) -> Incoming:
    async def is_admin() -> bool:
        return admin

    return Incoming(GROUP, text, user="42", group=True, is_admin=is_admin)


async def test_in_groups_only_admins_change_subscriptions(commands: Commands) -> None:
    refused = await commands.handle(in_group("/subscribe Sumy Oblast", admin=False))
    assert "administrators" in refused.text
    assert "No stored" in (await commands.handle(in_group("/latest Sumy", admin=False))).text
    assert "follows no topics" in (await commands.handle(in_group("/topics", admin=False))).text
    assert "Subscribed" in (await commands.handle(in_group("/subscribe Sumy", admin=True))).text


async def test_buttons_unsubscribe_and_mute_and_are_safe_to_press_twice(
    store: SqlStore,
) -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    commands = Commands(store=store, matcher=QueryMatcher(), clock=lambda: now)
    await say(commands, "/subscribe Sumy Oblast")
    await say(commands, "/subscribe peacekeepers")
    sumy, peace = await store.subscriptions(CHAT)
    msg = Incoming(CHAT, "")
    muted = await commands.press(msg, AlertAction("mute", peace.id))
    assert "“peacekeepers” is muted until 11:00 UTC" in muted.text
    assert "Unsubscribed" in (await commands.press(msg, AlertAction("unsubscribe", sumy.id))).text
    again = await commands.press(msg, AlertAction("unsubscribe", sumy.id))
    assert "no longer follows" in again.text
    assert [s.topic for s in await store.subscriptions(CHAT)] == ["peacekeepers"]
    refused = await commands.press(in_group("", admin=False), AlertAction("mute", peace.id))
    assert "administrators" in refused.text


async def test_subscribing_updates_the_live_topic_index(store: SqlStore) -> None:
    matcher = QueryMatcher()
    topics = matcher.index([])
    commands = Commands(store=store, matcher=matcher, topics=topics)
    doc = Document("Дрони над Києвом", "")
    await say(commands, "/subscribe Kyiv")
    (sub,) = await store.subscriptions(CHAT)
    assert [(h.query_id, h.terms) for h in topics.match(doc)] == [(sub.id, ("Києвом",))]
    await say(commands, "/unsubscribe kyiv")
    assert topics.match(doc) == []
    await say(commands, "/subscribe Kyiv")
    await store.set_chat_paused(CHAT, True)
    topics.remove((await store.subscriptions(CHAT))[0].id)  # as a restart would leave it
    await say(commands, "/start")  # resuming puts the chat's topics back
    assert len(topics.match(doc)) == 1


async def test_test_counts_the_last_seven_days_and_shows_the_newest(
    commands: Commands, recent: RecentStories
) -> None:
    def story(day: int, title: str) -> Article:
        return Article(
            key=f"k{day}-{title}",
            source_url="https://ex.example/feed",
            source_name="Example",
            guid=None,
            url=f"https://ex.example/{day}/{len(title)}",
            title=title,
            summary="",
            published=datetime(2024, 4, day, tzinfo=UTC),
        )

    recent.add(
        [story(1, "Drone over Kyiv")]  # older than 7 days before the clock (April 10)
        + [story(d, f"Drone over Kyiv, day {d}") for d in range(3, 10)]
        + [story(9, "Kyiv drone exercise"), story(9, "Lviv drone")]
    )
    reply = await say(commands, "/test drone AND Kyiv NOT exercise")
    assert "matched 7 stories in the last 7 days; the 5 newest:" in reply.text
    assert reply.stories[0].title == "Drone over Kyiv, day 9"
    assert reply.stories[0].terms == ("Drone", "Kyiv")
    assert "matched no stories" in (await say(commands, "/test Odesa")).text
    bad = await say(commands, "/test drone AND")
    assert "missing after AND" in bad.text and bad.text.endswith("      ^")
    assert "Give a topic" in (await say(commands, "/test")).text

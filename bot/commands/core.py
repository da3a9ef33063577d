"""The chat commands, implemented once for every platform.

Adapters turn a platform message into `handle(chat, text)` and render the `Reply`. Help text comes
from each command's own docstring: its first line is the usage, the second the description.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.alerts.compose import compose_alert
from bot.commands.parse import parse_command_line
from bot.domain import AlertMessage, Article, ChatAddress, SourceInfo, Subscription
from bot.errors import TopicError
from bot.match.base import Matcher, Query, TopicIndex
from bot.match.query import show_error
from bot.match.recent import RecentStories

MAX_TOPICS_PER_CHAT = 50
LATEST_COUNT = 5
TEST_DAYS = 7


class CommandStore(Protocol):
    async def subscribe(self, chat: ChatAddress, topic: str, key: str) -> bool: ...
    async def unsubscribe(self, chat: ChatAddress, key: str) -> bool: ...
    async def subscriptions(self, chat: ChatAddress) -> list[Subscription]: ...
    async def set_chat_paused(
        self, chat: ChatAddress, paused: bool, *, reason: str = ""
    ) -> None: ...
    async def recent_articles(self, limit: int) -> list[Article]: ...
    async def list_sources(self) -> list[SourceInfo]: ...


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    stories: tuple[AlertMessage, ...] = field(default=())


Handler = Callable[["Commands", ChatAddress, str], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    description: str
    handler: Handler


_REGISTRY: dict[str, CommandSpec] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        usage, _, description = (fn.__doc__ or "").strip().partition("\n")
        _REGISTRY[name] = CommandSpec(name, usage.strip(), " ".join(description.split()), fn)
        return fn

    return register


def command_specs() -> list[CommandSpec]:
    """Every command, in help order; adapters use it to register commands with the platform."""
    return list(_REGISTRY.values())


class Commands:
    def __init__(
        self,
        *,
        store: CommandStore,
        matcher: Matcher,
        topics: TopicIndex | None = None,
        recent: RecentStories | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._matcher = matcher
        # The long-lived topic index alerts are matched with: (un)subscribing updates it in place.
        self._topics = topics if topics is not None else matcher.index([])
        # Recent stories, indexed for /latest and /test (fed by the poller, loaded at start).
        self._recent = recent if recent is not None else RecentStories()
        self._clock = clock

    async def handle(self, chat: ChatAddress, text: str) -> Reply:
        line = parse_command_line(text)
        if line is None:
            return Reply("Commands start with /. Send /help to see them all.")
        spec = _REGISTRY.get(line.name)
        if spec is None:
            return Reply(f"Unknown command /{line.name}. Send /help to see what I understand.")
        return await spec.handler(self, chat, line.args)

    def _parse_topic(self, args: str) -> Query | Reply:
        if not args.strip():
            return Reply("Please give a topic, e.g. /subscribe Sumy Oblast")
        try:
            return self._matcher.parse(args)
        except TopicError as e:
            return Reply(f"Can't use that topic: {show_error(' '.join(args.split()), e)}")

    async def _index_chat(self, chat: ChatAddress) -> None:
        """Put this chat's saved topics (back) into the topic index."""
        for sub in await self._store.subscriptions(chat):
            try:
                self._topics.add(sub.id, self._matcher.parse(sub.topic))
            except TopicError:
                continue  # saved under older rules: it cannot be matched, so leave it out


@command("start")
async def _start(self: Commands, chat: ChatAddress, args: str) -> Reply:
    """/start
    Start (or resume) alerts in this chat."""
    await self._store.set_chat_paused(chat, False)
    await self._index_chat(chat)
    return Reply(
        "Hello! I send news alerts on the topics you follow.\n"
        "Try /subscribe peacekeepers or /subscribe Sumy Oblast, then wait for news. /help lists "
        "everything I can do."
    )


@command("help")
async def _help(self: Commands, chat: ChatAddress, args: str) -> Reply:
    """/help
    Show this list."""
    lines = [f"{spec.usage} — {spec.description}" for spec in command_specs()]
    return Reply("\n".join(["Commands:", *lines, "", TOPIC_HELP]))


TOPIC_HELP = """\
How topics work:
• Words in a row are a phrase: Sumy Oblast. Quotes work too: "Sumy Oblast".
• AND, OR, NOT (in capitals), -word and brackets: drone AND Kyiv NOT exercise, \
(Armenia OR Azerbaijan) -Aliyev
• title:Sumy looks only in titles; =word matches that exact word, no other forms.
• Case, accents on Latin letters, punctuation and hyphens are ignored; English plurals match \
(peacekeepers = peacekeeper, but not peace or peacekeeping).
• Ukrainian and Russian words match their forms: Київ finds "над Києвом", Суми finds "у Сумах".
• Place names match across languages: Sumy Oblast = Сумська область = Сумщина; Kyiv = Київ = Киев.
• Try a topic first with /test: it shows what it would have found this week."""


@command("subscribe")
async def _subscribe(self: Commands, chat: ChatAddress, args: str) -> Reply:
    """/subscribe TOPIC
    Get an alert for every new story about TOPIC."""
    query = self._parse_topic(args)
    if isinstance(query, Reply):
        return query
    current = await self._store.subscriptions(chat)
    if any(s.key == query.key for s in current):
        return Reply(f"You already follow “{query.text}”.")
    if len(current) >= MAX_TOPICS_PER_CHAT:
        return Reply(
            f"This chat already follows {MAX_TOPICS_PER_CHAT} topics, the most allowed. "
            "Remove one with /unsubscribe TOPIC first."
        )
    await self._store.subscribe(chat, query.text, query.key)
    await self._index_chat(chat)
    return Reply(f"Subscribed to “{query.text}”. New stories about it will arrive here.")


@command("unsubscribe")
async def _unsubscribe(self: Commands, chat: ChatAddress, args: str) -> Reply:
    """/unsubscribe TOPIC
    Stop alerts for TOPIC."""
    query = self._parse_topic(args)
    if isinstance(query, Reply):
        return query
    current = await self._store.subscriptions(chat)
    if await self._store.unsubscribe(chat, query.key):
        for sub in current:
            if sub.key == query.key:
                self._topics.remove(sub.id)
        return Reply(f"Unsubscribed from “{query.text}”.")
    return Reply(f"This chat does not follow “{query.text}”. /topics lists what it follows.")


@command("topics")
async def _topics(self: Commands, chat: ChatAddress, args: str) -> Reply:
    """/topics
    List the topics this chat follows."""
    subs = await self._store.subscriptions(chat)
    if not subs:
        return Reply("This chat follows no topics yet. Try /subscribe Sumy Oblast")
    return Reply("Topics followed here:\n" + "\n".join(f"• {s.topic}" for s in subs))


@command("latest")
async def _latest(self: Commands, chat: ChatAddress, args: str) -> Reply:
    """/latest [TOPIC]
    The 5 newest stories about TOPIC, or about any topic this chat follows."""
    queries: list[tuple[str, Query]] = []
    if args.strip():
        query = self._parse_topic(args)
        if isinstance(query, Reply):
            return query
        queries = [(query.text, query)]
    else:
        subs = await self._store.subscriptions(chat)
        if not subs:
            return Reply("Give a topic (/latest Sumy Oblast) or subscribe to one first.")
        for s in subs:
            try:
                queries.append((s.topic, self._matcher.parse(s.topic)))
            except TopicError:
                continue  # a topic saved under older rules; skip rather than fail the command
    found: dict[str, AlertMessage] = {}
    for topic, q in queries:
        for f in self._recent.search(q, limit=LATEST_COUNT).newest:
            if f.article.key not in found:
                found[f.article.key] = compose_alert(f.article, topic=topic, terms=f.terms)
    newest = sorted(found.values(), key=lambda m: m.published, reverse=True)[:LATEST_COUNT]
    what = f"“{queries[0][0]}”" if args.strip() else "your topics"
    if not newest:
        return Reply(f"No stored stories about {what} yet.")
    return Reply(f"Latest stories about {what}:", stories=tuple(newest))


@command("test")
async def _test(self: Commands, chat: ChatAddress, args: str) -> Reply:
    """/test QUERY
    Before subscribing: how many of the last 7 days' stories QUERY matches, and the 5 newest."""
    if not args.strip():
        return Reply("Give a topic to try, e.g. /test drone AND Kyiv NOT exercise")
    query = self._parse_topic(args)
    if isinstance(query, Reply):
        return query
    since = self._clock() - timedelta(days=TEST_DAYS)
    result = self._recent.search(query, limit=LATEST_COUNT, since=since, count=True)
    stories = tuple(
        compose_alert(f.article, topic=query.text, terms=f.terms) for f in result.newest
    )
    if not result.count:
        return Reply(f"“{query.text}” matched no stories in the last {TEST_DAYS} days.")
    n = result.count
    return Reply(
        f"“{query.text}” matched {n} stor{'y' if n == 1 else 'ies'} in the last {TEST_DAYS} days"
        + (f"; the {len(stories)} newest:" if n > len(stories) else ":"),
        stories=stories,
    )


@command("sources")
async def _sources(self: Commands, chat: ChatAddress, args: str) -> Reply:
    """/sources
    List the news sources I watch."""
    sources = await self._store.list_sources()
    if not sources:
        return Reply("No sources are configured.")
    lines = [f"• {s.name} — {s.url} (every {s.interval:g} s){_status(s)}" for s in sources]
    return Reply("Sources:\n" + "\n".join(lines))


def _status(source: SourceInfo) -> str:
    if source.last_error:
        return f" — last poll failed: {source.last_error}"
    if source.last_polled:
        return f" — last polled {_ago(source.last_polled)}"
    return " — not polled yet"


def _ago(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M UTC")

"""The chat commands, implemented once for every platform.

Adapters turn a platform message into `handle(Incoming)` and render the `Reply`. Help text comes
from each command's own docstring: its first line is the usage, the second the description.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.alerts.compose import compose_alert
from bot.commands.parse import parse_command_line
from bot.domain import (
    AlertAction,
    AlertMessage,
    Article,
    ChatAddress,
    ChatSettings,
    SourceInfo,
    Subscription,
)
from bot.errors import TopicError
from bot.match.base import Document, Matcher, Query

log = logging.getLogger(__name__)

MAX_TOPICS_PER_CHAT = 50
LATEST_COUNT = 5
LATEST_SCAN = 1000  # how many recent stories /latest looks through
MUTE_BUTTON = timedelta(hours=1)


class CommandStore(Protocol):
    async def subscribe(self, chat: ChatAddress, topic: str, key: str) -> bool: ...
    async def unsubscribe(self, chat: ChatAddress, key: str) -> bool: ...
    async def mute(self, chat: ChatAddress, key: str, until: datetime | None) -> bool: ...
    async def subscriptions(self, chat: ChatAddress) -> list[Subscription]: ...
    async def set_chat_paused(
        self, chat: ChatAddress, paused: bool, *, reason: str = ""
    ) -> None: ...
    async def move_chat(self, old: ChatAddress, new: ChatAddress) -> None: ...
    async def recent_articles(self, limit: int) -> list[Article]: ...
    async def list_sources(self) -> list[SourceInfo]: ...
    # delivery settings (bot/commands/settings.py)
    async def chat_settings(self, chat: ChatAddress, *, now: datetime) -> ChatSettings: ...
    async def set_timezone(self, chat: ChatAddress, zone: str) -> None: ...
    async def set_quiet(self, chat: ChatAddress, quiet: tuple[int, int] | None) -> None: ...
    async def set_digest(
        self, chat: ChatAddress, mode: str | None, *, at: int | None, due: datetime | None
    ) -> None: ...
    async def set_on_hold(self, chat: ChatAddress, on: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message to the bot, as an adapter translated it.

    `is_admin` is asked only when a group member uses an admin-only command, so adapters need not
    look up every sender's rights.
    """

    chat: ChatAddress
    text: str
    user: str | None = None  # the platform's id for the sender, for per-user limits
    group: bool = False  # a chat where several people talk (group, supergroup, channel)
    is_admin: Callable[[], Awaitable[bool]] | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    stories: tuple[AlertMessage, ...] = field(default=())


Handler = Callable[["Commands", Incoming, str], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    description: str
    handler: Handler
    admin: bool  # in groups, only administrators may use it


_REGISTRY: dict[str, CommandSpec] = {}

ADMINS_ONLY = "Sorry, in a group only its administrators can change what I send here."


def command(name: str, *, admin: bool = False) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        usage, _, description = (fn.__doc__ or "").strip().partition("\n")
        spec = CommandSpec(name, usage.strip(), " ".join(description.split()), fn, admin)
        _REGISTRY[name] = spec
        return fn

    return register


async def _allowed(msg: Incoming) -> bool:
    if not msg.group:
        return True
    return msg.is_admin is not None and await msg.is_admin()


def command_specs() -> list[CommandSpec]:
    """Every command, in help order; adapters use it to register commands with the platform."""
    return list(_REGISTRY.values())


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Commands:
    """What people do in chat, on any platform: commands, alert buttons, and chat lifecycle."""

    def __init__(
        self,
        *,
        store: CommandStore,
        matcher: Matcher,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._store = store
        self._matcher = matcher
        self._clock = clock

    async def handle(self, msg: Incoming) -> Reply:
        log.info("chat %s: %s", msg.chat, msg.text.strip()[:200])
        line = parse_command_line(msg.text)
        if line is None:
            return Reply("Commands start with /. Send /help to see them all.")
        spec = _REGISTRY.get(line.name)
        if spec is None:
            return Reply(f"Unknown command /{line.name}. Send /help to see what I understand.")
        if spec.admin and not await _allowed(msg):
            return Reply(ADMINS_ONLY)
        return await spec.handler(self, msg, line.args)

    async def press(self, msg: Incoming, action: AlertAction) -> Reply:
        """A button under an alert. Safe to run twice: the second press finds nothing to do."""
        if not await _allowed(msg):
            return Reply(ADMINS_ONLY)
        subs = {s.id: s for s in await self._store.subscriptions(msg.chat)}
        sub = subs.get(action.subscription_id)
        if sub is None:
            return Reply("This chat no longer follows that topic.")
        if action.kind == "unsubscribe":
            await self._store.unsubscribe(msg.chat, sub.key)
            return Reply(f"Unsubscribed from “{sub.topic}”.")
        if action.kind == "mute":
            until = self._clock() + MUTE_BUTTON
            await self._store.mute(msg.chat, sub.key, until)
            return Reply(f"“{sub.topic}” is muted until {until:%H:%M} UTC.")
        return Reply("That button no longer works.")

    async def chat_gone(self, chat: ChatAddress, reason: str) -> None:
        """The bot was blocked or removed: stop sending there until someone sends /start."""
        await self._store.set_chat_paused(chat, True, reason=reason)

    async def chat_moved(self, old: ChatAddress, new: ChatAddress) -> None:
        await self._store.move_chat(old, new)

    def _parse_topic(self, args: str) -> Query | Reply:
        if not args.strip():
            return Reply("Please give a topic, e.g. /subscribe Sumy Oblast")
        try:
            return self._matcher.parse(args)
        except TopicError as e:
            return Reply(f"Can't use that topic: {e.message}")


@command("start")
async def _start(self: Commands, msg: Incoming, args: str) -> Reply:
    """/start
    Start (or resume) alerts in this chat."""
    await self._store.set_chat_paused(msg.chat, False)
    return Reply(
        "Hello! I send news alerts on the topics you follow.\n"
        "Try /subscribe peacekeepers or /subscribe Sumy Oblast, then wait for news. /help lists "
        "everything I can do."
    )


@command("help")
async def _help(self: Commands, msg: Incoming, args: str) -> Reply:
    """/help
    Show this list."""
    lines = [f"{spec.usage} — {spec.description}" for spec in command_specs()]
    rules = (
        "A topic matches whole words of a story's title and summary, ignoring case, accents, "
        "punctuation, hyphens and English plurals."
    )
    return Reply("\n".join(["Commands:", *lines, "", rules]))


@command("subscribe", admin=True)
async def _subscribe(self: Commands, msg: Incoming, args: str) -> Reply:
    """/subscribe TOPIC
    Get an alert for every new story about TOPIC."""
    query = self._parse_topic(args)
    if isinstance(query, Reply):
        return query
    current = await self._store.subscriptions(msg.chat)
    if any(s.key == query.key for s in current):
        return Reply(f"You already follow “{query.text}”.")
    if len(current) >= MAX_TOPICS_PER_CHAT:
        return Reply(
            f"This chat already follows {MAX_TOPICS_PER_CHAT} topics, the most allowed. "
            "Remove one with /unsubscribe TOPIC first."
        )
    await self._store.subscribe(msg.chat, query.text, query.key)
    return Reply(f"Subscribed to “{query.text}”. New stories about it will arrive here.")


@command("unsubscribe", admin=True)
async def _unsubscribe(self: Commands, msg: Incoming, args: str) -> Reply:
    """/unsubscribe TOPIC
    Stop alerts for TOPIC."""
    query = self._parse_topic(args)
    if isinstance(query, Reply):
        return query
    if await self._store.unsubscribe(msg.chat, query.key):
        return Reply(f"Unsubscribed from “{query.text}”.")
    return Reply(f"This chat does not follow “{query.text}”. /topics lists what it follows.")


@command("topics")
async def _topics(self: Commands, msg: Incoming, args: str) -> Reply:
    """/topics
    List the topics this chat follows."""
    subs = await self._store.subscriptions(msg.chat)
    if not subs:
        return Reply("This chat follows no topics yet. Try /subscribe Sumy Oblast")
    return Reply("Topics followed here:\n" + "\n".join(f"• {s.topic}" for s in subs))


@command("latest")
async def _latest(self: Commands, msg: Incoming, args: str) -> Reply:
    """/latest [TOPIC]
    The 5 newest stories about TOPIC, or about any topic this chat follows."""
    queries: list[tuple[int, Query]]
    if args.strip():
        query = self._parse_topic(args)
        if isinstance(query, Reply):
            return query
        queries = [(0, query)]
    else:
        subs = await self._store.subscriptions(msg.chat)
        if not subs:
            return Reply("Give a topic (/latest Sumy Oblast) or subscribe to one first.")
        queries = []
        for s in subs:
            try:
                queries.append((s.id, self._matcher.parse(s.topic)))
            except TopicError:
                continue  # a topic saved under older rules; skip rather than fail the command
    index = self._matcher.index(queries)
    topic_of = {qid: q.text for qid, q in queries}
    found: list[AlertMessage] = []
    for article in await self._store.recent_articles(LATEST_SCAN):
        hits = index.match(Document(article.title, article.summary))
        if hits:
            terms = tuple(t for h in hits for t in h.terms)
            found.append(compose_alert(article, topic=topic_of[hits[0].query_id], terms=terms))
            if len(found) == LATEST_COUNT:
                break
    what = f"“{queries[0][1].text}”" if args.strip() else "your topics"
    if not found:
        return Reply(f"No stored stories about {what} yet.")
    return Reply(f"Latest stories about {what}:", stories=tuple(found))


@command("sources")
async def _sources(self: Commands, msg: Incoming, args: str) -> Reply:
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

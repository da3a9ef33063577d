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
from bot.commands.limits import ChatLimits, UserRateLimit
from bot.commands.parse import parse_command_line
from bot.domain import (
    AlertAction,
    AlertMessage,
    ChatAddress,
    ChatSettings,
    FoundFeed,
    HourCount,
    OpsFigures,
    SourceInfo,
    Subscription,
)
from bot.errors import TopicError
from bot.match.base import Matcher, Query, TopicIndex
from bot.match.query import show_error
from bot.match.recent import RecentStories

log = logging.getLogger(__name__)

MAX_TOPICS_PER_CHAT = 50
LATEST_COUNT = 5
TEST_DAYS = 7
SEARCH_DEPTH = 50  # /latest looks this deep per topic, then keeps what this chat may see
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
    async def set_link_preview(self, chat: ChatAddress, on: bool) -> None: ...
    async def list_sources(self) -> list[SourceInfo]: ...
    async def operator_sources(self) -> list[SourceInfo]: ...
    async def chat_only_source_urls(self) -> set[str]: ...
    async def chat_sources(self, chat: ChatAddress) -> list[SourceInfo]: ...
    async def add_chat_source(
        self, chat: ChatAddress, url: str, name: str, interval: float, *, at: datetime
    ) -> bool: ...
    async def remove_chat_source(self, chat: ChatAddress, url: str) -> bool: ...
    # delivery settings (bot/commands/settings.py)
    async def chat_settings(self, chat: ChatAddress, *, now: datetime) -> ChatSettings: ...
    async def set_timezone(self, chat: ChatAddress, zone: str) -> None: ...
    async def set_quiet(self, chat: ChatAddress, quiet: tuple[int, int] | None) -> None: ...
    async def set_digest(
        self, chat: ChatAddress, mode: str | None, *, at: int | None, due: datetime | None
    ) -> None: ...
    async def set_on_hold(self, chat: ChatAddress, on: bool) -> None: ...
    # the operators' figures (bot/commands/stats.py)
    async def ops_figures(self, *, now: datetime) -> OpsFigures: ...
    async def alerts_per_hour(self, *, now: datetime, hours: int) -> list[HourCount]: ...


class SourceProbe(Protocol):
    """Finds the feeds at an address a chat gave (it may be a feed, or a page linking to some).
    Raises SourceError, with a reason a person can read, when the address cannot be read."""

    async def probe(self, url: str) -> list[FoundFeed]: ...


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
    operator: bool = False  # only the bot's operators' chats ([ops] admins); not in /help


_REGISTRY: dict[str, CommandSpec] = {}

ADMINS_ONLY = (
    "Sorry, only the people who run this group can change what I send here "
    "(on Telegram its administrators; on Slack its members, but not guests)."
)
OPERATORS_ONLY = "Only the people who run this bot can use that command."
TOO_FAST = "You are sending commands too fast. I'll answer again in a minute."
DEFAULT_LIMITS = ChatLimits()


def command(
    name: str, *, admin: bool = False, operator: bool = False
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        usage, _, description = (fn.__doc__ or "").strip().partition("\n")
        spec = CommandSpec(name, usage.strip(), " ".join(description.split()), fn, admin, operator)
        _REGISTRY[name] = spec
        return fn

    return register


async def _allowed(msg: Incoming) -> bool:
    if not msg.group:
        return True
    return msg.is_admin is not None and await msg.is_admin()


def command_specs() -> list[CommandSpec]:
    """Every command for everyone, in help order; adapters use it to register commands with the
    platform. The operators' own commands are left out."""
    return [spec for spec in _REGISTRY.values() if not spec.operator]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Commands:
    """What people do in chat, on any platform: commands, alert buttons, and chat lifecycle."""

    def __init__(
        self,
        *,
        store: CommandStore,
        matcher: Matcher,
        topics: TopicIndex | None = None,
        recent: RecentStories | None = None,
        clock: Callable[[], datetime] = _utcnow,
        probe: SourceProbe | None = None,
        limits: ChatLimits = DEFAULT_LIMITS,
        operators: frozenset[str] = frozenset(),
    ) -> None:
        self._store = store
        self._matcher = matcher
        # The long-lived topic index alerts are matched with: (un)subscribing updates it in place.
        self._topics = topics if topics is not None else matcher.index([])
        # Recent stories, indexed for /latest and /test (fed by the poller, loaded at start).
        self._recent = recent if recent is not None else RecentStories()
        self._clock = clock
        self._probe = probe  # None: /addsource is switched off
        self._limits = limits
        self._operators = operators  # "platform:chat" of the chats that may use /stats
        self._flood = UserRateLimit(limits.commands_per_user, limits.command_seconds)
        # Feeds /addsource found and offered, per chat, until the chat picks one by number.
        self.offers: dict[ChatAddress, tuple[FoundFeed, ...]] = {}

    @property
    def limits(self) -> ChatLimits:
        return self._limits

    def is_operator(self, chat: ChatAddress) -> bool:
        return f"{chat.platform}:{chat.chat}" in self._operators

    async def handle(self, msg: Incoming) -> Reply:
        """An empty Reply text means: send nothing back (a user flooding the bot is ignored)."""
        if msg.user is not None:
            allowed, first_refusal = self._flood.allow(msg.user, self._clock().timestamp())
            if not allowed:
                log.info("chat %s: user %s is flooding; ignored", msg.chat, msg.user)
                return Reply(TOO_FAST if first_refusal else "")
        if len(msg.text) > self._limits.max_command_length:
            return Reply(
                f"That message is too long for a command "
                f"(at most {self._limits.max_command_length} characters)."
            )
        if any(ord(c) < 32 and c not in "\t\n\r" for c in msg.text) or "\x7f" in msg.text:
            return Reply("That message has control characters in it; please type it again.")
        log.info("chat %s: %s", msg.chat, msg.text.strip()[:200])
        line = parse_command_line(msg.text)
        if line is None:
            return Reply("Commands start with /. Send /help to see them all.")
        spec = _REGISTRY.get(line.name)
        if spec is None:
            return Reply(f"Unknown command /{line.name}. Send /help to see what I understand.")
        if spec.admin and not await _allowed(msg):
            return Reply(ADMINS_ONLY)
        if spec.operator and not self.is_operator(msg.chat):
            return Reply(OPERATORS_ONLY)
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
            self._topics.remove(sub.id)
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
            shown = show_error(" ".join(args.split()), e, example="/subscribe {}")
            return Reply(f"Can't use that topic: {shown}")

    async def _index_chat(self, chat: ChatAddress) -> None:
        """Put this chat's saved topics (back) into the topic index."""
        for sub in await self._store.subscriptions(chat):
            try:
                self._topics.add(sub.id, self._matcher.parse(sub.topic))
            except TopicError:
                continue  # saved under older rules: it cannot be matched, so leave it out

    async def _hidden_sources(self, chat: ChatAddress) -> set[str]:
        """Stories from a source a chat added are that chat's own (see /addsource)."""
        mine = {s.url for s in await self._store.chat_sources(chat)}
        return await self._store.chat_only_source_urls() - mine


@command("start")
async def _start(self: Commands, msg: Incoming, args: str) -> Reply:
    """/start
    Start (or resume) alerts in this chat."""
    await self._store.set_chat_paused(msg.chat, False)
    await self._index_chat(msg.chat)
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
    await self._index_chat(msg.chat)
    return Reply(f"Subscribed to “{query.text}”. New stories about it will arrive here.")


@command("unsubscribe", admin=True)
async def _unsubscribe(self: Commands, msg: Incoming, args: str) -> Reply:
    """/unsubscribe TOPIC
    Stop alerts for TOPIC."""
    query = self._parse_topic(args)
    if isinstance(query, Reply):
        return query
    current = await self._store.subscriptions(msg.chat)
    if await self._store.unsubscribe(msg.chat, query.key):
        stored = [sub for sub in current if sub.key == query.key]
        for sub in stored:
            self._topics.remove(sub.id)
        # as the chat subscribed it: `/unsubscribe sumy-oblast` ends “Sumy Oblast”
        shown = stored[0].topic if stored else query.text
        return Reply(f"Unsubscribed from “{shown}”.")
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
    queries: list[tuple[str, Query]] = []
    if args.strip():
        query = self._parse_topic(args)
        if isinstance(query, Reply):
            return query
        queries = [(query.text, query)]
    else:
        subs = await self._store.subscriptions(msg.chat)
        if not subs:
            return Reply("Give a topic (/latest Sumy Oblast) or subscribe to one first.")
        for s in subs:
            try:
                queries.append((s.topic, self._matcher.parse(s.topic)))
            except TopicError:
                continue  # a topic saved under older rules; skip rather than fail the command
    found: dict[str, AlertMessage] = {}
    hidden = await self._hidden_sources(msg.chat)
    for topic, q in queries:
        for f in self._recent.search(q, limit=SEARCH_DEPTH).newest:
            if f.article.source_url in hidden:
                continue
            if f.article.key not in found:
                found[f.article.key] = compose_alert(f.article, topic=topic, terms=f.terms)
    newest = sorted(found.values(), key=lambda m: m.published, reverse=True)[:LATEST_COUNT]
    what = f"“{queries[0][0]}”" if args.strip() else "your topics"
    if not newest:
        return Reply(f"No stored stories about {what} yet.")
    return Reply(f"Latest stories about {what}:", stories=tuple(newest))


@command("test")
async def _test(self: Commands, msg: Incoming, args: str) -> Reply:
    """/test QUERY
    Before subscribing: how many of the last 7 days' stories QUERY matches, and the 5 newest."""
    if not args.strip():
        return Reply("Give a topic to try, e.g. /test drone AND Kyiv NOT exercise")
    query = self._parse_topic(args)
    if isinstance(query, Reply):
        return query
    since = self._clock() - timedelta(days=TEST_DAYS)
    result = self._recent.search(query, limit=LATEST_COUNT, since=since, count=True)
    # The count covers every source; the examples shown are only ones this chat may see.
    hidden = await self._hidden_sources(msg.chat)
    stories = tuple(
        compose_alert(f.article, topic=query.text, terms=f.terms)
        for f in result.newest
        if f.article.source_url not in hidden
    )
    if not result.count:
        return Reply(f"“{query.text}” matched no stories in the last {TEST_DAYS} days.")
    n = result.count
    return Reply(
        f"“{query.text}” matched {n} stor{'y' if n == 1 else 'ies'} in the last {TEST_DAYS} days"
        + (f"; the {len(stories)} newest:" if n > len(stories) else ":"),
        stories=stories,
    )

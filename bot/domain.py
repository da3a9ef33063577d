"""Domain objects that cross module boundaries. Frozen, typed, no behaviour beyond derivations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item as a feed parser read it, before normalisation."""

    guid: str | None
    link: str | None
    title: str
    summary_html: str
    published: datetime | None  # timezone-aware UTC when the feed gave a date


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    link: str | None
    entries: tuple[FeedEntry, ...]


@dataclass(frozen=True, slots=True)
class Article:
    """A story ready to store and match: plain text only, canonical URL, UTC time."""

    key: str  # stable id: derived from the canonical URL, or the GUID when there is no link
    source_url: str
    source_name: str
    guid: str | None
    url: str
    title: str
    summary: str  # plain text, one line a paragraph
    published: datetime
    body: str = ""  # the page's main text when it was fetched (full_text sources); else ""


@dataclass(frozen=True, slots=True, order=True)
class ChatAddress:
    """Where a conversation happens: a platform, a chat on it and optionally a thread in it."""

    platform: str
    chat: str
    thread: str | None = None

    def __str__(self) -> str:
        base = f"{self.platform}:{self.chat}"
        return f"{base}#{self.thread}" if self.thread else base


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    chat: ChatAddress
    topic: str  # as the user last wrote it
    key: str  # the matcher's identity for it: one subscription per (chat, key)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    url: str
    name: str
    interval: float
    last_polled: datetime | None = None
    last_error: str | None = None
    configured: bool = True  # from the operator's config; False: only chats added it
    parked: str | None = None  # why polling stopped, if it did
    next_poll: datetime | None = None
    failures: int = 0  # failed polls in a row


@dataclass(frozen=True, slots=True)
class PollState:
    """A source's stored schedule state: what the next-poll decision starts from."""

    interval: float  # the configured (base) interval
    current_interval: float | None = None  # the adaptive one; None before the first success
    failures: int = 0  # failed polls in a row
    failing_since: datetime | None = None
    gone_count: int = 0  # 404/410 answers in a row
    pushed: bool = False  # a hub pushes its stories (an active WebSub subscription)


@dataclass(frozen=True, slots=True)
class DueSource:
    """A source whose next poll time has come. `trusted`: the operator configured it."""

    url: str
    name: str
    trusted: bool
    state: PollState
    due_at: datetime | None = None  # when its poll was due; None: never scheduled (new)


@dataclass(frozen=True, slots=True)
class NextPoll:
    """The decision after one poll. `parked` set means: stop polling it and tell its chats."""

    next_poll_at: datetime
    current_interval: float | None
    failures: int
    failing_since: datetime | None
    gone_count: int
    parked: str | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """A plain-text message from the bot itself to one chat, claimed for sending."""

    id: int
    chat: ChatAddress
    text: str
    attempts: int


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """An outbox row claimed for delivery."""

    id: int
    chat: ChatAddress
    article: Article
    topic: str
    attempts: int
    terms: tuple[str, ...] = ()
    subscription_id: int | None = None  # None once the subscription is gone: no buttons then
    link_preview: bool = False  # the chat's setting
    also: tuple[str, ...] = ()  # other outlets that carried the same story, as of the claim
    timezone: str = "UTC"  # the chat's zone, for its quiet hours
    quiet: tuple[int, int] | None = None  # quiet hours as local minutes (start, end)
    queued_at: datetime | None = None  # when the alert was queued (its story stored)


@dataclass(frozen=True, slots=True)
class PendingEdit:
    """An alert already sent whose message should now name more outlets ("Also: …")."""

    id: int
    alert: PendingAlert  # `also` holds the outlets to show now
    message_ref: str
    also_shown: tuple[str, ...]  # what the sent message names
    attempts: int = 1  # of this edit, counting the current one
    version: int = 1  # of the request; a newer one keeps the edit queued after this is applied


@dataclass(frozen=True, slots=True)
class MutedTopic:
    topic: str
    until: datetime


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """How and when a chat wants its alerts (the `/settings` answer)."""

    timezone: str = "UTC"  # an IANA zone name
    quiet: tuple[int, int] | None = None  # minutes after local midnight: (start, end)
    digest: str | None = None  # None: one message per alert; "hourly" or "daily"
    digest_at: int | None = None  # for "daily": minutes after local midnight
    digest_due: datetime | None = None  # when the next digest goes out (UTC)
    on_hold: bool = False  # the chat's own /pause: alerts wait for /resume
    paused: bool = False  # the chat is gone (blocked, removed): nothing is queued
    link_preview: bool = False
    muted: tuple[MutedTopic, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """What an adapter renders for one alert. All fields are plain text."""

    title: str
    url: str
    source: str
    published: datetime
    summary: str
    topic: str
    terms: tuple[str, ...] = ()
    subscription_id: int | None = None  # what the alert's buttons act on
    link_preview: bool = False
    also: tuple[str, ...] = ()  # other outlets that carried the same story


@dataclass(frozen=True, slots=True)
class AlertAction:
    """A button under an alert: `kind` is "unsubscribe" or "mute" (for an hour)."""

    kind: str
    subscription_id: int


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` messages per `seconds`."""

    count: int
    seconds: float


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A feed found at (or linked from) an address a chat gave to /addsource."""

    url: str
    title: str


@dataclass(frozen=True, slots=True)
class PlatformFigures:
    """One chat platform's figures, as the database has them now."""

    platform: str
    chats: int = 0  # chats that have not left (not paused as gone)
    held: int = 0  # chats the platform asked us to wait for (a 429 hold not over yet)
    queued: int = 0  # alerts waiting to be sent
    oldest: datetime | None = None  # when the oldest of them was queued


@dataclass(frozen=True, slots=True)
class OpsFigures:
    """The bot's state at a glance, read from the database (so the same for every process):
    what /metrics, the status page and /stats show."""

    at: datetime
    sources_ok: int = 0
    sources_failing: int = 0  # its last poll failed (not parked yet)
    sources_parked: int = 0
    subscriptions: int = 0
    platforms: tuple[PlatformFigures, ...] = ()

    @property
    def queued(self) -> int:
        return sum(p.queued for p in self.platforms)

    @property
    def oldest(self) -> datetime | None:
        times = [p.oldest for p in self.platforms if p.oldest is not None]
        return min(times) if times else None


@dataclass(frozen=True, slots=True)
class HourCount:
    """Alerts queued in one hour (starting at `hour`, UTC), by what has become of them."""

    hour: datetime
    sent: int = 0
    pending: int = 0
    failed: int = 0  # failed or dropped

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed

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
    summary: str
    published: datetime


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
    timezone: str = "UTC"  # the chat's zone, for its quiet hours
    quiet: tuple[int, int] | None = None  # quiet hours as local minutes (start, end)


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

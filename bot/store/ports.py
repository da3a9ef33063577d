"""What the rest of the bot needs from storage, as a Protocol.

The pure core (commands, pipeline decisions) depends on this, never on SQLAlchemy.
`bot.store.database` implements it on SQLAlchemy (SQLite by default, PostgreSQL for big installs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.domain import (
    Article,
    ChatAddress,
    ChatSettings,
    DueSource,
    NextPoll,
    Notice,
    PendingAlert,
    SourceInfo,
    Subscription,
)


@dataclass(frozen=True, slots=True)
class SourceState:
    """What a poll needs to know about a source before fetching it."""

    etag: str | None
    last_modified: str | None
    baselined: bool  # False until the first successful poll recorded what was already there


@dataclass(frozen=True, slots=True)
class NewAlert:
    """One alert to queue: this article, for this subscription (so this chat), with these words."""

    subscription_id: int
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IngestResult:
    new_articles: tuple[Article, ...]
    alerts_queued: int
    edits_queued: int = 0  # sent alerts to rewrite: another outlet joined their story
    queued_by_platform: Mapping[str, int] = field(default_factory=dict)  # alerts, per platform


# Called inside the ingest transaction for each article that is new; returns the alerts to queue.
AlertPlanner = Callable[[Article], Sequence[NewAlert]]


class Store(Protocol):
    # --- sources ---
    async def upsert_source(self, url: str, name: str, interval: float) -> None: ...
    async def source_state(self, url: str) -> SourceState: ...
    async def sync_sources(self, watched: Sequence[SourceInfo]) -> None:
        """Upsert these sources and mark every other one inactive (no longer configured): its
        stories stay, but `list_sources` stops listing it."""
        ...

    async def list_sources(self) -> list[SourceInfo]:
        """The active sources, in the order they were first added."""
        ...

    async def record_poll_error(self, url: str, error: str, *, at: datetime) -> None: ...

    async def ingest(
        self,
        source_url: str,
        articles: Sequence[Article],
        plan_alerts: AlertPlanner,
        *,
        etag: str | None,
        last_modified: str | None,
        at: datetime,
    ) -> IngestResult:
        """In ONE transaction: store the articles not seen before (same GUID from the same source,
        or same canonical URL, means seen), queue the alerts `plan_alerts` returns for each new
        one (skipped while the source is not yet baselined: the first poll never alerts), save the
        source's etag/last_modified, mark it baselined and clear its last error. A crash
        anywhere leaves either all of it or none of it."""
        ...

    async def unseen_keys(self, source_url: str, articles: Sequence[Article]) -> set[str]:
        """The keys of those `articles` that `ingest` would store as new (same rules)."""
        ...

    async def recent_articles(self, limit: int) -> list[Article]:
        """Newest first, by published time (the bot loads its recent-stories index from it)."""
        ...

    # --- chat-added sources and the poll schedule ---
    async def add_chat_source(
        self, chat: ChatAddress, url: str, name: str, interval: float, *, at: datetime
    ) -> bool:
        """Link a source to the chat that added it (created untrusted if new, due at once; a
        parked one is un-parked). True if the chat did not have it yet."""
        ...

    async def remove_chat_source(self, chat: ChatAddress, url: str) -> bool:
        """Unlink it; a source no chat has and the operator did not configure stops being
        polled."""
        ...

    async def chat_sources(self, chat: ChatAddress) -> list[SourceInfo]: ...
    async def operator_sources(self) -> list[SourceInfo]: ...
    async def chat_only_source_urls(self) -> set[str]:
        """Sources that only chats added: their stories are for those chats alone."""
        ...

    async def claim_due_sources(
        self, now: datetime, limit: int, *, lease_seconds: float
    ) -> list[DueSource]:
        """Active, unparked sources whose next poll is due (or never scheduled), most overdue
        first; each is claimed by pushing its next poll `lease_seconds` ahead, so a second
        scheduler does not poll it too and a crash mid-poll retries it after the lease."""
        ...

    async def record_schedule(self, url: str, decision: NextPoll) -> None: ...
    async def park_source(self, url: str, reason: str, *, at: datetime) -> list[ChatAddress]:
        """Stop polling it and, in the same transaction, queue one notice to each chat that
        added it. Returns those chats."""
        ...

    # --- notices (plain-text messages from the bot, each sent once) ---
    async def claim_notices(
        self, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[Notice]: ...
    async def notice_sent(self, notice_id: int, *, at: datetime) -> None: ...
    async def notice_retry(self, notice_id: int, *, not_before: datetime, error: str) -> None: ...
    async def notice_given_up(self, notice_id: int, *, at: datetime, error: str) -> None: ...

    # --- chats and subscriptions ---
    async def subscribe(self, chat: ChatAddress, topic: str, key: str) -> bool:
        """Upsert the chat and the subscription keyed by (chat, key); True if it is new."""
        ...

    async def unsubscribe(self, chat: ChatAddress, key: str) -> bool: ...
    async def subscriptions(self, chat: ChatAddress) -> list[Subscription]: ...
    async def active_subscriptions(self) -> list[Subscription]:
        """Every subscription of every chat that is not paused."""
        ...

    async def set_chat_paused(self, chat: ChatAddress, paused: bool, *, reason: str = "") -> None:
        """Pausing also drops that chat's undelivered alerts: they are not retried."""
        ...

    async def mute(self, chat: ChatAddress, key: str, until: datetime | None) -> bool:
        """Until `until` (None: unmute), new stories alert nobody through this subscription."""
        ...

    async def hold_chat(self, chat: ChatAddress, until: datetime) -> None:
        """The platform asked us to wait: claim nothing for this chat before `until`. Stored,
        so a restart honours it."""
        ...

    async def set_link_preview(self, chat: ChatAddress, on: bool) -> None: ...
    async def move_chat(self, old: ChatAddress, new: ChatAddress) -> None:
        """The chat got a new id (a group upgraded to a supergroup): subscriptions, settings and
        queued alerts follow it."""
        ...

    # --- the alert outbox ---
    async def claim_alerts(
        self,
        limit: int,
        *,
        now: datetime,
        lease_seconds: float,
        per_chat: int | None = None,
        burst: int | None = None,
    ) -> list[PendingAlert]:
        """Pending alerts whose not-before time has come and whose lease (if any) has expired,
        for up to `limit` chats (those waiting longest first) that are not paused, on hold or
        in digest mode, up to `per_chat` (default `limit`) each, oldest first (only one for a
        chat with no more than `burst` waiting, if given: it gets one message per round); leases
        them until now+lease_seconds and counts the attempt. A crash mid-send lets the lease
        expire and the alert is sent again. Concurrent claimers (other processes too) never
        share an alert."""
        ...

    async def mark_sent(
        self,
        alert_id: int,
        *,
        at: datetime,
        message_ref: str | None,
        pace_until: datetime | None = None,
    ) -> None:
        """Delivered. `pace_until`: the chat's next message may not go before then."""
        ...

    async def retry_later(self, alert_id: int, *, not_before: datetime, error: str) -> None: ...
    async def mark_failed(self, alert_id: int, *, error: str) -> None: ...
    async def mark_sent_many(
        self,
        alert_ids: Sequence[int],
        *,
        at: datetime,
        message_ref: str | None,
        pace_until: datetime | None = None,
    ) -> None:
        """These alerts went out together in one message (a folded burst or a digest)."""
        ...

    async def defer_alerts(self, alert_ids: Sequence[int], *, not_before: datetime | None) -> None:
        """Hand claimed alerts back untried (pacing, quiet hours, shutdown): the claim does not
        count as an attempt."""
        ...

    async def record_uncertain(self, alert_id: int, *, not_before: datetime, error: str) -> int:
        """A send timed out after leaving; returns how many such sends this alert has had."""
        ...

    async def claim_chat_alerts(
        self, chat: ChatAddress, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[PendingAlert]:
        """A digest's load: the chat's pending, unleased alerts, whatever their not-before."""
        ...

    async def prune(self, *, before: datetime) -> tuple[int, int]:
        """Delete settled alerts and unneeded stories older than `before`: (alerts, stories)."""
        ...

    # --- delivery settings (bot/commands/settings.py, bot/delivery/digests.py) ---
    async def chat_settings(self, chat: ChatAddress, *, now: datetime) -> ChatSettings: ...
    async def set_timezone(self, chat: ChatAddress, zone: str) -> None: ...
    async def set_quiet(self, chat: ChatAddress, quiet: tuple[int, int] | None) -> None: ...
    async def set_digest(
        self, chat: ChatAddress, mode: str | None, *, at: int | None, due: datetime | None
    ) -> None: ...
    async def set_on_hold(self, chat: ChatAddress, on: bool) -> None:
        """The chat's own /pause: its alerts keep queuing and wait (unlike set_chat_paused)."""
        ...

    async def due_digests(self, *, now: datetime) -> list[tuple[ChatAddress, ChatSettings]]: ...
    async def advance_digest(self, chat: ChatAddress, *, was: datetime, due: datetime) -> None:
        """Set the next digest time, unless someone moved it since `was` was read."""
        ...

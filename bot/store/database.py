"""`SqlStore`: the `Store` port on SQLAlchemy async, SQLite by default, PostgreSQL alike.

Every method is one transaction. The SQL lives in `feeds`, `chats` and `outbox`; this class only
opens transactions and delegates, so that the transaction boundary is visible in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import (
    Article,
    ChatAddress,
    ChatSettings,
    DueSource,
    HourCount,
    NextPoll,
    Notice,
    OpsFigures,
    PendingAlert,
    PendingEdit,
    SourceInfo,
    Subscription,
)
from bot.errors import StoreUnavailable
from bot.store import chats, feeds, figures, notices, outbox, settings, sourcing, stories
from bot.store.engine import make_engine
from bot.store.migrate import upgrade_to_head
from bot.store.ports import AlertPlanner, IngestResult, SourceState, Store


async def open_store(database_url: str) -> SqlStore:
    """Connect, bring the schema up to date, and return the store. `await store.close()` after.

    Raises StoreUnavailable when the database cannot be reached or logged into (any error on
    connecting), or cannot be written (an OperationalError while migrating: a read-only file, a
    full disk); a bug in a migration stays the error it is."""
    shown = make_url(database_url).render_as_string(hide_password=True)
    try:
        engine = make_engine(database_url)
    except OSError as e:  # the SQLite file's directory cannot be created
        raise StoreUnavailable(shown, e.strerror or str(e)) from e
    try:
        try:
            connection = await engine.connect()
        except (OSError, DBAPIError) as e:
            raise StoreUnavailable(shown, _reason(e)) from e
        try:
            async with connection.begin():
                await connection.run_sync(upgrade_to_head)
        except OperationalError as e:
            raise StoreUnavailable(shown, _reason(e)) from e
        finally:
            await connection.close()
    except BaseException:
        await engine.dispose()
        raise
    return SqlStore(engine)


def _reason(error: Exception) -> str:
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


class SqlStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def close(self) -> None:
        await self._engine.dispose()

    # --- sources ---
    async def upsert_source(self, url: str, name: str, interval: float) -> None:
        async with self._engine.begin() as connection:
            await feeds.upsert_source(connection, url, name, interval)

    async def source_state(self, url: str) -> SourceState:
        async with self._engine.begin() as connection:
            return await feeds.source_state(connection, url)

    async def sync_sources(self, watched: Sequence[SourceInfo]) -> None:
        async with self._engine.begin() as connection:
            await feeds.sync_sources(connection, watched)

    async def list_sources(self) -> list[SourceInfo]:
        async with self._engine.begin() as connection:
            return await feeds.list_sources(connection)

    async def record_poll_error(self, url: str, error: str, *, at: datetime) -> None:
        async with self._engine.begin() as connection:
            await feeds.record_poll_error(connection, url, error, at=at)

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
        async with self._engine.begin() as connection:
            return await feeds.ingest(
                connection,
                source_url,
                articles,
                plan_alerts,
                etag=etag,
                last_modified=last_modified,
                at=at,
            )

    async def unseen_keys(self, source_url: str, articles: Sequence[Article]) -> set[str]:
        async with self._engine.begin() as connection:
            return await feeds.unseen_keys(connection, source_url, articles)

    async def recent_articles(self, limit: int) -> list[Article]:
        async with self._engine.begin() as connection:
            return await feeds.recent_articles(connection, limit)

    # --- chat-added sources and the poll schedule ---
    async def add_chat_source(
        self, chat: ChatAddress, url: str, name: str, interval: float, *, at: datetime
    ) -> bool:
        async with self._engine.begin() as connection:
            return await sourcing.add_chat_source(connection, chat, url, name, interval, at=at)

    async def remove_chat_source(self, chat: ChatAddress, url: str) -> bool:
        async with self._engine.begin() as connection:
            return await sourcing.remove_chat_source(connection, chat, url)

    async def chat_sources(self, chat: ChatAddress) -> list[SourceInfo]:
        async with self._engine.begin() as connection:
            return await sourcing.chat_source_list(connection, chat)

    async def chat_only_source_urls(self) -> set[str]:
        async with self._engine.begin() as connection:
            return await sourcing.chat_only_source_urls(connection)

    async def operator_sources(self) -> list[SourceInfo]:
        async with self._engine.begin() as connection:
            return await sourcing.operator_sources(connection)

    async def claim_due_sources(
        self, now: datetime, limit: int, *, lease_seconds: float
    ) -> list[DueSource]:
        async with self._engine.begin() as connection:
            return await sourcing.claim_due_sources(
                connection, now, limit, lease_seconds=lease_seconds
            )

    async def record_schedule(self, url: str, decision: NextPoll) -> None:
        async with self._engine.begin() as connection:
            await sourcing.record_schedule(connection, url, decision)

    async def park_source(self, url: str, reason: str, *, at: datetime) -> list[ChatAddress]:
        async with self._engine.begin() as connection:
            return await sourcing.park_source(connection, url, reason, at=at)

    # --- notices ---
    async def claim_notices(
        self, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[Notice]:
        async with self._engine.begin() as connection:
            return await notices.claim_notices(
                connection, limit, now=now, lease_seconds=lease_seconds
            )

    async def notice_sent(self, notice_id: int, *, at: datetime) -> None:
        async with self._engine.begin() as connection:
            await notices.notice_sent(connection, notice_id, at=at)

    async def notice_retry(self, notice_id: int, *, not_before: datetime, error: str) -> None:
        async with self._engine.begin() as connection:
            await notices.notice_retry(connection, notice_id, not_before=not_before, error=error)

    async def notice_given_up(self, notice_id: int, *, at: datetime, error: str) -> None:
        async with self._engine.begin() as connection:
            await notices.notice_given_up(connection, notice_id, at=at, error=error)

    async def unsent_notices(self) -> list[tuple[str, str]]:
        async with self._engine.begin() as connection:
            return await notices.unsent_notices(connection)

    # --- chats and subscriptions ---
    async def subscribe(self, chat: ChatAddress, topic: str, key: str) -> bool:
        async with self._engine.begin() as connection:
            return await chats.subscribe(connection, chat, topic, key)

    async def unsubscribe(self, chat: ChatAddress, key: str) -> bool:
        async with self._engine.begin() as connection:
            return await chats.unsubscribe(connection, chat, key)

    async def subscriptions(self, chat: ChatAddress) -> list[Subscription]:
        async with self._engine.begin() as connection:
            return await chats.list_subscriptions(connection, chat)

    async def active_subscriptions(self) -> list[Subscription]:
        async with self._engine.begin() as connection:
            return await chats.active_subscriptions(connection)

    async def set_chat_paused(self, chat: ChatAddress, paused: bool, *, reason: str = "") -> None:
        async with self._engine.begin() as connection:
            await chats.set_chat_paused(connection, chat, paused, reason=reason)

    async def mute(self, chat: ChatAddress, key: str, until: datetime | None) -> bool:
        async with self._engine.begin() as connection:
            return await chats.mute(connection, chat, key, until)

    async def hold_chat(self, chat: ChatAddress, until: datetime) -> None:
        async with self._engine.begin() as connection:
            await chats.hold_chat(connection, chat, until)

    async def set_link_preview(self, chat: ChatAddress, on: bool) -> None:
        async with self._engine.begin() as connection:
            await chats.set_link_preview(connection, chat, on)

    async def move_chat(self, old: ChatAddress, new: ChatAddress) -> None:
        async with self._engine.begin() as connection:
            await chats.move_chat(connection, old, new)

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
        async with self._engine.begin() as connection:
            return await outbox.claim_alerts(
                connection,
                limit,
                now=now,
                lease_seconds=lease_seconds,
                per_chat=per_chat,
                burst=burst,
            )

    async def mark_sent(
        self,
        alert_id: int,
        *,
        at: datetime,
        message_ref: str | None,
        pace_until: datetime | None = None,
    ) -> None:
        async with self._engine.begin() as connection:
            await outbox.mark_sent_many(
                connection, [alert_id], at=at, message_ref=message_ref, pace_until=pace_until
            )

    async def retry_later(self, alert_id: int, *, not_before: datetime, error: str) -> None:
        async with self._engine.begin() as connection:
            await outbox.retry_later(connection, alert_id, not_before=not_before, error=error)

    async def mark_failed(self, alert_id: int, *, error: str) -> None:
        async with self._engine.begin() as connection:
            await outbox.mark_failed(connection, alert_id, error=error)

    # --- edits of sent alerts (another outlet joined the story) ---
    async def claim_edits(
        self, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[PendingEdit]:
        async with self._engine.begin() as connection:
            return await stories.claim_edits(
                connection, limit, now=now, lease_seconds=lease_seconds
            )

    async def finish_edit(
        self, edit_id: int, alert_id: int, also: Sequence[str], version: int
    ) -> None:
        async with self._engine.begin() as connection:
            await stories.finish_edit(connection, edit_id, alert_id, also, version)

    async def retry_edit(self, edit_id: int, *, not_before: datetime, error: str) -> None:
        async with self._engine.begin() as connection:
            await stories.retry_edit(connection, edit_id, not_before=not_before, error=error)

    async def drop_edit(self, edit_id: int) -> None:
        async with self._engine.begin() as connection:
            await stories.drop_edit(connection, edit_id)

    async def story_sources(self, article_key: str) -> list[str]:
        """The names of the sources that carried the story of this article, first one first."""
        async with self._engine.begin() as connection:
            return await stories.story_source_names(connection, article_key)

    async def claim_chat_alerts(
        self, chat: ChatAddress, limit: int, *, now: datetime, lease_seconds: float
    ) -> list[PendingAlert]:
        async with self._engine.begin() as connection:
            return await outbox.claim_chat_alerts(
                connection, chat, limit, now=now, lease_seconds=lease_seconds
            )

    async def mark_sent_many(
        self,
        alert_ids: Sequence[int],
        *,
        at: datetime,
        message_ref: str | None,
        pace_until: datetime | None = None,
    ) -> None:
        async with self._engine.begin() as connection:
            await outbox.mark_sent_many(
                connection, alert_ids, at=at, message_ref=message_ref, pace_until=pace_until
            )

    async def defer_alerts(self, alert_ids: Sequence[int], *, not_before: datetime | None) -> None:
        async with self._engine.begin() as connection:
            await outbox.defer_alerts(connection, alert_ids, not_before=not_before)

    async def record_uncertain(self, alert_id: int, *, not_before: datetime, error: str) -> int:
        async with self._engine.begin() as connection:
            return await outbox.record_uncertain(
                connection, alert_id, not_before=not_before, error=error
            )

    async def prune(self, *, before: datetime) -> tuple[int, int]:
        async with self._engine.begin() as connection:
            return await outbox.prune(connection, before=before)

    # --- delivery settings ---
    async def chat_settings(self, chat: ChatAddress, *, now: datetime) -> ChatSettings:
        async with self._engine.begin() as connection:
            return await settings.chat_settings(connection, chat, now=now)

    async def set_timezone(self, chat: ChatAddress, zone: str) -> None:
        async with self._engine.begin() as connection:
            await settings.update_chat(connection, chat, timezone=zone)

    async def set_quiet(self, chat: ChatAddress, quiet: tuple[int, int] | None) -> None:
        start, end = quiet if quiet else (None, None)
        async with self._engine.begin() as connection:
            await settings.update_chat(connection, chat, quiet_start=start, quiet_end=end)

    async def set_digest(
        self, chat: ChatAddress, mode: str | None, *, at: int | None, due: datetime | None
    ) -> None:
        async with self._engine.begin() as connection:
            await settings.update_chat(connection, chat, digest=mode, digest_at=at, digest_due=due)

    async def set_on_hold(self, chat: ChatAddress, on: bool) -> None:
        async with self._engine.begin() as connection:
            await settings.update_chat(connection, chat, on_hold=on)

    async def due_digests(self, *, now: datetime) -> list[tuple[ChatAddress, ChatSettings]]:
        async with self._engine.begin() as connection:
            return await settings.due_digests(connection, now=now)

    async def advance_digest(self, chat: ChatAddress, *, was: datetime, due: datetime) -> None:
        async with self._engine.begin() as connection:
            await settings.advance_digest(connection, chat, was=was, due=due)

    # --- figures for the people who run the bot (read-only) ---
    async def ops_figures(self, *, now: datetime) -> OpsFigures:
        async with self._engine.connect() as connection:
            return await figures.ops_figures(connection, now=now)

    async def source_health(self, *, limit: int, offset: int = 0) -> tuple[int, list[SourceInfo]]:
        async with self._engine.connect() as connection:
            return await figures.source_health(connection, limit=limit, offset=offset)

    async def alerts_per_hour(self, *, now: datetime, hours: int) -> list[HourCount]:
        async with self._engine.connect() as connection:
            return await figures.alerts_per_hour(connection, now=now, hours=hours)

    async def alerts_per_topic(self, *, since: datetime, limit: int) -> list[tuple[str, int]]:
        async with self._engine.connect() as connection:
            return await figures.alerts_per_topic(connection, since=since, limit=limit)

    async def ping(self) -> None:
        """Raises if the database does not answer."""
        async with self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def schema_revision(self) -> str | None:
        async with self._engine.connect() as connection:
            return await figures.schema_revision(connection)


def _conforms_to_the_port(store: SqlStore) -> Store:
    # Never called: mypy --strict fails here if SqlStore stops matching the Store protocol.
    return store

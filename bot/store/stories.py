"""Story clusters across outlets, the sources that carried each story, and the queue of alert edits.

An article's `cluster_id` is the id of the first article of its story. A story is joined by a
near-identical report from any source (see `bot.alerts.same_story`) or by another source's item
linking the same canonical URL. Each source that carried a story has a `story_sources` row; when
one joins after alerts went out, every alert of the story gets an `alert_edits` row, and the edit
worker (`bot.delivery.edits`) rewrites the sent message to name the new outlet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.alerts.same_story import WINDOW, StoryIndex, StoryPrint, story_print
from bot.domain import Article, PendingAlert, PendingEdit
from bot.store.rows import ARTICLE_COLUMNS, article_from, chat_address, insert_for
from bot.store.tables import alert_edits, alerts, articles, chats, sources, story_sources

# Stories compared per ingest: the newest this many in the batch's 48-hour window. A busy
# install stores a few thousand stories in 48 hours; comparing is a set operation per pair.
MAX_CANDIDATES = 5000
CLUSTER_LOCK = 0x6E657773  # the PostgreSQL advisory lock that serialises cluster assignment


def lead_of(article: Article) -> str:
    return article.summary or article.body


# Story prints by what they are computed from: computing one costs ~0.3 ms and a busy install
# compares against thousands of stories per ingest, so each is computed once per process. Keyed by
# content, not row id, so that a cache outliving a database (tests, restores) is never wrong.
_PRINTS: dict[int, StoryPrint] = {}
_PRINTS_MAX = 50_000
_LEAD_CHARS = 720  # what story_print reads of a lead (60 words)


def _cached_print(title: str, lead: str, published: datetime) -> StoryPrint:
    key = hash((title, lead, published))
    found = _PRINTS.get(key)
    if found is None:
        if len(_PRINTS) >= _PRINTS_MAX:
            _PRINTS.pop(next(iter(_PRINTS)))  # the oldest computed goes first
        found = _PRINTS[key] = story_print(title, lead, published)
    return found


class Clusters:
    """The stories a batch of new articles may belong to, loaded once per ingest."""

    def __init__(self) -> None:
        self._index = StoryIndex()

    async def load(self, connection: AsyncConnection, batch: Sequence[Article]) -> None:
        if not batch:
            return
        if connection.dialect.name == "postgresql":
            # Two sources ingesting one story at the same moment must not both start a cluster
            # for it. Held to the end of the (short) ingest transaction; SQLite already runs one
            # writer at a time.
            await connection.execute(select(func.pg_advisory_xact_lock(CLUSTER_LOCK)))
        earliest = min(a.published for a in batch) - WINDOW
        latest = max(a.published for a in batch) + WINDOW
        query = (
            select(
                articles.c.cluster_id,
                articles.c.title,
                func.substr(articles.c.summary, 1, _LEAD_CHARS).label("summary"),
                func.substr(articles.c.body, 1, _LEAD_CHARS).label("body"),
                articles.c.published_at,
            )
            .where(articles.c.published_at.between(earliest, latest))
            .order_by(articles.c.published_at.desc(), articles.c.id.desc())
            .limit(MAX_CANDIDATES)
        )
        for row in await connection.execute(query):
            lead = row.summary or row.body or ""
            self._index.add(row.cluster_id, _cached_print(row.title, lead, row.published_at))

    def find(self, article: Article) -> int | None:
        return self._index.best(self._print(article))

    def add(self, cluster_id: int, article: Article) -> None:
        self._index.add(cluster_id, self._print(article))

    @staticmethod
    def _print(article: Article) -> StoryPrint:
        return _cached_print(article.title, lead_of(article)[:_LEAD_CHARS], article.published)


async def add_carrier(
    connection: AsyncConnection, cluster_id: int, source_url: str, at: datetime
) -> bool:
    """Record that `source_url` carried the story; True if it had not before."""
    statement = insert_for(connection, story_sources).values(
        cluster_id=cluster_id, source_url=source_url, seen_at=at
    )
    inserted = await connection.scalar(
        statement.on_conflict_do_nothing().returning(story_sources.c.id)
    )
    return inserted is not None


async def queue_edits(connection: AsyncConnection, cluster_id: int, at: datetime) -> int:
    """Every live alert of the story will be re-rendered with the current outlets."""
    query = select(alerts.c.id).where(
        alerts.c.cluster_id == cluster_id, alerts.c.status.in_(("pending", "sent"))
    )
    queued = 0
    for alert_id in (await connection.scalars(query)).all():
        statement = insert_for(connection, alert_edits).values(alert_id=alert_id, created_at=at)
        # Already queued, perhaps being applied right now: bump it so it is applied once more.
        upsert = statement.on_conflict_do_update(
            index_elements=[alert_edits.c.alert_id],
            set_={"version": alert_edits.c.version + 1, "not_before": None},
        )
        await connection.execute(upsert)
        queued += 1
    return queued


async def joined(
    connection: AsyncConnection, cluster_id: int, source_url: str, at: datetime
) -> int:
    """`source_url` carried story `cluster_id`: record it and queue edits if it is news."""
    if await add_carrier(connection, cluster_id, source_url, at):
        return await queue_edits(connection, cluster_id, at)
    return 0


async def carried_elsewhere(
    connection: AsyncConnection, source_url: str, urls: Iterable[str], at: datetime
) -> int:
    """Items of `source_url` whose canonical URL another source's story already has: the story
    gains this source as an outlet. Returns the number of edits queued."""
    wanted = sorted({u for u in urls if u})
    if not wanted:
        return 0
    query = select(articles.c.cluster_id).where(
        articles.c.url.in_(wanted), articles.c.source_url != source_url
    )
    queued = 0
    for cluster_id in sorted(set((await connection.scalars(query)).all())):
        queued += await joined(connection, cluster_id, source_url, at)
    return queued


async def outlets(connection: AsyncConnection, cluster_ids: Iterable[int]) -> dict[int, list[str]]:
    """Cluster id → the source URLs that carried it, first carrier first."""
    ids = sorted(set(cluster_ids))
    found: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    query = (
        select(story_sources.c.cluster_id, story_sources.c.source_url)
        .where(story_sources.c.cluster_id.in_(ids))
        .order_by(story_sources.c.seen_at, story_sources.c.id)
    )
    for row in await connection.execute(query):
        found[row.cluster_id].append(row.source_url)
    return found


async def source_names(connection: AsyncConnection, urls: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(urls))
    if not wanted:
        return {}
    rows = await connection.execute(
        select(sources.c.url, sources.c.name).where(sources.c.url.in_(wanted))
    )
    return {row.url: row.name for row in rows}


async def also_for(
    connection: AsyncConnection, wanted: Sequence[tuple[int, str]]
) -> list[tuple[str, ...]]:
    """For each (cluster id, the alerted article's source): the names of the other outlets that
    carried the story, in the order they carried it, without repeats."""
    carriers = await outlets(connection, (c for c, _ in wanted))
    names = await source_names(connection, (u for urls in carriers.values() for u in urls))
    result: list[tuple[str, ...]] = []
    for cluster_id, own in wanted:
        own_name = names.get(own, own)
        shown: list[str] = []
        for url in carriers.get(cluster_id, []):
            name = names.get(url, url)
            if url != own and name != own_name and name not in shown:
                shown.append(name)
        result.append(tuple(shown))
    return result


async def record_also(
    connection: AsyncConnection, rows: Sequence[tuple[int, int, str]]
) -> dict[int, tuple[str, ...]]:
    """For alerts about to be sent, as (alert id, cluster id, article source): the outlets the
    message will name, saved as what it shows."""
    also = await also_for(connection, [(c, s) for _, c, s in rows])
    shown = {alert_id: names for (alert_id, _, _), names in zip(rows, also, strict=True)}
    for alert_id, names in shown.items():
        await connection.execute(
            update(alerts).where(alerts.c.id == alert_id).values(also_shown=list(names))
        )
    return shown


async def claim_edits(
    connection: AsyncConnection, limit: int, *, now: datetime, lease_seconds: float
) -> list[PendingEdit]:
    """Due edits of sent alerts in chats that are neither paused nor held, under a lease. Edits of
    alerts that will never be sent (failed, dropped) are deleted; those of pending alerts wait."""
    # Scans the (small) edit queue, not the alerts table.
    dead = (
        select(alert_edits.c.alert_id)
        .join(alerts, alerts.c.id == alert_edits.c.alert_id)
        .where(alerts.c.status.in_(("failed", "dropped")))
    )
    await connection.execute(delete(alert_edits).where(alert_edits.c.alert_id.in_(dead)))
    query = (
        select(
            alert_edits.c.id.label("edit_id"),
            alert_edits.c.attempts.label("edit_attempts"),
            alert_edits.c.version.label("edit_version"),
            alerts.c.id,
            alerts.c.topic,
            alerts.c.terms,
            alerts.c.attempts,
            alerts.c.subscription_id,
            alerts.c.cluster_id,
            alerts.c.message_ref,
            alerts.c.also_shown,
            chats.c.link_preview,
            chats.c.platform,
            chats.c.chat,
            chats.c.thread,
            *ARTICLE_COLUMNS,
        )
        .select_from(
            alert_edits.join(alerts, alerts.c.id == alert_edits.c.alert_id)
            .join(chats, chats.c.id == alerts.c.chat_id)
            .join(articles, articles.c.id == alerts.c.article_id)
            .join(sources, sources.c.url == articles.c.source_url)
        )
        .where(
            alerts.c.status == "sent",
            alerts.c.message_ref.is_not(None),
            chats.c.paused == false(),
            or_(chats.c.hold_until.is_(None), chats.c.hold_until <= now),
            or_(alert_edits.c.not_before.is_(None), alert_edits.c.not_before <= now),
            or_(alert_edits.c.lease_until.is_(None), alert_edits.c.lease_until <= now),
        )
        .order_by(alert_edits.c.created_at, alert_edits.c.id)
        .limit(limit)
        .with_for_update(of=alert_edits, skip_locked=True, key_share=True)
    )
    rows = (await connection.execute(query)).all()
    if not rows:
        return []
    await connection.execute(
        update(alert_edits)
        .where(alert_edits.c.id.in_([row.edit_id for row in rows]))
        .values(
            lease_until=now + timedelta(seconds=lease_seconds),
            attempts=alert_edits.c.attempts + 1,
        )
    )
    also = await also_for(connection, [(row.cluster_id, row.source_url) for row in rows])
    return [
        PendingEdit(
            id=row.edit_id,
            alert=PendingAlert(
                id=row.id,
                chat=chat_address(row.platform, row.chat, row.thread),
                article=article_from(row),
                topic=row.topic,
                attempts=row.attempts,
                terms=tuple(row.terms),
                subscription_id=row.subscription_id,
                link_preview=row.link_preview,
                also=names,
            ),
            message_ref=row.message_ref,
            also_shown=tuple(row.also_shown or ()),
            attempts=row.edit_attempts + 1,
            version=row.edit_version,
        )
        for row, names in zip(rows, also, strict=True)
    ]


async def finish_edit(
    connection: AsyncConnection, edit_id: int, alert_id: int, also: Sequence[str], version: int
) -> None:
    """The message now names `also` (or already did). If another outlet joined since the edit was
    claimed (its version moved on), the edit stays queued and due at once."""
    await connection.execute(
        update(alerts).where(alerts.c.id == alert_id).values(also_shown=list(also))
    )
    await connection.execute(
        delete(alert_edits).where(alert_edits.c.id == edit_id, alert_edits.c.version == version)
    )
    await connection.execute(
        update(alert_edits)
        .where(alert_edits.c.id == edit_id)
        .values(lease_until=None, not_before=None, attempts=0)
    )


async def retry_edit(
    connection: AsyncConnection, edit_id: int, *, not_before: datetime, error: str
) -> None:
    await connection.execute(
        update(alert_edits)
        .where(alert_edits.c.id == edit_id)
        .values(not_before=not_before, lease_until=None, last_error=error)
    )


async def drop_edit(connection: AsyncConnection, edit_id: int) -> None:
    await connection.execute(delete(alert_edits).where(alert_edits.c.id == edit_id))


__all__ = [
    "Clusters",
    "add_carrier",
    "also_for",
    "carried_elsewhere",
    "claim_edits",
    "drop_edit",
    "finish_edit",
    "joined",
    "record_also",
    "retry_edit",
    "story_source_names",
]


async def story_source_names(connection: AsyncConnection, article_key: str) -> list[str]:
    cluster_id = await connection.scalar(
        select(articles.c.cluster_id).where(articles.c.key == article_key)
    )
    if cluster_id is None:
        return []
    carriers = (await outlets(connection, [cluster_id]))[cluster_id]
    names = await source_names(connection, carriers)
    return [names.get(url, url) for url in carriers]

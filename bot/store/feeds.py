"""Sources and articles, and the one-transaction ingest of a poll's results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import Article, SourceInfo
from bot.store import stories
from bot.store.ports import AlertPlanner, IngestResult, NewAlert, SourceState
from bot.store.rows import article_from, insert_for, select_articles
from bot.store.sourcing import audience, source_info, sync_configured
from bot.store.tables import alerts, articles, chats, sources, subscriptions

# Used only when a poll result arrives for a source nobody registered with upsert_source.
DEFAULT_INTERVAL = 900.0


async def upsert_source(connection: AsyncConnection, url: str, name: str, interval: float) -> None:
    statement = insert_for(connection, sources).values(url=url, name=name, interval=interval)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[sources.c.url],
            set_={"name": name, "interval": interval, "active": True},
        )
    )


async def sync_sources(connection: AsyncConnection, watched: Sequence[SourceInfo]) -> None:
    for source in watched:
        await upsert_source(connection, source.url, source.name, source.interval)
    await sync_configured(connection, [s.url for s in watched])


async def source_state(connection: AsyncConnection, url: str) -> SourceState:
    query = select(sources.c.etag, sources.c.last_modified, sources.c.baselined)
    row = (await connection.execute(query.where(sources.c.url == url))).first()
    if row is None:
        return SourceState(etag=None, last_modified=None, baselined=False)
    return SourceState(etag=row.etag, last_modified=row.last_modified, baselined=row.baselined)


async def list_sources(connection: AsyncConnection) -> list[SourceInfo]:
    rows = await connection.execute(select(sources).where(sources.c.active).order_by(sources.c.id))
    return [source_info(row) for row in rows]


async def record_poll_error(
    connection: AsyncConnection, url: str, error: str, *, at: datetime
) -> None:
    await _ensure_source(connection, url, url)
    await connection.execute(
        update(sources).where(sources.c.url == url).values(last_error=error, last_polled_at=at)
    )


async def recent_articles(connection: AsyncConnection, limit: int) -> list[Article]:
    query = select_articles().order_by(articles.c.published_at.desc(), articles.c.id.desc())
    return [article_from(row) for row in await connection.execute(query.limit(limit))]


async def _ensure_source(connection: AsyncConnection, url: str, name: str) -> None:
    statement = insert_for(connection, sources).values(
        url=url, name=name, interval=DEFAULT_INTERVAL
    )
    await connection.execute(statement.on_conflict_do_nothing())


@dataclass
class _Seen:
    """Identities already stored or already taken earlier in this batch."""

    keys: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    guids: set[str] = field(default_factory=set)

    def has(self, article: Article) -> bool:
        return (
            article.key in self.keys
            or (bool(article.url) and article.url in self.urls)
            or (article.guid is not None and article.guid in self.guids)
        )

    def add(self, key: str, url: str | None, guid: str | None) -> None:
        self.keys.add(key)
        if url:  # an entry without a link shares no identity with other link-less entries
            self.urls.add(url)
        if guid is not None:
            self.guids.add(guid)


async def _already_stored(
    connection: AsyncConnection, source_url: str, batch: Sequence[Article]
) -> _Seen:
    seen = _Seen()
    if not batch:
        return seen
    guids = [a.guid for a in batch if a.guid is not None]
    query = select(articles.c.key, articles.c.url, articles.c.guid, articles.c.source_url).where(
        or_(
            articles.c.key.in_([a.key for a in batch]),
            articles.c.url.in_([a.url for a in batch if a.url]),
            and_(articles.c.source_url == source_url, articles.c.guid.in_(guids)),
        )
    )
    for row in await connection.execute(query):
        # A GUID only identifies a story within its own source.
        seen.add(row.key, row.url, row.guid if row.source_url == source_url else None)
    return seen


async def unseen_keys(
    connection: AsyncConnection, source_url: str, batch: Sequence[Article]
) -> set[str]:
    seen = await _already_stored(connection, source_url, batch)
    return {a.key for a in batch if not seen.has(a)}


@dataclass(frozen=True, slots=True)
class _Target:
    chat_id: int
    topic: str
    paused: bool
    muted_until: datetime | None
    platform: str


class _Targets:
    """Subscription id → where its alerts go, loaded on demand and cached for one ingest."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._known: dict[int, _Target | None] = {}

    async def get(self, ids: Iterable[int]) -> dict[int, _Target | None]:
        missing = {i for i in ids if i not in self._known}
        if missing:
            query = (
                select(
                    subscriptions.c.id,
                    subscriptions.c.chat_id,
                    subscriptions.c.topic,
                    chats.c.paused,
                    subscriptions.c.muted_until,
                    chats.c.platform,
                )
                .join(chats, chats.c.id == subscriptions.c.chat_id)
                .where(subscriptions.c.id.in_(missing))
            )
            found = {
                r.id: _Target(r.chat_id, r.topic, r.paused, r.muted_until, r.platform)
                for r in await self._connection.execute(query)
            }
            # An id that vanished (unsubscribed meanwhile) is remembered as None: nothing to send.
            self._known.update({i: found.get(i) for i in missing})
        return self._known


async def _queue_alerts(
    connection: AsyncConnection,
    targets: _Targets,
    article_id: int,
    cluster_id: int,
    planned: Sequence[NewAlert],
    at: datetime,
    allowed: set[int] | None,
) -> Counter[str]:
    """Queue the planned alerts; returns how many were queued per chat platform."""
    known = await targets.get(p.subscription_id for p in planned)
    queued: Counter[str] = Counter()
    chats_done: set[int] = set()
    for plan in planned:
        target = known[plan.subscription_id]
        if target is None or target.paused or target.chat_id in chats_done:
            continue
        if allowed is not None and target.chat_id not in allowed:
            continue  # a chat-added source alerts only the chats that added it
        if target.muted_until is not None and target.muted_until > at:
            continue
        chats_done.add(target.chat_id)
        statement = insert_for(connection, alerts).values(
            chat_id=target.chat_id,
            article_id=article_id,
            cluster_id=cluster_id,
            subscription_id=plan.subscription_id,
            topic=target.topic,
            terms=list(plan.terms),
            created_at=at,
        )
        inserted = await connection.scalar(
            statement.on_conflict_do_nothing().returning(alerts.c.id)
        )
        if inserted is not None:
            queued[target.platform] += 1
    return queued


async def ingest(
    connection: AsyncConnection,
    source_url: str,
    batch: Sequence[Article],
    plan_alerts: AlertPlanner,
    *,
    etag: str | None,
    last_modified: str | None,
    at: datetime,
) -> IngestResult:
    """See `Store.ingest`. Runs inside the caller's transaction and relies on it for atomicity."""
    await _ensure_source(connection, source_url, batch[0].source_name if batch else source_url)
    # FOR NO KEY UPDATE serialises concurrent ingests of one source on PostgreSQL (SQLite ignores
    # it and is already serialised by BEGIN IMMEDIATE). Every row lock in the store is the NO KEY
    # kind: it never waits for the KEY SHARE locks other transactions' foreign keys take, so an
    # ingest that files a story under another source cannot deadlock with that source's ingest.
    baselined = await connection.scalar(
        select(sources.c.baselined)
        .where(sources.c.url == source_url)
        .with_for_update(key_share=True)
    )
    seen = await _already_stored(connection, source_url, batch)
    targets = _Targets(connection)
    allowed = await audience(connection, source_url)
    clusters = stories.Clusters()
    await clusters.load(connection, [a for a in batch if not seen.has(a)])
    new: list[Article] = []
    seen_urls: list[str] = []
    queued: Counter[str] = Counter()
    edits = 0
    for article in batch:
        if seen.has(article):
            seen_urls.append(article.url)
            continue
        seen.add(article.key, article.url, article.guid)
        cluster_id = clusters.find(article)
        statement = insert_for(connection, articles).values(
            key=article.key,
            source_url=source_url,
            guid=article.guid,
            url=article.url or None,  # NULLs never collide in the UNIQUE constraint
            title=article.title,
            summary=article.summary,
            body=article.body or None,
            published_at=article.published,
            seen_at=at,
            cluster_id=cluster_id,
        )
        # DO NOTHING covers a concurrent writer that stored the same story since we looked.
        article_id = await connection.scalar(
            statement.on_conflict_do_nothing().returning(articles.c.id)
        )
        if article_id is None:
            continue
        if cluster_id is None:  # a story of its own
            cluster_id = article_id
            await connection.execute(
                update(articles).where(articles.c.id == article_id).values(cluster_id=article_id)
            )
        clusters.add(cluster_id, article)
        edits += await stories.joined(connection, cluster_id, source_url, at)
        new.append(article)
        if baselined:
            planned = plan_alerts(article)
            queued += await _queue_alerts(
                connection, targets, article_id, cluster_id, planned, at, allowed
            )
    # The same canonical URL from another source: one story, and one more outlet carrying it.
    edits += await stories.carried_elsewhere(connection, source_url, seen_urls, at)
    await connection.execute(
        update(sources)
        .where(sources.c.url == source_url)
        .values(
            etag=etag,
            last_modified=last_modified,
            baselined=True,
            last_polled_at=at,
            last_error=None,
        )
    )
    return IngestResult(
        new_articles=tuple(new),
        alerts_queued=queued.total(),
        edits_queued=edits,
        queued_by_platform=dict(queued),
    )

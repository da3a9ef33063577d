"""Read-only figures for the people who run the bot: /metrics, the status page and /stats.

Each is read when asked (a scrape, a page view), so every process shows the same numbers. They
must stay cheap at 50,000 sources and millions of alerts: the alert queries use the indexes on
`(status, created_at)` and `created_at`; the source and chat counts read tables of one row per
source or chat.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, case, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain import HourCount, OpsFigures, PlatformFigures, SourceInfo
from bot.store.sourcing import source_info
from bot.store.tables import alerts, chats, sources, subscriptions

_PARKED = sources.c.parked_at.is_not(None)
_FAILING = (sources.c.failures > 0) | sources.c.last_error.is_not(None)


async def ops_figures(connection: AsyncConnection, *, now: datetime) -> OpsFigures:
    by_state = select(
        func.count(),
        func.sum(case((_PARKED, 1), else_=0)),
        func.sum(case((~_PARKED & _FAILING, 1), else_=0)),
    ).where(sources.c.active)
    total, parked, failing = (await connection.execute(by_state)).one()
    subs = await connection.scalar(select(func.count()).select_from(subscriptions))
    platforms: dict[str, dict[str, Any]] = {}
    chat_counts = (
        select(
            chats.c.platform,
            func.count(),
            func.sum(case((chats.c.hold_until > now, 1), else_=0)),
        )
        .where(~chats.c.paused)
        .group_by(chats.c.platform)
    )
    for platform, count, held in await connection.execute(chat_counts):
        platforms.setdefault(platform, {}).update(chats=count, held=int(held or 0))
    # Pending alerts are few next to sent ones; the (status, created_at) index finds them.
    queue = (
        select(chats.c.platform, func.count(), func.min(alerts.c.created_at))
        .select_from(alerts.join(chats, chats.c.id == alerts.c.chat_id))
        .where(alerts.c.status == "pending")
        .group_by(chats.c.platform)
    )
    for platform, count, oldest in await connection.execute(queue):
        platforms.setdefault(platform, {}).update(queued=count, oldest=_utc(oldest))
    parked, failing = int(parked or 0), int(failing or 0)
    return OpsFigures(
        at=now,
        sources_ok=int(total) - parked - failing,
        sources_failing=failing,
        sources_parked=parked,
        subscriptions=int(subs or 0),
        platforms=tuple(
            PlatformFigures(platform=name, **values) for name, values in sorted(platforms.items())
        ),
    )


async def source_health(
    connection: AsyncConnection, *, limit: int, offset: int = 0
) -> tuple[int, list[SourceInfo]]:
    """The active sources, parked ones first, then failing ones (most failures first), then the
    rest in the order they were added; and how many there are in all."""
    total = await connection.scalar(select(func.count()).where(sources.c.active))
    rank = case((_PARKED, 0), (_FAILING, 1), else_=2)
    query = (
        select(sources)
        .where(sources.c.active)
        .order_by(rank, sources.c.failures.desc(), sources.c.id)
        .limit(limit)
        .offset(offset)
    )
    return int(total or 0), [source_info(row) for row in await connection.execute(query)]


def _hour_number(connection: AsyncConnection, column: Any) -> Any:
    """Hours since the epoch, in SQL: buckets that do not depend on the session's time zone."""
    if connection.dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / 3600), Integer)
    # SQLite keeps these as UTC text (see UtcDateTime); strftime('%s') reads them as UTC.
    return cast(func.strftime("%s", column), Integer) / 3600


async def alerts_per_hour(
    connection: AsyncConnection, *, now: datetime, hours: int
) -> list[HourCount]:
    """Alerts queued in each of the last `hours` hours (the current one last), by status."""
    this_hour = int(now.timestamp()) // 3600
    first = this_hour - hours + 1
    since = datetime.fromtimestamp(first * 3600, UTC)
    hour = _hour_number(connection, alerts.c.created_at).label("hour")
    query = (
        select(hour, alerts.c.status, func.count())
        .where(alerts.c.created_at >= since)
        .group_by(hour, alerts.c.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for number, status, count in await connection.execute(query):
        kind = status if status in ("sent", "pending") else "failed"
        bucket = counts.setdefault(int(number), {})
        bucket[kind] = bucket.get(kind, 0) + int(count)
    return [
        HourCount(hour=datetime.fromtimestamp(n * 3600, UTC), **counts.get(n, {}))
        for n in range(first, this_hour + 1)
    ]


async def alerts_per_topic(
    connection: AsyncConnection, *, since: datetime, limit: int
) -> list[tuple[str, int]]:
    """The topics with the most alerts queued since `since`, most first."""
    count = func.count().label("n")
    query = (
        select(alerts.c.topic, count)
        .where(alerts.c.created_at >= since)
        .group_by(alerts.c.topic)
        .order_by(count.desc(), alerts.c.topic)
        .limit(limit)
    )
    return [(topic, int(n)) for topic, n in await connection.execute(query)]


async def schema_revision(connection: AsyncConnection) -> str | None:
    """The migration the database is at (Alembic's record), or None before the first one."""
    result = await connection.execute(text("SELECT version_num FROM alembic_version"))
    row = result.first()
    return None if row is None else str(row[0])


def _utc(value: Any) -> datetime | None:
    # min() over a column comes back through no type decorator: plain text on SQLite.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

"""WebSub subscriptions (`push_subscriptions`): the `PushStore` port of `bot.push`, on the same
engine as `SqlStore`. Every method is one short transaction; none is held across a hub request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.push.ports import PushSubscription
from bot.store.rows import insert_for
from bot.store.tables import push_subscriptions as subs
from bot.store.tables import sources

_COLUMNS = (subs, sources.c.name, sources.c.configured, sources.c.active)


def _subscription(row: Any) -> PushSubscription:
    return PushSubscription(
        source_url=row.source_url,
        callback_id=row.callback_id,
        callback=row.callback,
        hub=row.hub,
        topic=row.topic,
        secret=row.secret,
        state=row.state,
        attempts=row.attempts,
        lease_seconds=row.lease_seconds,
        expires_at=row.expires_at,
        next_action_at=row.next_action_at,
        requested_at=row.requested_at,
        verified_at=row.verified_at,
        last_error=row.last_error,
        source_name=row.name,
        trusted=row.configured,
        source_active=row.active,
    )


def _joined() -> Any:
    return select(*_COLUMNS).join(sources, sources.c.url == subs.c.source_url)


async def _poll_soon(connection: AsyncConnection, callback_id: str, at: datetime) -> None:
    """The subscription no longer pushes: its source goes back to its own interval, from now."""
    url = select(subs.c.source_url).where(subs.c.callback_id == callback_id).scalar_subquery()
    await connection.execute(
        update(sources)
        .where(
            sources.c.url == url, or_(sources.c.next_poll_at.is_(None), sources.c.next_poll_at > at)
        )
        .values(next_poll_at=at)
    )


class SqlPushStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def push_subscription(self, source_url: str) -> PushSubscription | None:
        async with self._engine.begin() as connection:
            row = (
                await connection.execute(_joined().where(subs.c.source_url == source_url))
            ).first()
        return _subscription(row) if row else None

    async def push_by_callback(self, callback_id: str) -> PushSubscription | None:
        async with self._engine.begin() as connection:
            query = _joined().where(subs.c.callback_id == callback_id)
            row = (await connection.execute(query)).first()
        return _subscription(row) if row else None

    async def push_requested(
        self, sub: PushSubscription, *, at: datetime, wait_until: datetime
    ) -> None:
        async with self._engine.begin() as connection:
            same = await connection.execute(
                update(subs)
                .where(subs.c.callback_id == sub.callback_id)
                .values(
                    state=case((subs.c.state == "active", "active"), else_="requested"),
                    requested_at=at,
                    next_action_at=wait_until,
                )
            )
            if same.rowcount:
                return
            fresh = {
                "callback_id": sub.callback_id,
                "callback": sub.callback,
                "hub": sub.hub,
                "topic": sub.topic,
                "secret": sub.secret,
                "state": "requested",
                "lease_seconds": None,
                "expires_at": None,
                "next_action_at": wait_until,
                "attempts": 0,
                "requested_at": at,
                "verified_at": None,
                "last_error": None,
            }
            statement = insert_for(connection, subs).values(source_url=sub.source_url, **fresh)
            await connection.execute(
                statement.on_conflict_do_update(index_elements=[subs.c.source_url], set_=fresh)
            )

    async def push_request_failed(
        self, callback_id: str, error: str, *, at: datetime, retry_at: datetime, lapsed: bool
    ) -> None:
        branches: list[tuple[Any, str]] = [(subs.c.state == "unsubscribing", "unsubscribing")]
        if not lapsed:  # a renewal failed, but the lease still runs
            branches.append((subs.c.state == "active", "active"))
        async with self._engine.begin() as connection:
            if lapsed:
                await _poll_soon(connection, callback_id, at)
            await connection.execute(
                update(subs)
                .where(subs.c.callback_id == callback_id)
                .values(
                    state=case(*branches, else_="failed"),
                    attempts=subs.c.attempts + 1,
                    last_error=error,
                    next_action_at=retry_at,
                )
            )

    async def push_verified(
        self, callback_id: str, lease_seconds: int, *, at: datetime, renew_at: datetime
    ) -> bool:
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(subs)
                .where(subs.c.callback_id == callback_id, subs.c.state.in_(("requested", "active")))
                .values(
                    state="active",
                    lease_seconds=lease_seconds,
                    expires_at=at + timedelta(seconds=lease_seconds),
                    verified_at=at,
                    attempts=0,
                    last_error=None,
                    next_action_at=renew_at,
                )
            )
        return bool(result.rowcount)

    async def push_denied(self, callback_id: str, reason: str, *, at: datetime) -> None:
        async with self._engine.begin() as connection:
            await _poll_soon(connection, callback_id, at)
            await connection.execute(
                update(subs)
                .where(subs.c.callback_id == callback_id)
                .values(
                    state="denied",
                    last_error=f"the hub denied the subscription: {reason}"
                    if reason
                    else "the hub denied the subscription",
                    expires_at=None,
                    next_action_at=None,
                )
            )

    async def push_unsubscribing(
        self, callback_id: str, *, at: datetime, wait_until: datetime
    ) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(subs)
                .where(subs.c.callback_id == callback_id)
                .values(
                    # Asked again while leaving: it counts, so a silent hub is given up on.
                    attempts=case((subs.c.state == "unsubscribing", subs.c.attempts + 1), else_=0),
                    state="unsubscribing",
                    requested_at=at,
                    next_action_at=wait_until,
                )
            )

    async def push_removed(self, callback_id: str, *, at: datetime) -> None:
        async with self._engine.begin() as connection:
            await _poll_soon(connection, callback_id, at)
            await connection.execute(delete(subs).where(subs.c.callback_id == callback_id))

    async def push_moved(self, base: str, *, at: datetime) -> int:
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(subs)
                .where(
                    ~subs.c.callback.startswith(base, autoescape=True),
                    or_(subs.c.next_action_at.is_(None), subs.c.next_action_at > at),
                )
                .values(next_action_at=at)
            )
        return int(result.rowcount)

    async def push_due(self, now: datetime, limit: int) -> list[PushSubscription]:
        query = (
            _joined()
            .where(
                or_(
                    subs.c.next_action_at <= now,
                    and_(~sources.c.active, subs.c.state != "unsubscribing"),
                )
            )
            .order_by(subs.c.next_action_at, subs.c.id)
            .limit(limit)
        )
        async with self._engine.begin() as connection:
            return [_subscription(row) for row in await connection.execute(query)]

    async def push_next_due(self) -> datetime | None:
        async with self._engine.begin() as connection:
            when: datetime | None = await connection.scalar(select(func.min(subs.c.next_action_at)))
        return when

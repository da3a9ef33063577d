"""What the Slack adapter keeps: installs per workspace, handled event ids, OAuth states, and the
workspace-wide operations (pause every channel, forget a workspace).

Slack chats are stored as `ChatAddress("slack", "TEAM:CHANNEL")`, so a workspace's chats are the
rows whose `chat` starts with `TEAM:`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.domain import ChatAddress
from bot.store.chats import set_chat_paused
from bot.store.rows import chat_address, insert_for
from bot.store.tables import (
    alerts,
    chats,
    slack_events,
    slack_installations,
    slack_oauth_states,
    subscriptions,
)

PLATFORM = "slack"
EVENT_MEMORY = timedelta(days=1)  # Slack gives up retrying an event within the hour


def _workspace_chats(team_id: str) -> Any:
    # LIKE would treat `_` and `%` in ids as wildcards; a prefix comparison has no such surprise.
    prefix = f"{team_id}:"
    return (chats.c.platform == PLATFORM) & (chats.c.chat.between(prefix, prefix + "\U0010ffff"))


async def workspace_chats(connection: AsyncConnection, team_id: str) -> list[ChatAddress]:
    rows = await connection.execute(
        select(chats.c.platform, chats.c.chat, chats.c.thread)
        .where(_workspace_chats(team_id))
        .order_by(chats.c.id)
    )
    return [chat_address(r.platform, r.chat, r.thread) for r in rows]


class SlackStore:
    """One transaction per method, on the bot's own engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def remember_event(self, event_id: str, *, at: datetime) -> bool:
        """True the first time `event_id` is seen, False for a retry of a handled event."""
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(slack_events).where(slack_events.c.received_at < at - EVENT_MEMORY)
            )
            inserted = await connection.scalar(
                insert_for(connection, slack_events)
                .values(event_id=event_id, received_at=at)
                .on_conflict_do_nothing()
                .returning(slack_events.c.event_id)
            )
            return inserted is not None

    async def pause_workspace(self, team_id: str, reason: str) -> list[ChatAddress]:
        """Pause every chat of the workspace (dropping its queued alerts); returns them."""
        async with self._engine.begin() as connection:
            found = await workspace_chats(connection, team_id)
            for chat in found:
                await set_chat_paused(connection, chat, True, reason=reason)
            return found

    async def forget_workspace(self, team_id: str) -> int:
        """Delete the workspace's chats, subscriptions, queued alerts and install; returns the
        number of chats removed."""
        async with self._engine.begin() as connection:
            ids = select(chats.c.id).where(_workspace_chats(team_id)).scalar_subquery()
            await connection.execute(delete(alerts).where(alerts.c.chat_id.in_(ids)))
            await connection.execute(delete(subscriptions).where(subscriptions.c.chat_id.in_(ids)))
            result = await connection.execute(delete(chats).where(_workspace_chats(team_id)))
            await connection.execute(
                delete(slack_installations).where(
                    (slack_installations.c.team_id == team_id)
                    | (slack_installations.c.workspace == team_id)
                )
            )
            return int(result.rowcount)

    # --- installations (OAuth mode) ---
    async def save_installation(
        self,
        workspace: str,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        bot_token: str | None,
        data: dict[str, Any],
        at: datetime,
    ) -> None:
        values = {
            "enterprise_id": enterprise_id,
            "team_id": team_id,
            "bot_token": bot_token,
            "data": data,
            "installed_at": at,
        }
        async with self._engine.begin() as connection:
            statement = insert_for(connection, slack_installations).values(
                workspace=workspace, **values
            )
            await connection.execute(
                statement.on_conflict_do_update(index_elements=["workspace"], set_=values)
            )

    async def find_installation(self, workspace: str) -> dict[str, Any] | None:
        async with self._engine.begin() as connection:
            data = await connection.scalar(
                select(slack_installations.c.data).where(
                    slack_installations.c.workspace == workspace
                )
            )
            return dict(data) if data is not None else None

    async def delete_installation(self, workspace: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(slack_installations).where(slack_installations.c.workspace == workspace)
            )

    # --- OAuth state ---
    async def issue_state(self, state: str, *, expires_at: datetime) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                slack_oauth_states.insert().values(state=state, expires_at=expires_at)
            )

    async def consume_state(self, state: str, *, now: datetime) -> bool:
        """True once for a state that was issued and has not expired."""
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(slack_oauth_states).where(slack_oauth_states.c.expires_at < now)
            )
            result = await connection.execute(
                delete(slack_oauth_states).where(slack_oauth_states.c.state == state)
            )
            return result.rowcount > 0

"""slack_sdk's async installation and OAuth-state stores, kept in newsbot's own database.

slack_sdk ships SQLAlchemy stores only for synchronous engines; these adapt `SlackStore` (on the
bot's async engine) to the interfaces bolt's OAuth flow and authorisation call. One install is kept
per workspace (the newest): the bot needs only the bot token, never users' tokens.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.store.slack import SlackStore

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def workspace_key(enterprise_id: str | None, team_id: str | None) -> str:
    # An org-wide install has no team; its token serves every workspace of the enterprise.
    return team_id or enterprise_id or ""


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.timestamp() if isinstance(v, datetime) else v) for k, v in data.items()}


class DbInstallationStore(AsyncInstallationStore):
    def __init__(
        self, store: SlackStore, *, on_save: Callable[[str], None] = lambda team: None
    ) -> None:
        self._store = store
        self._on_save = on_save

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        key = workspace_key(installation.enterprise_id, installation.team_id)
        await self._store.save_installation(
            key,
            enterprise_id=installation.enterprise_id,
            team_id=installation.team_id,
            bot_token=installation.bot_token,
            data=_jsonable(installation.to_dict()),
            at=_now(),
        )
        log.info("slack: workspace %s installed the app", key)
        self._on_save(key)

    async def async_save_bot(self, bot: Bot) -> None:
        # Bots are saved as part of their installation (async_save); nothing separate to keep.
        return None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        data = await self._find(enterprise_id, team_id, is_enterprise_install)
        return Installation(**data) if data is not None else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        data = await self._find(enterprise_id, team_id, is_enterprise_install)
        if data is None or not data.get("bot_token"):
            return None
        return Installation(**data).to_bot()

    async def _find(
        self, enterprise_id: str | None, team_id: str | None, org_wide: bool | None
    ) -> dict[str, Any] | None:
        if org_wide:
            return await self._store.find_installation(enterprise_id or "")
        found = await self._store.find_installation(workspace_key(enterprise_id, team_id))
        if found is None and enterprise_id:
            found = await self._store.find_installation(enterprise_id)
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._store.delete_installation(workspace_key(enterprise_id, team_id))

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        if user_id is None:  # a user's token going away leaves the bot's install in place
            await self._store.delete_installation(workspace_key(enterprise_id, team_id))


class DbStateStore(AsyncOAuthStateStore):
    """Each `state` works once, within `expiration_seconds`: replayed callbacks are refused."""

    def __init__(self, store: SlackStore, *, expiration_seconds: float = 600.0) -> None:
        self._store = store
        self._ttl = timedelta(seconds=expiration_seconds)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        await self._store.issue_state(state, expires_at=_now() + self._ttl)
        return state

    async def async_consume(self, state: str) -> bool:
        return await self._store.consume_state(state, now=_now())

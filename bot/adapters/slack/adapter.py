"""`SlackChat`: the `ChatAdapter` for Slack, on slack-bolt's async app.

Three ways to run, picked from the settings:
- one workspace, bot token, HTTP: bolt verifies every request's signature (401 otherwise) on an
  aiohttp server at `/slack/events`;
- one workspace, bot token, Socket Mode (an app-level token): no public URL needed;
- many workspaces through OAuth (`/slack/install`): the tokens live in our database.

Chats are `ChatAddress("slack", "TEAM:CHANNEL")`; the team picks the workspace's token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import ChatPort
from bot.adapters.slack.errors import delivery_error, error_code, is_workspace_error
from bot.adapters.slack.installs import DbInstallationStore, DbStateStore
from bot.adapters.slack.listeners import Bridge, register, split_chat
from bot.adapters.slack.render import alert_blocks, digest_blocks, fallback_text, notice_text
from bot.domain import AlertMessage, ChatAddress
from bot.errors import ChatGone, ConfigError, DeliveryError, DeliveryUncertain
from bot.store.slack import SlackStore

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# What the bot needs: post, answer ephemerally, hear mentions, tell admins from members.
BOT_SCOPES = ("chat:write", "commands", "app_mentions:read", "users:read")


@dataclass(frozen=True, slots=True)
class SlackSettings:
    bot_token: str | None = None  # single-workspace mode
    signing_secret: str | None = None  # HTTP mode
    app_token: str | None = None  # Socket Mode
    client_id: str | None = None  # OAuth (multi-workspace) mode, with client_secret
    client_secret: str | None = None
    api_url: str = DEFAULT_API_URL
    host: str = "0.0.0.0"
    port: int = 3000  # 0: any free port (tests); `SlackChat.port` tells which
    timeout: float = 30.0  # seconds per Web API call

    @property
    def oauth(self) -> bool:
        return self.client_id is not None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SlackChat:
    platform = "slack"

    def __init__(self, settings: SlackSettings, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self._settings = settings
        self._clock = clock
        self._store: SlackStore | None = None
        self._port: ChatPort | None = None
        self._app: AsyncApp | None = None
        self._runner: web.AppRunner | None = None
        self._socket: Any = None
        self._clients: dict[str, AsyncWebClient] = {}
        self._installs: DbInstallationStore | None = None
        self._dead_teams: set[str] = set()  # workspaces whose token Slack refused
        self.team_id: str | None = None  # single-workspace mode: learnt from auth.test
        self.port: int | None = None  # the HTTP port actually listened on

    def use_database(self, engine: AsyncEngine) -> None:
        """Keep installs and handled event ids in the bot's database. Call before `start`."""
        self._store = SlackStore(engine)

    def _bolt_client(self, token: str | None) -> AsyncWebClient:
        # No retry handlers: the outbox owns retries, and a retried post could double an alert.
        return AsyncWebClient(
            token=token,
            base_url=self._settings.api_url,
            timeout=int(max(1, self._settings.timeout)),
            retry_handlers=[],
        )

    def _build_app(self, store: SlackStore) -> AsyncApp:
        s = self._settings
        if s.oauth:
            installs = DbInstallationStore(store, on_save=self._dead_teams.discard)
            oauth = AsyncOAuthSettings(
                client_id=s.client_id,
                client_secret=s.client_secret,
                scopes=list(BOT_SCOPES),
                installation_store=installs,
                installation_store_bot_only=True,
                state_store=DbStateStore(store),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
            )
            self._installs = installs
            return AsyncApp(
                signing_secret=s.signing_secret or "",
                client=self._bolt_client(None),
                oauth_settings=oauth,
                request_verification_enabled=s.app_token is None,
            )
        return AsyncApp(
            client=self._bolt_client(s.bot_token),
            signing_secret=s.signing_secret or "",
            # Socket Mode traffic is not signed; the app-level token authenticates it instead.
            request_verification_enabled=s.app_token is None,
        )

    async def start(self, port: ChatPort) -> None:
        if self._store is None:
            raise RuntimeError("SlackChat.use_database(engine) must be called before start()")
        self._port = port
        store = self._store
        if not self._settings.oauth:
            try:
                auth = await self._client_for("").auth_test()
            except SlackApiError as e:
                why = error_code(e.response.data) or f"HTTP {e.response.status_code}"
                raise ConfigError(
                    "NEWSBOT_SLACK_BOT_TOKEN", f"Slack refused the bot token ({why})"
                ) from e
            self.team_id = str(auth.get("team_id") or "")
            log.info("slack: connected to workspace %s as %s", self.team_id, auth.get("user"))
        app = self._build_app(store)
        register(
            app,
            Bridge(
                port=self._the_port,
                store=lambda: store,
                clock=self._clock,
                forget_workspace=self.forget_workspace,
            ),
        )
        self._app = app
        if self._settings.app_token:
            await self._start_socket_mode(app, self._settings.app_token)
        else:
            await self._start_http(app)

    def _the_port(self) -> ChatPort:
        assert self._port is not None
        return self._port

    async def _start_socket_mode(self, app: AsyncApp, app_token: str) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._socket = AsyncSocketModeHandler(app, app_token)
        await self._socket.connect_async()
        log.info("slack: connected in Socket Mode")

    async def _start_http(self, app: AsyncApp) -> None:
        async def events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(
                await app.async_dispatch(await to_bolt_request(request))
            )

        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, events)
        flow = app.oauth_flow
        if flow is not None:

            async def install(request: web.Request) -> web.Response:
                bolt = await to_bolt_request(request)
                return await to_aiohttp_response(await flow.handle_installation(bolt))

            async def redirect(request: web.Request) -> web.Response:
                bolt = await to_bolt_request(request)
                return await to_aiohttp_response(await flow.handle_callback(bolt))

            web_app.router.add_get(INSTALL_PATH, install)
            web_app.router.add_get(REDIRECT_PATH, redirect)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.host, self._settings.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("slack: listening on %s:%d%s", self._settings.host, self.port, EVENTS_PATH)

    async def connected(self) -> bool:
        """Socket Mode: the socket is open; HTTP mode: the events endpoint listens."""
        if self._socket is not None:
            return bool(await self._socket.client.is_connected())
        return self._runner is not None

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def rate_class(self, chat: ChatAddress) -> str:
        # Slack's posting limit is per channel (about 1 message a second), DMs included.
        return "group"

    # --- sending ---
    def _client_for(self, token_key: str) -> AsyncWebClient:
        client = self._clients.get(token_key)
        if client is None:
            token = token_key or self._settings.bot_token
            client = self._clients[token_key] = self._bolt_client(token)
        return client

    async def _workspace_client(self, team: str) -> AsyncWebClient:
        if team in self._dead_teams:
            raise ChatGone(f"slack: workspace {team} refused our token")
        if not self._settings.oauth:
            return self._client_for("")
        assert self._installs is not None
        bot = await self._installs.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None:
            raise ChatGone(f"slack: workspace {team} has not installed the app")
        return self._client_for(bot.bot_token)

    async def _call(self, chat: ChatAddress, method: str, **args: Any) -> dict[str, Any]:
        try:
            team, channel = split_chat(chat)
        except ValueError as e:
            raise ChatGone(str(e)) from e
        client = await self._workspace_client(team)
        try:
            response = await client.api_call(method, json={"channel": channel, **args})
        except SlackApiError as e:
            data, status = e.response.data, e.response.status_code
            error = delivery_error(status, e.response.headers, data)
            if is_workspace_error(data):
                await self._pause_workspace(team, error.reason)
            raise error from e
        except aiohttp.ClientConnectorError as e:
            raise DeliveryError(f"slack: cannot connect: {e}", retryable=True) from e
        except (TimeoutError, aiohttp.ClientError) as e:
            # The request may have reached Slack before the connection failed or timed out.
            raise DeliveryUncertain(f"slack: {type(e).__name__} during {method}") from e
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def _pause_workspace(self, team: str, reason: str) -> None:
        self._dead_teams.add(team)
        assert self._store is not None
        paused = await self._store.pause_workspace(team, reason)
        log.error(
            "slack: workspace %s refused our token (%s); paused its %d chats",
            team,
            reason,
            len(paused),
        )

    async def forget_workspace(self, team: str, why: str = "uninstalled the app") -> None:
        """The app was uninstalled (or its bot token revoked): drop everything of the workspace."""
        assert self._store is not None
        removed = await self._store.forget_workspace(team)
        self._clients.clear()
        log.warning("slack: workspace %s %s; removed its %d chats", team, why, removed)

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        data = await self._call(
            chat,
            "chat.postMessage",
            text=fallback_text(alert),
            blocks=alert_blocks(alert),
            unfurl_links=alert.link_preview,
            unfurl_media=alert.link_preview,
        )
        return str(data.get("ts")) if data.get("ts") else None

    async def edit_alert(self, chat: ChatAddress, message_ref: str, alert: AlertMessage) -> None:
        await self._call(
            chat,
            "chat.update",
            ts=message_ref,
            text=fallback_text(alert),
            blocks=alert_blocks(alert),
        )

    async def send_digest(
        self, chat: ChatAddress, heading: str, alerts: Sequence[AlertMessage]
    ) -> str | None:
        text, blocks = digest_blocks(heading, alerts)
        data = await self._call(
            chat, "chat.postMessage", text=text, blocks=blocks, unfurl_links=False
        )
        return str(data.get("ts")) if data.get("ts") else None

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        data = await self._call(
            chat, "chat.postMessage", text=notice_text(text), unfurl_links=False
        )
        return str(data.get("ts")) if data.get("ts") else None

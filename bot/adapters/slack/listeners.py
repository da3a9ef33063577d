"""Bolt listeners: `/news`, @-mentions, alert buttons, and workspace lifecycle events.

They only translate. Every command and button is acknowledged first (Slack wants an answer within
3 seconds) and answered afterwards, ephemerally, through the `response_url` or chat.postEphemeral.
Slack resends an event it thinks failed (same `event_id`, `X-Slack-Retry-Num`); a middleware
remembers handled event ids in the database so a retry does nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import ChatPort
from bot.adapters.slack.render import ACTION_MUTE, ACTION_UNSUBSCRIBE, reply_message
from bot.commands.core import Incoming, Reply
from bot.domain import AlertAction, ChatAddress
from bot.store.slack import SlackStore

log = logging.getLogger(__name__)

PLATFORM = "slack"
SLASH_COMMAND = "/news"
FAILED = Reply("Sorry, something went wrong with that command.")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def slack_chat(team_id: str, channel_id: str) -> ChatAddress:
    """A Slack chat is "TEAM:CHANNEL": the team finds the workspace's token when sending."""
    return ChatAddress(PLATFORM, f"{team_id}:{channel_id}")


def split_chat(chat: ChatAddress) -> tuple[str, str]:
    team, sep, channel = chat.chat.partition(":")
    if not sep or not team or not channel:
        raise ValueError(f"not a Slack chat address: {chat}")
    return team, channel


def is_direct(channel_id: str) -> bool:
    # DMs with the bot have ids starting with D; everything else is shared by several people.
    return channel_id.startswith("D")


def command_line(text: str) -> str:
    """`/news subscribe Sumy Oblast` (given as "subscribe Sumy Oblast") → "/subscribe Sumy Oblast";
    nothing, or "help", → "/help"."""
    words = _MENTION.sub(" ", text).split(maxsplit=1)
    if not words:
        return "/help"
    name = words[0].lstrip("/").lower()
    args = words[1] if len(words) > 1 else ""
    return f"/{name} {args}".strip()


@dataclass
class Bridge:
    """What the listeners need from the adapter."""

    port: Callable[[], ChatPort]
    store: Callable[[], SlackStore]
    clock: Callable[[], datetime]
    forget_workspace: Callable[[str, str], Awaitable[None]]


def _admin_check(client: AsyncWebClient, user: str | None) -> Callable[[], Awaitable[bool]]:
    async def is_admin() -> bool:
        if not user:
            return False
        try:
            info = await client.users_info(user=user)
        except Exception:
            log.warning("slack: users.info failed for %s; treating as a guest", user, exc_info=True)
            return False
        person = info.get("user") or {}
        # Slack's custom: any full member may set up an app in a channel; guests may not.
        return not (person.get("is_restricted") or person.get("is_ultra_restricted"))

    return is_admin


def incoming(
    client: AsyncWebClient, team: str, channel: str, user: str | None, text: str
) -> Incoming:
    return Incoming(
        slack_chat(team, channel),
        text,
        user=user,
        group=not is_direct(channel),
        is_admin=_admin_check(client, user),
    )


async def _run(call: Awaitable[Reply], chat: str) -> Reply:
    try:
        return await call
    except Exception:
        log.exception("slack chat %s: command failed", chat)
        return FAILED


def register(app: AsyncApp, bridge: Bridge) -> None:
    @app.middleware
    async def once_per_event(body: dict[str, Any], next: Callable[[], Awaitable[Any]]) -> Any:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if isinstance(event_id, str) and not await bridge.store().remember_event(
            event_id, at=bridge.clock()
        ):
            log.info("slack: event %s already handled; ignoring the retry", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    @app.command(SLASH_COMMAND)
    async def on_news(
        ack: Callable[..., Awaitable[None]],
        command: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        client: AsyncWebClient,
    ) -> None:
        await ack()
        msg = incoming(
            client,
            command["team_id"],
            command["channel_id"],
            command.get("user_id"),
            command_line(command.get("text", "")),
        )
        reply = await _run(bridge.port().handle(msg), str(msg.chat))
        if not reply.text:
            return  # a flooding user: nothing to answer
        text, blocks = reply_message(reply)
        try:
            await respond(text=text, blocks=blocks, response_type="ephemeral")
        except Exception:
            log.exception("slack chat %s: could not answer through response_url", msg.chat)

    @app.event("app_mention")
    async def on_mention(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team = str(body.get("team_id") or event.get("team") or "")
        channel, user = str(event.get("channel", "")), event.get("user")
        msg = incoming(client, team, channel, user, command_line(event.get("text", "")))
        reply = await _run(bridge.port().handle(msg), str(msg.chat))
        if not reply.text:
            return  # a flooding user: nothing to answer
        text, blocks = reply_message(reply)
        try:
            await client.chat_postEphemeral(
                channel=channel, user=user or "", text=text, blocks=blocks
            )
        except Exception:
            log.exception("slack chat %s: could not answer the mention", msg.chat)

    async def on_button(
        kind: str,
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        client: AsyncWebClient,
    ) -> None:
        await ack()
        try:
            team = str(body["team"]["id"])
            channel = str(body["channel"]["id"])
            subscription_id = int(body["actions"][0]["value"])
        except (KeyError, TypeError, ValueError, IndexError):
            log.warning("slack: a button press without team, channel or a valid value")
            return
        user = (body.get("user") or {}).get("id")
        msg = incoming(client, team, channel, user, "")
        action = AlertAction(kind, subscription_id)
        reply = await _run(bridge.port().press(msg, action), str(msg.chat))
        text, blocks = reply_message(reply)
        try:
            await respond(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        except Exception:
            log.exception("slack chat %s: could not answer the button", msg.chat)

    @app.action(ACTION_UNSUBSCRIBE)
    async def on_unsubscribe(
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        client: AsyncWebClient,
    ) -> None:
        await on_button("unsubscribe", ack, body, respond, client)

    @app.action(ACTION_MUTE)
    async def on_mute(
        ack: Callable[..., Awaitable[None]],
        body: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        client: AsyncWebClient,
    ) -> None:
        await on_button("mute", ack, body, respond, client)

    @app.event("app_uninstalled")
    async def on_uninstalled(body: dict[str, Any]) -> None:
        team = str(body.get("team_id") or "")
        if team:
            await bridge.forget_workspace(team, "uninstalled the app")

    @app.event("tokens_revoked")
    async def on_tokens_revoked(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Only the bot's token matters to us; users revoking their own tokens changes nothing.
        team = str(body.get("team_id") or "")
        if team and (event.get("tokens") or {}).get("bot"):
            await bridge.forget_workspace(team, "revoked the bot's token")

    @app.event("message")
    async def on_message() -> None:
        """Plain channel messages are not for us; listening keeps bolt from warning about them."""

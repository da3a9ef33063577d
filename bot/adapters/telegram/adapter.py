"""The Telegram adapter: python-telegram-bot v22's `Application`, long polling or a webhook.

Sending raises newsbot's typed errors (see `errors.classify`) so delivery can hold, pause or move
a chat; pacing is delivery's job too (no `AIORateLimiter`: it pauses every request on one 429 and
has no per-private-chat limit).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.adapters.base import ChatPort
from bot.adapters.telegram.buttons import alert_buttons
from bot.adapters.telegram.errors import classify, is_parse_error
from bot.adapters.telegram.inbound import PLATFORM, Inbound
from bot.adapters.telegram.render import (
    Rendered,
    render_alert,
    render_digest,
    render_reply,
    render_text,
)
from bot.commands.core import Reply, command_specs
from bot.domain import AlertMessage, ChatAddress
from bot.errors import ConfigError, DeliveryError, RateLimited

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
REPLY_WAIT_MAX = 5.0  # a command's answer waits out a short 429 once; longer ones are dropped
_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


@dataclass(frozen=True, slots=True)
class Webhook:
    """Receive updates over HTTPS instead of long polling. `url` is the public address Telegram
    posts to (a reverse proxy in front forwards it to listen:port, same path)."""

    url: str
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; never printed.
    secret_token: str = field(repr=False)
    listen: str = "0.0.0.0"
    port: int = 8443


def _chat_id(chat: ChatAddress) -> int | str:
    return int(chat.chat) if chat.chat.lstrip("-").isdigit() else chat.chat


class TelegramChat:
    platform = PLATFORM

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        webhook: Webhook | None = None,
        poll_timeout: float = 10.0,
    ) -> None:
        # Opt in to python-telegram-bot's coming behaviour (durations as timedelta) so that every
        # 429 does not log a deprecation warning; `errors.retry_after_seconds` reads both forms.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self._webhook = webhook
        self._base_url = base_url
        self._poll_timeout = poll_timeout
        self._app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().token(token).base_url(base_url).job_queue(None).build()
        )
        self._inbound: Inbound | None = None

    @property
    def bot_username(self) -> str:
        return str(self._app.bot.username)

    async def start(self, port: ChatPort) -> None:
        self._inbound = Inbound(
            port, username=lambda: self.bot_username, is_admin=self._is_admin, reply=self._reply
        )
        self._app.add_handler(TypeHandler(Update, self._on_update))
        self._app.add_error_handler(self._on_error)
        try:
            await self._app.initialize()  # getMe: a bad token fails here, loudly
        except InvalidToken as e:
            # Not `e`'s own words: python-telegram-bot quotes the token in them.
            raise ConfigError("NEWSBOT_TELEGRAM_TOKEN", "Telegram rejected the token") from e
        except TelegramError as e:
            # Stop with a clear message; a supervisor (Docker, systemd) restarts the bot later.
            raise ConfigError(
                "NEWSBOT_TELEGRAM_BASE_URL", f"cannot reach the Bot API at {self._base_url}: {e}"
            ) from e
        await self._register_commands()
        updater = self._app.updater
        assert updater is not None
        if self._webhook is None:
            await updater.start_polling(
                timeout=timedelta(seconds=self._poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            await updater.start_webhook(
                listen=self._webhook.listen,
                port=self._webhook.port,
                url_path=urlsplit(self._webhook.url).path.lstrip("/"),
                webhook_url=self._webhook.url,
                secret_token=self._webhook.secret_token,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        await self._app.start()
        log.info("telegram: @%s receiving by %s", self.bot_username, self._mode)

    async def connected(self) -> bool:
        """Receiving updates (long polling or the webhook) and able to send."""
        updater = self._app.updater
        return self._app.running and updater is not None and updater.running

    @property
    def _mode(self) -> str:
        return "long polling" if self._webhook is None else f"webhook {self._webhook.url}"

    async def stop(self) -> None:
        updater = self._app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()

    async def _register_commands(self) -> None:
        commands = [BotCommand(s.name, (s.description or s.usage)[:256]) for s in command_specs()]
        try:
            await self._app.bot.set_my_commands(commands)
        except TelegramError as e:
            # The menu is a convenience; commands work without it.
            log.warning("telegram: could not register the command list: %s", e)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert self._inbound is not None
        await self._inbound.on_update(update)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: handling an update failed", exc_info=context.error)

    async def _is_admin(self, chat_id: int, user_id: int) -> bool:
        try:
            member = await self._app.bot.get_chat_member(chat_id, user_id)
        except TelegramError as e:
            log.warning("telegram: could not check admin rights in %s: %s", chat_id, e)
            return False
        return member.status in _ADMINS

    def rate_class(self, chat: ChatAddress) -> str:
        # Private chats have the user's (positive) id; groups and channels negative ones.
        return "private" if chat.chat.isdigit() else "group"

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        return await self._send(
            chat, render_alert(alert), preview=alert.link_preview, markup=_keyboard(alert)
        )

    async def edit_alert(self, chat: ChatAddress, message_ref: str, alert: AlertMessage) -> None:
        rendered = render_alert(alert)
        common: dict[str, Any] = {
            "chat_id": _chat_id(chat),
            "message_id": int(message_ref),
            "link_preview_options": LinkPreviewOptions(is_disabled=not alert.link_preview),
            "reply_markup": _keyboard(alert),
        }
        try:
            try:
                await self._app.bot.edit_message_text(
                    rendered.html, parse_mode=ParseMode.HTML, **common
                )
            except BadRequest as e:
                if "message is not modified" in e.message.lower():
                    return
                if not is_parse_error(e):
                    raise
                log.warning("chat %s: Telegram rejected the HTML (%s); plain text", chat, e)
                await self._app.bot.edit_message_text(rendered.plain, **common)
        except TelegramError as e:
            raise classify(e, chat) from e

    async def send_digest(
        self, chat: ChatAddress, heading: str, alerts: Sequence[AlertMessage]
    ) -> str | None:
        preview = any(a.link_preview for a in alerts) and len(alerts) == 1
        return await self._send(chat, render_digest(heading, alerts), preview=preview)

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        return await self._send(chat, render_text(text), preview=False)

    async def _reply(self, chat: ChatAddress, reply: Reply) -> None:
        rendered = render_reply(reply)
        try:
            await self._send(chat, rendered, preview=False)
        except RateLimited as e:
            if e.retry_after > REPLY_WAIT_MAX:
                log.warning("chat %s: reply dropped, rate limited for %gs", chat, e.retry_after)
                return
            await asyncio.sleep(e.retry_after)
            try:
                await self._send(chat, rendered, preview=False)
            except DeliveryError as again:
                log.warning("chat %s: reply not sent: %s", chat, again)
        except DeliveryError as e:
            log.warning("chat %s: reply not sent: %s", chat, e)

    async def _send(
        self,
        chat: ChatAddress,
        rendered: Rendered,
        *,
        preview: bool,
        markup: InlineKeyboardMarkup | None = None,
    ) -> str:
        common: dict[str, Any] = {
            "chat_id": _chat_id(chat),
            "message_thread_id": int(chat.thread) if chat.thread else None,
            "link_preview_options": LinkPreviewOptions(is_disabled=not preview),
            "reply_markup": markup,
        }
        message: Message
        try:
            try:
                message = await self._app.bot.send_message(
                    text=rendered.html, parse_mode=ParseMode.HTML, **common
                )
            except BadRequest as e:
                if not is_parse_error(e):
                    raise
                # Our escaping should make this impossible; if Telegram still disagrees, the
                # words matter more than the bold: send them once without markup.
                log.warning("chat %s: Telegram rejected the HTML (%s); plain text", chat, e)
                message = await self._app.bot.send_message(text=rendered.plain, **common)
        except TelegramError as e:
            raise classify(e, chat) from e
        return str(message.message_id)


def _keyboard(alert: AlertMessage) -> InlineKeyboardMarkup | None:
    if alert.subscription_id is None:
        return None  # the subscription is gone: nothing for the buttons to act on
    buttons = alert_buttons(alert.topic, alert.subscription_id)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data)] for b in buttons]
    )

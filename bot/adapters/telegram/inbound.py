"""Telegram updates in, platform-neutral calls out. Translation only: no decisions live here.

A message becomes an `Incoming` for `ChatPort.handle`, a button press an `AlertAction` for
`ChatPort.press`, and the bot's own membership changes and group migrations become `chat_gone` /
`chat_moved`. Every handler is safe to run twice, because python-telegram-bot confirms an update
as soon as it is fetched and a crash can replay one: the commands behind them are idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Chat, ChatMemberUpdated, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.adapters.base import ChatPort
from bot.adapters.telegram.buttons import decode
from bot.commands.core import Incoming, Reply
from bot.domain import ChatAddress

log = logging.getLogger(__name__)

PLATFORM = "telegram"
MAX_ANSWER = 200  # answerCallbackQuery text (telegram.constants.CallbackQueryLimit)
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
_ADMINS = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
_GONE = (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
SORRY = "Sorry, something went wrong with that command."

AdminCheck = Callable[[int, int], Awaitable[bool]]
ReplySender = Callable[[ChatAddress, Reply], Awaitable[None]]


def address(chat_id: int, thread_id: int | None = None) -> ChatAddress:
    return ChatAddress(PLATFORM, str(chat_id), str(thread_id) if thread_id else None)


def message_address(message: Message) -> ChatAddress:
    """Where a message lives: a forum topic is its own address, so alerts go back into it. In a
    group without topics `message_thread_id` only marks a reply thread, which is not a place."""
    thread = message.message_thread_id if message.is_topic_message else None
    return address(message.chat.id, thread)


def command_for_us(text: str, username: str) -> bool | None:
    """True for a command to this bot, False for one addressed to another bot (`/cmd@OtherBot`),
    None when the text is not a command at all."""
    if not text.startswith("/"):
        return None
    head = text.split(maxsplit=1)[0]
    _, at, name = head.partition("@")
    return not at or name.lower() == username.lower()


class Inbound:
    def __init__(
        self,
        port: ChatPort,
        *,
        username: Callable[[], str],
        is_admin: AdminCheck,
        reply: ReplySender,
    ) -> None:
        self._port = port
        self._username = username
        self._is_admin = is_admin
        self._reply = reply

    async def on_update(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._on_press(update.callback_query)
        elif update.my_chat_member is not None:
            await self._on_membership(update.my_chat_member)
        elif update.message is not None:
            await self._on_message(update.message)

    async def _on_message(self, message: Message) -> None:
        if message.migrate_to_chat_id:
            # The group became a supergroup; Telegram also posts migrate_from in the new chat.
            # Both arrive, and moving a chat that has already moved does nothing.
            await self._port.chat_moved(
                address(message.chat.id), address(message.migrate_to_chat_id)
            )
            return
        if message.migrate_from_chat_id:
            await self._port.chat_moved(
                address(message.migrate_from_chat_id), address(message.chat.id)
            )
            return
        text = message.text
        if not text:
            return
        group = message.chat.type in _GROUPS
        addressed = command_for_us(text, self._username())
        if addressed is False or (group and addressed is None):
            return  # another bot's command, or group chatter that is not for us
        chat = message_address(message)
        user = message.from_user
        incoming = Incoming(
            chat,
            text,
            user=str(user.id) if user else None,
            group=group,
            is_admin=self._admin_check(message.chat, message) if group else None,
        )
        try:
            reply = await self._port.handle(incoming)
        except Exception:
            log.exception("chat %s: command failed: %r", chat, text[:200])
            reply = Reply(SORRY)
        if reply.text or reply.stories:  # an empty reply means "say nothing" (a flooding user)
            await self._reply(chat, reply)

    def _admin_check(self, chat: Chat, message: Message | None) -> Callable[[], Awaitable[bool]]:
        sender = message.from_user if message else None
        sender_chat = message.sender_chat if message else None

        async def check() -> bool:
            # An anonymous administrator writes as the group itself.
            if sender_chat is not None and sender_chat.id == chat.id:
                return True
            if sender is None:
                return False
            return await self._is_admin(chat.id, sender.id)

        return check

    async def _on_press(self, query: CallbackQuery) -> None:
        answer = "That button no longer works."
        try:
            action = decode(query.data)
            message = query.message
            if action is not None and message is not None:
                # A message older than 48 h comes back "inaccessible": its chat is known, its
                # forum topic is not, so a press there acts on the chat's own subscriptions.
                if isinstance(message, Message):
                    chat = message_address(message)
                else:
                    chat = address(message.chat.id)
                group = message.chat.type in _GROUPS
                user_id = query.from_user.id

                async def check() -> bool:
                    return await self._is_admin(message.chat.id, user_id)

                incoming = Incoming(
                    chat, query.data or "", user=str(user_id), group=group, is_admin=check
                )
                answer = (await self._port.press(incoming, action)).text
        except Exception:
            log.exception("button %r failed", query.data)
            answer = SORRY
        finally:
            # Always answered: otherwise the user's client shows a spinner until it gives up.
            try:
                await query.answer(answer[:MAX_ANSWER])
            except TelegramError as e:
                log.warning("could not answer button press %s: %s", query.id, e)

    async def _on_membership(self, change: ChatMemberUpdated) -> None:
        status = change.new_chat_member.status
        if status in _GONE:
            reason = "bot was blocked" if change.chat.type == ChatType.PRIVATE else f"bot {status}"
            await self._port.chat_gone(address(change.chat.id), reason)

"""The seam every chat platform plugs into.

An adapter receives messages and hands each to `on_message(chat, text)`, which returns the
platform-neutral `Reply` to render; and it sends alerts. It raises the typed errors of
`bot.errors` (`RateLimited`, `ChatGone`, `DeliveryError`) so delivery can react without knowing
the platform.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.commands.core import Reply
from bot.domain import AlertMessage, ChatAddress

OnMessage = Callable[[ChatAddress, str], Awaitable[Reply]]


class ChatAdapter(Protocol):
    @property
    def platform(self) -> str:
        """The `ChatAddress.platform` value this adapter serves."""
        ...

    async def start(self, on_message: OnMessage) -> None:
        """Begin receiving messages; returns once receiving runs in the background."""
        ...

    async def stop(self) -> None: ...

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        """Deliver one alert; returns the platform's message id, if it has one."""
        ...

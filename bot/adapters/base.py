"""The seam every chat platform plugs into.

An adapter receives messages, button presses and chat lifecycle events and hands them to the
`ChatPort` (the platform-neutral `Commands`), then renders what comes back; and it sends alerts.
It raises the typed errors of `bot.errors` (`RateLimited`, `ChatGone`, `ChatMoved`,
`DeliveryUncertain`, `DeliveryError`) so delivery can react without knowing the platform. Pacing
is not the adapter's job: delivery paces sends with the rates the adapter names for each chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.commands.core import Incoming, Reply
from bot.domain import AlertAction, AlertMessage, ChatAddress


class ChatPort(Protocol):
    """What an adapter calls into; `bot.commands.core.Commands` implements it."""

    async def handle(self, msg: Incoming) -> Reply: ...
    async def press(self, msg: Incoming, action: AlertAction) -> Reply: ...
    async def chat_gone(self, chat: ChatAddress, reason: str) -> None: ...
    async def chat_moved(self, old: ChatAddress, new: ChatAddress) -> None: ...


class ChatAdapter(Protocol):
    @property
    def platform(self) -> str:
        """The `ChatAddress.platform` value this adapter serves."""
        ...

    async def start(self, port: ChatPort) -> None:
        """Begin receiving messages; returns once receiving runs in the background."""
        ...

    async def stop(self) -> None: ...

    def rate_class(self, chat: ChatAddress) -> str:
        """Which pacing limit applies to this chat: "private" or "group" (see DeliveryPolicy)."""
        ...

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        """Deliver one alert; returns the platform's message id, if it has one."""
        ...

    async def edit_alert(self, chat: ChatAddress, message_ref: str, alert: AlertMessage) -> None:
        """Replace an alert already sent (e.g. to add "Also: …" outlets)."""
        ...

    async def send_digest(
        self, chat: ChatAddress, heading: str, alerts: Sequence[AlertMessage]
    ) -> str | None:
        """Several alerts in one message (a digest, or a burst folded into one); each item shows
        at least its title (linked), source and time."""
        ...

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        """A plain notice from the bot (a digest, a parked source); returns the message id."""
        ...

"""Telegram: python-telegram-bot v22 behind the `ChatAdapter` seam.

`render` (HTML, pure), `buttons` (callback data, pure), `errors` (exceptions → typed errors),
`inbound` (updates → `ChatPort`) and `adapter` (the `Application`, sending).
"""

from bot.adapters.telegram.adapter import DEFAULT_BASE_URL, TelegramChat, Webhook

__all__ = ["DEFAULT_BASE_URL", "TelegramChat", "Webhook"]

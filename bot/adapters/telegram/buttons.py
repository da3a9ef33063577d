"""The buttons under an alert, as compact callback data (Telegram allows 1–64 bytes).

`u:<subscription id>` unsubscribes, `m:<subscription id>` mutes for an hour. Ids, not topics, go
in the data: a topic can be longer than 64 bytes, and an id still means the same subscription
when the topic was respelt.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import AlertAction

MAX_CALLBACK_DATA = 64  # bytes (telegram.constants.InlineKeyboardButtonLimit)
MAX_TOPIC_IN_LABEL = 32
_KINDS = {"u": "unsubscribe", "m": "mute"}
_CODES = {kind: code for code, kind in _KINDS.items()}


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str


def alert_buttons(topic: str, subscription_id: int) -> tuple[Button, Button]:
    short = topic if len(topic) <= MAX_TOPIC_IN_LABEL else topic[: MAX_TOPIC_IN_LABEL - 1] + "…"
    return (
        Button(f"Unsubscribe from {short}", encode(AlertAction("unsubscribe", subscription_id))),
        Button(f"Mute {short} for 1 h", encode(AlertAction("mute", subscription_id))),
    )


def encode(action: AlertAction) -> str:
    data = f"{_CODES[action.kind]}:{action.subscription_id}"
    assert len(data.encode()) <= MAX_CALLBACK_DATA
    return data


def decode(data: str | None) -> AlertAction | None:
    """The action a button stands for, or None for data this bot never made (or an old format)."""
    code, _, number = (data or "").partition(":")
    if code not in _KINDS or not number.isdigit() or not number.isascii():
        return None
    return AlertAction(_KINDS[code], int(number))

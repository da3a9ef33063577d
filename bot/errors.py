"""The error tree. Each error carries what its handler needs to recover.

NewsbotError
├── ConfigError(key)                 bad operator config; stops start-up, names the key
├── StoreUnavailable(url, reason)    the database cannot be opened at start; stops start-up
├── SourceError(source)              a source could not be read this time
│   ├── FetchError(status?)          network, HTTP status, too big, too slow
│   │   └── UnsafeURL                a stranger's URL the guard refused; nothing was fetched
│   └── FeedParseError               not a feed, or a feed too broken to read
├── TopicError(position)             a topic the matcher cannot accept
└── DeliveryError(retryable)         an adapter could not deliver an alert
    ├── RateLimited(retry_after)     wait this long before this chat's next send
    ├── ChatGone                     the chat is gone or blocked us: pause it
    ├── ChatMoved(new_chat)          the chat has a new id: move it and send there
    └── DeliveryUncertain            may have been sent (timeout after sending)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain import ChatAddress


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"config {key}: {message}")
        self.key = key
        self.message = message


class StoreUnavailable(NewsbotError):
    """The database could not be reached, logged into or written at start: the operator must fix
    the setting. `url` has its password hidden."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"cannot open the database {url}: {reason}")
        self.url = url
        self.reason = reason


class SourceError(NewsbotError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class FetchError(SourceError):
    """`retry_after`: seconds the server asked us to wait (429/503 Retry-After), if it said.
    `kind`: what went wrong in a word, for figures ("timeout", "network", "too_large",
    "invalid", "refused", or "fetch" for anything else; an HTTP error has `status` instead)."""

    def __init__(
        self,
        source: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        kind: str = "fetch",
    ) -> None:
        super().__init__(source, reason)
        self.status = status
        self.retry_after = retry_after
        self.kind = kind


class UnsafeURL(FetchError):
    """The guard refused the URL (or a redirect hop): `reason` names what was refused."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason, kind="refused")


class FeedParseError(SourceError):
    pass


class TopicError(NewsbotError):
    """A topic the matcher rejects; `position` is the character offset of the problem, if any;
    `example`, a topic to show instead, written the way the front end takes topics."""

    def __init__(
        self, message: str, *, position: int | None = None, example: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.example = example


class DeliveryError(NewsbotError):
    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class RateLimited(DeliveryError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:g}s", retryable=True)
        self.retry_after = retry_after


class ChatGone(DeliveryError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=False)


class ChatMoved(DeliveryError):
    """The chat lives on under another id (a Telegram group upgraded to a supergroup)."""

    def __init__(self, new_chat: ChatAddress) -> None:
        super().__init__(f"chat moved to {new_chat}", retryable=True)
        self.new_chat = new_chat


class DeliveryUncertain(DeliveryError):
    """The request may or may not have reached the platform (a timeout after sending)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=True)

"""Where the logs go, and in what shape: the one place the command line sets logging up.

On a chat platform the bot is a service and logs to stderr, where Docker and systemd collect them.
In the terminal chat the terminal is the chat, so logs go to a file in the data directory (the
command line says which at start) unless a log level is asked for on the command line.

The shape: readable text by default, or one JSON object per line for log pipelines, and secrets
masked in both, whatever logged them (our code, a library, a traceback).

A JSON line has `time` (ISO 8601, UTC), `level`, `logger` and `message`, `exception` when there
is a traceback, and the source or chat the event concerns as its own field: taken from `extra=`
(`source`, `chat`, `page`) or, for our own messages, from their first argument, since they start
"source %s: …", "chat %s: …" or "page %s: …".

Masking works on the finished text: the secrets the config holds (tokens, signing secrets, the
database password) wherever they appear, and anything shaped like a token or a password in a URL
that the config does not know about (a Telegram bot token in an API URL, a Slack xox… token).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FILE = "newsbot.log"
MASK = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Our messages name what they concern first: "source %s: …", "chat %s: …".
_SUBJECT = re.compile(r"^(source|chat|slack chat|page|notice to) %s\b")
_FIELD = {
    "source": "source",
    "chat": "chat",
    "slack chat": "chat",
    "page": "page",
    "notice to": "chat",
}
_EXTRA_FIELDS = ("source", "chat", "page", "platform")
_PATTERNS = (
    # Telegram bot tokens (123456:ABC…), alone or inside an API URL (/bot123456:ABC…/getMe).
    (re.compile(r"(?<!\d)\d{5,}:[A-Za-z0-9_-]{30,}"), MASK),
    # Slack tokens: bot, user, app-level, refresh, configuration.
    (re.compile(r"\bx(?:ox[a-z]|app)-[A-Za-z0-9-]{8,}"), MASK),
    # user:password@ in a URL (database URLs, proxies).
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*):[^@\s/]+@", re.IGNORECASE), rf"\1:{MASK}@"),
    (re.compile(r"(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), rf"\1{MASK}"),
    (
        re.compile(r"([?&](?:token|access_token|secret|password|client_secret)=)[^&\s\"']+"),
        rf"\1{MASK}",
    ),
)
# Libraries that log every request or step at INFO; our own lines already name each event.
_QUIET = ("httpx", "apscheduler", "alembic", "aiohttp.access")


def log_file(data_dir: Path) -> Path:
    return data_dir / LOG_FILE


class Redactor:
    """Masks `secrets` (and token-shaped text) in a string."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        known = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(s) for s in known)) if known else None

    def __call__(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(MASK, text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(subject(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        masked = {k: self._redact(v) if isinstance(v, str) else v for k, v in line.items()}
        return json.dumps(masked, ensure_ascii=False)


def subject(record: logging.LogRecord) -> dict[str, str]:
    """What the event concerns, as fields: from `extra=`, else from the message's first word."""
    fields = {k: str(getattr(record, k)) for k in _EXTRA_FIELDS if hasattr(record, k)}
    if fields or not isinstance(record.msg, str) or not record.args:
        return fields
    found = _SUBJECT.match(record.msg)
    if found is None or not isinstance(record.args, tuple):
        return fields
    return {_FIELD[found.group(1)]: str(record.args[0])}


def setup_logging(
    level: str,
    *,
    path: Path | None = None,
    fmt: str = "text",
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> None:
    """Log at `level` to `stream` (stderr by default), or appended to the file at `path`, as
    text or JSON (`fmt`), with `secrets` masked."""
    redact = Redactor(secrets)
    handler: logging.Handler
    if path is None:
        handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    else:
        handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    handler.addFilter(_not_a_cancelled_job)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    floor = max(logging.WARNING, logging.getLevelName(level))
    for name in _QUIET:
        logging.getLogger(name).setLevel(floor)


def _not_a_cancelled_job(record: logging.LogRecord) -> bool:
    """APScheduler logs a job cancelled by its own shutdown as an ERROR with a traceback. The bot
    only ever cancels jobs when it stops, so that is a stop, not an error: drop the record."""
    if not record.name.startswith("apscheduler") or record.exc_info is None:
        return True
    from asyncio import CancelledError  # imported by then: only the event loop's jobs get here

    return not isinstance(record.exc_info[1], CancelledError)

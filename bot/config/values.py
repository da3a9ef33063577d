"""Checks shared by every section of the config file: each returns the value, or raises
`ConfigError` naming the exact key."""

from __future__ import annotations

import math
from collections.abc import Mapping
from difflib import get_close_matches
from urllib.parse import urlsplit

from bot.config.model import SECRET_ENV
from bot.errors import ConfigError

_SECRET_WORDS = ("token", "secret", "password")


def env_value(env: Mapping[str, str], name: str) -> str | None:
    # An empty value counts as unset: compose files and .env templates often carry `NAME=`.
    value = env.get(name, "").strip()
    return value or None


def join_key(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def reject_secrets(value: object, where: str) -> None:
    # Walks the whole document, unknown tables included, so `[telegram] token = ...` is reported
    # as a secret in the wrong place rather than as a mere unknown table.
    if isinstance(value, dict):
        for key, item in value.items():
            if any(word in key.lower() for word in _SECRET_WORDS):
                variable = SECRET_ENV.get(key, " / ".join(SECRET_ENV.values()))
                raise ConfigError(
                    join_key(where, key),
                    f"secrets are not read from the config file; set {variable} in the "
                    "environment instead (and remove the key from the file)",
                )
            reject_secrets(item, join_key(where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            reject_secrets(item, f"{where}[{index}]")


def check_keys(table: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            hint = get_close_matches(key, allowed, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(
                join_key(where, key),
                f"unknown key (allowed here: {', '.join(allowed)}){suggestion}",
            )


def as_table(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ConfigError(where, f"must be a table, got {type(value).__name__}")
    return value


def as_string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(where, f"must be a non-empty string, got {value!r}")
    return value.strip()


def as_seconds(value: object, where: str) -> float:
    # bool is an int in Python; `interval = true` is a mistake, not 1 second.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(where, f"must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(where, f"must be a positive number of seconds, got {value!r}")
    return float(value)


def as_count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(where, f"must be a whole number, got {value!r}")
    if value < 1:
        raise ConfigError(where, f"must be at least 1, got {value}")
    return value


def as_http_url(value: object, where: str, *, https: bool = False) -> str:
    text = as_string(value, where)
    parts = urlsplit(text)
    schemes = ("https",) if https else ("http", "https")
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ConfigError(where, f"must be an {' or '.join(schemes)} URL with a host, got {text!r}")
    return text


def as_whole(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(where, f"must be a whole number, 0 or more, got {value!r}")
    return value

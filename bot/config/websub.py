"""The `[websub]` section: push from feeds' hubs, off unless a public callback URL is set."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from bot.config.model import ENV_WEBSUB_PORT, ENV_WEBSUB_PUBLIC_URL, WebSubConfig
from bot.config.values import (
    as_count,
    as_http_url,
    as_seconds,
    as_string,
    as_table,
    check_keys,
    env_value,
)
from bot.errors import ConfigError

_KEYS = ("public_url", "listen", "port", "safety_interval", "lease_seconds")


def websub_config(value: object, env: Mapping[str, str]) -> WebSubConfig:
    table = as_table(value, "websub")
    check_keys(table, _KEYS, "websub")
    defaults = WebSubConfig()
    public_url = None
    if from_env := env_value(env, ENV_WEBSUB_PUBLIC_URL):
        public_url = _public_url(from_env, ENV_WEBSUB_PUBLIC_URL)
    elif "public_url" in table:
        public_url = _public_url(table["public_url"], "websub.public_url")
    listen = defaults.listen
    if "listen" in table:
        listen = as_string(table["listen"], "websub.listen")
    port = defaults.port
    if from_env := env_value(env, ENV_WEBSUB_PORT):
        port = _port(int(from_env) if from_env.isdigit() else from_env, ENV_WEBSUB_PORT)
    elif "port" in table:
        port = _port(table["port"], "websub.port")
    safety = defaults.safety_interval
    if "safety_interval" in table:
        safety = as_seconds(table["safety_interval"], "websub.safety_interval")
    lease = defaults.lease_seconds
    if "lease_seconds" in table:
        lease = as_count(table["lease_seconds"], "websub.lease_seconds")
    return WebSubConfig(
        public_url=public_url,
        listen=listen,
        port=port,
        safety_interval=safety,
        lease_seconds=lease,
    )


def _public_url(value: object, where: str) -> str:
    text = as_http_url(value, where)
    parts = urlsplit(text)
    if parts.query or parts.fragment:
        # Each subscription's id is appended as a path segment; a query would end up before it.
        raise ConfigError(where, f"must have no query or fragment, got {text!r}")
    return text.rstrip("/")


def _port(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ConfigError(where, f"must be a TCP port number (1-65535), got {value!r}")
    return value

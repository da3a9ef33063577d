"""The config for the people who run the bot: `[ops]` (the operations HTTP server and who may
ask /stats) and `log_format`."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from bot.config.model import (
    ENV_LOG_FORMAT,
    ENV_OPS_LISTEN,
    ENV_OPS_PORT,
    LOG_FORMATS,
    SECRET_ENV,
    OpsConfig,
)
from bot.config.values import as_string, as_table, check_keys, env_value
from bot.errors import ConfigError

_OPS_KEYS = ("listen", "port", "admins")
PLATFORMS = ("telegram", "slack", "terminal")


def is_loopback(host: str) -> bool:
    """True when only this machine can reach `host`: "localhost" or a loopback address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def ops_config(value: object, env: Mapping[str, str]) -> OpsConfig:
    table = as_table(value, "ops")
    check_keys(table, _OPS_KEYS, "ops")
    listen = env_value(env, ENV_OPS_LISTEN)
    if listen is None:
        listen = as_string(table["listen"], "ops.listen") if "listen" in table else "127.0.0.1"
    port: int | None = None
    from_env = env_value(env, ENV_OPS_PORT)
    if from_env is not None:
        port = _port(int(from_env) if from_env.isdigit() else from_env, ENV_OPS_PORT)
    elif "port" in table:
        port = _port(table["port"], "ops.port")
    if port is not None and not is_loopback(listen) and not env_value(env, SECRET_ENV["ops_token"]):
        raise ConfigError(
            "ops.listen",
            f"{listen!r} is reachable from other machines: set {SECRET_ENV['ops_token']} so "
            "the status page and /metrics ask for it, or listen on 127.0.0.1",
        )
    return OpsConfig(listen=listen, port=port, admins=_admins(table.get("admins", [])))


def _port(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise ConfigError(where, f"must be a TCP port number (1-65535), got {value!r}")
    return value


def _admins(value: object) -> frozenset[str]:
    if not isinstance(value, list):
        raise ConfigError("ops.admins", f"must be a list of chats, got {value!r}")
    chats: set[str] = set()
    for index, item in enumerate(value):
        where = f"ops.admins[{index}]"
        text = as_string(item, where)
        platform, _, chat = text.partition(":")
        if platform not in PLATFORMS or not chat:
            raise ConfigError(
                where,
                f'must be "platform:chat" with a platform of {", ".join(PLATFORMS)} '
                f'(e.g. "telegram:123456789"), got {text!r}',
            )
        chats.add(text)
    return frozenset(chats)


def log_format(raw: Mapping[str, object], env: Mapping[str, str]) -> str:
    from_env = env_value(env, ENV_LOG_FORMAT)
    where, value = (ENV_LOG_FORMAT, from_env) if from_env else ("log_format", raw.get("log_format"))
    if value is None:
        return "text"
    text = as_string(value, where).lower()
    if text not in LOG_FORMATS:
        raise ConfigError(where, f"must be one of {', '.join(LOG_FORMATS)}, got {value!r}")
    return text

"""The sections of the config about the chat platforms: Slack and Telegram, with the secrets that
each mode of theirs requires from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from bot.config.model import (
    DEFAULT_SLACK_API_URL,
    ENV_SLACK_API_URL,
    ENV_SLACK_CLIENT_ID,
    ENV_SLACK_PORT,
    ENV_TELEGRAM_BASE_URL,
    ENV_TELEGRAM_WEBHOOK_URL,
    SECRET_ENV,
    Config,
    SlackConfig,
    TelegramConfig,
)
from bot.config.values import as_count, as_http_url, as_string, as_table, check_keys, env_value
from bot.errors import ConfigError

_TELEGRAM_KEYS = ("base_url", "webhook_url", "webhook_listen", "webhook_port")
# setWebhook's secret_token: 1-256 characters, only these (core.telegram.org/bots/api#setwebhook).
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

_SLACK_KEYS = ("port", "api_url", "client_id")


def slack_config(value: object, env: Mapping[str, str]) -> SlackConfig:
    table = as_table(value, "slack")
    check_keys(table, _SLACK_KEYS, "slack")
    port, port_where = env_value(env, ENV_SLACK_PORT), ENV_SLACK_PORT
    raw_port: object = port
    if port is None:
        raw_port, port_where = table.get("port", 3000), "slack.port"
    elif port.isdigit():
        raw_port = int(port)
    if isinstance(raw_port, bool) or not isinstance(raw_port, int) or not 0 < raw_port < 65536:
        raise ConfigError(port_where, f"must be a TCP port number (1-65535), got {raw_port!r}")
    api_url = env_value(env, ENV_SLACK_API_URL)
    api_where = ENV_SLACK_API_URL
    if api_url is None:
        api_url, api_where = str(table.get("api_url", DEFAULT_SLACK_API_URL)), "slack.api_url"
    if urlsplit(api_url).scheme.lower() not in ("http", "https") or not urlsplit(api_url).hostname:
        raise ConfigError(api_where, f"must be an http(s) URL, got {api_url!r}")
    if not api_url.endswith("/"):
        api_url += "/"  # slack_sdk appends the method name to it
    client_id = env_value(env, ENV_SLACK_CLIENT_ID)
    if client_id is None and "client_id" in table:
        client_id = as_string(table["client_id"], "slack.client_id")
    if client_id and not env_value(env, SECRET_ENV["slack_client_secret"]):
        raise ConfigError(
            SECRET_ENV["slack_client_secret"], "is required when a Slack client_id is set (OAuth)"
        )
    return SlackConfig(port=raw_port, api_url=api_url, client_id=client_id)


def check_slack(config: Config) -> None:
    if config.slack_bot_token and config.slack.client_id:
        raise ConfigError(
            SECRET_ENV["slack_bot_token"],
            "set either a bot token (one workspace) or a Slack client_id (OAuth), not both",
        )
    if config.slack.client_id and config.slack_app_token:
        raise ConfigError(
            SECRET_ENV["slack_app_token"],
            "OAuth installs (a Slack client_id) need HTTP mode; unset the app token",
        )
    needs_secret = config.slack.client_id or (config.slack_bot_token and not config.slack_app_token)
    if needs_secret and not config.slack_signing_secret:
        raise ConfigError(
            SECRET_ENV["slack_signing_secret"],
            "is required to verify Slack's requests (HTTP mode and OAuth)",
        )


def telegram_config(value: object, env: Mapping[str, str]) -> TelegramConfig:
    table = as_table(value, "telegram")
    check_keys(table, _TELEGRAM_KEYS, "telegram")
    defaults = TelegramConfig()
    base_url = defaults.base_url
    if from_env := env_value(env, ENV_TELEGRAM_BASE_URL):
        base_url = as_http_url(from_env, ENV_TELEGRAM_BASE_URL)
    elif "base_url" in table:
        base_url = as_http_url(table["base_url"], "telegram.base_url")
    webhook_url = None
    if from_env := env_value(env, ENV_TELEGRAM_WEBHOOK_URL):
        webhook_url = as_http_url(from_env, ENV_TELEGRAM_WEBHOOK_URL, https=True)
    elif "webhook_url" in table:
        webhook_url = as_http_url(table["webhook_url"], "telegram.webhook_url", https=True)
    listen = defaults.webhook_listen
    if "webhook_listen" in table:
        listen = as_string(table["webhook_listen"], "telegram.webhook_listen")
    port = defaults.webhook_port
    if "webhook_port" in table:
        port = as_count(table["webhook_port"], "telegram.webhook_port")
        if port > 65535:
            raise ConfigError("telegram.webhook_port", f"must be a TCP port (1-65535), got {port}")
    return TelegramConfig(
        base_url=base_url, webhook_url=webhook_url, webhook_listen=listen, webhook_port=port
    )


def telegram_webhook_secret(telegram: TelegramConfig, env: Mapping[str, str]) -> str | None:
    name = SECRET_ENV["telegram_webhook_secret"]
    secret = env_value(env, name)
    if secret is not None and not _WEBHOOK_SECRET.fullmatch(secret):
        raise ConfigError(name, "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    if telegram.webhook_url is not None and secret is None:
        # Without it anyone who finds the URL could post fake updates to the bot.
        raise ConfigError(name, "is required when telegram.webhook_url is set (webhook mode)")
    return secret

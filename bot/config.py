"""Operator configuration: one TOML file plus NEWSBOT_* environment variables, validated once.

Precedence is environment > file > defaults. Secrets come only from the environment, so a config
file can be committed, shared or pasted into a bug report without leaking a token. Every problem
raises `ConfigError` whose key names the exact place (`sources[2].interval`, `NEWSBOT_LOG_LEVEL`).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from urllib.request import url2pathname

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.commands.limits import ChatLimits
from bot.delivery.policy import DeliveryPolicy, PlatformRates, default_rates
from bot.domain import Rate
from bot.errors import ConfigError
from bot.ingest.limits import FetchLimits
from bot.sources.policy import PollingPolicy

ENV_CONFIG = "NEWSBOT_CONFIG"
ENV_DATA_DIR = "NEWSBOT_DATA_DIR"
ENV_DATABASE_URL = "NEWSBOT_DATABASE_URL"
ENV_LOG_LEVEL = "NEWSBOT_LOG_LEVEL"
# Field name on Config -> the only place its value may come from.
SECRET_ENV: Mapping[str, str] = {
    "telegram_token": "NEWSBOT_TELEGRAM_TOKEN",
    "slack_bot_token": "NEWSBOT_SLACK_BOT_TOKEN",
    "slack_app_token": "NEWSBOT_SLACK_APP_TOKEN",
    "slack_signing_secret": "NEWSBOT_SLACK_SIGNING_SECRET",
    "slack_client_secret": "NEWSBOT_SLACK_CLIENT_SECRET",
    "telegram_webhook_secret": "NEWSBOT_TELEGRAM_WEBHOOK_SECRET",
}
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
ENV_SLACK_PORT = "NEWSBOT_SLACK_PORT"
ENV_SLACK_API_URL = "NEWSBOT_SLACK_API_URL"
ENV_SLACK_CLIENT_ID = "NEWSBOT_SLACK_CLIENT_ID"
ENV_TELEGRAM_BASE_URL = "NEWSBOT_TELEGRAM_BASE_URL"
ENV_TELEGRAM_WEBHOOK_URL = "NEWSBOT_TELEGRAM_WEBHOOK_URL"
TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
_TELEGRAM_KEYS = ("base_url", "webhook_url", "webhook_listen", "webhook_port")
# setWebhook's secret_token: 1-256 characters, only these (core.telegram.org/bots/api#setwebhook).
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_DATA_DIR = Path("data")
DEFAULT_INTERVAL = 300.0
SQLITE_FILE = "newsbot.sqlite3"
# The store runs on SQLAlchemy's asyncio engine, so a sync driver would only fail later, obscurely.
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_BARE_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql"}
_SECRET_WORDS = ("token", "secret", "password")

_TOP_KEYS = (
    "database_url",
    "log_level",
    "delivery",
    "sources",
    "polling",
    "chats",
    "slack",
    "fetch",
    "telegram",
)
_SLACK_KEYS = ("port", "api_url", "client_id")
_FETCH_KEYS = ("max_bytes", "timeout_seconds", "untrusted_ports")
_SOURCE_KEYS = ("url", "name", "interval", "full_text")
_DELIVERY_KEYS = (
    "batch",
    "lease_seconds",
    "retry_base_seconds",
    "retry_max_seconds",
    "poll_seconds",
    "burst",
    "burst_max",
    "uncertain_retries",
    "retention_days",
    "rates",
)
_RATE_KEYS = ("private", "group", "total")
_RATE_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0}


def default_database_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / SQLITE_FILE).as_posix()}"


# Fetch each new story's page for its full text: always, never, or when the feed's text is short.
FullText = bool | Literal["auto"]


@dataclass(frozen=True, slots=True)
class SourceConfig:
    url: str  # an http(s) or file: URL, or the absolute path of a local feed file
    name: str
    interval: float = DEFAULT_INTERVAL
    full_text: FullText = False


@dataclass(frozen=True, slots=True)
class SlackConfig:
    """Slack's non-secret settings; the tokens and secrets are on `Config`, from the environment."""

    port: int = 3000  # HTTP mode: where /slack/events listens
    api_url: str = DEFAULT_SLACK_API_URL
    client_id: str | None = None  # set (with NEWSBOT_SLACK_CLIENT_SECRET): multi-workspace OAuth


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """How to reach Telegram: the Bot API address, and webhook mode when `webhook_url` is set
    (long polling otherwise). The webhook secret is on Config, from the environment."""

    base_url: str = TELEGRAM_BASE_URL  # python-telegram-bot's form: the token is appended
    webhook_url: str | None = None  # public https URL Telegram posts updates to
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443


@dataclass(frozen=True, slots=True)
class Config:
    database_url: str = default_database_url(DEFAULT_DATA_DIR)
    log_level: str = "INFO"
    sources: tuple[SourceConfig, ...] = ()
    delivery: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    polling: PollingPolicy = field(default_factory=PollingPolicy)
    chats: ChatLimits = field(default_factory=ChatLimits)
    fetch: FetchLimits = field(default_factory=FetchLimits)
    demo: bool = True  # no sources configured: the composition root adds the bundled demo feed
    data_dir: Path = DEFAULT_DATA_DIR
    config_path: Path | None = None  # the file that was read, if any
    # repr=False: a Config gets logged at start-up and must not print credentials.
    telegram_token: str | None = field(default=None, repr=False)
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_client_secret: str | None = field(default=None, repr=False)
    slack: SlackConfig = field(default_factory=SlackConfig)

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token or self.slack.client_id)

    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    telegram_webhook_secret: str | None = field(default=None, repr=False)


def load_config(path: str | Path | None, env: Mapping[str, str]) -> Config:
    """Read `path` (or $NEWSBOT_CONFIG; no file at all means defaults), apply the environment and
    validate everything. Raises ConfigError naming the first bad key."""
    file_path, raw = _read_file(path, env)
    _reject_secrets(raw, "")
    _check_keys(raw, _TOP_KEYS, "")
    data_dir = Path(_env(env, ENV_DATA_DIR) or DEFAULT_DATA_DIR)
    base_dir = file_path.parent if file_path else Path.cwd()
    sources = _sources(raw.get("sources", []), base_dir)
    telegram = _telegram(raw.get("telegram", {}), env)
    webhook_secret = _webhook_secret(telegram, env)
    config = Config(
        database_url=_database_url(raw, env, data_dir),
        log_level=_log_level(raw, env),
        sources=sources,
        delivery=_delivery(raw.get("delivery", {})),
        polling=_polling(raw.get("polling", {})),
        chats=_chats(raw.get("chats", {})),
        fetch=_fetch(raw.get("fetch", {})),
        demo=not sources,
        data_dir=data_dir,
        config_path=file_path,
        telegram_token=_env(env, SECRET_ENV["telegram_token"]),
        slack_bot_token=_env(env, SECRET_ENV["slack_bot_token"]),
        slack_app_token=_env(env, SECRET_ENV["slack_app_token"]),
        slack_signing_secret=_env(env, SECRET_ENV["slack_signing_secret"]),
        slack_client_secret=_env(env, SECRET_ENV["slack_client_secret"]),
        slack=_slack(raw.get("slack", {}), env),
        telegram=telegram,
        telegram_webhook_secret=webhook_secret,
    )
    _check_slack(config)
    return config


def _env(env: Mapping[str, str], name: str) -> str | None:
    # An empty value counts as unset: compose files and .env templates often carry `NAME=`.
    value = env.get(name, "").strip()
    return value or None


def _read_file(
    path: str | Path | None, env: Mapping[str, str]
) -> tuple[Path | None, dict[str, object]]:
    where = "config file"
    if path is None:
        from_env = _env(env, ENV_CONFIG)
        if from_env is None:
            return None, {}
        path, where = from_env, ENV_CONFIG
    file_path = Path(path).expanduser()
    if not file_path.is_file():
        raise ConfigError(where, f"{str(file_path)!r} does not exist or is not a file")
    try:
        with file_path.open("rb") as handle:
            return file_path, tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(file_path), f"not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(str(file_path), f"cannot be read: {exc.strerror or exc}") from exc


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _reject_secrets(value: object, where: str) -> None:
    # Walks the whole document, unknown tables included, so `[telegram] token = ...` is reported
    # as a secret in the wrong place rather than as a mere unknown table.
    if isinstance(value, dict):
        for key, item in value.items():
            if any(word in key.lower() for word in _SECRET_WORDS):
                variable = SECRET_ENV.get(key, " / ".join(SECRET_ENV.values()))
                raise ConfigError(
                    _join(where, key),
                    f"secrets are not read from the config file; set {variable} in the "
                    "environment instead (and remove the key from the file)",
                )
            _reject_secrets(item, _join(where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_secrets(item, f"{where}[{index}]")


def _check_keys(table: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in allowed:
            hint = get_close_matches(key, allowed, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(
                _join(where, key),
                f"unknown key (allowed here: {', '.join(allowed)}){suggestion}",
            )


def _table(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ConfigError(where, f"must be a table, got {type(value).__name__}")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(where, f"must be a non-empty string, got {value!r}")
    return value.strip()


def _seconds(value: object, where: str) -> float:
    # bool is an int in Python; `interval = true` is a mistake, not 1 second.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(where, f"must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(where, f"must be a positive number of seconds, got {value!r}")
    return float(value)


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(where, f"must be a whole number, got {value!r}")
    if value < 1:
        raise ConfigError(where, f"must be at least 1, got {value}")
    return value


def _fetch(value: object) -> FetchLimits:
    table = _table(value, "fetch")
    _check_keys(table, _FETCH_KEYS, "fetch")
    defaults = FetchLimits()
    ports = defaults.untrusted_ports
    if "untrusted_ports" in table:
        listed = table["untrusted_ports"]
        where = "fetch.untrusted_ports"
        if not isinstance(listed, list) or not listed:
            raise ConfigError(where, f"must be a non-empty list of port numbers, got {listed!r}")
        for port in listed:
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                raise ConfigError(where, f"{port!r} is not a port number (1-65535)")
        ports = frozenset(listed)
    return FetchLimits(
        max_bytes=(
            _count(table["max_bytes"], "fetch.max_bytes")
            if "max_bytes" in table
            else defaults.max_bytes
        ),
        timeout_seconds=(
            _seconds(table["timeout_seconds"], "fetch.timeout_seconds")
            if "timeout_seconds" in table
            else defaults.timeout_seconds
        ),
        untrusted_ports=ports,
    )


def _log_level(raw: Mapping[str, object], env: Mapping[str, str]) -> str:
    from_env = _env(env, ENV_LOG_LEVEL)
    where, value = (ENV_LOG_LEVEL, from_env) if from_env else ("log_level", raw.get("log_level"))
    if value is None:
        return "INFO"
    level = _string(value, where).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(where, f"must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _database_url(raw: Mapping[str, object], env: Mapping[str, str], data_dir: Path) -> str:
    from_env = _env(env, ENV_DATABASE_URL)
    if from_env:
        return _normalise_database_url(from_env, ENV_DATABASE_URL)
    if "database_url" not in raw:
        return default_database_url(data_dir)
    text = _string(raw["database_url"], "database_url")
    url = _normalise_database_url(text, "database_url")
    if make_url(url).password:
        raise ConfigError(
            "database_url",
            f"contains a password; set {ENV_DATABASE_URL} in the environment instead",
        )
    return url


def _normalise_database_url(text: str, where: str) -> str:
    try:
        url: URL = make_url(text)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(where, f"not a database URL: {exc}") from exc
    supported = ", ".join(f"{d}://" for d in ASYNC_DRIVERS.values())
    if url.drivername in _BARE_DIALECTS:
        # `postgres://…` and `sqlite:///…` are what most people paste: pick the async driver.
        url = url.set(drivername=ASYNC_DRIVERS[_BARE_DIALECTS[url.drivername]])
    elif url.drivername not in ASYNC_DRIVERS.values():
        raise ConfigError(where, f"unsupported driver {url.drivername!r}; use {supported}")
    return url.render_as_string(hide_password=False)


def _sources(value: object, base_dir: Path) -> tuple[SourceConfig, ...]:
    if not isinstance(value, list):
        raise ConfigError("sources", "must be a list of [[sources]] tables")
    seen: dict[str, int] = {}
    sources: list[SourceConfig] = []
    for index, item in enumerate(value):
        where = f"sources[{index}]"
        table = _table(item, where)
        _check_keys(table, _SOURCE_KEYS, where)
        if "url" not in table:
            raise ConfigError(f"{where}.url", "is required")
        url, default_name = _source_url(table["url"], f"{where}.url", base_dir)
        identity = _identity(url)
        if identity in seen:
            raise ConfigError(f"{where}.url", f"{url!r} duplicates sources[{seen[identity]}].url")
        seen[identity] = index
        name = _string(table["name"], f"{where}.name") if "name" in table else default_name
        interval = DEFAULT_INTERVAL
        if "interval" in table:
            interval = _seconds(table["interval"], f"{where}.interval")
        full_text = (
            _full_text(table["full_text"], f"{where}.full_text") if "full_text" in table else False
        )
        sources.append(SourceConfig(url=url, name=name, interval=interval, full_text=full_text))
    return tuple(sources)


def _full_text(value: object, where: str) -> FullText:
    if isinstance(value, bool):
        return value
    if value == "auto":
        return "auto"
    raise ConfigError(where, f'must be true, false or "auto", got {value!r}')


def _source_url(value: object, where: str, base_dir: Path) -> tuple[str, str]:
    """The URL as stored, and the default display name (the host, or the file name)."""
    text = _string(value, where)
    parts = urlsplit(text)
    if parts.scheme.lower() in ("http", "https"):
        if not parts.hostname:
            raise ConfigError(where, f"{text!r} has no host")
        return text, parts.hostname
    if parts.scheme.lower() == "file":
        local = Path(url2pathname(parts.path))
        if not local.is_file():
            raise ConfigError(where, f"{text!r}: no such local file")
        return text, local.name
    if "://" in text:
        raise ConfigError(where, f"{text!r}: only http(s) URLs or local file paths are supported")
    # Relative paths follow the config file, not whatever directory the bot was started from.
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    if not path.is_file():
        raise ConfigError(where, f"{text!r} is neither an http(s) URL nor an existing local file")
    resolved = path.resolve()
    return str(resolved), resolved.name


def _identity(url: str) -> str:
    # Scheme and host are case-insensitive; two spellings of one feed would poll it twice.
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return url
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def _delivery(value: object) -> DeliveryPolicy:
    table = _table(value, "delivery")
    _check_keys(table, _DELIVERY_KEYS, "delivery")
    defaults = DeliveryPolicy()

    def seconds(key: str, default: float) -> float:
        return _seconds(table[key], f"delivery.{key}") if key in table else default

    def count(key: str, default: int) -> int:
        return _count(table[key], f"delivery.{key}") if key in table else default

    return DeliveryPolicy(
        batch=count("batch", defaults.batch),
        lease_seconds=seconds("lease_seconds", defaults.lease_seconds),
        retry_base_seconds=seconds("retry_base_seconds", defaults.retry_base_seconds),
        retry_max_seconds=seconds("retry_max_seconds", defaults.retry_max_seconds),
        poll_seconds=seconds("poll_seconds", defaults.poll_seconds),
        burst=count("burst", defaults.burst),
        burst_max=count("burst_max", defaults.burst_max),
        uncertain_retries=_whole(
            table.get("uncertain_retries", defaults.uncertain_retries),
            "delivery.uncertain_retries",
        ),
        retention_days=seconds("retention_days", defaults.retention_days),
        rates=_rates(table.get("rates", {})),
    )


_POLLING_SECONDS = (
    "tick_seconds",
    "min_interval",
    "max_interval",
    "backoff_base",
    "backoff_max",
    "max_retry_after",
    "park_after",
)
_POLLING_KEYS = ("contact_url", "per_host", "slow_down", "jitter", "gone_after", *_POLLING_SECONDS)
_CHATS_KEYS = (
    "max_sources",
    "source_interval",
    "max_command_length",
    "commands_per_user",
    "command_seconds",
)


def _polling(value: object) -> PollingPolicy:
    table = _table(value, "polling")
    _check_keys(table, _POLLING_KEYS, "polling")
    defaults = PollingPolicy()
    values: dict[str, Any] = {}
    for key in _POLLING_SECONDS:
        if key in table:
            values[key] = _seconds(table[key], f"polling.{key}")
    for key in ("per_host", "gone_after"):
        if key in table:
            values[key] = _count(table[key], f"polling.{key}")
    if "contact_url" in table:
        contact = _string(table["contact_url"], "polling.contact_url")
        if urlsplit(contact).scheme.lower() not in ("http", "https", "mailto"):
            raise ConfigError(
                "polling.contact_url", f"must be an http(s) or mailto: URL, got {contact!r}"
            )
        if any(c in contact for c in "()\r\n"):
            raise ConfigError("polling.contact_url", "must not contain parentheses or line breaks")
        values["contact_url"] = contact
    if "slow_down" in table:
        slow = _seconds(table["slow_down"], "polling.slow_down")
        if slow < 1:
            raise ConfigError("polling.slow_down", f"must be at least 1, got {slow:g}")
        values["slow_down"] = slow
    if "jitter" in table:
        jitter = table["jitter"]
        if isinstance(jitter, bool) or not isinstance(jitter, int | float) or not 0 <= jitter < 1:
            raise ConfigError(
                "polling.jitter", f"must be a fraction from 0 to below 1, got {jitter!r}"
            )
        values["jitter"] = float(jitter)
    policy = replace(defaults, **values)
    if policy.min_interval > policy.max_interval:
        raise ConfigError("polling.min_interval", "must not be larger than polling.max_interval")
    return policy


def _chats(value: object) -> ChatLimits:
    table = _table(value, "chats")
    _check_keys(table, _CHATS_KEYS, "chats")
    defaults = ChatLimits()

    def seconds(key: str, default: float) -> float:
        return _seconds(table[key], f"chats.{key}") if key in table else default

    def count(key: str, default: int) -> int:
        return _count(table[key], f"chats.{key}") if key in table else default

    return ChatLimits(
        max_sources=count("max_sources", defaults.max_sources),
        source_interval=seconds("source_interval", defaults.source_interval),
        max_command_length=count("max_command_length", defaults.max_command_length),
        commands_per_user=count("commands_per_user", defaults.commands_per_user),
        command_seconds=seconds("command_seconds", defaults.command_seconds),
    )


def _slack(value: object, env: Mapping[str, str]) -> SlackConfig:
    table = _table(value, "slack")
    _check_keys(table, _SLACK_KEYS, "slack")
    port, port_where = _env(env, ENV_SLACK_PORT), ENV_SLACK_PORT
    raw_port: object = port
    if port is None:
        raw_port, port_where = table.get("port", 3000), "slack.port"
    elif port.isdigit():
        raw_port = int(port)
    if isinstance(raw_port, bool) or not isinstance(raw_port, int) or not 0 < raw_port < 65536:
        raise ConfigError(port_where, f"must be a TCP port number (1-65535), got {raw_port!r}")
    api_url = _env(env, ENV_SLACK_API_URL)
    api_where = ENV_SLACK_API_URL
    if api_url is None:
        api_url, api_where = str(table.get("api_url", DEFAULT_SLACK_API_URL)), "slack.api_url"
    if urlsplit(api_url).scheme.lower() not in ("http", "https") or not urlsplit(api_url).hostname:
        raise ConfigError(api_where, f"must be an http(s) URL, got {api_url!r}")
    if not api_url.endswith("/"):
        api_url += "/"  # slack_sdk appends the method name to it
    client_id = _env(env, ENV_SLACK_CLIENT_ID)
    if client_id is None and "client_id" in table:
        client_id = _string(table["client_id"], "slack.client_id")
    if client_id and not _env(env, SECRET_ENV["slack_client_secret"]):
        raise ConfigError(
            SECRET_ENV["slack_client_secret"], "is required when a Slack client_id is set (OAuth)"
        )
    return SlackConfig(port=raw_port, api_url=api_url, client_id=client_id)


def _check_slack(config: Config) -> None:
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


def _http_url(value: object, where: str, *, https: bool = False) -> str:
    text = _string(value, where)
    parts = urlsplit(text)
    schemes = ("https",) if https else ("http", "https")
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise ConfigError(where, f"must be an {' or '.join(schemes)} URL with a host, got {text!r}")
    return text


def _telegram(value: object, env: Mapping[str, str]) -> TelegramConfig:
    table = _table(value, "telegram")
    _check_keys(table, _TELEGRAM_KEYS, "telegram")
    defaults = TelegramConfig()
    base_url = defaults.base_url
    if from_env := _env(env, ENV_TELEGRAM_BASE_URL):
        base_url = _http_url(from_env, ENV_TELEGRAM_BASE_URL)
    elif "base_url" in table:
        base_url = _http_url(table["base_url"], "telegram.base_url")
    webhook_url = None
    if from_env := _env(env, ENV_TELEGRAM_WEBHOOK_URL):
        webhook_url = _http_url(from_env, ENV_TELEGRAM_WEBHOOK_URL, https=True)
    elif "webhook_url" in table:
        webhook_url = _http_url(table["webhook_url"], "telegram.webhook_url", https=True)
    listen = defaults.webhook_listen
    if "webhook_listen" in table:
        listen = _string(table["webhook_listen"], "telegram.webhook_listen")
    port = defaults.webhook_port
    if "webhook_port" in table:
        port = _count(table["webhook_port"], "telegram.webhook_port")
        if port > 65535:
            raise ConfigError("telegram.webhook_port", f"must be a TCP port (1-65535), got {port}")
    return TelegramConfig(
        base_url=base_url, webhook_url=webhook_url, webhook_listen=listen, webhook_port=port
    )


def _webhook_secret(telegram: TelegramConfig, env: Mapping[str, str]) -> str | None:
    name = SECRET_ENV["telegram_webhook_secret"]
    secret = _env(env, name)
    if secret is not None and not _WEBHOOK_SECRET.fullmatch(secret):
        raise ConfigError(name, "must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    if telegram.webhook_url is not None and secret is None:
        # Without it anyone who finds the URL could post fake updates to the bot.
        raise ConfigError(name, "is required when telegram.webhook_url is set (webhook mode)")
    return secret


def _whole(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(where, f"must be a whole number, 0 or more, got {value!r}")
    return value


def _rates(value: object) -> dict[str, PlatformRates]:
    """`[delivery.rates.telegram]` with `private`, `group`, `total` = "1/s", "20/min",
    "unlimited"; what a table leaves out keeps its default."""
    rates = default_rates()
    for platform, item in _table(value, "delivery.rates").items():
        where = f"delivery.rates.{platform}"
        table = _table(item, where)
        _check_keys(table, _RATE_KEYS, where)
        base = rates.get(platform, PlatformRates())
        parsed = {key: _rate(table[key], f"{where}.{key}") for key in table}
        rates[platform] = PlatformRates(
            private=parsed.get("private", base.private),
            group=parsed.get("group", base.group),
            total=parsed.get("total", base.total),
        )
    return rates


def _rate(value: object, where: str) -> Rate | None:
    text = _string(value, where).lower().replace(" ", "")
    if text == "unlimited":
        return None
    count, _, unit = text.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in _RATE_UNITS:
        raise ConfigError(
            where, f'must look like "1/s", "20/min", "100/h" or "unlimited", got {value!r}'
        )
    return Rate(int(count), _RATE_UNITS[unit])

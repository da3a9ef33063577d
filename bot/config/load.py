"""Reading the config: the file, then the environment over it, every section validated once."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.config.model import (
    DEFAULT_DATA_DIR,
    ENV_CONFIG,
    ENV_DATA_DIR,
    ENV_DATABASE_URL,
    ENV_LOG_LEVEL,
    SECRET_ENV,
    Config,
    default_database_url,
)
from bot.config.ops import log_format, ops_config
from bot.config.platforms import check_slack, slack_config, telegram_config, telegram_webhook_secret
from bot.config.sections import (
    chat_limits,
    delivery_policy,
    fetch_limits,
    polling_policy,
    read_sources,
)
from bot.config.values import as_string, check_keys, env_value, reject_secrets
from bot.config.websub import websub_config
from bot.errors import ConfigError
from bot.logs import LOG_LEVELS

# The store runs on SQLAlchemy's asyncio engine, so a sync driver would only fail later, obscurely.
ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_BARE_DIALECTS = {"sqlite": "sqlite", "postgresql": "postgresql", "postgres": "postgresql"}
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
    "websub",
    "ops",
    "log_format",
)


def load_config(path: str | Path | None, env: Mapping[str, str]) -> Config:
    """Read `path` (or $NEWSBOT_CONFIG; no file at all means defaults), apply the environment and
    validate everything. Raises ConfigError naming the first bad key."""
    file_path, raw = _read_file(path, env)
    reject_secrets(raw, "")
    check_keys(raw, _TOP_KEYS, "")
    data_dir = Path(env_value(env, ENV_DATA_DIR) or DEFAULT_DATA_DIR)
    base_dir = file_path.parent if file_path else Path.cwd()
    sources = read_sources(raw.get("sources", []), base_dir)
    telegram = telegram_config(raw.get("telegram", {}), env)
    webhook_secret = telegram_webhook_secret(telegram, env)
    config = Config(
        database_url=_database_url(raw, env, data_dir),
        log_level=_log_level(raw, env),
        log_format=log_format(raw, env),
        sources=sources,
        delivery=delivery_policy(raw.get("delivery", {})),
        polling=polling_policy(raw.get("polling", {})),
        chats=chat_limits(raw.get("chats", {})),
        fetch=fetch_limits(raw.get("fetch", {})),
        demo=not sources,
        data_dir=data_dir,
        config_path=file_path,
        telegram_token=env_value(env, SECRET_ENV["telegram_token"]),
        slack_bot_token=env_value(env, SECRET_ENV["slack_bot_token"]),
        slack_app_token=env_value(env, SECRET_ENV["slack_app_token"]),
        slack_signing_secret=env_value(env, SECRET_ENV["slack_signing_secret"]),
        slack_client_secret=env_value(env, SECRET_ENV["slack_client_secret"]),
        slack=slack_config(raw.get("slack", {}), env),
        telegram=telegram,
        telegram_webhook_secret=webhook_secret,
        websub=websub_config(raw.get("websub", {}), env),
        ops=ops_config(raw.get("ops", {}), env),
        ops_token=env_value(env, SECRET_ENV["ops_token"]),
    )
    check_slack(config)
    return config


def _read_file(
    path: str | Path | None, env: Mapping[str, str]
) -> tuple[Path | None, dict[str, object]]:
    where = "config file"
    if path is None:
        from_env = env_value(env, ENV_CONFIG)
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


def _log_level(raw: Mapping[str, object], env: Mapping[str, str]) -> str:
    from_env = env_value(env, ENV_LOG_LEVEL)
    where, value = (ENV_LOG_LEVEL, from_env) if from_env else ("log_level", raw.get("log_level"))
    if value is None:
        return "INFO"
    level = as_string(value, where).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(where, f"must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _database_url(raw: Mapping[str, object], env: Mapping[str, str], data_dir: Path) -> str:
    from_env = env_value(env, ENV_DATABASE_URL)
    if from_env:
        return _normalise_database_url(from_env, ENV_DATABASE_URL)
    if "database_url" not in raw:
        return default_database_url(data_dir)
    text = as_string(raw["database_url"], "database_url")
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

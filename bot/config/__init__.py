"""Operator configuration: one TOML file plus NEWSBOT_* environment variables, validated once.

Precedence is environment > file > defaults. Secrets come only from the environment, so a config
file can be committed, shared or pasted into a bug report without leaking a token. Every problem
raises `ConfigError` whose key names the exact place (`sources[2].interval`, `NEWSBOT_LOG_LEVEL`).

The package: `model.py` (the settings and their defaults), `load.py` (reading the file and the
environment), `values.py` (the checks every section shares), `sections.py` (sources, fetching,
polling, delivery, chats), `platforms.py` (Slack and Telegram), `websub.py` (push) and `ops.py`
(the operations server, /stats, the log format).
"""

from bot.config.load import load_config
from bot.config.model import (
    TELEGRAM_BASE_URL,
    Config,
    FullText,
    OpsConfig,
    SlackConfig,
    SourceConfig,
    TelegramConfig,
    WebSubConfig,
    default_database_url,
)

__all__ = [
    "TELEGRAM_BASE_URL",
    "Config",
    "FullText",
    "OpsConfig",
    "SlackConfig",
    "SourceConfig",
    "TelegramConfig",
    "WebSubConfig",
    "default_database_url",
    "load_config",
]

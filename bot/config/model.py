"""What the configuration is: the settings' shapes, their defaults, and the environment variables
that can set them. Read and validated by `load.py`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import make_url

from bot.commands.limits import ChatLimits
from bot.delivery.policy import DeliveryPolicy
from bot.ingest.limits import FetchLimits
from bot.sources.policy import PollingPolicy

ENV_CONFIG = "NEWSBOT_CONFIG"
ENV_DATA_DIR = "NEWSBOT_DATA_DIR"
ENV_DATABASE_URL = "NEWSBOT_DATABASE_URL"
ENV_LOG_LEVEL = "NEWSBOT_LOG_LEVEL"
ENV_LOG_FORMAT = "NEWSBOT_LOG_FORMAT"
ENV_OPS_PORT = "NEWSBOT_OPS_PORT"
ENV_OPS_LISTEN = "NEWSBOT_OPS_LISTEN"
LOG_FORMATS = ("text", "json")
# Field name on Config -> the only place its value may come from.
SECRET_ENV: Mapping[str, str] = {
    "telegram_token": "NEWSBOT_TELEGRAM_TOKEN",
    "slack_bot_token": "NEWSBOT_SLACK_BOT_TOKEN",
    "slack_app_token": "NEWSBOT_SLACK_APP_TOKEN",
    "slack_signing_secret": "NEWSBOT_SLACK_SIGNING_SECRET",
    "slack_client_secret": "NEWSBOT_SLACK_CLIENT_SECRET",
    "telegram_webhook_secret": "NEWSBOT_TELEGRAM_WEBHOOK_SECRET",
    "ops_token": "NEWSBOT_OPS_TOKEN",
}
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
ENV_SLACK_PORT = "NEWSBOT_SLACK_PORT"
ENV_SLACK_API_URL = "NEWSBOT_SLACK_API_URL"
ENV_SLACK_CLIENT_ID = "NEWSBOT_SLACK_CLIENT_ID"
ENV_TELEGRAM_BASE_URL = "NEWSBOT_TELEGRAM_BASE_URL"
ENV_TELEGRAM_WEBHOOK_URL = "NEWSBOT_TELEGRAM_WEBHOOK_URL"
ENV_WEBSUB_PUBLIC_URL = "NEWSBOT_WEBSUB_PUBLIC_URL"
ENV_WEBSUB_PORT = "NEWSBOT_WEBSUB_PORT"
TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATA_DIR = Path("data")
DEFAULT_INTERVAL = 300.0
SQLITE_FILE = "newsbot.sqlite3"


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
class WebSubConfig:
    """Push (WebSub): off unless `public_url` is set. Hubs call `public_url` + "/<id>"; a reverse
    proxy forwards that path to `listen`:`port`, where the bot's callback server answers."""

    public_url: str | None = None
    listen: str = "0.0.0.0"
    port: int = 8470
    safety_interval: float = 3600.0  # a pushed source is still polled at least this rarely
    lease_seconds: int = 10 * 86400  # asked of the hub; the hub decides

    @property
    def enabled(self) -> bool:
        return self.public_url is not None


@dataclass(frozen=True, slots=True)
class OpsConfig:
    """The operations HTTP server (/healthz, /readyz, /metrics, the status page) and /stats.
    The server is off unless `port` is set; its token is on Config, from the environment."""

    listen: str = "127.0.0.1"
    port: int | None = None  # None: no ops server
    # Chats whose /stats is answered, as "platform:chat" ("telegram:123", "slack:T1:C2").
    admins: frozenset[str] = frozenset()

    @property
    def enabled(self) -> bool:
        return self.port is not None


@dataclass(frozen=True, slots=True)
class Config:
    database_url: str = default_database_url(DEFAULT_DATA_DIR)
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line
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
    websub: WebSubConfig = field(default_factory=WebSubConfig)
    ops: OpsConfig = field(default_factory=OpsConfig)
    ops_token: str | None = field(default=None, repr=False)

    def secrets(self) -> tuple[str, ...]:
        """Every secret this config holds, for the logs to mask: tokens, signing and client
        secrets, and the database password."""
        values = [getattr(self, name) for name in SECRET_ENV]
        values.append(make_url(self.database_url).password)
        return tuple(str(v) for v in values if v)

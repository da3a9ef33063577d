"""The sections of the config file about the pipeline: sources, fetching, polling, delivery and
chats' limits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from bot.commands.limits import ChatLimits
from bot.config.model import DEFAULT_INTERVAL, FullText, SourceConfig
from bot.config.values import as_count, as_seconds, as_string, as_table, as_whole, check_keys
from bot.delivery.policy import DeliveryPolicy, PlatformRates, default_rates
from bot.domain import Rate
from bot.errors import ConfigError
from bot.ingest.limits import FetchLimits
from bot.sources.policy import PollingPolicy

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


def fetch_limits(value: object) -> FetchLimits:
    table = as_table(value, "fetch")
    check_keys(table, _FETCH_KEYS, "fetch")
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
            as_count(table["max_bytes"], "fetch.max_bytes")
            if "max_bytes" in table
            else defaults.max_bytes
        ),
        timeout_seconds=(
            as_seconds(table["timeout_seconds"], "fetch.timeout_seconds")
            if "timeout_seconds" in table
            else defaults.timeout_seconds
        ),
        untrusted_ports=ports,
    )


def read_sources(value: object, base_dir: Path) -> tuple[SourceConfig, ...]:
    if not isinstance(value, list):
        raise ConfigError("sources", "must be a list of [[sources]] tables")
    seen: dict[str, int] = {}
    sources: list[SourceConfig] = []
    for index, item in enumerate(value):
        where = f"sources[{index}]"
        table = as_table(item, where)
        check_keys(table, _SOURCE_KEYS, where)
        if "url" not in table:
            raise ConfigError(f"{where}.url", "is required")
        url, default_name = _source_url(table["url"], f"{where}.url", base_dir)
        identity = _identity(url)
        if identity in seen:
            raise ConfigError(f"{where}.url", f"{url!r} duplicates sources[{seen[identity]}].url")
        seen[identity] = index
        name = as_string(table["name"], f"{where}.name") if "name" in table else default_name
        interval = DEFAULT_INTERVAL
        if "interval" in table:
            interval = as_seconds(table["interval"], f"{where}.interval")
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
    text = as_string(value, where)
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


def delivery_policy(value: object) -> DeliveryPolicy:
    table = as_table(value, "delivery")
    check_keys(table, _DELIVERY_KEYS, "delivery")
    defaults = DeliveryPolicy()

    def seconds(key: str, default: float) -> float:
        return as_seconds(table[key], f"delivery.{key}") if key in table else default

    def count(key: str, default: int) -> int:
        return as_count(table[key], f"delivery.{key}") if key in table else default

    return DeliveryPolicy(
        batch=count("batch", defaults.batch),
        lease_seconds=seconds("lease_seconds", defaults.lease_seconds),
        retry_base_seconds=seconds("retry_base_seconds", defaults.retry_base_seconds),
        retry_max_seconds=seconds("retry_max_seconds", defaults.retry_max_seconds),
        poll_seconds=seconds("poll_seconds", defaults.poll_seconds),
        burst=count("burst", defaults.burst),
        burst_max=count("burst_max", defaults.burst_max),
        uncertain_retries=as_whole(
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


def polling_policy(value: object) -> PollingPolicy:
    table = as_table(value, "polling")
    check_keys(table, _POLLING_KEYS, "polling")
    defaults = PollingPolicy()
    values: dict[str, Any] = {}
    for key in _POLLING_SECONDS:
        if key in table:
            values[key] = as_seconds(table[key], f"polling.{key}")
    for key in ("per_host", "gone_after"):
        if key in table:
            values[key] = as_count(table[key], f"polling.{key}")
    if "contact_url" in table:
        contact = as_string(table["contact_url"], "polling.contact_url")
        if urlsplit(contact).scheme.lower() not in ("http", "https", "mailto"):
            raise ConfigError(
                "polling.contact_url", f"must be an http(s) or mailto: URL, got {contact!r}"
            )
        if any(c in contact for c in "()\r\n"):
            raise ConfigError("polling.contact_url", "must not contain parentheses or line breaks")
        values["contact_url"] = contact
    if "slow_down" in table:
        slow = as_seconds(table["slow_down"], "polling.slow_down")
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


def chat_limits(value: object) -> ChatLimits:
    table = as_table(value, "chats")
    check_keys(table, _CHATS_KEYS, "chats")
    defaults = ChatLimits()

    def seconds(key: str, default: float) -> float:
        return as_seconds(table[key], f"chats.{key}") if key in table else default

    def count(key: str, default: int) -> int:
        return as_count(table[key], f"chats.{key}") if key in table else default

    return ChatLimits(
        max_sources=count("max_sources", defaults.max_sources),
        source_interval=seconds("source_interval", defaults.source_interval),
        max_command_length=count("max_command_length", defaults.max_command_length),
        commands_per_user=count("commands_per_user", defaults.commands_per_user),
        command_seconds=seconds("command_seconds", defaults.command_seconds),
    )


def _rates(value: object) -> dict[str, PlatformRates]:
    """`[delivery.rates.telegram]` with `private`, `group`, `total` = "1/s", "20/min",
    "unlimited"; what a table leaves out keeps its default."""
    rates = default_rates()
    for platform, item in as_table(value, "delivery.rates").items():
        where = f"delivery.rates.{platform}"
        table = as_table(item, where)
        check_keys(table, _RATE_KEYS, where)
        base = rates.get(platform, PlatformRates())
        parsed = {key: _rate(table[key], f"{where}.{key}") for key in table}
        rates[platform] = PlatformRates(
            private=parsed.get("private", base.private),
            group=parsed.get("group", base.group),
            total=parsed.get("total", base.total),
        )
    return rates


def _rate(value: object, where: str) -> Rate | None:
    text = as_string(value, where).lower().replace(" ", "")
    if text == "unlimited":
        return None
    count, _, unit = text.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in _RATE_UNITS:
        raise ConfigError(
            where, f'must look like "1/s", "20/min", "100/h" or "unlimited", got {value!r}'
        )
    return Rate(int(count), _RATE_UNITS[unit])

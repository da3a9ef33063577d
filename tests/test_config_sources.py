"""The [polling] and [chats] config tables: politeness, adaptive bounds and chat limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.commands.limits import ChatLimits
from bot.config import load_config
from bot.errors import ConfigError
from bot.sources.policy import PollingPolicy


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    config = load_config(None, {})
    assert config.polling == PollingPolicy()
    assert config.chats == ChatLimits()
    assert config.polling.user_agent.startswith("newsbot/")


def test_both_tables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[polling]
contact_url = "https://news.example.org/about-our-bot"
per_host = 2
tick_seconds = 5
min_interval = 120
max_interval = 7200
slow_down = 2
backoff_base = 30
backoff_max = 3600
jitter = 0.25
max_retry_after = 600
park_after = 3600
gone_after = 5
[chats]
max_sources = 3
source_interval = 600
max_command_length = 500
commands_per_user = 10
command_seconds = 30
""",
    )
    config = load_config(path, {})
    assert config.polling == PollingPolicy(
        contact_url="https://news.example.org/about-our-bot",
        per_host=2,
        tick_seconds=5,
        min_interval=120,
        max_interval=7200,
        slow_down=2,
        backoff_base=30,
        backoff_max=3600,
        jitter=0.25,
        max_retry_after=600,
        park_after=3600,
        gone_after=5,
    )
    assert config.polling.user_agent.endswith("(+https://news.example.org/about-our-bot)")
    assert config.chats == ChatLimits(3, 600, 500, 10, 30)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[polling]\ncontact_url = "ftp://x"', "polling.contact_url"),
        ('[polling]\ncontact_url = "https://x/(a)"', "polling.contact_url"),
        ("[polling]\nper_host = 0", "polling.per_host"),
        ("[polling]\njitter = 1", "polling.jitter"),
        ("[polling]\nslow_down = 0.5", "polling.slow_down"),
        ("[polling]\nmin_interval = 600\nmax_interval = 60", "polling.min_interval"),
        ("[polling]\npark_after = -1", "polling.park_after"),
        ("[polling]\nintervall = 1", "polling.intervall"),
        ("[chats]\nmax_sources = 0", "chats.max_sources"),
        ("[chats]\ncommands_per_user = 2.5", "chats.commands_per_user"),
        ('chats = "many"', "chats"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), {})
    assert caught.value.key == key

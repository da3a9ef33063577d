"""`[websub]`: off by default; every key checked on its own, errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import WebSubConfig, load_config
from bot.errors import ConfigError


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_off_without_a_public_url(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, "[websub]\nport = 9000\n"), {})
    assert not config.websub.enabled and config.websub.port == 9000
    assert load_config(None, {}).websub == WebSubConfig()


def test_file_and_environment(tmp_path: Path) -> None:
    path = config_file(
        tmp_path,
        '[websub]\npublic_url = "https://bot.example.org/websub/"\nlisten = "127.0.0.1"\n'
        "port = 8471\nsafety_interval = 7200\nlease_seconds = 86400\n",
    )
    config = load_config(path, {})
    assert config.websub == WebSubConfig(
        public_url="https://bot.example.org/websub",
        listen="127.0.0.1",
        port=8471,
        safety_interval=7200.0,
        lease_seconds=86400,
    )
    env = {
        "NEWSBOT_WEBSUB_PUBLIC_URL": "https://push.example.net/cb",
        "NEWSBOT_WEBSUB_PORT": "9001",
    }
    overridden = load_config(path, env).websub
    assert (overridden.public_url, overridden.port) == ("https://push.example.net/cb", 9001)


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ('public_url = "ftp://x.example/"', {}, "websub.public_url"),
        ('public_url = "https://x.example/cb?token=1"', {}, "websub.public_url"),
        ("public_url = 5", {}, "websub.public_url"),
        ("port = 70000", {}, "websub.port"),
        ('port = "8470"', {}, "websub.port"),
        ("", {"NEWSBOT_WEBSUB_PORT": "eighty"}, "NEWSBOT_WEBSUB_PORT"),
        ("", {"NEWSBOT_WEBSUB_PUBLIC_URL": "not a url"}, "NEWSBOT_WEBSUB_PUBLIC_URL"),
        ('listen = ""', {}, "websub.listen"),
        ("safety_interval = 0", {}, "websub.safety_interval"),
        ("lease_seconds = 1.5", {}, "websub.lease_seconds"),
        ("public_uri = 'https://x.example/'", {}, "websub.public_uri"),
    ],
)
def test_each_bad_value_names_its_key(
    tmp_path: Path, text: str, env: dict[str, str], key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(config_file(tmp_path, f"[websub]\n{text}\n"), env)
    assert caught.value.key == key


def test_a_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean 'public_url'"):
        load_config(config_file(tmp_path, "[websub]\npublic_uri = 'https://x.example/'\n"), {})

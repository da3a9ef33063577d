"""The [telegram] table and NEWSBOT_TELEGRAM_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import TELEGRAM_BASE_URL, TelegramConfig, load_config
from bot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "newsbot.example.toml"
SECRET = "s3cret_-token"


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> TelegramConfig:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env or {}).telegram


def error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, env)
    return caught.value


def test_defaults_are_long_polling_on_the_public_api() -> None:
    config = load_config(None, {"NEWSBOT_TELEGRAM_TOKEN": "1:x"})
    assert config.telegram == TelegramConfig(base_url=TELEGRAM_BASE_URL, webhook_url=None)
    assert config.telegram_token == "1:x" and config.telegram_webhook_secret is None


def test_webhook_from_file_with_secret_from_environment(tmp_path: Path) -> None:
    text = (
        '[telegram]\nbase_url = "http://127.0.0.1:8081/bot"\n'
        'webhook_url = "https://bot.example.org/telegram"\n'
        'webhook_listen = "127.0.0.1"\nwebhook_port = 8080\n'
    )
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    config = load_config(path, {"NEWSBOT_TELEGRAM_WEBHOOK_SECRET": SECRET})
    assert config.telegram == TelegramConfig(
        base_url="http://127.0.0.1:8081/bot",
        webhook_url="https://bot.example.org/telegram",
        webhook_listen="127.0.0.1",
        webhook_port=8080,
    )
    assert config.telegram_webhook_secret == SECRET
    assert SECRET not in repr(config)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "NEWSBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "NEWSBOT_TELEGRAM_WEBHOOK_URL": "https://env.example.org/hook",
        "NEWSBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    config = load(tmp_path, '[telegram]\nbase_url = "https://other.example/bot"\n', env)
    assert config.base_url == "http://127.0.0.1:9/bot"
    assert config.webhook_url == "https://env.example.org/hook"


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ('[telegram]\nbase_url = "ftp://x/bot"\n', {}, "telegram.base_url"),
        ("", {"NEWSBOT_TELEGRAM_BASE_URL": "api.telegram.org"}, "NEWSBOT_TELEGRAM_BASE_URL"),
        (
            '[telegram]\nwebhook_url = "http://bot.example.org/"\n',
            {"NEWSBOT_TELEGRAM_WEBHOOK_SECRET": SECRET},
            "telegram.webhook_url",
        ),
        (
            '[telegram]\nwebhook_url = "https://bot.example.org/"\n',
            {},
            "NEWSBOT_TELEGRAM_WEBHOOK_SECRET",
        ),
        ("", {"NEWSBOT_TELEGRAM_WEBHOOK_SECRET": "has spaces!"}, "NEWSBOT_TELEGRAM_WEBHOOK_SECRET"),
        ("[telegram]\nwebhook_port = 70000\n", {}, "telegram.webhook_port"),
        ('[telegram]\nwebhook_port = "443"\n', {}, "telegram.webhook_port"),
        ('[telegram]\nwebhok_url = "https://x/"\n', {}, "telegram.webhok_url"),
        ('[telegram]\nsecret_token = "abc"\n', {}, "telegram.secret_token"),
    ],
)
def test_bad_telegram_settings_name_their_key(
    tmp_path: Path, text: str, env: dict[str, str], key: str
) -> None:
    assert error(tmp_path, text, env).key == key


def test_example_file_documents_the_telegram_settings() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in ["NEWSBOT_TELEGRAM_BASE_URL", "NEWSBOT_TELEGRAM_WEBHOOK_URL",
                 "NEWSBOT_TELEGRAM_WEBHOOK_SECRET", "[telegram]", "webhook_port"]:  # fmt: skip
        assert name in text

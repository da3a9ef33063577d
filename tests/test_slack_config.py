"""Slack settings: the [slack] table, NEWSBOT_SLACK_* variables and the mode rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SlackConfig, load_config
from bot.errors import ConfigError
from bot.serve import _slack_adapter

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "newsbot.example.toml"
HTTP = {"NEWSBOT_SLACK_BOT_TOKEN": "xoxb-1", "NEWSBOT_SLACK_SIGNING_SECRET": "s"}


def error_key(env: dict[str, str], text: str = "", tmp_path: Path | None = None) -> str:
    path = None
    if tmp_path is not None:
        path = tmp_path / "n.toml"
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env)
    return caught.value.key


def test_slack_is_off_by_default_and_on_with_a_bot_token() -> None:
    config = load_config(None, {})
    assert not config.slack_enabled and config.slack == SlackConfig()
    assert _slack_adapter(config) is None
    on = load_config(None, HTTP)
    assert on.slack_enabled and on.slack.port == 3000
    assert on.slack.api_url == "https://slack.com/api/"
    assert _slack_adapter(on) is not None
    assert "xoxb-1" not in repr(on)


def test_file_and_environment(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text('[slack]\nport = 8080\napi_url = "http://127.0.0.1:9/api"\n', "utf-8")
    config = load_config(path, HTTP)
    assert config.slack.port == 8080 and config.slack.api_url == "http://127.0.0.1:9/api/"
    env = {**HTTP, "NEWSBOT_SLACK_PORT": "3001", "NEWSBOT_SLACK_API_URL": "https://p.example/a/"}
    config = load_config(path, env)
    assert config.slack.port == 3001 and config.slack.api_url == "https://p.example/a/"


def test_example_file_documents_the_slack_variables() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in ("PORT", "API_URL", "CLIENT_ID", "CLIENT_SECRET"):
        assert f"NEWSBOT_SLACK_{name}" in text
    assert load_config(EXAMPLE, {}).slack.port == 3000


def test_bad_values_name_their_key(tmp_path: Path) -> None:
    assert error_key({**HTTP, "NEWSBOT_SLACK_PORT": "http"}) == "NEWSBOT_SLACK_PORT"
    assert error_key({**HTTP, "NEWSBOT_SLACK_PORT": "70000"}) == "NEWSBOT_SLACK_PORT"
    assert error_key(HTTP, "[slack]\nport = true\n", tmp_path) == "slack.port"
    assert error_key(HTTP, '[slack]\napi_url = "slack.com"\n', tmp_path) == "slack.api_url"
    assert error_key(HTTP, "[slack]\nprot = 1\n", tmp_path) == "slack.prot"
    assert error_key(HTTP, '[slack]\nclient_secret = "x"\n', tmp_path) == "slack.client_secret"


def test_mode_rules() -> None:
    # HTTP mode cannot verify requests without the signing secret.
    assert error_key({"NEWSBOT_SLACK_BOT_TOKEN": "xoxb-1"}) == "NEWSBOT_SLACK_SIGNING_SECRET"
    # Socket Mode needs no signing secret.
    socket = load_config(None, {"NEWSBOT_SLACK_BOT_TOKEN": "x", "NEWSBOT_SLACK_APP_TOKEN": "y"})
    assert socket.slack_enabled
    oauth = {"NEWSBOT_SLACK_CLIENT_ID": "1.2", "NEWSBOT_SLACK_SIGNING_SECRET": "s"}
    assert error_key(oauth) == "NEWSBOT_SLACK_CLIENT_SECRET"
    config = load_config(None, {**oauth, "NEWSBOT_SLACK_CLIENT_SECRET": "c"})
    assert config.slack_enabled and config.slack.client_id == "1.2"
    both = {**HTTP, "NEWSBOT_SLACK_CLIENT_ID": "1.2", "NEWSBOT_SLACK_CLIENT_SECRET": "c"}
    assert error_key(both) == "NEWSBOT_SLACK_BOT_TOKEN"
    oauth_socket = {**oauth, "NEWSBOT_SLACK_CLIENT_SECRET": "c", "NEWSBOT_SLACK_APP_TOKEN": "y"}
    assert error_key(oauth_socket) == "NEWSBOT_SLACK_APP_TOKEN"

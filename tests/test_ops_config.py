"""`[ops]`, `log_format` and their environment variables: off by default, checked at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import OpsConfig, load_config
from bot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "newsbot.example.toml"


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> object:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env or {})


def error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, env)
    return str(caught.value)


def test_everything_is_off_by_default() -> None:
    config = load_config(None, {})
    assert config.ops == OpsConfig() and not config.ops.enabled
    assert config.log_format == "text" and config.ops_token is None
    example = load_config(EXAMPLE, {})
    assert not example.ops.enabled and example.log_format == "text"


def test_ops_from_the_file_and_the_environment(tmp_path: Path) -> None:
    text = '[ops]\nport = 9108\nadmins = ["telegram:123456", "slack:T1:C2"]\nlog_format = 1\n'
    assert "ops.log_format" in error(tmp_path, text)
    config = load_config(None, {"NEWSBOT_OPS_PORT": "9200"})
    assert config.ops == OpsConfig(port=9200)
    path = tmp_path / "a.toml"
    path.write_text('log_format = "JSON"\n[ops]\nport = 9108\nadmins = ["telegram:123456"]\n')
    config = load_config(path, {"NEWSBOT_OPS_TOKEN": "t0ken"})
    assert config.ops == OpsConfig(port=9108, admins=frozenset({"telegram:123456"}))
    assert config.ops_token == "t0ken" and config.log_format == "json"
    assert "t0ken" not in repr(config) and "t0ken" in config.secrets()
    env = {"NEWSBOT_OPS_PORT": "9300", "NEWSBOT_LOG_FORMAT": "text"}
    config = load_config(path, env)
    assert config.ops.port == 9300 and config.log_format == "text"


def test_listening_beyond_this_machine_needs_a_token(tmp_path: Path) -> None:
    said = error(tmp_path, '[ops]\nlisten = "0.0.0.0"\nport = 9108\n')
    assert "ops.listen" in said and "NEWSBOT_OPS_TOKEN" in said
    config = load(tmp_path, '[ops]\nlisten = "0.0.0.0"\nport = 9108\n', {"NEWSBOT_OPS_TOKEN": "x"})
    assert config.ops.listen == "0.0.0.0"  # type: ignore[attr-defined]
    for loopback in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert load(tmp_path, f'[ops]\nlisten = "{loopback}"\nport = 9108\n')
    # Off, it may name any address: nothing listens.
    assert load(tmp_path, '[ops]\nlisten = "0.0.0.0"\n')
    said = str(
        _raises(lambda: load_config(None, {"NEWSBOT_OPS_PORT": "9", "NEWSBOT_OPS_LISTEN": "::"}))
    )
    assert "NEWSBOT_OPS_TOKEN" in said


def _raises(fn: object) -> ConfigError:
    assert callable(fn)
    with pytest.raises(ConfigError) as caught:
        fn()
    return caught.value


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ("[ops]\nport = 0\n", {}, "ops.port"),
        ("[ops]\nport = 70000\n", {}, "ops.port"),
        ('[ops]\nport = "9108"\n', {}, "ops.port"),
        ("", {"NEWSBOT_OPS_PORT": "http"}, "NEWSBOT_OPS_PORT"),
        ('[ops]\nadmins = "telegram:1"\n', {}, "ops.admins"),
        ('[ops]\nadmins = ["123456"]\n', {}, "ops.admins[0]"),
        ('[ops]\nadmins = ["discord:1"]\n', {}, "ops.admins[0]"),
        ("[ops]\nprot = 9108\n", {}, "ops.prot"),
        ('[ops]\ntoken = "x"\n', {}, "ops.token"),  # secrets only from the environment
        ('log_format = "yaml"\n', {}, "log_format"),
        ("", {"NEWSBOT_LOG_FORMAT": "xml"}, "NEWSBOT_LOG_FORMAT"),
    ],
)
def test_bad_values_name_their_key(
    tmp_path: Path, text: str, env: dict[str, str], key: str
) -> None:
    assert f"config {key}:" in error(tmp_path, text, env)

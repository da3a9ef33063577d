from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config, SourceConfig, load_config
from bot.delivery.policy import DeliveryPolicy, PlatformRates, default_rates
from bot.domain import Rate
from bot.errors import ConfigError
from bot.ingest.limits import FetchLimits

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "newsbot.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def config_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env or {})
    return caught.value


def test_no_file_gives_defaults_and_demo() -> None:
    config = load_config(None, {})
    assert config == Config()
    assert config.demo is True
    assert config.sources == ()
    assert config.delivery == DeliveryPolicy()
    assert config.log_level == "INFO"
    assert config.database_url == "sqlite+aiosqlite:///data/newsbot.sqlite3"


def test_example_file_loads() -> None:
    config = load_config(EXAMPLE, {})
    assert config.config_path == EXAMPLE
    assert config.demo is False
    assert [s.name for s in config.sources] == ["BBC World", "www.theguardian.com"]
    assert config.sources[1].interval == 600.0


def test_fetch_limits(tmp_path: Path) -> None:
    text = "[fetch]\nmax_bytes = 1048576\ntimeout_seconds = 7.5\nuntrusted_ports = [443, 8443]\n"
    config = load_config(write(tmp_path, text), {})
    assert config.fetch == FetchLimits(
        max_bytes=1048576, timeout_seconds=7.5, untrusted_ports=frozenset({443, 8443})
    )
    assert load_config(None, {}).fetch == FetchLimits(
        max_bytes=5 * 1024 * 1024, timeout_seconds=20.0, untrusted_ports=frozenset({80, 443})
    )


def test_example_file_mentions_every_environment_variable() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in [
        "NEWSBOT_CONFIG",
        "NEWSBOT_DATA_DIR",
        "NEWSBOT_DATABASE_URL",
        "NEWSBOT_LOG_LEVEL",
        "NEWSBOT_TELEGRAM_TOKEN",
        "NEWSBOT_SLACK_BOT_TOKEN",
        "NEWSBOT_SLACK_APP_TOKEN",
        "NEWSBOT_SLACK_SIGNING_SECRET",
    ]:
        assert name in text


def test_full_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
database_url = "postgresql+asyncpg://newsbot@db:5432/news"
log_level = "debug"
[delivery]
batch = 5
lease_seconds = 30
retry_base_seconds = 0.5
poll_seconds = 2
burst = 3
retention_days = 7
[delivery.rates.telegram]
group = "10/min"
total = "unlimited"
[delivery.rates.matrix]
private = "2/s"
[[sources]]
url = "https://example.com/feed.xml"
[[sources]]
url = "http://news.example.org/rss"
name = "Example News"
interval = 0.25
""",
    )
    config = load_config(path, {})
    assert config.database_url == "postgresql+asyncpg://newsbot@db:5432/news"
    assert config.log_level == "DEBUG"
    rates = dict(default_rates())
    rates["telegram"] = PlatformRates(Rate(1, 1.0), Rate(10, 60.0), None)
    rates["matrix"] = PlatformRates(private=Rate(2, 1.0))
    assert config.delivery == DeliveryPolicy(
        5, 30.0, 0.5, poll_seconds=2.0, burst=3, retention_days=7.0, rates=rates
    )
    assert config.sources == (
        SourceConfig("https://example.com/feed.xml", "example.com", 300.0),
        SourceConfig("http://news.example.org/rss", "Example News", 0.25),
    )
    assert config.demo is False


def test_environment_overrides_file(tmp_path: Path) -> None:
    path = write(tmp_path, 'log_level = "ERROR"\ndatabase_url = "sqlite:///x.db"\n')
    env = {
        "NEWSBOT_LOG_LEVEL": "warning",
        "NEWSBOT_DATABASE_URL": "postgresql://bot:pw@db/news",
        "NEWSBOT_TELEGRAM_TOKEN": "123:abc",
        "NEWSBOT_SLACK_BOT_TOKEN": "xoxb-1",
        "NEWSBOT_SLACK_APP_TOKEN": "xapp-1",
        "NEWSBOT_SLACK_SIGNING_SECRET": "s3cret",
    }
    config = load_config(path, env)
    assert config.log_level == "WARNING"
    # A password is fine in the environment, and the bare dialect gets the async driver.
    assert config.database_url == "postgresql+asyncpg://bot:pw@db/news"
    assert config.telegram_token == "123:abc"
    assert config.slack_bot_token == "xoxb-1"
    assert config.slack_app_token == "xapp-1"
    assert config.slack_signing_secret == "s3cret"
    assert "123:abc" not in repr(config)
    assert "s3cret" not in repr(config)


def test_empty_environment_values_count_as_unset() -> None:
    config = load_config(None, {"NEWSBOT_TELEGRAM_TOKEN": "", "NEWSBOT_LOG_LEVEL": " "})
    assert config.telegram_token is None
    assert config.log_level == "INFO"


def test_data_dir_sets_default_database(tmp_path: Path) -> None:
    config = load_config(None, {"NEWSBOT_DATA_DIR": "/data"})
    assert config.data_dir == Path("/data")
    assert config.database_url == "sqlite+aiosqlite:////data/newsbot.sqlite3"


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, 'log_level = "ERROR"\n')
    config = load_config(None, {"NEWSBOT_CONFIG": str(path)})
    assert config.log_level == "ERROR"
    assert config.config_path == path


def test_explicit_path_wins_over_environment(tmp_path: Path) -> None:
    path = write(tmp_path, 'log_level = "ERROR"\n')
    config = load_config(path, {"NEWSBOT_CONFIG": str(tmp_path / "missing.toml")})
    assert config.log_level == "ERROR"


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml", {})
    assert caught.value.key == "config file"
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"NEWSBOT_CONFIG": str(tmp_path / "nope.toml")})
    assert caught.value.key == "NEWSBOT_CONFIG"


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    error = config_error(tmp_path, 'log_level = "INFO"\nsources = [ = \n')
    assert error.key.endswith("newsbot.toml")
    assert "line" in error.message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('log_levl = "INFO"', "log_levl"),
        ("[delivery]\nbatchsize = 3", "delivery.batchsize"),
        ('[[sources]]\nurl = "https://a.example/"\nintervall = 3', "sources[0].intervall"),
    ],
)
def test_unknown_keys_are_rejected(tmp_path: Path, text: str, key: str) -> None:
    error = config_error(tmp_path, text)
    assert error.key == key
    assert "unknown key" in error.message


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    assert "'log_level'" in config_error(tmp_path, 'log_levl = "INFO"').message


@pytest.mark.parametrize(
    ("text", "key", "variable"),
    [
        ('telegram_token = "123:abc"', "telegram_token", "NEWSBOT_TELEGRAM_TOKEN"),
        ('[delivery]\nslack_signing_secret = "x"', "delivery.slack_signing_secret", "SLACK"),
        ('[telegram]\ntoken = "123:abc"', "telegram.token", "NEWSBOT_TELEGRAM_TOKEN"),
        ('[[sources]]\nurl = "https://a.example/"\napi_token = "x"', "sources[0].api_token", ""),
    ],
)
def test_secrets_in_the_file_are_rejected(
    tmp_path: Path, text: str, key: str, variable: str
) -> None:
    error = config_error(tmp_path, text)
    assert error.key == key
    assert "environment" in error.message
    assert variable in error.message


def test_database_password_in_the_file_is_rejected(tmp_path: Path) -> None:
    error = config_error(tmp_path, 'database_url = "postgresql+asyncpg://u:pw@db/news"')
    assert error.key == "database_url"
    assert "NEWSBOT_DATABASE_URL" in error.message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("log_level = 3", "log_level"),
        ('log_level = "LOUD"', "log_level"),
        ('database_url = "not a url"', "database_url"),
        ('database_url = "mysql+pymysql://db/news"', "database_url"),
        ('database_url = "sqlite+pysqlite:///x.db"', "database_url"),
        ('delivery = "fast"', "delivery"),
        ("[delivery]\nbatch = 2.5", "delivery.batch"),
        ("[delivery]\nburst = 0", "delivery.burst"),
        ("[delivery]\nuncertain_retries = -1", "delivery.uncertain_retries"),
        ('[delivery.rates.telegram]\nprivate = "fast"', "delivery.rates.telegram.private"),
        ('[delivery.rates.telegram]\nprivate = "0/s"', "delivery.rates.telegram.private"),
        ('[delivery.rates.slack]\nchannel = "1/s"', "delivery.rates.slack.channel"),
        ("[delivery]\nlease_seconds = true", "delivery.lease_seconds"),
        ("[delivery]\npoll_seconds = -1", "delivery.poll_seconds"),
        ('sources = "https://a.example/"', "sources"),
        ("sources = [1]", "sources[0]"),
        ('[[sources]]\nname = "no url"', "sources[0].url"),
        ("[[sources]]\nurl = 42", "sources[0].url"),
        ('[[sources]]\nurl = "https://a.example/"\nname = ""', "sources[0].name"),
        ("fetch = 5", "fetch"),
        ("[fetch]\nmax_bytes = 0", "fetch.max_bytes"),
        ('[fetch]\nmax_bytes = "5MB"', "fetch.max_bytes"),
        ("[fetch]\ntimeout_seconds = 0", "fetch.timeout_seconds"),
        ("[fetch]\nuntrusted_ports = 443", "fetch.untrusted_ports"),
        ("[fetch]\nuntrusted_ports = []", "fetch.untrusted_ports"),
        ("[fetch]\nuntrusted_ports = [80, 70000]", "fetch.untrusted_ports"),
        ('[fetch]\nuntrusted_ports = ["443"]', "fetch.untrusted_ports"),
        ("[fetch]\nmax_size = 1", "fetch.max_size"),
    ],
)
def test_bad_values_name_their_key(tmp_path: Path, text: str, key: str) -> None:
    assert config_error(tmp_path, text).key == key


@pytest.mark.parametrize("interval", ["0", "-5", "nan", "inf", '"300"', "false"])
def test_bad_interval_names_the_source(tmp_path: Path, interval: str) -> None:
    text = (
        "".join(f'[[sources]]\nurl = "https://{n}.example/feed"\n' for n in ("a", "b", "c"))
        + f"interval = {interval}\n"
    )
    assert config_error(tmp_path, text).key == "sources[2].interval"


def test_bad_log_level_from_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"NEWSBOT_LOG_LEVEL": "chatty"})
    assert caught.value.key == "NEWSBOT_LOG_LEVEL"


def test_bad_database_url_from_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, {"NEWSBOT_DATABASE_URL": "oracle://db"})
    assert caught.value.key == "NEWSBOT_DATABASE_URL"


def test_duplicate_source_urls_are_rejected(tmp_path: Path) -> None:
    error = config_error(
        tmp_path,
        '[[sources]]\nurl = "https://news.example/rss"\n'
        '[[sources]]\nurl = "https://other.example/rss"\n'
        '[[sources]]\nurl = "HTTPS://News.Example/rss"\n',
    )
    assert error.key == "sources[2].url"
    assert "sources[0]" in error.message


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "https:///feed", "feeds/missing.xml"])
def test_source_url_must_be_http_or_an_existing_file(tmp_path: Path, url: str) -> None:
    error = config_error(tmp_path, f'[[sources]]\nurl = "{url}"\n')
    assert error.key == "sources[0].url"


def test_local_source_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "local.xml").write_text("<rss/>", encoding="utf-8")
    config = load_config(write(tmp_path, '[[sources]]\nurl = "feeds/local.xml"\n'), {})
    assert config.sources == (SourceConfig(str((feeds / "local.xml").resolve()), "local.xml"),)


def test_file_url_source_must_exist(tmp_path: Path) -> None:
    feed = tmp_path / "local.xml"
    feed.write_text("<rss/>", encoding="utf-8")
    config = load_config(write(tmp_path, f'[[sources]]\nurl = "{feed.as_uri()}"\n'), {})
    assert config.sources == (SourceConfig(feed.as_uri(), "local.xml"),)
    missing = (tmp_path / "missing.xml").as_uri()
    assert config_error(tmp_path, f'[[sources]]\nurl = "{missing}"\n').key == "sources[0].url"


def test_full_text_per_source(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[sources]]\nurl = "https://a.example/rss"\nfull_text = "auto"\n'
        '[[sources]]\nurl = "https://b.example/rss"\nfull_text = true\n'
        '[[sources]]\nurl = "https://c.example/rss"\n',
    )
    config = load_config(path, {})
    assert [s.full_text for s in config.sources] == ["auto", True, False]


@pytest.mark.parametrize("value", ['"yes"', "1", '"Auto"', "[]"])
def test_bad_full_text_names_the_source(tmp_path: Path, value: str) -> None:
    error = config_error(
        tmp_path, f'[[sources]]\nurl = "https://a.example/rss"\nfull_text = {value}\n'
    )
    assert error.key == "sources[0].full_text"
    assert '"auto"' in error.message

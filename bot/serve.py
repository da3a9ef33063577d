"""`newsbot run`: start the bot on the configured chat platforms, or in a terminal chat, and
stop it quietly. Every start-up failure the operator must fix is one line naming the setting,
with exit status 2."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.adapters.base import ChatAdapter
from bot.config import Config, load_config
from bot.config.model import ENV_DATA_DIR, ENV_DATABASE_URL, default_database_url
from bot.errors import ConfigError, StoreUnavailable
from bot.logs import Redactor, log_file, setup_logging

if TYPE_CHECKING:
    from bot.adapters.slack import SlackChat


def exit_quietly(signum: int, frame: object) -> None:
    """A signal handler for the moments the event loop does not hold the signals."""
    raise SystemExit(0)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, os.environ)
    except ConfigError as e:
        print(f"newsbot: {e}", file=sys.stderr)
        return 2
    terminal = not (config.telegram_token or config.slack_enabled)
    if terminal and _stdin_is_null():
        print(
            "newsbot: no chat platform is configured and there is no terminal to chat in (stdin "
            "is /dev/null): set NEWSBOT_TELEGRAM_TOKEN or NEWSBOT_SLACK_BOT_TOKEN, or run it in "
            "a terminal (docker run -it)",
            file=sys.stderr,
        )
        return 2
    try:
        _writable_dir(config.data_dir)
    except OSError as e:
        print(
            f"newsbot: {ENV_DATA_DIR}: cannot write to {str(config.data_dir)!r}: {e.strerror or e}",
            file=sys.stderr,
        )
        return 2
    logs = None if args.log_level or not terminal else log_file(config.data_dir)
    setup_logging(
        args.log_level or config.log_level,
        path=logs,
        fmt=config.log_format,
        secrets=config.secrets(),
    )
    redact = Redactor(config.secrets())
    try:
        asyncio.run(_serve(config, logs=logs))
    except ConfigError as e:  # found only on connecting, e.g. a chat platform refused a token
        # A library's message may quote a secret (a token in a URL): mask it as the logs do.
        print(f"newsbot: {redact(str(e))}", file=sys.stderr)
        return 2
    except StoreUnavailable as e:
        print(f"newsbot: {_database_setting(config)}: {redact(str(e))}", file=sys.stderr)
        return 2
    finally:  # the loop gave the signals back to their defaults: keep the last moments quiet
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, exit_quietly)
    return 0


def _stdin_is_null() -> bool:
    """Whether stdin is /dev/null or closed: what `docker run` without -i and a systemd unit give.
    A pipe is not: a script may type into the terminal chat."""
    try:
        stdin = os.fstat(0)
    except OSError:
        return True
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return (stdin.st_dev, stdin.st_ino, stdin.st_rdev) == (null.st_dev, null.st_ino, null.st_rdev)


def _writable_dir(path: Path) -> None:
    """Create the data directory if needed and prove it can be written: raises OSError if not."""
    path.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=path):
        pass


def _database_setting(config: Config) -> str:
    """The setting to fix when the database cannot be opened."""
    if os.environ.get(ENV_DATABASE_URL):
        return ENV_DATABASE_URL
    if config.database_url == default_database_url(config.data_dir):
        return ENV_DATA_DIR
    return f"database_url (in {config.config_path})" if config.config_path else "database_url"


def platform_adapters(config: Config) -> list[ChatAdapter]:
    """The chat platforms configured by their tokens; none means the terminal chat."""
    adapters: list[ChatAdapter] = []
    if config.telegram_token:
        from bot.adapters.telegram import TelegramChat, Webhook

        webhook = None
        if config.telegram.webhook_url and config.telegram_webhook_secret:
            webhook = Webhook(
                url=config.telegram.webhook_url,
                secret_token=config.telegram_webhook_secret,
                listen=config.telegram.webhook_listen,
                port=config.telegram.webhook_port,
            )
        adapters.append(
            TelegramChat(config.telegram_token, base_url=config.telegram.base_url, webhook=webhook)
        )
    slack = _slack_adapter(config)
    if slack is not None:
        adapters.append(slack)
    return adapters


async def _serve(config: Config, *, logs: Path | None = None) -> None:
    from bot.adapters.terminal import TerminalChat, print_line, stdin_lines
    from bot.app import build

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    platforms = platform_adapters(config)
    # The terminal chat is for trying the bot out; with a chat platform configured the bot runs as
    # a service (often with no stdin at all, whose end of input would otherwise stop it).
    terminal = None if platforms else TerminalChat(stdin_lines(), print_line)
    bot = await build(config, adapters=[terminal] if terminal else platforms)
    if config.slack_enabled:
        from bot.adapters.slack import SlackChat

        for adapter in platforms:
            if isinstance(adapter, SlackChat):  # Slack keeps installs and event ids in our DB
                adapter.use_database(bot.store.engine)
    from bot.match.speedups import implementation

    logging.getLogger("bot").info("matching stories with %s", implementation())
    if stop.is_set():  # stopped while starting: nothing is running yet
        await bot.stop()
        return
    try:
        await bot.start()
    except BaseException:
        await bot.stop()  # e.g. a platform refused the token: close the database before exiting
        raise
    names = ", ".join(s.name for s in bot.sources)
    waits = {asyncio.create_task(stop.wait())}
    if terminal is not None:
        where = f" Logs: {logs}." if logs else ""
        print_line(
            f"newsbot {__version__} — terminal chat. Watching: {names}.{where}\n"
            "Type /subscribe peacekeepers (or any topic), /help for commands, Ctrl-D or Ctrl-C to "
            "quit."
        )
        waits.add(asyncio.create_task(terminal.closed.wait()))
    else:
        chats = ", ".join(a.platform for a in platforms)
        logging.getLogger("bot").info("newsbot %s on %s. Watching: %s.", __version__, chats, names)
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
        await bot.stop()


def _slack_adapter(config: Config) -> SlackChat | None:
    if not config.slack_enabled:
        return None
    from bot.adapters.slack import SlackChat, SlackSettings

    return SlackChat(
        SlackSettings(
            bot_token=config.slack_bot_token,
            signing_secret=config.slack_signing_secret,
            app_token=config.slack_app_token,
            client_id=config.slack.client_id,
            client_secret=config.slack_client_secret,
            api_url=config.slack.api_url,
            port=config.slack.port,
        )
    )

"""The `newsbot` command line: `run` and `check`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import __version__
from bot.adapters.base import ChatAdapter
from bot.config import Config, load_config
from bot.errors import ConfigError, TopicError
from bot.health import MAX_AGE_SECONDS, heartbeat_path, is_fresh

if TYPE_CHECKING:
    from bot.adapters.slack import SlackChat

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot", description="News alerts on keyword topics, in chat."
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run the bot",
        description="Run the bot. With no platform tokens in the environment it opens a chat in "
        "this terminal; with no sources configured it polls a bundled demo feed.",
    )
    run.add_argument("--config", metavar="PATH", help="TOML config file (default: $NEWSBOT_CONFIG)")
    run.add_argument("--log-level", choices=LOG_LEVELS, type=str.upper, help="override log_level")

    check = sub.add_parser(
        "check",
        help="read sources once and show what topics would be alerted about",
        description="Read each SOURCE (a URL or a local file) once and print the stories each "
        "topic would be alerted about. Nothing is stored or sent. Exit status 1 if a source "
        "could not be read.",
    )
    check.add_argument("sources", nargs="+", metavar="SOURCE", help="feed URL or local file")
    check.add_argument(
        "--topic", action="append", required=True, metavar="QUERY", help="a topic (repeatable)"
    )
    check.add_argument("--json", action="store_true", help="one JSON object per line")
    check.add_argument(
        "--untrusted",
        action="store_true",
        help="read each SOURCE as a chat user's source: only public http(s) addresses on "
        "ports 80/443, every redirect checked (shows what a user would get)",
    )
    check.add_argument("--log-level", choices=LOG_LEVELS, type=str.upper, default="WARNING")

    health = sub.add_parser(
        "health",
        help="exit 0 if a running bot is alive (for container health checks)",
        description="Exit 0 if the bot using this config's data directory has shown a sign of "
        "life recently (its heartbeat file is fresh), 1 otherwise.",
    )
    health.add_argument("--config", metavar="PATH", help="TOML config file")
    health.add_argument("--max-age", type=float, default=MAX_AGE_SECONDS, metavar="SECONDS")
    return parser


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # httpx logs every request at INFO; our poller already logs one line per source event.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("run", "check"):
        from bot.ingest.parse import xml_safety_problem

        if problem := xml_safety_problem():
            print(f"newsbot: unsafe XML library: {problem}", file=sys.stderr)
            return 2
    if args.command == "check":
        return _check(args)
    if args.command == "health":
        return _health(args)
    return _run(args)


def _health(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, os.environ)
    except ConfigError as e:
        print(f"newsbot: {e}", file=sys.stderr)
        return 2
    path = heartbeat_path(config.data_dir)
    if is_fresh(path, args.max_age):
        return 0
    print(f"newsbot: no heartbeat in {path} within {args.max_age:g}s", file=sys.stderr)
    return 1


def _check(args: argparse.Namespace) -> int:
    from bot.check import check
    from bot.match.engine import QueryMatcher

    setup_logging(args.log_level)
    try:
        return asyncio.run(
            check(
                args.sources,
                args.topic,
                matcher=QueryMatcher(),
                out=sys.stdout,
                err=sys.stderr,
                as_json=args.json,
                untrusted=args.untrusted,
            )
        )
    except TopicError as e:
        print(f"newsbot: bad topic: {e.message}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, os.environ)
    except ConfigError as e:
        print(f"newsbot: {e}", file=sys.stderr)
        return 2
    setup_logging(args.log_level or config.log_level)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(config))
    except ConfigError as e:  # found only on connecting, e.g. a chat platform refused a token
        print(f"newsbot: {e}", file=sys.stderr)
        return 2
    return 0


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


async def _serve(config: Config) -> None:
    from bot.adapters.terminal import TerminalChat, print_line, stdin_lines
    from bot.app import build

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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await bot.start()
    except BaseException:
        await bot.stop()  # e.g. a platform refused the token: close the database before exiting
        raise
    names = ", ".join(s.name for s in bot.sources)
    waits = {asyncio.create_task(stop.wait())}
    if terminal is not None:
        print_line(
            f"newsbot {__version__} — terminal chat. Watching: {names}.\n"
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

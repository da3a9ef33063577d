"""The real bot (bot.app.build) in a process of its own, delivering to the fake chat platform.

    python -m tests.support.botproc DATABASE_URL CHAT_API_URL DATA_DIR

Prints "ready" once delivering; SIGTERM stops it the way `newsbot run` stops (exit 0). Tests
start it, stop it, or kill -9 it, and read the database and the fake platform's record after.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot.app import build
from bot.config import Config
from bot.delivery.policy import DeliveryPolicy
from tests.support.loopchat import LoopChat

# Short leases so a restart after kill -9 resends within seconds; no folding, so every alert
# is one message and duplicates can be counted per alert.
POLICY = DeliveryPolicy(batch=10, lease_seconds=2.0, poll_seconds=0.05, burst=10_000)


async def serve(database_url: str, api: str, data_dir: Path) -> None:
    config = Config(database_url=database_url, data_dir=data_dir, delivery=POLICY)
    bot = await build(config, adapters=[LoopChat(api)])
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await bot.start(schedule=False)
    print("ready", flush=True)
    await stop.wait()
    await bot.stop()


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    database_url, api, data_dir = sys.argv[1:4]
    asyncio.run(serve(database_url, api, Path(data_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Liveness for container health checks: the running bot touches a heartbeat file while its event
loop and delivery worker are alive; `newsbot health` says whether the file is fresh."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

HEARTBEAT_FILE = "heartbeat"
BEAT_SECONDS = 15.0
MAX_AGE_SECONDS = 90.0


def heartbeat_path(data_dir: Path) -> Path:
    return data_dir / HEARTBEAT_FILE


async def beat_forever(path: Path, alive: Callable[[], bool], every: float = BEAT_SECONDS) -> None:
    """Touch `path` every `every` seconds while `alive()`; a stalled loop stops the beat too."""
    import asyncio  # here, not at the top: the command line reads this module before asyncio

    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    while True:
        if alive():
            await asyncio.to_thread(path.touch)
        await asyncio.sleep(every)


def heartbeat_age(path: Path, now: float | None = None) -> float | None:
    """Seconds since the heartbeat at `path` was touched; None when there is none."""
    try:
        touched = path.stat().st_mtime
    except OSError:
        return None
    return (time.time() if now is None else now) - touched


def is_fresh(path: Path, max_age: float = MAX_AGE_SECONDS, now: float | None = None) -> bool:
    age = heartbeat_age(path, now)
    return age is not None and age <= max_age

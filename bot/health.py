"""Liveness for container health checks: the running bot touches a heartbeat file while its event
loop and delivery worker are alive; `newsbot health` says whether the file is fresh."""

from __future__ import annotations

import asyncio
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
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    while True:
        if alive():
            await asyncio.to_thread(path.touch)
        await asyncio.sleep(every)


def is_fresh(path: Path, max_age: float = MAX_AGE_SECONDS, now: float | None = None) -> bool:
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except OSError:
        return False
    return age <= max_age

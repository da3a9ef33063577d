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


def probe_host(listen: str) -> str:
    """Where to reach a server listening on `listen` from this machine."""
    if listen in ("", "0.0.0.0"):
        return "127.0.0.1"
    if listen in ("::", "[::]"):
        return "[::1]"
    return f"[{listen}]" if ":" in listen and not listen.startswith("[") else listen


def probe(url: str, timeout: float = 5.0) -> tuple[bool, str]:
    """GET a /healthz or /readyz URL: (healthy, what it said or why it could not be asked)."""
    import httpx

    try:
        # trust_env=False: a proxy set for the bot's feeds must not carry a probe of ourselves.
        response = httpx.get(url, timeout=timeout, trust_env=False)
    except httpx.HTTPError as e:
        return False, f"no answer from {url}: {type(e).__name__}"
    try:
        body = response.json()
        failed = body.get("failed") or {}
        said = "; ".join(f"{name}: {problem}" for name, problem in failed.items())
    except ValueError:
        said = response.text[:200]
    return response.status_code == 200, said or f"HTTP {response.status_code}"

"""Liveness and readiness, as the orchestrator's probes ask for them.

Alive (`/healthz`): the event loop answers (it runs the request) and the delivery worker runs.
A failing liveness probe means "restart me". Ready (`/readyz`): the database answers, its schema
is the one this build migrates to, and each configured chat platform is connected. A failing
readiness probe means "send no traffic yet"; it does not restart anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

DATABASE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    problem: str | None = None  # None: fine

    @property
    def ok(self) -> bool:
        return self.problem is None


@runtime_checkable
class ReportsConnection(Protocol):
    """An adapter that can tell whether it is connected to its platform right now."""

    async def connected(self) -> bool: ...


class BotChecks:
    """The checks of one running bot, built by the composition root from its parts."""

    def __init__(
        self,
        *,
        workers: Mapping[str, Callable[[], bool]],
        ping: Callable[[], Awaitable[None]],
        schema_revision: Callable[[], Awaitable[str | None]],
        head_revision: str | None,
        platforms: Callable[[], Mapping[str, object | None]],
    ) -> None:
        self._workers = workers  # name → is it running
        self._ping = ping
        self._schema_revision = schema_revision
        self._head = head_revision
        # platform → its adapter once started, None while it is not (yet) started
        self._platforms = platforms

    def liveness(self) -> list[Check]:
        checks = [Check("loop")]  # answering at all means the loop runs
        for name, running in self._workers.items():
            checks.append(Check(name, None if running() else "not running"))
        return checks

    async def readiness(self) -> list[Check]:
        checks = [await self._database()]
        if checks[0].ok:
            checks.append(await self._migrations())
        else:
            checks.append(Check("migrations", "unknown: the database does not answer"))
        for platform, adapter in sorted(self._platforms().items()):
            if adapter is None:
                checks.append(Check(platform, "not started"))
            elif isinstance(adapter, ReportsConnection) and not await adapter.connected():
                checks.append(Check(platform, "not connected"))
            else:
                checks.append(Check(platform))
        return checks

    async def _database(self) -> Check:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                await self._ping()
        except Exception as e:
            # The driver's own words can name hosts and users; the kind of failure is enough.
            return Check("database", f"not answering ({type(e).__name__})")
        return Check("database")

    async def _migrations(self) -> Check:
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT):
                revision = await self._schema_revision()
        except Exception as e:
            return Check("migrations", f"no migration record ({type(e).__name__})")
        if revision != self._head:
            return Check("migrations", f"schema at {revision}, this build needs {self._head}")
        return Check("migrations")

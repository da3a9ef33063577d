"""The operations HTTP server, on aiohttp, in the bot's own event loop:

    GET /healthz   alive?  200, or 503 with what failed (JSON)
    GET /readyz    ready?  200, or 503 with what failed (JSON)
    GET /metrics   Prometheus text format
    GET /          the status page

All read-only. The probes are open (they say only which check failed). `/metrics` and the page
ask for the token (`Authorization: Bearer …` or `?token=…`) when one is set; the config refuses
an address other machines can reach without one (`bot.config.ops`).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlencode

from aiohttp import web

from bot.domain import HourCount, OpsFigures, SourceInfo
from bot.ops.checks import BotChecks, Check
from bot.ops.metrics import Metrics
from bot.ops.page import PageData, render_page

log = logging.getLogger(__name__)

CHART_HOURS = 48
TOP_TOPICS = 12
PER_PAGE = 100
_HEADERS = {
    "Cache-Control": "no-store",
    # The page may be opened with ?token=…: never hand that address to another site.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


class OpsStore(Protocol):
    async def ops_figures(self, *, now: datetime) -> OpsFigures: ...
    async def source_health(
        self, *, limit: int, offset: int = 0
    ) -> tuple[int, list[SourceInfo]]: ...
    async def alerts_per_hour(self, *, now: datetime, hours: int) -> list[HourCount]: ...
    async def alerts_per_topic(self, *, since: datetime, limit: int) -> list[tuple[str, int]]: ...


class OpsServer:
    def __init__(
        self,
        *,
        listen: str,
        port: int,
        token: str | None,
        checks: BotChecks,
        store: OpsStore,
        metrics: Metrics,
        clock: Callable[[], datetime],
        version: str,
    ) -> None:
        self._listen = listen
        self._port = port
        self._token = token
        self._checks = checks
        self._store = store
        self._metrics = metrics
        self._clock = clock
        self._version = version
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the port actually listened on (port 0 picks one)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_page)
        app.router.add_get("/", self._status_page)
        return app

    async def start(self) -> None:
        # No access log: a page opened with ?token=… would write the token into it.
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()
        self.port = int(self._runner.addresses[0][1])
        log.info("ops: listening on http://%s:%d/", self._listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- handlers ---
    async def _healthz(self, request: web.Request) -> web.Response:
        return _verdict(self._checks.liveness())

    async def _readyz(self, request: web.Request) -> web.Response:
        return _verdict(await self._checks.readiness())

    async def _metrics_page(self, request: web.Request) -> web.Response:
        self._authorise(request)
        figures: OpsFigures | None
        try:
            figures = await self._store.ops_figures(now=self._clock())
        except Exception as e:
            log.warning("ops: the database did not answer for /metrics (%s)", type(e).__name__)
            figures = None
        body, content_type = self._metrics.render(figures, request.headers.get("Accept", ""))
        return web.Response(body=body, headers={**_HEADERS, "Content-Type": content_type})

    async def _status_page(self, request: web.Request) -> web.Response:
        self._authorise(request)
        try:
            page = max(int(request.query.get("page", "1")), 1)
        except ValueError:
            raise web.HTTPBadRequest(text="page must be a whole number") from None
        now = self._clock()
        try:
            figures = await self._store.ops_figures(now=now)
            hours = await self._store.alerts_per_hour(now=now, hours=CHART_HOURS)
            topics = await self._store.alerts_per_topic(
                since=hours[0].hour if hours else now - timedelta(hours=CHART_HOURS),
                limit=TOP_TOPICS,
            )
            total, sources = await self._store.source_health(
                limit=PER_PAGE, offset=(page - 1) * PER_PAGE
            )
        except Exception as e:
            log.warning(
                "ops: the database did not answer for the status page (%s)", type(e).__name__
            )
            raise web.HTTPServiceUnavailable(
                text=f"newsbot: the database does not answer ({type(e).__name__}); see /readyz\n",
                headers={"Cache-Control": "no-store"},
            ) from None
        token = request.query.get("token")
        html = render_page(
            PageData(
                version=self._version,
                figures=figures,
                hours=hours,
                topics=topics,
                sources=sources,
                sources_total=total,
                page=page,
                per_page=PER_PAGE,
                link_query=urlencode({"token": token}) if token else "",
            )
        )
        return web.Response(text=html, content_type="text/html", headers=_HEADERS)

    def _authorise(self, request: web.Request) -> None:
        if self._token is None:
            return
        offered = request.query.get("token", "")
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            offered = header[7:].strip()
        if not hmac.compare_digest(offered.encode(), self._token.encode()):
            raise web.HTTPUnauthorized(
                text="a token is needed: Authorization: Bearer TOKEN, or ?token=TOKEN\n",
                headers={"WWW-Authenticate": 'Bearer realm="newsbot"'},
            )


def _verdict(checks: Sequence[Check]) -> web.Response:
    failed = {c.name: c.problem or "" for c in checks if not c.ok}
    body: dict[str, object] = {
        "status": "fail" if failed else "ok",
        "checks": {c.name: c.problem or "ok" for c in checks},
    }
    if failed:
        body["failed"] = failed
    return web.json_response(
        body, status=503 if failed else 200, headers={"Cache-Control": "no-store"}
    )

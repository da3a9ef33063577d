"""A chat adapter for the fake platform in `chatserver`: what a real adapter does, over loopback.

It translates like the real ones: a 429 becomes RateLimited(retry_after), a timeout once the
request left becomes DeliveryUncertain, a refused connection a retryable DeliveryError.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from bot.adapters.base import ChatPort
from bot.domain import AlertMessage, ChatAddress
from bot.errors import DeliveryError, DeliveryUncertain, RateLimited


class LoopChat:
    def __init__(self, base_url: str, *, platform: str = "loop", rate_class: str = "private"):
        self.platform = platform
        self._rate_class = rate_class
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def start(self, port: ChatPort) -> None:
        pass

    async def stop(self) -> None:
        await self._http.aclose()

    def rate_class(self, chat: ChatAddress) -> str:
        return self._rate_class

    async def _post(self, chat: ChatAddress, text: str) -> str | None:
        try:
            response = await self._http.post("/send", json={"chat": chat.chat, "text": text})
        except httpx.ConnectError as e:
            raise DeliveryError(f"connect: {e}") from e
        except httpx.TimeoutException as e:
            raise DeliveryUncertain(f"timeout: {e}") from e
        if response.status_code == 429:
            raise RateLimited(float(response.json()["retry_after"]))
        if response.status_code != 200:
            raise DeliveryError(
                f"HTTP {response.status_code}", retryable=response.status_code >= 500
            )
        return str(response.json()["message_id"])

    async def send_alert(self, chat: ChatAddress, alert: AlertMessage) -> str | None:
        return await self._post(chat, alert.title)

    async def send_digest(
        self, chat: ChatAddress, heading: str, alerts: Sequence[AlertMessage]
    ) -> str | None:
        return await self._post(chat, "\n".join(a.title for a in alerts))

    async def edit_alert(self, chat: ChatAddress, message_ref: str, alert: AlertMessage) -> None:
        pass

    async def send_text(self, chat: ChatAddress, text: str) -> str | None:
        return await self._post(chat, text)

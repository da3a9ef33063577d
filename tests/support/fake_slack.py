"""A fake Slack: the Web API methods the bot uses, on real HTTP at 127.0.0.1, plus a signed-request
client that plays Slack calling the bot (slash commands, events, button clicks).

The Web API checks what Slack checks (token, channel, block count, section length, message
length) and records every accepted call. A test can make a method misbehave for a channel:
answer 429 with Retry-After, a 5xx, an error code, or answer slowly. `response_url`s point at the
fake too and record what the bot answered there.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
TEXT_LIMIT = 40_000


@dataclass
class Call:
    method: str
    token: str
    args: dict[str, Any]


@dataclass
class _Trouble:
    status: int = 200
    error: str | None = None
    retry_after: float | None = None
    delay: float = 0.0  # answer after this long (the call still takes effect: like a timeout)
    channel: str | None = None  # None: any channel
    times: int | None = None  # None: until cleared


@dataclass
class Workspace:
    team_id: str
    bot_user: str = "UBOT"
    admins: set[str] = field(default_factory=lambda: {"UADMIN"})
    guests: set[str] = field(default_factory=lambda: {"UGUEST"})


class FakeSlack:
    def __init__(self) -> None:
        self.tokens: dict[str, Workspace] = {}
        self.calls: list[Call] = []  # accepted calls
        self.attempts: list[str] = []  # every method called, accepted or not
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url id, JSON body)
        self.oauth_codes: dict[str, tuple[str, str]] = {}  # code -> (team, bot token)
        self.app_tokens: set[str] = set()  # xapp- tokens that may open Socket Mode
        self.socket_url: str | None = None  # what apps.connections.open hands out
        self._trouble: dict[str, list[_Trouble]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ts = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    # --- set-up ---
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/response/{name}"

    def add_token(self, token: str, team_id: str) -> Workspace:
        workspace = Workspace(team_id)
        self.tokens[token] = workspace
        return workspace

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    def trouble(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        channel: str | None = None,
        times: int | None = None,
    ) -> None:
        with self._lock:
            self._trouble.setdefault(method, []).append(
                _Trouble(status, error, retry_after, delay, channel, times)
            )

    def clear_trouble(self) -> None:
        with self._lock:
            self._trouble.clear()

    # --- what happened ---
    def posts(self, channel: str | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == "chat.postMessage" and channel in (None, c.args.get("channel"))
            ]

    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def answers(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for key, body in self.responses if key == name]

    # --- life ---
    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- the API ---
    def _pick_trouble(self, method: str, channel: str | None) -> _Trouble | None:
        with self._lock:
            for t in self._trouble.get(method, []):
                if t.channel is None or t.channel == channel:
                    if t.times is not None:
                        t.times -= 1
                        if t.times <= 0:
                            self._trouble[method].remove(t)
                    return t
        return None

    def api(self, method: str, token: str, args: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        """Returns (status, headers, JSON body) for one Web API call."""
        with self._lock:
            self.attempts.append(method)
        if method == "oauth.v2.access":
            return self._oauth(args)
        if method == "apps.connections.open":
            if token not in self.app_tokens or self.socket_url is None:
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            return 200, {}, {"ok": True, "url": self.socket_url}
        workspace = self.tokens.get(token)
        if workspace is None:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        trouble = self._pick_trouble(method, args.get("channel"))
        if trouble is not None and trouble.delay:
            # Slow, but it happens: the caller may give up while the call takes effect.
            self._closing.wait(trouble.delay)
            trouble = None
        if trouble is not None:
            headers = {}
            if trouble.retry_after is not None:
                headers["Retry-After"] = f"{trouble.retry_after:g}"
            if trouble.status >= 500:
                return trouble.status, headers, "upstream trouble"
            body = {"ok": False, "error": trouble.error or "ratelimited"}
            return trouble.status, headers, body
        if method == "auth.test":
            return 200, {}, _auth(workspace)
        if method == "users.info":
            user = str(args.get("user"))
            person = {
                "id": user,
                "is_admin": user in workspace.admins,
                "is_owner": False,
                "is_restricted": user in workspace.guests,  # a multi-channel guest
                "is_ultra_restricted": False,
            }
            return 200, {}, {"ok": True, "user": person}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            problem = _validate_message(args)
            if problem:
                return 200, {}, {"ok": False, "error": problem}
            if method == "chat.update" and not self._posted(args.get("ts")):
                return 200, {}, {"ok": False, "error": "message_not_found"}
            ts = args.get("ts") if method == "chat.update" else self._next_ts()
            self._record(method, token, {**args, "_ts": ts})
            return 200, {}, {"ok": True, "channel": args.get("channel"), "ts": ts}
        return 200, {}, {"ok": False, "error": "unknown_method"}

    def _oauth(self, args: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        found = self.oauth_codes.pop(str(args.get("code")), None)
        if found is None:
            return 200, {}, {"ok": False, "error": "invalid_code"}
        team, token = found
        self.add_token(token, team)
        return (
            200,
            {},
            {
                "ok": True,
                "app_id": "A1",
                "access_token": token,
                "token_type": "bot",
                "scope": "chat:write,commands",
                "bot_user_id": "UBOT",
                "team": {"id": team, "name": f"Team {team}"},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": "UADMIN"},
            },
        )

    def _posted(self, ts: Any) -> bool:
        with self._lock:
            return any(c.args.get("_ts") == ts for c in self.calls)

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _record(self, method: str, token: str, args: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(Call(method, token, dict(args)))

    def record_response(self, name: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.responses.append((name, body))


def _auth(workspace: Workspace) -> dict[str, Any]:
    return {
        "ok": True,
        "team_id": workspace.team_id,
        "user_id": workspace.bot_user,
        "bot_id": "B1",
        "user": "newsbot",
        "team": "Test team",
        "url": "https://test.slack.example/",
    }


def _validate_message(args: Mapping[str, Any]) -> str | None:
    if not args.get("channel"):
        return "channel_not_found"
    text, blocks = args.get("text"), args.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not text and not blocks:
        return "no_text"
    if text and len(text) > TEXT_LIMIT:
        return "msg_too_long"
    if blocks is not None:
        if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
            return "invalid_blocks"
        for block in blocks:
            section = block.get("text") if isinstance(block, dict) else None
            if isinstance(section, dict) and len(section.get("text", "")) > SECTION_LIMIT:
                return "invalid_blocks"
            if not isinstance(block, dict) or "type" not in block:
                return "invalid_blocks"
    return None


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/response/"):
                fake.record_response(self.path.removeprefix("/response/"), json.loads(raw or b"{}"))
                self._send(200, {}, "ok")
                return
            if "json" in (self.headers.get("Content-Type") or ""):
                args = json.loads(raw or b"{}")
            else:
                args = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            self._api(args)

        def do_GET(self) -> None:
            query = urlsplit(self.path).query
            self._api({k: v[0] for k, v in parse_qs(query).items()})

        def _api(self, args: dict[str, Any]) -> None:
            method = urlsplit(self.path).path.removeprefix("/api/")
            auth = self.headers.get("Authorization") or ""
            token = auth.removeprefix("Bearer ").strip()
            if method == "oauth.v2.access":
                token = ""
            status, headers, body = fake.api(method, token, args)
            self._send(status, headers, body)

        def _send(self, status: int, headers: Mapping[str, str], body: Any) -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            kind = "text/plain" if isinstance(body, str) else "application/json; charset=utf-8"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


# --- Slack calling the bot ---


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackCaller:
    """Posts what Slack would post to the bot's /slack/events, signed with `secret`."""

    def __init__(self, bot_url: str, secret: str, fake: FakeSlack, team: str) -> None:
        self.url = bot_url
        self.secret = secret
        self.fake = fake
        self.team = team
        self._count = itertools.count(1)

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        age: float = 0.0,
        tamper: Callable[[bytes], bytes] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        timestamp = str(int(time.time() - age))
        signature = sign(self.secret, timestamp, body)
        sent = tamper(body) if tamper else body
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            **(headers or {}),
        }
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(self.url, content=sent, headers=all_headers)

    async def command(
        self, text: str, *, channel: str = "C1", user: str = "UADMIN", **kw: Any
    ) -> tuple[httpx.Response, str]:
        """Run `/news TEXT`; returns the HTTP answer and the name of its response_url."""
        name = f"cmd{next(self._count)}"
        form = {
            "token": "legacy",
            "team_id": self.team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "news",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/news",
            "text": text,
            "api_app_id": "A1",
            "response_url": self.fake.response_url(name),
            "trigger_id": "1.2.3",
        }
        body = urlencode(form).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **kw), name

    async def press(
        self, action_id: str, value: str, *, channel: str = "C1", user: str = "UADMIN"
    ) -> tuple[httpx.Response, str]:
        name = f"act{next(self._count)}"
        payload = {
            "type": "block_actions",
            "team": {"id": self.team, "domain": "test"},
            "user": {"id": user, "team_id": self.team},
            "api_app_id": "A1",
            "channel": {"id": channel, "name": "news"},
            "container": {"type": "message", "channel_id": channel, "message_ts": "1.1"},
            "trigger_id": "1.2.3",
            "response_url": self.fake.response_url(name),
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b1", "value": value}
            ],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post(body, "application/x-www-form-urlencoded"), name

    async def event(
        self, event: dict[str, Any], *, event_id: str, retry: int = 0, team: str | None = None
    ) -> httpx.Response:
        body = {
            "token": "legacy",
            "team_id": team or self.team,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": team or self.team, "user_id": "UBOT", "is_bot": True}],
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(
            json.dumps(body).encode(), "application/json", headers=headers if retry else None
        )


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake

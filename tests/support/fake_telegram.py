"""A fake Telegram Bot API on 127.0.0.1 that python-telegram-bot talks to through `base_url`.

It answers like Telegram: `{"ok": true, "result": ...}` or `{"ok": false, "error_code": ...,
"description": ..., "parameters": ...}`; checks HTML entities and the 4,096 limit after parsing;
enforces the flood limits (1 message/s per private chat, 20/min per group, 30/s overall) with
429 + retry_after; and keeps getUpdates' offset semantics (an update is confirmed by asking for a
higher offset; a long poll waits for the next update, capped at `max_poll` so tests stay fast).

A test plays the users: `say()` posts a message (in a private chat, a group or a forum topic),
`press()` a button, `kick()` / `block()` / `forget()` / `migrate()` change the chat, and
`fail_next()` injects any error. What the bot sent is in `sent()`, its button answers in
`answers`. When the bot sets a webhook, updates are POSTed to it (with the secret header)
instead of waiting for getUpdates.

Load the `fake_telegram` fixture with `pytest_plugins = ["tests.support.fake_telegram"]`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.support.telegram_html import EntityError, utf16_length, visible_text

TOKEN = "123456:TEST-token"
BOT_ID = 123456
BOT_USERNAME = "NewsTestBot"
MAX_TEXT = 4096
Json = dict[str, Any]


@dataclass(frozen=True)
class Limits:
    """(messages, seconds) windows; Telegram's documented flood limits by default."""

    private: tuple[int, float] = (1, 1.0)
    group: tuple[int, float] = (20, 60.0)
    total: tuple[int, float] = (30, 1.0)


@dataclass
class Sent:
    """A message the bot sent (and may have edited since)."""

    chat_id: int
    message_id: int
    text: str  # as the reader sees it, after entity parsing
    raw: str  # as the bot sent it
    parse_mode: str | None
    thread_id: int | None
    buttons: list[tuple[str, str]]  # (label, callback_data), row by row
    preview_disabled: bool
    at: float  # time.monotonic() when accepted
    edits: int = 0


@dataclass(frozen=True)
class Rejected:
    """A call the fake answered with an error."""

    method: str
    chat_id: int | None
    code: int
    description: str
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Answer:
    query_id: str
    text: str


@dataclass
class _Chat:
    id: int
    type: str  # private, group, supergroup
    title: str = ""
    is_forum: bool = False
    topics: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    gone: str | None = None  # the error description sends get, e.g. blocked or not found
    migrated_to: int | None = None

    def json(self) -> Json:
        data: Json = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = f"User{self.id}"
        else:
            data["title"] = self.title or f"Group {self.id}"
        if self.is_forum:
            data["is_forum"] = True
        return data


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _user(user_id: int) -> Json:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}


BOT_USER: Json = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "News Test Bot",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


class FakeTelegram:
    def __init__(self, *, limits: Limits | None = Limits(), max_poll: float = 0.3) -> None:
        self.limits = limits
        self.max_poll = max_poll
        self._lock = threading.Condition()
        self._chats: dict[int, _Chat] = {}
        self._updates: list[Json] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._sent: list[Sent] = []
        self._windows: dict[int | str, deque[float]] = {}
        self._failures: dict[tuple[str, int | None], list[ApiError]] = {}
        self.answers: list[Answer] = []
        self.rejected: list[Rejected] = []
        self.calls: list[tuple[str, Json]] = []
        self.commands: list[Json] = []
        self.webhook: Json | None = None
        self._closing = False
        self._httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # --- setup --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/bot"

    def private(self, user_id: int) -> int:
        with self._lock:
            self._chats.setdefault(user_id, _Chat(user_id, "private"))
        return user_id

    def group(self, chat_id: int, *, admins: set[int] | None = None, forum: bool = False) -> int:
        kind = "supergroup" if forum or str(chat_id).startswith("-100") else "group"
        with self._lock:
            self._chats[chat_id] = _Chat(chat_id, kind, is_forum=forum, admins=set(admins or ()))
        return chat_id

    def topic(self, chat_id: int, thread_id: int) -> None:
        with self._lock:
            self._chats[chat_id].topics.add(thread_id)

    # --- playing the users --------------------------------------------------------------------

    def say(self, chat_id: int, user_id: int, text: str, *, thread: int | None = None) -> int:
        """A user writes `text` in the chat (in forum topic `thread`); returns the update id."""
        with self._lock:
            chat = self._chats[chat_id]
            message: Json = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat.json(),
                "from": _user(user_id),
                "text": text,
            }
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            if thread is not None:
                message["message_thread_id"] = thread
                message["is_topic_message"] = True
            return self._push({"message": message})

    def press(self, message: Sent, user_id: int, label_prefix: str) -> str:
        """A user presses the button under `message` whose label starts with `label_prefix`."""
        data = next(d for label, d in message.buttons if label.startswith(label_prefix))
        with self._lock:
            query_id = str(next(self._query_ids))
            self._push(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": _user(user_id),
                        "chat_instance": str(message.chat_id),
                        "data": data,
                        "message": self._message_json(message),
                    }
                }
            )
        return query_id

    def kick(self, chat_id: int) -> None:
        """The user blocks the bot (private) or removes it (group): an update, then 403s."""
        with self._lock:
            chat = self._chats[chat_id]
            status = "kicked" if chat.type == "private" else "left"
            chat.gone = self._gone_text(chat)
            old = {"status": "member", "user": BOT_USER}
            new: Json = {"status": status, "user": BOT_USER}
            if status == "kicked":
                new["until_date"] = 0
            change = {
                "chat": chat.json(),
                "from": _user(chat_id if chat_id > 0 else 1),
                "date": int(time.time()),
                "old_chat_member": old,
                "new_chat_member": new,
            }
            self._push({"my_chat_member": change})

    def block(self, chat_id: int) -> None:
        """Like kick, but the bot hears of it only when a send fails."""
        with self._lock:
            chat = self._chats[chat_id]
            chat.gone = self._gone_text(chat)

    def unblock(self, chat_id: int) -> None:
        with self._lock:
            self._chats[chat_id].gone = None

    def forget(self, chat_id: int) -> None:
        """The chat no longer exists for the bot: sends get 400 "chat not found"."""
        with self._lock:
            self._chats[chat_id].gone = "Bad Request: chat not found"

    def migrate(self, chat_id: int, new_id: int, *, notify: bool = True) -> None:
        """The group becomes supergroup `new_id`; sends to the old id get 400 + migrate_to."""
        with self._lock:
            old = self._chats[chat_id]
            old.migrated_to = new_id
            self._chats[new_id] = _Chat(new_id, "supergroup", admins=set(old.admins))
            if notify:
                now = int(time.time())
                self._push(
                    {
                        "message": {
                            "message_id": next(self._message_ids),
                            "date": now,
                            "chat": old.json(),
                            "from": _user(1),
                            "migrate_to_chat_id": new_id,
                        }
                    }
                )

    def fail_next(
        self,
        method: str,
        code: int,
        description: str,
        *,
        chat_id: int | None = None,
        parameters: Json | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` (for `chat_id`, if given) get this error."""
        with self._lock:
            queue = self._failures.setdefault((method, chat_id), [])
            queue.extend(ApiError(code, description, parameters) for _ in range(times))

    def rate_limit(self, chat_id: int, retry_after: int) -> None:
        self.fail_next(
            "sendMessage",
            429,
            f"Too Many Requests: retry after {retry_after}",
            chat_id=chat_id,
            parameters={"retry_after": retry_after},
        )

    # --- reading what the bot did -------------------------------------------------------------

    def sent(self, chat_id: int | None = None, *, thread: int | None = None) -> list[Sent]:
        with self._lock:
            return [
                s
                for s in self._sent
                if (chat_id is None or s.chat_id == chat_id)
                and (thread is None or s.thread_id == thread)
            ]

    def rejections(self, chat_id: int) -> list[Rejected]:
        with self._lock:
            return [r for r in self.rejected if r.chat_id == chat_id]

    def send_attempts(self, chat_id: int) -> int:
        with self._lock:
            return sum(
                1
                for name, params in self.calls
                if name == "sendMessage" and _int(params.get("chat_id")) == chat_id
            )

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    def method_calls(self, method: str) -> list[Json]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    # --- internals (called with the lock held unless noted) -----------------------------------

    def _push(self, body: Json) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **body}
        if self.webhook is not None:
            hook = self.webhook
            threading.Thread(target=_post_update, args=(hook, update), daemon=True).start()
        else:
            self._updates.append(update)
            self._lock.notify_all()
        return update_id

    @staticmethod
    def _gone_text(chat: _Chat) -> str:
        if chat.type == "private":
            return "Forbidden: bot was blocked by the user"
        return f"Forbidden: bot was kicked from the {chat.type} chat"

    def _message_json(self, sent: Sent) -> Json:
        chat = self._chats[sent.chat_id]
        data: Json = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": chat.json(),
            "from": BOT_USER,
            "text": sent.text,
        }
        if sent.thread_id is not None:
            data["message_thread_id"] = sent.thread_id
            data["is_topic_message"] = True
        if sent.buttons:
            rows = [[{"text": label, "callback_data": d}] for label, d in sent.buttons]
            data["reply_markup"] = {"inline_keyboard": rows}
        return data

    def call(self, method: str, params: Json) -> Any:
        """One Bot API call (from the HTTP thread); returns `result` or raises ApiError."""
        if method == "getUpdates":
            return self._get_updates(params)
        with self._lock:
            self.calls.append((method, params))
            chat_id = _int(params.get("chat_id"))
            try:
                for key in ((method, chat_id), (method, None)):
                    queue = self._failures.get(key)
                    if queue:
                        raise queue.pop(0)
                handler = getattr(self, f"_api_{method}", None)
                if handler is None:
                    raise ApiError(404, "Not Found")
                return handler(params)
            except ApiError as e:
                now = time.monotonic()
                self.rejected.append(Rejected(method, chat_id, e.code, e.description, now))
                raise

    def _get_updates(self, params: Json) -> list[Json]:
        offset = _int(params.get("offset")) or 0
        limit = _int(params.get("limit")) or 100
        timeout = min(float(params.get("timeout") or 0), self.max_poll)
        deadline = time.monotonic() + timeout
        with self._lock:
            self.calls.append(("getUpdates", params))
            if self.webhook is not None:
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            # Asking for a higher offset confirms (forgets) everything before it.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            return self._updates[:limit]

    def _chat(self, params: Json) -> _Chat:
        chat = self._chats.get(_int(params.get("chat_id")) or 0)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.gone is not None:
            raise ApiError(403 if chat.gone.startswith("Forbidden") else 400, chat.gone)
        return chat

    def _text(self, params: Json) -> tuple[str, str, str | None]:
        raw = str(params.get("text", ""))
        mode = params.get("parse_mode")
        try:
            text = visible_text(raw) if mode == "HTML" else raw
        except EntityError as e:
            raise ApiError(400, f"Bad Request: can't parse entities: {e}") from None
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_length(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return raw, text, mode

    def _flood_check(self, chat: _Chat) -> None:
        if self.limits is None:
            return
        now = time.monotonic()
        rule = self.limits.private if chat.type == "private" else self.limits.group
        waits = [
            self._window_wait(chat.id, rule, now),
            self._window_wait("total", self.limits.total, now),
        ]
        wait = max(waits)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self._windows.setdefault(chat.id, deque()).append(now)
        self._windows.setdefault("total", deque()).append(now)

    def _window_wait(self, key: int | str, rule: tuple[int, float], now: float) -> float:
        count, seconds = rule
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - seconds:
            window.popleft()
        return window[0] + seconds - now if len(window) >= count else 0.0

    # --- methods ------------------------------------------------------------------------------

    def _api_getMe(self, params: Json) -> Json:
        return BOT_USER

    def _api_deleteWebhook(self, params: Json) -> bool:
        self.webhook = None
        return True

    def _api_setWebhook(self, params: Json) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    def _api_setMyCommands(self, params: Json) -> bool:
        self.commands = json.loads(params["commands"])
        return True

    def _api_sendMessage(self, params: Json) -> Json:
        chat = self._chat(params)
        thread = _int(params.get("message_thread_id"))
        if thread is not None and thread not in chat.topics:
            raise ApiError(400, "Bad Request: message thread not found")
        raw, text, mode = self._text(params)
        self._flood_check(chat)
        preview = json.loads(params.get("link_preview_options") or "{}")
        markup = json.loads(params.get("reply_markup") or "{}")
        buttons = [
            (b["text"], b["callback_data"])
            for row in markup.get("inline_keyboard", ())
            for b in row
        ]
        sent = Sent(
            chat_id=chat.id,
            message_id=next(self._message_ids),
            text=text,
            raw=raw,
            parse_mode=mode,
            thread_id=thread,
            buttons=buttons,
            preview_disabled=bool(preview.get("is_disabled")),
            at=time.monotonic(),
        )
        self._sent.append(sent)
        return self._message_json(sent)

    def _api_editMessageText(self, params: Json) -> Json:
        chat = self._chat(params)
        message_id = _int(params.get("message_id"))
        found = [s for s in self._sent if s.chat_id == chat.id and s.message_id == message_id]
        if not found:
            raise ApiError(400, "Bad Request: message to edit not found")
        raw, text, mode = self._text(params)
        sent = found[0]
        if sent.raw == raw:
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                           "content and reply markup are exactly the same")  # fmt: skip
        sent.raw, sent.text, sent.parse_mode, sent.edits = raw, text, mode, sent.edits + 1
        return self._message_json(sent)

    def _api_answerCallbackQuery(self, params: Json) -> bool:
        self.answers.append(Answer(str(params["callback_query_id"]), params.get("text", "")))
        return True

    def _api_getChatMember(self, params: Json) -> Json:
        chat = self._chat(params)
        user_id = _int(params.get("user_id")) or 0
        if user_id not in chat.admins:
            return {"status": "member", "user": _user(user_id)}
        rights = (
            "can_be_edited is_anonymous can_manage_chat can_delete_messages "
            "can_manage_video_chats can_restrict_members can_promote_members can_change_info "
            "can_invite_users can_post_stories can_edit_stories can_delete_stories"
        )
        member: Json = {"status": "administrator", "user": _user(user_id)}
        member.update({right: right != "is_anonymous" for right in rights.split()})
        return member


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def _post_update(hook: Json, update: Json) -> None:
    request = urllib.request.Request(
        hook["url"],
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json"},
    )
    if hook.get("secret_token"):
        request.add_header("X-Telegram-Bot-Api-Secret-Token", hook["secret_token"])
    # Telegram would retry later; a test that cares checks what arrived.
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=5).close()


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True


def _make_handler(fake: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = 10

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def _serve(self) -> None:
            prefix = f"/bot{TOKEN}/"
            if not self.path.startswith(prefix):
                self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                return
            method = self.path[len(prefix) :].split("?", 1)[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            if (self.headers.get("Content-Type") or "").startswith("application/json"):
                params = json.loads(body or "{}")
            else:
                params = dict(parse_qsl(body, keep_blank_values=True))
            try:
                result = fake.call(method, params)
            except ApiError as e:
                error: Json = {"ok": False, "error_code": e.code, "description": e.description}
                if e.parameters:
                    error["parameters"] = e.parameters
                self._reply(e.code, error)
                return
            self._reply(200, {"ok": True, "result": result})

        def _reply(self, status: int, data: Json) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            # The client may have given up (a poll cancelled at shutdown).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram()
    fake.start()
    try:
        yield fake
    finally:
        fake.close()

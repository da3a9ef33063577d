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
instead of waiting for getUpdates, one at a time and in order. The Bot API methods and rules
live in fake_telegram_api.py; this module is the HTTP server and the test's side.

Load the `fake_telegram` fixture with `pytest_plugins = ["tests.support.fake_telegram"]`.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from tests.support.fake_telegram_api import (
    BOT_USER,
    BOT_USERNAME,
    TELEGRAM_LIMITS,
    TOKEN,
    Answer,
    ApiError,
    BotApi,
    Chat,
    HangUp,
    Json,
    Limits,
    Rejected,
    Sent,
    int_param,
    user_json,
)

# Telegram's stand-in sender for anonymous group administrators (@GroupAnonymousBot).
ANONYMOUS_ADMIN: Json = {"id": 1087968824, "is_bot": True, "first_name": "Group"}

__all__ = ["BOT_USERNAME", "TOKEN", "Answer", "FakeTelegram", "Limits", "Rejected", "Sent"]


class FakeTelegram(BotApi):
    def __init__(self, *, limits: Limits | None = TELEGRAM_LIMITS, max_poll: float = 0.3) -> None:
        super().__init__(limits=limits, max_poll=max_poll)
        self._webhook_queue: queue.Queue[tuple[Json, Json] | None] = queue.Queue()
        self._webhook_thread: threading.Thread | None = None
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
            self._chats.setdefault(user_id, Chat(user_id, "private"))
        return user_id

    def group(self, chat_id: int, *, admins: set[int] | None = None, forum: bool = False) -> int:
        kind = "supergroup" if forum or str(chat_id).startswith("-100") else "group"
        with self._lock:
            self._chats[chat_id] = Chat(chat_id, kind, is_forum=forum, admins=set(admins or ()))
        return chat_id

    def topic(self, chat_id: int, thread_id: int) -> None:
        with self._lock:
            self._chats[chat_id].topics.add(thread_id)

    # --- playing the users --------------------------------------------------------------------

    def say(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        thread: int | None = None,
        anonymous: bool = False,
    ) -> int:
        """A user writes `text` in the chat (in forum topic `thread`; `anonymous`: an anonymous
        group administrator, who writes as the group); returns the update id."""
        with self._lock:
            chat = self._chats[chat_id]
            message: Json = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": chat.json(),
                "from": ANONYMOUS_ADMIN if anonymous else user_json(user_id),
                "text": text,
            }
            if anonymous:
                message["sender_chat"] = chat.json()
            if text.startswith("/"):
                length = len(text.split(maxsplit=1)[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            if thread is not None:
                message["message_thread_id"] = thread
                message["is_topic_message"] = True
            return self._push({"message": message})

    def press(
        self, message: Sent, user_id: int, label_prefix: str, *, data: str | None = None
    ) -> str:
        """A user presses the button under `message` whose label starts with `label_prefix`
        (or one carrying `data`, as an old or forged button would)."""
        if data is None:
            data = next(d for label, d in message.buttons if label.startswith(label_prefix))
        with self._lock:
            query_id = str(next(self._query_ids))
            self._push(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": user_json(user_id),
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
                "from": user_json(chat_id if chat_id > 0 else 1),
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
            self._chats[new_id] = Chat(new_id, "supergroup", admins=set(old.admins))
            if notify:
                now = int(time.time())
                self._push(
                    {
                        "message": {
                            "message_id": next(self._message_ids),
                            "date": now,
                            "chat": old.json(),
                            "from": user_json(1),
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

    def lose_answer(self, method: str, chat_id: int) -> None:
        """The next `method` call for `chat_id` takes effect, but its answer is lost."""
        with self._lock:
            key = (method, chat_id)
            self._hang_ups[key] = self._hang_ups.get(key, 0) + 1

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
                if name == "sendMessage" and int_param(params.get("chat_id")) == chat_id
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
        self._webhook_queue.put(None)
        if self._webhook_thread is not None:
            self._webhook_thread.join()
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    # --- internals (called with the lock held unless noted) -----------------------------------

    def _push(self, body: Json) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **body}
        if self.webhook is not None:
            # One at a time and in order, from a thread: the caller may hold the lock the bot's
            # own API calls need while it handles the update.
            self._webhook_queue.put((self.webhook, update))
            if self._webhook_thread is None:
                self._webhook_thread = threading.Thread(
                    target=self._post_updates, name="fake-telegram-webhook", daemon=True
                )
                self._webhook_thread.start()
        else:
            self._updates.append(update)
            self._lock.notify_all()
        return update_id

    def _post_updates(self) -> None:
        while (item := self._webhook_queue.get()) is not None:
            _post_update(*item)


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
            except HangUp:
                self.close_connection = True
                return
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

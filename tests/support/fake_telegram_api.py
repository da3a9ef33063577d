"""The Bot API side of the fake Telegram: its state, its methods and Telegram's rules.

`BotApi.call(method, params)` answers one request the way Telegram would (see fake_telegram.py
for the HTTP server and the test's side: playing users and reading what the bot sent).
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

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


TELEGRAM_LIMITS = Limits()


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
class Chat:
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


class HangUp(Exception):
    """The call took effect, but the connection closes without an answer (a lost response)."""


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def user_json(user_id: int) -> Json:
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


class BotApi:
    """Everything is guarded by `_lock` (a Condition: long polls wait on it)."""

    def __init__(self, *, limits: Limits | None, max_poll: float) -> None:
        self.limits = limits
        self.max_poll = max_poll
        self._lock = threading.Condition()
        self._chats: dict[int, Chat] = {}
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
        self._hang_ups: dict[tuple[str, int | None], int] = {}

    @staticmethod
    def _gone_text(chat: Chat) -> str:
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
            chat_id = int_param(params.get("chat_id"))
            try:
                for key in ((method, chat_id), (method, None)):
                    queue = self._failures.get(key)
                    if queue:
                        raise queue.pop(0)
                handler = getattr(self, f"_api_{method}", None)
                if handler is None:
                    raise ApiError(404, "Not Found")
                result = handler(params)
                if self._hang_ups.get((method, chat_id), 0) > 0:
                    self._hang_ups[(method, chat_id)] -= 1
                    raise HangUp  # done, but the answer never leaves
                return result
            except ApiError as e:
                now = time.monotonic()
                self.rejected.append(Rejected(method, chat_id, e.code, e.description, now))
                raise

    def _get_updates(self, params: Json) -> list[Json]:
        offset = int_param(params.get("offset")) or 0
        limit = int_param(params.get("limit")) or 100
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

    def _chat(self, params: Json) -> Chat:
        chat = self._chats.get(int_param(params.get("chat_id")) or 0)
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

    def _flood_check(self, chat: Chat) -> None:
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
        thread = int_param(params.get("message_thread_id"))
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
        message_id = int_param(params.get("message_id"))
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
        user_id = int_param(params.get("user_id")) or 0
        if user_id not in chat.admins:
            return {"status": "member", "user": user_json(user_id)}
        rights = (
            "can_be_edited is_anonymous can_manage_chat can_delete_messages "
            "can_manage_video_chats can_restrict_members can_promote_members can_change_info "
            "can_invite_users can_post_stories can_edit_stories can_delete_stories"
        )
        member: Json = {"status": "administrator", "user": user_json(user_id)}
        member.update({right: right != "is_anonymous" for right in rights.split()})
        return member


def int_param(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)

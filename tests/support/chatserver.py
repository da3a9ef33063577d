"""A fake chat platform on 127.0.0.1: it takes messages over HTTP and remembers them.

`POST /send` with JSON `{"chat": ..., "text": ...}` answers `{"ok": true, "message_id": N}`.
Like the real platforms it can enforce a total rate (`per_second`): a message beyond it gets a
429 with `retry_after`, and is counted in `refused`. `delay` makes every send take that long (a
slow platform, so a test can stop or kill the bot mid-send). It runs in a thread, so it serves
any process or event loop, and a test can kill the bot while the server keeps its record.

`python -m tests.support.chatserver --per-second 30` runs one in a process of its own (as a real
platform is): it prints its URL, and `GET /stats` answers the counts.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class ChatServer:
    def __init__(self, *, per_second: int | None = None, delay: float = 0.0) -> None:
        self.per_second = per_second
        self.delay = delay
        self.received: list[tuple[str, str]] = []  # (chat, text) of every accepted message
        self.refused = 0
        self._times: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def accept(self, chat: str, text: str) -> tuple[int, dict[str, object]]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            now = time.monotonic()
            if self.per_second is not None:
                while self._times and now - self._times[0] >= 1.0:
                    self._times.popleft()
                if len(self._times) >= self.per_second:
                    self.refused += 1
                    return 429, {"ok": False, "retry_after": 1}
                self._times.append(now)
            self.received.append((chat, text))
            return 200, {"ok": True, "message_id": len(self.received)}


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with server._lock:
                stats = {
                    "received": len(server.received),
                    "distinct": len(set(server.received)),
                    "refused": server.refused,
                }
            data = json.dumps(stats).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            status, answer = server.accept(str(body["chat"]), str(body["text"]))
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="a fake chat platform on 127.0.0.1")
    parser.add_argument("--per-second", type=int, default=None)
    args = parser.parse_args()
    with ChatServer(per_second=args.per_second) as server:
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()

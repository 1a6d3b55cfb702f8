"""A webhook receiver on loopback, for the tests of signed webhooks (signatures, batches)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# The receiver is plain http on loopback: the two development/test allowances of
# service.destinations. Production settings have neither (see tests/security).
LOOPBACK_WEBHOOKS: dict[str, Any] = {"webhook_allow_http": True, "webhook_allow_private": True}


@dataclass
class Hooks:
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    failures_left: int = 0  # answer 500 this many times first (to exercise the retries)
    attempts: int = 0

    def of(self, event_type: str, request_id: str) -> list[dict[str, Any]]:
        return [h for h in list(self.received)
                if h["json"]["type"] == event_type and h["json"]["data"].get("id") == request_id]


def _hook_handler(hooks: Hooks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hooks.attempts += 1
            if hooks.failures_left > 0:
                hooks.failures_left -= 1
                self.send_response(500)
                self.end_headers()
                return
            hooks.received.append({"headers": dict(self.headers), "body": body,
                                   "json": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler



@contextmanager
def receiving_hooks() -> Iterator[Hooks]:
    received = Hooks()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _hook_handler(received))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()

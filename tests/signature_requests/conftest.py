"""An app wired to real loopback servers: SMTP (aiosmtpd), a webhook receiver, and the app
itself served over HTTP for the browser. One of each for the whole folder."""

from __future__ import annotations

import email
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from service import create_app
from service.clock import fixed_clock
from service.config import Settings
from tests.conftest import FROZEN_NOW, MASTER_KEY, load_example
from tests.webhook_receiver import LOOPBACK_WEBHOOKS, Hooks

WEBHOOK_SECRET = "whsec_test_0123456789"
PROXY = "10.0.0.7"  # a configured reverse proxy in these tests
WAIT_SECONDS = 30  # an upper bound for background deliveries, never a measured duration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], Any], what: str) -> Any:
    """Poll until ``predicate()`` is truthy (background threads deliver mail and hooks)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# --- SMTP -------------------------------------------------------------------------------

@dataclass
class Mailbox:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait(self, address: str, subject_part: str, count: int = 1) -> list[EmailMessage]:
        def found() -> list[EmailMessage]:
            hits = [m for m in self.to(address) if subject_part in str(m["Subject"])]
            return hits if len(hits) >= count else []

        return wait_for(found, f"{count} mail(s) '{subject_part}' to {address}")


def body_text(message: Message) -> str:
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(message: Message) -> str:
    match = re.search(r"https?://\S+/sign/[A-Za-z0-9_-]{43}", body_text(message))
    assert match, body_text(message)
    return match.group(0)


def code_in(message: Message) -> str:
    match = re.search(r"code de signature est : (\d{6})", body_text(message))
    assert match
    return match.group(1)


# --- webhook receiver -------------------------------------------------------------------

# --- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@dataclass(frozen=True)
class LiveApp:
    app: Flask
    base_url: str
    keys_dir: Path


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox, hooks: Hooks,
         ) -> Iterator[LiveApp]:
    """The app with SMTP and webhooks configured, also served on a loopback port."""
    port = free_port()
    data_dir = tmp_path_factory.mktemp("sigreq")
    app = create_app(Settings(
        data_dir=data_dir, api_key=MASTER_KEY, public_url=f"http://127.0.0.1:{port}",
        smtp_host="127.0.0.1", smtp_port=mailbox.port, mail_from="Amiable <signature@amiable.test>",
        webhook_url=hooks.url, webhook_secret=WEBHOOK_SECRET, **LOOPBACK_WEBHOOKS,
        trusted_proxies=(PROXY, "192.0.2.0/24"), clock=fixed_clock(FROZEN_NOW)))
    app.config["AMIABLE_OUTBOX_POLL_SECONDS"] = 0.1
    app.config["AMIABLE_OUTBOX_BACKOFF_SECONDS"] = 0.1
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveApp(app, f"http://127.0.0.1:{port}", data_dir / "keys")
    server.shutdown()
    server.server_close()


@pytest.fixture
def sig_client(live: LiveApp) -> FlaskClient:
    return live.app.test_client()


@pytest.fixture
def api(sig_client: FlaskClient) -> Callable[..., Any]:
    """Call the API with the master key: api("POST", path, json=...)."""
    def call(method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {MASTER_KEY}", **kwargs.pop("headers", {})}
        return sig_client.open(path, method=method, headers=headers, **kwargs)

    return call


@pytest.fixture
def echeancier(api: Callable[..., Any]) -> dict[str, Any]:
    """A fresh échéancier (one pending request per document, so one per test)."""
    response = api("POST", "/v1/documents", json=load_example("echeancier-consumer"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def new_request(api: Callable[..., Any], echeancier: dict[str, Any]) -> Callable[..., Any]:
    def create(**changes: Any) -> dict[str, Any]:
        body = {"document_id": echeancier["id"],
                "signer": {"name": "M. Hugo Lefèvre", "email": "hugo.lefevre@example.org"},
                "send_email": False, **changes}
        response = api("POST", "/v1/signature-requests", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create

"""Attack: make the service post its webhooks inward (server-side request forgery).

A system key chooses a batch's `webhook_url`; the operator chooses AMIABLE_WEBHOOK_URL.
Proves, with the default settings: only https is accepted; a host that is, or resolves to, a
loopback, link-local (cloud metadata), private, carrier-grade NAT, multicast, reserved or
unspecified address is refused at submission with a 422, IPv4 hidden in IPv6 too; the
check runs again at delivery (a name that turned private since submission is not posted
to); the delivery connects to the address checked, not to a second lookup, and over https
still verifies the certificate for the URL's host name; a redirect is never followed; the
service refuses to start with an unsafe AMIABLE_WEBHOOK_URL.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from service import create_app, destinations
from service.batches import worker
from service.config import Settings
from service.db import Database, migrate
from service.destinations import UnsafeDestination, WebhookPolicy
from service.mail import Mailer
from service.signature_requests import signatures
from service.signature_requests.models import OutboxMessage
from service.signature_requests.outbox import Outbox
from service.storage import FolderBlobStore
from tests.conftest import MASTER_KEY, relance_batch
from tests.webhook_receiver import Hooks

SECRET = "whsec_ssrf_test"
PUBLIC = "93.184.215.14"  # a public address (no DNS needed to check it)
STRICT = WebhookPolicy()

INWARD = [
    "https://127.0.0.1/hook", "https://127.8.9.10/hook", "https://localhost/hook",
    "https://[::1]/hook", "https://169.254.169.254/latest/meta-data/",
    "https://[fe80::1]/hook", "https://10.0.0.7/hook", "https://172.16.3.4/hook",
    "https://192.168.1.1/hook", "https://100.64.0.1/hook", "https://224.0.0.251/hook",
    "https://[ff02::1]/hook", "https://240.0.0.1/hook", "https://0.0.0.0/hook",
    "https://[::]/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:169.254.169.254]/hook", "https://[64:ff9b::a00:1]/hook",
    "https://[2002:7f00:1::]/hook", "https://[fd00::1]/hook", "https://192.0.2.1/hook",
]


@pytest.mark.parametrize("url", INWARD)
def test_inward_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeDestination, match="outside world"):
        destinations.check(url, STRICT)


@pytest.mark.parametrize("url", ["http://93.184.215.14/hook", "ftp://93.184.215.14/x",
                                 "file:///etc/passwd", "gopher://93.184.215.14/"])
def test_only_https(url: str) -> None:
    with pytest.raises(UnsafeDestination, match="must use https"):
        destinations.check(url, STRICT)


def test_public_https_is_accepted_and_http_only_when_allowed() -> None:
    checked = destinations.check(f"https://{PUBLIC}:8443/hooks?x=1", STRICT)
    assert (checked.port, checked.target, checked.addresses) == (8443, "/hooks?x=1",
                                                                 (ip_address(PUBLIC),))
    assert destinations.check(f"http://{PUBLIC}/h", WebhookPolicy(allow_http=True))
    with pytest.raises(UnsafeDestination, match="outside world"):  # http is not private
        destinations.check("http://127.0.0.1/h", WebhookPolicy(allow_http=True))
    with pytest.raises(UnsafeDestination, match="credentials"):
        destinations.check(f"https://user:pw@{PUBLIC}/h", STRICT)
    with pytest.raises(UnsafeDestination, match="cannot be resolved"):
        destinations.check("https://nowhere.invalid/h", STRICT)


def test_a_name_with_one_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(destinations, "resolve", lambda host, port: (
        ip_address(PUBLIC), ip_address("10.1.2.3")))
    with pytest.raises(UnsafeDestination, match=r"10\.1\.2\.3 is a private address"):
        destinations.check("https://hooks.example.com/h", STRICT)


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """Default webhook settings (https, public addresses only), webhooks configured."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("ssrf"), api_key=MASTER_KEY,
                              webhook_secret=SECRET))
    yield app
    app.extensions["amiable"].db.engine.dispose()


@pytest.mark.parametrize("url", [*INWARD[:6], INWARD[15], "http://93.184.215.14/hook"])
def test_batch_webhook_url_is_checked_at_submission(strict_app: Flask, url: str) -> None:
    response = strict_app.test_client().post(
        "/v1/batches", headers={"Authorization": f"Bearer {MASTER_KEY}"},
        json={"documents": relance_batch(1, "S"), "webhook_url": url})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "unsafe_webhook_url"
    assert error["details"][0]["field"] == "webhook_url"


def test_the_service_refuses_to_start_with_an_inward_webhook_url(tmp_path: Path) -> None:
    for url in ("http://hooks.example.com/x", "https://169.254.169.254/x"):
        with pytest.raises(UnsafeDestination, match="AMIABLE_WEBHOOK_URL"):
            create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY, webhook_url=url,
                                webhook_secret=SECRET))


def test_delivery_checks_again_when_dns_changed(tmp_path: Path, hooks: Hooks,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Accepted while the name was public, refused when it resolves to loopback later."""
    app = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY, webhook_secret=SECRET,
                              webhook_allow_http=True))  # the receiver is http; not private
    port = hooks.url.split(":")[2].split("/")[0]
    url = f"http://rebind.example.com:{port}/hooks"
    monkeypatch.setattr(destinations, "resolve", lambda host, p: (ip_address(PUBLIC),))
    batch = app.test_client().post("/v1/batches", headers={
        "Authorization": f"Bearer {MASTER_KEY}"},
        json={"documents": relance_batch(1, "R"), "webhook_url": url}).get_json()
    assert batch["status"] == "queued", batch
    worker.run(app.extensions["amiable"], threading.Event(), lease=timedelta(seconds=60),
               until_idle=True)
    monkeypatch.setattr(destinations, "resolve", lambda host, p: (ip_address("127.0.0.1"),))
    before = hooks.attempts
    assert signatures(app).outbox.deliver_due() == 0
    assert hooks.attempts == before  # nothing reached the loopback receiver
    with app.extensions["amiable"].db.session() as session:
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.target == url)).one()
    assert "loopback" in (message.last_error or "")
    app.extensions["amiable"].db.engine.dispose()


def _outbox(tmp_path: Path, url: str, policy: WebhookPolicy) -> tuple[Outbox, Database]:
    db_url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate(db_url)
    db = Database(db_url)
    outbox = Outbox(db, FolderBlobStore(tmp_path / "blobs"), Mailer(None, 25, "a@b.c"),
                    webhook_url=url, webhook_secret=SECRET, backoff_seconds=0, policy=policy)
    with db.session() as session:
        outbox.webhook(session, "signature_request.signed", {"id": "sr_ssrf"})
    return outbox, db


def test_delivery_connects_to_the_checked_address(tmp_path: Path, hooks: Hooks,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`hooks.invalid` has no DNS entry: only the address checked can have been used."""
    port = hooks.url.split(":")[2].split("/")[0]
    monkeypatch.setattr(destinations, "resolve", lambda host, p: (ip_address("127.0.0.1"),))
    outbox, db = _outbox(tmp_path, f"http://hooks.invalid:{port}/hooks",
                         WebhookPolicy(allow_http=True, allow_private=True))
    assert outbox.deliver_due() == 1
    [hit] = [h for h in hooks.received if h["json"]["data"].get("id") == "sr_ssrf"]
    assert hit["headers"]["Host"] == f"hooks.invalid:{port}"
    db.engine.dispose()


class _Redirecting(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(307)
        self.send_header("Location", self.target)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_redirects_are_not_followed(tmp_path: Path, hooks: Hooks) -> None:
    _Redirecting.target = hooks.url
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        outbox, db = _outbox(tmp_path, f"http://127.0.0.1:{server.server_address[1]}/in",
                             WebhookPolicy(allow_http=True, allow_private=True))
        before = hooks.attempts
        assert outbox.deliver_due() == 0
        assert hooks.attempts == before  # the redirect's target was never posted to
        with db.session() as session:
            message = session.scalars(select(OutboxMessage)).one()
        assert "307" in (message.last_error or "")
        assert "redirect" in (message.last_error or "")
        db.engine.dispose()
    finally:
        server.shutdown()
        server.server_close()


def _tls_receiver(tmp_path: Path, name: str) -> tuple[ThreadingHTTPServer, Path, list[str]]:
    """An https receiver on loopback with a certificate for `name`, from a CA of its own."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)

    def cert(subject: str, key: Any, issuer: str, signer: Any, ca: bool) -> x509.Certificate:
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]),
                                            critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = cert("Test hooks CA", ca_key, "Test hooks CA", ca_key, True)
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(
        cert(name, key, "Test hooks CA", ca_key, False).public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()))
    hosts: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            hosts.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, tmp_path / "ca.pem", hosts


def test_https_delivery_verifies_the_name_at_the_pinned_address(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TLS checks the certificate against the URL's host name (SNI), not the address."""
    server, ca, hosts = _tls_receiver(tmp_path, "hooks.example.test")
    monkeypatch.setattr(destinations, "resolve", lambda host, p: (ip_address("127.0.0.1"),))
    loopback_ok = WebhookPolicy(allow_private=True)
    port = server.server_address[1]
    try:
        assert destinations.post(f"https://hooks.example.test:{port}/h", b"{}", {},
                                 policy=loopback_ok, timeout=10, ca_certs=str(ca)) == 204
        assert hosts == [f"hooks.example.test:{port}"]
        with pytest.raises(destinations.DeliveryError):  # same address, another name
            destinations.post(f"https://other.example.test:{port}/h", b"{}", {},
                              policy=loopback_ok, timeout=10, ca_certs=str(ca))
        with pytest.raises(destinations.DeliveryError):  # a CA the service does not trust
            destinations.post(f"https://hooks.example.test:{port}/h", b"{}", {},
                              policy=loopback_ok, timeout=10)
        assert len(hosts) == 1
    finally:
        server.shutdown()
        server.server_close()

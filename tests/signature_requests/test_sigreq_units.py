"""The small parts on their own: client address, mention check, codes, block placement."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from service.config import TEMPLATES_DIR
from service.db import Database, migrate
from service.destinations import WebhookPolicy
from service.mail import Mailer
from service.rendering.pdf import PdfRenderer
from service.signature_requests import otp
from service.signature_requests.clientip import client_ip, parse_networks
from service.signature_requests.mention import check_mention
from service.signature_requests.models import OutboxMessage
from service.signature_requests.outbox import MAX_ATTEMPTS, Outbox
from service.signature_requests.placement import FALLBACK, signature_area
from service.signature_requests.tokens import csrf_ok, csrf_token, new_token, token_sha256
from service.storage import FolderBlobStore
from signing.debtor import page_count
from tests.conftest import load_example
from tests.signature_requests.conftest import free_port

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8::1"])


@pytest.mark.parametrize(("remote", "forwarded", "expected"), [
    ("203.0.113.5", None, "203.0.113.5"),
    ("203.0.113.5", "198.51.100.7", "203.0.113.5"),  # not a proxy: its header is ignored
    ("10.1.2.3", "198.51.100.7", "198.51.100.7"),
    ("10.1.2.3", "6.6.6.6, 198.51.100.7, 10.9.9.9", "198.51.100.7"),  # forged left part
    ("2001:db8::1", "198.51.100.8", "198.51.100.8"),
    ("10.1.2.3", "not-an-ip", "not-an-ip"),
])
def test_client_ip_trusts_only_configured_proxies(remote: str, forwarded: str | None,
                                                  expected: str) -> None:
    assert client_ip(remote, forwarded, PROXIES) == expected


@pytest.mark.parametrize(("words", "figures", "ok", "words_ok"), [
    ("mille deux cent quatre-vingt-treize euros et quarante et un centimes", "1 293,41", True,
     True),
    ("Mille deux cent quatre vingt treize euros quarante et un centimes", "1293.41 €", True,
     True),
    ("mille deux cent quatre-vingt-treize euros", "1 293,41", False, False),
    ("mille deux cent quatre-vingt-treize euros et quarante et un centimes", "1 293,14", False,
     True),
    ("1293,41", "1293,41", False, False),
])
def test_mention_words_prevail(words: str, figures: str, ok: bool, words_ok: bool) -> None:
    check = check_mention(words, figures, Decimal("1293.41"))
    assert (check.ok, check.words_ok) == (ok, words_ok)
    assert (check.message_fr() is None) == ok


def test_codes_are_six_digits_and_stored_hashed() -> None:
    code = otp.new_code()
    assert len(code) == 6
    assert code.isdigit()
    stored = otp.hash_code(code)
    assert code not in stored
    assert otp.code_matches(stored, f" {code[:3]} {code[3:]} ")
    assert not otp.code_matches(stored, f"{(int(code) + 1) % 10**6:06d}")
    assert not otp.code_matches(stored, "abcdef")
    assert otp.masked("hugo.lefevre@example.org") == "h***@example.org"


def test_tokens_are_256_bits_and_csrf_is_bound_to_the_session() -> None:
    token = new_token()
    assert len(token) == 43  # 32 bytes, URL-safe base64 without padding
    assert token_sha256(token) != token
    assert csrf_ok(token, "session-a", csrf_token(token, "session-a"))
    assert not csrf_ok(token, "session-b", csrf_token(token, "session-a"))
    assert not csrf_ok(new_token(), "session-a", csrf_token(token, "session-a"))
    assert not csrf_ok(token, None, csrf_token(token, "session-a"))


def test_an_unknown_layout_puts_the_block_lower_left() -> None:
    pdf = PdfRenderer().render("<p>Un autre modèle, sans espace de signature.</p>",
                               TEMPLATES_DIR / "agreements")
    area = signature_area(pdf, page_count(pdf))
    assert (area.x1, area.y1, area.x2, area.y2) == FALLBACK


def test_without_smtp_the_link_must_be_sent_by_the_caller(
        client: FlaskClient, auth: dict[str, str], post_document: Callable[..., Any]) -> None:
    """The shared app has no SMTP server: asking Amiable to e-mail the link is refused."""
    document = post_document(load_example("echeancier-consumer")).get_json()
    signer = {"name": "A", "email": "a@example.org"}
    refused = client.post("/v1/signature-requests", headers=auth,
                          json={"document_id": document["id"], "signer": signer})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "mail_unavailable"
    created = client.post("/v1/signature-requests", headers=auth, json={
        "document_id": document["id"], "signer": signer, "send_email": False})
    assert created.status_code == 201
    assert created.get_json()["url"].startswith("https://amiable.test/sign/")


def test_the_operations_are_described(client: FlaskClient) -> None:
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/v1/signature-requests", "/v1/signature-requests/{request_id}",
                 "/v1/signature-requests/{request_id}/cancel",
                 "/v1/signature-requests/{request_id}/remind",
                 "/v1/signature-requests/{request_id}/evidence"):
        assert path in paths


def test_the_block_goes_into_the_echeancier_signature_space(
        client: FlaskClient, auth: dict[str, str], post_document: Callable[..., Any]) -> None:
    document = post_document(load_example("echeancier-consumer")).get_json()
    pdf = client.get(document["links"]["pdf"], headers=auth).data
    area = signature_area(pdf, page_count(pdf))
    assert (area.x1, area.y1, area.x2, area.y2) != FALLBACK
    assert area.width > 150
    assert area.height >= 70


def test_a_webhook_is_given_up_after_a_bounded_number_of_attempts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate(url)
    db = Database(url)
    outbox = Outbox(db, FolderBlobStore(tmp_path / "blobs"), Mailer(None, 25, "a@b.c"),
                    webhook_url=f"http://127.0.0.1:{free_port()}/nobody-listens",
                    webhook_secret="s", backoff_seconds=0,
                    policy=WebhookPolicy(allow_http=True, allow_private=True))
    with db.session() as session:
        outbox.webhook(session, "signature_request.signed", {"id": "sr_x"})
    for _ in range(MAX_ATTEMPTS + 2):
        assert outbox.deliver_due() == 0
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert (message.attempts, message.failed) == (MAX_ATTEMPTS, True)
    assert message.done_at is not None
    assert message.last_error
    db.engine.dispose()

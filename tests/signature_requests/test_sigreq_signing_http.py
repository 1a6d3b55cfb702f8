"""The debtor's path over plain HTTP (no browser): every refusal, then a complete signature."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from cryptography import x509
from flask.testing import FlaskClient
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from service.domain.words import amount_in_words
from service.signature_requests.models import OutboxMessage
from service.signature_requests.service import CONSENT_TEXT
from service.web.ops_models import SignatureRequestEvent
from signing import validate_pdf
from signing.debtor import first_revision
from signing.keys import load_certificates
from signing.signer_ca import signer_ca_path
from tests import tampering
from tests.conftest import load_example
from tests.pdf_checks import (
    independent_validators_accept,
    pdf_text,
    pdfa_problems,
    pdfsig,
    qpdf_check,
)
from tests.signature_requests.conftest import (
    PROXY,
    WEBHOOK_SECRET,
    LiveApp,
    Mailbox,
    body_text,
    code_in,
    wait_for,
)
from tests.webhook_receiver import Hooks

EMAIL = "hugo.lefevre@example.org"


class Debtor:
    """A browser-less debtor: keeps the session cookie and the page's CSRF token."""

    def __init__(self, client: FlaskClient, url: str, *, request_id: str = "",
                 remote_addr: str = "127.0.0.1") -> None:
        self.client = client
        self.path = urlsplit(url).path
        self.request_id = request_id
        self.environ = {"REMOTE_ADDR": remote_addr}
        self.csrf = ""

    def open(self, **headers: str) -> Any:
        response = self.client.get(self.path, headers=headers, environ_base=self.environ)
        found = re.search(r'name="csrf" value="([0-9a-f]{64})"', response.get_data(as_text=True))
        self.csrf = found.group(1) if found else ""
        return response

    def post(self, **form: str) -> Any:
        return self.client.post(self.path, data={"csrf": self.csrf, **form},
                                environ_base=self.environ)

    def send_code(self) -> Any:
        return self.post(action="send_code")

    def sign(self, words: str, figures: str, code: str, consent: bool = True) -> Any:
        form = {"action": "sign", "mention_words": words, "mention_figures": figures,
                "code": code}
        if consent:
            form["consent"] = "yes"
        return self.post(**form)


@pytest.fixture
def debtor(new_request: Callable[..., Any], sig_client: FlaskClient) -> Debtor:
    created = new_request()
    person = Debtor(sig_client, created["url"], request_id=created["id"])
    assert person.open().status_code == 200
    return person


def _total(echeancier: dict[str, Any]) -> Decimal:
    return Decimal(echeancier["figures"]["total"])


def _code(mailbox: Mailbox, debtor: Debtor) -> str:
    before = len([m for m in mailbox.to(EMAIL) if "code de signature" in str(m["Subject"])])
    response = debtor.send_code()
    assert response.status_code == 200, response.get_data(as_text=True)
    return code_in(mailbox.wait(EMAIL, "code de signature", before + 1)[-1])


def _events(api: Callable[..., Any], request_id: str) -> list[dict[str, Any]]:
    response = api("GET", f"/v1/signature-requests/{request_id}/evidence")
    assert response.status_code == 200
    return response.get_json()["events"]


# --- the API ----------------------------------------------------------------------------

def test_create_answers_a_link_and_emails_it(api: Callable[..., Any], mailbox: Mailbox,
                                             echeancier: dict[str, Any], live: LiveApp) -> None:
    signer = {"name": "Mme Zoé Martin", "email": "zoe.martin@example.org"}
    response = api("POST", "/v1/signature-requests",
                   json={"document_id": echeancier["id"], "signer": signer})
    body = response.get_json()
    assert response.status_code == 201, body
    assert body["status"] == "pending"
    assert re.fullmatch(re.escape(live.base_url) + r"/sign/[A-Za-z0-9_-]{43}", body["url"])
    mail = mailbox.wait(signer["email"], "échéancier à signer")[0]
    assert body["url"] in body_text(mail)
    status = api("GET", body["links"]["self"]).get_json()
    assert status["status"] == "pending"
    assert status["url"] is None  # only the hash of the token is kept
    assert status["links"]["pdf"] is None
    assert [e["type"] for e in _events(api, body["id"])] == ["request.created", "email.sent"]


def test_only_an_echeancier_can_be_signed(api: Callable[..., Any]) -> None:
    letter = api("POST", "/v1/documents", json=load_example("relance-level1")).get_json()
    response = api("POST", "/v1/signature-requests", json={
        "document_id": letter["id"], "signer": {"name": "A", "email": "a@example.org"}})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "not_signable"


def test_unknown_document_bad_body_and_no_key_are_refused(api: Callable[..., Any],
                                                          sig_client: FlaskClient) -> None:
    signer = {"name": "A", "email": "a@example.org"}
    assert api("POST", "/v1/signature-requests",
               json={"document_id": "doc_nope", "signer": signer}).status_code == 404
    assert api("POST", "/v1/signature-requests", json={
        "document_id": "doc_x", "signer": {"name": "A", "email": "not-an-email"}},
               ).status_code == 422
    assert sig_client.post("/v1/signature-requests", json={
        "document_id": "doc_x", "signer": signer}).status_code == 401


def test_a_second_pending_request_is_a_conflict(new_request: Callable[..., Any],
                                                api: Callable[..., Any],
                                                echeancier: dict[str, Any]) -> None:
    new_request()
    response = api("POST", "/v1/signature-requests", json={
        "document_id": echeancier["id"], "signer": {"name": "A", "email": "a@example.org"}})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "request_pending"


# --- the page ---------------------------------------------------------------------------

def test_page_is_french_strict_and_shows_the_plan(debtor: Debtor,
                                                  echeancier: dict[str, Any]) -> None:
    response = debtor.open()
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # nothing may run
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Atelier Lumière SAS" in html
    assert "1 293,41" in html.replace("\u202f", " ").replace("\xa0", " ")  # the total
    assert html.count("<tr><td>Échéance") == 6
    for element in ("mention-words", "mention-figures", "consent", "send-code", "code", "sign"):
        assert f'id="{element}"' in html
        assert f'for="{element}"' in html or element in ("send-code", "sign")
    assert 'value=""' in html  # the mention fields are empty: nothing prefilled
    assert re.search(r'src="/sign/[^"]+/pages/1\.png"', html)
    assert re.search(r"https?://(?!127\.0\.0\.1)", html.split("<body>", 1)[1]) is None


def test_page_images_and_pdf_are_served_under_the_token(debtor: Debtor,
                                                        sig_client: FlaskClient) -> None:
    image = sig_client.get(f"{debtor.path}/pages/1.png")
    assert image.status_code == 200
    assert image.data.startswith(b"\x89PNG")
    assert sig_client.get(f"{debtor.path}/pages/99.png").status_code == 404
    pdf = sig_client.get(f"{debtor.path}/document.pdf")
    assert pdf.data.startswith(b"%PDF")


def test_unknown_token_is_404(sig_client: FlaskClient) -> None:
    response = sig_client.get("/sign/" + "A" * 43)
    assert response.status_code == 404
    assert "existe pas" in response.get_data(as_text=True)


def test_a_form_without_its_session_is_refused(debtor: Debtor, sig_client: FlaskClient) -> None:
    debtor.csrf = "0" * 64
    response = debtor.send_code()
    assert response.status_code == 403
    sig_client.delete_cookie("amiable_sign", path="/sign/")
    assert debtor.post(action="send_code").status_code == 403


def test_wrong_words_are_refused_words_prevail(debtor: Debtor, mailbox: Mailbox,
                                               echeancier: dict[str, Any],
                                               api: Callable[..., Any]) -> None:
    total = _total(echeancier)
    code = _code(mailbox, debtor)
    # right figures, words naming another amount: refused, whatever the figures say
    response = debtor.sign(amount_in_words(total + 1), f"{total}", code)
    assert response.status_code == 422
    assert "en toutes lettres ne correspond pas" in response.get_data(as_text=True)
    response = debtor.sign(amount_in_words(total), f"{total + 1}", code)
    assert response.status_code == 422
    assert "en chiffres ne correspond pas" in response.get_data(as_text=True)
    refused = [e for e in _events(api, debtor.request_id) if e["type"] == "mention.refused"]
    assert [(e["data"]["words_ok"], e["data"]["figures_ok"]) for e in refused] == [
        (False, True), (True, False)]


def test_consent_is_required(debtor: Debtor, mailbox: Mailbox,
                             echeancier: dict[str, Any]) -> None:
    total = _total(echeancier)
    response = debtor.sign(amount_in_words(total), str(total), _code(mailbox, debtor),
                           consent=False)
    assert response.status_code == 422
    assert "consentement" in response.get_data(as_text=True)


def test_no_code_and_an_immediate_resend_are_refused(debtor: Debtor, mailbox: Mailbox,
                                                     echeancier: dict[str, Any]) -> None:
    total = _total(echeancier)
    response = debtor.sign(amount_in_words(total), str(total), "123456")
    assert response.status_code == 422
    assert "abord un code" in response.get_data(as_text=True)
    _code(mailbox, debtor)
    again = debtor.send_code()
    assert again.status_code == 429


def test_a_code_expires_after_ten_minutes(debtor: Debtor, mailbox: Mailbox,
                                          echeancier: dict[str, Any]) -> None:
    total = _total(echeancier)
    code = _code(mailbox, debtor)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        response = debtor.sign(amount_in_words(total), str(total), code)
    assert response.status_code == 422
    assert "expiré" in response.get_data(as_text=True)


def test_five_wrong_codes_lock_the_request(debtor: Debtor, mailbox: Mailbox, hooks: Hooks,
                                           echeancier: dict[str, Any],
                                           api: Callable[..., Any]) -> None:
    total = _total(echeancier)
    code = _code(mailbox, debtor)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    statuses = [debtor.sign(amount_in_words(total), str(total), wrong).status_code
                for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 423]
    # even the right code is refused now
    assert debtor.sign(amount_in_words(total), str(total), code).status_code == 423
    page = debtor.open()
    assert page.status_code == 423
    assert 'id="sign"' not in page.get_data(as_text=True)
    request_id = debtor.request_id
    assert api("GET", f"/v1/signature-requests/{request_id}").get_json()["status"] == "locked"
    hook = wait_for(lambda: hooks.of("signature_request.locked", request_id), "locked hook")[0]
    _assert_authentic_hook(hook)


def test_cancel_makes_the_link_gone(debtor: Debtor, api: Callable[..., Any],
                                    sig_client: FlaskClient) -> None:
    request_id = debtor.request_id
    response = api("POST", f"/v1/signature-requests/{request_id}/cancel")
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert debtor.open().status_code == 410
    assert sig_client.get(f"{debtor.path}/pages/1.png").status_code == 410
    assert debtor.send_code().status_code == 410
    assert api("POST", f"/v1/signature-requests/{request_id}/remind").status_code == 409


def test_expired_link_is_gone_and_announced(debtor: Debtor, api: Callable[..., Any],
                                            hooks: Hooks) -> None:
    request_id = debtor.request_id
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15)):
        assert debtor.open().status_code == 410
        status = api("GET", f"/v1/signature-requests/{request_id}").get_json()["status"]
        # the outbox runs on the same (travelled) clock
        hook = wait_for(lambda: hooks.of("signature_request.expired", request_id), "hook")[0]
    assert status == "expired"
    _assert_authentic_hook(hook)


def test_remind_replaces_the_link(debtor: Debtor, api: Callable[..., Any], mailbox: Mailbox,
                                  sig_client: FlaskClient) -> None:
    request_id = debtor.request_id
    response = api("POST", f"/v1/signature-requests/{request_id}/remind")
    assert response.status_code == 200
    new_url = response.get_json()["url"]
    assert mailbox.wait(EMAIL, "échéancier à signer")
    assert debtor.open().status_code == 404
    assert Debtor(sig_client, new_url).open().status_code == 200
    assert "request.reminded" in [e["type"] for e in _events(api, request_id)]


def test_forwarded_for_is_believed_only_from_a_configured_proxy(
        debtor: Debtor, api: Callable[..., Any], sig_client: FlaskClient) -> None:
    request_id = debtor.request_id
    forged = {"X-Forwarded-For": "203.0.113.66"}
    # Two new visits (fresh browsers: a visit session is recorded once, see visits.py).
    Debtor(sig_client.application.test_client(), debtor.path).open(**forged)  # not a proxy
    via_proxy = Debtor(sig_client.application.test_client(), debtor.path, remote_addr=PROXY)
    via_proxy.open(**{"X-Forwarded-For": "198.51.100.1, 203.0.113.9"})
    opened = [e["data"]["ip"] for e in _events(api, request_id) if e["type"] == "link.opened"]
    assert opened[-2:] == ["127.0.0.1", "203.0.113.9"]


# --- a complete signature ---------------------------------------------------------------

def _signed_file_is_recognised(api: Callable[..., Any], signed: bytes,
                               echeancier: dict[str, Any], request_id: str) -> None:
    """Issue 10.2: the file both parties receive is ours, with its request, signer and date;
    rewritten after its seal, it is not."""
    def verify(pdf: bytes) -> dict[str, Any]:
        response = api("POST", "/v1/verify", data=pdf,
                       headers={"Content-Type": "application/pdf"})
        assert response.status_code == 200, response.get_json()
        result: dict[str, Any] = response.get_json()
        return result

    result = verify(signed)
    assert result["verdict"] == "authentic", result
    assert result["document"]["id"] == echeancier["id"]
    request = result["signature_request"]
    assert request["id"] == request_id
    assert request["signer"]["name"] == "M. Hugo Lefèvre"
    signed_at = datetime.fromisoformat(request["signed_at"].replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - signed_at) < timedelta(minutes=5)
    assert [s["trusted"] for s in result["signatures"]] == [True] * len(result["signatures"])
    page = api("POST", "/verify", data={"file": (io.BytesIO(signed), "signe.pdf")},
               content_type="multipart/form-data").get_data(as_text=True)
    assert 'class="verdict ok"' in page
    assert "signé par M. Hugo Lefèvre" in page
    for name in ("replaced page", "info title", "annotation", "self-signed seal"):
        forged = verify(tampering.FORGERIES[name](signed))
        assert forged["verdict"] in {"modified", "invalid"}, name
        assert forged["issued_by_amiable"] is False
    rewritten = verify(tampering.replace_first_page(signed))
    assert rewritten["verdict"] == "modified"
    assert rewritten["signature_request"]["id"] == request_id


def _assert_authentic_hook(hook: dict[str, Any]) -> None:
    header = hook["headers"]["Amiable-Signature"]
    parsed = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert parsed, header
    timestamp, signature = parsed.groups()
    expected = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + hook["body"],
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert hook["headers"]["Amiable-Event-Id"] == hook["json"]["id"]
    # What was delivered is what /openapi.json's `webhooks` section describes.
    SignatureRequestEvent.model_validate(hook["json"])


def test_a_complete_signature(debtor: Debtor, mailbox: Mailbox, hooks: Hooks, live: LiveApp,
                              echeancier: dict[str, Any], api: Callable[..., Any]) -> None:
    request_id = debtor.request_id
    total = _total(echeancier)
    words = amount_in_words(total).upper()  # spelling is forgiven, not the number
    response = debtor.sign(words, "1 293,41 €", _code(mailbox, debtor))
    assert response.status_code == 303, response.get_data(as_text=True)

    page = debtor.open()
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="download"' in html
    assert "<form" not in html
    replay = debtor.sign(words, "1 293,41 €", "000000")
    assert replay.status_code == 409
    assert "<form" not in replay.get_data(as_text=True)

    status = api("GET", f"/v1/signature-requests/{request_id}").get_json()
    assert status["status"] == "signed"
    signed = api("GET", status["links"]["pdf"]).data
    assert debtor.client.get(f"{debtor.path}/document.pdf").data == signed

    # every signature checks out: the certification (DocMDP P=2), then the debtor's
    # (form filling), the debtor's validation data, and the seal over the whole file
    roots = [*load_certificates(live.keys_dir / "development-root.pem"),
             *load_certificates(signer_ca_path(live.keys_dir))]
    reports = validate_pdf(signed, roots)
    assert [r.field_name for r in reports] == [
        "AmiableCertification", "SignatureDebiteur", "AmiableSeal"]
    assert all(r.ok and r.intact and r.valid and r.trusted for r in reports)
    certification, debtor_sig, seal = reports
    assert certification.modification_level == "form_filling"
    assert debtor_sig.modification_level == "form_filling"
    assert (seal.coverage, seal.modification_level) == ("entire_file", "none")
    assert debtor_sig.signer is not None
    assert debtor_sig.signer.common_name == "M. Hugo Lefèvre"
    assert debtor_sig.signer.issuer_common_name == "Amiable signer CA"
    assert debtor_sig.signer.key == "RSA-3072"
    reader = PdfFileReader(io.BytesIO(signed))
    perms = reader.root["/Perms"]["/DocMDP"]
    assert perms["/Reference"][0]["/TransformParams"]["/P"] == 2
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) >= 2  # the debtor's one-time certificate and the signer CA
    assert len(dss["/CRLs"]) == 1  # the signer CA's CRL
    published = x509.load_der_x509_crl(api("GET", "/signer-ca.crl").data)  # its distribution point
    ca_cert = load_certificates(signer_ca_path(live.keys_dir))[0]
    assert published.is_signature_valid(ca_cert.public_key())  # type: ignore[arg-type]
    report = pdfsig(signed)
    assert report.count("Signature is Valid.") == 3
    assert "E=hugo.lefevre@example.org,CN=M. Hugo Lefèvre" in report
    seal_block = next(b for b in report.split("Signature #") if "Name: AmiableSeal" in b)
    assert "Total document signed" in seal_block
    independent_validators_accept(signed)
    assert pdfa_problems(signed) == []
    qpdf_check(signed)

    # the agreement is the issued one, byte for byte; evidence inside, signed by the debtor
    issued = api("GET", echeancier["links"]["pdf"]).data
    assert signed.startswith(first_revision(issued))
    text = pdf_text(signed)
    assert "Bon pour accord" in text
    assert "Dossier de preuve de la signature électronique" in text
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    embedded = json.loads(names[1].get_object()["/EF"]["/F"].get_object().data)
    assert names[0] == "dossier-de-preuve.json"
    assert reader.root["/AF"][0].get_object()["/AFRelationship"] == "/Supplement"
    # ISO 19005-3 §6.8: /AF and the name tree hold the same file specification, by reference
    assert reader.root["/AF"].raw_get(0) == names.raw_get(1)
    assert isinstance(names.raw_get(1), generic.IndirectObject)
    assert reader.root.get("/Version") in (None, "/1.7")  # still a PDF/A-3 (PDF 1.7) file
    assert embedded["mention"]["words"] == words
    assert embedded["consent"]["text"] == CONSENT_TEXT

    _signed_file_is_recognised(api, signed, echeancier, request_id)

    # the dossier de preuve
    evidence = api("GET", f"/v1/signature-requests/{request_id}/evidence").get_json()
    assert evidence["chain_valid"] is True
    types = [e["type"] for e in evidence["events"]]
    for expected in ("request.created", "link.opened", "document.shown", "code.sent",
                     "email.sent", "code.verified", "mention.typed", "consent.given",
                     "signature.applied", "document.signed"):
        assert expected in types
    by_type = {e["type"]: e["data"] for e in evidence["events"]}
    assert by_type["document.shown"]["document_sha256"] == echeancier["sha256"]
    assert by_type["document.signed"]["signed_sha256"] == hashlib.sha256(signed).hexdigest()
    assert by_type["consent.given"]["text"] == CONSENT_TEXT
    assert by_type["code.verified"]["ip"] == "127.0.0.1"
    assert evidence["request"]["agreement_sha256"] == hashlib.sha256(
        first_revision(issued)).hexdigest()
    assert evidence["signed_pdf_sha256"] == hashlib.sha256(signed).hexdigest()

    # a durable copy to each party, and the webhook
    for address in (EMAIL, load_example("echeancier-consumer")["creditor"]["email"]):
        copy = mailbox.wait(address, "signé")[-1]
        attachment = next(copy.iter_attachments())
        assert attachment.get_content() == signed
    hook = wait_for(lambda: hooks.of("signature_request.signed", request_id), "signed hook")[0]
    _assert_authentic_hook(hook)
    assert hook["json"]["data"]["signed_pdf_sha256"] == hashlib.sha256(signed).hexdigest()


def test_webhooks_are_retried_with_backoff(debtor: Debtor, mailbox: Mailbox, hooks: Hooks,
                                           echeancier: dict[str, Any], live: LiveApp) -> None:
    request_id = debtor.request_id
    total = _total(echeancier)
    code = _code(mailbox, debtor)
    hooks.failures_left = 2  # the receiver is down twice, then back
    for _ in range(5):
        debtor.sign(amount_in_words(total), str(total), f"{(int(code) + 1) % 10**6:06d}")
    wait_for(lambda: hooks.of("signature_request.locked", request_id), "retried hook")
    with live.app.extensions["amiable"].db.session() as session:
        messages = [m for m in session.scalars(select(OutboxMessage))
                    if m.kind == "webhook" and m.payload["data"]["id"] == request_id]
    assert [(m.attempts, m.failed, m.done_at is not None) for m in messages] == [(3, False, True)]

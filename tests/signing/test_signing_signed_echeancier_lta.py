"""Issue 10.2 and 10.7 through the service: with a PKI seal and a TSA, the échéancier the debtor
signs online is certified, timestamped for the debtor, sealed B-LTA, and /v1/verify calls the
file both parties receive authentic, with its request, signer and date."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from pki_server import ServedPki

from service import create_app
from service.clock import fixed_clock
from service.config import Settings
from service.domain.words import amount_in_words
from tests import tampering
from tests.conftest import FROZEN_NOW, MASTER_KEY, load_example
from tests.pdf_checks import independent_validators_accept, pdfa_problems
from tests.signature_requests.conftest import Mailbox, code_in, free_port
from tests.signature_requests.test_sigreq_signing_http import Debtor

HEADERS = {"Authorization": f"Bearer {MASTER_KEY}"}
EMAIL = "hugo.lefevre@example.org"


@pytest.fixture(scope="module")
def mail() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def lta_app(tmp_path_factory: pytest.TempPathFactory, test_pki: ServedPki,
            mail: Mailbox) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("signed-lta")
    p12 = folder / "seal.p12"
    p12.write_bytes(test_pki.seal_p12())
    roots = folder / "roots.pem"
    roots.write_bytes(test_pki.root.public_bytes(serialization.Encoding.PEM))
    app = create_app(Settings(
        data_dir=folder / "data", api_key=MASTER_KEY, seal_p12=p12, tsa_url=test_pki.tsa_url(),
        trust_roots=roots, smtp_host="127.0.0.1", smtp_port=mail.port,
        signer_ca_password="a password from the environment", clock=fixed_clock(FROZEN_NOW)))
    app.config["AMIABLE_OUTBOX_POLL_SECONDS"] = 0.1
    yield app
    app.extensions["amiable"].db.engine.dispose()


def test_a_signed_echeancier_at_b_lta_is_authentic(lta_app: Any, mail: Mailbox) -> None:
    client = lta_app.test_client()
    echeancier = client.post("/v1/documents", json=load_example("echeancier-consumer"),
                             headers=HEADERS).get_json()
    assert echeancier["seal"]["level"] == "B-LTA"
    created = client.post("/v1/signature-requests", headers=HEADERS, json={
        "document_id": echeancier["id"], "send_email": False,
        "signer": {"name": "M. Hugo Lefèvre", "email": EMAIL}}).get_json()
    debtor = Debtor(client, created["url"], request_id=created["id"])
    assert debtor.open().status_code == 200
    assert debtor.send_code().status_code == 200
    code = code_in(mail.wait(EMAIL, "code de signature")[-1])
    words = amount_in_words(Decimal(echeancier["figures"]["total"])).upper()
    response = debtor.sign(words, "1 293,41 €", code)
    assert response.status_code == 303, response.get_data(as_text=True)
    signed = client.get(f"/v1/signature-requests/{created['id']}/pdf", headers=HEADERS).data

    result = client.post("/v1/verify", data=signed, headers={
        **HEADERS, "Content-Type": "application/pdf"}).get_json()
    assert result["verdict"] == "authentic", result
    assert result["signature_request"]["id"] == created["id"]
    assert result["signature_request"]["signer"]["name"] == "M. Hugo Lefèvre"
    by_field = {s["field_name"]: s for s in result["signatures"]}
    assert by_field["AmiableCertification"]["level"] == "B-LTA"
    assert by_field["SignatureDebiteur"]["timestamp_time"] is not None  # B-T and beyond
    assert by_field["SignatureDebiteur"]["timestamp_trusted"] is True
    assert by_field["SignatureDebiteur"]["level"] == "B-LTA"
    assert by_field["AmiableSeal"]["level"] == "B-LTA"
    assert all(s["intact"] and s["valid"] and s["trusted"] for s in result["signatures"])
    independent_validators_accept(signed, validation_data_after=True)
    assert pdfa_problems(signed) == []

    forged = client.post("/v1/verify", data=tampering.replace_first_page(signed), headers={
        **HEADERS, "Content-Type": "application/pdf"}).get_json()
    assert forged["verdict"] == "modified"

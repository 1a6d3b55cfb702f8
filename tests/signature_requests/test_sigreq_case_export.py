"""A case whose échéancier the debtor signed: the signature joins the case's chain, and the
export carries the signed agreement with its dossier de preuve."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from service.domain.words import amount_in_words
from tests.conftest import load_example
from tests.pdf_checks import pdf_text
from tests.signature_requests.conftest import Mailbox
from tests.signature_requests.test_sigreq_signing_http import EMAIL, Debtor, _code


def test_signed_agreement_is_in_the_case_and_its_export(
        api: Callable[..., Any], sig_client: FlaskClient, mailbox: Mailbox) -> None:
    plan = load_example("echeancier-consumer")
    creditor = api("POST", "/v1/creditors", json={
        **plan["creditor"], "siren": "552100554", "rcs_city": "Paris"})
    assert creditor.status_code == 201, creditor.get_json()
    case = api("POST", "/v1/cases", json={"creditor_id": creditor.get_json()["id"],
                                          "debtor": plan["debtor"],
                                          "invoices": plan["invoices"]}).get_json()
    # The fixture no longer carries as_of: the figures are worked on the app's (frozen) day.
    body = {key: plan[key] for key in ("kind", "plan")}
    document = api("POST", "/v1/documents", json={**body, "case_id": case["id"]}).get_json()
    request = api("POST", "/v1/signature-requests", json={
        "document_id": document["id"], "signer": {"name": "M. Hugo Lefèvre", "email": EMAIL},
        "send_email": False}).get_json()
    debtor = Debtor(sig_client, request["url"], request_id=request["id"])
    assert debtor.open().status_code == 200
    total = Decimal(document["figures"]["total"])
    signed = debtor.sign(amount_in_words(total), f"{total}".replace(".", ","),
                         _code(mailbox, debtor))
    assert signed.status_code == 303, signed.get_data(as_text=True)

    detail = api("GET", case["links"]["self"]).get_json()
    types = [e["type"] for e in detail["timeline"]]
    assert types == ["case.opened", "document.issued", "signature_request.created",
                     "signature_request.signed", "case.status_changed"]
    assert detail["status"] == "agreement"
    assert detail["chain_valid"]
    signed_pdf = api("GET", f"/v1/signature-requests/{request['id']}/pdf").data
    history_pdf = api("GET", case["links"]["history"]).data
    if os.environ.get("AMIABLE_SCREENSHOTS"):  # to look at the page
        (Path(os.environ["AMIABLE_SCREENSHOTS"]) / "history-signed.pdf").write_bytes(history_pdf)
    history = pdf_text(history_pdf)
    assert "Document signé et scellé" in history
    assert hashlib.sha256(signed_pdf).hexdigest() in " ".join(history.split()).replace(" ", "")

    export = api("GET", case["links"]["export"])
    assert export.status_code == 200, export.get_json()
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    assert archive.read(f"signatures/{request['id']}/echeancier-signe.pdf") == signed_pdf
    evidence = json.loads(archive.read(f"signatures/{request['id']}/dossier-de-preuve.json"))
    assert evidence["chain_valid"] is True
    assert "document.signed" in [e["type"] for e in evidence["events"]]
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]

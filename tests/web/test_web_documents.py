"""POST /v1/documents end to end: real figures, WeasyPrint, pyHanko seal, SQLite, blob store."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.conftest import load_example
from tests.pdf_checks import pdf_text, pdfsig, qpdf_check, tamper

EXAMPLES = ["relance-level1", "mise-en-demeure-company", "mise-en-demeure-consumer",
            "echeancier-consumer"]


@pytest.fixture(scope="module")
def issued(app: Any) -> dict[str, tuple[dict[str, Any], bytes]]:
    """Each example issued once through the API: (response body, PDF bytes)."""
    client = app.test_client()
    headers = {"Authorization": "Bearer amk_test_master_key_0123456789"}
    out = {}
    for name in EXAMPLES:
        response = client.post("/v1/documents", json=load_example(name), headers=headers)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        pdf = client.get(body["links"]["pdf"], headers=headers)
        assert pdf.status_code == 200
        assert pdf.mimetype == "application/pdf"
        out[name] = (body, pdf.data)
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_contract_shape(issued: dict[str, Any], name: str) -> None:
    body, pdf = issued[name]
    assert body["id"].startswith("doc_")
    assert body["status"] == "sealed"
    assert body["kind"] == load_example(name)["kind"]
    assert body["template"]["name"] == body["kind"]
    assert body["template"]["version"] == 1
    assert len(body["template"]["sha256"]) == 64
    assert body["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert body["links"]["self"] == f"/v1/documents/{body['id']}"
    figures = body["figures"]
    for key in ("as_of", "currency", "principal", "penalties", "indemnities", "total",
                "invoices"):
        assert key in figures
    assert ("deadline" in figures) == (body["kind"] == "mise_en_demeure")
    assert ("schedule" in figures) == (body["kind"] == "echeancier")
    assert body["seal"]["level"] == "B-B"


@pytest.mark.parametrize("name", EXAMPLES)
def test_pdf_is_sealed_and_valid(issued: dict[str, Any], name: str) -> None:
    _, pdf = issued[name]
    qpdf_check(pdf)
    report = pdfsig(pdf)
    assert "Signature is Valid" in report
    assert "ETSI.CAdES.detached" in report
    assert "DEVELOPMENT" in report


def test_tampered_pdf_fails_validation(issued: dict[str, Any]) -> None:
    _, pdf = issued["mise-en-demeure-company"]
    report = pdfsig(tamper(pdf))
    assert "Signature is Valid" not in report


def test_mise_en_demeure_company_prints_its_figures(issued: dict[str, Any]) -> None:
    body, pdf = issued["mise-en-demeure-company"]
    text = pdf_text(pdf)
    assert "Menuiserie Roux et Fils SARL" in text
    assert "mise en demeure" in text.lower()
    assert "L441-10" in text
    assert "D441-5" in text
    assert "AL-2025-0412" in text
    assert body["figures"]["indemnities"] == "80.00"
    total = body["figures"]["total"]
    euros, cents = total.split(".")
    assert f"{int(euros):,}".replace(",", " ") + f",{cents} €" in text


def test_consumer_letter_has_no_b2b_penalties(issued: dict[str, Any]) -> None:
    body, pdf = issued["mise-en-demeure-consumer"]
    assert body["figures"]["indemnities"] == "0.00"
    assert body["figures"]["penalties"] == "0.00"
    text = pdf_text(pdf)
    assert "1231-6" in text
    assert "L441-10" not in text


def test_echeancier_schedule_adds_up(issued: dict[str, Any]) -> None:
    body, _ = issued["echeancier-consumer"]
    schedule = body["figures"]["schedule"]
    from decimal import Decimal

    assert sum(Decimal(line["amount"]) for line in schedule) == Decimal(
        body["figures"]["plan_total"])


def test_get_document_and_events(client: Any, auth: dict[str, str],
                                 issued: dict[str, Any]) -> None:
    body, _ = issued["relance-level1"]
    again = client.get(body["links"]["self"], headers=auth)
    assert again.status_code == 200
    assert again.get_json() == body
    events = client.get(body["links"]["events"], headers=auth).get_json()
    assert events["chain_valid"] is True
    types = [e["type"] for e in events["events"]]
    assert types == ["document.requested", "figures.computed", "pdf.rendered", "pdf.sealed",
                     "document.stored"]


def test_idempotency_key(post_document: Any) -> None:
    body = load_example("relance-level1")
    first = post_document(body, {"Idempotency-Key": "abc-1"})
    second = post_document(body, {"Idempotency-Key": "abc-1"})
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    body["level"] = 2
    third = post_document(body, {"Idempotency-Key": "abc-1"})
    assert third.status_code == 409
    assert third.get_json()["error"]["code"] == "idempotency_conflict"


def test_hostile_strings_are_printed_as_text(post_document: Any, client: Any,
                                             auth: dict[str, str]) -> None:
    body = load_example("relance-level1")
    body["debtor"]["name"] = "<b>Evil</b> {{ 7*7 }} {% raw %}"
    body["debtor"]["address"]["line1"] = '<img src="file:///etc/passwd"> url(http://127.0.0.1:9/x)'
    body["creditor"]["name"] = "ACME <script>alert(1)</script>"
    response = post_document(body)
    assert response.status_code == 201, response.get_json()
    pdf = client.get(response.get_json()["links"]["pdf"], headers=auth).data
    text = pdf_text(pdf)
    assert "<b>Evil</b> {{ 7*7 }} {% raw %}" in text
    assert "<script>alert(1)</script>" in text
    assert "root:x:0" not in text

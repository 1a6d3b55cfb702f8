"""The dossier as documents: historique (sealed PDF/A, French), décompte, quittance, export."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from signing import validate_pdf
from signing.keys import load_certificates
from tests.cases.test_cases_api import letter_for
from tests.pdf_checks import pdf_text, qpdf_check, tamper
from tests.rendering.pdftools import catalog_lang, xmp_metadata

# 2026-S1 has shipped rates: the décompte can be computed on that day.
IN_2026_S1 = datetime(2026, 5, 15, 10, 0, tzinfo=UTC)


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def busy_case(api: Callable[..., Any], new_case: Callable[..., Any]) -> dict[str, Any]:
    """A B2B case with two letters, three exchanges (one a correction) and a payment."""
    case = new_case(external_reference="CRM-HISTORY")
    docs = [api("POST", "/v1/documents", json=letter_for(case, kind)).get_json()
            for kind in ("relance", "mise_en_demeure")]
    url = case["links"]["exchanges"]
    call = api("POST", url, json={
        "type": "call", "direction": "out", "party": "M. Roux", "duration_seconds": 300,
        "occurred_at": "2025-10-01T10:00:00+02:00",
        "summary": "Le gérant reconnaît la dette et promet un virement partiel.",
        "outcome": "promise_to_pay", "promise": {"date": "2025-10-15", "amount": "1000"}})
    mail = api("POST", url, json={
        "type": "email", "direction": "in", "party": "gestion@roux-menuiserie.example",
        "summary": "Demande de duplicata de la facture AL-2025-0533.",
        "attachment": {"filename": "duplicata.eml", "media_type": "message/rfc822",
                       "content_base64": base64.b64encode(b"From: gestion").decode()}})
    fix = api("POST", url, json={
        "type": "note", "occurred_at": "2025-10-01T10:00:00+02:00",
        "summary": "Rectification : la promesse portait sur 1 200 €.",
        "corrects": call.get_json()["hash"], "outcome": "promise_to_pay",
        "promise": {"date": "2025-10-15", "amount": "1200"}})
    paid = api("POST", case["links"]["payments"], json={"date": "2025-10-10",
                                                        "amount": "1200.00"})
    assert all(r.status_code == 201 for r in (call, mail, fix, paid))
    return {**case, "documents": docs, "paid": paid.get_json()}


def roots(app: Any) -> list[Any]:
    return load_certificates(app.extensions["amiable"].settings.keys_dir
                             / "development-root.pem")


def test_history_is_a_sealed_french_pdf_a(api: Callable[..., Any], app: Any,
                                          busy_case: dict[str, Any]) -> None:
    response = api("GET", busy_case["links"]["history"])
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = response.data
    qpdf_check(pdf)
    assert 'pdfaid:part="3"' in xmp_metadata(pdf)
    assert catalog_lang(pdf) == "fr"
    (report,) = validate_pdf(pdf, roots(app))
    assert report.ok
    assert report.intact
    assert report.trusted
    (tampered,) = validate_pdf(tamper(pdf), roots(app))
    assert not tampered.ok
    text = words(pdf_text(pdf))
    assert "Historique du dossier" in text
    for doc in busy_case["documents"]:
        assert doc["id"] in text
        assert doc["sha256"] in text
    assert "Appel émis, avec M. Roux, 5 min" in text
    assert "rectifie l’événement n° 4" in text
    assert "pièce jointe duplicata.eml" in text
    assert "1 200,00 € le 10/10/2025 par virement, imputé sur AL-2025-0412" in text
    detail = api("GET", busy_case["links"]["self"]).get_json()
    head = detail["timeline"][-1]["hash"]
    assert "forment une chaîne d’empreintes SHA-256 intègre" in text
    assert head in text.replace(" ", "")
    # The promise of 1,200 € was kept by the payment of 10/10: no broken promise shown.
    assert "non tenue" not in text
    assert [p["status"] for p in detail["promises"]] == ["withdrawn", "kept"]


def test_statement_and_receipt(api: Callable[..., Any], app: Any,
                               busy_case: dict[str, Any]) -> None:
    case_url = busy_case["links"]["self"]
    with time_machine.travel(IN_2026_S1, tick=False):
        statement = api("GET", f"{case_url}/decompte.pdf")
    assert statement.status_code == 200, statement.get_json()
    text = words(pdf_text(statement.data))
    # AL-2025-0412, 3,120.00 € due 14/05/2025, B2B (ECB + 10): 15/05–30/06/2025 at 13.15 %:
    # 3120 × 13.15 % × 47 / 365 = 52.83; 01/07–10/10/2025 at 12.15 %: 3120 × 12.15 % × 102
    # / 365 = 105.93. The 1,200.00 € of 10/10 pays those 158.76 first (C. civ. 1343-1),
    # then 1,041.24 of principal: 2,078.76 € left.
    assert "AL-2025-0412 3 120,00 € 1 200,00 € 2 078,76 €" in text
    assert "15/05/2025 30/06/2025 47 3 120,00 € 13,15 % 52,83 €" in text
    assert "01/07/2025 10/10/2025 102 3 120,00 € 12,15 % 105,93 €" in text
    assert "Décompte de la créance au 15 mai 2026" in text
    (report,) = validate_pdf(statement.data, roots(app))
    assert report.ok
    seq = busy_case["paid"]["seq"]
    (payment,) = api("GET", case_url).get_json()["payments"]
    receipt = api("GET", payment["links"]["quittance"])
    assert receipt.status_code == 200
    text = words(pdf_text(receipt.data))
    assert (f"Quittance n° {busy_case['id']}-{seq}") in text
    assert ("ACME SAS reconnaît avoir reçu de Menuiserie Roux et Fils SARL la somme de "
            "1 200,00 € le 10/10/2025, par virement") in text
    assert api("GET", f"{case_url}/payments/1/quittance.pdf").status_code == 404


def test_statement_without_rates_is_a_clear_422(api: Callable[..., Any],
                                                busy_case: dict[str, Any]) -> None:
    with time_machine.travel(datetime(2031, 1, 5, 10, tzinfo=UTC), tick=False):
        response = api("GET", f"{busy_case['links']['self']}/decompte.pdf")
    assert response.status_code == 422
    # The shipped rates stop at 2026-S1: the first semester the interest needs is named.
    assert "2026-S2" in response.get_json()["error"]["message"]


def test_export_holds_every_file_with_its_hash(api: Callable[..., Any], app: Any,
                                               busy_case: dict[str, Any]) -> None:
    with time_machine.travel(IN_2026_S1, tick=False):
        response = api("GET", busy_case["links"]["export"])
    assert response.status_code == 200, response.get_json()
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    paths = {f["path"] for f in manifest["files"]}
    assert set(archive.namelist()) == paths | {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    for doc in busy_case["documents"]:
        (path,) = [p for p in paths if doc["id"] in p]
        assert hashlib.sha256(archive.read(path)).hexdigest() == doc["sha256"]
    assert {"historique-du-dossier.pdf", "decompte.pdf"} <= paths
    assert any(p.startswith("echanges/") and p.endswith("duplicata.eml") for p in paths)
    assert manifest["chain"]["valid"] is True
    assert manifest["case"]["payment_reference"] == busy_case["payment_reference"]

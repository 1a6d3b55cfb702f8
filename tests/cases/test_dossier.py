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

# The app lives on the suite's frozen day, Monday 1 September 2025 (tests/frozen.py): the
# case's exchanges and its payment are dated in the summer before it, and the décompte is
# computed on that day (2025-S2 has shipped rates).


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
        "occurred_at": "2025-08-18T10:00:00+02:00",
        "summary": "Le gérant reconnaît la dette et promet un virement partiel.",
        "outcome": "promise_to_pay", "promise": {"date": "2025-09-01", "amount": "1000"}})
    mail = api("POST", url, json={
        "type": "email", "direction": "in", "party": "gestion@roux-menuiserie.example",
        "summary": "Demande de duplicata de la facture AL-2025-0533.",
        "attachment": {"filename": "duplicata.eml", "media_type": "message/rfc822",
                       "content_base64": base64.b64encode(b"From: gestion").decode()}})
    fix = api("POST", url, json={
        "type": "note", "occurred_at": "2025-08-18T10:00:00+02:00",
        "summary": "Rectification : la promesse portait sur 1 200 €.",
        "corrects": call.get_json()["hash"], "outcome": "promise_to_pay",
        "promise": {"date": "2025-09-01", "amount": "1200"}})
    paid = api("POST", case["links"]["payments"], json={"date": "2025-08-27",
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
    assert "1 200,00 € le 27/08/2025 par virement, imputé sur AL-2025-0412" in text
    detail = api("GET", busy_case["links"]["self"]).get_json()
    head = detail["timeline"][-1]["hash"]
    assert "forment une chaîne d’empreintes SHA-256 intègre" in text
    assert head in text.replace(" ", "")
    # The promise of 1,200 € was kept by the payment of 27/08: no broken promise shown.
    assert "non tenue" not in text
    assert [p["status"] for p in detail["promises"]] == ["withdrawn", "kept"]


def test_statement_and_receipt(api: Callable[..., Any], app: Any,
                               busy_case: dict[str, Any]) -> None:
    case_url = busy_case["links"]["self"]
    statement = api("GET", f"{case_url}/decompte.pdf")  # on the frozen day, 01/09/2025
    assert statement.status_code == 200, statement.get_json()
    text = words(pdf_text(statement.data))
    # AL-2025-0412, 3,120.00 € due 14/05/2025, B2B (ECB + 10): 15/05–30/06/2025 at 13.15 %:
    # 3120 × 13.15 % × 47 / 365 = 52.83; 01/07–27/08/2025 (31 + 27 = 58 days) at 12.15 %:
    # 3120 × 12.15 % × 58 / 365 = 21986.64 / 365 = 60.2374 → 60.24. The 1,200.00 € of 27/08
    # pays those 52.83 + 60.24 = 113.07 first (C. civ. 1343-1), then 1200.00 − 113.07 =
    # 1,086.93 of principal: 3120.00 − 1086.93 = 2,033.07 € left.
    assert "AL-2025-0412 3 120,00 € 1 200,00 € 2 033,07 €" in text
    assert "15/05/2025 30/06/2025 47 3 120,00 € 13,15 % 52,83 €" in text
    assert "01/07/2025 27/08/2025 58 3 120,00 € 12,15 % 60,24 €" in text
    assert "Décompte de la créance au 1er septembre 2025" in text
    (report,) = validate_pdf(statement.data, roots(app))
    assert report.ok
    seq = busy_case["paid"]["seq"]
    (payment,) = api("GET", case_url).get_json()["payments"]
    receipt = api("GET", payment["links"]["quittance"])
    assert receipt.status_code == 200
    text = words(pdf_text(receipt.data))
    assert (f"Quittance n° {busy_case['id']}-{seq}") in text
    assert ("ACME SAS reconnaît avoir reçu de Menuiserie Roux et Fils SARL la somme de "
            "1 200,00 € le 27/08/2025, par virement") in text
    assert api("GET", f"{case_url}/payments/1/quittance.pdf").status_code == 404


def test_statement_without_rates_is_a_clear_422(api: Callable[..., Any], app: Any,
                                                busy_case: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The app's clock is frozen on 01/09/2025: the case files' "today" is moved to 2031.
    later = datetime(2031, 1, 5, 10, tzinfo=UTC)
    monkeypatch.setattr(app.extensions["amiable"].cases, "today", lambda: later.date())
    with time_machine.travel(later, tick=False):
        response = api("GET", f"{busy_case['links']['self']}/decompte.pdf")
    assert response.status_code == 422
    # The shipped rates (service/data/rates.csv) stop at 2026-S2: the first semester the
    # interest needs, 2027-S1, is named first.
    assert "semesters 2027-S1, " in response.get_json()["error"]["message"]


def test_export_holds_every_file_with_its_hash(api: Callable[..., Any], app: Any,
                                               busy_case: dict[str, Any]) -> None:
    response = api("GET", busy_case["links"]["export"])  # on the frozen day, 01/09/2025
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

"""Health, API description and rates endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.clock import PARIS
from service.requests import DocumentRequest
from tests.conftest import load_example


def test_healthz(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert set(response.get_json()["rates"]) == {"current", "complete", "next_missing",
                                                 "days_left"}


def test_openapi_is_generated_from_the_request_models(client: Any) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    post = spec["paths"]["/v1/documents"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.split("/")[-1]]
    assert set(schema["properties"]) == set(DocumentRequest.model_fields)
    assert {"201", "401", "422"} <= set(post["responses"])
    assert "/v1/documents/{doc_id}/pdf" in spec["paths"]


def test_docs_page(client: Any) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "/v1/documents" in page
    assert "<script" not in page


def test_operator_adds_a_semester(app_at: Any, auth: dict[str, str]) -> None:
    client = app_at(datetime(2032, 2, 2, 9, tzinfo=PARIS)).test_client()

    def post_document(body: Any) -> Any:
        return client.post("/v1/documents", json=body, headers=auth)

    body = load_example("mise-en-demeure-company")
    body["as_of"] = "2032-02-02"
    assert post_document(body).status_code == 422
    for semester in ("2031-S2", "2032-S1"):
        response = client.put(f"/v1/rates/{semester}", headers=auth, json={
            "ecb_rate": "2.00", "legal_rate_individual": "6.00", "legal_rate_other": "3.00",
            "source": "test arrêté"})
        assert response.status_code == 200, response.get_json()
    # 2025-S2 .. 2031-S1 are not all known either: the invoice runs from 2025.
    body["invoices"] = [{"number": "F-1", "due_date": "2031-12-15", "amount": "1000.00"}]
    created = post_document(body)
    assert created.status_code == 201, created.get_json()
    periods = created.get_json()["figures"]["invoices"][0]["periods"]
    assert [p["rate"] for p in periods] == ["12.00", "12.00"]
    rates = client.get("/v1/rates", headers=auth).get_json()["rates"]
    assert {"semester": "2032-S1", "origin": "operator"}.items() <= next(
        r for r in rates if r["semester"] == "2032-S1").items()


def test_bad_semester_is_422(client: Any, auth: dict[str, str]) -> None:
    response = client.put("/v1/rates/2026-S3", headers=auth, json={
        "ecb_rate": "2.00", "legal_rate_individual": "6.00", "legal_rate_other": "3.00",
        "source": "x" * 5})
    assert response.status_code == 422

"""Bad input gets a clear 4xx with a JSON error, never a 500."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from service.clock import PARIS
from tests.conftest import load_example


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"]
    assert error["message"]
    return error


def test_no_key_is_401(client: Any) -> None:
    _error(client.post("/v1/documents", json=load_example("relance-level1")), 401)


def test_unknown_key_is_401(client: Any) -> None:
    response = client.get("/v1/documents/doc_x", headers={"Authorization": "Bearer nope"})
    _error(response, 401)


def test_role_is_checked(app: Any, client: Any) -> None:
    from service.auth import create_key

    with app.extensions["amiable"].db.session() as session:
        _, legal = create_key(session, "staff", ["legal"])
        _, system = create_key(session, "billing", ["system"])
    response = client.post("/v1/documents", json=load_example("relance-level1"),
                           headers={"Authorization": f"Bearer {legal}"})
    assert "system" in _error(response, 403)["message"]
    response = client.put("/v1/rates/2031-S1", headers={"Authorization": f"Bearer {system}"},
                          json={"ecb_rate": "1", "legal_rate_individual": "1",
                                "legal_rate_other": "1", "source": "test"})
    _error(response, 403)


def test_malformed_json_is_400(client: Any, auth: dict[str, str]) -> None:
    response = client.post("/v1/documents", data="{not json",
                           headers={**auth, "Content-Type": "application/json"})
    assert "JSON" in _error(response, 400)["message"]


def test_non_object_json_is_400(client: Any, auth: dict[str, str]) -> None:
    _error(client.post("/v1/documents", json=[1, 2], headers=auth), 400)


def test_deeply_nested_json_is_400(client: Any, auth: dict[str, str]) -> None:
    response = client.post("/v1/documents", data="[" * 100000 + "]" * 100000,
                           headers={**auth, "Content-Type": "application/json"})
    _error(response, 400)


def test_body_too_large_is_413(client: Any, auth: dict[str, str]) -> None:
    response = client.post("/v1/documents", data="x" * (3 * 1024 * 1024),
                           headers={**auth, "Content-Type": "application/json"})
    _error(response, 413)


def test_unknown_document_is_404(client: Any, auth: dict[str, str]) -> None:
    _error(client.get("/v1/documents/doc_nothing", headers=auth), 404)


def _mutate(path: str, value: Any) -> dict[str, Any]:
    body = load_example("mise-en-demeure-company")
    target: Any = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return body


@pytest.mark.parametrize(("path", "value", "field"), [
    ("kind", "sommation", "kind"),
    ("invoices", [], "invoices"),
    ("invoices.0.amount", "-10.00", "invoices.0.amount"),
    ("invoices.0.amount", "0", "invoices.0"),
    ("invoices.0.amount", "1e12", "invoices.0.amount"),
    ("invoices.0.amount", "12.345", "invoices.0.amount"),
    ("invoices.0.amount", "NaN", "invoices.0.amount"),
    ("invoices.0.amount", True, "invoices.0.amount"),
    ("invoices.0.amount", {"v": 1}, "invoices.0.amount"),
    ("invoices.0.due_date", "2025-02-30", "invoices.0.due_date"),
    ("invoices.0.due_date", "15/05/2025", "invoices.0.due_date"),
    ("invoices.0.due_date", 20250515, "invoices.0.due_date"),
    ("as_of", "2025-13-01", "as_of"),
    ("debtor.type", "alien", "debtor.type"),
    ("debtor.name", "", "debtor.name"),
    ("debtor.name", "x" * 1000, "debtor.name"),
    ("debtor.name", "a\x00b", "debtor.name"),
    ("debtor", KeyError, "debtor"),
    ("creditor.iban", "FR7630006000011234567890180", "creditor.iban"),
    ("creditor.siren", "12345", "creditor.siren"),
    ("deadline_days", -3, "deadline_days"),
    ("deadline_days", "eight", "deadline_days"),
    ("unexpected", 1, "unexpected"),
])
def test_invalid_fields_are_422(post_document: Any, path: str, value: Any, field: str) -> None:
    error = _error(post_document(_mutate(path, value)), 422)
    fields = [d["field"] for d in error["details"]]
    assert any(f and f.startswith(field) for f in fields), error


def test_echeancier_needs_a_plan(post_document: Any) -> None:
    body = load_example("echeancier-consumer")
    del body["plan"]
    assert "plan" in _error(post_document(body), 422)["message"]


def test_overpayment_is_422(post_document: Any) -> None:
    body = load_example("mise-en-demeure-company")
    body["invoices"][1]["payments"].append({"date": "2025-07-10", "amount": "5000.00"})
    error = _error(post_document(body), 422)
    assert "AL-2025-0533" in error["message"]


def test_unknown_semester_is_422_naming_it(app_at: Any, auth: dict[str, str]) -> None:
    # A letter issued on 2 March 2031, when the rates stop at 2026-S2.
    client = app_at(datetime(2031, 3, 2, 9, tzinfo=PARIS)).test_client()
    body = load_example("mise-en-demeure-company")
    del body["as_of"]
    error = _error(client.post("/v1/documents", json=body, headers=auth), 422)
    assert error["code"] == "unknown_rate"
    assert "2031-S1" in error["message"]
    assert "contractual_rate" not in error["message"]


def test_unknown_template_version_is_422(post_document: Any) -> None:
    body = load_example("relance-level1")
    body["template_version"] = 99
    _error(post_document(body), 422)


def test_method_not_allowed_is_json(client: Any, auth: dict[str, str]) -> None:
    _error(client.delete("/v1/documents", headers=auth), 405)

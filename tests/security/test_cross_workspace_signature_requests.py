"""Attack: read, cancel or remind another workspace's signature requests, and obtain a live
signing link for a debtor of another workspace.

Proves: with a key of workspace B, A's request answers 404 to status, cancel, remind,
evidence and signed PDF, and stays pending and untouched (its trail gains no event); B
cannot open a request on A's échéancier either, so neither `create` nor `remind` — the only
answers carrying a signing link — ever hands B a link to A's debtor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import load_example
from tests.security.conftest import Tenant

SIGNER = {"name": "M. Hugo Lefèvre", "email": "hugo.lefevre@example.org"}


def test_another_workspace_cannot_touch_a_signature_request(
        tenants: tuple[Tenant, Tenant], as_key: Callable[..., Any],
        auth: dict[str, str]) -> None:
    a, b = tenants
    plan = as_key(a.system, "POST", "/v1/documents", json=load_example("echeancier-consumer"))
    assert plan.status_code == 201, plan.get_json()
    doc_id = plan.get_json()["id"]

    stolen = as_key(b.system, "POST", "/v1/signature-requests",
                    json={"document_id": doc_id, "signer": SIGNER, "send_email": False})
    assert stolen.status_code == 404
    assert "url" not in stolen.get_json()

    made = as_key(a.system, "POST", "/v1/signature-requests",
                  json={"document_id": doc_id, "signer": SIGNER, "send_email": False})
    assert made.status_code == 201, made.get_json()
    request_id = made.get_json()["id"]
    assert "/sign/" in made.get_json()["url"]
    trail_before = as_key(a.system, "GET", f"/v1/signature-requests/{request_id}/evidence"
                          ).get_json()["events"]

    base = f"/v1/signature-requests/{request_id}"
    for method, path in (("GET", ""), ("POST", "/cancel"), ("POST", "/remind"),
                         ("GET", "/evidence"), ("GET", "/pdf")):
        for intruder in (b.system, b.admin):
            response = as_key(intruder, method, base + path)
            assert response.status_code == 404, (method, path, response.get_json())
            assert b"/sign/" not in response.data

    after = as_key(a.system, "GET", base).get_json()
    assert after["status"] == "pending"
    assert as_key(a.system, "GET", f"{base}/evidence").get_json()["events"] == trail_before
    # The operator's admin sees it; A itself can still cancel it.
    assert as_key(auth, "GET", base).status_code == 200
    assert as_key(a.system, "POST", f"{base}/cancel").get_json()["status"] == "cancelled"

"""Attack: read another workspace's documents by id (ids are printed in QR codes).

Proves: a key of workspace B gets 404 — the same answer as for an id that does not exist —
for A's document, its PDF, its DOCX and its audit trail; a workspace's own admin is held to
its workspace too, while the operator's admin sees every workspace. And the Idempotency-Key
namespace is the workspace: B replaying A's key makes B's own document, never hands back A's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import load_example
from tests.security.conftest import Tenant

PATHS = ("", "/pdf", "/events", "/docx")


def test_another_workspace_reads_nothing_of_a_document(
        tenants: tuple[Tenant, Tenant], as_key: Callable[..., Any],
        auth: dict[str, str]) -> None:
    a, b = tenants
    made = as_key(a.system, "POST", "/v1/documents", json=load_example("relance-level1"))
    assert made.status_code == 201, made.get_json()
    doc_id = made.get_json()["id"]
    unknown = as_key(b.system, "GET", "/v1/documents/doc_01NOSUCHDOCUMENT000000000")

    for path in PATHS:
        for intruder in (b.system, b.admin):
            response = as_key(intruder, "GET", f"/v1/documents/{doc_id}{path}")
            assert response.status_code == 404, path
            assert doc_id.encode() not in response.data.replace(
                f"no document {doc_id}".encode(), b"")
        assert as_key(b.system, "GET", f"/v1/documents/{doc_id}{path}").get_json()[
            "error"]["code"] == unknown.get_json()["error"]["code"]

    assert as_key(a.system, "GET", f"/v1/documents/{doc_id}/pdf").status_code == 200
    assert as_key(a.admin, "GET", f"/v1/documents/{doc_id}/events").status_code == 200
    # The operator (AMIABLE_API_KEY, admin of the default workspace) sees every workspace.
    assert as_key(auth, "GET", f"/v1/documents/{doc_id}").status_code == 200


def test_idempotency_keys_are_per_workspace(tenants: tuple[Tenant, Tenant],
                                           as_key: Callable[..., Any]) -> None:
    a, b = tenants
    body = load_example("relance-level1")
    retry = {"Idempotency-Key": "month-end-0001"}
    first = as_key(a.system, "POST", "/v1/documents", json=body, headers=retry)
    theirs = as_key(b.system, "POST", "/v1/documents", json=body, headers=retry)
    assert (first.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["id"] != first.get_json()["id"]
    # Within A, the key still makes retries safe, whichever of A's keys retries.
    again = as_key(a.admin, "POST", "/v1/documents", json=body, headers=retry)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    other = {**body, "level": 2}
    assert as_key(b.system, "POST", "/v1/documents", json=other,
                  headers=retry).status_code == 409  # B's own key, another body

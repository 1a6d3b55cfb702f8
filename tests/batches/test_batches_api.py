"""Batches over the API: each valid item becomes one document, a bad item fails alone."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

from tests.conftest import load_example, relance_batch


def test_batch_makes_each_document_once(client: Any, auth: dict[str, str],
                                        work_queue: Callable[[], int]) -> None:
    items = relance_batch(3, "B")
    bad = load_example("relance-level1")
    bad["invoices"] = []
    items.insert(1, bad)
    response = client.post("/v1/batches", json={"documents": items}, headers=auth)
    assert response.status_code == 202, response.get_json()
    batch = response.get_json()
    assert (batch["status"], batch["total"], batch["done"], batch["failed"]) == (
        "queued", 4, 0, 1)

    assert work_queue() == 3
    finished = client.get(batch["links"]["self"], headers=auth).get_json()
    assert (finished["status"], finished["done"], finished["failed"]) == ("done", 3, 1)
    outcomes = finished["documents"]
    assert [o["index"] for o in outcomes] == [0, 1, 2, 3]
    assert outcomes[1]["error"]["code"] == "invalid_request"
    assert any(d["field"] == "invoices" for d in outcomes[1]["error"]["details"])
    ids = [o["id"] for o in outcomes if "id" in o]
    assert len(set(ids)) == 3
    for doc_id in ids:
        assert client.get(f"/v1/documents/{doc_id}", headers=auth).status_code == 200

    archive = client.get(finished["links"]["zip"], headers=auth)
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        names = zipped.namelist()
        assert len(names) == 3
        assert all(zipped.read(n).startswith(b"%PDF") for n in names)
    assert work_queue() == 0


def test_a_domain_refusal_fails_the_item_only(client: Any, auth: dict[str, str],
                                              work_queue: Callable[[], int]) -> None:
    items = relance_batch(2, "B")
    items[0]["invoices"][0]["payments"] = [{"date": "2025-06-01", "amount": "99999.00"}]
    batch = client.post("/v1/batches", json={"documents": items}, headers=auth).get_json()
    work_queue()
    finished = client.get(batch["links"]["self"], headers=auth).get_json()
    assert finished["failed"] == 1
    assert finished["done"] == 1
    assert "B-0000" in finished["documents"][0]["error"]["message"]


def test_zip_waits_for_the_end(client: Any, auth: dict[str, str],
                               work_queue: Callable[[], int]) -> None:
    batch = client.post("/v1/batches", json={"documents": relance_batch(1, "B")},
                        headers=auth).get_json()
    assert client.get(batch["links"]["zip"], headers=auth).status_code == 409
    work_queue()


def test_idempotent_submission(client: Any, auth: dict[str, str],
                               work_queue: Callable[[], int]) -> None:
    body = {"documents": relance_batch(2, "B")}
    headers = {**auth, "Idempotency-Key": "month-end-2025-07"}
    first = client.post("/v1/batches", json=body, headers=headers).get_json()
    again = client.post("/v1/batches", json=body, headers=headers)
    assert again.status_code == 202
    assert again.get_json()["id"] == first["id"]
    body["documents"].pop()
    assert client.post("/v1/batches", json=body, headers=headers).status_code == 409
    work_queue()


def test_invalid_envelopes(client: Any, auth: dict[str, str]) -> None:
    assert client.post("/v1/batches", json={"documents": []}, headers=auth).status_code == 422
    assert client.post("/v1/batches", json={"documents": "x"}, headers=auth).status_code == 422
    assert client.post("/v1/batches", json={"documents": [1]}, headers=auth).status_code == 422
    one = relance_batch(1, "B")
    assert client.post("/v1/batches", json={"documents": one, "webhook_url": "nope"},
                       headers=auth).status_code == 422
    assert client.get("/v1/batches/bat_nothing", headers=auth).status_code == 404
    assert client.post("/v1/batches", json={"documents": one}).status_code == 401

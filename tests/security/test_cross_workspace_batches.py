"""Attack: follow or download another workspace's batch, and get its documents made in the
wrong workspace.

Proves: B's keys get 404 for A's batch and its ZIP; the batch worker builds its caller from
the batch's workspace, so every document the batch makes belongs to A (A reads it, B gets
404); a batch Idempotency-Key is per workspace (B reusing A's key makes its own batch).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask

from service.batches import worker
from tests.conftest import relance_batch
from tests.security.conftest import Tenant


def run_batches(app: Flask) -> None:
    worker.run(app.extensions["amiable"], threading.Event(), lease=timedelta(seconds=60),
               until_idle=True)


def test_another_workspace_cannot_follow_a_batch(
        app: Flask, tenants: tuple[Tenant, Tenant], as_key: Callable[..., Any]) -> None:
    a, b = tenants
    retry = {"Idempotency-Key": "month-end"}
    submitted = as_key(a.system, "POST", "/v1/batches", headers=retry,
                       json={"documents": relance_batch(2, "TEN")})
    assert submitted.status_code == 202, submitted.get_json()
    batch_id = submitted.get_json()["id"]
    run_batches(app)

    for path in ("", "/zip"):
        for intruder in (b.system, b.admin):
            assert as_key(intruder, "GET", f"/v1/batches/{batch_id}{path}").status_code == 404
    done = as_key(a.system, "GET", f"/v1/batches/{batch_id}").get_json()
    assert done["status"] == "done"
    assert done["done"] == 2
    for item in done["documents"]:
        assert as_key(a.system, "GET", f"/v1/documents/{item['id']}").status_code == 200
        assert as_key(b.system, "GET", f"/v1/documents/{item['id']}").status_code == 404
    assert as_key(a.system, "GET", f"/v1/batches/{batch_id}/zip").status_code == 200

    theirs = as_key(b.system, "POST", "/v1/batches", headers=retry,
                    json={"documents": relance_batch(2, "TEN")})
    assert theirs.status_code == 202
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["id"] != batch_id
    run_batches(app)

"""Runaway work: a batch submitted by mistake (or by an attacker with a key) can be stopped.

Proves: `POST /v1/batches/{id}/cancel` cancels the items no worker has taken (they are never
made, whatever the workers do next), lets the running one finish, says `cancelled` at once
and `finished_at` once the last running item is over; the ZIP then holds what was made;
cancelling again changes nothing, a done batch is a 409, and the operation is in the
OpenAPI description; the batch's webhook hears `batch.cancelled`.
"""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Callable
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.batches import queue, worker
from service.config import Settings
from service.signature_requests import signatures
from service.web.ops_models import BatchCancelledEvent
from tests.batches.conftest import work_queue  # noqa: F401
from tests.conftest import MASTER_KEY, relance_batch
from tests.webhook_receiver import LOOPBACK_WEBHOOKS, Hooks


def test_cancel_stops_pending_items_and_lets_running_ones_finish(
        app: Flask, client: FlaskClient, auth: dict[str, str],
        work_queue: Callable[[], int]) -> None:  # noqa: F811
    work_queue()  # nothing left over from other tests
    services = app.extensions["amiable"]
    batch = client.post("/v1/batches", headers=auth,
                        json={"documents": relance_batch(5, "CX")}).get_json()
    [running] = queue.claim(services.db, 1, timedelta(seconds=60))
    assert running.batch_id == batch["id"]

    cancelled = client.post(f"/v1/batches/{batch['id']}/cancel", headers=auth)
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert (body["status"], body["cancelled"], body["finished_at"]) == ("cancelled", 4, None)
    assert client.get(f"/v1/batches/{batch['id']}/zip", headers=auth).status_code == 409

    assert worker.run(services, threading.Event(), lease=timedelta(seconds=60),
                      until_idle=True) == 0  # nothing of this batch is taken any more
    assert worker.process(services, running) is True  # the running one finishes the batch

    final = client.get(f"/v1/batches/{batch['id']}", headers=auth).get_json()
    assert (final["status"], final["done"], final["cancelled"]) == ("cancelled", 1, 4)
    assert final["finished_at"] is not None
    outcomes: dict[int, Any] = {d["index"]: d for d in final["documents"]}
    assert outcomes[running.index]["id"]
    assert {outcomes[i]["error"]["code"] for i in outcomes if i != running.index} == \
        {"cancelled"}
    archive = zipfile.ZipFile(BytesIO(client.get(f"/v1/batches/{batch['id']}/zip",
                                                 headers=auth).data))
    assert len(archive.namelist()) == 1

    again = client.post(f"/v1/batches/{batch['id']}/cancel", headers=auth).get_json()
    assert (again["status"], again["finished_at"]) == ("cancelled", final["finished_at"])


def test_an_item_given_back_after_the_cancel_is_not_pending_again(
        app: Flask, client: FlaskClient, auth: dict[str, str],
        work_queue: Callable[[], int]) -> None:  # noqa: F811
    work_queue()
    services = app.extensions["amiable"]
    batch = client.post("/v1/batches", headers=auth,
                        json={"documents": relance_batch(2, "CY")}).get_json()
    taken = queue.claim(services.db, 2, timedelta(seconds=60))
    assert client.post(f"/v1/batches/{batch['id']}/cancel", headers=auth).status_code == 200
    assert queue.release(services.db, taken[0], timedelta(0)) is False  # the other runs
    assert queue.release(services.db, taken[1], timedelta(0)) is True  # last one: finished
    final = client.get(f"/v1/batches/{batch['id']}", headers=auth).get_json()
    assert (final["cancelled"], final["done"]) == (2, 0)
    assert final["finished_at"] is not None


def test_a_done_batch_cannot_be_cancelled_and_unknown_is_404(
        client: FlaskClient, auth: dict[str, str], work_queue: Callable[[], int]) -> None:  # noqa: F811
    batch = client.post("/v1/batches", headers=auth,
                        json={"documents": relance_batch(1, "CZ")}).get_json()
    work_queue()
    response = client.post(f"/v1/batches/{batch['id']}/cancel", headers=auth)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "batch_finished"
    assert client.post("/v1/batches/bat_nope/cancel", headers=auth).status_code == 404
    assert client.post(f"/v1/batches/{batch['id']}/cancel").status_code == 401


def test_cancel_is_in_the_openapi_description(client: FlaskClient) -> None:
    operation = client.get("/openapi.json").get_json()["paths"][
        "/v1/batches/{batch_id}/cancel"]["post"]
    assert "pending items" in operation["summary"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] \
        .endswith("/BatchOut")


def test_a_cancelled_batch_tells_its_webhook(tmp_path: Path, hooks: Hooks) -> None:
    app = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY, webhook_secret="whsec_c",
                              batch_workers=0, **LOOPBACK_WEBHOOKS))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    batch = client.post("/v1/batches", headers=headers, json={
        "documents": relance_batch(2, "CW"), "webhook_url": hooks.url}).get_json()
    assert client.post(f"/v1/batches/{batch['id']}/cancel", headers=headers).status_code == 200
    signatures(app).outbox.deliver_due()
    [event] = [h["json"] for h in hooks.received if h["json"]["data"].get("id") == batch["id"]]
    assert event["type"] == "batch.cancelled"
    BatchCancelledEvent.model_validate(event)  # as /openapi.json's `webhooks` describes
    assert (event["data"]["cancelled"], event["data"]["done"]) == (2, 0)
    app.extensions["amiable"].db.engine.dispose()

"""A finished batch posts a signed `batch.done` event to the batch's own webhook URL."""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import timedelta
from pathlib import Path

from service import create_app
from service.batches import worker
from service.clock import fixed_clock
from service.config import Settings
from service.db import Workspace
from service.signature_requests import signatures
from service.web.ops_models import BatchDoneEvent
from tests.conftest import FROZEN_NOW, MASTER_KEY, relance_batch
from tests.webhook_receiver import LOOPBACK_WEBHOOKS, Hooks

SECRET = "whsec_batch_test"


def test_batch_done_webhook_is_signed(tmp_path: Path, hooks: Hooks) -> None:
    app = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY, webhook_secret=SECRET,
                              **LOOPBACK_WEBHOOKS, clock=fixed_clock(FROZEN_NOW)))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    batch = client.post("/v1/batches", headers=headers, json={
        "documents": relance_batch(2, "W"), "webhook_url": hooks.url}).get_json()
    worker.run(app.extensions["amiable"], threading.Event(), lease=timedelta(seconds=60),
               until_idle=True)
    signatures(app).outbox.deliver_due()

    [event] = [h for h in hooks.received if h["json"]["type"] == "batch.done"
               and h["json"]["data"].get("id") == batch["id"]]
    assert event["json"]["data"]["done"] == 2
    BatchDoneEvent.model_validate(event["json"])  # as /openapi.json's `webhooks` describes
    timestamp, signature = (part.split("=", 1)[1] for part in
                            event["headers"]["Amiable-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + event["body"],
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    app.extensions["amiable"].db.engine.dispose()


def test_without_an_operator_secret_the_default_workspace_signs_with_its_own(
        tmp_path: Path, hooks: Hooks) -> None:
    app = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY, **LOOPBACK_WEBHOOKS,
                              clock=fixed_clock(FROZEN_NOW)))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    batch = client.post("/v1/batches", headers=headers, json={
        "documents": relance_batch(1, "W"), "webhook_url": hooks.url}).get_json()
    worker.run(app.extensions["amiable"], threading.Event(), lease=timedelta(seconds=60),
               until_idle=True)
    signatures(app).outbox.deliver_due()
    [event] = [h for h in hooks.received if h["json"]["data"].get("id") == batch["id"]]
    with app.extensions["amiable"].db.session() as session:
        secret = session.get(Workspace, "default").webhook_secret
    timestamp, signature = (part.split("=", 1)[1] for part in
                            event["headers"]["Amiable-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + event["body"],
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    app.extensions["amiable"].db.engine.dispose()

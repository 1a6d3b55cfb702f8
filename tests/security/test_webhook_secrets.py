"""Attack: forge or replay webhooks, or use one workspace's secret on another's events.

Proves: a batch's `batch.done` and a workspace's `signature_request.*` events are signed
with the secret of their own workspace — the other workspace's secret, and the operator's,
do not verify them — with a timestamp in `Amiable-Signature`. The receiver code printed in
the README (run here as printed) accepts a real delivery once, and refuses it replayed,
replayed late, or with a changed body.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from service import create_app
from service.batches import worker
from service.clock import fixed_clock
from service.config import PROJECT_ROOT, Settings
from service.db import utcnow
from service.signature_requests import signatures
from service.signature_requests.models import SignatureRequest
from tests.conftest import FROZEN_NOW, MASTER_KEY, load_example, relance_batch
from tests.security.conftest import Tenant, make_tenant
from tests.signature_requests.conftest import wait_for
from tests.webhook_receiver import LOOPBACK_WEBHOOKS, Hooks, receiving_hooks

OPERATOR_SECRET = "whsec_operator_0123456789"


def readme_verifier() -> Any:
    """The `verify_webhook` function exactly as the README prints it."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- webhook-verify -->\n```python\n(.*?)```", readme, re.S)
    assert match, "the README lost its webhook verification snippet"
    namespace: dict[str, Any] = {}
    exec(compile(match.group(1), "README.md", "exec"), namespace)
    return namespace["verify_webhook"]


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[tuple[Flask, Hooks, Tenant, Tenant]]:
    app = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY,
                              webhook_secret=OPERATOR_SECRET, **LOOPBACK_WEBHOOKS,
                              clock=fixed_clock(FROZEN_NOW)))
    with receiving_hooks() as hooks:
        yield app, hooks, make_tenant(app, "a"), make_tenant(app, "b")
    app.extensions["amiable"].db.engine.dispose()


def test_a_batch_webhook_is_signed_with_its_workspace_secret(
        hooked: tuple[Flask, Hooks, Tenant, Tenant]) -> None:
    app, hooks, a, b = hooked
    client = app.test_client()
    batch = client.post("/v1/batches", headers=a.system, json={
        "documents": relance_batch(1, "HOOK"), "webhook_url": hooks.url}).get_json()
    worker.run(app.extensions["amiable"], threading.Event(), lease=timedelta(seconds=60),
               until_idle=True)
    signatures(app).outbox.deliver_due()
    [event] = [h for h in hooks.received if h["json"]["data"].get("id") == batch["id"]]
    assert event["headers"]["Amiable-Workspace"] == a.workspace
    assert event["json"]["workspace"] == a.workspace
    header, body = event["headers"]["Amiable-Signature"], event["body"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    event_id = event["headers"]["Amiable-Event-Id"]

    verify = readme_verifier()
    for wrong in (b.webhook_secret, OPERATOR_SECRET):
        assert not verify(wrong, header, body, set(), event_id)
    assert not verify(a.webhook_secret, header, body.replace(b'"done":1', b'"done":9'),
                      set(), event_id)
    late = int(header.split(",")[0][2:]) + 301
    assert not verify(a.webhook_secret, header, body, set(), event_id, now=late)
    seen: set[str] = set()
    assert verify(a.webhook_secret, header, body, seen, event_id)
    assert not verify(a.webhook_secret, header, body, seen, event_id)  # replayed


def test_signature_request_events_go_to_their_workspace_only(
        hooked: tuple[Flask, Hooks, Tenant, Tenant]) -> None:
    app, hooks, a, b = hooked
    client = app.test_client()
    assert client.patch(f"/v1/workspaces/{a.workspace}", headers=a.admin,
                        json={"webhook_url": hooks.url}).status_code == 200
    ids = {}
    for tenant in (a, b):
        plan = client.post("/v1/documents", headers=tenant.system,
                           json=load_example("echeancier-consumer")).get_json()
        made = client.post("/v1/signature-requests", headers=tenant.system, json={
            "document_id": plan["id"], "send_email": False,
            "signer": {"name": "Mme Durand", "email": "durand@example.org"}})
        assert made.status_code == 201, made.get_json()
        ids[tenant.workspace] = made.get_json()["id"]
    service = signatures(app)
    with service.db.session() as session:  # both links ran out
        session.execute(update(SignatureRequest).values(
            expires_at=utcnow() - timedelta(seconds=1)))
    service.sweep_expired()
    service.outbox.deliver_due()  # the app's outbox thread may be the one delivering it

    def expired() -> dict[str, Any]:
        return {h["json"]["data"].get("id"): h for h in list(hooks.received)
                if h["json"]["type"] == "signature_request.expired"}

    event = wait_for(lambda: expired().get(ids[a.workspace]), "A's expiry webhook")
    assert ids[b.workspace] not in expired()  # B has no webhook URL: nothing to A's
    verify = readme_verifier()
    header, body = event["headers"]["Amiable-Signature"], event["body"]
    event_id = event["headers"]["Amiable-Event-Id"]
    assert verify(a.webhook_secret, header, body, set(), event_id, now=time.time())
    assert not verify(OPERATOR_SECRET, header, body, set(), event_id)

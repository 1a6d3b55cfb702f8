"""Request ids, /metrics and /readyz, in process (the gunicorn side is in test_web_server)."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from service import create_app
from service.auth import create_key
from service.config import Settings
from service.logs import JsonFormatter
from tests.conftest import load_example


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition `text` (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def scrape(client: FlaskClient, auth: dict[str, str]) -> str:
    response = client.get("/metrics", headers=auth)
    assert response.status_code == 200, response.data
    return response.get_data(as_text=True)


def closed_port() -> int:
    """A port nothing listens on (until a test starts a server there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def test_every_response_carries_a_request_id(client: FlaskClient, auth: dict[str, str]) -> None:
    given = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.42"})
    assert given.headers["X-Request-Id"] == "lb-7f3a.42"
    made = client.get("/v1/documents/doc_nope", headers=auth)
    assert made.status_code == 404
    assert made.headers["X-Request-Id"].startswith("req_")
    other = client.get("/v1/documents/doc_nope", headers=auth)
    assert other.headers["X-Request-Id"] != made.headers["X-Request-Id"]
    # A value that could forge a log line or flood it is replaced, not echoed.
    for insane in ['x" level="error', "a" * 200, "two words", ""]:
        answer = client.get("/healthz", headers={"X-Request-Id": insane})
        assert answer.headers["X-Request-Id"].startswith("req_"), insane


def test_log_lines_are_json_with_the_request_id(client: FlaskClient, auth: dict[str, str],
                                                post_document: Any, app: Flask,
                                                captured_logs: io.StringIO) -> None:
    body = post_document(load_example("relance-level1")).get_json()
    store = app.extensions["amiable"].store
    store.path(body["sha256"]).write_bytes(b"%PDF-1.7 not the sealed file")
    damaged = client.get(body["links"]["pdf"], headers={**auth, "X-Request-Id": "trace-991"})
    assert damaged.status_code == 500
    assert damaged.get_json()["error"]["code"] == "blob_corrupted"
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    [line] = [entry for entry in lines if entry.get("request_id") == "trace-991"]
    assert line["level"] == "error"
    assert line["logger"] == "amiable.web"
    assert body["sha256"] in line["message"]
    assert line["ts"].endswith("Z")


def test_log_lines_mask_signing_tokens() -> None:
    record = logging.LogRecord("amiable.x", logging.INFO, __file__, 1,
                               "opened /sign/%s", ("AbCdEfGhIjKlMnOp",), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "opened /sign/AbCd…"


def test_metrics_need_an_admin_key(client: FlaskClient, app: Flask) -> None:
    assert client.get("/metrics").status_code == 401
    with app.extensions["amiable"].db.session() as session:
        _, secret = create_key(session, "billing", ["system"])
    refused = client.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 403


def test_metrics_count_documents_and_time_each_stage(client: FlaskClient,
                                                     auth: dict[str, str],
                                                     post_document: Any) -> None:
    before = scrape(client, auth)
    assert post_document(load_example("mise-en-demeure-company")).status_code == 201
    assert post_document(load_example("relance-level1")).status_code == 201
    response = client.get("/metrics", headers=auth)
    assert response.headers["Content-Type"] == "text/plain; version=1.0.0; charset=utf-8"
    after = response.get_data(as_text=True)

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("amiable_documents_issued_total", kind="mise_en_demeure") == 1
    assert grew("amiable_documents_issued_total", kind="relance") == 1
    for stage in ("render", "seal"):
        assert grew("amiable_document_stage_duration_seconds_count", stage=stage) == 2
        assert grew("amiable_document_stage_duration_seconds_sum", stage=stage) > 0
    assert grew("amiable_document_stage_duration_seconds_count", stage="store") >= 4
    assert grew("amiable_http_request_duration_seconds_count", method="POST",
                route="/v1/documents", status="201") == 2
    # The route's pattern, not the URL: one series per operation, whatever the ids.
    routes = {s.labels.get("route", "") for f in text_string_to_metric_families(after)
              for s in f.samples}
    assert "/v1/documents/<doc_id>/pdf" in routes or "/v1/documents" in routes
    assert not any(re.search(r"doc_[0-9A-Z]{26}", route) for route in routes)


def test_metrics_report_the_state(client: FlaskClient, auth: dict[str, str], app: Flask) -> None:
    text = scrape(client, auth)
    services = app.extensions["amiable"]
    from service.db import utcnow

    cert_days = (services.sealer.identity.info.not_after - utcnow()).days
    assert sample(text, "amiable_seal_certificate_expiry_days") == cert_days
    assert sample(text, "amiable_batch_queue_items", status="pending") >= 0
    assert "amiable_signature_requests" in text
    assert "amiable_rate_table_expiry_days" in text
    assert "amiable_libreoffice_workers" in text


def test_readyz_checks_each_dependency(client: FlaskClient, app: Flask) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    states = {name: check["state"] for name, check in body["checks"].items()}
    assert states == {"database": "ok", "seal": "ok", "blob_store": "ok",
                      "broker": "not_configured", "smtp": "not_configured"}
    assert str(app.extensions["amiable"].settings.blobs_dir) in body["checks"]["blob_store"][
        "detail"]


def _app(tmp_path: Path, **settings: Any) -> Flask:
    return create_app(Settings(data_dir=tmp_path / "var", api_key="k", **settings))


def test_readyz_is_503_naming_what_failed(tmp_path: Path) -> None:
    app = _app(tmp_path, smtp_host="127.0.0.1", smtp_port=closed_port(),
               broker_url=f"redis://:secret-pw@127.0.0.1:{closed_port()}/0")
    try:
        response = app.test_client().get("/readyz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "not_ready"
        assert body["checks"]["smtp"]["state"] == "failed"
        assert body["checks"]["broker"]["state"] == "failed"
        assert body["checks"]["database"]["state"] == "ok"
        assert "secret-pw" not in response.get_data(as_text=True)
        # The blob store gone (a mount lost): failed too.
        (tmp_path / "var" / "blobs").rename(tmp_path / "gone")
        blobs = app.test_client().get("/readyz").get_json()["checks"]["blob_store"]
        assert blobs["state"] == "failed"
        assert "does not exist" in blobs["detail"]
    finally:
        app.extensions["amiable"].db.engine.dispose()


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def test_readyz_with_a_live_smtp_server_and_broker(tmp_path: Path) -> None:
    if not _redis_reachable():
        pytest.skip("no Redis on 127.0.0.1:6379")

    class Sink:
        async def handle_DATA(self, *_: Any) -> str:  # noqa: N802 (aiosmtpd's name)
            return "250 OK"

    port = closed_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    app = _app(tmp_path, smtp_host="127.0.0.1", smtp_port=port,
               broker_url="redis://127.0.0.1:6379/15")
    try:
        body = app.test_client().get("/readyz").get_json()
        assert body["status"] == "ready", body
        assert body["checks"]["smtp"]["state"] == "ok"
        assert body["checks"]["broker"]["state"] == "ok"
    finally:
        smtp.stop()
        app.extensions["amiable"].db.engine.dispose()


def test_metrics_description_is_truthful(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    metrics = spec["paths"]["/metrics"]["get"]
    assert metrics["security"] == [{"bearer": []}]
    assert list(metrics["responses"]["200"]["content"]) == [
        "text/plain; version=1.0.0; charset=utf-8"]
    ready = spec["paths"]["/readyz"]["get"]["responses"]
    assert set(ready) == {"200", "503"}

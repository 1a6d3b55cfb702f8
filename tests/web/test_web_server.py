"""The real server (gunicorn): what it writes to its logs."""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import load_example, relance_batch
from tests.service_process import ServiceProcess, free_port
from tests.web.test_web_observability import sample


def test_access_log_masks_signing_tokens(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(32)
    service = ServiceProcess(tmp_path / "data", "amk_log_test_key_0123456789",
                             AMIABLE_WORKERS="1", AMIABLE_BATCH_WORKERS="0")
    try:
        # An unknown token is refused (an HTTPError); only the log line matters here.
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{service.base}/sign/{token}", timeout=30)
        service.call("GET", "/healthz")
    finally:
        service.stop()
    log = Path(service.log.name).read_text()
    assert "GET /healthz" in log
    assert "/sign/" + token[:4] + "…" in log
    assert token not in log


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def test_metrics_sum_every_process_and_logs_are_json(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    stale = data_dir / "metrics" / f"{socket.gethostname()}-serve" / "counter_999999.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left by an earlier run")
    data_dir.chmod(0o700)  # made by hand here: the service refuses a data dir others can read
    metrics_port = free_port()
    key = "amk_metrics_test_key_0123456789"
    service = ServiceProcess(data_dir, key, AMIABLE_WORKERS="2", AMIABLE_BATCH_WORKERS="1",
                             AMIABLE_METRICS_PORT=str(metrics_port))
    try:
        assert not stale.exists()  # the multiprocess folder starts empty
        status, batch = service.call("POST", "/v1/batches",
                                     {"documents": relance_batch(2, "M")})
        assert status == 202, batch
        assert service.call("POST", "/v1/documents", load_example("relance-level1"))[0] == 201
        deadline = time.monotonic() + 120
        while service.call("GET", f"/v1/batches/{batch['id']}")[1]["status"] != "done":
            assert time.monotonic() < deadline, "the batch did not finish"
            time.sleep(0.5)
        traced = _get(f"{service.base}/healthz", {"X-Request-Id": "e2e-trace-1"})
        assert traced[2]["X-Request-Id"] == "e2e-trace-1"

        assert _get(f"{service.base}/metrics")[0] == 401  # the public port wants a key
        status, body, headers = _get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200
        assert headers["Content-Type"].startswith("text/plain; version=")
        assert _get(f"http://127.0.0.1:{metrics_port}/v1/rates",
                    {"Authorization": f"Bearer {key}"})[0] == 404
        text = body.decode()
        # Two made by the batch worker process, one by an HTTP worker: all counted.
        assert sample(text, "amiable_documents_issued_total", kind="relance") == 3
        assert sample(text, "amiable_document_stage_duration_seconds_count", stage="seal") == 3
        assert sample(text, "amiable_batch_queue_items", status="pending") == 0
        assert sample(text, "amiable_http_request_duration_seconds_count", method="POST",
                      route="/v1/batches", status="202") == 1
    finally:
        service.stop()
    # Every line the server wrote is a JSON object, from the first one.
    lines = [json.loads(line) for line in Path(service.log.name).read_text().splitlines()
             if line.strip()]
    assert any("DEVELOPMENT certificate" in line["message"] for line in lines)
    assert key not in Path(service.log.name).read_text()
    access = [line for line in lines if line["logger"] == "gunicorn.access"]
    [traced_line] = [line for line in access if line.get("request_id") == "e2e-trace-1"]
    assert traced_line["path"] == "/healthz"
    assert traced_line["status"] == 200
    assert all(line.get("request_id", "").startswith(("req_", "e2e-")) for line in access)
    assert any(line["logger"] == "amiable.batches" for line in lines)  # the pool logs JSON too

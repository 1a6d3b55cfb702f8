"""The real server (gunicorn): what it writes to its logs."""

from __future__ import annotations

import contextlib
import secrets
import urllib.request
from pathlib import Path

from tests.service_process import ServiceProcess


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

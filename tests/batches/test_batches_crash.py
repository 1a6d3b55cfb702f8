"""Exactly once across a crash: SIGKILL the whole service mid-batch, start it again on the
same data, and the batch finishes with one document per item, none lost, none doubled."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tests.conftest import relance_batch
from tests.service_process import ServiceProcess

ITEMS = 24
KEY = "amk_crash_test_key_0123456789"


def _wait(service: ServiceProcess, batch_id: str, done_at_least: int, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = service.call("GET", f"/v1/batches/{batch_id}")
        assert status == 200, body
        if body["done"] + body["failed"] >= done_at_least:
            return body
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} stuck at {body}")


def test_sigkill_mid_batch_loses_and_doubles_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"AMIABLE_WORKERS": "1", "AMIABLE_BATCH_WORKERS": "2",
           "AMIABLE_BATCH_LEASE_SECONDS": "3"}
    items = relance_batch(ITEMS, "K")

    first = ServiceProcess(data, KEY, **env)
    try:
        status, batch = first.call("POST", "/v1/batches", {"documents": items})
        assert status == 202, batch
        progress = _wait(first, batch["id"], 3, timeout=120)
    finally:
        first.kill()
    assert progress["done"] < ITEMS, "the batch finished before the kill: nothing was tested"

    second = ServiceProcess(data, KEY, **env)
    try:
        finished = _wait(second, batch["id"], ITEMS, timeout=300)
        time.sleep(0.5)
        _, finished = second.call("GET", f"/v1/batches/{batch['id']}")
    finally:
        second.stop()

    assert finished["status"] == "done"
    assert (finished["done"], finished["failed"]) == (ITEMS, 0)
    ids = [entry["id"] for entry in finished["documents"]]
    assert len(set(ids)) == ITEMS
    engine = create_engine(f"sqlite:///{data / 'amiable.db'}")
    with engine.connect() as conn:
        made = conn.execute(text("SELECT idempotency_key, count(*) FROM documents "
                                 "WHERE idempotency_key LIKE :k GROUP BY idempotency_key"),
                            {"k": f"batch:{batch['id']}:%"}).all()
    engine.dispose()
    assert len(made) == ITEMS
    assert all(count == 1 for _, count in made)

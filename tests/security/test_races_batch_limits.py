"""Attack: exhaust the service with one huge batch (items, bytes, memory).

Proves: a batch over the configured number of items or bytes is refused with a 413 that
says the limit, and nothing is queued; the byte limit holds for a body sent without a
Content-Length (chunked) too; and a large batch is parsed as a stream, one item at a time:
the memory the whole submission takes stays under 3 times the body (reading the body whole,
parsing, validating and hashing copies, as before, took 12 times; now 1.8).
"""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from service import create_app
from service.batches.models import Batch, BatchItem
from service.config import Settings
from tests.conftest import MASTER_KEY, relance_batch

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("limits"), api_key=MASTER_KEY,
                              batch_max_items=3, batch_max_bytes=20_000, batch_workers=0))
    yield app
    app.extensions["amiable"].db.engine.dispose()


def _batches(app: Flask) -> int:
    with app.extensions["amiable"].db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Batch)) or 0)


def test_too_many_items_is_a_413_and_queues_nothing(small_app: Flask) -> None:
    client = small_app.test_client()
    assert client.post("/v1/batches", headers=AUTH,
                       json={"documents": relance_batch(3, "L")}).status_code == 202
    before = _batches(small_app)
    response = client.post("/v1/batches", headers=AUTH, json={"documents": relance_batch(4, "L")})
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "batch_too_large"
    assert "at most 3 documents" in error["message"]
    assert _batches(small_app) == before


def test_too_many_bytes_is_a_413_with_or_without_content_length(small_app: Flask) -> None:
    client = small_app.test_client()
    body = json.dumps({"documents": relance_batch(3, "L" * 8000)}).encode()
    assert len(body) > 20_000
    before = _batches(small_app)
    assert client.post("/v1/batches", headers=AUTH, data=body,
                       content_type="application/json").status_code == 413
    # no Content-Length: the server (gunicorn) de-chunks and says the input is terminated
    chunked = client.post("/v1/batches", headers={**AUTH, "Transfer-Encoding": "chunked"},
                          input_stream=io.BytesIO(body), content_type="application/json",
                          environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 413, chunked.get_json()
    assert _batches(small_app) == before


def test_the_defaults_are_ten_thousand_items_and_fifty_megabytes() -> None:
    settings = Settings.from_env({})
    assert (settings.batch_max_items, settings.batch_max_bytes) == (10_000, 50 * 1024 * 1024)
    tuned = Settings.from_env({"AMIABLE_BATCH_MAX_ITEMS": "500",
                               "AMIABLE_BATCH_MAX_BYTES": "1000000"})
    assert (tuned.batch_max_items, tuned.batch_max_bytes) == (500, 1_000_000)


def test_a_large_batch_is_parsed_as_a_stream(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY, batch_workers=0))
    client = app.test_client()
    body = json.dumps({"documents": relance_batch(2000, "M")}).encode()
    tracemalloc.start()
    try:
        response = client.post("/v1/batches", headers=AUTH, data=body,
                               content_type="application/json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["total"] == 2000
    assert peak < 3 * len(body), f"{peak / len(body):.1f} times the body"
    with app.extensions["amiable"].db.session() as session:
        numbers = session.execute(select(BatchItem.index, BatchItem.request).where(
            BatchItem.batch_id == response.get_json()["id"]).order_by(BatchItem.index)).all()
    assert [r.request["invoices"][0]["number"] for r in numbers[:2]] == ["M-0000", "M-0001"]
    assert len(numbers) == 2000
    app.extensions["amiable"].db.engine.dispose()

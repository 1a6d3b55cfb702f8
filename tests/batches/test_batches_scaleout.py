"""Scale-out mode against the real servers: PostgreSQL for state, Redis as the Celery broker,
`amiable worker` processes doing the work. Skipped, saying so, where the servers are absent."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from service import create_app
from service.clock import fixed_clock
from service.config import Settings
from tests.conftest import FROZEN_NOW, relance_batch
from tests.service_process import FROZEN_AMIABLE, ROOT, free_port
from tests.web.test_web_observability import sample

PG_ADMIN = os.environ.get("AMIABLE_TEST_POSTGRES",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("AMIABLE_TEST_REDIS", "redis://127.0.0.1:6379/0")
KEY = "amk_scaleout_key_0123456789"
LEASE = "3"


def _reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN}: {exc.__class__.__name__}"
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis not reachable at {REDIS}: {exc.__class__.__name__}"
    return None


SKIP = _reachable()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=f"scale-out tests skipped: {SKIP}")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A fresh PostgreSQL database for this module, dropped afterwards."""
    name = f"amiable_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, database: str) -> Iterator[dict[str, Any]]:
    shared = tmp_path_factory.mktemp("shared")  # the mounted data dir every machine sees
    queue_name = f"amiable-test-{secrets.token_hex(4)}"
    env = {**os.environ, "AMIABLE_DATA_DIR": str(shared), "AMIABLE_DATABASE_URL": database,
           "AMIABLE_BROKER_URL": REDIS, "AMIABLE_BROKER_QUEUE": queue_name,
           "AMIABLE_API_KEY": KEY, "AMIABLE_BATCH_LEASE_SECONDS": LEASE}
    os.environ["AMIABLE_BROKER_QUEUE"] = queue_name
    app = create_app(Settings(data_dir=shared, database_url=database, broker_url=REDIS,
                              api_key=KEY, batch_lease_seconds=float(LEASE),
                              clock=fixed_clock(FROZEN_NOW)))
    yield {"app": app, "env": env, "shared": shared, "database": database}
    app.extensions["amiable"].db.engine.dispose()


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([*FROZEN_AMIABLE, "worker", "--concurrency", "2"], env=env,
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)




def _wait(client: Any, batch_id: str, at_least: int, timeout: float,
          worker: subprocess.Popen[bytes]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {KEY}"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker exited: see its log in the shared dir"
        body = client.get(f"/v1/batches/{batch_id}", headers=headers).get_json()
        if body["done"] + body["failed"] >= at_least:
            return body
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} stuck at {body}")


def _documents_per_item(database: str, batch_id: str) -> list[int]:
    engine = create_engine(database)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM documents WHERE idempotency_key LIKE :k "
                                 "GROUP BY idempotency_key"), {"k": f"batch:{batch_id}:%"}).all()
    engine.dispose()
    return [count for (count,) in rows]


def test_celery_workers_make_each_document_once(cluster: dict[str, Any]) -> None:
    client = cluster["app"].test_client()
    headers = {"Authorization": f"Bearer {KEY}"}
    metrics_port = free_port()
    worker = _start_worker({**cluster["env"], "AMIABLE_METRICS_PORT": str(metrics_port)},
                           cluster["shared"] / "worker-a.log")
    try:
        batch = client.post("/v1/batches", json={"documents": relance_batch(8, "S")},
                            headers=headers).get_json()
        finished = _wait(client, batch["id"], 8, timeout=180, worker=worker)
        # The worker's own /metrics sums its Celery pool processes.
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics",
                                    timeout=30) as scraped:
            text = scraped.read().decode()
        assert sample(text, "amiable_documents_issued_total", kind="relance") == 8
        assert sample(text, "amiable_document_stage_duration_seconds_count", stage="seal") == 8
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    assert (finished["status"], finished["done"]) == ("done", 8)
    assert _documents_per_item(cluster["database"], batch["id"]) == [1] * 8


def test_a_worker_killed_mid_batch_loses_nothing(cluster: dict[str, Any]) -> None:
    client = cluster["app"].test_client()
    headers = {"Authorization": f"Bearer {KEY}"}
    items = 16
    first = _start_worker(cluster["env"], cluster["shared"] / "worker-b.log")
    batch = client.post("/v1/batches", json={"documents": relance_batch(items, "X")},
                        headers=headers).get_json()
    try:
        progress = _wait(client, batch["id"], 2, timeout=180, worker=first)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert progress["done"] < items, "the batch finished before the kill: nothing was tested"
    second = _start_worker(cluster["env"], cluster["shared"] / "worker-c.log")
    try:
        finished = _wait(client, batch["id"], items, timeout=240, worker=second)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=60)
    assert (finished["done"], finished["failed"]) == (items, 0)
    assert _documents_per_item(cluster["database"], batch["id"]) == [1] * items

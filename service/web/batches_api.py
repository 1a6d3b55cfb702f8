"""Batches API: submit many document requests at once, follow them, fetch the PDFs."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context
from sqlalchemy import select

from service import audit, destinations
from service.batches import queue
from service.batches.models import Batch, BatchItem
from service.batches.notify import notify_done
from service.cases import links as case_links
from service.db import Document, iso_utc
from service.errors import BadRequest, Conflict, NotFound, Unprocessable
from service.pipeline import today_in_paris
from service.web.api import api, idempotency_key
from service.web.batch_intake import read_batch
from service.web.schemas import BatchOut, BatchRequest, ErrorOut
from service.workspaces import visible_to

bp = Blueprint("batches", __name__)


def _services() -> Any:
    return current_app.extensions["amiable"]


def _finished(batch: Batch) -> bool:
    """Nothing more will be made: done, or cancelled and its running items over."""
    return batch.status == "done" or (batch.status == "cancelled"
                                      and batch.finished_at is not None)


def batch_json(session: Any, batch: Batch) -> dict[str, Any]:
    progress = queue.progress(session, batch.id)
    # Read the status after the counts: the item that finishes a batch marks it done in the
    # same commit, so (under READ COMMITTED) counts showing it finished imply status done.
    session.refresh(batch)
    base = f"/v1/batches/{batch.id}"
    body: dict[str, Any] = {"id": batch.id, "status": batch.status, "total": batch.total,
                            "done": progress.done, "failed": progress.failed,
                            "cancelled": progress.cancelled,
                            "created_at": iso_utc(batch.created_at),
                            "finished_at": iso_utc(batch.finished_at)
                            if batch.finished_at else None,
                            "links": {"self": base, "zip": f"{base}/zip",
                                      "cancel": f"{base}/cancel"}}
    if _finished(batch):
        body["documents"] = [
            {"index": item.index, "id": item.document_id} if item.status == queue.DONE
            else {"index": item.index, "error": item.error}
            for item in queue.outcomes(session, batch.id)]
    return body


def _webhook_url(url: str | None) -> str | None:
    """The batch's webhook URL if it may receive webhooks (https, a public address)."""
    if url is None:
        return None
    settings = _services().settings  # signed with the workspace's own secret (registry)
    try:  # checked again at each delivery (DNS may change): see service.destinations
        destinations.check(url, destinations.WebhookPolicy.from_settings(settings))
    except destinations.UnsafeDestination as exc:
        raise Unprocessable(f"webhook_url refused: {exc}", code="unsafe_webhook_url",
                            details=[{"field": "webhook_url", "message": str(exc)}]) from None
    return url


@api.operation(bp, "POST", "/v1/batches", tag="batches", role="system", body=BatchRequest,
               stream_body=True,
               summary="Queue many document requests; each is made exactly once",
               description="Answers 202 at once. Follow progress at `links.self`; with "
               "`webhook_url` (https, a public address), a `batch.done` event is posted "
               "when it finishes. An invalid item fails alone. At most "
               "AMIABLE_BATCH_MAX_ITEMS items (10,000) and AMIABLE_BATCH_MAX_BYTES (50 MB) "
               "per batch (413 beyond). `Idempotency-Key` makes the submission safe to retry.",
               responses={202: BatchOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                          409: ErrorOut, 413: ErrorOut, 422: ErrorOut, 429: ErrorOut})
def submit_batch() -> tuple[Response, int, dict[str, str]]:
    key = idempotency_key()
    services = _services()
    if request.mimetype != "application/json":
        raise BadRequest("send the body as JSON with Content-Type: application/json")
    # Read as it arrives, one item at a time (see batch_intake): never the whole body.
    with services.db.session() as lookup:  # creditor_id and case_id fill their blocks
        intake = read_batch(request.stream, max_items=services.settings.batch_max_items,
                            today=today_in_paris(services.settings.clock),
                            prepare=lambda raw: case_links.fill_request(lookup, raw, g.caller))
    webhook_url = _webhook_url(intake.webhook_url)
    with services.db.session() as session:
        if key:
            existing = session.scalar(select(Batch).where(Batch.workspace == g.caller.workspace,
                                                          Batch.idempotency_key == key))
            if existing is not None:
                if existing.request_sha256 != intake.sha256:
                    raise Conflict(f"Idempotency-Key {key!r} was already used with another "
                                   f"batch ({existing.id})", code="idempotency_conflict")
                return jsonify(batch_json(session, existing)), 202, {
                    "Location": f"/v1/batches/{existing.id}", "Idempotent-Replayed": "true"}
        batch = queue.submit(session, g.caller.key_id, intake.requests, intake.errors,
                             webhook_url, key, intake.sha256,
                             workspace=g.caller.workspace)
        audit.append(session, batch.id, g.caller.key_id, [audit.PendingEvent(
            "batch.submitted", {"total": batch.total, "refused": len(intake.errors),
                                "request_sha256": intake.sha256})])
        out = batch_json(session, batch)
    if services.settings.broker_url:
        from service.batches.tasks import enqueue

        enqueue(services, batch.id)
    return jsonify(out), 202, {"Location": out["links"]["self"]}


@bp.before_request
def _allow_large_batches() -> None:
    if request.endpoint == "batches.submit_batch":
        # Beyond this the body is refused with a 413, as it is read (chunked bodies too).
        request.max_content_length = _services().settings.batch_max_bytes


def _batch(session: Any, batch_id: str) -> Batch:
    """The batch, if the caller may see it (another workspace's id is a 404)."""
    batch = session.get(Batch, batch_id)
    if batch is None or not visible_to(g.caller, batch.workspace):
        raise NotFound(f"no batch {batch_id}")
    return batch


@api.operation(bp, "GET", "/v1/batches/<batch_id>", tag="batches", role="system",
               summary="A batch's progress; when done, each item's document id or error",
               responses={200: BatchOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def get_batch(batch_id: str) -> Response:
    with _services().db.session() as session:
        return jsonify(batch_json(session, _batch(session, batch_id)))


@api.operation(bp, "POST", "/v1/batches/<batch_id>/cancel", tag="batches", role="system",
               summary="Cancel a batch: pending items are not made, running ones finish",
               description="The batch's status becomes `cancelled` at once; its items not "
               "yet taken by a worker are cancelled (their error says so), those being made "
               "finish. `finished_at` is set, and a `batch.cancelled` webhook sent, when the "
               "last of them is over; the ZIP then holds the documents made. Cancelling a "
               "cancelled batch changes nothing; a done batch is a 409.",
               responses={200: BatchOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut})
def cancel_batch(batch_id: str) -> Response:
    services = _services()
    with services.db.session() as session:
        batch = _batch(session, batch_id)
        if batch.status == "done":
            raise Conflict(f"batch {batch_id} is done: there is nothing left to cancel",
                           code="batch_finished")
        first = batch.status != "cancelled"
        finished = queue.cancel(session, batch_id)
        if first:
            audit.append(session, batch_id, g.caller.key_id,
                         [audit.PendingEvent("batch.cancelled", {})])
    if finished:
        notify_done(services, batch_id)
    with services.db.session() as session:
        return jsonify(batch_json(session, _batch(session, batch_id)))


@api.operation(bp, "GET", "/v1/batches/<batch_id>/zip", tag="batches", role="system",
               summary="The batch's sealed PDFs in one ZIP (once the batch is done)",
               responses={200: "application/zip", 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut})
def get_batch_zip(batch_id: str) -> Response:
    services = _services()
    with services.db.session() as session:
        batch = _batch(session, batch_id)
        if not _finished(batch):
            raise Conflict(f"batch {batch_id} is not finished yet; retry when its status is "
                           "done (or cancelled, with finished_at)", code="batch_not_finished")
        rows = session.execute(
            select(BatchItem.index, Document.id, Document.kind, Document.pdf_sha256)
            .join(Document, Document.id == BatchItem.document_id)
            .where(BatchItem.batch_id == batch_id).order_by(BatchItem.index)).all()

    def chunks() -> Iterator[bytes]:
        buffer = _Buffer()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for index, doc_id, kind, sha in rows:
                archive.writestr(f"{index:05d}-{kind}-{doc_id}.pdf", services.store.get(sha))
                yield buffer.drain()
        yield buffer.drain()

    response = Response(stream_with_context(chunks()), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{batch_id}.zip"'
    return response


class _Buffer(io.RawIOBase):
    """A write-only stream that hands over what was written, so the ZIP is streamed."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        out, self._chunks = b"".join(self._chunks), []
        return out

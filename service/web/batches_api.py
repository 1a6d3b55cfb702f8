"""Batches API: submit many document requests at once, follow them, fetch the PDFs."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context
from pydantic import ValidationError
from sqlalchemy import select

from service import audit
from service.batches import queue
from service.batches.models import Batch, BatchItem
from service.cases import links as case_links
from service.db import Document, iso_utc
from service.errors import Conflict, NotFound, ServiceError, Unprocessable
from service.pipeline import today_in_paris
from service.web.api import api, idempotency_key
from service.web.errors import summarize, validation_details
from service.web.schemas import BatchOut, BatchRequest, DocumentRequest, ErrorOut

bp = Blueprint("batches", __name__)
MAX_BATCH_BYTES = 64 * 1024 * 1024  # 10,000 requests of a few kB each


def _services() -> Any:
    return current_app.extensions["amiable"]


def _validate_items(documents: list[dict[str, Any]], session: Any = None,
                    caller: Any = None) -> tuple[list[dict[str, Any] | None],
                                                 dict[int, dict[str, Any]]]:
    """Validate each request on its own: a bad item fails alone, the others go ahead."""
    today = today_in_paris()
    requests: list[dict[str, Any] | None] = []
    errors: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(documents):
        try:
            if session is not None and isinstance(raw, dict):
                raw = case_links.fill_request(session, raw, caller)  # creditor_id, case_id
            model = DocumentRequest.model_validate(raw)
        except ServiceError as exc:
            errors[index] = {"code": exc.code, "message": exc.message, "details": exc.details}
            requests.append(None)
            continue
        except ValidationError as exc:
            details = validation_details(exc)
            errors[index] = {"code": "invalid_request", "message": summarize(details),
                             "details": details}
            requests.append(None)
            continue
        # One date for the whole batch, fixed now: a retry tomorrow makes the same letter.
        requests.append(model.model_copy(update={"as_of": model.as_of or today})
                        .model_dump(mode="json"))
    return requests, errors


def batch_json(session: Any, batch: Batch) -> dict[str, Any]:
    progress = queue.progress(session, batch.id)
    base = f"/v1/batches/{batch.id}"
    body: dict[str, Any] = {"id": batch.id, "status": batch.status, "total": batch.total,
                            "done": progress.done, "failed": progress.failed,
                            "created_at": iso_utc(batch.created_at),
                            "links": {"self": base, "zip": f"{base}/zip"}}
    if batch.status == "done":
        body["documents"] = [
            {"index": item.index, "id": item.document_id} if item.status == queue.DONE
            else {"index": item.index, "error": item.error}
            for item in queue.outcomes(session, batch.id)]
    return body


@api.operation(bp, "POST", "/v1/batches", tag="batches", role="system", body=BatchRequest,
               summary="Queue many document requests; each is made exactly once",
               description="Answers 202 at once. Follow progress at `links.self`; with "
               "`webhook_url`, a `batch.done` event is posted when it finishes. An invalid "
               "item fails alone. `Idempotency-Key` makes the submission safe to retry.",
               responses={202: BatchOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                          409: ErrorOut, 413: ErrorOut, 422: ErrorOut})
def submit_batch(body: BatchRequest) -> tuple[Response, int, dict[str, str]]:
    key = idempotency_key()
    body_sha = audit.canonical_sha256(body.model_dump(mode="json"))
    services = _services()
    if body.webhook_url and not services.settings.webhook_secret:
        raise Unprocessable("webhooks are signed with HMAC-SHA256: set AMIABLE_WEBHOOK_SECRET "
                            "on the service to use webhook_url", code="webhooks_disabled",
                            details=[{"field": "webhook_url",
                                      "message": "no webhook secret is configured"}])
    with services.db.session() as session:
        if key:
            existing = session.scalar(select(Batch).where(Batch.api_key_id == g.caller.key_id,
                                                          Batch.idempotency_key == key))
            if existing is not None:
                if existing.request_sha256 != body_sha:
                    raise Conflict(f"Idempotency-Key {key!r} was already used with another "
                                   f"batch ({existing.id})", code="idempotency_conflict")
                return jsonify(batch_json(session, existing)), 202, {
                    "Location": f"/v1/batches/{existing.id}", "Idempotent-Replayed": "true"}
        requests, errors = _validate_items(body.documents, session, g.caller)
        batch = queue.submit(session, g.caller.key_id, requests, errors,
                             str(body.webhook_url) if body.webhook_url else None, key, body_sha)
        audit.append(session, batch.id, g.caller.key_id, [audit.PendingEvent(
            "batch.submitted", {"total": batch.total, "refused": len(errors),
                                "request_sha256": body_sha})])
        out = batch_json(session, batch)
    if services.settings.broker_url:
        from service.batches.tasks import enqueue

        enqueue(services, batch.id)
    return jsonify(out), 202, {"Location": out["links"]["self"]}



@bp.before_request
def _allow_large_batches() -> None:
    if request.endpoint == "batches.submit_batch":
        request.max_content_length = MAX_BATCH_BYTES


def _batch(session: Any, batch_id: str) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id}")
    return batch


@api.operation(bp, "GET", "/v1/batches/<batch_id>", tag="batches", role="system",
               summary="A batch's progress; when done, each item's document id or error",
               responses={200: BatchOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def get_batch(batch_id: str) -> Response:
    with _services().db.session() as session:
        return jsonify(batch_json(session, _batch(session, batch_id)))


@api.operation(bp, "GET", "/v1/batches/<batch_id>/zip", tag="batches", role="system",
               summary="The batch's sealed PDFs in one ZIP (once the batch is done)",
               responses={200: "application/zip", 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut})
def get_batch_zip(batch_id: str) -> Response:
    services = _services()
    with services.db.session() as session:
        batch = _batch(session, batch_id)
        if batch.status != "done":
            raise Conflict(f"batch {batch_id} is not finished yet; retry when its status is "
                           "done", code="batch_not_finished")
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

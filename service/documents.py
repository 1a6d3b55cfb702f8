"""Issuing documents: the service layer between the API and the pipeline.

Nothing is written until the sealed PDF exists: the blob goes to the store (atomically), then
one transaction inserts the document row and its whole audit trail. A crash anywhere before
that commit leaves no document behind (at most an unreferenced blob, harmless: it is named by
its content).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from ulid import ULID

from service import audit, catalog, metrics, rates
from service.audit import PendingEvent
from service.auth import Caller
from service.cases import links as case_links
from service.clock import PARIS, Clock, system_clock, today_in_paris
from service.db import Database, Document, iso_utc
from service.errors import Conflict, NotFound, Unprocessable
from service.pipeline import DocumentMeta, Pipeline, issue_figures, template_context
from service.rendering.html import RenderLimitExceeded, TemplateError
from service.requests import DocumentRequest
from service.storage import BlobStore
from service.workspaces import HasWorkspace, visible_to
from signing import DEFAULT_FIELD_NAME, signed_revision_hashes

GROWS_AFTER_SEAL = {"B-LT", "B-LTA"}


@dataclass(frozen=True)
class Issued:
    document: Document
    created: bool


class DocumentService:
    def __init__(self, db: Database, store: BlobStore, pipeline: Pipeline,
                 public_url: str, clock: Clock = system_clock) -> None:
        self.clock = clock
        self.db = db
        self.store = store
        self.pipeline = pipeline
        self.public_url = public_url

    def issue(self, request: DocumentRequest, caller: Caller,
              idempotency_key: str | None = None) -> Issued:
        request_json = request.model_dump(mode="json")
        request_sha = audit.canonical_sha256(request_json)
        if idempotency_key:
            replay = self._replay(caller, idempotency_key, request_sha)
            if replay is not None:
                return Issued(replay, created=False)

        doc_id = f"doc_{ULID()}"
        issued_on = today_in_paris(self.clock)
        as_of = request.as_of or issued_on
        trail = [PendingEvent("document.requested", {
            "kind": request.kind, "request_sha256": request_sha, "as_of": as_of.isoformat(),
            "issued_on": issued_on.isoformat(),
            "idempotency_key": idempotency_key})]
        with self.db.session() as session:
            table = rates.current_rates(session)
            template = catalog.load_source(self.store, catalog.resolve(
                session, request.kind, request.template_version, caller.workspace))
        figures = issue_figures(request, as_of, issued_on, table)
        figures_json = figures.to_json()
        trail.append(PendingEvent("figures.computed", {
            "total": figures_json["total"], "principal": figures_json["principal"],
            "penalties": figures_json["penalties"], "indemnities": figures_json["indemnities"]}))

        meta = DocumentMeta(id=doc_id, verify_url=f"{self.public_url}/verify/{doc_id}",
                            issued_on=issued_on)
        try:
            with metrics.stage("render"):
                rendered = self.pipeline.render_document(
                    template, template_context(request, as_of, figures, meta))
        except TemplateError as exc:
            # A published template that this request's data breaks, or that outgrew its
            # time or size bound: this request fails alone, with the reason.
            raise Unprocessable(
                f"the template {template.name} v{template.version} cannot be filled with this "
                f"request: {exc}", code=("render_limit_exceeded"
                                         if isinstance(exc, RenderLimitExceeded)
                                         else "template_error")) from exc
        pdf = rendered.pdf
        with metrics.stage("store"):
            docx_sha = self.store.put(rendered.docx) if rendered.docx is not None else None
        if docx_sha is not None:
            trail.append(PendingEvent("docx.filled", {"sha256": docx_sha}))
        trail.append(PendingEvent("pdf.rendered", {
            "template": {"name": template.name, "version": template.version,
                         "sha256": template.sha256},
            "sha256": hashlib.sha256(pdf).hexdigest(), "bytes": len(pdf)}))
        with metrics.stage("seal"):
            sealed = self.pipeline.seal(pdf)
        with metrics.stage("store"):
            sealed_sha = self.store.put(sealed)
        seal = self.pipeline.sealer.description(sealed)
        # What identifies this document for good: the hash of the file as the seal signed it.
        # B-LT/B-LTA files grow after their seal (validation data, archive timestamps, later
        # renewals); up to B-T the seal covers the whole file, and parsing it costs ~5 ms.
        seal_revision = (signed_revision_hashes(sealed)[DEFAULT_FIELD_NAME]
                         if seal["level"] in GROWS_AFTER_SEAL else sealed_sha)
        trail.append(PendingEvent("pdf.sealed", {"sha256": sealed_sha,
                                                 "seal_revision_sha256": seal_revision, **seal}))

        document = Document(
            id=doc_id, kind=request.kind, status="sealed", request=request_json,
            request_sha256=request_sha, figures=figures_json, template_name=template.name,
            template_version=template.version, template_sha256=template.sha256,
            pdf_sha256=sealed_sha, seal_revision_sha256=seal_revision, seal=seal,
            api_key_id=caller.key_id,
            idempotency_key=idempotency_key, docx_sha256=docx_sha, workspace=caller.workspace,
            case_id=request.case_id, external_reference=request.external_reference)
        try:
            with metrics.stage("store"), self.db.session() as session:
                # First: the case's row lock, before anything reads its chain.
                case_links.record_document(session, document, meta.issued_on, caller.key_id,
                                           caller)
                session.add(document)
                session.flush()
                audit.append(session, doc_id, caller.key_id, [
                    *trail, PendingEvent("document.stored", {"sha256": sealed_sha})])
        except IntegrityError:
            # Another request with the same Idempotency-Key won the race: answer with its work.
            replay = self._replay(caller, idempotency_key, request_sha) if idempotency_key else None
            if replay is None:
                raise
            return Issued(replay, created=False)
        metrics.DOCUMENTS_ISSUED.labels(request.kind).inc()
        return Issued(document, created=True)

    def _replay(self, caller: Caller, key: str, request_sha: str) -> Document | None:
        # Per workspace: two keys of one workspace share their retries; another workspace's
        # key with the same Idempotency-Key never receives this workspace's document.
        with self.db.session() as session:
            existing = session.scalar(select(Document).where(
                Document.workspace == caller.workspace, Document.idempotency_key == key))
        if existing is None:
            return None
        if existing.request_sha256 != request_sha:
            raise Conflict(f"Idempotency-Key {key!r} was already used with a different body "
                           f"(document {existing.id}); use a new key for a new document",
                           code="idempotency_conflict")
        return existing

    def get(self, doc_id: str, caller: HasWorkspace) -> Document:
        """The document, if `caller` may see it (another workspace's id is a 404)."""
        with self.db.session() as session:
            document = session.get(Document, doc_id)
        if document is None or not visible_to(caller, document.workspace):
            raise NotFound(f"no document {doc_id}")
        return document

    def pdf(self, doc_id: str, caller: HasWorkspace) -> tuple[Document, bytes]:
        document = self.get(doc_id, caller)
        return document, self.store.get(document.pdf_sha256)

    def events(self, doc_id: str, caller: HasWorkspace) -> tuple[list[dict[str, Any]], bool]:
        self.get(doc_id, caller)
        with self.db.session() as session:
            events = audit.trail(session, doc_id)
            return [audit.event_json(ev) for ev in events], audit.verify_chain(events)


def document_json(document: Document, prefix: str = "/v1") -> dict[str, Any]:
    """The contract's document body (201 on creation, 200 on GET)."""
    base = f"{prefix}/documents/{document.id}"
    return {
        "id": document.id,
        "kind": document.kind,
        "status": document.status,
        "created_at": iso_utc(document.created_at),
        "template": {"name": document.template_name, "version": document.template_version,
                     "sha256": document.template_sha256},
        "issued_on": issued_on_of(document),
        "figures": document.figures,
        "sha256": document.pdf_sha256,
        "seal": document.seal,
        "case_id": document.case_id,
        "external_reference": document.external_reference,
        "links": {"self": base, "pdf": f"{base}/pdf", "events": f"{base}/events"},
    }


def issued_on_of(document: Document) -> str:
    """The day the document is dated (Europe/Paris): kept in its figures since the two
    dates exist; for older documents, the Paris date of their creation."""
    issued_on = (document.figures or {}).get("issued_on")
    if issued_on:
        return str(issued_on)
    created = document.created_at
    if created.tzinfo is None:  # SQLite gives back naive UTC datetimes
        created = created.replace(tzinfo=UTC)
    return created.astimezone(PARIS).date().isoformat()

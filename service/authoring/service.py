"""The template-authoring use cases, shared by the API (/v1/templates) and the staff pages.

Each call is one transaction with its audit events; a checked file becomes an immutable draft,
and only publishing changes what new documents use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask

from service import audit, catalog, rates
from service.authoring.diff import unified_diff
from service.authoring.validation import check_upload
from service.authoring.variables import sample_context
from service.db import Database
from service.errors import Unprocessable
from service.pipeline import Pipeline
from service.rendering.html import RenderLimitExceeded, TemplateError
from service.requests import DocumentRequest
from service.storage import BlobStore

MAX_NOTE_LENGTH = 2000
EXTENSION = "amiable.authoring"


@dataclass(frozen=True)
class Uploaded:
    version: catalog.VersionView
    variables: list[str]


class TemplateAuthoring:
    def __init__(self, db: Database, store: BlobStore, pipeline: Pipeline) -> None:
        self.db = db
        self.store = store
        self.pipeline = pipeline

    # Every call names the workspace it acts in: its versions and the built-ins are all it
    # sees (service.catalog).

    def kinds(self, workspace: str) -> list[tuple[str, catalog.VersionView | None]]:
        with self.db.session() as session:
            published = catalog.published_versions(session, workspace)
        return [(name, published.get(name)) for name in catalog.KIND_ASSETS]

    def versions(self, workspace: str, name: str) -> list[catalog.VersionView]:
        with self.db.session() as session:
            return catalog.versions(session, name, workspace)

    def version(self, workspace: str, name: str, version: int) -> catalog.VersionView:
        with self.db.session() as session:
            return catalog.get_version(session, name, version, workspace)

    def upload(self, workspace: str, name: str, filename: str, data: bytes, note: str,
               author: str) -> Uploaded:
        catalog.require_kind(name)
        note = note.strip()
        if len(note) > MAX_NOTE_LENGTH:
            raise Unprocessable(f"la note dépasse {MAX_NOTE_LENGTH} caractères",
                                code="note_too_long",
                                details=[{"field": "note", "message": "trop longue"}])
        checked = check_upload(name, filename, data)
        with self.db.session() as session:
            row = catalog.add_version(session, self.store, name, workspace, data=checked.data,
                                      fmt=checked.format, note=note, author=author)
        return Uploaded(row, checked.variables)

    def publish(self, workspace: str, name: str, version: int,
                actor: str) -> catalog.VersionView:
        with self.db.session() as session:
            return catalog.publish(session, name, version, actor, workspace)

    def retire(self, workspace: str, name: str, version: int,
               actor: str) -> catalog.VersionView:
        with self.db.session() as session:
            return catalog.retire(session, name, version, actor, workspace)

    def source(self, workspace: str, name: str, version: int) -> catalog.TemplateSource:
        return catalog.load_source(self.store, self.version(workspace, name, version))

    def preview(self, workspace: str, name: str, version: int,
                request: DocumentRequest | None = None) -> bytes:
        """The version filled with the kind's sample data (or `request`): a PDF, not sealed."""
        if request is not None and request.kind != name:
            raise Unprocessable(f"this preview is for {name}, the request is a {request.kind}",
                                code="kind_mismatch",
                                details=[{"field": "kind", "message": f"must be {name}"}])
        template = self.source(workspace, name, version)
        with self.db.session() as session:
            table = rates.current_rates(session)
        try:
            return self.pipeline.render(template, sample_context(name, request, table))
        except TemplateError as exc:
            raise Unprocessable(f"the template cannot be filled with this data: {exc}",
                                code=("render_limit_exceeded"
                                      if isinstance(exc, RenderLimitExceeded)
                                      else "template_error")) from exc

    def diff(self, workspace: str, name: str, old: int, new: int) -> str:
        return unified_diff(self.source(workspace, name, old), self.source(workspace, name, new))

    def history(self, workspace: str, name: str) -> tuple[list[dict[str, Any]], bool]:
        """The kind's audit trail in the workspace (uploads, publications, retirements) and
        whether its hash chain is intact."""
        catalog.require_kind(name)
        with self.db.session() as session:
            events = audit.trail(session, catalog.history_subject(name, workspace))
            return [audit.event_json(event) for event in events], audit.verify_chain(events)


def authoring_for(app: Flask) -> TemplateAuthoring:
    """The app's TemplateAuthoring, built on first use from its Services."""
    found = app.extensions.get(EXTENSION)
    if found is None:
        services = app.extensions["amiable"]
        found = app.extensions.setdefault(
            EXTENSION, TemplateAuthoring(services.db, services.store, services.pipeline))
    return found

"""The listings of documents and signature requests: filters, workspace scope, keyset pages.

Each filter combination has an index that starts with `workspace` and ends with
(created_at, id), so a page is one short index range scan (see migration 0010 and
`make bench`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import Document
from service.listing import Page, paginate
from service.signature_requests.models import SignatureRequest
from service.workspaces import HasWorkspace, scoped


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    case_id: str | None = None
    external_reference: str | None = None
    document_id: str | None = None


def documents(session: Session, caller: HasWorkspace, filters: Filters, cursor: str | None,
              limit: int) -> Page[Document]:
    stmt = scoped(select(Document), Document.workspace, caller)
    if filters.kind:
        stmt = stmt.where(Document.kind == filters.kind)
    if filters.status:
        stmt = stmt.where(Document.status == filters.status)
    if filters.case_id:
        stmt = stmt.where(Document.case_id == filters.case_id)
    if filters.external_reference:
        stmt = stmt.where(Document.external_reference == filters.external_reference)
    if filters.created_after:
        stmt = stmt.where(Document.created_at >= filters.created_after)
    if filters.created_before:
        stmt = stmt.where(Document.created_at < filters.created_before)
    return paginate(session, stmt, Document.created_at, Document.id, cursor, limit)


def signature_requests(session: Session, caller: HasWorkspace, filters: Filters,
                       cursor: str | None, limit: int) -> Page[SignatureRequest]:
    stmt = scoped(select(SignatureRequest), SignatureRequest.workspace, caller)
    if filters.status:
        stmt = stmt.where(SignatureRequest.status == filters.status)
    if filters.document_id:
        stmt = stmt.where(SignatureRequest.document_id == filters.document_id)
    if filters.case_id:
        stmt = stmt.where(SignatureRequest.case_id == filters.case_id)
    if filters.created_after:
        stmt = stmt.where(SignatureRequest.created_at >= filters.created_after)
    if filters.created_before:
        stmt = stmt.where(SignatureRequest.created_at < filters.created_before)
    return paginate(session, stmt, SignatureRequest.created_at, SignatureRequest.id, cursor,
                    limit)

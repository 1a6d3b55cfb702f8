"""Tables of debtor signing (migration 0002): the requests and their outbox of messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow, workspace_column


class SignatureRequest(Base):
    """One debtor invited to sign one échéancier. Secrets (link token, code) only as hashes."""

    __tablename__ = "signature_requests"
    __table_args__ = (
        Index("ix_signature_requests_document", "document_id", "status"),
        Index("uq_signature_requests_pending", "document_id", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        Index("ix_signature_requests_ws_created", "workspace", "created_at", "id"),
        Index("ix_signature_requests_ws_case", "workspace", "case_id", "created_at", "id"),
    )
    workspace: Mapped[str] = workspace_column()  # the document's
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # pending|signed|locked|expired|cancelled
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_email: Mapped[str] = mapped_column(String(254))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    page_sha256s: Mapped[list[Any]] = mapped_column(JSON, default=list)
    code_hash: Mapped[str | None] = mapped_column(String(200))
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    code_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    codes_sent: Mapped[int] = mapped_column(Integer, default=0)
    code_failures: Mapped[int] = mapped_column(Integer, default=0)
    signed_pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    # the revision the organisation's final seal signed: a B-LTA copy grows after it
    signed_revision_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    case_id: Mapped[str | None] = mapped_column(String(40))


class OutboxMessage(Base):
    """A webhook or an e-mail to deliver after the fact, retried with backoff by a thread."""

    __tablename__ = "signature_outbox"
    __table_args__ = (Index("ix_signature_outbox_due", "done_at", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = workspace_column()  # whose secret signs a webhook
    kind: Mapped[str] = mapped_column(String(20))  # webhook | mail
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    target: Mapped[str | None] = mapped_column(Text)  # a webhook's own URL (a batch's)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SigningVisit(Base):
    """One visit session of a signing link (migration 0007): its first page load is in the
    evidence, the following ones are not, so reloading cannot flood the trail."""

    __tablename__ = "signing_visits"
    request_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    session_ref: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

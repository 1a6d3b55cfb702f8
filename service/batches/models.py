"""Tables of the batch queue (migration 0004)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow, workspace_column


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("workspace", "idempotency_key", name="uq_batches_idempotency"),
    )
    workspace: Mapped[str] = workspace_column()
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # queued | running | done | cancelled
    total: Mapped[int] = mapped_column(Integer)
    api_key_id: Mapped[str] = mapped_column(String(40))
    webhook_url: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BatchItem(Base):
    __tablename__ = "batch_items"
    __table_args__ = (
        Index("ix_batch_items_claim", "status", "id"),  # the next pending item, in order
        Index("ix_batch_items_batch", "batch_id", "status"),  # progress, "is the batch done?"
        Index("ix_batch_items_workspace_status", "workspace", "status"),  # the quota
    )
    workspace: Mapped[str] = workspace_column()
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"))
    index: Mapped[int] = mapped_column(Integer)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # pending|running|done|failed|cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    document_id: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)

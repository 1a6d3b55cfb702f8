"""The creditor profiles table (migration 0010)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow


class CreditorProfile(Base):
    """A creditor's identity as printed on its letters; `profile` is the validated body.

    Documents copy what they use from it when they are issued: changing a profile (its
    `version` goes up, the change is in the audit trail `creditor:<id>`) never alters a
    document already issued.
    """

    __tablename__ = "creditor_profiles"
    __table_args__ = (Index("ix_creditor_profiles_ws_created", "workspace", "created_at", "id"),)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True, server_default="default")
    name: Mapped[str] = mapped_column(String(200))
    siren: Mapped[str | None] = mapped_column(String(9), index=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_media_type: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

"""Tables of the case file (migration 0010): cases and the promises to pay they track.

Everything that happens on a case (documents, signature requests, exchanges, payments,
status changes, broken promises) is an event of the audit trail `case:<id>`, hash-chained
by service.audit; these tables hold what listings and the promise sweep must find fast.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, utcnow


class Case(Base):
    """One claim of one creditor against one debtor."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_ws_created", "workspace", "created_at", "id"),
        Index("ix_cases_ws_status_created", "workspace", "status", "created_at", "id"),
        Index("ix_cases_ws_creditor_created", "workspace", "creditor_id", "created_at", "id"),
        Index("ix_cases_ws_debtor", "workspace", "debtor_name"),
        Index("ix_cases_ws_external", "workspace", "external_reference"),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True, server_default="default")
    creditor_id: Mapped[str] = mapped_column(String(40))
    debtor: Mapped[dict[str, Any]] = mapped_column(JSON)
    debtor_name: Mapped[str] = mapped_column(String(200))
    invoices: Mapped[list[Any]] = mapped_column(JSON)
    external_reference: Mapped[str | None] = mapped_column(String(100))
    payment_reference: Mapped[str] = mapped_column(String(35), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # open|agreement|settled|litigation|closed
    # The first letter sent on the case: an agency repeats its reference (CPCE R124-4).
    first_letter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Bumped first in every transaction that appends to the case's trail: the row lock it
    # takes keeps two writers from chaining onto the same previous event.
    events_count: Mapped[int] = mapped_column(Integer, default=0)
    api_key_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Promise(Base):
    """A promise to pay heard in an exchange, until it is kept or broken."""

    __tablename__ = "case_promises"
    __table_args__ = (Index("ix_case_promises_due", "status", "due_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(64), index=True, server_default="default")
    case_id: Mapped[str] = mapped_column(String(40), index=True)
    event_hash: Mapped[str] = mapped_column(String(64))  # the exchange that recorded it
    promised_on: Mapped[date] = mapped_column(Date)  # when it was made
    due_date: Mapped[date] = mapped_column(Date)
    amount: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))  # open | kept | broken | withdrawn
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

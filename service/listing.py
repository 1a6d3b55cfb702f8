"""Keyset pagination for the listings (documents, signature requests, cases, creditors).

Newest first by (created_at, id): each page is one index range scan, however deep the
caller has gone (an OFFSET would read and drop every earlier row). The cursor is opaque
to callers: base64url of the last row's (created_at, id), handed back as `next_cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import Session

from service.db import as_utc
from service.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
Row = TypeVar("Row")


@dataclass(frozen=True)
class Page(Generic[Row]):
    items: list[Row]
    next_cursor: str | None


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = json.dumps([as_utc(created_at).isoformat(), row_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, row_id = json.loads(raw)
        return as_utc(datetime.fromisoformat(moment)).astimezone(UTC), str(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadRequest("cursor is not one this service gave: pass the next_cursor of "
                         "the previous page unchanged", code="invalid_cursor") from None


def parse_limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}",
                         code="invalid_limit")
    return int(value)


def paginate(session: Session, stmt: Select[Any], created_col: Any, id_col: Any,
             cursor: str | None, limit: int) -> Page[Any]:
    """One page of `stmt` (already filtered and scoped), newest first."""
    if cursor:
        moment, row_id = decode_cursor(cursor)
        # A row-value comparison: PostgreSQL makes it the bound of the index scan itself.
        stmt = stmt.where(tuple_(created_col, id_col) < tuple_(moment, row_id))
    rows = list(session.scalars(stmt.order_by(created_col.desc(), id_col.desc())
                                .limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = (encode_cursor(last.created_at, last.id) if more and last is not None
                   else None)
    return Page(rows, next_cursor)


def parse_datetime(name: str, value: str | None) -> datetime | None:
    """A `created_after`/`created_before` filter: a date or an ISO date-time (UTC if bare)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be a date or date-time, e.g. 2026-11-22 or "
                         "2026-11-22T10:00:00Z", code="invalid_filter") from None
    return as_utc(moment).astimezone(UTC)

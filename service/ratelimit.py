"""Per-client counters shared by every worker and machine, in the database (fixed windows).

Used by the public verification page: a check costs up to a few seconds of a worker process,
and anyone may upload. Each (purpose, address, window) is one row whose count is raised by one
atomic UPDATE guarded by the limit, so concurrent requests never exceed it. Addresses are kept
as SHA-256 digests, and rows are dropped two windows after they end.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Integer, String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, Database, as_utc


class RateWindow(Base):
    """How many times one client did one thing in one window (migration 0009)."""

    __tablename__ = "rate_windows"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    count: Mapped[int] = mapped_column(Integer)


def allow(db: Database, purpose: str, client: str, limit: int, seconds: int,
          now: datetime) -> bool:
    """Count one event for ``client``; False when it already had ``limit`` in this window."""
    epoch = int(as_utc(now).timestamp()) // seconds * seconds
    start = datetime.fromtimestamp(epoch, tz=as_utc(now).tzinfo)
    key = hashlib.sha256(f"{purpose}\0{client}\0{epoch}".encode()).hexdigest()
    for _ in range(2):  # a lost insert race: the other row exists now, update it
        with db.session() as session:
            raised = session.execute(update(RateWindow).where(
                RateWindow.key == key, RateWindow.count < limit).values(
                count=RateWindow.count + 1)).rowcount  # type: ignore[attr-defined]
            if raised:
                return True
            if session.get(RateWindow, key) is not None:
                return False
        try:
            with db.session() as session:
                session.add(RateWindow(key=key, window_start=start, count=1))
                if epoch % 7 == 0 or limit == 1:  # now and then, forget old windows
                    session.execute(delete(RateWindow).where(
                        RateWindow.window_start < start - timedelta(seconds=2 * seconds)))
            return True
        except IntegrityError:
            continue
    return False

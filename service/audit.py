"""Append-only audit trails, hash-chained per subject.

Each event stores the SHA-256 of (previous hash, canonical JSON of the event), so removing or
editing an event breaks every later hash on that subject: `verify_chain` finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import Event, as_utc, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class PendingEvent:
    """An event observed during a request, written later in the request's transaction."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_sha256(value: Any) -> str:
    """The hash of a JSON value whatever its key order: what identifies a request body."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def _event_hash(prev_hash: str, subject: str, type_: str, actor: str, at: datetime,
                data: dict[str, Any]) -> str:
    body = canonical_json({"subject": subject, "type": type_, "actor": actor,
                           "at": at.isoformat(), "data": data})
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append(session: Session, subject: str, actor: str, events: Sequence[PendingEvent]) -> None:
    """Append `events` to the trail of `subject` inside the caller's transaction."""
    last = session.scalar(
        select(Event.hash).where(Event.subject == subject).order_by(Event.id.desc()).limit(1)
    )
    prev = last or GENESIS
    for pending in events:
        digest = _event_hash(prev, subject, pending.type, actor, pending.at, pending.data)
        session.add(Event(subject=subject, type=pending.type, actor=actor, at=pending.at,
                          data=pending.data, prev_hash=prev, hash=digest))
        prev = digest
    session.flush()


def trail(session: Session, subject: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.subject == subject).order_by(Event.id)))


def verify_chain(events: Sequence[Event]) -> bool:
    prev = GENESIS
    for ev in events:
        at = as_utc(ev.at)
        if ev.prev_hash != prev or ev.hash != _event_hash(prev, ev.subject, ev.type, ev.actor,
                                                           at, ev.data):
            return False
        prev = ev.hash
    return True


def event_json(ev: Event) -> dict[str, Any]:
    at = as_utc(ev.at)
    return {"type": ev.type, "at": at.isoformat(), "actor": ev.actor, "data": ev.data,
            "hash": ev.hash, "prev_hash": ev.prev_hash}

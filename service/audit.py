"""Append-only audit trails, hash-chained per subject, keyed.

Each event stores HMAC-SHA256(audit key, previous hash + canonical JSON of the event), so
removing or editing an event breaks every later hash on that subject: `verify_chain` finds
it. The key lives outside the database (`keys/audit.key` in the data dir, made at `amiable
init`, or AMIABLE_AUDIT_KEY), so whoever can write the database but not read the key cannot
rewrite a trail and recompute its hashes: a plain SHA-256 chain could be recomputed by anyone.
Chains written before the key existed (unkeyed SHA-256, before migration 0006) are never
called valid: `check_chain` names them as such.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

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


class AuditKeyMissing(RuntimeError):
    """A session without the audit key: a database built without `bootstrap.database`."""


def key_of(session: Session) -> bytes:
    key = session.info.get("audit_key")
    if not key:
        raise AuditKeyMissing("this database session has no audit key; build the Database "
                              "with service.bootstrap.database(settings)")
    return key


def _event_body(prev_hash: str, subject: str, type_: str, actor: str, at: datetime,
                data: dict[str, Any]) -> bytes:
    body = canonical_json({"subject": subject, "type": type_, "actor": actor,
                           "at": at.isoformat(), "data": data})
    return (prev_hash + body).encode()


def _event_hash(key: bytes, prev_hash: str, subject: str, type_: str, actor: str,
                at: datetime, data: dict[str, Any]) -> str:
    return hmac.new(key, _event_body(prev_hash, subject, type_, actor, at, data),
                    hashlib.sha256).hexdigest()


def _unkeyed_hash(ev: Event) -> str:
    """How events were hashed before the audit key (kept only to recognise them)."""
    return hashlib.sha256(_event_body(ev.prev_hash, ev.subject, ev.type, ev.actor,
                                      as_utc(ev.at), ev.data)).hexdigest()


def append(session: Session, subject: str, actor: str, events: Sequence[PendingEvent]) -> None:
    """Append `events` to the trail of `subject` inside the caller's transaction."""
    key = key_of(session)
    last = session.scalar(
        select(Event.hash).where(Event.subject == subject).order_by(Event.id.desc()).limit(1)
    )
    prev = last or GENESIS
    for pending in events:
        digest = _event_hash(key, prev, subject, pending.type, actor, pending.at, pending.data)
        session.add(Event(subject=subject, type=pending.type, actor=actor, at=pending.at,
                          data=pending.data, prev_hash=prev, hash=digest))
        prev = digest
    session.flush()


def trail(session: Session, subject: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.subject == subject).order_by(Event.id)))


@dataclass(frozen=True)
class ChainCheck:
    """The verdict on one subject's trail: the first event that breaks it, and why."""

    valid: bool
    broken: Event | None = None
    reason: str = ""


def check_chain(events: Sequence[Event], key: bytes) -> ChainCheck:
    prev = GENESIS
    for ev in events:
        if ev.prev_hash != prev:
            return ChainCheck(False, ev, "its previous hash is not the hash of the event "
                                         "before it (an event was removed or reordered)")
        if not hmac.compare_digest(ev.hash, _event_hash(key, prev, ev.subject, ev.type,
                                                         ev.actor, as_utc(ev.at), ev.data)):
            if hmac.compare_digest(ev.hash, _unkeyed_hash(ev)):
                return ChainCheck(False, ev, "it is hashed without the audit key (written "
                                             "before keyed chains, or rewritten by someone "
                                             "without the key): it cannot be vouched for")
            return ChainCheck(False, ev, "its hash does not match its content under the "
                                         "audit key (edited, or written with another key)")
        prev = ev.hash
    return ChainCheck(True)


def verify_chain(events: Sequence[Event], key: bytes | None = None) -> bool:
    """Is the trail intact? The key is the session's when not given (call it inside the
    session the events were read in)."""
    if not events:
        return True
    if key is None:
        session = object_session(events[0])
        if session is None:
            raise AuditKeyMissing("give the audit key, or verify inside the session")
        key = key_of(session)
    return check_chain(events, key).valid


def subjects(session: Session) -> list[str]:
    return list(session.scalars(select(Event.subject).distinct().order_by(Event.subject)))


def event_json(ev: Event) -> dict[str, Any]:
    at = as_utc(ev.at)
    return {"type": ev.type, "at": at.isoformat(), "actor": ev.actor, "data": ev.data,
            "hash": ev.hash, "prev_hash": ev.prev_hash}

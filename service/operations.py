"""What an operator needs to know about a running installation, read from its state.

One snapshot serves `amiable status` (for people) and the gauges of /metrics (for
Prometheus): the rates' coverage, the seal certificate's expiry, the batch queue, signature
requests by status, and the last run of the archive renewal. Read-only; the time is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import rates
from service.batches.models import Batch, BatchItem
from service.db import Event, as_utc
from service.domain.rates import Semester
from service.signature_requests.models import SignatureRequest

RENEWAL_SUBJECT = "seals-renewal"  # the audit trail of `amiable seals renew` runs


@dataclass(frozen=True)
class RatesCoverage:
    first: str | None
    last: str | None
    operator_entered: tuple[str, ...]
    covers_today: bool
    days_left: int | None  # until the last covered semester ends (0: ends today)
    next_missing: str | None


@dataclass(frozen=True)
class SealState:
    subject: str | None
    issuer: str | None
    not_after: datetime
    days_left: int
    development: bool


@dataclass(frozen=True)
class QueueState:
    pending: int
    running: int
    oldest_pending_age_seconds: float | None


@dataclass(frozen=True)
class RenewalState:
    at: datetime
    checked: int
    renewed: int
    failed: int


@dataclass(frozen=True)
class Snapshot:
    rates: RatesCoverage
    seal: SealState
    queue: QueueState
    signature_requests: dict[str, int]
    last_renewal: RenewalState | None


def rates_coverage(session: Session, today: date) -> RatesCoverage:
    table = rates.current_rates(session)
    semesters = list(table.rows)
    operator = tuple(sorted(rates.operator_semesters(session)))
    if not semesters:
        return RatesCoverage(None, None, operator, False, None, None)
    last = semesters[-1]
    current = Semester(today.year, 1 if today.month <= 6 else 2)
    return RatesCoverage(
        first=semesters[0].label, last=last.label, operator_entered=operator,
        covers_today=current in table, days_left=(last.end - today).days,
        next_missing=last.next().label)


def seal_state(sealer: Any, now: datetime) -> SealState:
    info = sealer.identity.info
    not_after = as_utc(info.not_after)
    return SealState(subject=info.common_name, issuer=info.issuer_common_name,
                     not_after=not_after, days_left=(not_after - now).days,
                     development=info.development)


def queue_state(session: Session, now: datetime) -> QueueState:
    counts = dict(session.execute(
        select(BatchItem.status, func.count()).where(BatchItem.status.in_(("pending", "running")))
        .group_by(BatchItem.status)).all())
    oldest = session.scalar(
        select(func.min(BatchItem.id)).where(BatchItem.status == "pending"))
    age = None
    if oldest is not None:
        created = session.scalar(select(Batch.created_at).join(
            BatchItem, BatchItem.batch_id == Batch.id).where(BatchItem.id == oldest))
        age = max(0.0, (now - as_utc(created)).total_seconds()) if created else None
    return QueueState(pending=int(counts.get("pending", 0)),
                      running=int(counts.get("running", 0)), oldest_pending_age_seconds=age)


def signature_requests_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(SignatureRequest.status, func.count())
                           .group_by(SignatureRequest.status)).all()
    return {status: int(count) for status, count in rows}


def last_renewal(session: Session) -> RenewalState | None:
    event = session.scalar(select(Event).where(Event.subject == RENEWAL_SUBJECT)
                           .order_by(Event.id.desc()).limit(1))
    if event is None:
        return None
    data = event.data or {}
    return RenewalState(at=as_utc(event.at), checked=int(data.get("checked", 0)),
                        renewed=int(data.get("renewed", 0)), failed=int(data.get("failed", 0)))


def snapshot(services: Any, now: datetime, today: date) -> Snapshot:
    with services.db.session() as session:
        return Snapshot(rates=rates_coverage(session, today),
                        seal=seal_state(services.sealer, now),
                        queue=queue_state(session, now),
                        signature_requests=signature_requests_by_status(session),
                        last_renewal=last_renewal(session))

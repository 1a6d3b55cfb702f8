"""The durable queue, in SQL: submit a batch, claim items under a lease, record outcomes.

Every state change is one short transaction, safe with several worker processes (SQLite's
single writer, or PostgreSQL with `FOR UPDATE SKIP LOCKED`) and on several machines.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from service.batches.models import Batch, BatchItem
from service.db import Database, Workspace, utcnow
from service.errors import ServiceError
from service.workspaces import DEFAULT_WORKSPACE

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
CANCELLED = "cancelled"  # an item no worker took before its batch was cancelled
INSERT_CHUNK = 100  # rows per INSERT: a 500-row executemany alone took 2.4 times the body
CANCELLED_ERROR = {"code": "cancelled",
                   "message": "the batch was cancelled before this item was made"}


@dataclass(frozen=True)
class Claimed:
    """An item a worker now holds until `lease_until`."""

    id: int
    batch_id: str
    index: int
    request: dict[str, Any]
    attempts: int
    api_key_id: str
    workspace: str  # the submitting key's: the document belongs to it


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    failed: int
    cancelled: int = 0

    @property
    def finished(self) -> bool:
        return self.done + self.failed + self.cancelled >= self.total


def new_batch_id() -> str:
    return "bat_" + secrets.token_hex(10)


class QuotaExceeded(ServiceError):
    status = 429
    code = "quota_exceeded"


def waiting_items(session: Session, workspace: str) -> int:
    """Items of the workspace not finished yet (pending or being made)."""
    return session.scalar(select(func.count()).select_from(BatchItem).where(
        BatchItem.workspace == workspace, BatchItem.status.in_((PENDING, RUNNING)))) or 0


def check_quota(session: Session, workspace: str, adding: int) -> None:
    """Refuse a submission that would leave more than the workspace's quota of items
    waiting. The workspace row is written first: that takes its lock (a row lock on
    PostgreSQL, the write lock on SQLite), so two submissions at once cannot both pass."""
    session.execute(update(Workspace).where(Workspace.id == workspace)
                    .values(max_pending_items=Workspace.max_pending_items))
    limit = session.scalar(select(Workspace.max_pending_items)
                           .where(Workspace.id == workspace))
    if limit is None:
        raise ServiceError(f"workspace {workspace} does not exist")
    waiting = waiting_items(session, workspace)
    if waiting + adding > limit:
        raise QuotaExceeded(
            f"workspace {workspace} may have at most {limit} batch items waiting; "
            f"{waiting} are waiting and this batch adds {adding}: wait for batches to "
            "finish, send fewer items, or ask the operator to raise the quota",
            details=[{"field": "documents", "message": f"at most {limit - waiting} more "
                      "items can be queued now"}])


def submit(session: Session, api_key_id: str, requests: Sequence[dict[str, Any] | None],
           errors: dict[int, dict[str, Any]], webhook_url: str | None,
           idempotency_key: str | None, request_sha256: str,
           workspace: str = DEFAULT_WORKSPACE) -> Batch:
    """Queue a batch of `workspace`. `requests[i]` is None where item i was refused at the
    edge (`errors`). Beyond the workspace's quota of waiting items, nothing is queued."""
    check_quota(session, workspace, sum(1 for request in requests if request is not None))
    batch = Batch(id=new_batch_id(), status="queued", total=len(requests),
                  api_key_id=api_key_id, webhook_url=webhook_url, workspace=workspace,
                  idempotency_key=idempotency_key, request_sha256=request_sha256)
    session.add(batch)
    session.flush()
    for start in range(0, len(requests), INSERT_CHUNK):
        session.bulk_insert_mappings(BatchItem, [  # type: ignore[arg-type]
            {"batch_id": batch.id, "index": index, "request": request or {},
             "workspace": workspace,
             "status": PENDING if request is not None else FAILED, "attempts": 0,
             "error": errors.get(index)}
            for index, request in enumerate(requests[start:start + INSERT_CHUNK], start)])
    _finish_if_complete(session, batch.id)  # a batch of refused items only is done at once
    return batch


def cancel(session: Session, batch_id: str) -> bool:
    """Cancel the batch's pending items (running ones finish); True when this finished it.

    Cancelling a cancelled batch changes nothing; the caller refuses a done one first.
    """
    session.execute(update(BatchItem).where(BatchItem.batch_id == batch_id,
                                            BatchItem.status == PENDING)
                    .values(status=CANCELLED, lease_until=None, error=CANCELLED_ERROR))
    session.execute(update(Batch).where(Batch.id == batch_id,
                                        Batch.status.in_(("queued", "running")))
                    .values(status="cancelled"))
    return _finish_if_complete(session, batch_id)


def _cancel_if_batch_cancelled(session: Session, item_id: int, batch_id: str) -> None:
    """An item given back after its batch was cancelled is not pending again."""
    cancelled = exists().where(Batch.id == batch_id, Batch.status == "cancelled")
    session.execute(update(BatchItem).where(BatchItem.id == item_id,
                                            BatchItem.status == PENDING, cancelled)
                    .values(status=CANCELLED, lease_until=None, error=CANCELLED_ERROR))


def _claimable(now: datetime) -> Any:
    """Pending (and, if it was given back, due again), or held by a worker whose lease ran out.
    `lease_until` of a pending item is when a retry may start (None: at once)."""
    return or_(and_(BatchItem.status == PENDING,
                    or_(BatchItem.lease_until.is_(None), BatchItem.lease_until < now)),
               and_(BatchItem.status == RUNNING, BatchItem.lease_until < now))


def claim(db: Database, limit: int, lease: timedelta, item_id: int | None = None
          ) -> list[Claimed]:
    """Lease up to `limit` items (or the one `item_id`) that are pending or whose lease ran out."""
    now = utcnow()
    with db.session() as session:
        locking = session.bind.dialect.name == "postgresql"  # type: ignore[union-attr]
        # Two index range scans in id order (status, id), not one OR over the table: a claim
        # costs the same with 10 or 10,000 items waiting.
        candidates: list[int] = []
        for state in (and_(BatchItem.status == PENDING,
                           or_(BatchItem.lease_until.is_(None), BatchItem.lease_until < now)),
                      and_(BatchItem.status == RUNNING, BatchItem.lease_until < now)):
            query = select(BatchItem.id).where(state).order_by(BatchItem.id).limit(limit)
            query = query.where(BatchItem.id == item_id) if item_id else query
            if locking:
                query = query.with_for_update(skip_locked=True)
            candidates.extend(session.scalars(query))
        if not candidates:
            return []
        # The claimable test is repeated on the UPDATE itself: a row another worker took
        # between the select and the write is then left alone.
        rows = session.execute(
            update(BatchItem)
            .where(BatchItem.id.in_(sorted(candidates)[:limit]), _claimable(now))
            .values(status=RUNNING, lease_until=now + lease, attempts=BatchItem.attempts + 1)
            .returning(BatchItem.id, BatchItem.batch_id, BatchItem.index, BatchItem.request,
                       BatchItem.attempts)
        ).all()
        if not rows:
            return []
        batch_ids = {row.batch_id for row in rows}
        session.execute(update(Batch).where(Batch.id.in_(batch_ids), Batch.status == "queued")
                        .values(status="running"))
        owners = {batch_id: (key, workspace) for batch_id, key, workspace in session.execute(
            select(Batch.id, Batch.api_key_id, Batch.workspace)
            .where(Batch.id.in_(batch_ids))).all()}
    return [Claimed(row.id, row.batch_id, row.index, row.request, row.attempts,
                    *owners[row.batch_id]) for row in rows]


def complete(db: Database, item: Claimed, document_id: str) -> bool:
    """Record the item's document; True when this completed the whole batch."""
    return _settle(db, item, status=DONE, document_id=document_id, error=None)


def fail(db: Database, item: Claimed, error: dict[str, Any]) -> bool:
    """Record why the item cannot be made; True when this completed the whole batch."""
    return _settle(db, item, status=FAILED, document_id=None, error=error)


def release(db: Database, item: Claimed, retry_in: timedelta) -> bool:
    """Give an item back after a passing failure; it may be taken again after `retry_in`
    (unless its batch was cancelled meanwhile: True when that finished the batch)."""
    with db.session() as session:
        session.execute(update(BatchItem).where(BatchItem.id == item.id,
                                                BatchItem.status == RUNNING)
                        .values(status=PENDING, lease_until=utcnow() + retry_in))
        _cancel_if_batch_cancelled(session, item.id, item.batch_id)
        return _finish_if_complete(session, item.batch_id)


def _settle(db: Database, item: Claimed, *, status: str, document_id: str | None,
            error: dict[str, Any] | None) -> bool:
    with db.session() as session:
        session.execute(update(BatchItem).where(BatchItem.id == item.id,
                                                BatchItem.status.in_((PENDING, RUNNING)))
                        .values(status=status, document_id=document_id, error=error,
                                lease_until=None))
        return _finish_if_complete(session, item.batch_id)


def _finish_if_complete(session: Session, batch_id: str) -> bool:
    """Mark the batch done (a cancelled one: finished) once no item is left to make; only
    one caller ever gets True."""
    unfinished = exists().where(BatchItem.batch_id == batch_id,
                                BatchItem.status.in_((PENDING, RUNNING)))
    result = session.execute(update(Batch).where(
        Batch.id == batch_id, Batch.status.in_(("queued", "running")), ~unfinished)
        .values(status="done", finished_at=utcnow()))
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    result = session.execute(update(Batch).where(
        Batch.id == batch_id, Batch.status == "cancelled", Batch.finished_at.is_(None),
        ~unfinished).values(finished_at=utcnow()))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def progress(session: Session, batch_id: str) -> Progress:
    counts = dict(session.execute(
        select(BatchItem.status, func.count()).where(BatchItem.batch_id == batch_id)
        .group_by(BatchItem.status)).all())
    total = sum(counts.values())
    return Progress(total=total, done=counts.get(DONE, 0), failed=counts.get(FAILED, 0),
                    cancelled=counts.get(CANCELLED, 0))


def outcomes(session: Session, batch_id: str) -> list[BatchItem]:
    return list(session.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id)
                                .order_by(BatchItem.index)))


def pending_item_ids(session: Session, batch_id: str) -> list[int]:
    return list(session.scalars(select(BatchItem.id).where(BatchItem.batch_id == batch_id,
                                                           BatchItem.status == PENDING)))


def stranded_item_ids(session: Session) -> list[int]:
    """Items no task will come for: taken by a worker whose lease ran out (it died, or lost
    the database), or given back after a failure and due for another attempt."""
    now = utcnow()
    return list(session.scalars(select(BatchItem.id).where(
        BatchItem.lease_until < now,
        or_(BatchItem.status == RUNNING,
            and_(BatchItem.status == PENDING, BatchItem.attempts > 0)))))

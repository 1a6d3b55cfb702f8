"""The case's trail: every event of a case on one hash chain (service.audit), subject
`case:<id>`. Writers take the case's row lock first, so two of them never chain onto the
same previous event (the UPDATE is the transaction's first statement: SQLite takes its
write lock there, PostgreSQL locks the row)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service import audit
from service.audit import PendingEvent
from service.cases.models import Case
from service.db import Event, utcnow
from service.errors import NotFound
from service.workspaces import HasWorkspace, visible_to


def subject(case_id: str) -> str:
    return f"case:{case_id}"


def lock(session: Session, case_id: str, caller: HasWorkspace | None) -> Case:
    """The case, locked for this transaction; 404 when missing or another workspace's
    (`caller` None: the service itself, e.g. the debtor's signing page or a sweep)."""
    locked = session.execute(update(Case).where(Case.id == case_id)
                             .values(updated_at=utcnow())).rowcount
    case = session.get(Case, case_id) if locked else None
    if case is None or (caller is not None and not visible_to(caller, case.workspace)):
        raise NotFound(f"no case {case_id}")
    return case


def append(session: Session, case: Case, actor: str,
           events: Sequence[PendingEvent]) -> list[Event]:
    """Append to the case's chain (the case must be locked in this transaction)."""
    audit.append(session, subject(case.id), actor, events)
    case.events_count += len(events)
    newest = session.scalars(select(Event).where(Event.subject == subject(case.id))
                             .order_by(Event.id.desc()).limit(len(events)))
    return list(reversed(list(newest)))

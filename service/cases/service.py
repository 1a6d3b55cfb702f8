"""Cases: one claim of a creditor against a debtor, and everything that happens on it.

`CaseFiles` answers the API and the staff pages: create, read, list, log an exchange,
record a payment, change the status, and the sweep that finds broken promises to pay. The
case's timeline is its hash-chained trail (service.cases.trail).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from ulid import ULID

from service import audit
from service import creditors as creditor_profiles
from service.audit import PendingEvent
from service.auth import Caller
from service.cases import trail
from service.cases.models import Case, Promise
from service.cases.schema import TRANSITIONS, CaseIn, ExchangeIn, PaymentIn, StatusIn
from service.db import Database, Document, Event, as_utc, iso_utc, utcnow
from service.domain.references import rf_reference
from service.errors import Conflict, NotFound, Unprocessable
from service.listing import Page, paginate
from service.pipeline import PARIS
from service.signature_requests.models import SignatureRequest
from service.storage import BlobStore
from service.workspaces import HasWorkspace, scoped, visible_to

# Crockford's base32 (no I, L, O, U): read aloud on the phone without confusion.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_LENGTH = 12
EXCHANGE_EVENT = "exchange.logged"
CORRECTION_EVENT = "exchange.corrected"

Webhook = Callable[[Session, str, dict[str, Any]], None]


def new_payment_reference() -> str:
    """A random RF reference (ISO 11649): 12 characters, 60 bits, unique per case."""
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
    return rf_reference(body)


@dataclass(frozen=True)
class Logged:
    """An event just appended, with its number on the case's chain (1 is case.opened)."""

    event: Event
    seq: int


@dataclass(frozen=True)
class CaseView:
    """A case with what its page and its history show."""

    case: Case
    creditor: dict[str, Any]
    events: list[Event]
    chain_valid: bool
    documents: list[Document]
    signature_requests: list[SignatureRequest]
    promises: list[Promise]
    today: date

    @property
    def exchanges(self) -> list[Event]:
        return [ev for ev in self.events if ev.type in (EXCHANGE_EVENT, CORRECTION_EVENT)]

    @property
    def payments(self) -> list[Event]:
        return [ev for ev in self.events if ev.type == "payment.recorded"]

    def broken_promises(self) -> list[Promise]:
        """Broken, or overdue and not yet seen by the sweep: shown either way."""
        return [p for p in self.promises
                if p.status == "broken" or (p.status == "open" and p.due_date < self.today)]

    def balance(self) -> dict[str, str]:
        return balance(self.case, self.payments)


def _invoice_paid(invoice: dict[str, Any]) -> Decimal:
    return sum((Decimal(p["amount"]) for p in invoice.get("payments", [])), Decimal("0"))


def outstanding(case: Case, payments: list[Event]) -> dict[str, Decimal]:
    """What is left of each invoice's amount after the payments known to the case."""
    left = {inv["number"]: Decimal(inv["amount"]) - _invoice_paid(inv) for inv in case.invoices}
    for ev in payments:
        for part in ev.data["allocation"]:
            left[part["invoice_number"]] -= Decimal(part["amount"])
    return left


def balance(case: Case, payments: list[Event]) -> dict[str, str]:
    """Invoiced, paid, and what is left on the invoices: amounts only. It is not the
    principal still due (payments go to accrued penalties first, C. civ. 1343-1), which
    only the décompte computes, with the penalties."""
    invoiced = sum((Decimal(inv["amount"]) for inv in case.invoices), Decimal("0"))
    left = sum(outstanding(case, payments).values(), Decimal("0"))
    return {"invoiced": f"{invoiced:.2f}", "paid": f"{invoiced - left:.2f}",
            "left_on_invoices": f"{left:.2f}"}


def allocate(case: Case, payments: list[Event], payment: PaymentIn) -> list[dict[str, str]]:
    """Which invoices a payment pays. Named: that one. Otherwise the oldest due first (C. civ.
    1342-10: due debts first, then the oldest when the debtor's interest is equal), spilling
    onto the next; a payment over what is left is refused, not guessed at."""
    left = outstanding(case, payments)
    if payment.invoice_number is not None:
        if payment.invoice_number not in left:
            raise Unprocessable(f"the case has no invoice {payment.invoice_number}",
                                code="unknown_invoice")
        order = [payment.invoice_number]
    else:
        order = [inv["number"] for inv in sorted(case.invoices,
                                                 key=lambda i: (i["due_date"], i["number"]))]
    remaining, parts = payment.amount, []
    for number in order:
        share = min(remaining, left[number])
        if share > 0:
            parts.append({"invoice_number": number, "amount": f"{share:.2f}"})
            remaining -= share
    if remaining > 0:
        raise Unprocessable(f"the payment exceeds what is left to pay by {remaining:.2f} €; "
                            "record only what is due", code="overpayment")
    return parts


class CaseFiles:
    def __init__(self, db: Database, store: BlobStore, today: Callable[[], date]) -> None:
        self.db = db
        self.store = store
        self.today = today

    # --- cases ------------------------------------------------------------------------

    def create(self, body: CaseIn, caller: Caller) -> Case:
        with self.db.session() as session:
            creditor = creditor_profiles.get(session, body.creditor_id, caller)
            now = utcnow()
            debtor = body.debtor.model_dump(mode="json", exclude_none=True)
            invoices = [inv.model_dump(mode="json", exclude_none=True) for inv in body.invoices]
            for _ in range(3):  # 60 random bits: a collision is a curiosity, retried anyway
                reference = new_payment_reference()
                if session.scalar(select(Case.id).where(Case.payment_reference == reference)):
                    continue
                break
            case = Case(id=f"case_{ULID()}", workspace=creditor.workspace,
                        creditor_id=creditor.id, debtor=debtor, debtor_name=body.debtor.name,
                        invoices=invoices, external_reference=body.external_reference,
                        payment_reference=reference, status="open", events_count=0,
                        api_key_id=caller.key_id, created_at=now, updated_at=now)
            session.add(case)
            session.flush()
            trail.append(session, case, caller.key_id, [PendingEvent("case.opened", {
                "creditor_id": creditor.id, "creditor_version": creditor.version,
                "debtor": debtor, "invoices": invoices,
                "external_reference": body.external_reference,
                "payment_reference": reference})])
            return case

    def get(self, case_id: str, caller: HasWorkspace) -> Case:
        with self.db.session() as session:
            return _visible(session, case_id, caller)

    def view(self, case_id: str, caller: HasWorkspace) -> CaseView:
        with self.db.session() as session:
            case = _visible(session, case_id, caller)
            creditor = session.get(creditor_profiles.CreditorProfile, case.creditor_id)
            events = audit.trail(session, trail.subject(case.id))
            documents = list(session.scalars(select(Document).where(
                Document.case_id == case.id).order_by(Document.created_at, Document.id)))
            requests = list(session.scalars(select(SignatureRequest).where(
                SignatureRequest.case_id == case.id).order_by(SignatureRequest.created_at)))
            promises = list(session.scalars(select(Promise).where(
                Promise.case_id == case.id).order_by(Promise.id)))
            return CaseView(case, creditor.profile if creditor else {}, events,
                            audit.verify_chain(events), documents, requests, promises,
                            self.today())

    def listing(self, caller: HasWorkspace, *, status: str | None = None,
                debtor: str | None = None, creditor: str | None = None, q: str | None = None,
                external_reference: str | None = None, cursor: str | None = None,
                limit: int = 50) -> Page[Case]:
        stmt = scoped(select(Case), Case.workspace, caller)
        if status:
            stmt = stmt.where(Case.status == status)
        if creditor:
            stmt = stmt.where(Case.creditor_id == creditor)
        if debtor:
            stmt = stmt.where(_debtor_starts(debtor))
        if external_reference:
            stmt = stmt.where(Case.external_reference == external_reference)
        if q:
            # Each branch has its index (on PostgreSQL the debtor prefix uses
            # ix_cases_ws_debtor_lower): a search never reads the workspace's every case.
            q = q.strip()
            stmt = stmt.where(or_(_debtor_starts(q), Case.external_reference == q,
                                  Case.payment_reference == q.replace(" ", "").upper(),
                                  Case.id == q))
        with self.db.session() as session:
            return paginate(session, stmt, Case.created_at, Case.id, cursor, limit)

    def change_status(self, case_id: str, body: StatusIn, caller: Caller) -> Case:
        with self.db.session() as session:
            case = trail.lock(session, case_id, caller)
            if body.status == case.status:
                return case
            if body.status not in TRANSITIONS[case.status]:
                allowed = ", ".join(TRANSITIONS[case.status]) or "none: it is final"
                raise Conflict(f"a case that is {case.status} cannot become {body.status} "
                               f"(possible: {allowed})", code="invalid_transition")
            trail.append(session, case, caller.key_id, [PendingEvent("case.status_changed", {
                "from": case.status, "to": body.status, "reason": body.reason})])
            case.status = body.status
            return case

    # --- exchanges and payments -------------------------------------------------------

    def add_exchange(self, case_id: str, body: ExchangeIn, actor: str,
                     caller: HasWorkspace) -> Logged:
        attachment = None
        if body.attachment is not None:
            data = base64.b64decode(body.attachment.content_base64)
            attachment = {"filename": body.attachment.filename,
                          "media_type": body.attachment.media_type,
                          "sha256": self.store.put(data), "bytes": len(data)}
        occurred = as_utc(body.occurred_at) if body.occurred_at else utcnow()
        if occurred > utcnow():
            raise Unprocessable("occurred_at is in the future: log an exchange once it has "
                                "happened", code="future_exchange")
        # The promise runs from the day it was made (a call logged the next morning counts a
        # payment made in between).
        promised_on = occurred.astimezone(PARIS).date()
        if body.promise is not None and body.promise.date < promised_on:
            raise Unprocessable("the promised date is before the exchange: a promise to pay "
                                "is for a later day", code="promise_in_the_past")
        record = body.model_dump(mode="json", exclude_none=True,
                                 exclude={"attachment", "occurred_at", "corrects"})
        record["occurred_at"] = iso_utc(occurred)
        if attachment:
            record["attachment"] = attachment
        with self.db.session() as session:
            case = trail.lock(session, case_id, caller)
            event_type = EXCHANGE_EVENT
            if body.corrects is not None:
                corrected = session.scalar(select(Event).where(
                    Event.subject == trail.subject(case.id), Event.hash == body.corrects))
                if corrected is None or corrected.type not in (EXCHANGE_EVENT,
                                                               CORRECTION_EVENT):
                    raise Unprocessable("corrects must be the hash of an exchange of this case",
                                        code="unknown_event")
                record["corrects"] = body.corrects
                event_type = CORRECTION_EVENT
                # A corrected promise no longer counts: the correction carries the true one.
                session.execute(update(Promise).where(
                    Promise.case_id == case.id, Promise.event_hash == body.corrects,
                    Promise.status == "open").values(status="withdrawn", closed_at=utcnow()))
            (event,) = trail.append(session, case, actor, [PendingEvent(event_type, record)])
            logged = Logged(event, case.events_count)
            if body.promise is not None:
                session.add(Promise(workspace=case.workspace, case_id=case.id,
                                    event_hash=event.hash, promised_on=promised_on,
                                    due_date=body.promise.date,
                                    amount=f"{body.promise.amount:.2f}", status="open"))
            return logged

    def record_payment(self, case_id: str, body: PaymentIn, caller: Caller) -> Logged:
        if body.date > self.today():
            raise Unprocessable(f"the payment is dated {body.date}, after today: record a "
                                "payment once it is received", code="future_payment")
        with self.db.session() as session:
            case = trail.lock(session, case_id, caller)
            payments = _payments(session, case)
            parts = allocate(case, payments, body)
            record = {**body.model_dump(mode="json", exclude_none=True), "allocation": parts}
            (event,) = trail.append(session, case, caller.key_id,
                                    [PendingEvent("payment.recorded", record)])
            logged = Logged(event, case.events_count)
            self._settle_promises(session, case, [*payments, event], caller.key_id)
            return logged

    def _settle_promises(self, session: Session, case: Case, payments: list[Event],
                         actor: str) -> None:
        for promise in session.scalars(select(Promise).where(Promise.case_id == case.id,
                                                             Promise.status == "open")):
            if _paid_for(promise, payments) >= Decimal(promise.amount):
                promise.status, promise.closed_at = "kept", utcnow()
                trail.append(session, case, actor, [PendingEvent("promise.kept", {
                    "promise_event": promise.event_hash, "amount": promise.amount,
                    "due_date": promise.due_date.isoformat()})])

    def sweep_promises(self, webhook: Webhook | None) -> int:
        """Mark as broken the promises whose date has passed without payment, and tell the
        creditor's system (`case.promise_broken`). Returns how many broke."""
        today = self.today()
        with self.db.session() as session:
            due = list(session.execute(select(Promise.id, Promise.case_id).where(
                Promise.status == "open", Promise.due_date < today).limit(200)))
        broken = 0
        for promise_id, case_id in due:
            with self.db.session() as session:
                case = trail.lock(session, case_id, None)
                promise = session.get(Promise, promise_id)
                if promise is None or promise.status != "open":
                    continue  # another worker's sweep got there first
                paid = _paid_for(promise, _payments(session, case))
                if paid >= Decimal(promise.amount):
                    promise.status, promise.closed_at = "kept", utcnow()
                    continue
                promise.status, promise.closed_at = "broken", utcnow()
                data = {"case_id": case.id, "payment_reference": case.payment_reference,
                        "external_reference": case.external_reference,
                        "promise": {"date": promise.due_date.isoformat(),
                                    "amount": promise.amount, "paid": f"{paid:.2f}",
                                    "exchange_hash": promise.event_hash}}
                trail.append(session, case, "amiable", [PendingEvent("promise.broken", data)])
                if webhook is not None:
                    webhook(session, "case.promise_broken", data)
                broken += 1
        return broken

    def attachment(self, case_id: str, sha256: str,
                   caller: HasWorkspace) -> tuple[dict[str, Any], bytes]:
        view = self.view(case_id, caller)
        for ev in view.exchanges:
            found = ev.data.get("attachment")
            if found and found["sha256"] == sha256:
                return found, self.store.get(sha256)
        raise NotFound(f"case {case_id} has no attached file {sha256}")


def _visible(session: Session, case_id: str, caller: HasWorkspace) -> Case:
    case = session.get(Case, case_id)
    if case is None or not visible_to(caller, case.workspace):
        raise NotFound(f"no case {case_id}")
    return case


def _payments(session: Session, case: Case) -> list[Event]:
    return list(session.scalars(select(Event).where(
        Event.subject == trail.subject(case.id), Event.type == "payment.recorded")
        .order_by(Event.id)))


def _paid_for(promise: Promise, payments: list[Event]) -> Decimal:
    """Paid from the day of the promise through its date (a later payment does not keep it)."""
    total = Decimal("0")
    for ev in payments:
        paid_on = date.fromisoformat(ev.data["date"])
        if promise.promised_on <= paid_on <= promise.due_date:
            total += Decimal(ev.data["amount"])
    return total


def _debtor_starts(prefix: str) -> Any:
    """The debtor's name starts with `prefix`, whatever the case."""
    return func.lower(Case.debtor_name).like(f"{_like(prefix.lower())}%", escape="\\")


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def case_json(case: Case) -> dict[str, Any]:
    base = f"/v1/cases/{case.id}"
    return {"id": case.id, "status": case.status, "creditor_id": case.creditor_id,
            "debtor": case.debtor, "invoices": case.invoices,
            "external_reference": case.external_reference,
            "payment_reference": case.payment_reference, "first_letter": case.first_letter,
            "workspace": case.workspace,
            "created_at": iso_utc(case.created_at), "updated_at": iso_utc(case.updated_at),
            "links": {"self": base, "exchanges": f"{base}/exchanges",
                      "payments": f"{base}/payments", "history": f"{base}/history.pdf",
                      "export": f"{base}/export.zip"}}


def event_json(ev: Event, seq: int) -> dict[str, Any]:
    return {"seq": seq, **audit.event_json(ev)}


__all__ = ["CaseFiles", "CaseView", "case_json", "event_json"]

"""What ties documents and signature requests to their case and creditor profile.

Before a document request is validated, `fill_request` completes its JSON from the stored
profile and case (the caller may send `creditor_id`/`case_id` instead of whole blocks); the
document keeps the completed copy, so a later profile change never alters it. When the
document is stored, `record_document` adds it to the case's chain in the same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from service import creditors
from service.audit import PendingEvent
from service.cases import trail
from service.cases.models import Case
from service.db import Document
from service.errors import NotFound, Unprocessable
from service.workspaces import HasWorkspace, visible_to

LETTER_KINDS = ("relance", "mise_en_demeure")
# A settled or closed claim is not owed: no letter may claim it (a document would say what is
# not due).
NO_DOCUMENTS = ("settled", "closed")


def _refuse_if_over(case: Case) -> None:
    if case.status in NO_DOCUMENTS:
        raise Unprocessable(f"case {case.id} is {case.status}: nothing is claimed on it any more",
                            code="case_closed",
                            details=[{"field": "case_id", "message": f"the case is {case.status}"}])


def fill_request(session: Session, raw: dict[str, Any], caller: HasWorkspace) -> dict[str, Any]:
    """`raw` with the blocks its `creditor_id` and `case_id` name filled in (a new dict)."""
    creditor_id, case_id = raw.get("creditor_id"), raw.get("case_id")
    if not (isinstance(creditor_id, str) or isinstance(case_id, str)):
        return raw
    filled = dict(raw)
    case = None
    if isinstance(case_id, str):
        case = session.get(Case, case_id)
        if case is None or not visible_to(caller, case.workspace):
            raise NotFound(f"no case {case_id}", details=[{"field": "case_id",
                                                           "message": "unknown case"}])
        _refuse_if_over(case)
        if creditor_id is not None and creditor_id != case.creditor_id:
            raise Unprocessable(f"case {case_id} is the claim of creditor {case.creditor_id}, "
                                f"not {creditor_id}", code="creditor_mismatch")
        if raw.get("reference") not in (None, case.payment_reference):
            raise Unprocessable(f"a document of case {case_id} quotes its payment reference "
                                f"{case.payment_reference}; leave reference out",
                                code="reference_mismatch")
        filled["creditor_id"] = creditor_id = case.creditor_id
        filled["reference"] = case.payment_reference
        filled.setdefault("debtor", case.debtor)
        filled.setdefault("invoices", case.invoices)
        if case.external_reference:
            filled.setdefault("external_reference", case.external_reference)
    assert isinstance(creditor_id, str)
    try:
        profile = creditors.get(session, creditor_id, caller)
    except NotFound:
        raise NotFound(f"no creditor {creditor_id}",
                       details=[{"field": "creditor_id", "message": "unknown creditor"}]) from None
    blocks = creditors.request_blocks(profile)
    filled.setdefault("creditor", blocks["creditor"])
    if "agency" in blocks and "agency" not in raw:
        agency = dict(blocks["agency"])
        if case is not None and case.first_letter:
            agency["first_letter"] = case.first_letter
        filled["agency"] = agency
    penalties = dict(raw.get("penalties") or {})
    for key, value in blocks["penalties"].items():
        penalties.setdefault(key, value)
    filled["penalties"] = penalties
    return filled


def record_document(session: Session, document: Document, issued_on: date, actor: str,
                    caller: HasWorkspace) -> None:
    """In the document's own transaction: the case's chain names it; the first letter of
    the case is remembered (an agency repeats its reference in every later one)."""
    if document.case_id is None:
        return
    case = trail.lock(session, document.case_id, caller)
    _refuse_if_over(case)  # settled while the document was being rendered
    document.workspace = case.workspace  # an operator's admin may write in any workspace
    trail.append(session, case, actor, [PendingEvent("document.issued", {
        "document_id": document.id, "kind": document.kind, "sha256": document.pdf_sha256,
        "issued_on": issued_on.isoformat(), "total": document.figures.get("total")})])
    if case.first_letter is None and document.kind in LETTER_KINDS:
        case.first_letter = {"reference": document.id, "date": issued_on.isoformat()}


def case_of_signature(document: Document, case_id: str | None) -> str | None:
    """The case a signature request belongs to: its document's (a request naming another
    case is refused)."""
    if case_id is not None and case_id != document.case_id:
        raise Unprocessable(f"document {document.id} is not part of case {case_id}",
                            code="case_mismatch")
    return document.case_id


def record_signature_request(session: Session, case_id: str, request_id: str,
                             event_type: str, data: dict[str, Any], actor: str,
                             caller: HasWorkspace | None) -> None:
    case = trail.lock(session, case_id, caller)
    events = [PendingEvent(event_type, {"signature_request_id": request_id, **data})]
    if event_type == "signature_request.signed" and case.status == "open":
        # The debtor signed a payment plan: the case is now an agreement to follow.
        events.append(PendingEvent("case.status_changed", {
            "from": "open", "to": "agreement", "reason": "échéancier signé par le débiteur"}))
        case.status = "agreement"
    trail.append(session, case, actor, events)

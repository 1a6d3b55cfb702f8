"""Creditor profiles, cases, their exchanges and payments, and the listings of documents and
signature requests. Each handler only translates HTTP to a call of service.creditors or
service.cases and back; every lookup is scoped to the caller's workspace there."""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from service import creditors, listings
from service.cases.schema import STATUSES, CaseIn, ExchangeIn, PaymentIn, StatusIn
from service.cases.service import CaseFiles, case_json, event_json
from service.creditors.schema import CreditorProfileIn
from service.documents import document_json
from service.errors import BadRequest, NotFound, ServiceError
from service.listing import parse_datetime, parse_limit
from service.web.api import api
from service.web.openapi import json_object
from service.web.ops_models import _Event
from service.web.schemas import DocumentOut, ErrorOut
from service.web.sign import SignatureRequestOut, request_json
from service.web.webhooks import _VERIFY as SIGNED_WEBHOOKS

bp = Blueprint("cases_api", __name__)
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422)}
DOCUMENT_KINDS = ("relance", "mise_en_demeure", "echeancier")
REQUEST_STATUSES = ("pending", "signed", "locked", "expired", "cancelled")
MAX_LOGO_BODY = 512 * 1024


class BrokenPromise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: str = Field(description="the day the debtor promised to pay by")
    amount: str
    paid: str = Field(description="what was paid from the promise through its date")
    exchange_hash: str = Field(pattern=r"^[0-9a-f]{64}$",
                               description="the exchange of the case that recorded it")


class PromiseBrokenData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: str
    payment_reference: str
    external_reference: str | None
    promise: BrokenPromise


class PromiseBrokenEvent(_Event):
    """The envelope of every webhook (id, created_at, and since tenancy its workspace)."""

    type: Literal["case.promise_broken"]
    data: PromiseBrokenData


api.webhook("case.promise_broken", PromiseBrokenEvent,
            summary="A promise to pay passed its date without the payment",
            description="Sent to `AMIABLE_WEBHOOK_URL` the day after the promised date.\n\n"
            + SIGNED_WEBHOOKS)


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class CreditorOut(Open):
    id: str
    name: str
    version: int
    links: dict[str, str]


class CreditorList(BaseModel):
    items: list[CreditorOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")


class CaseOut(Open):
    id: str
    status: str
    creditor_id: str
    payment_reference: str = Field(description="RF reference (ISO 11649) printed on every "
                                   "letter of the case")
    links: dict[str, str]


class CaseList(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class CaseDetail(CaseOut):
    chain_valid: bool
    balance: dict[str, str]
    timeline: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    signature_requests: list[dict[str, Any]]
    exchanges: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    promises: list[dict[str, Any]]


class CaseEventOut(Open):
    seq: int
    type: str
    hash: str


class DocumentList(BaseModel):
    items: list[DocumentOut]
    next_cursor: str | None


class SignatureRequestList(BaseModel):
    items: list[SignatureRequestOut]
    next_cursor: str | None


PAGE = {"cursor": "the next_cursor of the previous page", "limit": "1 to 200 (default 50)"}
CREATED = {"created_after": "a date or an ISO date-time (UTC when bare), inclusive",
           "created_before": "a date or an ISO date-time, exclusive"}


def _services() -> Any:
    return current_app.extensions["amiable"]


def _cases() -> CaseFiles:
    return _services().cases


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}", code="invalid_filter")
    return value


# --- creditor profiles --------------------------------------------------------------------

@api.operation(bp, "POST", "/v1/creditors", tag="creditors", role="legal",
               body=CreditorProfileIn, summary="Store a creditor profile (identity printed on "
               "its letters, IBAN, mediator, collection-agency mandate)",
               responses={201: CreditorOut, **ERRORS})
def create_creditor(body: CreditorProfileIn) -> tuple[Response, int, dict[str, str]]:
    with _services().db.session() as session:
        row = creditors.create(session, body, g.caller)
        out = creditors.profile_json(row)
    return jsonify(out), 201, {"Location": out["links"]["self"]}


@api.operation(bp, "GET", "/v1/creditors", tag="creditors", role="legal",
               summary="Creditor profiles, newest first (`q`: part of the name)",
               query={"q": "part of the name", **PAGE},
               responses={200: CreditorList, **ERRORS})
def list_creditors() -> Response:
    with _services().db.session() as session:
        page = creditors.listing(session, g.caller, q=request.args.get("q") or None,
                                 cursor=request.args.get("cursor"),
                                 limit=parse_limit(request.args.get("limit")))
        items = [creditors.profile_json(row) for row in page.items]
    return jsonify({"items": items, "next_cursor": page.next_cursor})


@api.operation(bp, "GET", "/v1/creditors/<creditor_id>", tag="creditors", role="legal",
               summary="A creditor profile", responses={200: CreditorOut, **ERRORS})
def get_creditor(creditor_id: str) -> Response:
    with _services().db.session() as session:
        return jsonify(creditors.profile_json(creditors.get(session, creditor_id, g.caller)))


@api.operation(bp, "PATCH", "/v1/creditors/<creditor_id>", tag="creditors", role="legal",
               body_media_type="application/json",
               summary="Change a profile (JSON merge patch: null removes a field)",
               description="The whole profile is checked again. Documents already issued "
               "keep the identity they were issued with.",
               responses={200: CreditorOut, **ERRORS})
def patch_creditor(creditor_id: str) -> Response:
    changes = json_object()
    with _services().db.session() as session:
        row = creditors.update(session, creditor_id, changes, g.caller)
        return jsonify(creditors.profile_json(row))


@api.operation(bp, "PUT", "/v1/creditors/<creditor_id>/logo", tag="creditors", role="legal",
               body_media_type="image/png",
               summary="Set the logo: a PNG or a self-contained SVG (image/svg+xml), 256 KiB "
               "at most", responses={200: CreditorOut, **ERRORS})
def put_logo(creditor_id: str) -> Response:
    if request.content_length is not None and request.content_length > MAX_LOGO_BODY:
        raise TooLarge("the logo is too large (256 KiB at most)", code="logo_too_large")
    data = request.get_data(cache=False)
    with _services().db.session() as session:
        row = creditors.set_logo(session, _services().store, creditor_id, data,
                                 request.mimetype, g.caller)
        return jsonify(creditors.profile_json(row))


@api.operation(bp, "GET", "/v1/creditors/<creditor_id>/logo", tag="creditors", role="legal",
               summary="The logo", responses={200: ("image/png", "image/svg+xml"), **ERRORS})
def get_logo(creditor_id: str) -> Response:
    with _services().db.session() as session:
        row = creditors.get(session, creditor_id, g.caller)
        if row.logo_sha256 is None:
            raise NotFound(f"creditor {creditor_id} has no logo")
        sha, media_type = row.logo_sha256, row.logo_media_type
    response = Response(_services().store.get(sha), mimetype=media_type)
    # An SVG is an active document in a browser: never render it as a page here.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "attachment"
    return response


# --- cases ----------------------------------------------------------------------------------

@api.operation(bp, "POST", "/v1/cases", tag="cases", role="system", body=CaseIn,
               summary="Open a case: a creditor's claim against a debtor, with a stable "
               "payment reference", responses={201: CaseOut, **ERRORS})
def create_case(body: CaseIn) -> tuple[Response, int, dict[str, str]]:
    out = case_json(_cases().create(body, g.caller))
    return jsonify(out), 201, {"Location": out["links"]["self"]}


@api.operation(bp, "GET", "/v1/cases", tag="cases", role="system",
               summary="Cases, newest first: filters status, debtor (name prefix), creditor "
               "(profile id), external_reference, q (debtor name prefix, external or "
               "payment reference, or case id)",
               query={"status": ", ".join(STATUSES), "debtor": "start of the debtor's name",
                      "creditor": "a creditor profile id",
                      "external_reference": "the caller's reference, exactly",
                      "q": "debtor name prefix, external or payment reference, or case id",
                      **PAGE},
               responses={200: CaseList, **ERRORS})
def list_cases() -> Response:
    args = request.args
    page = _cases().listing(g.caller, status=_choice("status", STATUSES),
                            debtor=args.get("debtor") or None,
                            creditor=args.get("creditor") or None, q=args.get("q") or None,
                            external_reference=args.get("external_reference") or None,
                            cursor=args.get("cursor"), limit=parse_limit(args.get("limit")))
    return jsonify({"items": [case_json(c) for c in page.items],
                    "next_cursor": page.next_cursor})


@api.operation(bp, "GET", "/v1/cases/<case_id>", tag="cases", role="system",
               summary="A case with its timeline: documents, signature requests, exchanges, "
               "payments, promises, status", responses={200: CaseDetail, **ERRORS})
def get_case(case_id: str) -> Response:
    view = _cases().view(case_id, g.caller)
    timeline = [event_json(ev, seq) for seq, ev in enumerate(view.events, start=1)]
    seq_of = {ev.hash: seq for seq, ev in enumerate(view.events, start=1)}
    broken = {p.id for p in view.broken_promises()}
    return jsonify({
        **case_json(view.case), "chain_valid": view.chain_valid, "balance": view.balance(),
        "timeline": timeline,
        "documents": [document_json(d) for d in view.documents],
        "signature_requests": [request_json(r) for r in view.signature_requests],
        "exchanges": [event_json(ev, seq_of[ev.hash]) for ev in view.exchanges],
        "payments": [{**event_json(ev, seq_of[ev.hash]), "links": {
            "quittance": f"/v1/cases/{case_id}/payments/{seq_of[ev.hash]}/quittance.pdf"}}
            for ev in view.payments],
        "promises": [{"date": p.due_date.isoformat(), "amount": p.amount,
                      "status": "broken" if p.id in broken else p.status,
                      "exchange_hash": p.event_hash} for p in view.promises],
    })


@api.operation(bp, "POST", "/v1/cases/<case_id>/status", tag="cases", role="system",
               body=StatusIn, summary="Move the case: open, agreement, settled, litigation, "
               "closed", responses={200: CaseOut, **ERRORS})
def change_status(case_id: str, body: StatusIn) -> Response:
    return jsonify(case_json(_cases().change_status(case_id, body, g.caller)))


@api.operation(bp, "POST", "/v1/cases/<case_id>/exchanges", tag="cases", role="system",
               body=ExchangeIn, summary="Log an exchange: call, e-mail, letter, meeting, note",
               description="Append-only and hash-chained with the case's other events; a "
               "correction is a new exchange whose `corrects` names the event it corrects.",
               responses={201: CaseEventOut, **ERRORS})
def add_exchange(case_id: str, body: ExchangeIn) -> tuple[Response, int]:
    logged = _cases().add_exchange(case_id, body, g.caller.key_id, g.caller)
    return jsonify(event_json(logged.event, logged.seq)), 201


@api.operation(bp, "GET", "/v1/cases/<case_id>/files/<sha256>", tag="cases", role="system",
               summary="A file attached to an exchange", responses={200: "application/octet-stream",
                                                                    **ERRORS})
def get_attachment(case_id: str, sha256: str) -> Response:
    meta, data = _cases().attachment(case_id, sha256, g.caller)
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = "attachment"
    response.headers["X-Original-Content-Type"] = meta["media_type"]
    return response


@api.operation(bp, "POST", "/v1/cases/<case_id>/payments", tag="cases", role="system",
               body=PaymentIn, summary="Record a payment received on the case",
               responses={201: CaseEventOut, **ERRORS})
def add_payment(case_id: str, body: PaymentIn) -> tuple[Response, int]:
    logged = _cases().record_payment(case_id, body, g.caller)
    return jsonify(event_json(logged.event, logged.seq)), 201


# --- listings of documents and signature requests ----------------------------------------

@api.operation(bp, "GET", "/v1/documents", tag="documents", role="system",
               summary="Documents, newest first: filters kind, status, created_after, "
               "created_before, case_id, external_reference; cursor pagination",
               query={"kind": ", ".join(DOCUMENT_KINDS), "status": "sealed", **CREATED,
                      "case_id": "a case id", "external_reference": "exactly", **PAGE},
               responses={200: DocumentList, **ERRORS})
def list_documents() -> Response:
    args = request.args
    with _services().db.session() as session:
        page = listings.documents(session, g.caller, _filters(
            kind=_choice("kind", DOCUMENT_KINDS), status=_choice("status", ("sealed",))),
            args.get("cursor"), parse_limit(args.get("limit")))
        items = [document_json(d) for d in page.items]
    return jsonify({"items": items, "next_cursor": page.next_cursor})


@api.operation(bp, "GET", "/v1/signature-requests", tag="signature requests", role="system",
               summary="Signature requests, newest first: filters status, document_id, "
               "case_id, created_after, created_before; cursor pagination",
               query={"status": ", ".join(REQUEST_STATUSES), "document_id": "a document id",
                      "case_id": "a case id", **CREATED, **PAGE},
               responses={200: SignatureRequestList, **ERRORS})
def list_signature_requests() -> Response:
    args = request.args
    with _services().db.session() as session:
        page = listings.signature_requests(session, g.caller, _filters(
            status=_choice("status", REQUEST_STATUSES),
            document_id=args.get("document_id") or None),
            args.get("cursor"), parse_limit(args.get("limit")))
        items = [request_json(r) for r in page.items]
    return jsonify({"items": items, "next_cursor": page.next_cursor})


def _filters(**given: str | None) -> listings.Filters:
    args = request.args
    return listings.Filters(
        **given, case_id=args.get("case_id") or None,
        external_reference=args.get("external_reference") or None,
        created_after=parse_datetime("created_after", args.get("created_after")),
        created_before=parse_datetime("created_before", args.get("created_before")))


# --- the dossier as documents ---------------------------------------------------------------

def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@api.operation(bp, "GET", "/v1/cases/<case_id>/history.pdf", tag="cases", role="system",
               summary="Historique du dossier: parties, claim, documents with their sha256, "
               "exchanges, signature evidence, the whole chain (sealed PDF/A)",
               responses={200: "application/pdf", **ERRORS})
def history_pdf(case_id: str) -> Response:
    view = _cases().view(case_id, g.caller)
    return _pdf(_services().dossier.history(view), f"historique-{case_id}.pdf")


@api.operation(bp, "GET", "/v1/cases/<case_id>/decompte.pdf", tag="cases", role="system",
               summary="Décompte: the claim itemised as of today (sealed PDF/A)",
               responses={200: "application/pdf", **ERRORS})
def statement_pdf(case_id: str) -> Response:
    view = _cases().view(case_id, g.caller)
    return _pdf(_services().dossier.statement(view), f"decompte-{case_id}.pdf")


@api.operation(bp, "GET", "/v1/cases/<case_id>/payments/<int:seq>/quittance.pdf", tag="cases",
               role="system", summary="Quittance of a payment (CPCE R124-6), sealed",
               responses={200: "application/pdf", **ERRORS})
def receipt_pdf(case_id: str, seq: int) -> Response:
    view = _cases().view(case_id, g.caller)
    return _pdf(_services().dossier.receipt(view, seq), f"quittance-{case_id}-{seq}.pdf")


@api.operation(bp, "GET", "/v1/cases/<case_id>/export.zip", tag="cases", role="system",
               summary="Everything for an injonction de payer: sealed PDFs, signed agreements "
               "with evidence, history, décompte, manifest.json with sha256s",
               responses={200: "application/zip", **ERRORS})
def export_zip(case_id: str) -> Response:
    view = _cases().view(case_id, g.caller)
    response = Response(_services().dossier.export(view), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="dossier-{case_id}.zip"'
    return response

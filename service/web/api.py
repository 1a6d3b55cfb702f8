"""API v1 routes. Each handler only translates: HTTP in, a service call, HTTP out."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from service import rates as rate_store
from service.cases import links as case_links
from service.clock import today_in_paris
from service.documents import document_json
from service.domain.rates import Semester, SemesterRates
from service.errors import BadRequest, Forbidden, Unprocessable
from service.simulation import simulate
from service.web.openapi import ApiDescription
from service.web.schemas import (
    DocumentOut,
    DocumentRequest,
    ErrorOut,
    EventsOut,
    FiguresOut,
    Health,
    RateOut,
    RatesIn,
    RatesOut,
)
from service.workspaces import DEFAULT_WORKSPACE

bp = Blueprint("api", __name__)
log = logging.getLogger("amiable.web")
api = ApiDescription(title="Amiable API", version="1")
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                          409: ErrorOut, 413: ErrorOut, 422: ErrorOut}


def _services() -> Any:
    return current_app.extensions["amiable"]


def _errors(*codes: int) -> dict[int, Any]:
    return {code: ERRORS[code] for code in codes}


@api.operation(bp, "GET", "/healthz", summary="Liveness", tag="service",
               responses={200: Health})
def healthz() -> Response:
    services = _services()
    try:
        with services.db.session() as session:
            table = rate_store.current_rates(session)
    except SQLAlchemyError:
        # Liveness does not hang on the database (/readyz is for that): rates unknown.
        log.warning("healthz: the rates could not be read", exc_info=True)
        return jsonify({"status": "ok", "rates": None})
    rates = rate_store.status(table, today_in_paris(services.settings.clock))
    return jsonify({"status": "ok", "rates": rates.to_json()})


def idempotency_key() -> str | None:
    """The request's Idempotency-Key header, checked (it is stored and echoed in errors)."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 200 and key.isprintable()):
        raise BadRequest("Idempotency-Key must be 1 to 200 printable characters")
    return key


def fill_from_profiles(raw: dict[str, Any]) -> dict[str, Any]:
    """`creditor_id` and `case_id` complete the request from the stored profile and case."""
    with _services().db.session() as session:
        return case_links.fill_request(session, raw, g.caller)


@api.operation(bp, "POST", "/v1/documents", tag="documents", role="system", body=DocumentRequest,
               summary="Make a relance, mise en demeure or échéancier: figures, PDF, seal",
               description="Send `Idempotency-Key` to make retries safe: the same key and body "
               "return the same document; the same key with another body is a 409. "
               "`creditor_id` and `case_id` fill the blocks they name from the stored "
               "creditor profile and case; the document keeps its own copy.",
               prepare=fill_from_profiles,
               responses={201: DocumentOut, **_errors(400, 401, 403, 409, 413, 422)})
def create_document(body: DocumentRequest) -> tuple[Response, int, dict[str, str]]:
    key = idempotency_key()
    issued = _services().documents.issue(body, g.caller, key)
    body_json = document_json(issued.document)
    headers = {"Location": body_json["links"]["self"]}
    if not issued.created:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(body_json), 201, headers


@api.operation(bp, "POST", "/v1/figures", tag="documents", role="system", body=DocumentRequest,
               summary="The figures of a request for any day (2019-01-01 to today), issuing "
               "nothing",
               description="The same body as POST /v1/documents; answers only `figures`, as if "
               "the document were issued on `as_of` (its deadline counted from it). Nothing is "
               "sealed, stored or audited, and none of the issuing rules apply: an invoice not "
               "yet due owes no penalties, a settled one shows zero. Bad input, an overpayment "
               "or a missing rate is a 422.",
               responses={200: FiguresOut, **_errors(400, 401, 403, 413, 422)})
def figures(body: DocumentRequest) -> Response:
    services = _services()
    computed = simulate(services.db, body, services.settings.clock)
    return jsonify({"figures": computed.to_json()})


@api.operation(bp, "GET", "/v1/documents/<doc_id>", tag="documents", role="system",
               summary="A document: figures, template, hashes, seal",
               responses={200: DocumentOut, **_errors(401, 403, 404)})
def get_document(doc_id: str) -> Response:
    return jsonify(document_json(_services().documents.get(doc_id, g.caller)))


@api.operation(bp, "GET", "/v1/documents/<doc_id>/pdf", tag="documents", role="system",
               summary="The sealed PDF", responses={200: "application/pdf",
                                                    **_errors(401, 403, 404)})
def get_pdf(doc_id: str) -> Response:
    document, data = _services().documents.pdf(doc_id, g.caller)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{document.kind}-{doc_id}.pdf"'
    response.set_etag(document.pdf_sha256)
    return response.make_conditional(request)


@api.operation(bp, "GET", "/v1/documents/<doc_id>/events", tag="documents", role="system",
               summary="The document's audit trail (hash-chained)",
               responses={200: EventsOut, **_errors(401, 403, 404)})
def get_events(doc_id: str) -> Response:
    events, valid = _services().documents.events(doc_id, g.caller)
    return jsonify({"document_id": doc_id, "chain_valid": valid, "events": events})


def _rate_text(rate: Decimal | None) -> str | None:
    return None if rate is None else str(rate)


def _rate_json(row: SemesterRates, operator: set[str]) -> dict[str, Any]:
    label = row.semester.label
    return {"semester": label, "ecb_rate": str(row.ecb),
            "legal_rate_individual": _rate_text(row.legal_individual),
            "legal_rate_other": _rate_text(row.legal_other), "source": row.source,
            "origin": "operator" if label in operator else "shipped"}


@api.operation(bp, "GET", "/v1/rates", tag="rates", role="system",
               summary="ECB and legal-interest rates per semester, with their sources",
               responses={200: RatesOut, **_errors(401, 403)})
def list_rates() -> Response:
    with _services().db.session() as session:
        table = rate_store.current_rates(session)
        operator = rate_store.operator_semesters(session)
    rows = sorted(table.rows.values(), key=lambda r: (r.semester.year, r.semester.half))
    return jsonify({"rates": [_rate_json(r, operator) for r in rows]})


@api.operation(bp, "PUT", "/v1/rates/<semester>", tag="rates", role="legal", body=RatesIn,
               summary="Enter a semester's rates (e.g. 2026-S2) without a release "
               "(the operator's keys only: rates are shared by every workspace)",
               responses={200: RateOut, **_errors(400, 401, 403, 422)})
def put_rates(semester: str, body: RatesIn) -> Response:
    if g.caller.workspace != DEFAULT_WORKSPACE:
        # Rates are shared: one workspace entering them would change every other's letters.
        raise Forbidden("rates are shared by every workspace: only the operator's keys "
                        "(default workspace) may enter them")
    try:
        parsed = Semester.parse(semester)
    except ValueError:
        raise Unprocessable(f"{semester!r} is not a semester; write it like 2026-S2",
                            code="invalid_semester") from None
    row = SemesterRates(semester=parsed, ecb=body.ecb_rate,
                        legal_individual=body.legal_rate_individual,
                        legal_other=body.legal_rate_other, source=body.source)
    with _services().db.session() as session:
        rate_store.set_rates(session, row, g.caller.key_id)
    return jsonify(_rate_json(row, {parsed.label}))

"""Signature requests: the `/v1/signature-requests` API and the debtor's `/sign/<token>` page.

The page works without JavaScript (plain forms posting back to the token URL) and loads
nothing from elsewhere: its stylesheet and the document's page images come from this
blueprint, under a CSP that allows nothing else. Forms carry a CSRF token bound to the
signing-session cookie (see `service.signature_requests.tokens`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
)
from pydantic import BaseModel, ConfigDict, Field

from service.db import iso_utc
from service.rendering.formatting import amount, date_long
from service.signature_requests import SignatureService, signatures
from service.signature_requests.clientip import client_ip, parse_networks
from service.signature_requests.models import SignatureRequest
from service.signature_requests.otp import CODE_VALIDITY
from service.signature_requests.service import (
    CONSENT_TEXT,
    SIGNED_LINK_LIFETIME,
    SigningPage,
    SigningRefused,
    Visit,
    paris_time,
)
from service.signature_requests.tokens import csrf_ok, csrf_token, new_session_id, session_ref
from service.web.api import api
from service.web.fields import Text
from service.web.schemas import Email, ErrorOut, Strict

bp = Blueprint("sign", __name__, template_folder="templates")
STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "amiable_sign"
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'")
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 422)}
TAG = "signature requests"
# What a form posted to a request that is no longer pending gets (a replay after signing: 409).
CLOSED_STATUS = {"signed": 409, "locked": 423, "cancelled": 410, "expired": 410}


# --- API --------------------------------------------------------------------------------

class Signer(Strict):
    name: Text
    email: Email


class SignatureRequestIn(Strict):
    document_id: Annotated[str, Field(min_length=1, max_length=40)]
    signer: Signer
    expires_in_days: Annotated[int, Field(ge=1, le=90)] = 14
    send_email: bool = True
    case_id: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="the document's case (by default the request joins it anyway)")


class SignatureRequestLinks(BaseModel):
    self: str
    pdf: str | None = Field(None, description="the signed PDF, once signed")
    evidence: str


class SignatureRequestOut(BaseModel):
    id: str
    document_id: str
    case_id: str | None = None
    status: str = Field(description="pending, signed, locked, expired or cancelled")
    signer: dict[str, str]
    created_at: str
    expires_at: str
    closed_at: str | None = None
    url: str | None = Field(None, description="the signing link; only when it is made "
                            "(creation, remind): Amiable keeps only its hash")
    links: SignatureRequestLinks


class EvidenceOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    request: dict[str, Any]
    signer: dict[str, str]
    chain_valid: bool
    events: list[dict[str, Any]]


def _service() -> SignatureService:
    return signatures(current_app)


def request_json(row: SignatureRequest, url: str | None = None) -> dict[str, Any]:
    base = f"/v1/signature-requests/{row.id}"
    return {
        "id": row.id, "document_id": row.document_id, "case_id": row.case_id,
        "status": row.status,
        "signer": {"name": row.signer_name, "email": row.signer_email},
        "created_at": iso_utc(row.created_at), "expires_at": iso_utc(row.expires_at),
        "closed_at": iso_utc(row.closed_at) if row.closed_at else None,
        "url": url,
        "links": {"self": base, "pdf": f"{base}/pdf" if row.signed_pdf_sha256 else None,
                  "evidence": f"{base}/evidence"},
    }


@api.operation(bp, "POST", "/v1/signature-requests", tag=TAG, role="system",
               body=SignatureRequestIn,
               summary="Invite a debtor to sign an échéancier online",
               description="Answers the signing link in `url` and e-mails it to the signer "
               "unless `send_email` is false. One pending request per document.",
               responses={201: SignatureRequestOut, 503: ErrorOut,
                          **ERRORS})
def create_request(body: SignatureRequestIn) -> tuple[Response, int, dict[str, str]]:
    row, url = _service().create(body.document_id, body.signer.name, body.signer.email,
                                 body.expires_in_days, body.send_email, g.caller,
                                 case_id=body.case_id)
    out = request_json(row, url)
    return jsonify(out), 201, {"Location": out["links"]["self"]}


@api.operation(bp, "GET", "/v1/signature-requests/<request_id>", tag=TAG, role="system",
               summary="A signature request and its status",
               responses={200: SignatureRequestOut, **ERRORS})
def get_request(request_id: str) -> Response:
    return jsonify(request_json(_service().get(request_id, g.caller)))


@api.operation(bp, "POST", "/v1/signature-requests/<request_id>/cancel", tag=TAG,
               role="system", summary="Cancel a pending request (its link answers 410)",
               responses={200: SignatureRequestOut, **ERRORS})
def cancel_request(request_id: str) -> Response:
    return jsonify(request_json(_service().cancel(request_id, g.caller)))


@api.operation(bp, "POST", "/v1/signature-requests/<request_id>/remind", tag=TAG,
               role="system", summary="E-mail the signer again, with a new link",
               description="The previous link stops working: only the newest one is valid.",
               responses={200: SignatureRequestOut, 503: ErrorOut, **ERRORS})
def remind_request(request_id: str) -> Response:
    row, url = _service().remind(request_id, g.caller)
    return jsonify(request_json(row, url))


@api.operation(bp, "GET", "/v1/signature-requests/<request_id>/pdf", tag=TAG, role="system",
               summary="The signed PDF: debtor's signature, evidence, organisation seal",
               responses={200: "application/pdf", **ERRORS})
def signed_pdf(request_id: str) -> Response:
    response = Response(_service().signed_pdf(request_id, g.caller), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="echeancier-{request_id}.pdf"'
    return response


@api.operation(bp, "GET", "/v1/signature-requests/<request_id>/evidence", tag=TAG,
               role="system", summary="The dossier de preuve (hash-chained events) as JSON",
               responses={200: EvidenceOut, **ERRORS})
def evidence(request_id: str) -> Response:
    return jsonify(_service().evidence(request_id, g.caller))


# --- the debtor's page ------------------------------------------------------------------

def _secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _visit(session_id: str) -> Visit:
    settings = current_app.extensions["amiable"].settings
    proxies = parse_networks(settings.trusted_proxies)
    ip = client_ip(request.remote_addr, request.headers.get("X-Forwarded-For"), proxies)
    return Visit(ip=ip, user_agent=request.headers.get("User-Agent", "")[:500],
                 session=session_ref(session_id))


def _schedule(page: SigningPage) -> list[dict[str, str]]:
    rows = []
    for item in page.document.figures.get("schedule", []):
        label = "Versement initial" if item["kind"] == "down_payment" else \
            f"Échéance {item['number']}"
        rows.append({"label": label, "date": date_long(date.fromisoformat(item["due_date"])),
                     "amount": amount(Decimal(item["amount"]))})
    return rows


def _render(token: str, page: SigningPage | None, session_id: str, *, status: int = 200,
            message: str | None = None, state: str | None = None,
            form: dict[str, str] | None = None, code_sent_to: str | None = None) -> Response:
    context: dict[str, Any] = {"token": token, "message": message, "form": form or {},
                               "code_sent_to": code_sent_to, "state": state,
                               "csrf": csrf_token(token, session_id)}
    if page is not None:
        creditor = page.document.request["creditor"]["name"]
        context |= {
            "creditor": creditor, "debtor": page.document.request["debtor"]["name"],
            "signer": page.request.signer_name, "total": amount(page.amount),
            "schedule": _schedule(page), "pages": len(page.request.page_sha256s),
            "expires": paris_time(page.request.expires_at), "consent_text": CONSENT_TEXT,
            "download_until": paris_time(page.request.closed_at + SIGNED_LINK_LIFETIME)
            if page.request.closed_at else None,
            "code_minutes": int(CODE_VALIDITY.total_seconds() // 60),
            "state": state or (page.request.status if page.request.status != "pending"
                               else None),
        }
    response = Response(render_template("sign/page.html", **context), status=status,
                        mimetype="text/html")
    secure = current_app.extensions["amiable"].settings.public_url.startswith("https://")
    response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Strict",
                        secure=secure, path="/sign/")
    return _secure_headers(response)


def _session_id() -> str:
    current = request.cookies.get(SESSION_COOKIE, "")
    return current if 20 <= len(current) <= 64 else new_session_id()


@bp.get("/sign/<token>")
def sign_page(token: str) -> Response:
    session_id = _session_id()
    try:
        page = _service().open(token, _visit(session_id))
    except SigningRefused as refused:
        return _render(token, None, session_id, status=refused.status, message=refused.message,
                       state="unknown")
    if page.archived:
        return _render(token, page, session_id, status=410, message=page.archived_message,
                       state="archived")
    status = 200 if page.request.status == "signed" else \
        CLOSED_STATUS.get(page.request.status, 200)
    return _render(token, page, session_id, status=status)


@bp.post("/sign/<token>")
def sign_submit(token: str) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    service = _service()
    form = {"mention_words": request.form.get("mention_words", "")[:500],
            "mention_figures": request.form.get("mention_figures", "")[:50]}
    try:
        page = service.open(token, None)
    except SigningRefused as refused:
        return _render(token, None, _session_id(), status=refused.status,
                       message=refused.message, state="unknown")
    if page.request.status != "pending":  # nothing to do here any more: say why
        return _render(token, page, _session_id(), status=CLOSED_STATUS[page.request.status])
    if not csrf_ok(token, session_id, request.form.get("csrf")):
        return _render(token, page, _session_id(), status=403, form=form,
                       message="Votre session a expiré. Rechargez la page et recommencez.")
    assert session_id is not None
    visit = _visit(session_id)
    action = request.form.get("action")
    try:
        if action == "send_code":
            sent_to = service.send_code(token, visit)
            return _render(token, page, session_id, form=form, code_sent_to=sent_to)
        if action == "sign":
            service.sign(token, visit, words=form["mention_words"],
                         figures=form["mention_figures"],
                         consent=request.form.get("consent") == "yes",
                         code=request.form.get("code", "")[:20])
            return _secure_headers(redirect(f"/sign/{token}", code=303))  # type: ignore[arg-type]
    except SigningRefused as refused:
        page = service.open(token, None)
        return _render(token, page, session_id, status=refused.status, form=form,
                       message=refused.message, state=refused.state)
    return _render(token, page, session_id, status=400, form=form,
                   message="Action inconnue : utilisez les boutons du formulaire.")


@bp.get("/sign/<token>/pages/<int:number>.png")
def page_image(token: str, number: int) -> Response:
    try:
        data = _service().page_image(token, number)
    except SigningRefused as refused:
        return _secure_headers(Response(refused.message, status=refused.status,
                                        mimetype="text/plain"))
    response = Response(data, mimetype="image/png")
    return _secure_headers(response)


@bp.get("/sign/<token>/document.pdf")
def document_pdf(token: str) -> Response:
    try:
        row, data = _service().document_pdf(token)
    except SigningRefused as refused:
        if refused.state == "archived":  # a page saying where to get it, not a bare error
            return _render(token, _service().open(token, None), _session_id(),
                           status=refused.status, message=refused.message, state="archived")
        return _secure_headers(Response(refused.message, status=refused.status,
                                        mimetype="text/plain"))
    name = "echeancier-signe" if row.signed_pdf_sha256 else "echeancier"
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return _secure_headers(response)


@bp.get("/sign-assets/sign.css")
def stylesheet() -> Response:
    response = Response((STATIC_DIR / "sign.css").read_bytes(), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

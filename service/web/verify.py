"""Verification: `POST /v1/verify` for systems, `/verify` and `/verify/<id>` for anyone.

The public pages need no login: a debtor, a judge or an expert can check a document. They
show only what the document itself proves (hashes, seal, signers' certificates, dates), never
the parties' data. Each check logs one line (verdict, size, time); the public upload is
limited per client address, since anyone may call it.
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from flask import Blueprint, Response, current_app, g, jsonify, render_template, request

from service import ratelimit
from service.db import Document, utcnow
from service.errors import BadRequest, Unprocessable
from service.page_images import page_images
from service.signature_requests import signatures
from service.signature_requests.clientip import client_ip, parse_networks
from service.signature_requests.service import SIGNER_CA_CRL_PATH
from service.trust import trust_roots
from service.verification import Verification, verify
from service.web.api import api
from service.web.errors import error_response
from service.web.schemas import ErrorOut, VerificationOut
from service.workspaces import DEFAULT_WORKSPACE, visible_to
from signing import MODIFICATIONS_IN_WORDS, InvalidPdfError
from signing.bounded import BoundedValidator, VerifierBusyError
from signing.errors import PdfTooComplexError
from signing.validation import MAX_REVISIONS, MAX_SIGNATURES

log = logging.getLogger("amiable.verify")
bp = Blueprint("verify", __name__, template_folder="templates")
KIND_FR = {"relance": "Relance", "mise_en_demeure": "Mise en demeure",
           "echeancier": "Échéancier (reconnaissance de dette)"}
MAX_PDF_BYTES = 25 * 1024 * 1024  # a sealed letter is ~30 kB; room for scans and annexes
PAGE_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# Public uploads per client address, counted in the database for every worker: a person checks
# a few files; a verification costs up to a few seconds of a worker process.
# (`AMIABLE_VERIFY_RATE` in app.config: (count, seconds))
DEFAULT_RATE = (20, 600)


def _validator() -> BoundedValidator:
    extensions = current_app.extensions
    if "amiable_verifier" not in extensions:
        extensions["amiable_verifier"] = BoundedValidator()
    validator: BoundedValidator = extensions["amiable_verifier"]
    return validator


def _check(pdf: bytes, channel: str) -> Verification:
    services = current_app.extensions["amiable"]
    settings = services.settings
    roots = trust_roots(settings.keys_dir, services.sealer.identity.chain, settings.trust_roots)
    started = time.perf_counter()
    try:
        result = verify(pdf, roots, services.db, _validator())
    except InvalidPdfError as exc:
        log.info("verify channel=%s bytes=%d verdict=refused ms=%.0f reason=%s", channel,
                 len(pdf), (time.perf_counter() - started) * 1000, type(exc).__name__)
        raise
    log.info("verify channel=%s bytes=%d verdict=%s signatures=%d revisions=%d ms=%.0f",
             channel, len(pdf), result.verdict, len(result.signatures), result.revisions,
             (time.perf_counter() - started) * 1000)
    return result


def _refusal(exc: InvalidPdfError) -> tuple[str, str]:
    """(code, English message) for the API, from why the file was refused."""
    if isinstance(exc, PdfTooComplexError):
        return "pdf_too_complex", (
            f"this PDF is beyond what a verification examines ({exc}); Amiable's files have "
            f"at most {MAX_REVISIONS} revisions and {MAX_SIGNATURES} signatures")
    return "not_a_pdf", f"this file is not a readable PDF ({exc})"


@api.operation(bp, "POST", "/v1/verify", tag="verification", role="system",
               body_media_type="application/pdf",
               summary="Check a PDF: is it exactly a file Amiable issued?",
               responses={200: VerificationOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut,
                          422: ErrorOut, 503: ErrorOut})
def verify_api() -> Response:
    request.max_content_length = MAX_PDF_BYTES
    if request.mimetype != "application/pdf":
        raise BadRequest("send the PDF itself as the body with Content-Type: application/pdf")
    pdf = request.get_data()
    if not pdf:
        raise BadRequest("the body is empty: send the PDF to check")
    try:
        result = _check(pdf, "api")
    except InvalidPdfError as exc:
        code, message = _refusal(exc)
        raise Unprocessable(message, code=code) from None
    except VerifierBusyError as exc:
        busy = error_response(503, "verification_busy", str(exc))
        busy.headers["Retry-After"] = "30"
        return busy
    document = result.document
    visible = document is None or visible_to(
        g.caller, getattr(document, "workspace", DEFAULT_WORKSPACE))
    return jsonify(result.as_dict(show_document=visible))


def _page(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(render_template(template, kinds=KIND_FR,
                                        modifications=MODIFICATIONS_IN_WORDS, **context),
                        status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _rate_limited() -> bool:
    services = current_app.extensions["amiable"]
    count, seconds = current_app.config.get("AMIABLE_VERIFY_RATE", DEFAULT_RATE)
    proxies = parse_networks(services.settings.trusted_proxies)
    address = client_ip(request.remote_addr, request.headers.get("X-Forwarded-For"), proxies)
    return not ratelimit.allow(services.db, "verify", address, count, seconds, utcnow())


def _data_uris(pdf: bytes) -> list[str]:
    return ["data:image/png;base64," + base64.b64encode(png).decode() for png in page_images(pdf)]


@bp.get("/verify")
def verify_form() -> Response:
    return _page("verify/form.html")


@bp.post("/verify")
def verify_upload() -> Response:
    if _rate_limited():
        response = _page("verify/form.html", 429, error=(
            "Trop de vérifications depuis votre adresse : réessayez dans quelques minutes."))
        response.headers["Retry-After"] = str(current_app.config.get(
            "AMIABLE_VERIFY_RATE", DEFAULT_RATE)[1])
        return response
    request.max_content_length = MAX_PDF_BYTES
    upload = request.files.get("file")
    pdf = upload.read() if upload else b""
    if not pdf:
        return _page("verify/form.html", 400, error="Choisissez un fichier PDF à vérifier.")
    try:
        result = _check(pdf, "page")
    except VerifierBusyError:
        return _page("verify/form.html", 503, error=(
            "Le service de vérification est très sollicité : réessayez dans une minute."))
    except PdfTooComplexError:
        return _page("verify/form.html", 422, error=(
            "Ce fichier est trop complexe pour être vérifié (trop de révisions, de signatures "
            "ou d'objets) : ce n'est pas un document tel qu'Amiable les émet."))
    except InvalidPdfError:
        return _page("verify/form.html", 422,
                     error="Ce fichier n'est pas un PDF lisible : il ne peut pas être vérifié.")
    issued_pages: list[str] = []
    uploaded_pages: list[str] = []
    if result.verdict == "modified" and result.matched_revision is not None:
        issued_pages = _data_uris(_revision_bytes(pdf, result))
        uploaded_pages = _data_uris(pdf)
    return _page("verify/result.html", result=result,
                 filename=upload.filename if upload else "",
                 issued_pages=issued_pages, uploaded_pages=uploaded_pages)


def _revision_bytes(pdf: bytes, result: Verification) -> bytes:
    """The file as it was at the revision we issued (the matched signature's end)."""
    matched = [s for s in result.signatures if s.revision == result.matched_revision
               and s.signed_revision_end is not None]
    return pdf[:matched[-1].signed_revision_end] if matched else pdf


@bp.get(SIGNER_CA_CRL_PATH)
def signer_ca_crl() -> Response:
    """The CRL of the CA that certifies debtors' one-time keys (their distribution point)."""
    crl = signatures(current_app).ca.crl()
    response = Response(crl.public_bytes(serialization.Encoding.DER),
                        mimetype="application/pkix-crl")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/verify/<doc_id>")
def verify_document(doc_id: str) -> Response:
    with current_app.extensions["amiable"].db.session() as session:
        document = session.get(Document, doc_id)
    if document is None:
        return _page("verify/document.html", 404, document=None, doc_id=doc_id)
    return _page("verify/document.html", document=document, doc_id=doc_id)

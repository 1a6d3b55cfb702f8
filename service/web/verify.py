"""Verification: `POST /v1/verify` for systems, `/verify` and `/verify/<id>` for anyone.

The public pages need no login: a debtor, a judge or an expert can check a document. They
show only what the document itself proves (hashes, seal, dates), never the parties' data.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from service.db import Document
from service.errors import BadRequest, Unprocessable
from service.verification import Verification, trust_roots, verify
from service.web.api import api
from service.web.schemas import ErrorOut, VerificationOut
from signing import MODIFICATIONS_IN_WORDS, InvalidPdfError

bp = Blueprint("verify", __name__, template_folder="templates")
KIND_FR = {"relance": "Relance", "mise_en_demeure": "Mise en demeure",
           "echeancier": "Échéancier (reconnaissance de dette)"}
MAX_PDF_BYTES = 25 * 1024 * 1024  # a sealed letter is ~30 kB; room for scans and annexes
PAGE_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _check(pdf: bytes) -> Verification:
    services = current_app.extensions["amiable"]
    settings = services.settings
    roots = trust_roots(settings.keys_dir, services.sealer.identity.chain, settings.trust_roots)
    return verify(pdf, roots, services.db)


@api.operation(bp, "POST", "/v1/verify", tag="verification", role="system",
               body_media_type="application/pdf",
               summary="Check a PDF's signatures and whether Amiable issued it",
               responses={200: VerificationOut, 400: ErrorOut, 401: ErrorOut, 413: ErrorOut,
                          422: ErrorOut})
def verify_api() -> Response:
    request.max_content_length = MAX_PDF_BYTES
    if request.mimetype != "application/pdf":
        raise BadRequest("send the PDF itself as the body with Content-Type: application/pdf")
    pdf = request.get_data()
    if not pdf:
        raise BadRequest("the body is empty: send the PDF to check")
    try:
        result = _check(pdf)
    except InvalidPdfError as exc:
        raise Unprocessable(f"this file is not a readable PDF ({exc})", code="not_a_pdf") from None
    return jsonify(result.as_dict())


def _page(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(render_template(template, kinds=KIND_FR,
                                        modifications=MODIFICATIONS_IN_WORDS, **context),
                        status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/verify")
def verify_form() -> Response:
    return _page("verify/form.html")


@bp.post("/verify")
def verify_upload() -> Response:
    request.max_content_length = MAX_PDF_BYTES
    upload = request.files.get("file")
    pdf = upload.read() if upload else b""
    if not pdf:
        return _page("verify/form.html", 400, error="Choisissez un fichier PDF à vérifier.")
    try:
        result = _check(pdf)
    except InvalidPdfError:
        return _page("verify/form.html", 422,
                     error="Ce fichier n'est pas un PDF lisible : il ne peut pas être vérifié.")
    return _page("verify/result.html", result=result, filename=upload.filename if upload else "")


@bp.get("/verify/<doc_id>")
def verify_document(doc_id: str) -> Response:
    with current_app.extensions["amiable"].db.session() as session:
        document = session.get(Document, doc_id)
    if document is None:
        return _page("verify/document.html", 404, document=None, doc_id=doc_id)
    return _page("verify/document.html", document=document, doc_id=doc_id)

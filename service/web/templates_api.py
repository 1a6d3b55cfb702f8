"""Template versions over HTTP (role `legal`): upload, check, preview, publish, roll back.

Every handler only translates; the work is in service.authoring.service. Also serves a
document's filled Word file (role `system`), next to its PDF.
"""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel
from werkzeug.exceptions import RequestEntityTooLarge

from service.authoring.inspect import Problem
from service.authoring.service import TemplateAuthoring, authoring_for
from service.authoring.validation import MAX_UPLOAD_BYTES, TemplateRefused
from service.authoring.variables import kind_context
from service.catalog import VersionView, require_kind
from service.db import iso_utc
from service.errors import BadRequest, NotFound
from service.web.api import ERRORS, api
from service.web.openapi import parse_json_object
from service.web.schemas import DocumentRequest, EventOut

bp = Blueprint("templates_api", __name__)
TAG = "templates"
PREFIX = "/v1/templates"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Content-Type of each source format, exactly as sent (content_type=, not mimetype=: Flask
# would add a second "; charset=utf-8" to a mimetype that already has one).
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "docx": DOCX_MIME}
# The multipart envelope around the file (boundaries, the note) needs a little room.
UPLOAD_ENVELOPE_BYTES = 64 * 1024


class TemplateVersionOut(BaseModel):
    name: str
    version: int
    status: Literal["draft", "published", "retired"]
    format: Literal["html", "docx"]
    sha256: str
    note: str
    author: str
    created_at: str
    links: dict[str, str]


class UploadedOut(TemplateVersionOut):
    variables: list[str]


class VersionsOut(BaseModel):
    name: str
    versions: list[TemplateVersionOut]


class TemplateKindOut(BaseModel):
    name: str
    published: TemplateVersionOut | None


class TemplatesOut(BaseModel):
    templates: list[TemplateKindOut]


class VariableOut(BaseModel):
    name: str
    type: str
    optional: bool
    example: Any
    description: str
    choices: list[str] | None = None


class FilterOut(BaseModel):
    name: str
    example: str
    description: str


class VariablesOut(BaseModel):
    name: str
    variables: list[VariableOut]
    filters: list[FilterOut]


class DiffOut(BaseModel):
    name: str
    from_version: int
    to_version: int
    diff: str


class TemplateEventsOut(BaseModel):
    name: str
    chain_valid: bool
    events: list[EventOut]


def _errors(*codes: int) -> dict[int, Any]:
    return {code: ERRORS[code] for code in codes}


def _authoring() -> TemplateAuthoring:
    return authoring_for(current_app)


def version_json(row: VersionView) -> dict[str, Any]:
    base = f"{PREFIX}/{row.name}/versions/{row.version}"
    return {"name": row.name, "version": row.version, "status": row.status,
            "format": row.format, "sha256": row.sha256, "note": row.note, "author": row.author,
            "created_at": iso_utc(row.created_at),
            "links": {"self": base, "source": f"{base}/source", "preview": f"{base}/preview",
                      "publish": f"{base}/publish"}}


@api.operation(bp, "GET", PREFIX, tag=TAG, role="legal",
               summary="The template kinds, each with its published version",
               responses={200: TemplatesOut, **_errors(401, 403)})
def list_templates() -> Response:
    kinds = _authoring().kinds(g.caller.workspace)
    return jsonify({"templates": [
        {"name": name, "published": version_json(row) if row else None}
        for name, row in kinds]})


@api.operation(bp, "GET", f"{PREFIX}/<name>/variables", tag=TAG, role="legal",
               summary="Every variable and filter a template of this kind may use, "
               "with an example value", responses={200: VariablesOut, **_errors(401, 403, 404)})
def variables(name: str) -> Response:
    require_kind(name)
    context = kind_context(name)
    return jsonify({"name": name,
                    "variables": [v.as_dict() for v in context.variables.values()],
                    "filters": [f.as_dict() for f in context.filters]})


@api.operation(bp, "GET", f"{PREFIX}/<name>/versions", tag=TAG, role="legal",
               summary="The versions of a kind, oldest first",
               responses={200: VersionsOut, **_errors(401, 403, 404)})
def list_versions(name: str) -> Response:
    rows = _authoring().versions(g.caller.workspace, name)
    return jsonify({"name": name, "versions": [version_json(row) for row in rows]})


def _uploaded_file() -> tuple[str, bytes, str]:
    """(filename, bytes, note) of the multipart upload; a file too large is a 422."""
    request.max_content_length = MAX_UPLOAD_BYTES + UPLOAD_ENVELOPE_BYTES
    try:
        upload = request.files.get("file")
        note = request.form.get("note", "")
    except RequestEntityTooLarge:
        raise TemplateRefused([Problem("", f"le fichier dépasse "
                                           f"{MAX_UPLOAD_BYTES // 2**20} Mo")]) from None
    if upload is None:
        raise BadRequest("send the template as multipart/form-data in a field named 'file'",
                         details=[{"field": "file", "message": "missing"}])
    return upload.filename or "", upload.read(MAX_UPLOAD_BYTES + 1), note


@api.operation(bp, "POST", f"{PREFIX}/<name>/versions", tag=TAG, role="legal",
               body_media_type="multipart/form-data",
               summary="Upload a new draft version (.html or .docx), checked before it is kept",
               description="Multipart fields: `file` (.html or .docx, at most 5 MB) and an "
               "optional `note`. A template with errors is a 422 whose details list every "
               "problem (line or paragraph, unknown variables with the closest known one).",
               responses={201: UploadedOut, **_errors(400, 401, 403, 404, 409, 422)})
def upload_version(name: str) -> tuple[Response, int, dict[str, str]]:
    filename, data, note = _uploaded_file()
    uploaded = _authoring().upload(g.caller.workspace, name, filename, data, note,
                                   author=g.caller.key_id)
    body = {**version_json(uploaded.version), "variables": uploaded.variables}
    return jsonify(body), 201, {"Location": body["links"]["self"]}


@api.operation(bp, "GET", f"{PREFIX}/<name>/versions/<int:version>", tag=TAG, role="legal",
               summary="One version", responses={200: TemplateVersionOut,
                                                  **_errors(401, 403, 404)})
def get_version(name: str, version: int) -> Response:
    return jsonify(version_json(_authoring().version(g.caller.workspace, name, version)))


@api.operation(bp, "GET", f"{PREFIX}/<name>/versions/<int:version>/source", tag=TAG,
               role="legal", summary="The file as uploaded (a starting point for a new version)",
               responses={200: tuple(MEDIA_TYPES.values()), **_errors(401, 403, 404)})
def get_source(name: str, version: int) -> Response:
    source = _authoring().source(g.caller.workspace, name, version)
    response = Response(source.data, content_type=MEDIA_TYPES[source.format])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-v{version}.{source.format}"')
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(source.sha256)
    return response


def _optional_request() -> DocumentRequest | None:
    if not request.get_data(cache=True):
        return None
    try:
        payload = parse_json_object(request.get_data(cache=True))
    except BadRequest as exc:
        raise BadRequest("send no body (sample data) or a document request as a JSON object "
                         f"({exc.message})") from None
    return DocumentRequest.model_validate(payload)


@api.operation(bp, "POST", f"{PREFIX}/<name>/versions/<int:version>/preview", tag=TAG,
               role="legal", summary="The version as a PDF, filled with the kind's sample data "
               "or the document request sent as body (not sealed)",
               responses={200: "application/pdf", **_errors(400, 401, 403, 404, 422)})
def preview(name: str, version: int) -> Response:
    pdf = _authoring().preview(g.caller.workspace, name, version, _optional_request())
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="apercu-{name}-v{version}.pdf"'
    return response


@api.operation(bp, "POST", f"{PREFIX}/<name>/versions/<int:version>/publish", tag=TAG,
               role="legal", summary="Publish the version: new documents use it (publishing an "
               "earlier version rolls back)",
               responses={200: TemplateVersionOut, **_errors(401, 403, 404)})
def publish(name: str, version: int) -> Response:
    row = _authoring().publish(g.caller.workspace, name, version, g.caller.key_id)
    return jsonify(version_json(row))


@api.operation(bp, "POST", f"{PREFIX}/<name>/versions/<int:version>/retire", tag=TAG,
               role="legal", summary="Retire a draft (the published version cannot be)",
               responses={200: TemplateVersionOut, **_errors(401, 403, 404, 409)})
def retire(name: str, version: int) -> Response:
    row = _authoring().retire(g.caller.workspace, name, version, g.caller.key_id)
    return jsonify(version_json(row))


@api.operation(bp, "GET", f"{PREFIX}/<name>/diff/<int:old>/<int:new>", tag=TAG, role="legal",
               summary="What changed between two versions (HTML source, or the text of a DOCX)",
               responses={200: DiffOut, **_errors(401, 403, 404)})
def diff(name: str, old: int, new: int) -> Response:
    return jsonify({"name": name, "from_version": old, "to_version": new,
                    "diff": _authoring().diff(g.caller.workspace, name, old, new)})


@api.operation(bp, "GET", f"{PREFIX}/<name>/events", tag=TAG, role="legal",
               summary="The kind's audit trail: uploads, publications, rollbacks (hash-chained)",
               responses={200: TemplateEventsOut, **_errors(401, 403, 404)})
def events(name: str) -> Response:
    trail, valid = _authoring().history(g.caller.workspace, name)
    return jsonify({"name": name, "chain_valid": valid, "events": trail})


@api.operation(bp, "GET", "/v1/documents/<doc_id>/docx", tag="documents", role="system",
               summary="The filled Word file of a document made from a .docx template",
               responses={200: DOCX_MIME, **_errors(401, 403, 404)})
def get_docx(doc_id: str) -> Response:
    services = current_app.extensions["amiable"]
    document = services.documents.get(doc_id, g.caller)
    if document.docx_sha256 is None:
        raise NotFound(f"document {doc_id} was made from an HTML template: it has no DOCX",
                       code="no_docx")
    response = Response(services.store.get(document.docx_sha256), mimetype=DOCX_MIME)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{document.kind}-{doc_id}.docx"')
    response.set_etag(document.docx_sha256)
    return response.make_conditional(request)

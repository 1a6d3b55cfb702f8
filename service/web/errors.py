"""The one place where exceptions become JSON error responses.

Shape: {"error": {"code", "message", "details": [{"field", "message"}]}}. Bad input never
reaches the 500 handler: it is caught at the edge (pydantic) or raised as a 4xx error.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Flask, Response, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from service.domain.errors import DomainError
from service.errors import (
    ServiceError,
    summarize,
    validation_details,
)
from signing import SealUnavailableError

log = logging.getLogger("amiable.web")


def error_response(status: int, code: str, message: str,
                   details: list[dict[str, Any]] | None = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or []}})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError) -> Response:
        details = validation_details(exc)
        return error_response(422, "invalid_request", summarize(details), details)

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        return error_response(422, exc.code, exc.message, list(exc.details))

    @app.errorhandler(SealUnavailableError)
    def _seal_unavailable(exc: SealUnavailableError) -> Response:
        # The TSA or the revocation service is down: nothing was sealed, a retry may work.
        response = error_response(503, "seal_unavailable", f"the document could not be "
                                  f"sealed now, retry later: {exc}")
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        if exc.status >= 500:  # not the caller's doing: the operator must hear of it
            log.error("%s: %s", exc.code, exc.message)
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 500, code, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        incident = secrets.token_hex(6)
        log.exception("unexpected error, incident %s", incident)
        return error_response(500, "internal_error",
                              f"an unexpected error occurred (incident {incident})")

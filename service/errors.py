"""Errors the service layer raises for the edge to map to HTTP.

    ServiceError            code, message, details; `status` is the HTTP status it maps to
    ├── BadRequest          400 a body that is not JSON, or not an object
    ├── Unauthorized        401 no API key, or an unknown one
    ├── Forbidden           403 the key lacks the operation's role
    ├── NotFound            404 unknown id, template or version
    ├── Conflict            409 e.g. an Idempotency-Key reused with another body
    ├── Unprocessable       422 valid JSON that the business rules refuse
    └── Unavailable         503 a capability this server cannot offer now (e.g. no jail
                                for LibreOffice)

Domain errors (service.domain.errors.DomainError) map to 422 as well.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class ServiceError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


class BadRequest(ServiceError):
    status = 400
    code = "malformed_request"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Unprocessable(ServiceError):
    status = 422
    code = "unprocessable"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """A pydantic error as the API's field errors: [{"field": "a.b", "message": ...}]."""
    details = []
    for err in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in err["loc"]) or None
        message = err["msg"].removeprefix("Value error, ")
        details.append({"field": field, "message": message})
    return details


def summarize(details: list[dict[str, Any]]) -> str:
    """One sentence naming the first problem, for callers who read only the message."""
    first = details[0]
    where = f" ({first['field']})" if first["field"] else ""
    summary = f"the request is invalid{where}: {first['message']}"
    if len(details) > 1:
        summary += f" (and {len(details) - 1} more)"
    return summary

"""Declare each API operation once: the route, the caller's role, the request model and the
response models. The same declaration validates requests and generates /openapi.json, so the
published description cannot drift from what the service accepts."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from service.auth import Caller, authenticate
from service.errors import BadRequest, Forbidden, Unauthorized


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    role: str | None
    body: type[BaseModel] | None
    body_media_type: str | None
    responses: dict[int, ResponseSpec]
    description: str = ""
    security: bool = False
    query: dict[str, str] = field(default_factory=dict)  # query parameter -> description


# What an operation answers with one status: a JSON model, one media type (a file or text),
# several media types (e.g. a template source, HTML or DOCX), or nothing.
ResponseSpec = type[BaseModel] | str | tuple[str, ...] | None


@dataclass
class Webhook:
    name: str
    summary: str
    description: str
    payload: type[BaseModel]


@dataclass
class ApiDescription:
    title: str
    version: str
    operations: list[Operation] = field(default_factory=list)
    webhooks: list[Webhook] = field(default_factory=list)
    webhook_headers: list[dict[str, Any]] = field(default_factory=list)

    def webhook(self, name: str, payload: type[BaseModel], *, summary: str,
                description: str = "") -> None:
        """Describe an event Amiable POSTs to the caller's URL (OpenAPI 3.1 `webhooks`)."""
        self.webhooks.append(Webhook(name, summary, description, payload))

    def operation(self, bp: Blueprint, method: str, path: str, *, summary: str, tag: str,
                  responses: dict[int, ResponseSpec], role: str | None = None,
                  body: type[BaseModel] | None = None, body_media_type: str | None = None,
                  description: str = "", security: bool = False, stream_body: bool = False,
                  prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                  query: dict[str, str] | None = None,
                  ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register a view on `bp` and describe it. The view receives `body=` (a validated
        model) when `body` is given, after `prepare` (if any) completed the raw JSON, unless
        `stream_body` (the view reads a large body itself, as it arrives; `body` then only
        describes it); the caller is in `flask.g.caller`. `security` marks a view that checks
        the key itself (e.g. only on some ports)."""
        op = Operation(method, path, summary, tag, role, body, body_media_type, responses,
                       description, security, dict(query or {}))
        self.operations.append(op)

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def wrapper(**kwargs: Any) -> Any:
                if role is not None:
                    g.caller = require_role(role)
                if body is not None and not stream_body:
                    raw = json_object()
                    kwargs["body"] = body.model_validate(prepare(raw) if prepare else raw)
                return view(**kwargs)

            bp.add_url_rule(path, view_func=wrapper, methods=[method])
            return wrapper

        return decorate

    def document(self, prefix: str = "") -> dict[str, Any]:
        models: set[type[BaseModel]] = {hook.payload for hook in self.webhooks}
        for op in self.operations:
            models.update(m for m in [op.body, *op.responses.values()]
                          if isinstance(m, type) and issubclass(m, BaseModel))
        ordered = sorted(models, key=lambda m: m.__name__)
        keys, schemas = models_json_schema(
            [(m, "validation" if _is_input(m, self.operations) else "serialization")
             for m in ordered], ref_template="#/components/schemas/{model}")
        paths: dict[str, Any] = {}
        for op in self.operations:
            oas_path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", prefix + op.path)
            item = paths.setdefault(oas_path, {})
            entry: dict[str, Any] = {"summary": op.summary, "tags": [op.tag],
                                     "operationId": f"{op.method.lower()}_{_slug(oas_path)}",
                                     "responses": {}}
            if op.description:
                entry["description"] = op.description
            params = re.findall(r"{(\w+)}", oas_path)
            parameters = [{"name": p, "in": "path", "required": True,
                           "schema": {"type": "string"}} for p in params]
            parameters += [{"name": name, "in": "query", "required": False,
                            "description": text, "schema": {"type": "string"}}
                           for name, text in op.query.items()]
            if parameters:
                entry["parameters"] = parameters
            if op.role or op.security:
                entry["security"] = [{"bearer": []}]
            if op.role:
                entry["description"] = (entry.get("description", "") +
                                        f"\n\nRole required: `{op.role}`.").strip()
            if op.body is not None:
                ref = keys[(op.body, "validation")]
                entry["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": ref}}}
            elif op.body_media_type:
                entry["requestBody"] = {"required": True, "content": {
                    op.body_media_type: {"schema": {"type": "string", "format": "binary"}}}}
            for status, model in op.responses.items():
                response: dict[str, Any] = {"description": _reason(status)}
                if isinstance(model, type):
                    mode = "validation" if _is_input(model, self.operations) else "serialization"
                    response["content"] = {"application/json": {"schema": keys[(model, mode)]}}
                elif isinstance(model, str | tuple):
                    media_types = (model,) if isinstance(model, str) else model
                    response["content"] = {media: {"schema": _raw_schema(media)}
                                           for media in media_types}
                entry["responses"][str(status)] = response
            item[op.method.lower()] = entry
        webhooks = {hook.name: {"post": {
            "summary": hook.summary, "description": hook.description,
            "operationId": f"webhook_{_slug(hook.name)}", "tags": ["webhooks"],
            "parameters": self.webhook_headers,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": keys[(hook.payload, "serialization")]}}},
            "responses": {"200": {"description": "Any 2xx: received (anything else, or no "
                                  "answer within 10 s, is retried with backoff)"}}}}
            for hook in self.webhooks}
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "paths": paths,
            "webhooks": webhooks,
            "components": {"schemas": schemas.get("$defs", {}),
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        }


def _raw_schema(media_type: str) -> dict[str, Any]:
    """A body that is not JSON: text for text types, bytes for the others."""
    if media_type.startswith("text/"):
        return {"type": "string"}
    return {"type": "string", "format": "binary"}


def _is_input(model: type[BaseModel], operations: list[Operation]) -> bool:
    return any(op.body is model for op in operations)


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")


def _reason(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def json_object() -> dict[str, Any]:
    if not request.mimetype or request.mimetype != "application/json":
        raise BadRequest("send the body as JSON with Content-Type: application/json")
    return parse_json_object(request.get_data(cache=True))


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object read from `raw`, or BadRequest saying what is wrong with it."""
    try:
        # Decimal, not float: "1250.10" and 1250.10 must both stay exact.
        value = json.loads(raw, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None
    except ValueError:  # an integer past Python's int-string limit (4,300 digits)
        raise BadRequest("the body holds a number with too many digits; amounts are "
                         "decimal strings like \"1250.00\"") from None
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object")
    return value


def require_role(role: str) -> Caller:
    """The caller of this request, who must hold `role` (401/403 otherwise)."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    services = current_app.extensions["amiable"]
    with services.db.session() as session:
        caller = authenticate(session, secret.strip(), services.settings.api_key)
    if caller is None:
        raise Unauthorized("this API key is unknown or revoked")
    if not caller.can(role):
        raise Forbidden(f"this API key lacks the '{role}' role")
    return caller

"""Keys and workspaces over HTTP (role `admin`).

An admin key of a workspace manages the keys of that workspace only; the operator's admins
(the default workspace's, AMIABLE_API_KEY among them) manage every workspace and alone make
new ones or change a quota. Another workspace's key or workspace is a 404, as everywhere.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response, current_app, g, jsonify
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from service import auth
from service.batches.queue import waiting_items
from service.db import ApiKey, Workspace, iso_utc
from service.errors import Forbidden
from service.web.api import ERRORS, api
from service.web.fields import Text
from service.workspaces import registry

bp = Blueprint("admin_api", __name__)
TAG = "admin"
Slug = Annotated[str, Field(pattern=registry.SLUG.pattern, max_length=40,
                            description="lowercase letters, digits and dashes")]
Role = Literal["system", "legal", "admin"]
Quota = Annotated[int, Field(ge=0, le=10_000_000,
                             description="batch items that may wait at once")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeyIn(_In):
    name: Text
    roles: Annotated[list[Role], Field(min_length=1, max_length=3)]
    workspace: Slug | None = Field(None, description="default: the caller's workspace")


class KeyOut(BaseModel):
    id: str
    name: str
    roles: list[str]
    workspace: str
    created_at: str
    revoked_at: str | None
    secret: str | None = Field(None, description="only in the answer that creates the key")


class KeysOut(BaseModel):
    keys: list[KeyOut]


class WorkspaceIn(_In):
    id: Slug
    name: Text
    max_pending_items: Quota = registry.DEFAULT_MAX_PENDING_ITEMS
    webhook_url: HttpUrl | None = Field(None, description="where its signature_request.* "
                                        "events are posted")


class WorkspaceChange(_In):
    max_pending_items: Quota | None = None
    webhook_url: HttpUrl | None = None


class WorkspaceOut(BaseModel):
    id: str
    name: str
    created_at: str
    max_pending_items: int
    pending_items: int
    webhook_url: str | None
    webhook_secret: str | None = Field(None, description="only in the answer that creates "
                                       "the workspace: it signs the workspace's webhooks")


class WorkspacesOut(BaseModel):
    workspaces: list[WorkspaceOut]


def _errors(*codes: int) -> dict[int, Any]:
    return {code: ERRORS[code] for code in codes}


def key_json(key: ApiKey, secret: str | None = None) -> dict[str, Any]:
    return {"id": key.id, "name": key.name, "roles": key.roles.split(),
            "workspace": key.workspace, "created_at": iso_utc(key.created_at),
            "revoked_at": iso_utc(key.revoked_at) if key.revoked_at else None,
            "secret": secret}


def workspace_json(session: Any, row: Workspace, *, secret: bool = False) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "created_at": iso_utc(row.created_at),
            "max_pending_items": row.max_pending_items,
            "pending_items": waiting_items(session, row.id), "webhook_url": row.webhook_url,
            "webhook_secret": row.webhook_secret if secret else None}


def _db() -> Any:
    return current_app.extensions["amiable"].db


def _require_operator(what: str) -> None:
    if not g.caller.sees_all_workspaces():
        raise Forbidden(f"only the operator's admin keys (default workspace) may {what}")


@api.operation(bp, "GET", "/v1/keys", tag=TAG, role="admin",
               summary="The API keys of the caller's workspace (every workspace's for the "
               "operator), never their secrets", responses={200: KeysOut, **_errors(401, 403)})
def list_keys() -> Response:
    with _db().session() as session:
        return jsonify({"keys": [key_json(k) for k in auth.list_keys(session, g.caller)]})


@api.operation(bp, "POST", "/v1/keys", tag=TAG, role="admin", body=KeyIn,
               summary="Make an API key; its secret is in this answer only",
               responses={201: KeyOut, **_errors(400, 401, 403, 404, 422)})
def create_key(body: KeyIn) -> tuple[Response, int]:
    workspace = body.workspace or g.caller.workspace
    with _db().session() as session:
        registry.get(session, workspace, g.caller)  # 404 outside the caller's reach
        key, secret = auth.create_key(session, body.name, list(body.roles), workspace)
        return jsonify(key_json(key, secret)), 201


@api.operation(bp, "POST", "/v1/keys/<key_id>/revoke", tag=TAG, role="admin",
               summary="Revoke a key: its next request is a 401",
               responses={200: KeyOut, **_errors(401, 403, 404)})
def revoke_key(key_id: str) -> Response:
    with _db().session() as session:
        return jsonify(key_json(auth.revoke_key(session, key_id, g.caller)))


@api.operation(bp, "GET", "/v1/workspaces", tag=TAG, role="admin",
               summary="The workspaces the caller sees, with their quota and waiting items",
               responses={200: WorkspacesOut, **_errors(401, 403)})
def list_workspaces() -> Response:
    with _db().session() as session:
        return jsonify({"workspaces": [workspace_json(session, row)
                                       for row in registry.listing(session, g.caller)]})


@api.operation(bp, "POST", "/v1/workspaces", tag=TAG, role="admin", body=WorkspaceIn,
               summary="Make a workspace (operator only); its webhook secret is in this "
               "answer only", responses={201: WorkspaceOut, **_errors(400, 401, 403, 409, 422)})
def create_workspace(body: WorkspaceIn) -> tuple[Response, int]:
    _require_operator("make workspaces")
    with _db().session() as session:
        row = registry.create(session, body.id, body.name, body.max_pending_items,
                              str(body.webhook_url) if body.webhook_url else None)
        return jsonify(workspace_json(session, row, secret=True)), 201


@api.operation(bp, "PATCH", "/v1/workspaces/<workspace_id>", tag=TAG, role="admin",
               body=WorkspaceChange,
               summary="Change a workspace's webhook URL (its admin) or quota (operator only)",
               responses={200: WorkspaceOut, **_errors(400, 401, 403, 404, 422)})
def change_workspace(workspace_id: str, body: WorkspaceChange) -> Response:
    with _db().session() as session:
        row = registry.get(session, workspace_id, g.caller)
        if body.max_pending_items is not None:
            _require_operator("change a quota")
            row.max_pending_items = body.max_pending_items
        if "webhook_url" in body.model_fields_set:
            row.webhook_url = str(body.webhook_url) if body.webhook_url else None
        return jsonify(workspace_json(session, row))

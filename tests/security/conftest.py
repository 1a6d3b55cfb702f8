"""Two tenants on one running app: what each attack test needs.

`tenants()` makes two fresh workspaces, A and B, each with a `system` key and an `admin`
key, on the session's app (fresh names each time, so tests never share a workspace).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.auth import create_key
from service.workspaces import registry


@dataclass(frozen=True)
class Tenant:
    workspace: str
    system: dict[str, str]  # Authorization headers
    admin: dict[str, str]
    legal: dict[str, str]
    webhook_secret: str


def make_tenant(app: Flask, prefix: str) -> Tenant:
    slug = f"{prefix}-{secrets.token_hex(4)}"
    with app.extensions["amiable"].db.session() as session:
        row = registry.create(session, slug, f"Tenant {slug}")
        keys = {role: create_key(session, f"{slug} {role}", [role], slug)[1]
                for role in ("system", "admin", "legal")}
        secret = row.webhook_secret
    bearer = {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}
    return Tenant(slug, bearer["system"], bearer["admin"], bearer["legal"], secret)


@pytest.fixture
def tenants(app: Flask) -> tuple[Tenant, Tenant]:
    return make_tenant(app, "a"), make_tenant(app, "b")


@pytest.fixture
def as_key(client: FlaskClient) -> Callable[..., Any]:
    """as_key(key, "GET", path, json=..., headers=...): one API call with the given key
    (its Authorization header)."""
    def call(key: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
        return client.open(path, method=method, headers={**key, **kwargs.pop("headers", {})},
                           **kwargs)

    return call

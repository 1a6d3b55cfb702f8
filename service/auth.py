"""API keys and roles.

A key is `amk_` + 256 random bits; only its SHA-256 is stored (a fast hash is enough for a
secret of that entropy). Every key belongs to one workspace. The key given in AMIABLE_API_KEY
is not stored at all: it is compared in constant time, holds every role and is the admin of
the default workspace (so it sees every workspace).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import ApiKey, utcnow
from service.errors import NotFound, Unprocessable
from service.workspaces import DEFAULT_WORKSPACE, HasWorkspace, registry, scoped, visible_to

ROLES = ("system", "legal", "admin")
KEY_PREFIX = "amk_"


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's id (never its secret) and its roles."""

    key_id: str
    name: str
    roles: frozenset[str]
    workspace: str = DEFAULT_WORKSPACE

    def can(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles

    def sees_all_workspaces(self) -> bool:
        """The operator's admins (admin keys of the default workspace, the key in
        AMIABLE_API_KEY among them) see every workspace; a workspace's own admin sees its own."""
        return "admin" in self.roles and self.workspace == DEFAULT_WORKSPACE


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, name: str, roles: list[str],
               workspace: str = DEFAULT_WORKSPACE) -> tuple[ApiKey, str]:
    """Create a key of `workspace` (which must exist); the secret is returned once and
    never stored."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise Unprocessable(f"roles must be among {', '.join(ROLES)}; got "
                            f"{', '.join(roles) or '-'}", code="invalid_roles",
                            details=[{"field": "roles", "message": "system, legal or admin"}])
    registry.get(session, workspace)
    secret = new_secret()
    key = ApiKey(id="key_" + secrets.token_hex(8), name=name, secret_sha256=secret_sha256(secret),
                 roles=" ".join(sorted(set(roles))), workspace=workspace)
    session.add(key)
    session.flush()
    return key, secret


def list_keys(session: Session, caller: HasWorkspace) -> list[ApiKey]:
    return list(session.scalars(scoped(select(ApiKey), ApiKey.workspace, caller)
                                .order_by(ApiKey.created_at, ApiKey.id)))


def revoke_key(session: Session, key_id: str, caller: HasWorkspace) -> ApiKey:
    """Revoke a key at once (its next request is a 401); revoking twice changes nothing."""
    key = session.get(ApiKey, key_id)
    if key is None or not visible_to(caller, key.workspace):
        raise NotFound(f"no API key {key_id}", code="unknown_key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def authenticate(session: Session, secret: str, master_key: str | None) -> Caller | None:
    if master_key and hmac.compare_digest(secret.encode(), master_key.encode()):
        return Caller(key_id="key_master", name="AMIABLE_API_KEY", roles=frozenset(ROLES))
    key = session.scalar(select(ApiKey).where(ApiKey.secret_sha256 == secret_sha256(secret)))
    if key is None or key.revoked_at is not None:
        return None
    return Caller(key_id=key.id, name=key.name, roles=frozenset(key.roles.split()),
                  workspace=key.workspace)

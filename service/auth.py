"""API keys and roles.

A key is `amk_` + 256 random bits; only its SHA-256 is stored (a fast hash is enough for a
secret of that entropy). The key given in AMIABLE_API_KEY is not stored at all: it is
compared in constant time and holds every role.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import ApiKey
from service.workspaces import DEFAULT_WORKSPACE

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


def create_key(session: Session, name: str, roles: list[str]) -> tuple[ApiKey, str]:
    """Create a key; the secret is returned once and never stored."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise ValueError(f"roles must be among {', '.join(ROLES)}; got {', '.join(roles) or '-'}")
    secret = new_secret()
    key = ApiKey(id="key_" + secrets.token_hex(8), name=name, secret_sha256=secret_sha256(secret),
                 roles=" ".join(sorted(set(roles))))
    session.add(key)
    session.flush()
    return key, secret


def authenticate(session: Session, secret: str, master_key: str | None) -> Caller | None:
    if master_key and hmac.compare_digest(secret.encode(), master_key.encode()):
        return Caller(key_id="key_master", name="AMIABLE_API_KEY", roles=frozenset(ROLES))
    key = session.scalar(select(ApiKey).where(ApiKey.secret_sha256 == secret_sha256(secret)))
    if key is None or key.revoked_at is not None:
        return None
    return Caller(key_id=key.id, name=key.name, roles=frozenset(key.roles.split()))

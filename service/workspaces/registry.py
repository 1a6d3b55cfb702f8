"""The workspaces themselves: made by the operator, each with its webhook secret and quota."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.db import Workspace
from service.errors import Conflict, NotFound, Unprocessable
from service.workspaces import DEFAULT_WORKSPACE, HasWorkspace, scoped, visible_to

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # short: audit subjects embed it
DEFAULT_MAX_PENDING_ITEMS = 50_000


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_slug(slug: str) -> str:
    if not SLUG.fullmatch(slug):
        raise Unprocessable(f"{slug!r} is not a workspace id: use 1 to 40 lowercase letters, "
                            "digits and dashes, starting with a letter or digit",
                            code="invalid_workspace",
                            details=[{"field": "id", "message": "lowercase letters, digits, -"}])
    return slug


def create(session: Session, slug: str, name: str,
           max_pending_items: int = DEFAULT_MAX_PENDING_ITEMS,
           webhook_url: str | None = None) -> Workspace:
    check_slug(slug)
    if max_pending_items < 0:
        raise Unprocessable("max_pending_items cannot be negative", code="invalid_quota")
    row = Workspace(id=slug, name=name.strip() or slug, webhook_secret=new_webhook_secret(),
                    max_pending_items=max_pending_items, webhook_url=webhook_url)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"workspace {slug} exists already", code="workspace_exists") from None
    return row


def get(session: Session, slug: str, caller: HasWorkspace | None = None) -> Workspace:
    """The workspace `slug` (404 when `caller` may not see it)."""
    row = session.get(Workspace, slug)
    if row is None or (caller is not None and not visible_to(caller, row.id)):
        raise NotFound(f"no workspace {slug}", code="unknown_workspace")
    return row


def listing(session: Session, caller: HasWorkspace) -> list[Workspace]:
    return list(session.scalars(scoped(select(Workspace), Workspace.id, caller)
                                .order_by(Workspace.id)))


def webhook_secret(session: Session, slug: str, operator_secret: str | None) -> str | None:
    """The secret that signs `slug`'s webhooks. The default workspace keeps the operator's
    AMIABLE_WEBHOOK_SECRET when one is set, so receivers configured before workspaces
    existed go on verifying; every other workspace has its own."""
    if slug == DEFAULT_WORKSPACE and operator_secret:
        return operator_secret
    row = session.get(Workspace, slug)
    return row.webhook_secret if row is not None else None

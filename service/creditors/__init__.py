"""Creditor profiles: create, read, change, list; the logo; and the blocks they fill in a
document request (`creditor`, `agency`, `penalties`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from ulid import ULID

from service import audit
from service.audit import PendingEvent
from service.auth import Caller
from service.creditors.checks import LogoRefused, check_logo
from service.creditors.models import CreditorProfile
from service.creditors.schema import CreditorProfileIn
from service.db import iso_utc, utcnow
from service.errors import NotFound, Unprocessable
from service.listing import Page, paginate
from service.storage import BlobStore
from service.workspaces import scoped, visible_to

CREDITOR_FIELDS = ("type", "name", "legal_form", "siren", "address", "email", "iban", "bic",
                   "share_capital", "rcs_city", "signatory", "phone", "mediator")


def create(session: Session, body: CreditorProfileIn, caller: Caller) -> CreditorProfile:
    now = utcnow()
    profile = body.model_dump(mode="json", exclude_none=True)
    row = CreditorProfile(id=f"cred_{ULID()}", workspace=caller.workspace, name=body.name,
                          siren=body.siren, profile=profile, version=1, created_at=now,
                          updated_at=now)
    session.add(row)
    session.flush()
    audit.append(session, f"creditor:{row.id}", caller.key_id,
                 [PendingEvent("creditor.created", {"profile": profile})])
    return row


def get(session: Session, creditor_id: str, caller: Caller) -> CreditorProfile:
    row = session.get(CreditorProfile, creditor_id)
    if row is None or not visible_to(caller, row.workspace):
        raise NotFound(f"no creditor {creditor_id}")
    return row


def update(session: Session, creditor_id: str, changes: dict[str, Any],
           caller: Caller) -> CreditorProfile:
    """Apply a JSON merge patch (RFC 7396) and check the whole profile again."""
    row = get(session, creditor_id, caller)
    merged = _merge(dict(row.profile), changes)
    profile = CreditorProfileIn.model_validate(merged).model_dump(mode="json", exclude_none=True)
    if profile == row.profile:
        return row
    row.profile, row.name, row.siren = profile, profile["name"], profile.get("siren")
    row.version += 1
    row.updated_at = utcnow()
    audit.append(session, f"creditor:{row.id}", caller.key_id, [PendingEvent(
        "creditor.updated", {"version": row.version, "changes": changes})])
    return row


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = _merge(dict(target[key]), value)
        else:
            target[key] = value
    return target


def set_logo(session: Session, store: BlobStore, creditor_id: str, data: bytes,
             media_type: str, caller: Caller) -> CreditorProfile:
    row = get(session, creditor_id, caller)
    try:
        check_logo(data, media_type)
    except LogoRefused as exc:
        raise Unprocessable(f"logo refusé : {exc}", code="invalid_logo") from None
    row.logo_sha256, row.logo_media_type = store.put(data), media_type
    row.version += 1
    row.updated_at = utcnow()
    audit.append(session, f"creditor:{row.id}", caller.key_id, [PendingEvent(
        "creditor.logo_set", {"sha256": row.logo_sha256, "media_type": media_type})])
    return row


def listing(session: Session, caller: Caller, *, q: str | None, cursor: str | None,
            limit: int) -> Page[CreditorProfile]:
    stmt = scoped(select(CreditorProfile), CreditorProfile.workspace, caller)
    if q:
        stmt = stmt.where(CreditorProfile.name.ilike(f"%{_like(q)}%", escape="\\"))
    return paginate(session, stmt, CreditorProfile.created_at, CreditorProfile.id, cursor,
                    limit)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def request_blocks(row: CreditorProfile) -> dict[str, Any]:
    """What the profile fills in a document request: `creditor` (the creditor the letter is
    for), `agency` when the profile is a collection agency, and `penalties` defaults."""
    profile = row.profile
    own = {key: profile[key] for key in CREDITOR_FIELDS if key in profile}
    blocks: dict[str, Any] = {"penalties": {"indemnity": profile.get("indemnity", True)}}
    if profile.get("contractual_rate") is not None:
        blocks["penalties"]["contractual_rate"] = profile["contractual_rate"]
    mandate = profile.get("collection_agency")
    if mandate is None:
        blocks["creditor"] = own
        return blocks
    # The agency collects on its own segregated account (R124-2): its IBAN is in `agency`,
    # never under the creditor's name (a transfer "to the creditor" on the agency's account).
    blocks["creditor"] = dict(mandate["creditor"])
    blocks["agency"] = {key: own[key] for key in ("name", "legal_form", "siren", "rcs_city",
                                                  "share_capital", "address", "email",
                                                  "phone", "iban", "bic") if key in own}
    return blocks


def profile_json(row: CreditorProfile) -> dict[str, Any]:
    base = f"/v1/creditors/{row.id}"
    links = {"self": base}
    if row.logo_sha256:
        links["logo"] = f"{base}/logo"
    return {"id": row.id, **row.profile, "workspace": row.workspace, "version": row.version,
            "logo": ({"sha256": row.logo_sha256, "media_type": row.logo_media_type}
                     if row.logo_sha256 else None),
            "created_at": iso_utc(row.created_at), "updated_at": iso_utc(row.updated_at),
            "links": links}


__all__ = ["CreditorProfile", "CreditorProfileIn", "ValidationError", "create", "get",
           "listing", "profile_json", "request_blocks", "set_logo", "update"]

"""Signing-link tokens and the per-page CSRF token of a signing session.

A link token is 256 random bits; only its SHA-256 is stored (a fast hash suffices for a
secret of that entropy). The CSRF token binds a form to the browser's signing-session
cookie: HMAC(link token, session id). A cross-site page can make the browser send the
cookie, but it can read neither the cookie nor a page, so it cannot forge the field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(link_token: str, session_id: str) -> str:
    return hmac.new(link_token.encode(), session_id.encode(), hashlib.sha256).hexdigest()


def csrf_ok(link_token: str, session_id: str | None, submitted: str | None) -> bool:
    if not session_id or not submitted:
        return False
    return hmac.compare_digest(csrf_token(link_token, session_id), submitted)


def session_ref(session_id: str) -> str:
    """How a session appears in the evidence: linkable between events, not replayable."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]

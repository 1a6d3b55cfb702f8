"""Security headers on every response (one after_request hook for the whole app).

- every response: `X-Content-Type-Options: nosniff` (a PDF or JSON is never sniffed as HTML);
- every HTML page: a Content-Security-Policy with `frame-ancestors 'none'` (no clickjacking).
  A page that sets its own policy keeps it, with `frame-ancestors` forced to `'none'`; one
  that sets none gets STRICT_CSP, with the hash of each of its inline `<style>` blocks
  (/docs ships its stylesheet inline) and nothing else allowed: no script at all;
- with an https public URL: `Strict-Transport-Security`, so browsers never fall back to
  http for this host.
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response

STRICT_CSP = ("default-src 'none'; img-src 'self' data:; form-action 'self'; "
              "base-uri 'none'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"
INLINE_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
FRAME_ANCESTORS = re.compile(r"frame-ancestors[^;]*")


def _style_hashes(html: str) -> list[str]:
    return [f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
            for block in INLINE_STYLE.findall(html)]


def page_policy(response: Response) -> str:
    """The CSP for an HTML response: its own, or the strict one."""
    own = response.headers.get("Content-Security-Policy")
    if own:
        if FRAME_ANCESTORS.search(own):
            return FRAME_ANCESTORS.sub("frame-ancestors 'none'", own)
        return f"{own.rstrip('; ')}; frame-ancestors 'none'"
    styles = ["'self'"]
    if not response.is_streamed:
        styles += _style_hashes(response.get_data(as_text=True))
    return f"{STRICT_CSP}; style-src {' '.join(styles)}"


def register(app: Flask, public_url: str) -> None:
    https = public_url.lower().startswith("https://")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = page_policy(response)
            response.headers["X-Frame-Options"] = "DENY"
            response.headers.setdefault("Referrer-Policy", "same-origin")
        if https:
            response.headers["Strict-Transport-Security"] = HSTS
        return response

"""Attack class: content sniffing, clickjacking and downgrade to http.

Proves that every response says `nosniff`; that every HTML page carries a CSP with
`frame-ancestors 'none'` and no script source; that HSTS is sent exactly when the public URL
is https; and, in Chromium, that /docs, /verify and /staff still render under those
policies (nothing refused) and cannot be framed by another origin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser

from service import create_app
from service.config import Settings
from tests.browser import chromium, serving
from tests.conftest import MASTER_KEY

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}
PAGES = ["/docs", "/verify", "/staff/connexion"]
OTHERS = ["/healthz", "/openapi.json", "/v1/documents/doc_nope", "/v1/templates", "/nowhere",
          "/staff/staff.css"]


@pytest.mark.parametrize("path", PAGES + OTHERS)
def test_every_response_says_nosniff(app: Flask, path: str) -> None:
    response = app.test_client().get(path, headers=AUTH)
    response.close()  # a static file is streamed from an open file
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", [*PAGES, "/sign/not-a-token"])
def test_html_pages_carry_a_strict_csp_that_forbids_framing(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_when_the_public_url_is_https(app: Flask) -> None:
    assert app.extensions["amiable"].settings.public_url.startswith("https://")
    assert app.test_client().get("/healthz").headers["Strict-Transport-Security"].startswith(
        "max-age=31536000")


def test_no_hsts_when_the_public_url_is_http(tmp_path: Path) -> None:
    plain = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY,
                                public_url="http://localhost:8000"))
    assert "Strict-Transport-Security" not in plain.test_client().get("/healthz").headers


@pytest.fixture(scope="module")
def base_url(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_in_chromium_with_nothing_refused(
        browser: Browser, base_url: str, path: str, tmp_path: Path) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    try:
        page.goto(f"{base_url}{path}")
        # The stylesheet applied (inline for /docs, a file for the others): not the
        # browser's default serif font on a white page with 8 px margins.
        margin = page.evaluate("getComputedStyle(document.body).margin")
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        page.screenshot(path=str(tmp_path / "page.png"))
    finally:
        context.close()
    assert refused == []
    assert (margin, font) != ("8px", "\"Times New Roman\"")


def test_a_page_cannot_be_framed_by_another_origin(browser: Browser, base_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text))
    try:
        # data: URLs are an opaque origin: the frame is another site's page.
        page.set_content(f'<iframe id="f" src="{base_url}/verify"></iframe>')
        page.wait_for_timeout(1500)
        framed = page.frames[1] if len(page.frames) > 1 else None
        content = framed.content() if framed is not None else ""
    finally:
        context.close()
    assert "rifier" not in content
    assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in refused)

"""The debtor's whole path in a real browser (Debian's chromium driven by Playwright), with
the link and the code read from a real SMTP server on loopback.

Playwright's sync API runs an event loop in the test's thread, where pyHanko (which calls
asyncio.run) cannot sign: here the API is called over HTTP, served by the live app's thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from service.domain.words import amount_in_words
from tests.conftest import MASTER_KEY, load_example
from tests.pdf_checks import pdfsig
from tests.signature_requests.conftest import LiveApp, Mailbox, code_in, link_in

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class RemoteApi:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {MASTER_KEY}"}

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.base_url + path, headers=self.headers,
                                timeout=120, **kwargs)


@pytest.fixture
def remote(live: LiveApp) -> RemoteApi:
    return RemoteApi(live.base_url)


@pytest.fixture
def plan(remote: RemoteApi) -> dict[str, Any]:
    response = remote("POST", "/v1/documents", json=load_example("echeancier-consumer"))
    assert response.status_code == 201
    return dict(response.json())


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def _invite(remote: RemoteApi, plan: dict[str, Any], mailbox: Mailbox,
            email: str) -> tuple[str, str]:
    """Create a request; return its id and the link as the signer received it."""
    response = remote("POST", "/v1/signature-requests", json={
        "document_id": plan["id"], "signer": {"name": "M. Hugo Lefèvre", "email": email}})
    assert response.status_code == 201
    return response.json()["id"], link_in(mailbox.wait(email, "échéancier à signer")[-1])


def test_debtor_signs_on_a_phone(phone: Page, remote: RemoteApi, live: LiveApp,
                                 plan: dict[str, Any], mailbox: Mailbox) -> None:
    email = "browser.signer@example.org"
    request_id, url = _invite(remote, plan, mailbox, email)
    hosts: set[str] = set()
    phone.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    violations: list[str] = []
    phone.on("console", lambda msg: violations.append(msg.text)
             if "Content Security Policy" in msg.text else None)

    phone.goto(url)
    assert phone.get_attribute("html", "lang") == "fr"
    # readable without a PDF plugin: every page image loaded, and no sideways scrolling
    images = phone.locator("figure.page img")
    assert images.count() >= 1
    for index in range(images.count()):
        images.nth(index).scroll_into_view_if_needed()
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone.locator("#document-pdf").get_attribute("href", timeout=1000)

    # nothing is prefilled; the labels name every field (what a screen reader says)
    assert phone.get_by_label("Somme en toutes lettres").input_value() == ""
    assert phone.get_by_label("Somme en chiffres").input_value() == ""
    assert not phone.locator("#consent").is_checked()

    total = Decimal(plan["figures"]["total"])
    # a wrong amount in words is refused with a clear message
    phone.fill("#mention-words", amount_in_words(total + 10))
    phone.fill("#mention-figures", "1 293,41")
    phone.check("#consent")
    phone.click("#send-code")
    assert "Un code à 6 chiffres a été envoyé" in phone.inner_text("#code-status")
    code = code_in(mailbox.wait(email, "code de signature")[-1])
    phone.fill("#code", code)
    phone.check("#consent")
    phone.click("#sign")
    assert "ne correspond pas" in phone.inner_text("#message")

    # then right, driven from the keyboard
    phone.fill("#mention-words", amount_in_words(total))
    phone.focus("#mention-words")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.id") == "mention-figures"
    phone.keyboard.type("1293,41 €")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.id") == "consent"
    phone.keyboard.press("Space")
    assert phone.locator("#consent").is_checked()
    phone.fill("#code", code)
    phone.focus("#sign")
    phone.keyboard.press("Enter")
    phone.wait_for_selector("#confirmation")

    assert phone.locator("form").count() == 0
    href = phone.get_attribute("#download", "href")
    assert href
    signed = phone.request.get(live.base_url + href).body()
    assert signed == remote("GET", f"/v1/signature-requests/{request_id}/pdf").content
    assert pdfsig(signed).count("Signature is Valid.") == 3  # certification, debtor, seal

    # a reload shows the signed state, still without a form
    phone.reload()
    assert phone.locator("#download").is_visible()
    assert phone.locator("#sign").count() == 0
    assert hosts == {urlsplit(live.base_url).netloc}  # nothing fetched from elsewhere
    assert violations == []


def test_cancelled_link_tells_the_debtor(browser: Browser, remote: RemoteApi,
                                         plan: dict[str, Any], mailbox: Mailbox) -> None:
    request_id, url = _invite(remote, plan, mailbox, "browser.cancel@example.org")
    assert remote("POST", f"/v1/signature-requests/{request_id}/cancel").status_code == 200
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        response = page.goto(url)
        assert response is not None
        assert response.status == 410
        assert "annulée" in page.inner_text("main")
        assert page.locator("#sign").count() == 0
    finally:
        context.close()

"""The staff case pages in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from service.auth import Caller
from service.authoring import staff_accounts
from service.cases.schema import CaseIn
from service.creditors.schema import CreditorProfileIn
from tests.browser import chromium, serving
from tests.cases.conftest import profile_body
from tests.cases.test_cases_api import letter_for
from tests.conftest import MASTER_KEY, load_example
from tests.pdf_checks import pdf_text

EMAIL, PASSWORD = "paul@example.org", "un mot de passe assez long"
# Set AMIABLE_SCREENSHOTS=<folder> to keep images of the pages for a look.
SHOTS = os.environ.get("AMIABLE_SCREENSHOTS")


@pytest.fixture(scope="module")
def base_url(app: Flask) -> Iterator[str]:
    with app.extensions["amiable"].db.session() as session:
        staff_accounts.create(session, EMAIL, "Paul Gestionnaire", PASSWORD)
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/staff/")
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def live_post(page: Page, base_url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Through the served app: Playwright's sync API runs an event loop in this thread, and
    sealing (pyHanko) needs one of its own, as it has in the server's threads."""
    response = page.request.post(f"{base_url}{path}", data=body, headers={
        "Authorization": f"Bearer {MASTER_KEY}", "Content-Type": "application/json"})
    assert response.status == 201, response.text()
    return dict(response.json())


def test_staff_find_a_case_read_it_and_log_a_call(
        page: Page, base_url: str, api: Callable[..., Any],
        new_case: Callable[..., Any]) -> None:
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    case = new_case(external_reference="UI-CASE-1")
    document = live_post(page, base_url, "/v1/documents", letter_for(case))
    api("POST", case["links"]["exchanges"], json={
        "type": "email", "direction": "out", "summary": "Envoi du décompte par courriel"})

    sign_in(page, base_url)
    page.get_by_role("link", name="Dossiers").click()
    expect(page.get_by_role("heading", name="Dossiers")).to_be_visible()
    page.get_by_label("Rechercher").fill("UI-CASE-1")
    page.get_by_role("button", name="Filtrer").click()
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ouvert")
    shot(page, "staff-cases")
    rows.first.get_by_role("link", name="Menuiserie Roux et Fils SARL").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Menuiserie Roux et Fils SARL")
    grouped = " ".join(re.findall(".{1,4}", case["payment_reference"]))
    expect(page.locator("dl")).to_contain_text(grouped)
    expect(page.locator("table").first).to_contain_text("Mise en demeure")
    expect(page.locator("ul.exchanges")).to_contain_text("Envoi du décompte par courriel")
    href = page.get_by_role("link", name="PDF", exact=True).get_attribute("href")
    pdf = page.request.get(f"{base_url}{href}")
    assert pdf.status == 200
    assert pdf.body() == api("GET", f"/v1/documents/{document['id']}/pdf").data

    # A call without its direction: refused, in French, and nothing is kept.
    page.get_by_role("radio", name="Appel").check()
    page.get_by_label("Résumé").fill("Le débiteur demande un délai")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Indiquez si l’appel a été émis ou reçu.")
    expect(page.get_by_label("Résumé")).to_have_value("Le débiteur demande un délai")

    page.get_by_label("Sens de l’appel").select_option("in")
    page.get_by_label("Interlocuteur").fill("M. Roux")
    page.get_by_label("Durée (minutes)").fill("6")
    page.get_by_label("Issue").select_option("promise_to_pay")
    page.get_by_label("Date promise").fill("2099-01-15")
    page.get_by_label("Montant promis (€)").fill("250,00")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_have_text("Échange consigné dans le dossier.")
    expect(page.locator("ul.exchanges")).to_contain_text(
        "Appel reçu, avec M. Roux, 6 min : Le débiteur demande un délai — issue : promesse "
        "de paiement (250,00 € au plus tard le 15/01/2099)")

    page.get_by_role("radio", name="Note").check()
    page.get_by_label("Résumé").fill("Dossier transmis au service juridique pour avis.")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_have_text("Note ajoutée au dossier.")
    expect(page.locator("table.timeline tbody tr")).to_have_count(5)
    shot(page, "staff-case")
    assert blocked == []

    detail = api("GET", case["links"]["self"]).get_json()
    logged = [e for e in detail["exchanges"] if e["actor"] == f"staff:{EMAIL}"]
    assert [e["data"]["type"] for e in logged] == ["call", "note"]
    assert logged[0]["data"]["promise"] == {"date": "2099-01-15", "amount": "250.00"}
    assert detail["chain_valid"]

    history = page.request.get(f"{base_url}/staff/dossiers/{case['id']}/historique.pdf")
    assert history.status == 200
    assert "Le débiteur demande un délai" in " ".join(pdf_text(history.body()).split())


def test_staff_see_only_their_workspace(page: Page, base_url: str, app: Flask) -> None:
    stranger = Caller(key_id="key_other", name="other", roles=frozenset({"system", "legal"}),
                      workspace="other")
    from service import creditors

    with app.extensions["amiable"].db.session() as session:
        profile = creditors.create(session, CreditorProfileIn.model_validate(profile_body()),
                                   stranger)
    sample = load_example("mise-en-demeure-company")
    theirs = app.extensions["amiable"].cases.create(CaseIn.model_validate({
        "creditor_id": profile.id, "debtor": sample["debtor"], "invoices": sample["invoices"],
        "external_reference": "OTHER-WS"}), stranger)
    sign_in(page, base_url)
    page.goto(f"{base_url}/staff/dossiers?q=OTHER-WS")
    expect(page.get_by_text("Aucun dossier ne correspond.")).to_be_visible()
    response = page.goto(f"{base_url}/staff/dossiers/{theirs.id}")
    assert response is not None
    assert response.status == 404


def test_the_form_needs_its_csrf_token(client: Any, new_case: Callable[..., Any]) -> None:
    case = new_case()
    refused = client.post(f"/staff/dossiers/{case['id']}/echanges", data={"type": "note",
                                                                           "summary": "x"})
    assert refused.status_code in (302, 400)

"""The staff pages in a real browser (Debian's Chromium driven by Playwright), and their
protections checked with the test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, expect

from service.authoring import staff_accounts
from service.catalog import builtin_path
from tests.browser import chromium, serving
from tests.pdf_checks import pdf_text

EMAIL, PASSWORD = "claire@example.org", "un mot de passe assez long"
NEW_WORDING = "Sauf erreur de notre part, et nous vous remercions de votre attention"


@pytest.fixture(scope="module")
def staff_account(app: Flask) -> None:
    with app.extensions["amiable"].db.session() as session:
        staff_accounts.create(session, EMAIL, "Claire Juriste", PASSWORD)


@pytest.fixture(scope="module")
def base_url(app: Flask, staff_account: None) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Page, base_url: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/staff/")
    expect(page).to_have_url(re.compile(r"/staff/connexion$"))
    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_a_wrong_password_is_refused(page: Page, base_url: str) -> None:
    sign_in(page, base_url, password="pas le bon mot de passe")
    expect(page.get_by_role("alert")).to_have_text(
        "Adresse électronique ou mot de passe incorrect.")
    expect(page).to_have_url(re.compile(r"/staff/connexion$"))


def test_staff_start_from_a_source_upload_preview_publish_and_roll_back(
        page: Page, base_url: str, tmp_path: Path) -> None:
    blocked: list[str] = []  # what the page's Content-Security-Policy had to refuse
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    sign_in(page, base_url)
    expect(page.get_by_role("heading", name="Modèles de documents")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"

    page.get_by_role("link", name="Relance").click()
    expect(page.get_by_role("heading", name="Relance", exact=True)).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("row", name=re.compile("version 1 ")).get_by_role(
            "link", name="Télécharger").click()
    source = Path(download_info.value.path()).read_bytes()
    assert source == builtin_path("relance").read_bytes()

    # A mistake first: the page lists it, with the name it probably meant.
    broken = tmp_path / "relance-erreur.html"
    broken.write_text("<p>{{ debtor.nme }}</p>", encoding="utf-8")
    page.get_by_label("Fichier").set_input_files(str(broken))
    page.get_by_role("button", name="Déposer et vérifier").click()
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("Le modèle n’a pas été enregistré")
    expect(problems).to_contain_text(
        "ligne 1 : variable inconnue « debtor.nme » — vouliez-vous dire « debtor.name » ?")

    # The downloaded source, with new wording.
    edited = tmp_path / "relance.html"
    edited.write_text(source.decode().replace("{% block body %}",
                                              "{% block body %}<p>" + NEW_WORDING + "</p>", 1),
                      encoding="utf-8")
    assert NEW_WORDING in edited.read_text(encoding="utf-8")
    page.get_by_label("Fichier").set_input_files(str(edited))
    page.get_by_label("Note").fill("formule de politesse")
    page.get_by_role("button", name="Déposer et vérifier").click()
    expect(page.get_by_role("status")).to_contain_text("enregistrée comme brouillon")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("brouillon")
    number = int(re.search(r"version (\d+)", heading.inner_text()).group(1))  # type: ignore[union-attr]
    expect(page.locator("pre.diff")).to_contain_text(NEW_WORDING)

    frame_src = page.locator("iframe.preview").get_attribute("src")
    assert frame_src
    preview = page.request.get(base_url + frame_src)
    assert preview.headers["content-type"] == "application/pdf"
    assert NEW_WORDING in pdf_text(preview.body())

    page.get_by_role("button", name="Publier cette version").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Version {number} publiée : les nouveaux documents l’utilisent.")
    expect(page.get_by_role("row", name=re.compile(f"version {number} ")).get_by_role(
        "cell", name="publiée", exact=True)).to_be_visible()

    page.get_by_role("link", name="version 1", exact=True).click()
    page.get_by_role("button", name="Revenir à cette version").click()
    expect(page.get_by_role("status")).to_have_text(
        "Version 1 publiée : les nouveaux documents l’utilisent.")
    expect(page.get_by_role("row", name=re.compile(f"version {number} ")).get_by_role(
        "cell", name="retirée", exact=True)).to_be_visible()
    assert blocked == []


def test_staff_pages_need_a_session(client: FlaskClient) -> None:
    response = client.get("/staff/modeles/relance")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/connexion")
    assert client.get("/staff/modeles/relance/versions/1/source").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(app: Flask, client: FlaskClient,
                                                  staff_account: None) -> None:
    client.get("/staff/connexion")
    refused = client.post("/staff/connexion", data={"email": EMAIL, "password": PASSWORD})
    assert refused.status_code == 400
    assert "Le formulaire a expiré" in refused.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "staff_id" not in session


def test_pages_forbid_outside_resources_and_framing(client: FlaskClient) -> None:
    response = client.get("/staff/connexion")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "'unsafe-inline'" not in csp
    # Staff pages are never framed (issue 11.9); only the preview PDF is, by the staff page.
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"

"""The built-in templates rendered by the real WeasyPrint, checked with poppler and qpdf."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import samples
from pdftools import (
    Render,
    catalog_lang,
    normalise,
    pdf_fonts,
    pdf_info,
    pdf_text,
    qpdf_check,
    xmp_metadata,
)

from service.rendering.formatting import date_long

WORDS_MISSING = importlib.util.find_spec("service.domain.words") is None
needs_words = pytest.mark.skipif(
    WORDS_MISSING, reason="the échéancier needs service.domain.words (amount_in_words)"
)

CASES: dict[str, tuple[str, Callable[[], dict[str, Any]], int]] = {
    # name: (template, sample context, most pages allowed)
    "relance-1-company": ("relance", lambda: samples.company_relance(1), 1),
    "relance-2-company": ("relance", lambda: samples.company_relance(2), 1),
    "relance-1-consumer": ("relance", lambda: samples.consumer_relance(1), 1),
    "relance-2-consumer": ("relance", lambda: samples.consumer_relance(2), 1),
    "mise-en-demeure-company": ("mise_en_demeure", samples.company_mise_en_demeure, 2),
    "mise-en-demeure-consumer": ("mise_en_demeure", samples.consumer_mise_en_demeure, 2),
    "echeancier-consumer": ("echeancier", samples.consumer_echeancier, 3),
    "echeancier-company": ("echeancier", samples.company_echeancier, 3),
}
# Three invoices: a letter still fits on one page (a mise en demeure on two).
EDGE_CASES: dict[str, tuple[str, Callable[[], dict[str, Any]], int]] = {
    "relance-1-three-invoices": (
        "relance",
        lambda: samples.with_third_invoice(samples.company_relance(1)),
        1,
    ),
    "relance-2-three-invoices": (
        "relance",
        lambda: samples.with_third_invoice(samples.company_relance(2)),
        1,
    ),
    "relance-2-consumer-three-invoices": (
        "relance",
        lambda: samples.with_third_invoice(samples.consumer_relance(2)),
        1,
    ),
    "mise-en-demeure-three-invoices": (
        "mise_en_demeure",
        lambda: samples.with_third_invoice(samples.company_mise_en_demeure()),
        2,
    ),
    "mise-en-demeure-from-an-individual": (
        "mise_en_demeure",
        lambda: samples.from_an_individual(samples.consumer_mise_en_demeure()),
        1,
    ),
}
CASE_PARAMS = [
    pytest.param(name, marks=needs_words) if kind == "echeancier" else name
    for name, (kind, _, _) in CASES.items()
]


@pytest.fixture(scope="session")
def rendered(render: Render) -> Callable[[str], bytes]:
    """Render each sample once per session (warnings fail the render)."""
    cache: dict[str, bytes] = {}

    def _get(name: str) -> bytes:
        if name not in cache:
            kind, context, _ = {**CASES, **EDGE_CASES}[name]
            cache[name] = render(kind, context())
        return cache[name]

    return _get


@pytest.fixture(scope="session")
def texts(rendered: Callable[[str], bytes]) -> Callable[[str], str]:
    cache: dict[str, str] = {}
    return lambda name: cache.setdefault(name, pdf_text(rendered(name)))


# --- every document -----------------------------------------------------------------------


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_structure_is_valid_pdf_a_3b(rendered: Callable[[str], bytes], name: str) -> None:
    pdf = rendered(name)
    qpdf_check(pdf)
    xmp = xmp_metadata(pdf)
    assert 'pdfaid:part="3"' in xmp
    assert 'pdfaid:conformance="B"' in xmp
    assert catalog_lang(pdf) == "fr"
    info = pdf_info(pdf)
    assert info["Author"] == "Atelier Lumière SAS"
    assert samples.DOCUMENT_ID in info["Title"]
    assert info["Page size"].endswith("(A4)")
    assert int(info["Pages"]) <= CASES[name][2]


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_only_the_shipped_fonts_are_used_and_embedded(
    rendered: Callable[[str], bytes], name: str
) -> None:
    fonts = pdf_fonts(rendered(name))
    assert fonts
    for font in fonts:
        # "ABCDEF+Amiable-Sans-Bold": a subset of the @font-face family, not a host font.
        assert re.fullmatch(r"[A-Z]{6}\+Amiable-Sans(-Bold|-Italic)?", font["name"]), font
        assert font["emb"] == "yes"


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_ends_with_the_seal_block(texts: Callable[[str], str], name: str) -> None:
    text = texts(name)
    seal = text[text.rindex("Document scellé électroniquement") :]
    assert "Atelier Lumière SAS" in seal
    assert samples.DOCUMENT_ID in seal
    assert f"https://amiable.example/verify/{samples.DOCUMENT_ID}" in seal
    issued_on = CASES[name][1]()["document"]["issued_on"]
    assert f"le {normalise(date_long(issued_on))}" in seal


@pytest.mark.parametrize("name", ["relance-1-company", "echeancier-consumer"])
def test_seal_block_qr_code_leads_to_the_verification_page(
    rendered: Callable[[str], bytes], name: str, tmp_path: Path
) -> None:
    """The QR code, read off the printed page by an independent decoder (zbar)."""
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(rendered(name))
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    pages = sorted(tmp_path.glob("page*.png"))
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(pages[-1])],
                             capture_output=True, text=True, check=False, timeout=60)
    assert decoded.stdout.strip() == f"https://amiable.example/verify/{samples.DOCUMENT_ID}"


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_never_mimics_court_or_commissaire_documents(
    texts: Callable[[str], str], name: str
) -> None:
    # C. pén. 433-13: no wording of judicial or extrajudicial acts (legal.md §3.3).
    forbidden = r"\b(actes?|sommations?|huissiers?|commandements?|marianne)\b"
    assert not re.search(forbidden, texts(name), flags=re.IGNORECASE)


@pytest.mark.parametrize("name", CASE_PARAMS)
def test_identifies_the_creditor(texts: Callable[[str], str], name: str) -> None:
    text = texts(name)
    assert "société par actions simplifiée" in text
    assert "SIREN 823 456 781" in text
    assert "21 rue du Faubourg Saint-Antoine" in text


# --- letters ------------------------------------------------------------------------------


LETTERS = [name for name, (kind, _, _) in CASES.items() if kind != "echeancier"]


@pytest.mark.parametrize("name", LETTERS)
def test_letters_have_place_date_reference_payment_and_page_numbers(
    texts: Callable[[str], str], rendered: Callable[[str], bytes], name: str
) -> None:
    text = texts(name)
    context = CASES[name][1]()
    # Dated the day it is issued; the figures' day is stated when it is another one.
    assert f"Paris, le {normalise(date_long(context['issued_on']))}" in text
    if context["as_of"] != context["issued_on"]:
        assert f"Décompte arrêté au {normalise(date_long(context['as_of']))}" in text
    else:
        assert "Décompte arrêté" not in text
    assert "Notre référence" in text  # pdftotext may put the id after the date
    assert "FR76 1010 7001 0112 3456 7890 129" in text
    assert "BREDFRPPXXX" in text
    assert f"Référence à indiquer {samples.DOCUMENT_ID}" in text
    pages = int(pdf_info(rendered(name))["Pages"])
    assert f"Page 1 / {pages}" in text
    assert "Le service recouvrement" in text


def test_company_letters_itemise_invoices_penalties_and_indemnities(
    texts: Callable[[str], str],
) -> None:
    text = texts("mise-en-demeure-company")
    for expected in [
        "Menuiserie Roux et Fils SARL",
        "13002 MARSEILLE",
        "Votre SIREN 398 765 432",
        "AL-2025-0412 14/04/2025 14/05/2025 3 120,00 € – 3 120,00 €",
        "AL-2025-0533 20/05/2025 19/06/2025 845,60 € 300,00 € 549,51 €",
        "Principal restant dû 3 669,51 €",
        "129,42 €",
        "40 € × 2",
        "80,00 €",
        "Total dû au 1er septembre 2025 3 878,93 €",
    ]:
        assert expected in text, expected


def test_mise_en_demeure_to_a_company(texts: Callable[[str], str]) -> None:
    text = texts("mise-en-demeure-company")
    assert "Objet : Mise en demeure de payer" in text
    assert "nous vous mettons en demeure de nous régler la somme de 3 878,93 €" in text
    assert "au plus tard le 9 septembre 2025" in text
    assert "article L441-10 du Code de commerce" in text
    assert "D441-5" in text
    # The rate is ECB + 10 points, revised each semester: the figure is the semester's.
    assert ("au taux de refinancement de la Banque centrale européenne majoré de 10 points, "
            "révisé chaque 1er janvier et 1er juillet (soit 12,15 % pour le second semestre "
            "2025) ; elles continuent de courir jusqu’au complet paiement") in text
    assert "Lettre recommandée avec accusé de réception" in text
    # The periods, so that the debtor can check the arithmetic.
    assert "AL-2025-0412 15/05/2025 30/06/2025 47 3 120,00 € 13,15 % 52,83 €" in text
    assert "03/07/2025 01/09/2025 61 549,51 € 12,15 % 11,16 €" in text
    assert "Total échu 133,33 €" in text
    assert f"Réf. {samples.DOCUMENT_ID} – suite" in text  # header of page 2
    assert "1343-1" in text
    assert "injonction de payer" in text
    assert "vaut mise en demeure" in text
    assert "1231-6" not in text


def test_mise_en_demeure_to_a_consumer(texts: Callable[[str], str]) -> None:
    text = texts("mise-en-demeure-consumer")
    assert "Objet : Mise en demeure de payer" in text
    assert "M. Hugo Lefèvre 45 allée des Tilleuls Bâtiment B 67000 STRASBOURG" in text
    assert "la somme de 1 290,00 € au plus tard le 16 septembre 2025" in text
    assert "articles 1231-6 et 1344-1 du Code civil" in text
    assert "2,76 % pour le second semestre 2025" in text
    assert "injonction de payer" in text
    for b2b_only in ["L441-10", "D441-5", "40 €", "Pénalités de retard", "SIREN 398"]:
        assert b2b_only not in text, b2b_only


def test_relances_are_courteous_then_firm_but_never_a_formal_notice(
    texts: Callable[[str], str],
) -> None:
    first, second = texts("relance-1-company"), texts("relance-2-company")
    assert "Objet : Rappel" in first
    assert "simple oubli" in first
    assert "Objet : Seconde relance" in second
    assert "Malgré notre précédent rappel" in second
    # Level 1 asks the principal and reserves the 150,79 € of penalties and indemnities
    # (70,79 + 80); level 2 claims them.
    assert "Montant demandé au 15 juillet 2025 3 669,51 €" in first
    assert "procéder au règlement de la somme de 3 669,51 €" in first
    assert "3 820,30 €" not in first
    assert "Total dû au 15 juillet 2025 3 820,30 €" in second
    assert "régler la somme de 3 820,30 €" in second
    for text in (first, second):
        assert "L441-10" in text
        assert "Lettre recommandée" not in text
        assert "mettons en demeure" not in text
        assert "vaut mise en demeure" not in text
        assert "Décompte des" not in text


def test_relances_to_consumers_claim_no_b2b_penalties(texts: Callable[[str], str]) -> None:
    for name in ("relance-1-consumer", "relance-2-consumer"):
        text = texts(name)
        assert "1 290,00 €" in text
        for b2b_only in ["L441-10", "D441-5", "40 €", "Pénalités de retard"]:
            assert b2b_only not in text, (name, b2b_only)


# --- échéancier ---------------------------------------------------------------------------


@needs_words
def test_echeancier_to_a_consumer(texts: Callable[[str], str]) -> None:
    from service.domain.words import amount_in_words

    text = texts("echeancier-consumer")
    words = amount_in_words(samples.D("1293.41"))
    for expected in [
        "Reconnaissance de dette et échéancier de paiement",
        "ci-après « le Créancier »",
        "ci-après « le Débiteur »",
        "M. Hugo Lefèvre, demeurant 45 allée des Tilleuls",
        f"la somme de {words} (1 293,41 €)",
        "Intérêts au taux légal échus depuis la mise en demeure du 01/09/2025",
        "Acompte à la signature 90,00 €",
        "Échéance n° 1 31/10/2025 200,56 €",
        "Échéance n° 6 31/03/2026 200,61 €",
        "Total 1 293,41 €",
        "1343-1",
        "sans frais ni pénalité",
        "trente (30) jours",
        "Suspension du recouvrement",
        "1366",
        "1367",
        "1375",
        "Bon pour accord",
        "toutes lettres et en chiffres",
    ]:
        assert expected in text, expected
    assert "quinze (15) jours" not in text
    assert "40 €" not in text


@needs_words
def test_echeancier_to_a_company_with_penalties_waived(texts: Callable[[str], str]) -> None:
    text = texts("echeancier-company")
    assert "quinze (15) jours" in text
    assert "Total reconnu 3 878,93 €" in text
    assert "Remise consentie sous condition (voir ci-dessous) − 209,42 €" in text
    assert "Montant payable selon l’échéancier 3 669,51 €" in text
    assert "cette remise sera caduque" in text
    assert "Échéance n° 6 05/03/2026 611,61 €" in text


# --- layout limits and optional fields ------------------------------------------------------


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_letters_with_three_invoices_keep_to_their_pages(
    rendered: Callable[[str], bytes], name: str
) -> None:
    pdf = rendered(name)
    qpdf_check(pdf)
    assert int(pdf_info(pdf)["Pages"]) <= EDGE_CASES[name][2]


def test_third_invoice_without_issue_date(texts: Callable[[str], str]) -> None:
    assert "AL-2025-0702 – 10/07/2025 2 400,00 € – 2 400,00 €" in texts("relance-2-three-invoices")


def test_a_private_creditor_and_a_debtor_abroad(texts: Callable[[str], str]) -> None:
    text = texts("mise-en-demeure-from-an-individual")
    assert "Mme Claire Martin" in text
    assert "1050 BRUXELLES BELGIQUE" in text
    assert "Adresse : 8 rue des Lilas, Appartement 12, 69003 Lyon" in text
    assert "Lyon, le 1er septembre 2025" in text
    assert "FR76 3000 6000 0112 3456 7890 189" in text
    assert "SIREN" not in text
    assert "BIC" not in text
    assert "Le service recouvrement" not in text


@needs_words
@pytest.mark.parametrize("name", ["echeancier-consumer", "echeancier-company"])
def test_signatures_never_sit_alone_on_the_last_page(
    rendered: Callable[[str], bytes], name: str
) -> None:
    pdf = rendered(name)
    last_page = pdf_text(pdf, page=int(pdf_info(pdf)["Pages"]))
    assert "Article 10" in last_page
    assert "Bon pour accord" in last_page

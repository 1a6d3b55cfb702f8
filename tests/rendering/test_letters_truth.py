"""What the letters claim, and how they are dated, signed and sent, read off the PDFs.

Figures are the samples' (worked by hand in samples.py): the company case owes, as of
15 July 2025, 3 669,51 € of principal, 70,79 € of penalties and 2 × 40 € of indemnities
(150,79 € besides the principal, 3 820,30 € in all); as of 1 September 2025, 129,42 € of
penalties (209,42 € besides the principal, 3 878,93 € in all).
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
import samples
from pdftools import Render, pdf_info, pdf_text

D = samples.D


def _text(render: Render, kind: str, context: dict[str, Any]) -> str:
    return pdf_text(render(kind, context))


# --- the three claim modes, in each kind ----------------------------------------------------

RELANCE_MODES = {
    "claim": ["Total dû au 15 juillet 2025 3 820,30 €", "régler la somme de 3 820,30 €"],
    "mention": [
        "Montant demandé au 15 juillet 2025 3 669,51 €",
        "Pour mémoire, dus de plein droit et réservés : pénalités de retard au 15/07/2025",
        "(70,79 €) et indemnités forfaitaires (40 € × 2)",
        "150,79 €",
        "Celles échues au 15 juillet 2025, soit 150,79 €, ne sont pas comprises dans le montant "
        "demandé : nous nous réservons le droit d’en demander le paiement",
        "régler la somme de 3 669,51 €",
    ],
    "waive": [
        "Remise consentie sur les pénalités et indemnités − 150,79 €",
        "Montant demandé au 15 juillet 2025 3 669,51 €",
        "nous renonçons à vous réclamer les pénalités de retard et les indemnités forfaitaires "
        "pour frais de recouvrement échues au 15 juillet 2025, soit 150,79 €",
        "régler la somme de 3 669,51 €",
    ],
}


@pytest.mark.parametrize("mode", list(RELANCE_MODES))
def test_relance_claims_mentions_or_waives(render: Render, mode: str) -> None:
    text = _text(render, "relance", samples.with_claim(samples.company_relance(2), mode))
    for expected in RELANCE_MODES[mode]:
        assert expected in text, expected
    others = {m for m in RELANCE_MODES if m != mode}
    assert ("3 820,30 €" in text) == (mode == "claim")
    assert ("Remise consentie" in text) == (mode == "waive")
    assert ("réservés" in text) == (mode == "mention"), others


MED_MODES = {
    "claim": ["Total dû au 1er septembre 2025 3 878,93 €",
              "mettons en demeure de nous régler la somme de 3 878,93 €"],
    "mention": [
        "Montant demandé au 1er septembre 2025 3 669,51 €",
        "209,42 €",
        "Les pénalités de retard et les indemnités forfaitaires pour frais de recouvrement "
        "échues au 1er septembre 2025, soit 209,42 €, sont dues de plein droit ; elles ne sont "
        "pas comprises dans le montant demandé et nous nous réservons le droit d’en demander "
        "le paiement",
        "mettons en demeure de nous régler la somme de 3 669,51 €",
    ],
    "waive": [
        "Remise consentie sur les pénalités et indemnités − 209,42 €",
        "nous renonçons à vous réclamer les pénalités de retard et les indemnités forfaitaires "
        "pour frais de recouvrement échues au 1er septembre 2025, soit 209,42 €",
        "mettons en demeure de nous régler la somme de 3 669,51 €",
    ],
}


@pytest.mark.parametrize("mode", list(MED_MODES))
def test_mise_en_demeure_claims_mentions_or_waives(render: Render, mode: str) -> None:
    pdf = render("mise_en_demeure",
                 samples.with_claim(samples.company_mise_en_demeure(), mode))
    text = pdf_text(pdf)
    for expected in MED_MODES[mode]:
        assert expected in text, expected
    assert ("3 878,93 €" in text) == (mode == "claim")
    assert int(pdf_info(pdf)["Pages"]) <= 2


ECHEANCIER_MODES = {
    "claim": ["Total reconnu 3 878,93 €", "Pénalités de retard échues (C. com., art. L441-10) "
              "129,42 €"],
    "mention": [
        "la somme de trois mille six cent soixante-neuf euros et cinquante et un centimes "
        "(3 669,51 €)",
        "Total reconnu 3 669,51 €",
        "soit 209,42 €, sont dues de plein droit (articles L441-10 et D441-5 du Code de "
        "commerce) ; elles ne sont pas comprises dans la présente reconnaissance ni dans "
        "l’échéancier",
    ],
    "waive": [
        "Total reconnu 3 878,93 €",
        "Remise consentie sous condition (voir ci-dessous) − 209,42 €",
        "Montant payable selon l’échéancier 3 669,51 €",
        "cette remise sera caduque",
    ],
}


@pytest.mark.parametrize("mode", list(ECHEANCIER_MODES))
def test_echeancier_claims_mentions_or_waives(render: Render, mode: str) -> None:
    context = samples.company_echeancier()
    context["plan"]["waive_penalties"] = False
    text = _text(render, "echeancier", samples.with_claim(context, mode))
    for expected in ECHEANCIER_MODES[mode]:
        assert expected in text, expected
    assert ("Remise consentie" in text) == (mode == "waive")


# --- consumers: interest after a prior notice -------------------------------------------------


def _consumer_after_notice(mode: str | None) -> dict[str, Any]:
    """Put on notice on 28/07/2025: 29/07-01/09 is 35 days of legal interest at 2,76 %:
    1 290 × 2,76 × 35 / 36 500 = 3,4141 -> 3,41 €, 1 293,41 € in all."""
    context = samples.consumer_mise_en_demeure()
    context["prior_notice_date"] = date(2025, 7, 28)
    figures = context["figures"]
    period = samples._period(date(2025, 7, 29), date(2025, 9, 1), 35, "1290.00", "2.76", "3.41")
    figures.invoices = [samples._line("AL-2025-0601", "1290.00", "0.00", "1290.00", "3.41",
                                      "3.41", "0.00", [period])]
    figures.penalties = D("3.41")
    figures.total = D("1293.41")
    return samples.with_claim(context, mode)


def test_a_second_notice_to_a_consumer_does_not_claim_to_start_the_interest(
    render: Render,
) -> None:
    text = _text(render, "mise_en_demeure", _consumer_after_notice("claim"))
    assert "fait courir" not in text
    assert ("les intérêts au taux légal courent sur la somme due depuis notre mise en demeure "
            "du 28 juillet 2025 et continuent de courir jusqu’au complet paiement, au taux "
            "annuel de 2,76 % pour le second semestre 2025 (ce taux est révisé chaque "
            "semestre)") in text
    assert "Total dû au 1er septembre 2025 1 293,41 €" in text


def test_a_first_notice_to_a_consumer_starts_the_interest(render: Render) -> None:
    text = _text(render, "mise_en_demeure", samples.consumer_mise_en_demeure())
    assert "la présente mise en demeure fait courir les intérêts au taux légal" in text


def test_a_consumer_letter_can_reserve_the_interest(render: Render) -> None:
    text = _text(render, "mise_en_demeure", _consumer_after_notice("mention"))
    assert ("Les intérêts au taux légal échus au 1er septembre 2025, soit 3,41 €, sont dus "
            "depuis notre mise en demeure ; ils ne sont pas compris dans le montant "
            "demandé") in text
    assert "régler la somme de 1 290,00 €" in text


# --- who writes, to whom, how it is sent --------------------------------------------------------


def test_the_creditor_s_full_identity_and_a_named_signatory(render: Render) -> None:
    text = _text(render, "mise_en_demeure",
                 samples.with_identity(samples.company_mise_en_demeure()))
    for expected in [
        # C. com. R123-237: legal form, share capital, RCS and its city, registered office.
        "Atelier Lumière SAS, société par actions simplifiée au capital de 50 000,00 € · "
        "RCS Paris 823 456 781 (SIREN) · Siège : 21 rue du",
        "Tél. +33 1 43 55 20 10",
        "Pour Atelier Lumière SAS,",  # beside the seal block: its lines interleave
        "Claire Dubois",
        "Responsable du recouvrement",
        "Contact Claire Dubois · +33 1 43 55 20 10 · comptabilite@atelier-lumiere.example",
        "À l’attention de M. Jean Roux, Gérant",
        "Monsieur, Sauf erreur",
        "Nous vous prions d’agréer, Monsieur, l’expression",
    ]:
        assert expected in text, expected
    assert "Le service recouvrement" not in text
    assert "médiateur" not in text  # a company is no consumer


def test_a_consumer_is_told_of_the_mediator(render: Render) -> None:
    for kind, context in [("relance", samples.consumer_relance(1)),
                          ("mise_en_demeure", samples.consumer_mise_en_demeure()),
                          ("echeancier", samples.consumer_echeancier())]:
        text = _text(render, kind, samples.with_identity(context))
        assert "médiateur de la consommation" in text, kind
        assert "CM2C, https://www.cm2c.net" in text, kind
        assert "L612-1 et L616-1 du Code de la consommation" in text, kind


def test_without_a_civility_the_letter_greets_both(render: Render) -> None:
    text = _text(render, "relance", samples.consumer_relance(1))
    assert "Madame, Monsieur, Sauf erreur" in text
    assert "Nous vous prions d’agréer, Madame, Monsieur, l’expression" in text


@pytest.mark.parametrize(("delivery", "mention"), [
    ("registered_letter", "Lettre recommandée avec accusé de réception"),
    ("electronic_registered_letter", "Lettre recommandée électronique"),
    ("letter", None),
])
def test_the_letter_says_how_it_is_sent(render: Render, delivery: str, mention: str | None) -> None:
    context = copy.deepcopy(samples.company_mise_en_demeure())
    context["delivery"] = delivery
    text = _text(render, "mise_en_demeure", context)
    for known in ("Lettre recommandée avec accusé de réception", "Lettre recommandée électronique"):
        assert (known in text) == (known == mention), known


def test_the_reference_given_by_the_caller_is_the_one_to_quote(render: Render) -> None:
    context = samples.company_mise_en_demeure()
    context["reference"] = "DOS-2025-0042"
    text = _text(render, "mise_en_demeure", context)
    assert "Notre référence DOS-2025-0042" in text
    assert "Référence à indiquer DOS-2025-0042" in text
    assert f"Référence : {samples.DOCUMENT_ID}" in text  # the seal still names the document

"""French formatting filters: amounts, dates, rates, IBAN, SIREN, amounts in words."""

from __future__ import annotations

import importlib.util
from datetime import date, datetime
from decimal import Decimal

import pytest

from service.rendering import formatting
from service.rendering.formatting import FILTERS, FilterError

NNBSP = "\u202f"  # narrow no-break space: Babel's French group separator
NBSP = "\u00a0"


def test_amount_uses_french_separators_that_never_break() -> None:
    assert formatting.amount(Decimal("1234.56")) == f"1{NNBSP}234,56{NBSP}€"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0"), "0,00 €"),
        (Decimal("1250"), "1 250,00 €"),
        (Decimal("1234567.89"), "1 234 567,89 €"),
        (Decimal("-12.5"), "-12,50 €"),
        (5, "5,00 €"),
        ("845.60", "845,60 €"),
    ],
)
def test_amount(value: object, expected: str) -> None:
    assert formatting.amount(value).replace(NNBSP, " ").replace(NBSP, " ") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "expected"), [("0.005", "0,01"), ("0.015", "0,02")])
def test_amount_rounds_half_up_like_the_domain(value: str, expected: str) -> None:
    # Babel alone would round half-even (0,00 and 0,02).
    assert formatting.amount(Decimal(value)).startswith(expected)


@pytest.mark.parametrize("value", [1.5, None, "douze", True])
def test_amount_refuses_floats_and_non_numbers(value: object) -> None:
    with pytest.raises(FilterError, match="amount"):
        formatting.amount(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 3, 18), "18 mars 2025"),
        (date(2025, 3, 1), "1er mars 2025"),
        (date(2025, 8, 15), "15 août 2025"),
        (date(2026, 12, 1), "1er décembre 2026"),
        (datetime(2025, 11, 22, 10, 30), "22 novembre 2025"),
    ],
)
def test_date_long(value: date, expected: str) -> None:
    # The day never ends a line without its month.
    assert formatting.date_long(value) == expected.replace(" ", NBSP, 1)


def test_date_short() -> None:
    assert formatting.date_short(date(2025, 3, 8)) == "08/03/2025"


@pytest.mark.parametrize("value", ["2025-03-18", None, 20250318])
def test_dates_refuse_non_dates(value: object) -> None:
    with pytest.raises(FilterError, match="date"):
        formatting.date_long(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.15"), "12,15 %"),
        (Decimal("10"), "10,00 %"),
        (Decimal("2.76"), "2,76 %"),
        (Decimal("12.125"), "12,125 %"),  # a contractual rate keeps its decimals
    ],
)
def test_rate(value: Decimal, expected: str) -> None:
    assert formatting.rate(value) == expected.replace(" ", NBSP)


def test_iban_in_groups_of_four() -> None:
    assert formatting.iban("fr76 3000 6000 0112 3456 7890 189") == (
        "FR76 3000 6000 0112 3456 7890 189"
    )
    assert formatting.iban("FR7630006000011234567890189") == "FR76 3000 6000 0112 3456 7890 189"


def test_siren_and_siret() -> None:
    assert formatting.siren("823456781") == "823 456 781"
    assert formatting.siren("82345678100015") == "823 456 781 00015"


def test_country() -> None:
    assert formatting.country("BE") == "Belgique"
    assert formatting.country("XY") == "XY"


def test_filters_are_listed_with_an_example_for_legal_staff() -> None:
    assert set(FILTERS) >= {"amount", "date_long", "date_short", "rate", "amount_words"}
    for name, function in FILTERS.items():
        assert function.__doc__, name


words_missing = importlib.util.find_spec("service.domain.words") is None


@pytest.mark.skipif(words_missing, reason="service.domain.words (amount_in_words) not written yet")
def test_amount_words_delegates_to_the_domain() -> None:
    from service.domain.words import amount_in_words

    assert formatting.amount_words(Decimal("1250.00")) == amount_in_words(Decimal("1250.00"))
    assert formatting.amount_words(Decimal("1250.00")) == "mille deux cent cinquante euros"


def test_amount_words_refuses_floats() -> None:
    with pytest.raises(FilterError):
        formatting.amount_words(12.5)  # type: ignore[arg-type]

"""Amounts in French words (C. civ. 1376) and what a debtor may type for them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.words import (
    LIMIT,
    amount_in_words,
    number_in_words,
    parse_amount_figures,
    words_match,
)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "zéro euro"),
        ("0.01", "un centime"),
        ("0.80", "quatre-vingts centimes"),
        ("1.00", "un euro"),
        ("1.01", "un euro et un centime"),
        ("10.00", "dix euros"),  # no "et zéro centime"
        ("17", "dix-sept euros"),
        ("21", "vingt et un euros"),
        ("71", "soixante et onze euros"),
        ("77", "soixante-dix-sept euros"),
        ("80", "quatre-vingts euros"),
        ("81", "quatre-vingt-un euros"),
        ("91", "quatre-vingt-onze euros"),
        ("99", "quatre-vingt-dix-neuf euros"),
        ("100", "cent euros"),
        ("101", "cent un euros"),
        ("180", "cent quatre-vingts euros"),
        ("200", "deux cents euros"),
        ("201", "deux cent un euros"),
        ("281.15", "deux cent quatre-vingt-un euros et quinze centimes"),
        ("1000", "mille euros"),
        ("1500", "mille cinq cents euros"),
        ("2000", "deux mille euros"),
        ("21000", "vingt et un mille euros"),
        ("80000", "quatre-vingt mille euros"),
        ("200000", "deux cent mille euros"),
        ("1000000", "un million d'euros"),
        ("1000000.50", "un million d'euros et cinquante centimes"),
        ("1000100", "un million cent euros"),
        ("1001000", "un million mille euros"),
        ("2000000", "deux millions d'euros"),
        ("3200000", "trois millions deux cent mille euros"),
        ("80000000", "quatre-vingts millions d'euros"),
        ("200000000", "deux cents millions d'euros"),
        ("1000000000", "un milliard d'euros"),
        ("1000000000000", "un billion d'euros"),
        (
            "999999999999999.99",
            "neuf cent quatre-vingt-dix-neuf billions neuf cent "
            "quatre-vingt-dix-neuf milliards neuf cent quatre-vingt-dix-neuf millions neuf cent "
            "quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf euros et "
            "quatre-vingt-dix-neuf centimes",
        ),
        (
            "1234567890.12",
            "un milliard deux cent trente-quatre millions cinq cent soixante-sept mille "
            "huit cent quatre-vingt-dix euros et douze centimes",
        ),
    ],
)
def test_amount_in_words(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("21", "vingt-et-un euros"),
        ("71", "soixante-et-onze euros"),
        ("281.15", "deux-cent-quatre-vingt-un euros et quinze centimes"),
        ("1500", "mille-cinq-cents euros"),
        ("200000", "deux-cent-mille euros"),
        ("2300000", "deux millions trois-cent-mille euros"),  # million is a noun
        ("1000000", "un million d'euros"),
    ],
)
def test_amount_in_words_1990_spelling(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount), rectified=True) == words


@pytest.mark.parametrize("amount", ["-1", "1.001", "NaN", "Infinity", str(LIMIT)])
def test_amount_in_words_refuses_what_is_not_an_amount(amount: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        amount_in_words(Decimal(amount))


def test_number_in_words_refuses_bad_input() -> None:
    for bad in (-1, LIMIT, True, 1.5):
        with pytest.raises(ValueError, match="whole numbers"):
            number_in_words(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("deux cent quatre-vingt-un euros et quinze centimes", "281.15"),
        ("deux-cent-quatre-vingt-un euros et quinze centimes", "281.15"),  # 1990
        ("Deux Cent Quatre-Vingt-Un Euros Et Quinze Centimes", "281.15"),
        ("  deux cent   quatre vingt un euros quinze centimes. ", "281.15"),  # no "et"
        ("deux cent quatre-vingt-un euros, quinze centimes", "281.15"),
        ("DEUX CENT QUATRE-VINGT-UN EUROS ET QUINZE CENTIMES", "281.15"),
        ("mille cinq cents euros", "1500.00"),
        ("mille cinq cent euros", "1500"),  # the missing s does not change the number
        ("mille-cinq-cents euros", "1500"),
        ("vingt-et-un euros", "21"),
        ("vingt et un euros", "21"),
        ("quatre vingts euros", "80"),
        ("quatre-vingt euros", "80"),
        ("un million d'euros", "1000000"),
        ("un million d’euros", "1000000"),
        ("un million d euros", "1000000"),
        ("deux millions trois-cent-mille euros", "2300000"),
        ("deux-millions-trois-cent-mille euros", "2300000"),
        ("cinquante centimes", "0.50"),
        ("zéro euro et cinquante centimes", "0.50"),
        ("zero euro cinquante centimes", "0.50"),
        ("dix euros et zéro centime", "10"),
        ("un euro", "1"),
        ("un centime", "0.01"),
        ("zéro euro", "0"),
        ("soixante et onze euros", "71"),
        ("soixante-et-onze euros", "71"),
    ],
)
def test_words_match_accepts_spellings_of_the_same_amount(typed: str, amount: str) -> None:
    assert words_match(typed, Decimal(amount))


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("deux cent quatre-vingts euros et quinze centimes", "281.15"),  # 280
        ("deux cent quatre-vingt-un euros", "281.15"),  # the cents are missing
        ("deux cent quatre-vingt-un euros et seize centimes", "281.15"),
        ("deux cent quatre-vingt-un", "281.15"),  # no unit
        ("deux cent quatre-vingt-un euros et quinze", "281.15"),  # no unit for the cents
        ("281,15 euros", "281.15"),  # figures are not words
        ("vingt un euros", "21"),  # not a French numeral
        ("quatre-vingt-et-un euros", "81"),
        ("septante euros", "70"),  # Belgian and Swiss French are not accepted
        ("un million euros", "1000000"),
        ("mille cinq cents euros", "1500.01"),
        ("mille cinq cents euros", "1501"),
        ("cinq cents mille euros", "1500"),
        ("", "0"),
        ("euros", "0"),
        ("cent euros", "1100"),
        ("un cent euros", "100"),
        ("cinq centimes", "5"),
    ],
)
def test_words_match_refuses_anything_else(typed: str, amount: str) -> None:
    assert not words_match(typed, Decimal(amount))


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1 500,00", "1500.00"),
        ("1500", "1500.00"),
        ("1.500,00 €", "1500.00"),
        ("1500.5", "1500.50"),
        ("1,500.00", "1500.00"),
        ("1'500", "1500.00"),
        ("1\u00a0500,00\u00a0€", "1500.00"),
        ("1\u202f500,00 €", "1500.00"),
        ("€ 1 500", "1500.00"),
        ("EUR 1500", "1500.00"),
        ("1500 euros", "1500.00"),
        ("1.500.000", "1500000.00"),
        ("1 500 000,5", "1500000.50"),
        ("0,01", "0.01"),
        ("1,5", "1.50"),
        ("281,15", "281.15"),
    ],
)
def test_parse_amount_figures(typed: str, amount: str) -> None:
    assert parse_amount_figures(typed) == Decimal(amount)


@pytest.mark.parametrize(
    "typed",
    [
        "1.500",  # thousands or decimals? ambiguous
        "1,500",
        "1.500,000",
        "1500,123",
        ",50",
        "-5",
        "+5",
        "15 00",
        "1 5000",
        "1.500,00.00",
        "1..5",
        "abc",
        "",
        "   ",
        "€",
        "mille",
        "1" * 100,  # no debt is that large
    ],
)
def test_parse_amount_figures_refuses_what_it_cannot_read_surely(typed: str) -> None:
    assert parse_amount_figures(typed) is None


# --- properties, against an independent reader of French numerals ---------------------------

_VALUES = {
    "zero": 0, "un": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50,
    "soixante": 60,
}  # fmt: skip
_SCALES = {"million": 10**6, "milliard": 10**9, "billion": 10**12}


def read_french(words: str) -> int:
    """Read French numerals by accumulation; a deliberately different algorithm."""
    total = current = 0
    previous = ""
    for raw in words.replace("-", " ").replace("é", "e").split():
        token = raw[:-1] if raw in ("vingts", "cents", "millions", "milliards", "billions") else raw
        if token == "et":
            continue
        if token == "vingt" and previous == "quatre":
            current += 76  # quatre (4) + vingt -> 80
        elif token in _VALUES:
            current += _VALUES[token]
        elif token == "cent":
            current = (current or 1) * 100
        elif token == "mille":
            total += (current or 1) * 1000
            current = 0
        elif token in _SCALES:
            total += current * _SCALES[token]
            current = 0
        else:
            raise AssertionError(f"unexpected word {raw!r} in {words!r}")
        previous = token
    return total + current


@given(st.integers(min_value=0, max_value=LIMIT - 1))
def test_number_in_words_reads_back(n: int) -> None:
    assert read_french(number_in_words(n)) == n
    assert read_french(number_in_words(n, rectified=True)) == n


def test_number_in_words_is_one_to_one_up_to_a_hundred_thousand() -> None:
    seen = {number_in_words(n) for n in range(100_001)}
    assert len(seen) == 100_001


AMOUNTS = st.integers(min_value=0, max_value=10**13).map(lambda cents: Decimal(cents) / 100)


@given(AMOUNTS, AMOUNTS)
def test_words_match_its_own_words_and_no_other_amount(amount: Decimal, other: Decimal) -> None:
    assert words_match(amount_in_words(amount), amount)
    assert words_match(amount_in_words(amount, rectified=True), amount)
    assert words_match(amount_in_words(amount).upper(), amount)
    if other != amount:
        assert not words_match(amount_in_words(amount), other)


@given(AMOUNTS)
def test_parse_amount_figures_reads_french_and_english_formats(amount: Decimal) -> None:
    plain = f"{amount:.2f}"
    english = f"{amount:,.2f}"
    french = english.replace(",", " ").replace(".", ",")
    for text in (plain, english, french, f"{french} €"):
        assert parse_amount_figures(text) == amount

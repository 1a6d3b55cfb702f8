"""The period function and the semester split, against the official worked examples."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service.domain.interest import period_interest, split_periods
from service.domain.rates import RateTable, Semester


def test_t1_simple_legal_interest_f783() -> None:
    # service-public F783, "Intérêts simples": (2 000 × 30 × 3,11 %) / 365 = 5,11 €,
    # "même si 2020 est une année bissextile, il convient d'utiliser 365".
    assert period_interest(Decimal("2000"), Decimal("3.11"), 30) == Decimal("5.11")
    # The divisor matters: on 366 days the same interest would be 5,10 €.
    assert period_interest(Decimal("2000"), Decimal("3.11"), 30, basis=366) == Decimal("5.10")


@pytest.mark.parametrize(
    ("days", "rate", "expected"),
    [
        # service-public F783, "Intérêts majorés", with its published day counts.
        (62, "3.26", "11.08"),
        (44, "8.26", "19.91"),
        (100, "8.15", "44.66"),
    ],
)
def test_t2_f783_periods_with_explicit_days(days: int, rate: str, expected: str) -> None:
    assert period_interest(Decimal("2000"), Decimal(rate), days) == Decimal(expected)


@pytest.mark.parametrize(
    ("base", "rate", "expected"),
    [
        # legal.md §8 T3 (secondary sources), 30 days each.
        ("15000", "15", "184.93"),  # agenceipro.com
        ("3000", "14.76", "36.39"),  # help.shine.fr
        ("1000", "14.5", "11.92"),  # heropay.eu
    ],
)
def test_t3_thirty_days_of_b2b_penalties(base: str, rate: str, expected: str) -> None:
    assert period_interest(Decimal(base), Decimal(rate), 30) == Decimal(expected)


def test_rounding_is_half_up_per_period() -> None:
    # 36 500 × 1 % × 1 / 365 = 1,00 exactly; 9 125 × 0,02 % × 1 / 365 = 0,005, which
    # goes up to 0,01 (half up, where half-even would give 0,00); 9 124 gives 0,0049994.
    assert period_interest(Decimal("36500"), Decimal("1"), 1) == Decimal("1.00")
    assert period_interest(Decimal("9125"), Decimal("0.02"), 1) == Decimal("0.01")
    assert period_interest(Decimal("9125"), Decimal("0.01"), 2) == Decimal("0.01")
    assert period_interest(Decimal("9124"), Decimal("0.02"), 1) == Decimal("0.00")


def test_split_at_1_july_and_1_january(rates: RateTable) -> None:
    def rate_for(semester: Semester) -> Decimal:
        return rates.get(semester).commercial_rate

    periods = list(split_periods(date(2024, 6, 16), date(2025, 1, 2), Decimal("100"), rate_for))
    assert [(p.start, p.end, p.days, p.rate) for p in periods] == [
        (date(2024, 6, 16), date(2024, 6, 30), 15, Decimal("14.50")),
        (date(2024, 7, 1), date(2024, 12, 31), 184, Decimal("14.25")),
        (date(2025, 1, 1), date(2025, 1, 2), 2, Decimal("13.15")),
    ]

"""compute_figures against figures worked by hand (legal.md §8 and the rules' sources).

Every expected amount below is written out in a comment: base × rate × days / 36 500,
rounded half-up per period.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from domain_cases import b2b, b2c, d, invoice

from service.domain.errors import InvalidCase, UnknownRate
from service.domain.figures import compute_figures
from service.domain.model import Case, Invoice, Payment, PenaltyTerms, Plan
from service.domain.rates import RateTable, Semester, SemesterRates

# --- commercial regime (C. com. L441-10) ---------------------------------------------------


def test_t5_semester_split_at_1_july(rates: RateTable) -> None:
    # 10 000 € due 15 Jun 2024, computed on 15 Sep 2024, default rate:
    #   16-30 Jun 2024: 15 days × 14,50 % (ECB 4,50 on 1 Jan + 10) = 59,589 -> 59,59
    #   1 Jul-15 Sep:   77 days × 14,25 % (ECB 4,25 on 1 Jul + 10) = 300,616 -> 300,62
    figures = compute_figures(b2b(date(2024, 9, 15), invoice("10000.00", date(2024, 6, 15))), rates)
    line = figures.invoices[0]
    assert [(p.start, p.end, p.days, p.rate, p.amount) for p in line.periods] == [
        (date(2024, 6, 16), date(2024, 6, 30), 15, d("14.50"), d("59.59")),
        (date(2024, 7, 1), date(2024, 9, 15), 77, d("14.25"), d("300.62")),
    ]
    assert (figures.penalties, figures.indemnities) == (d("360.21"), d("40.00"))
    assert figures.total == d("10400.21")
    assert figures.regime == "commercial"
    assert figures.interest_rate == d("14.25")
    assert figures.interest_basis == "C. com. L441-10 et D441-5"


def test_t5_low_contractual_rate_is_lifted_to_the_floor(rates: RateTable) -> None:
    # A CGV rate of 12 % is below 3 × TIL "autres cas" in both semesters, so it is lifted:
    #   2024 S1: 3 × 5,07 = 15,21 %: 10 000 × 15,21 × 15 / 36 500 = 62,507 -> 62,51
    #   2024 S2: 3 × 4,92 = 14,76 %: 10 000 × 14,76 × 77 / 36 500 = 311,375 -> 311,38
    figures = compute_figures(
        b2b(date(2024, 9, 15), invoice("10000.00", date(2024, 6, 15)), contractual_rate="12"),
        rates,
    )
    assert [p.rate for p in figures.invoices[0].periods] == [d("15.21"), d("14.76")]
    assert [p.amount for p in figures.invoices[0].periods] == [d("62.51"), d("311.38")]
    assert figures.penalties == d("373.89")
    assert figures.interest_rate == d("14.76")


def test_contractual_rate_above_the_floor_is_used_as_is(rates: RateTable) -> None:
    # T3 (agenceipro.com): 15 000 € at 15 % for 30 days = 184,93 €, + 40 € = 224,93 €.
    # 2025 S2 floor is 3 × 2,76 = 8,28 %, so 15 % stands. 2 Sep-1 Oct 2025 = 30 days.
    figures = compute_figures(
        b2b(date(2025, 10, 1), invoice("15000.00", date(2025, 9, 1)), contractual_rate="15"),
        rates,
    )
    assert [(p.days, p.rate, p.amount) for p in figures.invoices[0].periods] == [
        (30, d("15"), d("184.93"))
    ]
    assert figures.penalties + figures.indemnities == d("224.93")
    assert figures.interest_rate == d("15")


def test_t3_default_rate_in_a_leap_february_uses_365(rates: RateTable) -> None:
    # T3 (heropay.eu): 1 000 € × 14,5 % × 30 / 365 = 11,92 €. 2 Feb-2 Mar 2024 is 30 days
    # only because February 2024 has 29; the divisor stays 365 (F783).
    figures = compute_figures(b2b(date(2024, 3, 2), invoice("1000.00", date(2024, 2, 1))), rates)
    assert [(p.days, p.rate, p.amount) for p in figures.invoices[0].periods] == [
        (30, d("14.50"), d("11.92"))
    ]


def test_half_a_leap_year_on_365_days(rates: RateTable) -> None:
    # 1 Jan-30 Jun 2024 = 182 days: 10 000 × 14,50 × 182 / 36 500 = 723,0137 -> 723,01
    # (on 366 days it would be 721,04).
    figures = compute_figures(
        b2b(date(2024, 6, 30), invoice("10000.00", date(2023, 12, 31))), rates
    )
    assert [(p.days, p.amount) for p in figures.invoices[0].periods] == [(182, d("723.01"))]


def test_29_february_counts_as_a_day(rates: RateTable) -> None:
    # 36 500 € × 14,50 % × 1 / 365 = 14,50 € for 29 Feb 2024 alone.
    figures = compute_figures(b2b(date(2024, 2, 29), invoice("36500.00", date(2024, 2, 28))), rates)
    assert [(p.start, p.days, p.amount) for p in figures.invoices[0].periods] == [
        (date(2024, 2, 29), 1, d("14.50"))
    ]


def test_semester_boundaries_split_one_day_periods(rates: RateTable) -> None:
    # Due 29 Jun 2024, computed 1 Jul: 30 Jun at 14,50 % and 1 Jul at 14,25 %:
    #   10 000 × 14,50 / 36 500 = 3,9726 -> 3,97 ; 10 000 × 14,25 / 36 500 = 3,9041 -> 3,90
    figures = compute_figures(b2b(date(2024, 7, 1), invoice("10000.00", date(2024, 6, 29))), rates)
    assert [(p.start, p.end, p.amount) for p in figures.invoices[0].periods] == [
        (date(2024, 6, 30), date(2024, 6, 30), d("3.97")),
        (date(2024, 7, 1), date(2024, 7, 1), d("3.90")),
    ]
    # Due 31 Dec 2024, computed 1 Jan 2025: one day at the 2025 S1 rate, 13,15 %.
    figures = compute_figures(b2b(date(2025, 1, 1), invoice("10000.00", date(2024, 12, 31))), rates)
    assert [(p.start, p.rate) for p in figures.invoices[0].periods] == [
        (date(2025, 1, 1), d("13.15"))
    ]


def test_payment_is_imputed_on_interest_first(rates: RateTable) -> None:
    # Worked by hand (C. civ. 1343-1). 1 000 € due 31 Jan 2025, 500 € paid 2 Mar 2025,
    # computed 31 Mar 2025, 2025 S1 rate 13,15 %:
    #   1 Feb-2 Mar (30 days, payment day included): 1 000 × 13,15 × 30 / 36 500
    #       = 10,808 -> 10,81
    #   the 500 € pay the 10,81 of interest, then 489,19 of principal -> 510,81 left
    #   3-31 Mar (29 days): 510,81 × 13,15 × 29 / 36 500 = 5,3369 -> 5,34
    #   owed: 510,81 + 5,34 + 40 = 556,15; accrued in all 10,81 + 5,34 = 16,15
    figures = compute_figures(
        b2b(
            date(2025, 3, 31),
            invoice("1000.00", date(2025, 1, 31), (date(2025, 3, 2), "500.00")),
        ),
        rates,
    )
    line = figures.invoices[0]
    assert [(p.start, p.end, p.days, p.base, p.amount) for p in line.periods] == [
        (date(2025, 2, 1), date(2025, 3, 2), 30, d("1000.00"), d("10.81")),
        (date(2025, 3, 3), date(2025, 3, 31), 29, d("510.81"), d("5.34")),
    ]
    assert (line.paid, line.principal) == (d("500.00"), d("510.81"))
    assert (line.penalties_accrued, line.penalties, line.indemnity) == (
        d("16.15"),
        d("5.34"),
        d("40.00"),
    )
    assert figures.total == d("556.15")


def test_payment_that_only_covers_interest_still_splits_the_period(rates: RateTable) -> None:
    # 10 days on 1 000 € at 13,15 % = 3,6027 -> 3,60; a 2 € payment pays interest only,
    # so the base stays 1 000 and 1,60 of interest remains owed.
    figures = compute_figures(
        b2b(
            date(2025, 2, 20),
            invoice("1000.00", date(2025, 1, 31), (date(2025, 2, 10), "2.00")),
        ),
        rates,
    )
    line = figures.invoices[0]
    # 11-20 Feb: 10 days again, 3,60: owed 1,60 + 3,60 = 5,20.
    assert [(p.days, p.base, p.amount) for p in line.periods] == [
        (10, d("1000.00"), d("3.60")),
        (10, d("1000.00"), d("3.60")),
    ]
    assert (line.principal, line.penalties_accrued, line.penalties) == (
        d("1000.00"),
        d("7.20"),
        d("5.20"),
    )


def test_payment_on_the_due_date_is_not_late(rates: RateTable) -> None:
    # 400 € of 1 000 € paid on the due date (31 Mar 2025): no interest on that day; the
    # 600 € left run from 1 Apr: 30 days × 13,15 % = 600 × 13,15 × 30 / 36 500 = 6,4849
    # -> 6,48. The invoice is still late, so the 40 € are owed.
    figures = compute_figures(
        b2b(
            date(2025, 4, 30),
            invoice("1000.00", date(2025, 3, 31), (date(2025, 3, 31), "400.00")),
        ),
        rates,
    )
    line = figures.invoices[0]
    assert [(p.start, p.base, p.amount) for p in line.periods] == [
        (date(2025, 4, 1), d("600.00"), d("6.48"))
    ]
    assert (line.principal, line.indemnity) == (d("600.00"), d("40.00"))


def test_full_payment_on_or_before_the_due_date_owes_nothing(rates: RateTable) -> None:
    figures = compute_figures(
        b2b(
            date(2025, 4, 30),
            invoice(
                "1000.00",
                date(2025, 3, 31),
                (date(2025, 3, 20), "300.00"),
                (date(2025, 3, 31), "700.00"),
            ),
        ),
        rates,
    )
    assert figures.invoices[0].periods == ()
    assert (figures.principal, figures.penalties, figures.indemnities) == (
        d("0.00"),
        d("0.00"),
        d("0.00"),
    )


@pytest.mark.parametrize("due", [date(2025, 4, 30), date(2025, 5, 15)])
def test_invoice_not_yet_due_owes_principal_only(rates: RateTable, due: date) -> None:
    # Due on as_of or later: penalties start the day after the due date, so none yet.
    figures = compute_figures(b2b(date(2025, 4, 30), invoice("800.00", due)), rates)
    line = figures.invoices[0]
    assert (line.periods, line.indemnity, line.penalties) == ((), d("0.00"), d("0.00"))
    assert figures.total == d("800.00")


def test_indemnity_per_late_invoice_and_can_be_waived(rates: RateTable) -> None:
    case = b2b(
        date(2025, 4, 30),
        invoice("100.00", date(2025, 3, 31), number="A"),
        invoice("100.00", date(2025, 4, 15), number="B"),
        invoice("100.00", date(2025, 5, 31), number="C"),  # not yet due
    )
    assert compute_figures(case, rates).indemnities == d("80.00")
    waived = b2b(date(2025, 4, 30), invoice("100.00", date(2025, 3, 31)), indemnity=False)
    figures = compute_figures(waived, rates)
    assert figures.indemnities == d("0.00")
    assert figures.interest_basis == "C. com. L441-10"


def test_surplus_after_interest_and_principal_pays_the_indemnity(rates: RateTable) -> None:
    # 1 000 € due 31 Jan 2025, 10 days late: 1 000 × 13,15 × 10 / 36 500 = 3,6027 -> 3,60.
    # Owed on 10 Feb: 3,60 + 1 000 + 40 = 1 043,60.
    def paid(amount: str) -> Case:
        return b2b(
            date(2025, 2, 28),
            invoice("1000.00", date(2025, 1, 31), (date(2025, 2, 10), amount), number="F-7"),
        )

    settled = compute_figures(paid("1043.60"), rates)
    assert (settled.principal, settled.penalties, settled.indemnities) == (
        d("0.00"),
        d("0.00"),
        d("0.00"),
    )
    assert settled.invoices[0].penalties_accrued == d("3.60")

    partly = compute_figures(paid("1013.60"), rates)
    assert (partly.principal, partly.penalties, partly.indemnities) == (
        d("0.00"),
        d("0.00"),
        d("30.00"),
    )

    with pytest.raises(InvalidCase) as caught:
        compute_figures(paid("1043.61"), rates)
    assert "invoice F-7" in caught.value.message
    assert "exceeds what was owed by 0.01" in caught.value.message
    assert caught.value.details[0]["field"] == "invoices[0].payments[0].amount"


def test_overpayment_before_the_due_date(rates: RateTable) -> None:
    case = b2b(
        date(2025, 4, 30),
        invoice("500.00", date(2025, 3, 31), number="F-2025-09"),
        invoice("1000.00", date(2025, 3, 31), (date(2025, 3, 1), "1200.00"), number="F-2025-10"),
    )
    with pytest.raises(InvalidCase) as caught:
        compute_figures(case, rates)
    assert caught.value.code == "invalid_case"
    assert "invoice F-2025-10" in caught.value.message
    assert caught.value.details[0]["field"] == "invoices[1].payments[0].amount"


def test_unknown_semester_raises_naming_2026_s2(rates_without_2026_s2: RateTable) -> None:
    case = b2b(date(2026, 11, 23), invoice("1250.00", date(2026, 9, 15)))
    with pytest.raises(UnknownRate) as caught:
        compute_figures(case, rates_without_2026_s2)
    assert caught.value.semester == "2026-S2"
    assert caught.value.message == (
        "no ECB main refinancing rate is known for semester 2026-S2, needed for the L441-10 "
        "penalty rate (ECB rate + 10 points); add it with PUT /v1/rates/2026-S2")
    # Never the old workaround: a contractual rate is not a substitute for a rate.
    assert "contractual_rate" not in caught.value.message


def test_one_error_names_every_unknown_semester(rates: RateTable) -> None:
    # Late since May 2025, computed in March 2031: 2027-S1 to 2031-S1 are all missing
    # (2026-S2 is shipped with its ECB rate, all the default rate needs).
    case = b2b(date(2031, 3, 2), invoice("100.00", date(2025, 5, 14)))
    with pytest.raises(UnknownRate) as caught:
        compute_figures(case, rates)
    labels = [f"{year}-S{half}" for year in range(2027, 2032) for half in (1, 2)][:-1]
    assert caught.value.semesters == tuple(labels)
    assert caught.value.semester == "2027-S1"
    assert caught.value.message.startswith(
        "no ECB main refinancing rate is known for semesters 2027-S1, 2027-S2, 2028-S1"
    )
    assert "2031-S1, needed for the L441-10 penalty rate (ECB rate + 10 points); add each with " \
        "PUT /v1/rates/<semester>" in caught.value.message
    assert len(caught.value.details) == len(labels)


def test_unknown_rate_comes_before_an_apparent_overpayment(
    rates_without_2026_s2: RateTable,
) -> None:
    # Paying 1 010 € on a 1 000 € invoice one month late is plausible (interest); without
    # the rate of 2026 S2 the engine cannot tell, so it asks for the rate.
    case = b2b(
        date(2026, 8, 1),
        invoice("1000.00", date(2026, 6, 30), (date(2026, 7, 31), "1010.00")),
        indemnity=False,
    )
    with pytest.raises(UnknownRate, match="2026-S2"):
        compute_figures(case, rates_without_2026_s2)


def test_contractual_rate_needs_the_legal_rate_of_its_semester(
    rates: RateTable, rates_without_2026_s2: RateTable,
) -> None:
    # 2026 S2 is shipped with its ECB rate only: the floor of a contractual rate (3 × the
    # legal rate) cannot be checked, so the agreed rate is refused, never applied unchecked
    # (3 % where the floor may be 3 × 2,62 = 7,86 % or more). The same without the row.
    case = b2b(
        date(2026, 11, 22),
        invoice("1250.00", date(2026, 9, 15), (date(2026, 10, 1), "200.00")),
        contractual_rate="3",
    )
    for table in (rates, rates_without_2026_s2):
        with pytest.raises(UnknownRate) as caught:
            compute_figures(case, table)
        assert caught.value.semesters == ("2026-S2",)
        assert caught.value.rate == "legal_rate_other"
        assert caught.value.message == (
            'no legal interest rate ("autres cas") is known for semester 2026-S2, needed for '
            "the floor of penalties.contractual_rate (3 × the legal rate, C. com. L441-10); "
            "add it with PUT /v1/rates/2026-S2")


def test_an_ecb_only_semester_gives_the_default_rate(rates: RateTable) -> None:
    # 2026 S2: ECB 2,40 % on 1 July 2026 (decision of 11 June, in force 17 June) + 10 points.
    #   16 Sep-1 Oct 2026 (16 days): 1 250 × 12,40 × 16 / 36 500 = 6,7945 -> 6,79
    #   200 € paid 1 Oct: 6,79 interest, 193,21 principal -> 1 056,79 left
    #   2 Oct-22 Nov (52 days): 1 056,79 × 12,40 × 52 / 36 500 = 18,6694 -> 18,67
    case = b2b(
        date(2026, 11, 22),
        invoice("1250.00", date(2026, 9, 15), (date(2026, 10, 1), "200.00")),
    )
    figures = compute_figures(case, rates)
    assert [(p.days, p.base, p.rate, p.amount) for p in figures.invoices[0].periods] == [
        (16, d("1250.00"), d("12.40"), d("6.79")),
        (52, d("1056.79"), d("12.40"), d("18.67")),
    ]
    assert (figures.principal, figures.penalties) == (d("1056.79"), d("18.67"))
    assert figures.total == d("1115.46")  # + 40 € indemnity
    assert figures.interest_rate == d("12.40")


def test_operator_entered_semester_is_used(rates_without_2026_s2: RateTable) -> None:
    # Test figures, not the published ones: ECB 2,00 -> 12,00 %.
    # 1-30 Sep 2026: 30 days × 12 % on 36 500 € = 36 500 × 12 × 30 / 36 500 = 360,00.
    table = rates_without_2026_s2.with_rows(
        [SemesterRates(Semester(2026, 2), d("2.00"), d("6.00"), d("2.00"), "test")]
    )
    figures = compute_figures(b2b(date(2026, 9, 30), invoice("36500.00", date(2026, 8, 31))), table)
    assert figures.penalties == d("360.00")
    assert figures.interest_rate == d("12.00")


def test_fully_paid_invoice_needs_no_rate(rates_without_2026_s2: RateTable) -> None:
    # Paid in full in 2026 S1: nothing runs in 2026 S2, and the letter's rate is contractual.
    case = b2b(
        date(2026, 11, 23),
        invoice("100.00", date(2026, 3, 31), (date(2026, 3, 31), "100.00")),
        contractual_rate="10",
    )
    figures = compute_figures(case, rates_without_2026_s2)
    assert figures.total == d("0.00")


# --- civil regime (C. civ. 1231-6, 1344-1) -----------------------------------------------


def test_t6_professional_creditor_consumer_debtor(rates: RateTable) -> None:
    # 1 200 €, mise en demeure presented 3 Mar 2025, computed 15 Oct 2025, "autres cas":
    #   4 Mar-30 Jun: 119 days × 3,71 % = 1 200 × 3,71 × 119 / 36 500 = 14,5147 -> 14,51
    #   1 Jul-15 Oct: 107 days × 2,76 % = 1 200 × 2,76 × 107 / 36 500 = 9,7091 -> 9,71
    figures = compute_figures(
        b2c(date(2025, 10, 15), invoice("1200.00", date(2025, 2, 1)), notice=date(2025, 3, 3)),
        rates,
    )
    line = figures.invoices[0]
    assert [(p.start, p.end, p.days, p.rate, p.amount) for p in line.periods] == [
        (date(2025, 3, 4), date(2025, 6, 30), 119, d("3.71"), d("14.51")),
        (date(2025, 7, 1), date(2025, 10, 15), 107, d("2.76"), d("9.71")),
    ]
    assert (figures.penalties, figures.indemnities) == (d("24.22"), d("0.00"))
    assert figures.regime == "civil"
    assert figures.interest_rate == d("2.76")
    assert figures.interest_basis == "C. civ. 1231-6 et 1344-1"


@pytest.mark.parametrize("debtor", ["consumer", "company"])
def test_t6_creditor_who_is_a_private_individual(rates: RateTable, debtor: str) -> None:
    # Same facts, "particuliers" rate (a natural person not acting professionally):
    #   119 days × 7,21 % = 1 200 × 7,21 × 119 / 36 500 = 28,2079 -> 28,21
    #   107 days × 6,65 % = 1 200 × 6,65 × 107 / 36 500 = 23,3934 -> 23,39
    figures = compute_figures(
        b2c(
            date(2025, 10, 15),
            invoice("1200.00", date(2025, 2, 1)),
            notice=date(2025, 3, 3),
            creditor="individual",
            debtor=debtor,
        ),
        rates,
    )
    assert [p.amount for p in figures.invoices[0].periods] == [d("28.21"), d("23.39")]
    assert (figures.penalties, figures.indemnities) == (d("51.60"), d("0.00"))
    assert figures.regime == "civil"
    assert figures.interest_rate == d("6.65")


def test_t6_settled_on_15_october(rates: RateTable) -> None:
    # Paying 1 224,22 on 15 Oct settles interest (24,22) then principal: nothing runs after.
    figures = compute_figures(
        b2c(
            date(2025, 12, 31),
            invoice("1200.00", date(2025, 2, 1), (date(2025, 10, 15), "1224.22")),
            notice=date(2025, 3, 3),
        ),
        rates,
    )
    line = figures.invoices[0]
    assert (line.principal, line.penalties_accrued, line.penalties) == (
        d("0.00"),
        d("24.22"),
        d("0.00"),
    )
    assert line.periods[-1].end == date(2025, 10, 15)


def test_no_notice_no_interest_and_no_rate_on_a_relance(rates: RateTable) -> None:
    figures = compute_figures(b2c(date(2025, 10, 15), invoice("1200.00", date(2025, 2, 1))), rates)
    assert figures.invoices[0].periods == ()
    assert (figures.penalties, figures.indemnities, figures.total) == (
        d("0.00"),
        d("0.00"),
        d("1200.00"),
    )
    assert figures.interest_rate is None


def test_notice_before_the_due_date_runs_from_the_day_after_the_due_date(
    rates: RateTable,
) -> None:
    figures = compute_figures(
        b2c(date(2025, 5, 31), invoice("100.00", date(2025, 4, 30)), notice=date(2025, 3, 3)),
        rates,
    )
    assert figures.invoices[0].periods[0].start == date(2025, 5, 1)


def test_civil_payment_before_the_notice_reduces_principal_only(rates: RateTable) -> None:
    # 200 € paid 1 Mar, before the notice of 3 Mar: no interest yet, 1 000 € run from 4 Mar.
    figures = compute_figures(
        b2c(
            date(2025, 3, 31),
            invoice("1200.00", date(2025, 2, 1), (date(2025, 3, 1), "200.00")),
            notice=date(2025, 3, 3),
        ),
        rates,
    )
    assert [(p.start, p.base) for p in figures.invoices[0].periods] == [
        (date(2025, 3, 4), d("1000.00"))
    ]


def test_civil_mise_en_demeure_states_the_rate_and_the_deadline(rates: RateTable) -> None:
    figures = compute_figures(
        b2c(date(2025, 4, 23), invoice("1200.00", date(2025, 2, 1)), kind="mise_en_demeure"),
        rates,
    )
    assert figures.interest_rate == d("3.71")  # 2025 S1, "autres cas"
    assert figures.deadline == date(2025, 5, 2)  # T8: 1 May is a holiday
    assert figures.penalties == d("0.00")


def test_civil_mise_en_demeure_needs_the_rate_of_its_semester(
    rates_without_2026_s2: RateTable,
) -> None:
    case = b2c(date(2026, 11, 23), invoice("100.00", date(2026, 5, 1)), kind="mise_en_demeure")
    with pytest.raises(UnknownRate) as caught:
        compute_figures(case, rates_without_2026_s2)
    assert caught.value.message == (
        'no legal interest rate ("autres cas") is known for semester 2026-S2, needed for '
        "interest at the legal rate (C. civ. 1231-6, 1344-1); add it with PUT /v1/rates/2026-S2"
    )


def test_contractual_rate_is_refused_in_the_civil_regime(rates: RateTable) -> None:
    case = Case(
        kind="relance",
        as_of=date(2025, 4, 30),
        debtor_type="consumer",
        invoices=(invoice("100.00", date(2025, 3, 31)),),
        penalties=PenaltyTerms(contractual_rate=d("10")),
    )
    with pytest.raises(InvalidCase) as caught:
        compute_figures(case, rates)
    assert caught.value.details[0]["field"] == "penalties.contractual_rate"


# --- validation ---------------------------------------------------------------------------


def test_every_problem_is_reported_at_once(rates: RateTable) -> None:
    case = Case(
        kind="relance",
        as_of=date(2025, 4, 30),
        debtor_type="company",
        invoices=(
            Invoice(
                number="F-1",
                due_date=date(2025, 3, 31),
                amount=d("100.00"),
                issue_date=date(2025, 3, 1),
                payments=(
                    Payment(date(2025, 5, 2), d("10.00")),  # after as_of
                    Payment(date(2025, 2, 1), d("10.00")),  # before the invoice
                    Payment(date(2025, 4, 1), d("1.001")),  # not cents
                ),
            ),
            Invoice(number="F-1", due_date=date(2025, 3, 31), amount=d("0.00")),
        ),
        prior_notice_date=date(2025, 5, 1),
        deadline_days=0,
    )
    with pytest.raises(InvalidCase) as caught:
        compute_figures(case, rates)
    fields = {detail["field"] for detail in caught.value.details}
    assert fields == {
        "prior_notice_date",
        "deadline_days",
        "invoices[0].payments[0].date",
        "invoices[0].payments[1].date",
        "invoices[0].payments[2].amount",
        "invoices[1].number",
        "invoices[1].amount",
    }
    assert "invoice F-1: payment dated 2025-05-02, after as_of (2025-04-30)" in (
        caught.value.message
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "lettre"}, "kind"),
        ({"debtor_type": "person"}, "debtor.type"),
        ({"creditor_type": "bank"}, "creditor.type"),
        ({"invoices": ()}, "invoices"),
        ({"kind": "echeancier"}, "plan"),
        ({"penalties": PenaltyTerms(contractual_rate=d("0"))}, "penalties.contractual_rate"),
    ],
)
def test_invalid_case_names_the_field(rates: RateTable, change: dict, field: str) -> None:
    base = {
        "kind": "relance",
        "as_of": date(2025, 4, 30),
        "debtor_type": "company",
        "invoices": (invoice("100.00", date(2025, 3, 31)),),
    }
    with pytest.raises(InvalidCase) as caught:
        compute_figures(Case(**{**base, **change}), rates)
    assert [detail["field"] for detail in caught.value.details] == [field]


@pytest.mark.parametrize("amount", ["1E+30", "1000000000000.00", "0.001", "-5.00"])
def test_absurd_amounts_are_refused_not_crashed_on(rates: RateTable, amount: str) -> None:
    case = b2b(date(2025, 4, 30), invoice("1.00", date(2025, 3, 31)))
    bad = replace(case, invoices=(invoice(amount, date(2025, 3, 31), number="X"),))
    with pytest.raises(InvalidCase, match=r"invoice X: must be an amount in cents"):
        compute_figures(bad, rates)


def test_invoice_issued_after_its_due_date(rates: RateTable) -> None:
    case = b2b(
        date(2025, 4, 30),
        invoice("100.00", date(2025, 3, 31), issued=date(2025, 4, 1), number="F-9"),
    )
    with pytest.raises(InvalidCase, match="invoice F-9: issued after its due date"):
        compute_figures(case, rates)


# --- shape of the output ------------------------------------------------------------------


def test_to_json_of_a_mise_en_demeure(rates: RateTable) -> None:
    figures = compute_figures(
        b2b(
            date(2025, 3, 31),
            invoice("1000.00", date(2025, 1, 31), (date(2025, 3, 2), "500.00")),
            kind="mise_en_demeure",
        ),
        rates,
    )
    body = figures.to_json()
    assert list(body) == [
        "as_of",
        "issued_on",
        "currency",
        "regime",
        "principal",
        "penalties",
        "indemnities",
        "total",
        "claim",
        "claimed",
        "reserved",
        "waived",
        "interest_rate",
        "invoices",
        "deadline",
    ]
    # Computed without an issue day: as if issued on as_of, claiming everything.
    assert (body["issued_on"], body["claim"]) == ("2025-03-31", "claim")
    assert body["claimed"] == body["total"]
    assert (body["reserved"], body["waived"]) == ("0.00", "0.00")
    assert body["invoices"][0] == {
        "number": "F-1",
        "amount": "1000.00",
        "paid": "500.00",
        "principal": "510.81",
        "penalties_accrued": "16.15",
        "penalties": "5.34",
        "indemnity": "40.00",
        "periods": [
            {
                "from": "2025-02-01",
                "to": "2025-03-02",
                "days": 30,
                "base": "1000.00",
                "rate": "13.15",
                "amount": "10.81",
            },
            {
                "from": "2025-03-03",
                "to": "2025-03-31",
                "days": 29,
                "base": "510.81",
                "rate": "13.15",
                "amount": "5.34",
            },
        ],
    }
    assert (body["total"], body["interest_rate"], body["currency"]) == ("556.15", "13.15", "EUR")
    assert body["deadline"] == "2025-04-08"  # Mon 31 Mar + 8 days = Tue 8 Apr 2025


def test_to_json_of_a_relance_has_no_deadline_nor_schedule(rates: RateTable) -> None:
    body = compute_figures(b2b(date(2025, 3, 31), invoice("100.00", date(2025, 4, 30))), rates)
    assert set(body.to_json()) == {
        "as_of",
        "currency",
        "regime",
        "principal",
        "penalties",
        "indemnities",
        "total",
        "claim",
        "claimed",
        "reserved",
        "waived",
        "interest_rate",
        "invoices",
        "issued_on",
    }


def test_contractual_rate_with_more_decimals_keeps_them(rates: RateTable) -> None:
    figures = compute_figures(
        b2b(date(2025, 10, 1), invoice("100.00", date(2025, 9, 1)), contractual_rate="12.125"),
        rates,
    )
    body = figures.to_json()
    assert body["interest_rate"] == "12.125"
    assert body["invoices"][0]["periods"][0]["rate"] == "12.125"


# --- échéancier -----------------------------------------------------------------------------


def test_echeancier_consumer_example(rates: RateTable) -> None:
    # The shared example: 1 290 €, notice 1 Sep 2025, plan on 6 Oct 2025, debtor in
    # Strasbourg. Interest 2-Sep-6 Oct (35 days) × 2,76 % = 1 290 × 2,76 × 35 / 36 500
    # = 3,4141 -> 3,41; total 1 293,41; 90 € down; 1 203,41 / 6 = 200,568 -> 200,56 × 5
    # and 1 203,41 − 1 002,80 = 200,61 last.
    plan = Plan(6, date(2025, 10, 31), down_payment=d("90.00"))
    figures = compute_figures(
        b2c(
            date(2025, 10, 6),
            invoice("1290.00", date(2025, 7, 2)),
            notice=date(2025, 9, 1),
            kind="echeancier",
            plan=plan,
        ),
        rates,
    )
    assert figures.total == figures.plan_total == d("1293.41")
    assert figures.schedule is not None
    assert [(i.number, i.due_date, i.amount, i.kind) for i in figures.schedule] == [
        (0, date(2025, 10, 6), d("90.00"), "down_payment"),
        (1, date(2025, 10, 31), d("200.56"), "installment"),
        (2, date(2025, 11, 30), d("200.56"), "installment"),
        (3, date(2025, 12, 31), d("200.56"), "installment"),
        (4, date(2026, 1, 31), d("200.56"), "installment"),
        (5, date(2026, 2, 28), d("200.56"), "installment"),
        (6, date(2026, 3, 31), d("200.61"), "installment"),
    ]
    body = figures.to_json()
    assert body["plan_total"] == "1293.41"
    assert body["schedule"][0] == {
        "number": 0,
        "due_date": "2025-10-06",
        "amount": "90.00",
        "kind": "down_payment",
    }
    assert "deadline" not in body


def test_waived_penalties_plan_covers_principal_only(rates: RateTable) -> None:
    # T5 again: the debt is 10 400,21 but the creditor waives 360,21 + 40 in the plan.
    plan = Plan(4, date(2024, 10, 15), waive_penalties=True)
    figures = compute_figures(
        b2b(
            date(2024, 9, 15), invoice("10000.00", date(2024, 6, 15)), kind="echeancier", plan=plan
        ),
        rates,
    )
    assert figures.total == d("10400.21")
    assert figures.plan_total == d("10000.00")
    assert figures.schedule is not None
    assert [i.amount for i in figures.schedule] == [d("2500.00")] * 4


def test_plan_is_ignored_outside_an_echeancier(rates: RateTable) -> None:
    plan = Plan(4, date(2024, 10, 15))
    figures = compute_figures(
        b2b(date(2024, 9, 15), invoice("100.00", date(2024, 6, 15)), plan=plan), rates
    )
    assert (figures.schedule, figures.plan_total) == (None, None)

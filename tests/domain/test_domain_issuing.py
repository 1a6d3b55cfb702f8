"""The issuing rules and the claim modes, with figures worked by hand.

Rates (service/data/rates.csv): 2025 S1 ECB 3,15 % -> 13,15 %; 2025 S2 ECB 2,15 % ->
12,15 %; legal rate "autres cas" 2025 S2 2,76 %. Interest = base × rate × days / 36 500,
rounded half-up per period.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from domain_cases import b2b, b2c, d, invoice

from service.domain.errors import InvalidCase, NothingDue, NotYetDue
from service.domain.figures import compute_figures, default_claim
from service.domain.issuing import check_dates, check_issuable
from service.domain.model import Case, PenaltyTerms, Plan
from service.domain.rates import RateTable

ISSUED = date(2025, 9, 1)


def issued(case: Case, on: date = ISSUED, claim: str | None = None) -> Case:
    penalties = case.penalties if claim is None else replace(case.penalties, claim=claim)
    return replace(case, issued_on=on, penalties=penalties)


def issue(case: Case, rates: RateTable, minimum: str = "5.00") -> None:
    check_issuable(case, compute_figures(case, rates), d(minimum))


# --- two dates ----------------------------------------------------------------------------


def test_as_of_may_be_up_to_31_days_before_the_issue_day() -> None:
    check_dates(date(2025, 8, 1), ISSUED)  # 31 days before 1 September
    check_dates(ISSUED, ISSUED)
    with pytest.raises(InvalidCase) as caught:
        check_dates(date(2025, 7, 31), ISSUED)  # 32 days
    assert caught.value.details[0]["field"] == "as_of"
    assert caught.value.message == (
        "as_of: figures older than a month: as_of 2025-07-31 is 32 days before the issue date "
        "2025-09-01 (at most 31); omit as_of to compute them through the issue date, or use "
        "POST /v1/figures for an older décompte")


def test_as_of_is_never_after_the_issue_day() -> None:
    with pytest.raises(InvalidCase, match="as_of: is 2025-09-02, after the issue date "
                       "2025-09-01: figures cannot run past the day the letter is dated"):
        check_dates(date(2025, 9, 2), ISSUED)


def test_the_deadline_runs_from_the_issue_day(rates: RateTable) -> None:
    # Figures through Friday 29 August, letter dated Monday 1 September, 8 days:
    # 1 Sep + 8 = Tuesday 9 September (CPC 641), not 29 Aug + 8 = 6 Sep (a Saturday -> 8 Sep).
    case = issued(b2b(date(2025, 8, 29), invoice("1000.00", date(2025, 6, 30)),
                      kind="mise_en_demeure"))
    figures = compute_figures(case, rates)
    assert (figures.as_of, figures.issued_on, figures.deadline) == (
        date(2025, 8, 29), ISSUED, date(2025, 9, 9))
    # 1 Jul-29 Aug 2025, 60 days: 1 000 × 12,15 × 60 / 36 500 = 19,9726 -> 19,97
    assert figures.penalties == d("19.97")


# --- only what is due ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["relance", "mise_en_demeure"])
def test_an_invoice_not_overdue_cannot_be_claimed(rates: RateTable, kind: str) -> None:
    case = issued(b2b(ISSUED, invoice("500.00", date(2025, 7, 31), number="F-1"),
                      invoice("800.00", date(2025, 10, 15), number="F-2"),
                      invoice("300.00", date(2025, 9, 1), number="F-3"), kind=kind))
    with pytest.raises(NotYetDue) as caught:
        issue(case, rates)
    assert caught.value.code == "not_yet_due"
    assert [e["field"] for e in caught.value.details] == ["invoices[1].due_date",
                                                         "invoices[2].due_date"]
    assert caught.value.details[0]["message"] == (
        "invoice F-2 falls due on 2025-10-15: it is not overdue on 2025-09-01 and a relance or "
        "mise en demeure cannot claim it before the day after its due date (C. civ. 1305-2)")
    # Due the day before: overdue, claimable.
    issue(replace(case, invoices=case.invoices[:1]), rates)


def test_not_yet_due_is_only_the_letters_rule(rates: RateTable) -> None:
    # The figures simply owe no penalty on it (POST /v1/figures, an échéancier's total).
    case = b2b(ISSUED, invoice("800.00", date(2025, 10, 15)))
    figures = compute_figures(case, rates)
    assert (figures.principal, figures.penalties, figures.indemnities) == (
        d("800.00"), d("0.00"), d("0.00"))


def test_a_paid_invoice_with_cents_of_interest_left_is_not_claimed(rates: RateTable) -> None:
    # The issue's "simple oubli" case: 100 € due 30 June 2025, paid 100 € on 2 July.
    #   1-2 Jul, 2 days: 100 × 12,15 × 2 / 36 500 = 0,0666 -> 0,07; the payment goes to the
    #   interest first (1343-1): 0,07 interest + 99,93 principal -> 0,07 of principal left.
    #   3 Jul-1 Sep, 61 days: 0,07 × 12,15 × 61 / 36 500 = 0,0014 -> 0,00.
    # A courteous reminder would ask 0,07 € (mention) or 40,07 € (claim): refused.
    case = issued(b2b(ISSUED, invoice("100.00", date(2025, 6, 30), (date(2025, 7, 2), "100.00"))))
    figures = compute_figures(case, rates)
    assert (figures.principal, figures.penalties, figures.indemnities) == (
        d("0.07"), d("0.00"), d("40.00"))
    assert figures.claim == "mention"
    with pytest.raises(NothingDue) as caught:
        issue(case, rates)
    assert caught.value.message == (
        "nothing is due (rien n'est dû): every invoice is paid in full and what is left is "
        "0.07 EUR of interest, below minimum_claim (5.00 EUR)")
    # Without the indemnity, claiming changes nothing: 0,07 € is below the minimum.
    with pytest.raises(NothingDue):
        issue(issued(replace(case, penalties=PenaltyTerms(indemnity=False)), claim="claim"),
              rates)
    # A creditor who means to claim the 40 € indemnity may: 40,07 €.
    claimed = issued(case, claim="claim")
    issue(claimed, rates)
    assert compute_figures(claimed, rates).claimed == d("40.07")
    # And a lower minimum lets the cents through, in the letter's claim mode.
    issue(case, rates, minimum="0.05")


def test_a_letter_that_would_ask_nothing_is_refused(rates: RateTable) -> None:
    # 1 000 € due 31 May, paid 1 000 € on 30 June: 30 days late, 1 000 × 13,15 × 30 / 36 500
    # = 10,8082 -> 10,81 of interest, paid first; 10,81 of principal left, which accrues
    # 1 Jul-1 Sep, 63 days: 10,81 × 12,15 × 63 / 36 500 = 0,2267 -> 0,23. Above 5 €: due.
    case = issued(b2b(ISSUED, invoice("1000.00", date(2025, 5, 31), (date(2025, 6, 30), "1000.00")),
                      kind="mise_en_demeure"))
    figures = compute_figures(case, rates)
    assert (figures.principal, figures.penalties) == (d("10.81"), d("0.23"))
    issue(case, rates)
    # Paid 1 010,81 €: principal and interest settled, the 40 € alone is left: nothing is
    # due unless the letter claims it; even with no minimum, a letter that only mentions it
    # would ask 0 €.
    paid_all = issued(b2b(ISSUED, invoice("1000.00", date(2025, 5, 31),
                                          (date(2025, 6, 30), "1010.81")), kind="relance"))
    with pytest.raises(NothingDue, match=r"paid in full and what is left is 0\.00 EUR"):
        issue(paid_all, rates)
    with pytest.raises(NothingDue, match=r"penalties\.claim is 'mention', so the 40\.00 EUR"):
        issue(paid_all, rates, minimum="0.00")
    issue(issued(paid_all, claim="claim"), rates)


# --- the claim modes ------------------------------------------------------------------------


def test_default_claim_modes() -> None:
    assert default_claim("relance", 1) == "mention"
    assert default_claim("relance", 2) == "claim"
    assert default_claim("mise_en_demeure", 1) == "claim"
    assert default_claim("echeancier", 1) == "claim"


@pytest.mark.parametrize(("mode", "claimed", "reserved", "waived"), [
    ("claim", "1115.46", "0.00", "0.00"),
    ("mention", "1056.79", "58.67", "0.00"),
    ("waive", "1056.79", "0.00", "58.67"),
])
def test_the_figures_show_all_three_amounts_whatever_is_claimed(
    rates: RateTable, mode: str, claimed: str, reserved: str, waived: str,
) -> None:
    # 2026 S2, ECB 2,40 % -> 12,40 %. 1 250 € due 15 Sep 2026, 200 € paid 1 Oct:
    #   16 Sep-1 Oct, 16 days: 1 250 × 12,40 × 16 / 36 500 = 6,7945 -> 6,79
    #   200 - 6,79 = 193,21 on the principal -> 1 056,79
    #   2 Oct-22 Nov, 52 days: 1 056,79 × 12,40 × 52 / 36 500 = 18,6694 -> 18,67
    # principal 1 056,79 + penalties 18,67 + indemnity 40 = 1 115,46; extras 58,67.
    case = b2b(date(2026, 11, 22),
               invoice("1250.00", date(2026, 9, 15), (date(2026, 10, 1), "200.00")),
               kind="mise_en_demeure")
    figures = compute_figures(issued(case, on=date(2026, 11, 23), claim=mode), rates)
    assert (figures.principal, figures.penalties, figures.indemnities, figures.total) == (
        d("1056.79"), d("18.67"), d("40.00"), d("1115.46"))
    assert (figures.claim, figures.claimed, figures.reserved, figures.waived) == (
        mode, d(claimed), d(reserved), d(waived))
    body = figures.to_json()
    assert (body["total"], body["claimed"]) == ("1115.46", claimed)


def test_an_echeancier_covers_what_is_claimed(rates: RateTable) -> None:
    # Consumer put on notice 28 Jul 2025; 29 Jul-1 Sep, 35 days at 2,76 % "autres cas":
    # 1 290 × 2,76 × 35 / 36 500 = 3,4141 -> 3,41. Claimed: 1 293,41 (claim); 1 290 (mention).
    plan = Plan(installments=3, first_due_date=date(2025, 9, 30))
    case = issued(b2c(ISSUED, invoice("1290.00", date(2025, 7, 2)), kind="echeancier",
                      notice=date(2025, 7, 28)))
    case = replace(case, plan=plan)
    full = compute_figures(case, rates)
    assert (full.penalties, full.plan_total) == (d("3.41"), d("1293.41"))
    # 1 293,41 / 3 = 431,136... -> 431,13 twice, the last 431,15.
    assert [i.amount for i in full.schedule] == [d("431.13"), d("431.13"), d("431.15")]
    reserved = compute_figures(issued(case, claim="mention"), rates)
    assert (reserved.plan_total, reserved.reserved) == (d("1290.00"), d("3.41"))
    # plan.waive_penalties is the same as claim "waive"; both at odds is refused.
    waived = compute_figures(replace(case, plan=replace(plan, waive_penalties=True)), rates)
    assert (waived.claim, waived.plan_total, waived.waived) == ("waive", d("1290.00"), d("3.41"))
    with pytest.raises(InvalidCase, match=r"penalties\.claim"):
        compute_figures(issued(replace(case, plan=replace(plan, waive_penalties=True)),
                               claim="claim"), rates)


def test_an_echeancier_starts_on_or_after_its_issue_day(rates: RateTable) -> None:
    plan = Plan(installments=2, first_due_date=date(2025, 8, 31), down_payment=d("100.00"))
    case = replace(b2c(date(2025, 8, 29), invoice("1290.00", date(2025, 7, 2)),
                       kind="echeancier"), plan=plan)
    # As if issued on as_of (29 August), 31 August is fine...
    assert compute_figures(case, rates).schedule[1].due_date == date(2025, 8, 31)
    # ...issued on 1 September, it is in the past.
    with pytest.raises(InvalidCase) as caught:
        compute_figures(issued(case), rates)
    assert caught.value.details[0] == {
        "field": "plan.first_due_date",
        "message": "is before the day the plan is issued (2025-09-01): its first instalment "
                   "must fall on or after it"}
    # The down payment is due at signature: on the issue day.
    later = compute_figures(issued(replace(case, plan=replace(
        plan, first_due_date=date(2025, 9, 1)))), rates)
    assert later.schedule[0].due_date == ISSUED

"""Properties of compute_figures over generated cases, within the semesters we have rates for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.domain.figures import INDEMNITY, compute_figures
from service.domain.model import Case, Invoice, Payment, PenaltyTerms
from service.domain.rates import RateTable, Semester

FIRST = date(2019, 1, 1)
LAST = date(2026, 6, 30)  # the last day of the last semester in the shipped table
ZERO = Decimal("0.00")


@st.composite
def invoices(draw: st.DrawFn, as_of: date, number: str) -> Invoice:
    due = draw(st.dates(min_value=FIRST + timedelta(days=60), max_value=as_of + timedelta(days=30)))
    issued = min(as_of, due - timedelta(days=draw(st.integers(min_value=0, max_value=60))))
    cents = draw(st.integers(min_value=1, max_value=10**9))
    amount = Decimal(cents) / 100
    payments = []
    left = cents
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if left == 0:
            break
        paid = draw(st.integers(min_value=1, max_value=left))
        left -= paid
        day = draw(st.dates(min_value=issued, max_value=as_of))
        payments.append(Payment(day, Decimal(paid) / 100))
    # Paying no more than the principal in all can never overpay (interest only adds).
    return Invoice(number, due, amount, issued, tuple(payments))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    as_of = draw(st.dates(min_value=FIRST + timedelta(days=90), max_value=LAST - timedelta(days=1)))
    count = draw(st.integers(min_value=1, max_value=3))
    debtor = draw(st.sampled_from(["company", "consumer"]))
    creditor = draw(st.sampled_from(["company", "individual"]))
    contractual = None
    if debtor == "company" and creditor == "company" and draw(st.booleans()):
        contractual = Decimal(draw(st.integers(min_value=100, max_value=3000))) / 100
    notice = draw(st.none() | st.dates(min_value=FIRST, max_value=as_of))
    return Case(
        kind="relance",
        as_of=as_of,
        debtor_type=debtor,  # type: ignore[arg-type]
        creditor_type=creditor,  # type: ignore[arg-type]
        invoices=tuple(draw(invoices(as_of, f"F-{i}")) for i in range(count)),
        penalties=PenaltyTerms(contractual_rate=contractual, indemnity=draw(st.booleans())),
        prior_notice_date=notice,
    )


@settings(deadline=None)
@given(case=cases())
def test_no_negative_figure_and_the_sums_add_up(rates: RateTable, case: Case) -> None:
    figures = compute_figures(case, rates)
    assert figures.total == figures.principal + figures.penalties + figures.indemnities
    for line, invoice in zip(figures.invoices, case.invoices, strict=True):
        for amount in (line.principal, line.penalties_accrued, line.penalties, line.indemnity):
            assert amount >= ZERO
        assert line.penalties <= line.penalties_accrued
        assert line.penalties_accrued == sum((p.amount for p in line.periods), ZERO)
        # Every cent paid went to interest, principal or the indemnity (1343-1 order).
        imputed = (line.amount - line.principal) + (line.penalties_accrued - line.penalties)
        assert line.paid - imputed in (ZERO, INDEMNITY - line.indemnity)
        for period in line.periods:
            assert period.days == (period.end - period.start).days + 1 >= 1
            assert Semester.of(period.start) == Semester.of(period.end)
            assert invoice.due_date < period.start
            assert period.end <= case.as_of
            assert period.base > 0
            assert period.amount >= 0
        for before, after in zip(line.periods, line.periods[1:], strict=False):
            assert after.start == before.end + timedelta(days=1)


@settings(deadline=None)
@given(case=cases(), later=st.integers(min_value=1, max_value=400))
def test_what_is_owed_never_decreases_as_time_passes(
    rates: RateTable, case: Case, later: int
) -> None:
    after = case.as_of + timedelta(days=later)
    assume(after <= LAST)
    now = compute_figures(case, rates)
    then = compute_figures(replace(case, as_of=after), rates)
    assert then.principal == now.principal
    assert then.penalties >= now.penalties
    assert then.indemnities >= now.indemnities
    assert then.total >= now.total
    for a, b in zip(now.invoices, then.invoices, strict=True):
        assert b.penalties_accrued >= a.penalties_accrued

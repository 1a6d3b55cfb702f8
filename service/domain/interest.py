"""Interest on one invoice: periods, rounding and the imputation of payments.

The rules, shared by L441-10 penalties and legal interest:

* Simple interest, ``base × rate/100 × days/365``; 365 even in leap years (service-public
  F783: "même si 2020 est une année bissextile, il convient d'utiliser 365").
* Periods are split at 1 January and 1 July, because both rates change by semester
  (L441-10 II; CMF L313-2), and at each payment date, because the base changes.
* Each period is rounded half-up to the cent, then the periods are summed (F783 rounds
  11,08 + 19,91 + 44,66 = 75,65), so the document's table adds up.
* Day count: a period ``start..end`` counts both ends; interest starts the day after the
  due date (L441-10 II "exigibles le jour suivant la date de règlement") or after the
  notice (CPC 641: the day of the event does not count), and a payment on day P counts
  interest through P ("dernier jour : le jour du paiement", F23211 / §1.1 of the notes).
* A payment is imputed first on accrued unpaid interest, then on principal (C. civ.
  1343-1: "Le paiement partiel s'impute d'abord sur les intérêts"). The 40 € indemnity
  comes last: it "stays due in full after a partial payment" (DGCCRF Q&A), so only what
  exceeds interest and principal pays it; anything beyond is an overpayment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby

from service.domain.errors import InvalidCase
from service.domain.model import Invoice, InvoiceFigures, Period
from service.domain.money import ZERO, round_half_up
from service.domain.rates import Semester

DAY_BASIS = 365  # F783: 365 even in leap years (see module docstring).
_ONE_DAY = timedelta(days=1)

RateFor = Callable[[Semester], Decimal]
"""Yearly rate in percent that runs during a semester; raises UnknownRate when unknown."""


def period_interest(base: Decimal, rate: Decimal, days: int, basis: int = DAY_BASIS) -> Decimal:
    """Interest on ``base`` at ``rate`` percent for ``days`` days, rounded half-up.

    F783 example: 2 000 € × 30 days × 3,11 % / 365 = 5,11 €.
    """
    return round_half_up(base * rate * days / (Decimal(100) * basis))


def split_periods(first: date, last: date, base: Decimal, rate_for: RateFor) -> Iterator[Period]:
    """Yield one period per semester between ``first`` and ``last`` inclusive."""
    start = first
    while start <= last:
        semester = Semester.of(start)
        end = min(last, semester.end)
        days = (end - start).days + 1
        rate = rate_for(semester)
        yield Period(start, end, days, base, rate, period_interest(base, rate, days))
        start = end + _ONE_DAY


@dataclass
class _Ledger:
    """What one invoice owes while payments are walked through in date order."""

    principal: Decimal
    indemnity: Decimal
    interest: Decimal = ZERO
    accrued: Decimal = ZERO

    def accrue(self, periods: list[Period]) -> None:
        for period in periods:
            self.accrued += period.amount
            self.interest += period.amount

    def impute(self, amount: Decimal) -> Decimal:
        """Impute a payment (1343-1: interest, then principal; then the indemnity).

        Return what is left over, i.e. the overpayment.
        """
        self.interest, amount = _pay(self.interest, amount)
        self.principal, amount = _pay(self.principal, amount)
        self.indemnity, amount = _pay(self.indemnity, amount)
        return amount


def _pay(owed: Decimal, amount: Decimal) -> tuple[Decimal, Decimal]:
    """Pay what ``amount`` can of ``owed``; return (still owed, amount left)."""
    taken = min(owed, amount)
    return owed - taken, amount - taken


def invoice_figures(
    invoice: Invoice,
    *,
    index: int,
    accrual_start: date | None,
    as_of: date,
    rate_for: RateFor,
    indemnity: Decimal,
) -> InvoiceFigures:
    """Compute what ``invoice`` owes as of ``as_of``.

    ``accrual_start`` is the first day interest runs (None: it never runs);
    ``indemnity`` is the flat indemnity owed if the invoice is paid late (0 or 40 €).
    ``index`` is the invoice's position in the request, for error paths.
    """
    paid_by_due_date = sum((p.amount for p in invoice.payments if p.date <= invoice.due_date), ZERO)
    late = invoice.due_date < as_of and paid_by_due_date < invoice.amount
    ledger = _Ledger(principal=invoice.amount, indemnity=indemnity if late else ZERO)
    periods: list[Period] = []
    cursor = accrual_start

    def accrue_through(day: date) -> None:
        nonlocal cursor
        if cursor is None or day < cursor:
            return
        if ledger.principal > 0:  # no base, no period (and no rate needed)
            new = list(split_periods(cursor, day, ledger.principal, rate_for))
            periods.extend(new)
            ledger.accrue(new)
        cursor = day + _ONE_DAY

    numbered = sorted(enumerate(invoice.payments), key=lambda item: item[1].date)
    for day, group in groupby(numbered, key=lambda item: item[1].date):
        accrue_through(day)
        for position, payment in group:
            excess = ledger.impute(payment.amount)
            if excess > 0:
                raise InvalidCase(
                    f"invoice {invoice.number}: the payment of {payment.amount} on {day} "
                    f"exceeds what was owed by {excess}",
                    [
                        {
                            "field": f"invoices[{index}].payments[{position}].amount",
                            "message": f"overpayment of {excess} on invoice {invoice.number}",
                        }
                    ],
                )
    accrue_through(as_of)

    return InvoiceFigures(
        number=invoice.number,
        amount=invoice.amount,
        paid=sum((p.amount for p in invoice.payments), ZERO),
        principal=ledger.principal,
        penalties_accrued=ledger.accrued,
        penalties=ledger.interest,
        indemnity=ledger.indemnity,
        periods=tuple(periods),
    )

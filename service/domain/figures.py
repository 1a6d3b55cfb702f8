"""Compute a document's figures: the one entry point of the legal engine.

Two regimes (``validation.is_commercial`` decides):

* commercial, C. com. L441-10 II: between professionals, penalties run "le jour suivant
  la date de règlement figurant sur la facture" with no reminder, at the ECB rate of the
  semester + 10 points, or at a contractual rate that "ne peut ... fixer un taux
  inférieur à trois fois le taux d'intérêt légal" (lifted to that floor, semester by
  semester). Plus 40 € per late invoice (D441-5) unless the terms waive it.
* civil, C. civ. 1231-6 and 1344-1: against a consumer, or for a non-professional
  creditor, only legal interest, and only "à compter de la mise en demeure": from the day
  after ``prior_notice_date`` (CPC 641), never before the day after the due date. The
  "particuliers" rate if the creditor is an individual, else "autres cas" (CMF L313-2).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from service.domain.deadlines import deadline
from service.domain.errors import InvalidCase, UnknownRate
from service.domain.interest import RateFor, invoice_figures
from service.domain.model import Case, Figures, Installment
from service.domain.money import ZERO
from service.domain.rates import RateTable, Semester
from service.domain.schedules import build_schedule
from service.domain.validation import is_commercial, validate_case

CURRENCY = "EUR"
INDEMNITY = Decimal("40.00")  # D441-5: "fixé à 40 euros", per late invoice (DGCCRF).
_ONE_DAY = timedelta(days=1)


def commercial_rate_for(rates: RateTable, contractual: Decimal | None) -> RateFor:
    """The L441-10 rate of each semester: ECB + 10, or the contractual rate floored."""

    def rate_for(semester: Semester) -> Decimal:
        if contractual is None:
            return rates.get(semester).commercial_rate
        known = rates.find(semester)
        if known is None:
            # Without the semester's legal rate the floor cannot be checked; the rate the
            # parties agreed is used as is (the API asks for it in that case).
            return contractual
        return max(contractual, known.contractual_floor)

    return rate_for


def legal_rate_for(rates: RateTable, creditor_type: str) -> RateFor:
    """The legal rate of each semester for this creditor (CMF L313-2)."""

    def rate_for(semester: Semester) -> Decimal:
        return rates.get(semester).legal_rate(creditor_type)

    return rate_for


class _MissingRates:
    """Wrap a RateFor so that one error names every semester without a rate.

    An unknown semester is noted and counted at 0 % so that the computation can go on
    and find the others; ``check`` then raises UnknownRate naming them all.
    """

    def __init__(self, rate_for: RateFor, *, contractual_rate_helps: bool) -> None:
        self._rate_for = rate_for
        self._helps = contractual_rate_helps
        self.missing: set[Semester] = set()

    def __call__(self, semester: Semester) -> Decimal:
        try:
            return self._rate_for(semester)
        except UnknownRate:
            self.missing.add(semester)
            return ZERO

    def check(self) -> None:
        if self.missing:
            labels = [s.label for s in sorted(self.missing)]
            raise UnknownRate(labels, contractual_rate_helps=self._helps)


def _accrual_start(case: Case, due_date: date) -> date | None:
    if is_commercial(case):
        return due_date + _ONE_DAY
    if case.prior_notice_date is None:
        return None  # 1344-1: no mise en demeure, no interest
    return max(due_date, case.prior_notice_date) + _ONE_DAY


def compute_figures(case: Case, rates: RateTable) -> Figures:
    """Compute principal, interest, indemnities, deadline and schedule as of ``case.as_of``.

    Raises InvalidCase (bad input, overpayment, impossible plan) or UnknownRate (a
    semester the figures need has no rate).
    """
    validate_case(case)
    commercial = is_commercial(case)
    if commercial:
        rate_for = commercial_rate_for(rates, case.penalties.contractual_rate)
        indemnity = INDEMNITY if case.penalties.indemnity else ZERO
    else:
        rate_for = legal_rate_for(rates, case.creditor_type)
        indemnity = ZERO  # consumers never owe it; L441-10 targets professionals

    rates_used = _MissingRates(rate_for, contractual_rate_helps=commercial)
    try:
        invoices = tuple(
            invoice_figures(
                invoice,
                index=index,
                accrual_start=_accrual_start(case, invoice.due_date),
                as_of=case.as_of,
                rate_for=rates_used,
                indemnity=indemnity,
            )
            for index, invoice in enumerate(case.invoices)
        )
    except InvalidCase:
        rates_used.check()  # an "overpayment" found at 0 % is no overpayment: rates first
        raise
    principal = sum((i.principal for i in invoices), ZERO)
    penalties = sum((i.penalties for i in invoices), ZERO)
    indemnities = sum((i.indemnity for i in invoices), ZERO)
    total = principal + penalties + indemnities

    # The rate that runs from as_of on. A civil mise en demeure must state it (it starts
    # interest running, 1344-1); with no notice at all, no interest runs and none is shown.
    if commercial or case.kind == "mise_en_demeure" or case.prior_notice_date is not None:
        interest_rate: Decimal | None = rates_used(Semester.of(case.as_of))
    else:
        interest_rate = None
    rates_used.check()

    schedule: tuple[Installment, ...] | None = None
    plan_total: Decimal | None = None
    if case.kind == "echeancier" and case.plan is not None:
        # A waiver gives up penalties and indemnities: the plan covers principal only,
        # while ``total`` still shows the whole debt the creditor waives part of.
        plan_total = principal if case.plan.waive_penalties else total
        schedule = build_schedule(plan_total, case.plan, case.as_of)

    return Figures(
        as_of=case.as_of,
        currency=CURRENCY,
        regime="commercial" if commercial else "civil",
        principal=principal,
        penalties=penalties,
        indemnities=indemnities,
        total=total,
        invoices=invoices,
        deadline=(
            deadline(case.as_of, case.deadline_days, case.debtor_postal_code)
            if case.kind == "mise_en_demeure"
            else None
        ),
        schedule=schedule,
        interest_rate=interest_rate,
        interest_basis=_interest_basis(commercial, indemnity > 0),
        plan_total=plan_total,
    )


def _interest_basis(commercial: bool, indemnity: bool) -> str:
    """The short legal reference the letters print next to the interest."""
    if not commercial:
        return "C. civ. 1231-6 et 1344-1"
    return "C. com. L441-10 et D441-5" if indemnity else "C. com. L441-10"

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
from service.domain.model import Case, ClaimMode, Figures, Installment
from service.domain.money import ZERO
from service.domain.rates import RateTable, Semester, legal_rate_column
from service.domain.schedules import build_schedule
from service.domain.validation import is_commercial, validate_case

CURRENCY = "EUR"
INDEMNITY = Decimal("40.00")  # D441-5: "fixé à 40 euros", per late invoice (DGCCRF).
_ONE_DAY = timedelta(days=1)


def commercial_rate_for(rates: RateTable, contractual: Decimal | None) -> RateFor:
    """The L441-10 rate of each semester: ECB + 10, or the contractual rate floored.

    The default rate needs only the ECB rate; a contractual rate needs only the legal rate
    (its floor). Without the rate it needs, a semester is an UnknownRate: a contractual
    rate is never applied unchecked, since it may be below the floor.
    """

    def rate_for(semester: Semester) -> Decimal:
        row = rates.find(semester)
        if contractual is None:
            if row is None:
                raise UnknownRate(semester.label, rate="ecb_rate",
                                  need="the L441-10 penalty rate (ECB rate + 10 points)")
            return row.commercial_rate
        floor = None if row is None else row.contractual_floor
        if floor is None:
            raise UnknownRate(semester.label, rate="legal_rate_other",
                              need="the floor of penalties.contractual_rate (3 × the legal "
                              "rate, C. com. L441-10)")
        return max(contractual, floor)

    return rate_for


def legal_rate_for(rates: RateTable, creditor_type: str) -> RateFor:
    """The legal rate of each semester for this creditor (CMF L313-2)."""

    def rate_for(semester: Semester) -> Decimal:
        row = rates.find(semester)
        rate = None if row is None else row.legal_rate(creditor_type)
        if rate is None:
            raise UnknownRate(semester.label, rate=legal_rate_column(creditor_type),
                              need="interest at the legal rate (C. civ. 1231-6, 1344-1)")
        return rate

    return rate_for


class _MissingRates:
    """Wrap a RateFor so that one error names every semester without the rate it needs.

    An unknown semester is noted and counted at 0 % so that the computation can go on
    and find the others; ``check`` then raises UnknownRate naming them all.
    """

    def __init__(self, rate_for: RateFor) -> None:
        self._rate_for = rate_for
        self.missing: dict[Semester, UnknownRate] = {}

    def __call__(self, semester: Semester) -> Decimal:
        try:
            return self._rate_for(semester)
        except UnknownRate as exc:
            self.missing[semester] = exc
            return ZERO

    def check(self) -> None:
        if self.missing:
            first = self.missing[min(self.missing)]
            labels = [s.label for s in sorted(self.missing)]
            raise UnknownRate(labels, rate=first.rate, need=first.need)


def default_claim(kind: str, level: int) -> ClaimMode:
    """What a letter does with penalties and indemnities when the request does not say.

    A courteous first reminder asks the principal and states the rest is due by law and
    reserved (a "simple oubli" letter that asks 40,07 € for a paid invoice harms the
    relationship it is meant to keep); a firm reminder, a mise en demeure and a plan claim
    them.
    """
    return "mention" if kind == "relance" and level < 2 else "claim"


def claim_mode(case: Case) -> ClaimMode:
    """The case's claim mode: the request's, else the plan's waiver, else the default."""
    if case.penalties.claim is not None:
        return case.penalties.claim
    if case.plan is not None and case.plan.waive_penalties:
        return "waive"
    return default_claim(case.kind, case.level)


def _accrual_start(case: Case, due_date: date) -> date | None:
    if is_commercial(case):
        return due_date + _ONE_DAY
    if case.prior_notice_date is None:
        return None  # 1344-1: no mise en demeure, no interest
    return max(due_date, case.prior_notice_date) + _ONE_DAY


def compute_figures(case: Case, rates: RateTable) -> Figures:
    """Compute principal, interest, indemnities, deadline and schedule as of ``case.as_of``.

    Raises InvalidCase (bad input, overpayment, impossible plan) or UnknownRate (a
    semester the figures need has no rate, or not the one they need). Applies none of the
    issuing rules (``issuing.check_issuable``): an invoice not yet due simply owes no
    penalties here.
    """
    validate_case(case)
    commercial = is_commercial(case)
    if commercial:
        rate_for = commercial_rate_for(rates, case.penalties.contractual_rate)
        indemnity = INDEMNITY if case.penalties.indemnity else ZERO
    else:
        rate_for = legal_rate_for(rates, case.creditor_type)
        indemnity = ZERO  # consumers never owe it; L441-10 targets professionals

    rates_used = _MissingRates(rate_for)
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
    mode = claim_mode(case)
    extras = penalties + indemnities
    claimed = total if mode == "claim" else principal

    # The rate that runs from as_of on. A civil mise en demeure must state it (it starts
    # interest running, 1344-1); with no notice at all, no interest runs and none is shown.
    # Nothing runs on a settled debt: then no rate is stated (nor needed).
    if principal > 0 and (commercial or case.kind == "mise_en_demeure"
                          or case.prior_notice_date is not None):
        interest_rate: Decimal | None = rates_used(Semester.of(case.as_of))
    else:
        interest_rate = None
    rates_used.check()

    schedule: tuple[Installment, ...] | None = None
    plan_total: Decimal | None = None
    if case.kind == "echeancier" and case.plan is not None:
        # The plan covers what is claimed: with a waiver (or penalties reserved) the
        # principal only, while ``total`` still shows the whole debt. Its first instalment
        # and its down payment are dated from the day it is issued, never before.
        plan_total = claimed
        schedule = build_schedule(plan_total, case.plan, case.issue_day)

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
            # Counted from the day the letter is dated (CPC 641: that day does not count).
            deadline(case.issue_day, case.deadline_days, case.debtor_postal_code)
            if case.kind == "mise_en_demeure"
            else None
        ),
        schedule=schedule,
        interest_rate=interest_rate,
        interest_basis=_interest_basis(commercial, indemnity > 0),
        plan_total=plan_total,
        issued_on=case.issue_day,
        claim=mode,
        claimed=claimed,
        reserved=extras if mode == "mention" else ZERO,
        waived=extras if mode == "waive" else ZERO,
    )


def _interest_basis(commercial: bool, indemnity: bool) -> str:
    """The short legal reference the letters print next to the interest."""
    if not commercial:
        return "C. civ. 1231-6 et 1344-1"
    return "C. com. L441-10 et D441-5" if indemnity else "C. com. L441-10"

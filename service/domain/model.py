"""Value objects of the legal engine: what a case is made of, and the figures it yields.

All frozen dataclasses, money as ``Decimal`` (never float), dates as ``datetime.date``.
They carry no behaviour beyond serialisation: validation lives in ``validation.py`` so
that the HTTP layer can build them freely and get every field error at once from
``compute_figures``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from service.domain.money import ZERO, format_amount, format_rate

Kind = Literal["relance", "mise_en_demeure", "echeancier"]
DebtorType = Literal["company", "consumer"]
CreditorType = Literal["company", "individual"]
Frequency = Literal["monthly", "weekly"]
Regime = Literal["commercial", "civil"]
InstallmentKind = Literal["down_payment", "installment"]
ClaimMode = Literal["claim", "mention", "waive"]

KINDS: tuple[str, ...] = ("relance", "mise_en_demeure", "echeancier")
DEBTOR_TYPES: tuple[str, ...] = ("company", "consumer")
CREDITOR_TYPES: tuple[str, ...] = ("company", "individual")
FREQUENCIES: tuple[str, ...] = ("monthly", "weekly")
CLAIM_MODES: tuple[str, ...] = ("claim", "mention", "waive")


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    """A payment received on an invoice, on ``date`` (the day funds were received)."""

    date: date
    amount: Decimal


@dataclass(frozen=True)
class Invoice:
    """An invoice, TTC: penalties are computed on the amount including VAT (F23211)."""

    number: str
    due_date: date
    amount: Decimal
    issue_date: date | None = None
    payments: tuple[Payment, ...] = ()


@dataclass(frozen=True)
class PenaltyTerms:
    """What the creditor's terms say about late-payment penalties (B2B only).

    ``contractual_rate`` is a yearly percentage (``Decimal("12")`` for 12 %); ``None``
    means the L441-10 default (ECB + 10 points). ``indemnity`` claims the 40 € of D441-5.

    ``claim`` is what the letter does with the penalties (or legal interest) and the
    indemnities: ``claim`` puts them in the amount asked; ``mention`` states that they are
    due by law and reserved, and asks the principal; ``waive`` gives them up (a stated
    remise). ``None``: the kind's default (``default_claim``).
    """

    contractual_rate: Decimal | None = None
    indemnity: bool = True
    claim: ClaimMode | None = None


@dataclass(frozen=True)
class Plan:
    """An échéancier: ``installments`` payments from ``first_due_date``.

    ``waive_penalties``: the creditor waives penalties and indemnities if the plan is
    honoured, so the plan covers the unpaid principal only.
    """

    installments: int
    first_due_date: date
    frequency: Frequency = "monthly"
    down_payment: Decimal = ZERO
    waive_penalties: bool = False


@dataclass(frozen=True)
class Case:
    """Everything the engine needs to compute a document's figures as of ``as_of``.

    ``creditor_type`` "company" is a professional; "individual" a natural person acting
    for non-professional needs (it selects the "particuliers" legal rate, CMF L313-2).
    ``prior_notice_date`` is the date the mise en demeure was received (first
    presentation); legal interest runs from the day after (C. civ. 1344-1, CPC 641).

    ``issued_on`` is the day the document is dated and sealed: its deadline and schedule
    start from it. ``None`` computes the figures as if issued on ``as_of`` (a simulation).
    ``level`` is the relance's (1 courteous, 2 firm); it chooses the default ``claim``.
    """

    kind: Kind
    as_of: date
    debtor_type: DebtorType
    invoices: tuple[Invoice, ...]
    penalties: PenaltyTerms = field(default_factory=PenaltyTerms)
    creditor_type: CreditorType = "company"
    debtor_postal_code: str = ""
    prior_notice_date: date | None = None
    deadline_days: int = 8
    plan: Plan | None = None
    issued_on: date | None = None
    level: int = 1

    @property
    def issue_day(self) -> date:
        """The day deadlines and schedules start from: ``issued_on``, else ``as_of``."""
        return self.issued_on or self.as_of


# --- outputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One line of interest: ``start`` to ``end`` inclusive, at one rate on one base.

    ``rate`` is a yearly percentage; ``amount`` = base × rate/100 × days/365, rounded
    half-up to the cent.
    """

    start: date
    end: date
    days: int
    base: Decimal
    rate: Decimal
    amount: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "days": self.days,
            "base": format_amount(self.base),
            "rate": format_rate(self.rate),
            "amount": format_amount(self.amount),
        }


@dataclass(frozen=True)
class InvoiceFigures:
    """What one invoice owes as of ``as_of``.

    ``principal`` is the unpaid principal; ``penalties_accrued`` the sum of the periods;
    ``penalties`` what is still owed of them once payments were imputed on interest first
    (C. civ. 1343-1); ``indemnity`` the 40 € still owed (D441-5), or 0.
    """

    number: str
    amount: Decimal
    paid: Decimal
    principal: Decimal
    penalties_accrued: Decimal
    penalties: Decimal
    indemnity: Decimal
    periods: tuple[Period, ...]

    @property
    def total(self) -> Decimal:
        """What the invoice still owes: principal + penalties + indemnity."""
        return self.principal + self.penalties + self.indemnity

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "amount": format_amount(self.amount),
            "paid": format_amount(self.paid),
            "principal": format_amount(self.principal),
            "penalties_accrued": format_amount(self.penalties_accrued),
            "penalties": format_amount(self.penalties),
            "indemnity": format_amount(self.indemnity),
            "periods": [p.to_json() for p in self.periods],
        }


@dataclass(frozen=True)
class Installment:
    """One payment of a schedule: number 0 is the down payment, due at signature."""

    number: int
    due_date: date
    amount: Decimal
    kind: InstallmentKind

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "due_date": self.due_date.isoformat(),
            "amount": format_amount(self.amount),
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Figures:
    """The figures of a document as of ``as_of``: what the letters and the API show.

    ``total`` is always the whole debt (principal + penalties + indemnities), even when a
    plan waives penalties; ``plan_total`` is what the schedule covers.
    ``interest_rate`` is the yearly rate that runs from ``as_of`` on (None when no
    interest runs, e.g. a consumer who was never put on notice and this is a relance).

    ``claim`` is the mode the letter follows and ``claimed`` the amount it asks:
    ``total`` (claim), or the principal (mention: penalties and indemnities ``reserved``;
    waive: they are ``waived``). The three amounts are always shown.
    """

    as_of: date
    currency: str
    regime: Regime
    principal: Decimal
    penalties: Decimal
    indemnities: Decimal
    total: Decimal
    invoices: tuple[InvoiceFigures, ...]
    deadline: date | None
    schedule: tuple[Installment, ...] | None
    interest_rate: Decimal | None
    interest_basis: str
    plan_total: Decimal | None
    issued_on: date
    claim: ClaimMode
    claimed: Decimal
    reserved: Decimal
    waived: Decimal

    @property
    def extras(self) -> Decimal:
        """Penalties (or interest) and indemnities: what ``claim`` decides about."""
        return self.penalties + self.indemnities

    def to_json(self) -> dict[str, Any]:
        """Return the API shape: amounts "1250.00", rates "12.15", ISO dates."""
        body: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "issued_on": self.issued_on.isoformat(),
            "currency": self.currency,
            "regime": self.regime,
            "principal": format_amount(self.principal),
            "penalties": format_amount(self.penalties),
            "indemnities": format_amount(self.indemnities),
            "total": format_amount(self.total),
            "claim": self.claim,
            "claimed": format_amount(self.claimed),
            "reserved": format_amount(self.reserved),
            "waived": format_amount(self.waived),
            "interest_rate": (
                None if self.interest_rate is None else format_rate(self.interest_rate)
            ),
            "invoices": [i.to_json() for i in self.invoices],
        }
        if self.deadline is not None:
            body["deadline"] = self.deadline.isoformat()
        if self.schedule is not None:
            body["schedule"] = [i.to_json() for i in self.schedule]
            body["plan_total"] = None if self.plan_total is None else format_amount(self.plan_total)
        return body

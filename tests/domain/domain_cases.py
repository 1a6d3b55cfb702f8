"""Small builders for cases, so each test states only what it is about."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from service.domain.model import Case, Invoice, Payment, PenaltyTerms, Plan


def d(text: str) -> Decimal:
    return Decimal(text)


def invoice(
    amount: str,
    due: date,
    *payments: tuple[date, str],
    number: str = "F-1",
    issued: date | None = None,
) -> Invoice:
    return Invoice(
        number=number,
        due_date=due,
        amount=Decimal(amount),
        issue_date=issued,
        payments=tuple(Payment(day, Decimal(amount)) for day, amount in payments),
    )


def b2b(
    as_of: date,
    *invoices: Invoice,
    kind: str = "relance",
    contractual_rate: str | None = None,
    indemnity: bool = True,
    plan: Plan | None = None,
    postal_code: str = "",
) -> Case:
    """A case between two companies: the commercial regime (L441-10)."""
    return Case(
        kind=kind,  # type: ignore[arg-type]
        as_of=as_of,
        debtor_type="company",
        invoices=invoices,
        penalties=PenaltyTerms(
            contractual_rate=None if contractual_rate is None else Decimal(contractual_rate),
            indemnity=indemnity,
        ),
        plan=plan,
        debtor_postal_code=postal_code,
    )


def b2c(
    as_of: date,
    *invoices: Invoice,
    kind: str = "relance",
    notice: date | None = None,
    creditor: str = "company",
    debtor: str = "consumer",
    plan: Plan | None = None,
) -> Case:
    """A civil-regime case: legal interest from the mise en demeure only."""
    return Case(
        kind=kind,  # type: ignore[arg-type]
        as_of=as_of,
        debtor_type=debtor,  # type: ignore[arg-type]
        creditor_type=creditor,  # type: ignore[arg-type]
        invoices=invoices,
        prior_notice_date=notice,
        plan=plan,
    )

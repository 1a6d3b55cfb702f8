"""Check a Case before computing it, and report every problem at once.

The HTTP layer validates types; this module checks what only the domain knows (dates in
the right order, amounts in cents, which terms fit which regime). Field paths follow the
request body: ``invoices[0].payments[1].date``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

from service.domain.errors import FieldError, InvalidCase
from service.domain.model import CLAIM_MODES, CREDITOR_TYPES, DEBTOR_TYPES, KINDS, Case, Invoice
from service.domain.money import MAX_AMOUNT, is_cents


def is_commercial(case: Case) -> bool:
    """L441-10 applies between professionals only: debtor and creditor both companies.

    L441-10 binds "tout professionnel"; consumers never owe its penalties or the 40 €
    (DGCCRF: the mention "ne concerne que les professionnels"), and a creditor who is a
    private individual is not selling under the Code de commerce.
    """
    return case.debtor_type == "company" and case.creditor_type == "company"


def validate_case(case: Case) -> None:
    """Raise InvalidCase listing every problem of ``case``; return if there is none."""
    problems = list(_case_problems(case))
    if problems:
        raise InvalidCase.from_details(problems)


_AMOUNT_RULE = f"must be an amount in cents from 0.01 to {MAX_AMOUNT}"


def _is_positive_amount(value: object) -> bool:
    return is_cents(value) and value > 0  # type: ignore[operator]


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _case_problems(case: Case) -> Iterator[FieldError]:
    if case.kind not in KINDS:
        yield {"field": "kind", "message": f"must be one of {', '.join(KINDS)}"}
    if case.debtor_type not in DEBTOR_TYPES:
        yield {"field": "debtor.type", "message": "must be 'company' or 'consumer'"}
    if case.creditor_type not in CREDITOR_TYPES:
        yield {"field": "creditor.type", "message": "must be 'company' or 'individual'"}
    if not _is_date(case.as_of):
        yield {"field": "as_of", "message": "must be a date"}
        return  # every other date check compares with as_of
    yield from _penalty_problems(case)
    if case.prior_notice_date is not None:
        if not _is_date(case.prior_notice_date):
            yield {"field": "prior_notice_date", "message": "must be a date"}
        elif case.prior_notice_date > case.as_of:
            yield {
                "field": "prior_notice_date",
                "message": f"must not be after as_of ({case.as_of.isoformat()})",
            }
    if isinstance(case.deadline_days, bool) or not isinstance(case.deadline_days, int):
        yield {"field": "deadline_days", "message": "must be a whole number of days"}
    elif case.deadline_days < 1:
        yield {"field": "deadline_days", "message": "must be at least 1 day"}
    if case.kind == "echeancier" and case.plan is None:
        yield {"field": "plan", "message": "an echeancier needs a plan"}
    if not case.invoices:
        yield {"field": "invoices", "message": "at least one invoice is needed"}
    seen: set[str] = set()
    for index, invoice in enumerate(case.invoices):
        if invoice.number in seen:
            yield {
                "field": f"invoices[{index}].number",
                "message": f"invoice {invoice.number} appears twice",
            }
        seen.add(invoice.number)
        yield from _invoice_problems(invoice, f"invoices[{index}]", case.as_of)


def _penalty_problems(case: Case) -> Iterator[FieldError]:
    claim = case.penalties.claim
    if claim is not None and claim not in CLAIM_MODES:
        yield {"field": "penalties.claim", "message": f"must be one of {', '.join(CLAIM_MODES)}"}
    elif case.plan is not None and case.plan.waive_penalties and claim not in (None, "waive"):
        yield {
            "field": "penalties.claim",
            "message": f"plan.waive_penalties gives the penalties up, penalties.claim says "
            f"{claim!r}: give one of them only (penalties.claim 'waive' is the same)",
        }
    rate = case.penalties.contractual_rate
    if rate is None:
        return
    if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 < rate < 100:
        yield {
            "field": "penalties.contractual_rate",
            "message": "must be a yearly percentage above 0 and below 100",
        }
    elif not is_commercial(case):
        # Against a consumer, or for a non-professional creditor, interest is the legal
        # rate from the mise en demeure (C. civ. 1231-6, 1344-1); a contractual penalty
        # rate against a consumer may be abusive (C. consom. R212-2 3°). Refuse rather
        # than silently ignore it.
        yield {
            "field": "penalties.contractual_rate",
            "message": (
                "applies only between professionals (C. com. L441-10); here interest runs "
                "at the legal rate from the mise en demeure (C. civ. 1231-6, 1344-1)"
            ),
        }


def _invoice_problems(invoice: Invoice, path: str, as_of: date) -> Iterator[FieldError]:
    name = f"invoice {invoice.number}"
    if not isinstance(invoice.number, str) or not invoice.number.strip():
        yield {"field": f"{path}.number", "message": "must not be empty"}
    if not _is_positive_amount(invoice.amount):
        yield {"field": f"{path}.amount", "message": f"{name}: {_AMOUNT_RULE}"}
    if not _is_date(invoice.due_date):
        yield {"field": f"{path}.due_date", "message": f"{name}: must be a date"}
        return
    issued = invoice.issue_date
    if issued is not None:
        if not _is_date(issued):
            yield {"field": f"{path}.issue_date", "message": f"{name}: must be a date"}
            issued = None
        elif issued > invoice.due_date:
            yield {
                "field": f"{path}.issue_date",
                "message": f"{name}: issued after its due date {invoice.due_date.isoformat()}",
            }
        elif issued > as_of:
            yield {
                "field": f"{path}.issue_date",
                "message": f"{name}: issued after as_of ({as_of.isoformat()})",
            }
    for index, payment in enumerate(invoice.payments):
        where = f"{path}.payments[{index}]"
        if not _is_positive_amount(payment.amount):
            yield {"field": f"{where}.amount", "message": f"{name}: {_AMOUNT_RULE}"}
        if not _is_date(payment.date):
            yield {"field": f"{where}.date", "message": f"{name}: must be a date"}
        elif payment.date > as_of:
            yield {
                "field": f"{where}.date",
                "message": (
                    f"{name}: payment dated {payment.date.isoformat()}, "
                    f"after as_of ({as_of.isoformat()})"
                ),
            }
        elif issued is not None and payment.date < issued:
            yield {
                "field": f"{where}.date",
                "message": (
                    f"{name}: payment dated {payment.date.isoformat()}, before the invoice "
                    f"was issued ({issued.isoformat()})"
                ),
            }

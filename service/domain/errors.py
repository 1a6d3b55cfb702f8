"""The domain's one exception tree.

Every error the legal engine raises on bad business input is a ``DomainError``; the HTTP
layer maps the whole tree to a 422 with one handler, so no builtin exception
(``KeyError``, ``InvalidOperation``...) may escape for input a client could send::

    DomainError                 code        when
    ├── InvalidCase             invalid_case   the case cannot be computed as given:
    │   │                                      overpayment, payment after as_of or
    │   │                                      before the invoice, plan over 24 months...
    │   ├── NotYetDue           not_yet_due    a letter would claim an invoice not overdue
    │   └── NothingDue          nothing_due    a letter would claim nothing (rien n'est dû)
    ├── UnknownRate             unknown_rate   a semester the figures need has no rate (or
    │                                          not the one needed: an ECB-only semester and
    │                                          a legal rate) in the table
    └── InvalidRates            invalid_rates  a rate row or rates CSV is malformed

Messages are English (the API's language) and precise: they name the invoice number or
the semester at fault. ``details`` lists ``{"field": ..., "message": ...}`` entries whose
``field`` is the path of the request field, e.g. ``invoices[0].payments[1].date``.

Programming errors (calling a helper with a float, a negative number of days) stay
``TypeError`` / ``ValueError``: they are bugs, not client input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Self, TypedDict


class FieldError(TypedDict):
    """One entry of ``DomainError.details``: the request field at fault and why."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every error the domain raises on business input."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str, details: Iterable[FieldError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[FieldError] = list(details)

    @classmethod
    def from_details(cls, details: Iterable[FieldError]) -> Self:
        """Build one error from several field errors; the message repeats them all."""
        details = list(details)
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return cls(message, details)

    def to_json(self) -> dict[str, object]:
        """Return the body of the API's error envelope: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": list(self.details)}


class InvalidCase(DomainError):
    """The case cannot be computed as given (overpayment, inconsistent dates, bad plan...)."""

    code: ClassVar[str] = "invalid_case"


class NotYetDue(InvalidCase):
    """A letter would claim an invoice that is not overdue on ``as_of`` (C. civ. 1305-2)."""

    code: ClassVar[str] = "not_yet_due"


class NothingDue(InvalidCase):
    """A relance or mise en demeure would claim nothing, or only a trifle of interest."""

    code: ClassVar[str] = "nothing_due"


# What each rate is called in messages, by the name of its column.
RATE_NAMES = {
    "rates": "no rate",
    "ecb_rate": "no ECB main refinancing rate",
    "legal_rate_other": 'no legal interest rate ("autres cas")',
    "legal_rate_individual": 'no legal interest rate ("particuliers")',
}


class UnknownRate(DomainError):
    """Semesters the computation needs have no rate (or not the rate it needs) in the table.

    ``semester`` is the first of them, ``semesters`` all of them (one error names every
    semester an operator has to complete); ``rate`` is the column missing ("rates" when
    the whole semester is unknown) and ``need`` what it is needed for. The message never
    suggests another rate instead: an unknown rate is entered, never worked around.
    """

    code: ClassVar[str] = "unknown_rate"

    def __init__(
        self, semesters: str | Iterable[str], *, rate: str = "rates", need: str | None = None
    ) -> None:
        labels = (semesters,) if isinstance(semesters, str) else tuple(semesters)
        first = labels[0]
        what = RATE_NAMES.get(rate, f"no {rate}")
        where = (f"semester {first}" if len(labels) == 1
                 else f"semesters {', '.join(labels)}")
        message = f"{what} is known for {where}"
        if need:
            message += f", needed for {need}"
        if len(labels) == 1:
            message += f"; add it with PUT /v1/rates/{first}"
        else:
            message += f"; add each with PUT /v1/rates/<semester> (e.g. PUT /v1/rates/{first})"
        super().__init__(
            message, [{"field": "rates", "message": f"{what} for semester {s}"} for s in labels]
        )
        self.semester = first
        self.semesters = labels
        self.rate = rate
        self.need = need


class InvalidRates(DomainError):
    """A rate row (operator input or the rates CSV) is malformed."""

    code: ClassVar[str] = "invalid_rates"

"""The rules a document must meet to be issued, beyond figures that can be computed.

The figures of a case can be computed for any day (``compute_figures``: a simulation, the
décompte a court needs). A letter that leaves the house must also tell the truth on the
day it is dated:

* Its figures run through ``as_of``, which is never after the day it is issued (a letter
  cannot count interest not yet run) and at most ``MAX_FIGURES_AGE_DAYS`` before it
  (a décompte older than a month, printed under today's date, misleads the debtor).
* A relance or mise en demeure claims only overdue invoices. C. civ. 1305-2: "Ce qui
  n'est dû qu'à terme ne peut être exigé avant l'échéance". An invoice is overdue from the
  day after its due date: the debtor may pay until the end of that day (CPC 642: a time
  limit "expire le dernier jour à vingt-quatre heures"), and L441-10 penalties run from
  "le jour suivant la date de règlement".
* It does not claim nothing. An invoice paid in full late still shows a few cents: its
  payment went to the interest first (C. civ. 1343-1), so what is left of it, principal
  included, is interest. When every invoice is paid in full and that interest is below
  ``minimum_claim``, nothing is due worth a letter ("rien n'est dû"), unless the letter
  deliberately claims the 40 € indemnities (``claim``); and a letter whose claim mode leaves
  nothing to ask (principal settled, penalties only mentioned or waived) asks nothing.

An échéancier's first instalment on or after its issue day is checked by the schedule
itself (``schedules.build_schedule`` takes the issue day).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from service.domain.errors import FieldError, InvalidCase, NothingDue, NotYetDue
from service.domain.model import Case, Figures
from service.domain.money import ZERO, format_amount

MAX_FIGURES_AGE_DAYS = 31
DEFAULT_MINIMUM_CLAIM = Decimal("5.00")
LETTERS = ("relance", "mise_en_demeure")


def check_issuable(case: Case, figures: Figures,
                   minimum_claim: Decimal = DEFAULT_MINIMUM_CLAIM) -> None:
    """Raise when a document of ``case`` may not be issued on ``case.issued_on``.

    InvalidCase for the dates, NotYetDue naming each invoice not overdue, NothingDue when
    the letter would claim nothing. Call it after ``compute_figures`` (which checked the
    input).
    """
    check_dates(case.as_of, case.issue_day)
    if case.kind not in LETTERS:
        return
    early = list(_not_yet_due(case))
    if early:
        raise NotYetDue.from_details(early)
    _check_something_due(figures, minimum_claim)


def check_dates(as_of: date, issued_on: date) -> None:
    """Raise InvalidCase unless ``as_of`` is in the window of a document issued on
    ``issued_on``: not after it, at most MAX_FIGURES_AGE_DAYS before."""
    problems = list(_date_problems(as_of, issued_on))
    if problems:
        raise InvalidCase.from_details(problems)


def _date_problems(as_of: date, issued_on: date) -> Iterator[FieldError]:
    if as_of > issued_on:
        yield {
            "field": "as_of",
            "message": f"is {as_of.isoformat()}, after the issue date {issued_on.isoformat()}: "
            "figures cannot run past the day the letter is dated",
        }
    elif (issued_on - as_of).days > MAX_FIGURES_AGE_DAYS:
        yield {
            "field": "as_of",
            "message": f"figures older than a month: as_of {as_of.isoformat()} is "
            f"{(issued_on - as_of).days} days before the issue date {issued_on.isoformat()} "
            f"(at most {MAX_FIGURES_AGE_DAYS}); omit as_of to compute them through the issue "
            "date, or use POST /v1/figures for an older décompte",
        }


def _not_yet_due(case: Case) -> Iterator[FieldError]:
    for index, invoice in enumerate(case.invoices):
        if invoice.due_date >= case.as_of:
            yield {
                "field": f"invoices[{index}].due_date",
                "message": f"invoice {invoice.number} falls due on "
                f"{invoice.due_date.isoformat()}: it is not overdue on {case.as_of.isoformat()} "
                "and a relance or mise en demeure cannot claim it before the day after its "
                "due date (C. civ. 1305-2)",
            }


def _check_something_due(figures: Figures, minimum_claim: Decimal) -> None:
    settled = all(line.paid >= line.amount for line in figures.invoices)
    interest_left = sum((line.principal + line.penalties for line in figures.invoices), ZERO)
    indemnities_claimed = figures.indemnities if figures.claim == "claim" else ZERO
    if settled and interest_left < minimum_claim and not indemnities_claimed:
        raise NothingDue(
            f"nothing is due (rien n'est dû): every invoice is paid in full and what is left "
            f"is {format_amount(interest_left)} EUR of interest, below minimum_claim "
            f"({format_amount(minimum_claim)} EUR)",
            [{"field": "invoices", "message": "every invoice is paid in full"}],
        )
    if figures.claimed == 0:
        raise NothingDue(
            f"nothing is due (rien n'est dû) in this letter: the principal is settled and "
            f"penalties.claim is {figures.claim!r}, so the "
            f"{format_amount(figures.extras)} EUR of penalties and indemnities are not "
            "claimed; give penalties.claim 'claim' to claim them",
            [{"field": "penalties.claim", "message": f"{figures.claim!r} leaves nothing to claim"}],
        )

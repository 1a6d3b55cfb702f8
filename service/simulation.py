"""POST /v1/figures: the décompte of a request for any day, issuing nothing.

The décompte a court, an accountant or a simulation needs: the same figures as a document,
for any `as_of` from FIRST_DAY to today, as if the document were issued that day (its
deadline and schedule start from `as_of`). None of the issuing rules apply (an invoice not
yet due simply owes no penalties, a settled one shows zero); nothing is sealed, stored or
audited. Only bad input, an overpayment or a missing rate is refused.
"""

from __future__ import annotations

from datetime import date

from service import rates
from service.clock import Clock, today_in_paris
from service.db import Database
from service.domain.errors import InvalidCase
from service.domain.figures import compute_figures
from service.domain.model import Figures
from service.pipeline import to_case
from service.requests import DocumentRequest

# The first semester whose rates are shipped (service/data/rates.csv starts at 2019-S1).
FIRST_DAY = date(2019, 1, 1)


def simulate(db: Database, request: DocumentRequest, clock: Clock) -> Figures:
    today = today_in_paris(clock)
    as_of = request.as_of or today
    if not FIRST_DAY <= as_of <= today:
        raise InvalidCase(
            f"as_of {as_of.isoformat()} is outside the days figures can be computed for: "
            f"from {FIRST_DAY.isoformat()} (the first shipped rates) to today "
            f"({today.isoformat()}); a later day would count interest not yet run",
            [{"field": "as_of", "message": f"must be from {FIRST_DAY.isoformat()} to "
              f"{today.isoformat()}"}])
    with db.session() as session:
        table = rates.current_rates(session)
    return compute_figures(to_case(request, as_of), table)

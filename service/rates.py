"""Where the rate table comes from: the shipped data file, plus semesters operators entered.

The shipped file (service/data/rates.csv) carries the source of every row; an operator adds a
semester (e.g. when the July arrêté is published) without a release, with who/when audited.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.db import RateOverride, utcnow
from service.domain.rates import RateTable, Semester, SemesterRates, parse_rates_csv

RATES_FILE = Path(__file__).resolve().parent / "data" / "rates.csv"


@cache
def shipped_rates() -> RateTable:
    return parse_rates_csv(RATES_FILE.read_text(encoding="utf-8"))


def _optional(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _text(rate: Decimal | None) -> str | None:
    return None if rate is None else str(rate)


def _override_rows(session: Session) -> list[SemesterRates]:
    return [
        SemesterRates(semester=Semester.parse(row.semester), ecb=Decimal(row.ecb_rate),
                      legal_individual=_optional(row.legal_rate_individual),
                      legal_other=_optional(row.legal_rate_other), source=row.source)
        for row in session.scalars(select(RateOverride))
    ]


def current_rates(session: Session) -> RateTable:
    return shipped_rates().with_rows(_override_rows(session))


def operator_semesters(session: Session) -> set[str]:
    return set(session.scalars(select(RateOverride.semester)))


def set_rates(session: Session, rates: SemesterRates, actor: str,
              event: str = "rates.set") -> None:
    """Insert or replace one semester's rates and record it in the semester's audit trail
    (`event`: "rates.set" by an operator, "rates.fetched" by `amiable rates fetch`)."""
    label = rates.semester.label
    row = session.get(RateOverride, label) or RateOverride(semester=label)
    previous = None if row.ecb_rate is None else {
        "ecb_rate": row.ecb_rate, "legal_rate_individual": row.legal_rate_individual,
        "legal_rate_other": row.legal_rate_other, "source": row.source}
    row.ecb_rate = str(rates.ecb)
    row.legal_rate_individual = _text(rates.legal_individual)
    row.legal_rate_other = _text(rates.legal_other)
    row.source = rates.source
    row.updated_by = actor
    row.updated_at = utcnow()
    session.add(row)
    audit.append(session, f"rates:{label}", actor, [audit.PendingEvent(event, {
        "ecb_rate": row.ecb_rate, "legal_rate_individual": row.legal_rate_individual,
        "legal_rate_other": row.legal_rate_other, "source": row.source,
        "previous": previous})])

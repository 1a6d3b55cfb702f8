"""Where the rate table comes from: the shipped data file, plus semesters operators entered.

The shipped file (service/data/rates.csv) carries the source of every row; an operator adds a
semester (e.g. when the July arrêté is published) without a release, with who/when audited.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.clock import today_in_paris
from service.db import RateOverride, utcnow
from service.domain.rates import RateTable, Semester, SemesterRates, parse_rates_csv

RATES_FILE = Path(__file__).resolve().parent / "data" / "rates.csv"
log = logging.getLogger("amiable.rates")


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


# --- are the rates current? -------------------------------------------------------------------

WARN_DAYS_BEFORE = 15  # warn this many days before a semester with no rates begins


@dataclass(frozen=True)
class RatesStatus:
    """Whether today's semester is known and when the next unknown one begins.

    ``complete``: today's semester has every rate (ECB and both legal rates).
    ``next_missing``: the first semester from today's on with no row at all;
    ``days_left``: days from ``today`` until it begins (0 when it is today's).
    """

    current: Semester
    complete: bool
    next_missing: Semester
    days_left: int

    def to_json(self) -> dict[str, object]:
        return {"current": self.current.label, "complete": self.complete,
                "next_missing": self.next_missing.label, "days_left": self.days_left}

    def warning(self) -> str | None:
        """What to log when documents will soon need rates nobody entered (None: nothing)."""
        if self.days_left > WARN_DAYS_BEFORE:
            return None
        when = ("from today" if self.days_left == 0
                else f"from {self.next_missing.start.isoformat()}, in {self.days_left} days")
        return (f"no rates are known for {self.next_missing.label}: documents whose figures "
                f"run into it are refused {when}; run `amiable rates fetch --apply` for the "
                f"ECB rate and enter the legal rates with PUT /v1/rates/{self.next_missing.label}"
                " once the arrêté is published")


def status(table: RateTable, today: date) -> RatesStatus:
    current = Semester.of(today)
    row = table.find(current)
    missing = current
    while missing in table:
        missing = missing.next()
    return RatesStatus(current=current, complete=row is not None and row.complete,
                       next_missing=missing, days_left=max(0, (missing.start - today).days))


def check_once(services: Any) -> None:
    """Log the rates warning if one is due now; a database fault is logged, not raised."""
    try:
        with services.db.session() as session:
            table = current_rates(session)
        message = status(table, today_in_paris(services.settings.clock)).warning()
        if message:
            log.warning(message)
    except Exception:  # a passing database fault must not stop the service or the watch
        log.exception("could not check the rates")


def watch(services: Any, stop: threading.Event, interval: float = 24 * 3600,
          check_now: bool = True) -> None:
    """Check the rates (now, unless ``check_now`` is false) and then every ``interval``
    seconds, until ``stop`` is set."""
    if check_now:
        check_once(services)
    while not stop.wait(interval):
        check_once(services)

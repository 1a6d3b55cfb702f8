"""The ECB's main refinancing rate, read from the ECB Data Portal (SDMX, CSV).

`amiable rates fetch` uses it to propose the ECB rate of semesters the table lacks: the
rate in force on 1 January or 1 July (C. com. L441-10 II) is the last observation of the
series on or before that day (the series lists the dates of changes; a daily series works
the same). A semester is proposed only once its first day has come: before it, a decision
taking effect in the last days of the previous semester could still be missing. The legal
rates come from an arrêté, not from the ECB: they stay empty until someone enters them.
"""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from service.domain.rates import RateTable, Semester, SemesterRates

SERIES_KEY = "FM.D.U2.EUR.4F.KR.MRR_FR.LEV"  # main refinancing operations, fixed rate, level
SERIES_URL = (
    "https://data-api.ecb.europa.eu/service/data/FM/D.U2.EUR.4F.KR.MRR_FR.LEV?format=csvdata"
)
TIMEOUT_SECONDS = 20.0
MAX_BYTES = 8 * 1024 * 1024  # the whole series since 1999 is well under 1 MB


class EcbError(Exception):
    """The series could not be read: unreachable, an HTTP error, or not the expected CSV."""


@dataclass(frozen=True)
class Observation:
    day: date
    rate: Decimal


@dataclass(frozen=True)
class Proposal:
    """The ECB rate of a semester the table lacks, and the observation it comes from."""

    semester: Semester
    rate: Decimal
    since: date  # the day of the observation in force on the semester's first day

    def rates(self, source_url: str, fetched_on: date) -> SemesterRates:
        return SemesterRates(
            semester=self.semester, ecb=self.rate, legal_individual=None, legal_other=None,
            source=(f"ECB Data Portal, series {SERIES_KEY} ({source_url}), read on "
                    f"{fetched_on.isoformat()}: MRO {self.rate} % in force on "
                    f"{self.semester.start.isoformat()} (observation of "
                    f"{self.since.isoformat()}); legal rates: not entered yet"))


def download(url: str = SERIES_URL, timeout: float = TIMEOUT_SECONDS) -> str:
    """The series as CSV text; EcbError with the reason when it cannot be had."""
    request = urllib.request.Request(url, headers={"Accept": "text/csv"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise EcbError(f"the ECB Data Portal answered {exc.code} {exc.reason} for {url}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EcbError(f"could not reach the ECB Data Portal at {url} within {timeout:g} s: "
                       f"{reason}") from None
    if len(data) > MAX_BYTES:
        raise EcbError(f"the answer of {url} is larger than {MAX_BYTES} bytes: not the series")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EcbError(f"the answer of {url} is not UTF-8 text") from None


def parse_series(text: str) -> list[Observation]:
    """The observations of an SDMX-CSV answer (columns TIME_PERIOD and OBS_VALUE, found by
    name; other columns ignored), oldest first. EcbError if it is not such a file."""
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or ())
    if not {"TIME_PERIOD", "OBS_VALUE"} <= columns:
        raise EcbError("not an SDMX-CSV series: the columns TIME_PERIOD and OBS_VALUE are "
                       f"missing (got {', '.join(sorted(columns)) or 'nothing'})")
    observations = []
    for line, row in enumerate(reader, start=2):
        if "KEY" in row and row["KEY"] and row["KEY"] != SERIES_KEY:
            raise EcbError(f"line {line}: series {row['KEY']}, expected {SERIES_KEY}")
        value = (row.get("OBS_VALUE") or "").strip()
        if not value:
            continue  # a day with no value (SDMX allows it)
        try:
            observations.append(Observation(date.fromisoformat(row["TIME_PERIOD"].strip()),
                                            Decimal(value)))
        except (ValueError, InvalidOperation):
            raise EcbError(f"line {line}: not a date and a rate: "
                           f"{row['TIME_PERIOD']!r}, {value!r}") from None
    if not observations:
        raise EcbError("the series has no observation")
    return sorted(observations, key=lambda o: o.day)


def rate_in_force(observations: list[Observation], day: date) -> Observation | None:
    """The observation in force on ``day``: the last one on or before it."""
    before = [o for o in observations if o.day <= day]
    return before[-1] if before else None


def propose(table: RateTable, observations: list[Observation], first: Semester,
            today: date) -> list[Proposal]:
    """The ECB rate of each semester from ``first`` to today's that ``table`` lacks
    (``today``: the day the series was read; later semesters are not proposed)."""
    proposals = []
    semester = first
    while semester.start <= today:
        if semester not in table:
            found = rate_in_force(observations, semester.start)
            if found is not None:
                proposals.append(Proposal(semester, found.rate, found.day))
        semester = semester.next()
    return proposals

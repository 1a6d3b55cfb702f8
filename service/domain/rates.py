"""Rates by semester: the ECB rate of L441-10 and the two legal rates of CMF L313-2.

Rates are data, not code (``service/data/rates.csv``, each row with its source); this
module only models and parses them. Both kinds of rate change by semester:

* C. com. L441-10 II: the ECB rate of the main refinancing operation "applicable pendant
  le premier semestre de l'année concernée est le taux en vigueur au 1er janvier de
  l'année en question. Pour le second semestre ..., il est le taux en vigueur au 1er
  juillet". The default late-payment rate is that rate + 10 points, and a contractual
  rate may not be lower than three times the legal rate.
* CMF L313-2 and D313-1-A: the legal rate is fixed each semester by arrêté, one rate for
  "créances des personnes physiques n'agissant pas pour des besoins professionnels" and
  one "pour tous les autres cas".

The ECB rate in force on 1 January / 1 July is known once the ECB's last decision before
that day took effect; the arrêté is published a few days before the semester, sometimes
later. So a semester may be known for its ECB rate only: its legal rates are then ``None``
(an empty cell in the CSV), and whatever needs them is refused until they are entered.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from service.domain.errors import FieldError, InvalidRates, UnknownRate

CSV_COLUMNS = ("semester", "ecb_rate", "legal_rate_individual", "legal_rate_other", "source")

# C. com. L441-10 II: "... majoré de 10 points de pourcentage".
ECB_MARGIN = Decimal("10")
# C. com. L441-10 II: a contractual rate may not be "inférieur à trois fois le taux
# d'intérêt légal"; the professional creditor's legal rate is "autres cas" (F23211:
# "6,18 % ... = 3 x 2,06 %" for 2023 S1).
FLOOR_MULTIPLIER = Decimal("3")

_SEMESTER_RE = re.compile(r"^(\d{4})-S([12])$")


@dataclass(frozen=True, order=True)
class Semester:
    """A half year: ``half`` 1 is January-June, 2 is July-December."""

    year: int
    half: int

    def __post_init__(self) -> None:
        if self.half not in (1, 2) or not 1 <= self.year <= 9999:
            raise ValueError(f"not a semester: year={self.year!r} half={self.half!r}")

    @classmethod
    def of(cls, day: date) -> Semester:
        """Return the semester containing ``day``."""
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def parse(cls, text: str) -> Semester:
        """Parse a label such as ``"2026-S2"``; ValueError on anything else."""
        match = _SEMESTER_RE.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not a semester label (expected e.g. 2026-S2): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def label(self) -> str:
        return f"{self.year}-S{self.half}"

    def next(self) -> Semester:
        return Semester(self.year, 2) if self.half == 1 else Semester(self.year + 1, 1)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class SemesterRates:
    """The rates of one semester, in percent per year, with where they come from.

    ``ecb`` is the ECB main refinancing rate in force on the semester's first day
    (1 January or 1 July); ``legal_individual`` / ``legal_other`` are the two legal
    rates of the arrêté for that semester, ``None`` while it is not known.
    """

    semester: Semester
    ecb: Decimal
    legal_individual: Decimal | None
    legal_other: Decimal | None
    source: str

    def __post_init__(self) -> None:
        problems = list(_rate_problems(self))
        if problems:
            raise InvalidRates(
                f"invalid rates for semester {self.semester}: "
                + "; ".join(p["message"] for p in problems),
                problems,
            )

    @property
    def commercial_rate(self) -> Decimal:
        """The L441-10 default late-payment rate: ECB rate + 10 points."""
        return self.ecb + ECB_MARGIN

    @property
    def contractual_floor(self) -> Decimal | None:
        """The lowest contractual rate L441-10 allows: 3 × legal rate "autres cas"
        (None while the legal rate is not known)."""
        return None if self.legal_other is None else FLOOR_MULTIPLIER * self.legal_other

    @property
    def complete(self) -> bool:
        """Whether every rate of the semester is known (the ECB rate and both legal rates)."""
        return self.legal_individual is not None and self.legal_other is not None

    def legal_rate(self, creditor_type: str) -> Decimal | None:
        """The legal rate for a creditor: "particuliers" for an individual (L313-2)."""
        return self.legal_individual if creditor_type == "individual" else self.legal_other


def legal_rate_column(creditor_type: str) -> str:
    """The column holding the legal rate for a creditor (for messages)."""
    return "legal_rate_individual" if creditor_type == "individual" else "legal_rate_other"


def _rate_problems(rates: SemesterRates) -> Iterator[FieldError]:
    if not isinstance(rates.semester, Semester):
        yield {"field": "semester", "message": "must be a Semester"}
    for name in ("ecb", "legal_individual", "legal_other"):
        value = getattr(rates, name)
        if value is None and name != "ecb":
            continue  # not known yet (the arrêté is not out): allowed, see the module doc
        if not isinstance(value, Decimal) or not value.is_finite():
            yield {"field": name, "message": f"{name} must be a finite decimal percentage"}
        elif not Decimal("-100") < value < Decimal("100"):
            yield {"field": name, "message": f"{name} must be a percentage below 100"}
        elif name != "ecb" and value < 0:
            # The ECB rate could in principle go negative; a legal rate never has.
            yield {"field": name, "message": f"{name} must not be negative"}
    if not isinstance(rates.source, str) or not rates.source.strip():
        yield {"field": "source", "message": "every rate needs its source"}


class RateTable:
    """An immutable set of ``SemesterRates``, one per semester."""

    def __init__(self, rows: Iterable[SemesterRates] = ()) -> None:
        table: dict[Semester, SemesterRates] = {}
        for row in rows:
            if row.semester in table:
                raise InvalidRates(
                    f"semester {row.semester} appears twice",
                    [{"field": "semester", "message": f"duplicate {row.semester}"}],
                )
            table[row.semester] = row
        self._table = MappingProxyType(dict(sorted(table.items())))

    def get(self, semester: Semester) -> SemesterRates:
        """Return the rates of ``semester``; UnknownRate naming it when absent (a present
        semester may still lack its legal rates: see ``SemesterRates``)."""
        rates = self._table.get(semester)
        if rates is None:
            raise UnknownRate(semester.label)
        return rates

    def find(self, semester: Semester) -> SemesterRates | None:
        """Return the rates of ``semester``, or None when absent."""
        return self._table.get(semester)

    def with_rows(self, rows: Iterable[SemesterRates]) -> RateTable:
        """Return a new table where ``rows`` replace or add their semesters.

        This is how operator-entered semesters (PUT /v1/rates/...) override the file.
        """
        merged = dict(self._table)
        merged.update({row.semester: row for row in rows})
        return RateTable(merged.values())

    @property
    def rows(self) -> Mapping[Semester, SemesterRates]:
        """All rows by semester, oldest first (a read-only mapping)."""
        return self._table

    def __contains__(self, semester: object) -> bool:
        return semester in self._table

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        labels = [s.label for s in self._table]
        return f"RateTable({labels[0]}..{labels[-1]})" if labels else "RateTable()"


def parse_rates_csv(text: str) -> RateTable:
    """Parse the rates CSV (columns ``CSV_COLUMNS``; ``#`` lines are comments).

    Pure: the caller reads the file. Raises InvalidRates listing every bad line.
    """
    # Comment lines become blank lines, which are skipped: line numbers stay right.
    lines = ["" if line.lstrip().startswith("#") else line for line in text.splitlines()]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    records = ((reader.line_num, row) for row in reader if row)
    header = next(records, (0, []))[1]
    if tuple(header) != CSV_COLUMNS:
        raise InvalidRates(
            f"rates CSV header must be {','.join(CSV_COLUMNS)}; got {','.join(header)}",
            [{"field": "header", "message": "unexpected columns"}],
        )
    rows: list[SemesterRates] = []
    problems: list[FieldError] = []
    for line_num, row in records:
        try:
            rows.append(_row(row))
        except ValueError as exc:
            problems.append({"field": f"line {line_num}", "message": str(exc)})
        except InvalidRates as exc:
            problems.append({"field": f"line {line_num}", "message": exc.message})
    if problems:
        raise InvalidRates.from_details(problems)
    return RateTable(rows)


def _row(row: list[str]) -> SemesterRates:
    if len(row) != len(CSV_COLUMNS):
        raise ValueError(f"expected {len(CSV_COLUMNS)} fields, got {len(row)} (quote the source)")
    semester, ecb, individual, other, source = (cell.strip() for cell in row)
    return SemesterRates(
        semester=Semester.parse(semester),
        ecb=_decimal("ecb_rate", ecb),
        legal_individual=_optional_decimal("legal_rate_individual", individual),
        legal_other=_optional_decimal("legal_rate_other", other),
        source=source,
    )


def _optional_decimal(column: str, text: str) -> Decimal | None:
    """An empty cell is a rate not known yet (a legal rate before its arrêté)."""
    return None if text == "" else _decimal(column, text)


def _decimal(column: str, text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{column} is not a decimal: {text!r}") from None

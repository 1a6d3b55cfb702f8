"""Fixtures for the legal engine's tests: the shipped rate table, and one without 2026-S2."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.domain.rates import RateTable, Semester, parse_rates_csv

RATES_CSV = Path(__file__).resolve().parents[2] / "service" / "data" / "rates.csv"


@pytest.fixture(scope="session")
def rates() -> RateTable:
    """The table shipped in service/data/rates.csv (2019-S1 to 2026-S1)."""
    return parse_rates_csv(RATES_CSV.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def rates_without_2026_s2(rates: RateTable) -> RateTable:
    """The shipped table, made sure not to know 2026-S2 even once the file is updated."""
    return RateTable(row for row in rates.rows.values() if row.semester != Semester(2026, 2))

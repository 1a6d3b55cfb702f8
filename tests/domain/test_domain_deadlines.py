"""Deadlines (CPC 641-642) and the public-holiday calendars they skip."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.deadlines import deadline, is_working_day, region_of

# legal.md §7: moveable feasts, computed with the Gregorian computus.
MOVEABLE = {
    # year: (Easter Monday, Ascension, Whit Monday, Good Friday)
    2024: (date(2024, 4, 1), date(2024, 5, 9), date(2024, 5, 20), date(2024, 3, 29)),
    2025: (date(2025, 4, 21), date(2025, 5, 29), date(2025, 6, 9), date(2025, 4, 18)),
    2026: (date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25), date(2026, 4, 3)),
    2027: (date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17), date(2027, 3, 26)),
}
FIXED = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]  # L3133-1

PARIS, METZ, STRASBOURG, MULHOUSE = "75002", "57000", "67000", "68100"


@pytest.mark.parametrize(
    ("start", "days", "postal_code", "expected"),
    [
        # legal.md §4.5 / §8 T8
        (date(2025, 4, 23), 8, "", date(2025, 5, 2)),  # Thu 1 May -> Fri 2 May
        (date(2025, 5, 2), 15, "", date(2025, 5, 19)),  # Sat 17 May -> Mon 19 May
        (date(2025, 12, 17), 8, PARIS, date(2025, 12, 26)),  # Thu 25 Dec -> Fri 26 Dec
        (date(2025, 12, 17), 8, STRASBOURG, date(2025, 12, 29)),  # 26 Dec too -> Mon 29
        (date(2025, 12, 17), 8, METZ, date(2025, 12, 29)),
        (date(2026, 5, 6), 8, "", date(2026, 5, 15)),  # Ascension Thu 14 May -> Fri 15
    ],
)
def test_t8_deadlines(start: date, days: int, postal_code: str, expected: date) -> None:
    assert deadline(start, days, postal_code) == expected


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        (date(2026, 4, 25), date(2026, 5, 4), "Sunday 3 May"),
        (date(2025, 4, 30), date(2025, 5, 9), "8 May 2025 (Thursday)"),
        (date(2026, 5, 17), date(2026, 5, 26), "Whit Monday 25 May 2026"),
        (date(2027, 3, 21), date(2027, 3, 30), "Easter Monday 29 Mar 2027"),
        (date(2026, 7, 6), date(2026, 7, 15), "14 July 2026 (Tuesday)"),
        (date(2024, 8, 7), date(2024, 8, 16), "15 August 2024 (Thursday)"),
        (date(2025, 8, 7), date(2025, 8, 18), "15 August 2025 (Friday), then the weekend"),
        (date(2027, 10, 24), date(2027, 11, 2), "1 November 2027 (Monday)"),
        (date(2026, 11, 3), date(2026, 11, 12), "11 November 2026 (Wednesday)"),
        (date(2026, 12, 24), date(2027, 1, 4), "1 January 2027 (Friday), then the weekend"),
        (date(2024, 12, 24), date(2025, 1, 2), "1 January 2025 (Wednesday)"),
    ],
)
def test_eight_days_skip_weekends_and_holidays(start: date, expected: date, why: str) -> None:
    assert deadline(start, 8) == expected, why


def test_good_friday_only_in_alsace_moselle() -> None:
    # Thu 18 Mar 2027 + 8 = Fri 26 Mar 2027, Good Friday: a working day in Paris; in
    # Alsace-Moselle the deadline skips it, the weekend and Easter Monday 29 Mar.
    assert deadline(date(2027, 3, 18), 8, PARIS) == date(2027, 3, 26)
    for code in (METZ, STRASBOURG, MULHOUSE):
        assert deadline(date(2027, 3, 18), 8, code) == date(2027, 3, 30)


def test_overseas_abolition_day() -> None:
    # La Réunion, 20 December (C. trav. L3422-2): Mon 20 Dec 2027 is a holiday there only.
    assert deadline(date(2027, 12, 12), 8, "97400") == date(2027, 12, 21)
    assert deadline(date(2027, 12, 12), 8, PARIS) == date(2027, 12, 20)


@pytest.mark.parametrize("year", sorted(MOVEABLE))
def test_public_holidays_are_not_working_days(year: int) -> None:
    easter_monday, ascension, whit_monday, good_friday = MOVEABLE[year]
    for day in [easter_monday, ascension, whit_monday] + [date(year, m, d) for m, d in FIXED]:
        for code in ("", PARIS, METZ, STRASBOURG, MULHOUSE):
            assert not is_working_day(day, code), (day, code)
    for code in (METZ, STRASBOURG, MULHOUSE):
        assert not is_working_day(good_friday, code)
        assert not is_working_day(date(year, 12, 26), code)
    assert is_working_day(good_friday, PARIS)  # Fridays before Easter are working days
    assert is_working_day(date(year, 12, 26), PARIS) == (date(year, 12, 26).weekday() < 5)


def test_ordinary_days() -> None:
    assert is_working_day(date(2026, 11, 23))  # a Monday
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2026, 11, 22))  # Sunday


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("57000", "57"),
        ("67 000", "6AE"),
        ("68100", "6AE"),
        ("75002", None),
        ("97400", "974"),
        ("97133", "BL"),
        ("97150", "MF"),
        ("97110", "971"),
        ("", None),
    ],
)
def test_region_of_postal_code(code: str, region: str | None) -> None:
    assert region_of(code) == region


def test_zero_days_is_the_start_or_the_next_working_day() -> None:
    assert deadline(date(2026, 11, 23), 0) == date(2026, 11, 23)
    assert deadline(date(2026, 11, 21), 0) == date(2026, 11, 23)
    with pytest.raises(ValueError, match="negative"):
        deadline(date(2026, 11, 23), -1)


POSTAL_CODES = st.sampled_from(["", PARIS, METZ, STRASBOURG, MULHOUSE, "97400", "97200"])


@settings(deadline=None)
@given(
    start=st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=0, max_value=60),
    postal_code=POSTAL_CODES,
)
def test_deadline_is_the_first_working_day_on_or_after_start_plus_days(
    start: date, days: int, postal_code: str
) -> None:
    end = deadline(start, days, postal_code)
    earliest = start + timedelta(days=days)
    assert end >= earliest
    assert is_working_day(end, postal_code)
    day = earliest
    while day < end:
        assert not is_working_day(day, postal_code)
        day += timedelta(days=1)
    # A local calendar only adds holidays, so it never shortens a deadline.
    assert end >= deadline(start, days)

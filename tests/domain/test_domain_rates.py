"""Rates by semester: the shipped data file, the table, and the semester arithmetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service.domain.errors import DomainError, InvalidRates, UnknownRate
from service.domain.rates import RateTable, Semester, SemesterRates, parse_rates_csv

HEADER = "semester,ecb_rate,legal_rate_individual,legal_rate_other,source\n"

# legal.md §1.5 (derived from §1.4 and §2.1): L441-10 default and 3 × TIL "autres cas".
EXPECTED = {
    "2019-S1": ("10.00", "2.58"),
    "2019-S2": ("10.00", "2.61"),
    "2020-S1": ("10.00", "2.61"),
    "2020-S2": ("10.00", "2.52"),
    "2021-S1": ("10.00", "2.37"),
    "2021-S2": ("10.00", "2.28"),
    "2022-S1": ("10.00", "2.28"),
    "2022-S2": ("10.00", "2.31"),
    "2023-S1": ("12.50", "6.18"),
    "2023-S2": ("14.00", "12.66"),
    "2024-S1": ("14.50", "15.21"),
    "2024-S2": ("14.25", "14.76"),
    "2025-S1": ("13.15", "11.13"),
    "2025-S2": ("12.15", "8.28"),
    "2026-S1": ("12.15", "7.86"),
}


def test_shipped_file_covers_2019_s1_to_2026_s2(rates: RateTable) -> None:
    assert [semester.label for semester in rates.rows] == [*EXPECTED, "2026-S2"]
    assert all(key == row.semester for key, row in rates.rows.items())


def test_2026_s2_is_shipped_with_its_ecb_rate_only(rates: RateTable) -> None:
    # ECB decision of 11 June 2026, in force 17 June: MRO 2,40 % on 1 July 2026, so the
    # L441-10 default is 2,40 + 10 = 12,40 %. No arrêté was found for the legal rates.
    row = rates.get(Semester(2026, 2))
    assert row.ecb == Decimal("2.40")
    assert row.commercial_rate == Decimal("12.40")
    assert (row.legal_individual, row.legal_other, row.contractual_floor) == (None, None, None)
    assert not row.complete
    assert "11 June 2026" in row.source
    assert "ecb.mp260611" in row.source


@pytest.mark.parametrize(("label", "expected"), EXPECTED.items())
def test_shipped_rates_give_the_published_default_and_floor(
    rates: RateTable, label: str, expected: tuple[str, str]
) -> None:
    row = rates.get(Semester.parse(label))
    assert (row.commercial_rate, row.contractual_floor) == tuple(map(Decimal, expected))
    assert row.source  # every row says where it comes from


def test_shipped_legal_rates_match_the_arretes(rates: RateTable) -> None:
    # Arrêté du 15 décembre 2025 (JORF 26 déc. 2025): 6,67 % and 2,62 % for 2026 S1;
    # service-public F783 uses 3,11 % for a "particulier" creditor in 2020 S2.
    s1_2026 = rates.get(Semester(2026, 1))
    assert (s1_2026.legal_individual, s1_2026.legal_other) == (Decimal("6.67"), Decimal("2.62"))
    assert rates.get(Semester(2020, 2)).legal_rate("individual") == Decimal("3.11")
    assert rates.get(Semester(2020, 2)).legal_rate("company") == Decimal("0.84")
    # 2022 S2: the ECB rate on 1 July 2022 was still 0 (the hike came on 27 July).
    assert rates.get(Semester(2022, 2)).ecb == Decimal("0.00")


def test_unknown_semester_names_itself_and_the_way_out(rates_without_2026_s2: RateTable) -> None:
    with pytest.raises(UnknownRate) as caught:
        rates_without_2026_s2.get(Semester(2026, 2))
    error = caught.value
    assert error.code == "unknown_rate"
    assert error.semester == "2026-S2"
    assert error.message == (
        "no rate is known for semester 2026-S2; add it with PUT /v1/rates/2026-S2")
    assert isinstance(error, DomainError)
    assert rates_without_2026_s2.find(Semester(2026, 2)) is None


def test_with_rows_adds_and_overrides_without_touching_the_original(rates: RateTable) -> None:
    # Operator-entered rows; the figures here are test data, not published rates.
    added = SemesterRates(Semester(2026, 2), Decimal("2.40"), Decimal("6.50"), Decimal("2.50"), "t")
    replaced = SemesterRates(Semester(2026, 1), Decimal("9"), Decimal("9"), Decimal("9"), "t")
    table = rates.with_rows([added, replaced])
    assert table.get(Semester(2026, 2)) == added
    assert table.get(Semester(2026, 1)) == replaced
    assert rates.get(Semester(2026, 2)).legal_other is None
    assert rates.get(Semester(2026, 1)).ecb == Decimal("2.15")
    assert len(table) == len(rates)
    later = SemesterRates(Semester(2027, 1), Decimal("2.65"), None, None, "t")
    assert len(rates.with_rows([later])) == len(rates) + 1


def test_a_table_refuses_the_same_semester_twice(rates: RateTable) -> None:
    row = rates.get(Semester(2025, 1))
    with pytest.raises(InvalidRates, match="2025-S1 appears twice"):
        RateTable([row, row])


def test_csv_comments_blank_lines_and_quoted_sources() -> None:
    table = parse_rates_csv(
        "# a comment\n\n" + HEADER + '2030-S1,1.00,5.00,2.00,"arrêté, JO du 1er janvier"\n'
    )
    row = table.get(Semester(2030, 1))
    assert row.source == "arrêté, JO du 1er janvier"
    assert row.commercial_rate == Decimal("11.00")


def test_csv_errors_name_every_bad_line() -> None:
    text = (
        HEADER
        + "2026-S3,1,2,3,x\n"  # line 2: no such semester
        + "2026-S2,a,2,3,x\n"  # line 3: not a decimal
        + "2026-S2,1,-2,3,x\n"  # line 4: a negative legal rate
        + "2026-S1,1,2,3,x,y\n"  # line 5: unquoted comma in the source
        + "2025-S1,1,2,3,\n"  # line 6: no source
    )
    with pytest.raises(InvalidRates) as caught:
        parse_rates_csv(text)
    fields = [detail["field"] for detail in caught.value.details]
    assert fields == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "2026-S3" in caught.value.message
    assert "ecb_rate is not a decimal: 'a'" in caught.value.message


def test_csv_header_must_be_exact() -> None:
    with pytest.raises(InvalidRates, match="header"):
        parse_rates_csv("semester,ecb,individual,other,source\n")


@pytest.mark.parametrize(
    ("day", "label", "start", "end"),
    [
        (date(2024, 1, 1), "2024-S1", date(2024, 1, 1), date(2024, 6, 30)),
        (date(2024, 6, 30), "2024-S1", date(2024, 1, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), "2024-S2", date(2024, 7, 1), date(2024, 12, 31)),
        (date(2024, 12, 31), "2024-S2", date(2024, 7, 1), date(2024, 12, 31)),
    ],
)
def test_semester_of_a_day(day: date, label: str, start: date, end: date) -> None:
    semester = Semester.of(day)
    assert (semester.label, semester.start, semester.end, str(semester)) == (
        label,
        start,
        end,
        label,
    )


def test_semester_parse_and_order() -> None:
    assert Semester.parse("2026-S2") == Semester(2026, 2)
    assert Semester.parse(" 2026-S1 ").next() == Semester(2026, 2)
    assert Semester(2026, 2).next() == Semester(2027, 1)
    assert Semester(2025, 2) < Semester(2026, 1) < Semester(2026, 2)


@pytest.mark.parametrize("text", ["2026-S3", "2026S2", "26-S1", "2026-s1", "", "2026-S1x"])
def test_semester_parse_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="semester"):
        Semester.parse(text)

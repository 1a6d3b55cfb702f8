"""Payment schedules: dates counted from the first one, amounts that add up to the cent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.domain.errors import InvalidCase
from service.domain.model import Plan
from service.domain.schedules import build_schedule

AS_OF = date(2026, 1, 15)


def d(text: str) -> Decimal:
    return Decimal(text)


def test_month_ends_are_counted_from_the_first_date_never_chained() -> None:
    # 31 Jan -> 28 Feb -> 31 Mar (chaining would give 28 Mar); 2028 is a leap year.
    schedule = build_schedule(d("300.00"), Plan(3, date(2026, 1, 31)), date(2026, 1, 31))
    assert [i.due_date for i in schedule] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
    ]
    leap = build_schedule(d("300.00"), Plan(3, date(2028, 1, 31)), date(2028, 1, 1))
    assert [i.due_date for i in leap] == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]
    # 30 Nov -> 30 Dec -> 30 Jan -> 28 Feb -> 30 Mar
    late = build_schedule(d("500.00"), Plan(5, date(2026, 11, 30)), AS_OF)
    assert [i.due_date for i in late][-2:] == [date(2027, 2, 28), date(2027, 3, 30)]


def test_weekly_dates() -> None:
    schedule = build_schedule(d("100.00"), Plan(3, date(2026, 1, 19), "weekly"), AS_OF)
    assert [i.due_date for i in schedule] == [
        date(2026, 1, 19),
        date(2026, 1, 26),
        date(2026, 2, 2),
    ]


def test_equal_instalments_rounded_down_and_the_last_absorbs_the_rest() -> None:
    # 1 000,00 / 3 = 333,333... -> 333,33, 333,33 and 333,34.
    schedule = build_schedule(d("1000.00"), Plan(3, date(2026, 2, 1)), AS_OF)
    assert [(i.number, i.amount, i.kind) for i in schedule] == [
        (1, d("333.33"), "installment"),
        (2, d("333.33"), "installment"),
        (3, d("333.34"), "installment"),
    ]


def test_down_payment_is_number_zero_due_at_signature() -> None:
    # 100 − 10 = 90 over 7: 12,857 -> 12,85 × 6 = 77,10; last 90 − 77,10 = 12,90.
    schedule = build_schedule(
        d("100.00"), Plan(7, date(2026, 2, 1), down_payment=d("10.00")), AS_OF
    )
    assert schedule[0].number == 0
    assert (schedule[0].due_date, schedule[0].amount, schedule[0].kind) == (
        AS_OF,
        d("10.00"),
        "down_payment",
    )
    assert [i.amount for i in schedule[1:]] == [d("12.85")] * 6 + [d("12.90")]
    assert sum(i.amount for i in schedule) == d("100.00")


def test_a_first_due_date_on_the_day_of_the_plan_is_allowed() -> None:
    assert build_schedule(d("10.00"), Plan(1, AS_OF), AS_OF)[0].amount == d("10.00")


def test_24_months_is_the_limit() -> None:
    # C. civ. 1343-5: two years. From 15 Jan 2026, the 24th month ends 15 Jan 2028.
    ok = build_schedule(d("2400.00"), Plan(24, date(2026, 2, 15)), AS_OF)
    assert ok[-1].due_date == date(2028, 1, 15)
    with pytest.raises(InvalidCase) as caught:
        build_schedule(d("2500.00"), Plan(25, date(2026, 2, 15)), AS_OF)
    assert caught.value.details[0]["field"] == "plan.installments"
    assert "2028-02-15" in caught.value.message
    # Weekly: 105 weeks from as_of end on day 728 (within 24 months), 106 do not.
    build_schedule(d("105.00"), Plan(105, AS_OF, "weekly"), AS_OF)
    with pytest.raises(InvalidCase):
        build_schedule(d("106.00"), Plan(106, AS_OF, "weekly"), AS_OF)
    with pytest.raises(InvalidCase, match="cannot end within 24 months"):
        build_schedule(d("1000000.00"), Plan(10**9, AS_OF, "weekly"), AS_OF)


@pytest.mark.parametrize(
    ("total", "plan", "field"),
    [
        ("100.00", Plan(0, date(2026, 2, 1)), "plan.installments"),
        ("100.00", Plan(3, date(2026, 1, 14)), "plan.first_due_date"),
        ("100.00", Plan(3, date(2026, 2, 1), down_payment=d("100.00")), "plan.down_payment"),
        ("100.00", Plan(3, date(2026, 2, 1), down_payment=d("-1.00")), "plan.down_payment"),
        ("100.00", Plan(3, date(2026, 2, 1), "daily"), "plan.frequency"),  # type: ignore[arg-type]
        ("0.05", Plan(6, date(2026, 2, 1)), "plan.installments"),
        ("0.00", Plan(6, date(2026, 2, 1)), "plan"),
    ],
)
def test_impossible_plans(total: str, plan: Plan, field: str) -> None:
    with pytest.raises(InvalidCase) as caught:
        build_schedule(d(total), plan, AS_OF)
    assert [detail["field"] for detail in caught.value.details] == [field]


@given(
    cents=st.integers(min_value=1, max_value=10**10),
    installments=st.integers(min_value=1, max_value=24),
    down_share=st.integers(min_value=0, max_value=99),
    weekly=st.booleans(),
    offset=st.integers(min_value=0, max_value=28),  # 24 months from AS_OF still fit
)
def test_schedule_sums_to_the_total_exactly(
    cents: int, installments: int, down_share: int, weekly: bool, offset: int
) -> None:
    total = Decimal(cents) / 100
    down = (total * down_share / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    if (total - down) / installments < Decimal("0.01"):
        return  # too little to split; refused, see test_impossible_plans
    plan = Plan(
        installments,
        AS_OF + timedelta(days=offset),
        "weekly" if weekly else "monthly",
        down_payment=down,
    )
    schedule = build_schedule(total, plan, AS_OF)
    assert sum(i.amount for i in schedule) == total
    regular = [i for i in schedule if i.kind == "installment"]
    assert [i.number for i in regular] == list(range(1, installments + 1))
    assert all(i.amount > 0 for i in schedule)
    assert len({i.amount for i in regular[:-1]}) <= 1
    assert Decimal(0) <= regular[-1].amount - regular[0].amount < Decimal("0.01") * installments
    dates = [i.due_date for i in regular]
    assert dates == sorted(set(dates))
    assert (schedule[0].kind == "down_payment") == (down > 0)
